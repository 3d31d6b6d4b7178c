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
from .parquet import is_parquet_folder, parquet_shape
from .tables import load_file

__all__ = ["LoadedList", "load_list", "GIVEN_LAYOUT"]

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
    headers as each layout maps them), and a sheet is read again through the layout found, so that its
    headers become field codes. When no layout fits, ``layout`` is None and ``reason`` is the sentence that
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
    if keep_folder and folder:
        data, columns = path, parquet_shape(path)[1]
    else:
        data = load_file(path, encoding=encoding, progress=progress)
        columns = list(data.columns)
    try:
        lay, reason = recognize_layout(columns, headers=sheet)
    except LayoutError as exc:
        lay, reason = None, str(exc)
    if lay is not None and complete:
        cols = {(lay.match_header(str(c)) if sheet else None) or str(c).strip().upper() for c in columns}
        if not set(lay.required) <= cols:
            lay, reason = None, f"{reason}：不按这个版式处理"
    if lay is None and fallback is not None and sheet:
        lay = load_layout(fallback)
        reason = f"{reason}（按版式 {lay.name} 读入）"
    if sheet and lay is not None:  # read again so that the headers map to this layout's field codes
        data = load_file(path, lay, encoding=encoding, progress=progress)
    return LoadedList(data, lay, reason)
