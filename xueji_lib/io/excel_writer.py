"""Writing DataFrames to an .xlsx with xlsxwriter, one sheet each, text kept as text (``write_excel``).

Used by ``io.lists`` (``result.save()``), the validation files, the reports' tables.xlsx and the dashboards'
downloads. A large workbook takes a while (200,000 records: a minute or two): ``progress`` reports the rows
written, per sheet — 写出 校验结果.xlsx：工作表 数据有误记录：120,000/200,000（60%）; ``writing_progress(True)``
turns it on for every workbook written inside a ``with`` block (how ``reporting.outputs`` shows it for the
files a command writes).

    >>> import xueji_lib as xj
    >>> xj.write_excel({"学生名单": df}, "reports/学生名单.xlsx")              # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import pandas as pd

from ..core.errors import WriteError
from ..core.files import atomic_path
from ..core.progress import Progress, ProgressArg
from .cells import date_text

__all__ = ["write_excel", "writing_progress", "write_progress_arg", "MAX_ROWS", "MAX_COLS", "MAX_CELL_CHARS"]

_BAD_SHEET_CHARS = set("[]:*?/\\")
MAX_ROWS, MAX_COLS, MAX_CELL_CHARS = 1_048_576, 16_384, 32_767
_CONSTANT_MEMORY_CELLS = 1_000_000
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


def _column_plan(s: pd.Series, as_text: bool) -> tuple[str, list]:
    """(kind, values list) for one column: kinds str, num, bool, date, datetime, obj, textobj."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        s = s.astype(object)
        dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        vals = s.astype(object).where(s.notna(), None).tolist()
        return ("textobj" if as_text else "bool"), vals
    if pd.api.types.is_numeric_dtype(dtype):
        vals = s.astype(object).where(s.notna(), None).tolist()
        if as_text:
            return "textobj", vals
        biggest = s.abs().max() if len(s) else None
        if pd.api.types.is_integer_dtype(dtype) and pd.notna(biggest) and biggest >= 1e15:
            return "textobj", vals  # Excel would keep only 15 digits: write the exact digits as text
        return "num", vals
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        notna = s.notna()
        vals = s.astype(object).where(notna, None).tolist()
        has_time = bool(notna.any() and (s[notna] != s[notna].dt.normalize()).any())
        if as_text:
            return "textobj", vals
        return ("datetime" if has_time else "date"), vals
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "str", s.astype(object).where(s.notna(), None).tolist()
    return ("textobj" if as_text else "obj"), s.astype(object).tolist()


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


def _write_excel(sheets, path: Path, text_columns, task: Progress) -> None:
    import xlsxwriter

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
            kind, vals = _column_plan(df.iloc[:, j], df.columns[j] in as_text)
            if kind in ("str", "obj", "textobj"):
                for i, v in enumerate(vals):
                    if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                        problems.append(
                            {
                                "row": i + 2,
                                "field": header,
                                "value": v[:20] + "…",
                                "reason": f"工作表“{name}”第 {i + 2} 行“{header}”有 {len(v)} 个字符，"
                                f"超过 Excel 单元格上限 {MAX_CELL_CHARS}",
                            }
                        )
            cols.append((header, kind, vals))
        plans.append((name, len(df), cols))
    if problems:
        raise WriteError(
            path,
            pd.DataFrame(problems, columns=["row", "field", "value", "reason"]),
            f"{len(problems)} 个单元格超长，例如：{problems[0]['reason']}",
        )

    if not path.parent.is_dir():
        raise FileNotFoundError(f"无法写入 {path}：文件夹 {path.parent} 不存在")
    total_cells = sum(n * len(cols) for _, n, cols in plans)
    busy = f"无法写入 {path}：文件可能正被 Excel 或 WPS 打开，请关闭后重试"
    with atomic_path(path, prefix=f".~{path.stem}.", suffix=".xlsx", busy_message=busy) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": False,
                "constant_memory": total_cells > _CONSTANT_MEMORY_CELLS,
            },
        )
        bold = wb.add_format({"bold": True})
        text_fmt = wb.add_format({"num_format": "@"})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        written = 0
        for name, nrows, cols in plans:
            _report(task, written, f"写出 {path.name}：工作表 {name}")
            ws = wb.add_worksheet(name)
            for j, (header, kind, vals) in enumerate(cols):
                sample = [_value_text(v) for v in vals[:1000] if not _is_missing(v)]
                width = max([_display_width(header)] + [_display_width(t) for t in sample]) + 2
                width = min(max(width, 6), 50)
                colfmt = {"str": text_fmt, "textobj": text_fmt, "date": date_fmt, "datetime": dt_fmt}.get(kind)
                ws.set_column(j, j, width, colfmt)
            ws.freeze_panes(1, 0)
            if cols:
                ws.autofilter(0, 0, nrows, len(cols) - 1)
            for j, (header, _, _) in enumerate(cols):
                ws.write_string(0, j, header, bold)
            writers = []
            for _header, kind, vals in cols:
                writers.append((kind, vals))
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
    task.finish()


def _report(task: Progress, done: int, label: str | None = None) -> None:
    """``done`` rows written, kept below the total until the file is saved (a display would say 完成 too early)."""
    task.update(min(done, task.total - 1) if task.total else done, label)
