"""The planted-problem register: every problem a generator plants is recorded against a record id
(``_Planted.add``) and turned into rows of ``planted.csv`` once the files are ordered (``_Planted.resolve``);
``_Victims`` hands out distinct clean records to plant them on, in a seeded order.

    >>> import pandas as pd
    >>> plant = _Planted()
    >>> plant.add("a.dbf", 7, "XM", "name_typo", "reconcile:key_mismatch", "姓名差一个字")
    >>> rows = plant.resolve({"a.dbf": pd.DataFrame({"KSH": ["k1", "k2"]}, index=[3, 7])}, {"a.dbf": "KSH"})
    >>> list(rows.columns) == list(PLANTED_COLUMNS), int(rows.at[0, "row"]), rows.at[0, "key"]
    (True, 2, 'k2')

A description may be a callable ``desc(rowof)``: it is called at resolve time with ``rowof(file, rid)`` (the
1-based row of a record in a file), for sentences that name another record's row.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np
import pandas as pd

#: ``rowof(file, rid)``: the 1-based row of record ``rid`` in ``file``, known once the files are ordered.
RowOf = Callable[[str, Any], int]
#: A planted problem's description: a sentence, or a function of ``rowof`` that writes it.
Description = str | Callable[[RowOf], str]

PLANTED_COLUMNS = ("file", "row", "key", "field", "problem_code", "expected", "description_zh")


class _Planted:
    """Planted problems recorded against record ids; turned into file rows once the files are ordered."""

    def __init__(self) -> None:
        self.items: list[tuple] = []

    def add(self, file: str, rid: Hashable | None, field: str, problem: str, expected: str, desc: Description) -> None:
        self.items.append((file, rid, field, problem, expected, desc))

    def resolve(self, frames: dict[str, pd.DataFrame], keys: dict[str, str]) -> pd.DataFrame:
        rows = {f: {rid: i + 1 for i, rid in enumerate(df.index)} for f, df in frames.items()}

        def rowof(file, rid):
            return rows[file][rid]

        out = []
        for file, rid, fld, problem, expected, desc in self.items:
            if rid is None:
                row, key = "", ""
            else:
                row = rowof(file, rid)
                key = str(frames[file].at[rid, keys[file]]) if keys.get(file) else ""
            text = desc(rowof) if callable(desc) else desc
            out.append((file, row, key, fld, problem, expected, text))
        return pd.DataFrame(out, columns=list(PLANTED_COLUMNS))


class _Victims:
    """Deterministic supply of distinct clean records to plant problems on."""

    def __init__(self, rng: np.random.Generator, eligible: np.ndarray) -> None:
        self.order = list(np.asarray(eligible)[rng.permutation(len(eligible))])
        self.used: set = set()

    def take(self, pred: Callable[[Any], bool] = lambda rid: True, k: int = 1) -> Any:
        got = []
        for rid in self.order:
            if rid not in self.used and pred(rid):
                got.append(rid)
                self.used.add(rid)
                if len(got) == k:
                    return got if k > 1 else got[0]
        raise ValueError("没有足够的记录可以预置问题")

    def exclude(self, rids: Iterable) -> None:
        self.used.update(rids)
