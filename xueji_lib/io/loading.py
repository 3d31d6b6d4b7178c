"""A list file loaded, and the layout it has: the one function the command line, the dashboards' catalogue
and the reports load a list with.

    >>> from xueji_lib.io.loading import load_list
    >>> df, lay, why = load_list("data_samples/k12/学生名单_2026春.xlsx")
    >>> len(df), lay.name, "XJH" in df.columns          # the sheet's Chinese headers became field codes
    (1437, 'k12_student', True)
    >>> why.endswith("属于版式 k12_student（全国中小学生学籍 学生基础信息（导入模板），共 59 个字段），必填字段齐全")
    True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ..core.errors import LayoutError
from ..core.progress import ProgressArg
from ..schema.layouts import Layout, load_layout, recognize_layout
from .assemble import HeaderMatcher, _clean_header, find_header, renumbered
from .loadinfo import load_report
from .parquet import is_parquet_folder, parquet_shape
from .tables import TEXT_SUFFIXES, XLSX_SUFFIXES, load_file, read_table, read_table_choosing

__all__ = ["LoadedList", "load_list", "header_names", "GIVEN_LAYOUT"]

GIVEN_LAYOUT = "按指定的版式"  # the reason when the caller named the layout


class LoadedList(NamedTuple):
    """What ``load_list`` returns: ``data`` (the records; a converted folder's path with ``keep_folder``),
    ``layout`` (None when none fits) and ``reason`` (a Chinese sentence: how the layout was chosen, or why
    none was)."""

    data: pd.DataFrame | Path
    layout: Layout | None
    reason: str


def load_list(
    path: str | os.PathLike,
    layout: str | os.PathLike | Layout | None = None,
    *,
    encoding: str | None = None,
    fallback: str | os.PathLike | Layout | None = None,
    complete: bool = False,
    keep_folder: bool = False,
    progress: ProgressArg = None,
) -> LoadedList:
    """Load a list — a DBF, a sheet or CSV, or a folder converted by ``xueji parquet`` — and find its layout.

    ``layout`` given (a name, a ``.yml`` path or a ``Layout``): used as it is; a sheet is read through it.
    Otherwise the layout is recognised from the fields (``recognize_layout``: a DBF's field codes, a sheet's
    headers as each layout maps them); a sheet's from its header row alone, before its records are read once,
    through the layout found, so that its headers become field codes. When no layout fits, ``layout`` is None and ``reason`` is the sentence that
    says so (raise it as a ``LayoutError`` where a layout is needed); ``fallback`` names a layout to read
    such a sheet through instead (a DBF's or a folder's fields are codes already: they stay without one).
    ``complete=True``: a layout counts only when the file has all its required fields (a school's own sheet
    that merely resembles a layout is not checked against it). ``keep_folder=True``: a converted folder is
    not loaded; ``data`` is its path (for the engine to read) and its layout is recognised from its Parquet
    footer. ``encoding`` and ``progress`` as in ``load_file``.

        >>> df, lay, why = load_list("data_samples/hei/10_注册上报.dbf")          # doctest: +SKIP
        >>> df, lay, why = load_list("名单.xlsx", "k12_student")                  # doctest: +SKIP
    """
    path = Path(path)
    folder = is_parquet_folder(path)
    sheet = not folder and path.suffix.lower() != ".dbf"
    if layout is not None:
        lay = load_layout(layout)
        if keep_folder and folder:
            return LoadedList(path, lay, GIVEN_LAYOUT)
        return LoadedList(
            load_file(path, lay if sheet else None, encoding=encoding, progress=progress), lay, GIVEN_LAYOUT
        )
    suffix = path.suffix.lower()
    if sheet and (suffix in XLSX_SUFFIXES or suffix in TEXT_SUFFIXES or suffix == ".xls"):
        return _load_sheet(path, encoding, fallback, complete, progress)
    if keep_folder and folder:
        data, columns = path, parquet_shape(path)[1]
    else:
        data = load_file(path, encoding=encoding, progress=progress)
        columns = list(data.columns)
    lay, reason = _layout_of(columns, False, None, complete)
    return LoadedList(data, lay, reason)


def _layout_of(
    columns: list, headers: bool, fallback: str | os.PathLike | Layout | None, complete: bool
) -> tuple[Layout | None, str]:
    """The layout ``columns`` (a DBF's or folder's field codes; with ``headers`` a sheet's column names as a
    read without a layout gives them) are recognised as, and the reason (see ``load_list``)."""
    try:
        lay, reason = recognize_layout(columns, headers=headers)
    except LayoutError as exc:
        lay, reason = None, str(exc)
    if lay is not None and complete:
        cols = {(lay.match_header(str(c)) if headers else None) or str(c).strip().upper() for c in columns}
        if not set(lay.required) <= cols:
            lay, reason = None, f"{reason}：不按这个版式处理"
    if lay is None and fallback is not None and headers:
        lay = load_layout(fallback)
        reason = f"{reason}（按版式 {lay.name} 读入）"
    return lay, reason


def header_names(scan: list[tuple[int, list[str]]], filled: set[int] | None = None) -> tuple[int, list[str]] | None:
    """(header row, column names) a sheet read without a layout gets, from its first non-blank rows (``scan``:
    [(row, cell texts)] as the readers scan them): the header row found as ``assemble`` finds it, each header
    text cleaned (★ and extra blanks), a blank header over data named 列N, repeated names numbered (姓名_2).
    ``filled``: the 0-based columns that hold data below the header (None: those holding data in ``scan``).
    None when no row of ``scan`` is a header.

    >>> header_names([(1, ["学生名单", ""]), (2, ["学籍号", " 姓名★", "", "姓名"]), (3, ["G1", "张三", "x", "张三"])])
    (2, ['学籍号', '姓名', '列3', '姓名_2'])
    """
    found = find_header(scan, HeaderMatcher(None))
    if found is None:
        return None
    row, texts = scan[found[0]]
    if filled is None:
        filled = {j for _, cells in scan[found[0] + 1 :] for j, t in enumerate(cells) if t}
    width = max([len(texts), *(j + 1 for j in filled)])
    names: list[str | None] = []
    for j in range(width):
        name = _clean_header(texts[j].strip() if j < len(texts) else "")
        names.append(name or (f"列{j + 1}" if j in filled else None))
    seen: set[str] = set()
    out = []
    for name in names:  # as assemble numbers repeated names
        if name is None:
            continue
        if name in seen:
            name = renumbered(name, seen, names)
        seen.add(name)
        out.append(name)
    return row, out


def _load_sheet(
    path: Path,
    encoding: str | None,
    fallback: str | os.PathLike | Layout | None,
    complete: bool,
    progress: ProgressArg,
) -> LoadedList:
    """A sheet or CSV without a given layout, its rows read once: the layout recognised from the header row
    alone (the readers' first rows), then the one full read through it."""
    seen: dict = {}

    def choose(scan: list[tuple[int, list[str]]], where: str | None) -> Layout | None:
        head = header_names(scan)
        if head is None:  # no header row: the read without a layout says so
            return None
        lay, reason = _layout_of(head[1], True, fallback, complete)
        seen.update(scan=scan, sheet=where, header_row=head[0], names=head[1], layout=lay, reason=reason)
        return lay

    data = read_table_choosing(path, choose, encoding=encoding, progress=progress)
    if not seen:
        columns = list(data.columns)
        lay, reason = _layout_of(columns, True, fallback, complete)
        if lay is not None:  # not reached: a read without a header row fails
            data = load_file(path, lay, encoding=encoding, progress=progress)
        return LoadedList(data, lay, reason)
    lay, reason = seen["layout"], seen["reason"]
    rep = load_report(data)
    extra = rep.extra if rep is not None else {}
    if extra.get("header_row") == seen["header_row"] and extra.get("sheet") == seen["sheet"]:
        # a blank header over data below the first rows is a column (列N) of a read without a layout too: the
        # fields are counted as when the sheet was read without a layout first
        filled = {
            int(name[1:]) - 1
            for w in rep.warnings
            if w.code == "BLANK_HEADER" and w.sheet in (None, seen["sheet"])  # several sheets: the first one's
            for _, name, _ in w.examples
            if name.startswith("列") and name[1:].isdigit()
        }
        names = header_names(seen["scan"], filled)[1]
        if names != seen["names"]:
            again, reason = _layout_of(names, True, fallback, complete)
            if (again and again.name) != (lay and lay.name):  # not met in practice: read as the layout says
                data = read_table(path, again, encoding=encoding, progress=progress)
                lay = again
    return LoadedList(data, lay, reason)
