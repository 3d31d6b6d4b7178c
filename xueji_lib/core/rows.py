"""Which row a person finds a record at in the file they opened.

Results number the records of a list 1, 2, 3 … in the order they were given (``row``: what the code indexes
by). A person looks a record up in Excel or WPS by the **spreadsheet row** (a header row, perhaps title rows
above it, blank rows the reader skipped), in a DBF viewer by the **record number**. ``shown_rows`` turns the
one into the other from what the loader recorded — a sheet's or CSV's ``LoadReport.extra["source_rows"]``, a
DBF's own numbering (the index labels ``read_dbf`` gives: record number − 1, deleted records not counted) —
and ``row_meaning`` says in a sentence which it is. A frame not made by a loader keeps its 1, 2, 3 ….

    >>> import xueji_lib as xj
    >>> roster = xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student")
    >>> shown_rows(roster, [1, 2, 140]).tolist()          # header in spreadsheet row 1
    [2, 3, 141]
    >>> row_meaning(roster)
    '行号为 Excel/WPS 中的行号（表头在第 1 行）'
    >>> row_meaning(xj.read_dbf("data_samples/hei/10_注册上报.dbf"))
    '行号为 DBF 文件中的记录号（第几条记录）'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["shown_rows", "shown_sheets", "row_meaning", "row_word", "file_kind", "rows_text"]


def _frame(data: Any) -> Any:
    """A list as the frame it was read into: an ``io.source`` frame source gives its frame (a converted folder,
    read by an engine, has none: its rows are the DBF's live records in order)."""
    if data is None or isinstance(data, pd.DataFrame):
        return data
    if getattr(data, "is_folder", True) is False and hasattr(data, "frame"):
        return data.frame()
    return None


def list_report(data: Any) -> Any:
    """The loader's ``LoadReport`` of a list (a frame or frame source); None for a frame built in memory or a
    converted folder."""
    data = _frame(data)
    return data.attrs.get("load_report") if isinstance(data, pd.DataFrame) else None


_report = list_report


def file_kind(data: Any) -> str | None:
    """``"sheet"`` (xlsx), ``"csv"``, ``"dbf"`` (also a folder converted from a DBF by ``xueji parquet``: its
    rows are the DBF's live records in order), or None (a frame built in memory)."""
    if getattr(data, "is_folder", False) is True:
        return "dbf"
    rep = _report(data)
    if rep is None:
        return None
    fmt = str(getattr(rep, "format", "") or "").lower()
    return {"xlsx": "sheet", "xlsm": "sheet", "csv": "csv", "dbf": "dbf"}.get(fmt, fmt or None)


def shown_rows(data: Any, rows: Any) -> pd.Series:
    """``rows`` (1-based positions in ``data``; missing values stay missing) as the rows a person sees in the
    file ``data`` was read from: the spreadsheet row for a sheet or CSV, the record number for a DBF. Positions
    out of range, a frame reordered or not made by a loader: the positions themselves. Index labels carry the
    mapping, so a filtered frame (``df[mask]``) still maps each record to its own row.

        >>> roster = xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student")
        >>> shown_rows(roster, [1, None]).tolist()               # header in row 1: the first pupil is row 2
        [2, <NA>]
        >>> shown_rows(roster[roster.index >= 10], [1]).tolist()  # a selection keeps each record's own row
        [12]
    """
    data = _frame(data)
    s = pd.Series(rows).reset_index(drop=True)
    out = pd.array(s, dtype="Int64") if len(s) else pd.array([], dtype="Int64")
    rep = _report(data)
    if rep is None or not len(s):
        return pd.Series(out)
    valid = ~pd.isna(out)
    pos = np.asarray(out[valid], dtype=np.int64) - 1
    if not len(pos) or pos.min() < 0 or pos.max() >= len(data):
        return pd.Series(out)
    labels = data.index
    if not pd.api.types.is_integer_dtype(labels.dtype):
        return pd.Series(out)
    if isinstance(labels, pd.RangeIndex) and labels.start == 0 and len(data) != getattr(rep, "records", len(data)):
        return pd.Series(out)  # filtered and renumbered (reset_index): the labels no longer name the file's records
    lab = np.asarray(labels[pos], dtype=np.int64)
    source = getattr(rep, "extra", {}).get("source_rows")
    if source is not None:
        source = np.asarray(source)
        if lab.min() < 0 or lab.max() >= len(source):
            return pd.Series(out)
        mapped = source[lab]
    elif file_kind(data) == "dbf":
        mapped = lab + 1  # read_dbf: index label = live record number − 1 (also for a records=(…) read)
    else:
        return pd.Series(out)
    result = out.copy()
    result[valid] = mapped
    return pd.Series(result)


def shown_sheets(data: Any, rows: Any) -> pd.Series:
    """The sheet each of ``rows`` (1-based positions in ``data``, as ``shown_rows`` takes them) is in, when ``data``
    was read from several sheets of a workbook (``LoadReport.extra["source_sheets"]``, an index into
    ``extra["sheets"]``); None for a list read from one sheet, a CSV, a DBF or a frame in memory, and where
    ``shown_rows`` cannot map a position (missing, out of range, a renumbered frame).

        >>> shown_sheets(xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student"), [1]).tolist()
        [None]
    """
    data = _frame(data)
    s = pd.Series(rows).reset_index(drop=True)
    none = pd.Series([None] * len(s), dtype=object)
    rep = _report(data)
    extra = getattr(rep, "extra", {}) if rep is not None else {}
    which, sheets = extra.get("source_sheets"), extra.get("sheets") or []
    if which is None or len(sheets) < 2 or not len(s):
        return none
    out = pd.array(s, dtype="Int64")
    valid = ~pd.isna(out)
    pos = np.asarray(out[valid], dtype=np.int64) - 1
    labels = data.index
    if (
        not len(pos)
        or pos.min() < 0
        or pos.max() >= len(data)
        or not pd.api.types.is_integer_dtype(labels.dtype)
        or (isinstance(labels, pd.RangeIndex) and labels.start == 0 and len(data) != getattr(rep, "records", -1))
    ):
        return none  # as shown_rows: only the loader's own labels name the file's records
    lab = np.asarray(labels[pos], dtype=np.int64)
    which = np.asarray(which)
    if lab.min() < 0 or lab.max() >= len(which):
        return none
    names = np.array([str(e.get("name", "")) for e in sheets], dtype=object)
    result = none.copy()
    result[np.flatnonzero(np.asarray(valid))] = names[which[lab]]
    return result


def row_word(data: Any) -> str:
    """How a sentence names one row of ``data``: "行" (a sheet, CSV or a list in memory) or "条记录" (a DBF)."""
    return "条记录" if file_kind(data) == "dbf" else "行"


def rows_text(data: Any, rows: Any, *, sep: str = "、") -> str:
    """ "第 3、7 行" (a sheet: spreadsheet rows) or "第 3、7 条记录" (a DBF) for 1-based positions ``rows``; a list
    read from several sheets names each sheet: "工作表“在校”第 3、7 行，工作表“离校”第 2 行"."""
    shown = shown_rows(data, list(rows))
    sheets = shown_sheets(data, list(rows))
    if sheets.isna().all():
        return f"第 {sep.join(str(int(r)) for r in shown.dropna())} {row_word(data)}"
    groups: dict = {}
    for sheet, row in zip(sheets, shown, strict=True):
        if not pd.isna(row):
            groups.setdefault(sheet, []).append(str(int(row)))
    return "，".join(
        (f"工作表“{sheet}”" if sheet is not None else "") + f"第 {sep.join(r)} {row_word(data)}"
        for sheet, r in groups.items()
    )


def row_meaning(data: Any) -> str:
    """One sentence saying what the 行号 of records from ``data`` are.

    >>> row_meaning(pd.DataFrame({"XM": ["张三"]}))
    '行号为记录在名单中的序号（从 1 起）'
    """
    rep = _report(data)
    kind = file_kind(data)
    if kind in ("sheet", "csv"):
        extra = getattr(rep, "extra", {})
        sheets = extra.get("sheets") or []
        if kind == "sheet" and len(sheets) > 1 and extra.get("source_sheets") is not None:
            heads = "，".join(f"“{s['name']}”表头在第 {s['header_row']} 行" for s in sheets)
            column = extra.get("sheet_column", "工作表")
            return f"行号为 Excel/WPS 中各工作表的行号（{heads}；记录所在的工作表见“{column}”列）"
        header = extra.get("header_row")
        where = f"（表头在第 {header} 行）" if header else ""
        what = "Excel/WPS 中的行号" if kind == "sheet" else "文件中的行号（用记事本或 Excel 打开时看到的行）"
        return f"行号为 {what}{where}"
    if kind == "dbf":
        deleted = int(getattr(rep, "deleted", 0) or 0) if rep is not None else 0
        note = f"，文件中已删除的 {deleted} 条不计在内" if deleted else ""
        return f"行号为 DBF 文件中的记录号（第几条记录{note}）"
    return "行号为记录在名单中的序号（从 1 起）"
