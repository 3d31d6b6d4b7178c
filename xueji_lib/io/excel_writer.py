"""Writing DataFrames to an .xlsx with xlsxwriter, one sheet each, text kept as text (``write_excel``).

Used by ``io.lists`` (``result.save()``), the validation files, the reports' tables.xlsx and the dashboards'
downloads. The rows go straight into each sheet's XML, a block of 4,096 rows at a time built from whole columns
by Arrow (xlsxwriter writes the rest: formats, widths, the frozen header, the autofilter), and are compressed on a
second thread: 200,000 records × 60 fields in a few seconds, where xlsxwriter's per-cell calls took two minutes.
``progress`` reports the rows written, per sheet — 写出 校验结果.xlsx：工作表 数据有误记录：120,000/200,000（60%）; ``writing_progress(True)``
turns it on for every workbook written inside a ``with`` block (how ``reporting.outputs`` shows it for the
files a command writes).

    >>> import xueji_lib as xj
    >>> xj.write_excel({"学生名单": df}, "reports/学生名单.xlsx")              # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import queue
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import WriteError
from ..core.files import atomic_path
from ..core.progress import Progress, ProgressArg
from ..core.textbytes import text_array, text_bytes
from .cells import date_text

__all__ = ["write_excel", "writing_progress", "write_progress_arg", "MAX_ROWS", "MAX_COLS", "MAX_CELL_CHARS"]

_BAD_SHEET_CHARS = set("[]:*?/\\")
MAX_ROWS, MAX_COLS, MAX_CELL_CHARS = 1_048_576, 16_384, 32_767
PROGRESS_ROWS = 4096  # rows between two progress reports
_WRITE_PROGRESS: ContextVar[ProgressArg] = ContextVar("xueji_write_progress", default=None)


def write_progress_arg(progress: ProgressArg = None) -> ProgressArg:
    """``progress``, or when it is None what ``writing_progress`` set for the workbooks being written."""
    return _WRITE_PROGRESS.get() if progress is None else progress


@contextmanager
def writing_progress(progress: ProgressArg) -> Iterator[None]:
    """Within the block, ``write_excel`` calls that do not say ``progress`` report to ``progress`` (None, True, a
    callable: as ``core.progress``): how a command shows the progress of the workbooks a result's ``save``
    writes, without every layer in between passing it on.

        >>> with writing_progress(True):                           # doctest: +SKIP
        ...     result.save("校验结果")
    """
    token = _WRITE_PROGRESS.set(progress)
    try:
        yield
    finally:
        _WRITE_PROGRESS.reset(token)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _sheet_name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "工作表名不能为空"
    if len(name) > 31:
        return f"工作表名“{name}”有 {len(name)} 个字符，Excel 最多允许 31 个"
    bad = sorted(set(name) & _BAD_SHEET_CHARS)
    if bad:
        return f"工作表名“{name}”含有 Excel 不允许的字符 {' '.join(bad)}（不能用 [ ] : * ? / \\）"
    if name.startswith("'") or name.endswith("'"):
        return f"工作表名“{name}”不能以撇号 ' 开头或结尾"
    if name.lower() == "history":
        return "工作表名不能是 History（Excel 保留名）"
    return None


def _text_columns_for(
    text_columns: str | Iterable[str] | Mapping[str, str | Iterable[str]] | None,
    sheet: str,
    df: pd.DataFrame,
    path: Path,
) -> set:
    if text_columns is None:
        return set()
    if isinstance(text_columns, Mapping):
        cols = text_columns.get(sheet, ())
        cols = [cols] if isinstance(cols, str) else list(cols)
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise WriteError(
                path,
                pd.DataFrame(
                    [{"row": None, "field": c, "value": "", "reason": "列不存在"} for c in missing],
                    columns=["row", "field", "value", "reason"],
                ),
                f"工作表“{sheet}”中没有 text_columns 指定的列 {'、'.join(map(str, missing))}",
            )
        return set(cols)
    cols = [text_columns] if isinstance(text_columns, str) else list(text_columns)
    return {c for c in cols if c in df.columns}


def _column_plan(s: pd.Series, as_text: bool) -> tuple[str, pd.Series]:
    """(kind, the column as it is written) for one column: kinds str, num, bool, date, datetime, obj, textobj.
    str and num are written a block of rows at a time by Arrow; the others value by value."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        s = s.astype(object)
        dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return ("textobj" if as_text else "bool"), s
    if pd.api.types.is_numeric_dtype(dtype):
        if as_text:
            return "textobj", s
        biggest = s.abs().max() if len(s) else None
        if pd.api.types.is_integer_dtype(dtype) and pd.notna(biggest) and biggest >= 1e15:
            return "textobj", s  # Excel would keep only 15 digits: write the exact digits as text
        return "num", s
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        notna = s.notna()
        has_time = bool(notna.any() and (s[notna] != s[notna].dt.normalize()).any())
        if as_text:
            return "textobj", s
        return ("datetime" if has_time else "date"), s
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "str", s
    return ("textobj" if as_text else "obj"), s


def _values(kind: str, s: pd.Series) -> list:
    """The column's values as Python objects, as the kind writes them (missing: None; obj: as they are)."""
    if kind == "obj":
        return s.astype(object).tolist()
    return s.astype(object).where(s.notna(), None).tolist()


def _value_text(v: object) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int,)) or (isinstance(v, float) and v.is_integer()):
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.15g}"
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return date_text(v, None)
    return str(v)


def _is_missing(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (str, bytes, list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def write_excel(
    sheets: Mapping[str, pd.DataFrame],
    path: str | os.PathLike,
    *,
    text_columns: str | Iterable[str] | Mapping[str, str | Iterable[str]] | None = None,
    progress: ProgressArg = None,
) -> Path:
    """Write DataFrames to an .xlsx, one sheet each; text stays text (IDs, 学号 "00123", phones).

    Header row bold and frozen, autofilter over the data, column widths from the contents. String
    columns are written as text cells in text format (@); numbers as numbers, datetimes as dates
    (yyyy-mm-dd); missing values as empty cells. ``text_columns`` (column names for every sheet, or
    ``{sheet: [columns]}``) writes those columns as text even if numeric; integer columns holding
    values of 16+ digits are always written as text (Excel would keep only 15 digits). The index is
    not written. The file is written under a temporary name in the same folder and renamed into place.
    ``progress`` (None: as ``writing_progress`` says, else silent; True: notebook or stderr; a callable
    ``(label, done, total)``) is told the rows written every 4,096 rows, the sheet in the label.

        >>> write_excel({"名单": df}, "out/名单.xlsx", text_columns=["学号"])   # doctest: +SKIP
    """
    path = Path(path)
    task = Progress(write_progress_arg(progress), f"写出 {path.name}")
    try:
        _write_excel(sheets, path, text_columns, task)  # finishes the task once the file is in place
    except BaseException:
        task.close(ok=False)
        raise
    return path


# Every value written as it is given: no text turned into a number, a formula or a link, no NaN into an error.
_AS_GIVEN = {
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": False,
}


def _formats(wb: object) -> tuple[object, dict]:  # wb: an xlsxwriter Workbook (imported when writing)
    """The header's bold and the columns' number formats (text @, date, date-time), made in this order: the
    workbook's style numbering, and so the files, stay as they were."""
    bold = wb.add_format({"bold": True})
    fmts = {
        k: wb.add_format({"num_format": f})
        for k, f in (("text", "@"), ("date", "yyyy-mm-dd"), ("datetime", "yyyy-mm-dd hh:mm:ss"))
    }
    return bold, fmts


def _write_excel(sheets, path: Path, text_columns, task: Progress) -> None:
    problems = []
    if path.suffix.lower() != ".xlsx":
        raise WriteError(
            path,
            pd.DataFrame(columns=["row", "field", "value", "reason"]),
            f"只能写 .xlsx 文件，{path.name} 的扩展名不对",
        )
    if not isinstance(sheets, Mapping) or not sheets:
        raise WriteError(path, pd.DataFrame(columns=["row", "field", "value", "reason"]), "没有要写入的工作表")
    seen = set()
    for name, df in sheets.items():
        problem = _sheet_name_problem(name)
        if problem is None and str(name).lower() in seen:
            problem = f"工作表名“{name}”重复（Excel 不区分大小写）"
        if problem is None and not isinstance(df, pd.DataFrame):
            problem = f"工作表“{name}”的内容不是 DataFrame"
        if problem is None and len(df) + 1 > MAX_ROWS:
            problem = f"工作表“{name}”有 {len(df)} 行，超过 Excel 上限 {MAX_ROWS - 1} 行，请分成几个工作表"
        if problem is None and df.shape[1] > MAX_COLS:
            problem = f"工作表“{name}”有 {df.shape[1]} 列，超过 Excel 上限 {MAX_COLS} 列"
        if problem:
            problems.append({"row": None, "field": str(name), "value": str(name), "reason": problem})
        seen.add(str(name).lower())
    if problems:
        raise WriteError(
            path,
            pd.DataFrame(problems, columns=["row", "field", "value", "reason"]),
            "；".join(p["reason"] for p in problems),
        )
    if text_columns is not None and not isinstance(text_columns, Mapping):
        cols = [text_columns] if isinstance(text_columns, str) else list(text_columns)
        absent = [c for c in cols if not any(c in df.columns for df in sheets.values())]
        if absent:
            raise WriteError(
                path,
                pd.DataFrame(
                    [{"row": None, "field": str(c), "value": "", "reason": "列不存在"} for c in absent],
                    columns=["row", "field", "value", "reason"],
                ),
                f"text_columns 指定的列 {'、'.join(map(str, absent))} 在任何工作表中都不存在",
            )
    if isinstance(text_columns, Mapping):
        unknown = [s for s in text_columns if s not in sheets]
        if unknown:
            raise WriteError(
                path,
                pd.DataFrame(columns=["row", "field", "value", "reason"]),
                f"text_columns 指定的工作表 {'、'.join(map(str, unknown))} 不在要写入的工作表中",
            )

    plans = []
    task.total = sum(len(df) for df in sheets.values())
    for name, df in sheets.items():
        task.update(0, f"写出 {path.name}：准备工作表 {name}")
        as_text = _text_columns_for(text_columns, name, df, path)
        cols = []
        for j in range(df.shape[1]):
            header = str(df.columns[j])
            kind, s = _column_plan(df.iloc[:, j], df.columns[j] in as_text)
            s = s.reset_index(drop=True)
            vals = None if kind in _BLOCK_KINDS else _values(kind, s)
            if kind == "str":
                lengths = pc.utf8_length(text_array(s)).to_numpy(zero_copy_only=False)
                long_rows = np.flatnonzero(np.nan_to_num(lengths.astype("float64"), nan=0.0) > MAX_CELL_CHARS)
                long_cells = [(int(i), s.iat[int(i)]) for i in long_rows]
            elif kind in ("obj", "textobj"):
                long_cells = [(i, v) for i, v in enumerate(vals) if isinstance(v, str) and len(v) > MAX_CELL_CHARS]
            else:
                long_cells = []
            for i, v in long_cells:
                problems.append(
                    {
                        "row": i + 2,
                        "field": header,
                        "value": v[:20] + "…",
                        "reason": f"工作表“{name}”第 {i + 2} 行“{header}”有 {len(v)} 个字符，"
                        f"超过 Excel 单元格上限 {MAX_CELL_CHARS}",
                    }
                )
            cols.append(_Column(header, kind, s, vals))
        plans.append((name, len(df), cols))
    if problems:
        raise WriteError(
            path,
            pd.DataFrame(problems, columns=["row", "field", "value", "reason"]),
            f"{len(problems)} 个单元格超长，例如：{problems[0]['reason']}",
        )

    if not path.parent.is_dir():
        raise FileNotFoundError(f"无法写入 {path}：文件夹 {path.parent} 不存在")
    busy = f"无法写入 {path}：文件可能正被 Excel 或 WPS 打开，请关闭后重试"
    constant = sum(n * len(cols) for _, n, cols in plans) > _CONSTANT_MEMORY_CELLS
    escaped = any(_escaped_text(col, constant) for _, _, cols in plans for col in cols)
    with atomic_path(path, prefix=f".~{path.stem}.", suffix=".xlsx", busy_message=busy) as tmp:
        (_write_per_cell if escaped else _write_package)(plans, tmp, path, task, constant)
    task.finish()


_CONSTANT_MEMORY_CELLS = 1_000_000  # above: inline strings (xlsxwriter's constant_memory mode); below: shared


def _escaped_text(col: _Column, constant: bool) -> bool:
    """Whether the column holds text that only the per-cell writer writes as it always did: a rich-text look-alike
    (<r>…</r>) always; control characters or _xHHHH_ in a workbook of shared strings (below a million cells)."""
    pattern = _RICH if constant else f"{_RICH}|{_SPECIAL}"
    if col.kind == "str":
        escape, control, ux = col.flags()
        if not (escape or (not constant and (control or ux))):
            return False
        return bool(pc.any(pc.match_substring_regex(col.arrow(), pattern)).as_py())
    if col.kind in ("obj", "textobj"):
        rx = re.compile(pattern.replace("\\x{", "\\x").replace("}", ""))
        return any(isinstance(v, str) and rx.search(v) for v in col.vals)
    return False


_BLOCK_KINDS = ("str", "num")
# what Python's re counts as whitespace (\s: xlsxwriter keeps a text's blanks when it starts or ends with one)
_WS_CHARS = [c for c in map(chr, range(0x3001)) if re.match(r"\s", c)]  # none above U+3000
_SPECIAL = r"[\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_"  # control characters and _xHHHH_: escaped by xlsxwriter's rules
_RICH = r"^<r>(?s:.*)</r>$"  # xlsxwriter writes such a text as rich text, unescaped
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


class _Column:
    """One column of a sheet: its header, kind, values (a Series; a list of Python values too for the kinds
    written value by value) and, once the workbook's formats are known, the XML each cell's text goes in."""

    __slots__ = ("header", "kind", "series", "vals", "letters", "_arrow", "_flags")

    def __init__(self, header: str, kind: str, series: pd.Series, vals: list | None):
        self.header, self.kind, self.series, self.vals = header, kind, series, vals
        self.letters, self._arrow, self._flags = "", None, None

    def arrow(self) -> pa.Array:
        """A str column as one Arrow array (made once)."""
        if self._arrow is None:
            self._arrow = text_array(self.series)
        return self._arrow

    def flags(self) -> tuple[bool, bool, bool]:
        """A str column's bytes scanned once: (any of & < >, any control character, any "_x") — what could need
        escaping; almost always (False, False, False), and then nothing else is searched."""
        if self._flags is None:
            _, seg = text_bytes(self.arrow())
            hit = _BYTE_FLAGS[seg] if len(seg) else seg
            ux = bool(len(seg) > 1 and ((seg[:-1] == 0x5F) & (seg[1:] == 0x78)).any())
            self._flags = (bool((hit & 1).any()), bool((hit & 2).any()), ux)
        return self._flags

    def sample(self) -> list:
        """The first 1,000 values (the column's width is taken from them)."""
        if self.vals is not None:
            return self.vals[:1000]
        return _values(self.kind, self.series.iloc[:1000])


_BYTE_FLAGS = np.zeros(256, dtype=np.uint8)
_BYTE_FLAGS[[ord("&"), ord("<"), ord(">")]] = 1
_BYTE_FLAGS[[*range(0x00, 0x09), *range(0x0B, 0x20)]] = 2
_ASCII_BLANK = np.zeros(256, dtype=bool)
_ASCII_BLANK[[c for c in range(128) if chr(c) in _WS_CHARS]] = True


def _blank_ends(arr: pa.Array) -> np.ndarray:
    """Per value: starts or ends with a character Python's re counts as whitespace (\\s) — xlsxwriter's test for
    xml:space="preserve" — read from the UTF-8 bytes (the non-ASCII ones: U+0085, U+00A0, U+1680, U+2000–U+200A,
    U+2028, U+2029, U+202F, U+205F, U+3000)."""
    offs, data = text_bytes(arr)
    data = np.concatenate([data, np.zeros(3, dtype=np.uint8)])  # room to look three bytes on
    start, end = offs[:-1], offs[1:]
    n = end - start
    out = np.zeros(len(arr), dtype=bool)
    some = n > 0
    if not some.any():
        return out
    s, e, n = start[some], end[some], n[some]

    def three(x0, x1, x2, ok):
        return ok & (
            ((x0 == 0xE1) & (x1 == 0x9A) & (x2 == 0x80))
            | ((x0 == 0xE2) & (x1 == 0x80) & (((x2 >= 0x80) & (x2 <= 0x8A)) | np.isin(x2, (0xA8, 0xA9, 0xAF))))
            | ((x0 == 0xE2) & (x1 == 0x81) & (x2 == 0x9F))
            | ((x0 == 0xE3) & (x1 == 0x80) & (x2 == 0x80))
        )

    f0, f1, f2 = data[s], data[s + 1], data[s + 2]
    first = _ASCII_BLANK[f0] | ((n >= 2) & (f0 == 0xC2) & np.isin(f1, (0x85, 0xA0))) | three(f0, f1, f2, n >= 3)
    l1, l2, l3 = data[e - 1], data[np.maximum(e - 2, 0)], data[np.maximum(e - 3, 0)]
    last = _ASCII_BLANK[l1] | ((n >= 2) & (l2 == 0xC2) & np.isin(l1, (0x85, 0xA0))) | three(l3, l2, l1, n >= 3)
    out[some] = first | last
    return out


def _t(text: str) -> pa.Scalar:
    """A text piece for the Arrow joins (every text here is large_string: no 2 GB limit on a column)."""
    return pa.scalar(text, pa.large_string())


def _write_package(plans: list, tmp: Path, path: Path, task: Progress, constant: bool) -> None:
    """The workbook: xlsxwriter writes every part but the rows (formats, widths, frozen header, autofilter,
    the header row itself) into memory; the rows are then written straight into each sheet's XML, a block of
    rows at a time from whole columns (as xlsxwriter's constant_memory mode writes them: inline strings, the
    same cell styles), while another thread compresses them into the file."""
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    skeleton = io.BytesIO()
    wb = xlsxwriter.Workbook(skeleton, {"in_memory": True, **_AS_GIVEN})
    bold, fmts = _formats(wb)
    text_fmt, date_fmt, dt_fmt = fmts["text"], fmts["date"], fmts["datetime"]
    written = 0
    bodies = []
    for name, nrows, cols in plans:
        _report(task, written, f"写出 {path.name}：准备工作表 {name}")
        ws = wb.add_worksheet(name)
        for j, col in enumerate(cols):
            sample = [_value_text(v) for v in col.sample() if not _is_missing(v)]
            width = max([_display_width(col.header)] + [_display_width(t) for t in sample]) + 2
            width = min(max(width, 6), 50)
            colfmt = {"str": text_fmt, "textobj": text_fmt, "date": date_fmt, "datetime": dt_fmt}.get(col.kind)
            ws.set_column(j, j, width, colfmt)
            col.letters = xl_col_to_name(j)
        ws.freeze_panes(1, 0)
        if cols:
            ws.autofilter(0, 0, nrows, len(cols) - 1)
        for j, col in enumerate(cols):
            ws.write_string(0, j, col.header, bold)
        # the cells of every row, as text per column; the sheet's extent is its last row holding a value
        filled = np.zeros(nrows, dtype=bool)
        sheet_bodies = []
        for col in cols:
            body = _Bodies(col, fmts)
            filled |= body.filled
            sheet_bodies.append(body)
        last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
        if last and cols:
            ws.dim_rowmax = max(ws.dim_rowmax or 0, last)
        bodies.append((ws, nrows, cols, sheet_bodies, filled))
        written += nrows
    wb.close()

    sheet_part = {f"xl/worksheets/sheet{i + 1}.xml": item for i, item in enumerate(bodies)}
    skeleton.seek(0)
    written = 0
    with zipfile.ZipFile(skeleton) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            target = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            target.external_attr = info.external_attr
            item = sheet_part.get(info.filename)
            if item is None:
                out.writestr(target, data, compresslevel=ZIP_LEVEL)
                continue
            ws, nrows, cols, sheet_bodies, filled = item
            head, sep, tail = data.partition(b"</sheetData>")
            if not sep:  # no header row (a sheet without columns): nothing goes in
                out.writestr(target, data, compresslevel=ZIP_LEVEL)
                written += nrows
                continue
            target._compresslevel = ZIP_LEVEL  # (the attribute zipfile reads in every Python ≥ 3.7)
            big = nrows * max(1, len(cols)) * 120 > 1_500_000_000
            with out.open(target, "w", force_zip64=big) as fh, _Pipe(fh) as pipe:
                pipe.put(head)
                for a in range(0, nrows, PROGRESS_ROWS):
                    b = min(nrows, a + PROGRESS_ROWS)
                    _report(task, written + a, f"写出 {path.name}：工作表 {ws.name}")
                    pipe.put(_rows_xml(a, b, sheet_bodies, filled))
                pipe.put(sep + tail)
            written += nrows
            _report(task, written)
        task.total = None  # every row is written; the file is closed next
        task.update(written, f"写出 {path.name}：保存文件")


ZIP_LEVEL = 1  # deflate level of the parts: a sheet of 200,000 × 60 cells compresses in 3 s, not 9 s at level 6


class _Pipe:
    """Bytes handed to a thread that writes them to ``fh`` (zipfile's deflate releases the GIL): the rows of
    the next block are put together while the last one is compressed. At most two blocks wait."""

    def __init__(self, fh):
        self.fh = fh
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="xueji-xlsx-deflate", daemon=True)

    def _run(self) -> None:
        while True:
            data = self.queue.get()
            if data is None:
                return
            if self.error is None:
                try:
                    self.fh.write(data)
                except BaseException as exc:  # told to the writing thread at its next put or at the end
                    self.error = exc

    def put(self, data) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def __enter__(self) -> _Pipe:
        self.thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.queue.put(None)
        self.thread.join()
        if exc_type is None and self.error is not None:
            raise self.error


class _Bodies:
    """The XML of a column's cells: ``<c r="A2" s="2" t="inlineStr"><is><t>…</t></is></c>`` — what xlsxwriter's
    constant_memory mode writes for each cell (the same types, styles, escapes, and no cell for a missing value
    or an empty string) — for any block of rows. A str column is checked once for what needs escaping and then
    joined a block at a time by Arrow; a num column's texts are made once; the other kinds value by value."""

    def __init__(self, col: _Column, fmts: dict):
        self.prefix = _t(f'<c r="{col.letters}')
        self.text_s = text_s = fmts["text"]._get_xf_index()
        self.start = _t(f'" s="{text_s}" t="inlineStr"><is><t>')
        self.end = _t("</t></is></c>")
        self.whole: pa.Array | None = None  # every cell's XML after its reference, null for none
        self.arr: pa.Array | None = None  # a str column's texts (escaped; null for none), joined block by block
        self.starts: pa.Array | None = None  # the start of each str cell when some keep their blanks
        if col.kind == "str":
            self._texts(col)
        elif col.kind == "num":
            self._numbers(col.series)
        else:
            date_s, dt_s = fmts["date"]._get_xf_index(), fmts["datetime"]._get_xf_index()
            cells = [_cell_xml(col.kind, v, text_s, date_s, dt_s) for v in col.vals]
            self.whole = pa.array(cells, type=pa.large_string())
            self.filled = np.array([c is not None for c in cells], dtype=bool)

    def _texts(self, col: _Column) -> None:
        arr = col.arrow()
        filled = pc.fill_null(pc.greater(pc.binary_length(arr), 0), False)
        self.filled = filled.to_numpy(zero_copy_only=False)
        if not self.filled.all():
            arr = pc.if_else(filled, arr, pa.scalar(None, arr.type))
        escape, control, ux = col.flags()
        special = None
        if control or ux:
            special = pc.fill_null(pc.match_substring_regex(arr, _SPECIAL), False)
            if not pc.any(special).as_py():
                special = None
        original = arr
        if escape:
            for old, new in _ESCAPES:
                arr = pc.replace_substring(arr, old, new)
        preserve = _blank_ends(arr)
        if preserve.any():
            kept = _t(f'" s="{self.text_s}" t="inlineStr"><is><t xml:space="preserve">')
            self.starts = pc.if_else(pa.array(preserve), kept, self.start)
        if special is not None:  # control characters or _xHHHH_ (a workbook of inline strings): as xlsxwriter does
            cells = self._join(arr, self.starts).to_pylist()
            values = original.to_pylist()
            for i in np.flatnonzero(special.to_numpy(zero_copy_only=False)):
                cells[i] = _str_cell(values[i], self.text_s)
            self.whole = pa.array(cells, type=pa.large_string())
        else:
            self.arr = arr

    def _join(self, arr: pa.Array, starts: pa.Array | None) -> pa.Array:
        return pc.binary_join_element_wise(self.start if starts is None else starts, arr, self.end, _t(""))

    def _numbers(self, s: pd.Series) -> None:
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        ok = np.isfinite(v)
        self.filled = ok
        whole_ints = ok & (np.abs(np.where(ok, v, 0)) < 1e15) & (v == np.round(np.where(ok, v, 0)))
        minus_zero = (v == 0) & np.signbit(v)
        if pd.api.types.is_integer_dtype(s.dtype) and ok.all():  # exact integers, any size below 1e15
            texts = pa.array(s.to_numpy(dtype="int64")).cast(pa.large_string())
        elif (whole_ints | ~ok).all() and not minus_zero.any():
            texts = pa.array(np.where(ok, v, 0).astype("int64")).cast(pa.large_string())
        else:
            texts = pa.array([f"{x:.16G}" for x in np.where(ok, v, 0).tolist()], type=pa.large_string())
        body = pc.binary_join_element_wise(_t('"><v>'), texts, _t("</v></c>"), _t(""))
        self.whole = pc.if_else(pa.array(ok), body, pa.scalar(None, pa.large_string()))

    def cells(self, numbers: pa.Array, a: int, b: int, keep: pa.Array | None) -> pa.Array:
        """The cells of rows a..b (0-based, end excluded; only the rows ``keep`` within them, when given), each
        ``<c r="{letters}{numbers[i]}…</c>``; null where there is no cell."""

        def part(x: pa.Array) -> pa.Array:
            x = x.slice(a, b - a)
            return x if keep is None else x.take(keep)

        if self.whole is not None:
            return pc.binary_join_element_wise(self.prefix, numbers, part(self.whole), _t(""))
        start = self.start if self.starts is None else part(self.starts)
        return pc.binary_join_element_wise(self.prefix, numbers, start, part(self.arr), self.end, _t(""))


def _str_cell(v: str, text_s: int) -> str:
    """A text cell's XML after its reference, exactly as xlsxwriter's constant_memory mode writes it."""
    from xlsxwriter.utility import _preserve_whitespace
    from xlsxwriter.xmlwriter import XMLwriter

    v = XMLwriter._escape_control_characters(v)
    space = ' xml:space="preserve"' if _preserve_whitespace(v) else ""
    v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'" s="{text_s}" t="inlineStr"><is><t{space}>{v}</t></is></c>'


def _cell_xml(kind: str, v: object, text_s: int, date_s: int, dt_s: int) -> str | None:
    """One value of a column written value by value (bool, date, datetime, textobj, obj): the XML after its
    cell reference, or None for no cell — what the per-cell writer wrote through xlsxwriter."""
    from xlsxwriter.utility import _datetime_to_excel_datetime

    def number(x) -> str:
        return f'"><v>{x:.16G}</v></c>'

    def date(x, s) -> str:
        return f'" s="{s}"><v>{_datetime_to_excel_datetime(x, False, False):.16G}</v></c>'

    if kind == "date" or kind == "datetime":
        if v is None or v is pd.NaT:
            return None
        return date(v, date_s if kind == "date" else dt_s)
    if kind == "bool":
        return None if v is None else f'" t="b"><v>{1 if v else 0}</v></c>'
    if kind == "textobj":
        if _is_missing(v) or v == "":
            return None
        return _str_cell(_value_text(v), text_s)
    # obj: by value
    if _is_missing(v):
        return None
    if isinstance(v, str):
        return _str_cell(v, text_s) if v else None
    if isinstance(v, bool):
        return f'" t="b"><v>{1 if v else 0}</v></c>'
    if isinstance(v, (int, float)):
        if isinstance(v, float) and math.isinf(v):
            return None
        if isinstance(v, int) and abs(v) >= 1e15:
            return _str_cell(str(v), text_s)
        return number(v)
    if isinstance(v, _dt.datetime):
        if v.tzinfo is not None:
            v = v.replace(tzinfo=None)
        has_time = v.hour or v.minute or v.second
        return date(v, dt_s if has_time else date_s)
    if isinstance(v, _dt.date):
        return date(v, date_s)
    return _str_cell(_value_text(v), text_s)


def _rows_xml(a: int, b: int, bodies: list, filled: np.ndarray) -> memoryview:
    """``<row r="…">`` elements of rows a..b (0-based data rows; Excel row a + 2 …), rows without a cell left out."""
    keep_rows = filled[a:b]
    if keep_rows.all():
        keep, numbers = None, pa.array(np.arange(a + 2, b + 2)).cast(pa.large_string())
    else:
        idx = np.flatnonzero(keep_rows)
        if not len(idx):
            return memoryview(b"")
        keep, numbers = pa.array(idx), pa.array(idx + a + 2).cast(pa.large_string())
    cells = [body.cells(numbers, a, b, keep) for body in bodies]
    skip = pc.JoinOptions(null_handling="skip")
    rows = pc.binary_join_element_wise(_t('<row r="'), numbers, _t('">'), *cells, _t("</row>"), _t(""), options=skip)
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64, count=len(rows) + 1, offset=rows.offset * 8)
    first, end = int(offsets[0]), int(offsets[-1])
    return memoryview(rows.buffers()[2])[first:end]


def _write_per_cell(plans: list, tmp: Path, path: Path, task: Progress, constant: bool) -> None:
    """The workbook cell by cell through xlsxwriter (shared strings below a million cells, as Excel writes them;
    inline strings above): for a workbook holding text that xlsxwriter escapes (control characters, _xHHHH_,
    <r>…</r>), whose cells read back differently from shared and inline strings — so that they stay as they
    were. Every other workbook is written by ``_write_package``."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp), {**_AS_GIVEN, "constant_memory": constant})
    bold, fmts = _formats(wb)
    text_fmt, date_fmt, dt_fmt = fmts["text"], fmts["date"], fmts["datetime"]
    written = 0
    for name, nrows, cols in plans:
        _report(task, written, f"写出 {path.name}：工作表 {name}")
        ws = wb.add_worksheet(name)
        for col in cols:
            if col.vals is None:
                col.vals = _values(col.kind, col.series)
        for j, col in enumerate(cols):
            header, kind, vals = col.header, col.kind, col.vals
            sample = [_value_text(v) for v in vals[:1000] if not _is_missing(v)]
            width = max([_display_width(header)] + [_display_width(t) for t in sample]) + 2
            width = min(max(width, 6), 50)
            colfmt = {"str": text_fmt, "textobj": text_fmt, "date": date_fmt, "datetime": dt_fmt}.get(kind)
            ws.set_column(j, j, width, colfmt)
        ws.freeze_panes(1, 0)
        if cols:
            ws.autofilter(0, 0, nrows, len(cols) - 1)
        for j, col in enumerate(cols):
            ws.write_string(0, j, col.header, bold)
        writers = [(col.kind, col.vals) for col in cols]
        for i in range(nrows):
            r = i + 1
            if not r % PROGRESS_ROWS:
                _report(task, written + r)
            for j, (kind, vals) in enumerate(writers):
                v = vals[i]
                if kind == "str":
                    if v:  # None and "" stay empty cells
                        ws.write_string(r, j, v, text_fmt)
                elif kind == "num":
                    if v is not None and not (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
                        ws.write_number(r, j, v)
                elif kind == "date" or kind == "datetime":
                    if v is not None and v is not pd.NaT:
                        ws.write_datetime(r, j, v, date_fmt if kind == "date" else dt_fmt)
                elif kind == "bool":
                    if v is not None:
                        ws.write_boolean(r, j, bool(v))
                elif kind == "textobj":
                    if not _is_missing(v) and v != "":
                        ws.write_string(r, j, _value_text(v), text_fmt)
                else:  # obj: by value
                    if _is_missing(v):
                        continue
                    if isinstance(v, str):
                        if v:
                            ws.write_string(r, j, v, text_fmt)
                    elif isinstance(v, bool):
                        ws.write_boolean(r, j, v)
                    elif isinstance(v, (int, float)) and not isinstance(v, bool):
                        if isinstance(v, float) and math.isinf(v):
                            continue
                        if isinstance(v, int) and abs(v) >= 1e15:
                            ws.write_string(r, j, str(v), text_fmt)
                        else:
                            ws.write_number(r, j, v)
                    elif isinstance(v, _dt.datetime):
                        if v.tzinfo is not None:
                            v = v.replace(tzinfo=None)
                        has_time = v.hour or v.minute or v.second
                        ws.write_datetime(r, j, v, dt_fmt if has_time else date_fmt)
                    elif isinstance(v, _dt.date):
                        ws.write_datetime(r, j, v, date_fmt)
                    else:
                        ws.write_string(r, j, _value_text(v), text_fmt)
        written += nrows
    task.total = None  # every row is written; the file is not saved yet (zipping a large one takes seconds)
    task.update(written, f"写出 {path.name}：保存文件")
    wb.close()


def _report(task: Progress, done: int, label: str | None = None) -> None:
    """``done`` rows written, kept below the total until the file is saved (a display would say 完成 too early)."""
    task.update(min(done, task.total - 1) if task.total else done, label)
