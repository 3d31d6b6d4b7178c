"""``core.rows``' row naming for many sentences about one list: the rows a person sees (``shown_rows``) and the
sheets (``shown_sheets``) worked out once for all the list's records, then read per sentence — the same text as
``core.rows.rows_text`` / ``shown_rows`` called sentence by sentence, without building two pandas Series each time
(thousands of sentences at 1M records).

    >>> import xueji_lib as xj
    >>> from xueji_lib.core.rows import rows_text
    >>> roster = xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student")
    >>> names = RowNames(roster, len(roster))
    >>> names.text([1, 140]) == rows_text(roster, [1, 140]), names.text([1, 140])
    (True, '第 2、141 行')
    >>> names.shown([0, 139])                               # 0-based positions
    [2, 141]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.rows import list_report, row_word, rows_text, shown_rows, shown_sheets

__all__ = ["RowNames"]


def _report_extra(data: Any) -> dict:
    """The loader's ``LoadReport.extra`` of a frame or frame source ({} when there is none)."""
    rep = list_report(data)
    return dict(getattr(rep, "extra", {}) or {}) if rep is not None else {}


class RowNames:
    """Row names of the ``n`` records of ``data`` (a frame, a ``ListSource`` or None), worked out on first use.

    ``shown_rows`` / ``shown_sheets`` decide some things from the positions asked for (a position beyond the
    loader's ``source_rows``): where the whole list's answer could differ from a few positions' answer, the
    per-call functions are used, so every text is the one ``rows_text`` gives."""

    def __init__(self, data: Any, n: int) -> None:
        self.data, self.n = data, int(n)
        self._rows: np.ndarray | None = None
        self._exact_rows = False
        self._sheets: np.ndarray | None = None  # object array of sheet names, or None: no sheets
        self._exact_sheets = False
        self._word: str | None = None

    def _work_out(self) -> None:
        if self._word is not None:
            return
        self._word = row_word(self.data)
        extra = _report_extra(self.data)
        every = np.arange(1, self.n + 1, dtype=np.int64)
        if list_report(self.data) is None:
            # not made by a loader (a frame built in memory, a folder): shown_rows gives every position itself,
            # whichever positions are asked for, and there are no sheets — no million-row Int64 mapping
            self._rows, self._exact_rows, self._exact_sheets = every, True, True
            return
        full = shown_rows(self.data, every) if self.n else pd.Series(pd.array([], dtype="Int64"))
        if not full.isna().any():
            rows = full.to_numpy(dtype=np.int64)
            identity = bool(np.array_equal(rows, every))
            # the whole list mapped (not identity): every subset maps the same; identity with the loader's
            # source_rows present may be a fallback a subset would not take
            self._exact_rows = not identity or extra.get("source_rows") is None
            self._rows = rows
        many = extra.get("source_sheets") is not None and len(extra.get("sheets") or []) >= 2
        if not many:
            self._exact_sheets = True
        elif self.n:
            sheets = shown_sheets(self.data, every)
            if not sheets.isna().all():
                self._sheets = sheets.to_numpy(dtype=object)
                self._exact_sheets = True

    def shown(self, idx: np.ndarray | Sequence[int]) -> list[int]:
        """0-based positions ``idx`` as the rows a person sees in the file (``[int(r) for r in shown_rows(…)]``)."""
        self._work_out()
        idx = np.asarray(idx, dtype=np.int64)
        if self._exact_rows and self._rows is not None:
            return self._rows[idx].tolist()
        return [int(r) for r in shown_rows(self.data, idx + 1)]

    def text(self, rows: Iterable[int], *, sep: str = "、") -> str:
        """``core.rows.rows_text(data, rows, sep=sep)`` for 1-based positions ``rows``."""
        self._work_out()
        rows = [int(r) for r in rows]
        if not (self._exact_rows and self._exact_sheets and self._rows is not None):
            return rows_text(self.data, rows, sep=sep)
        if self._sheets is None and len(rows) == 1:  # most sentences name one row: no array for it
            return f"第 {int(self._rows[rows[0] - 1])} {self._word}"
        idx = np.asarray(rows, dtype=np.int64) - 1
        shown = self._rows[idx].tolist()
        if self._sheets is None or not len(rows):
            return f"第 {sep.join(map(str, shown))} {self._word}"
        groups: dict = {}
        for sheet, row in zip(self._sheets[idx].tolist(), shown, strict=True):
            groups.setdefault(sheet, []).append(str(row))
        return "，".join(
            (f"工作表“{sheet}”" if sheet is not None else "") + f"第 {sep.join(r)} {self._word}"
            for sheet, r in groups.items()
        )
