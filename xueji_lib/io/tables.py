"""Read Excel (.xlsx) and CSV rosters as text; write DataFrames to Excel with IDs kept as text.

    >>> import xueji_lib as xj
    >>> df = xj.read_table("data_samples/k12/学生名单.xlsx", "k12_student")   # doctest: +SKIP
    >>> print(xj.load_report(df).summary())                                  # doctest: +SKIP
    >>> xj.write_excel({"学生名单": df}, "reports/学生名单.xlsx")              # doctest: +SKIP

``read_table`` returns every cell as the text the user typed or sees, in a ``str`` column; an empty
cell is ``""``. It never "repairs" a value: an 18-digit ID that Excel stored as a number comes back
with the digits Excel kept, and the ``LoadReport`` (``df.attrs["load_report"]``) says which rows lost
digits (``EXCEL_NUMBER_DAMAGED``). Other warning codes: ``EXCEL_SERIAL_DATE``, ``LEADING_APOSTROPHE``,
``FORMULA_TEXT``, ``NUMBER_FORMAT_ZEROS``, ``LONG_NUMBER_CELL``, ``EXCEL_ERROR_VALUE``, ``FORMULA_NO_VALUE``,
``BLANK_HEADER``, ``DUPLICATE_HEADER``, ``BLANK_ROWS``; the ones in ``INFO_CODES`` are notes only.

Rows: the header is looked for among the first 10 non-blank rows; non-blank rows above it are titles
(``extra["title_rows"]``). Blank rows below the header (every cell empty or spaces) are left out and
counted: ``extra["blank_rows"]`` (between the header and the last record, also a ``BLANK_ROWS`` note)
and ``extra["trailing_blank_rows"]`` (only spaces, after the last record), so every row below the
header is either a record or counted. ``extra["source_rows"][i]`` is the spreadsheet row
(1-based, as Excel shows it) of record ``i`` (a numpy array: pandas deep-copies ``attrs`` on every
operation, a 100,000-item list would make each one slow); warning examples name spreadsheet rows too.

Speed: the sheet XML is scanned with regular expressions instead of openpyxl's per-cell parser
(openpyxl still reads the workbook, shared strings and styles): 100,000 × 60 cells load in about 7 s
against 55 s through openpyxl's cells. A sheet the scanner
does not understand (namespace prefixes, a non-UTF-8 XML) is read through openpyxl's read-only API,
with the same results.
"""

from __future__ import annotations

import csv
import datetime as _dt
import html
import io
import math
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from decimal import Decimal
from itertools import chain
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import FileFormatError, WriteError, XuejiError
from ..core.files import atomic_path
from ..core.privacy import mask_value, personal_kind
from ..core.progress import Progress
from ..schema.layouts import Layout, load_layout
from .loadinfo import MAX_EXAMPLES, FieldSpec, LoadReport, LoadWarning, WarningTally

__all__ = ["read_table", "write_excel", "INFO_CODES"]

HEADER_SCAN_ROWS = 10
CHUNK_ROWS = 50_000  # rows held as Python strings before they go into Arrow arrays
INFO_CODES = frozenset({"EXCEL_SERIAL_DATE", "LEADING_APOSTROPHE", "FORMULA_TEXT", "NUMBER_FORMAT_ZEROS", "BLANK_ROWS"})
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
SERIAL_MIN, SERIAL_MAX = 20000, 80000  # 1954-10-03 … 2119-01-10: plausible Excel date serials
_USE_FAST_XLSX = True  # tests switch this off to check that both xlsx paths agree

_SCI_TEXT = re.compile(r"\s*[+-]?\d+(?:\.\d*)?[eE]\+?\d+\s*")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# ----------------------------------------------------------------------------------------- cell text


def _date_text(value, datefmt: str | None) -> str:
    """A datetime/date/time/timedelta as text: layout format, else YYYY-MM-DD[ HH:MM:SS]."""
    if isinstance(value, _dt.datetime) or isinstance(value, _dt.date):
        y, m, d = value.year, value.month, value.day
        if datefmt == "YYYYMMDD":
            return f"{y:04d}{m:02d}{d:02d}"
        if datefmt == "YYYYMM":
            return f"{y:04d}{m:02d}"
        text = f"{y:04d}-{m:02d}-{d:02d}"
        if isinstance(value, _dt.datetime) and (value.hour or value.minute or value.second):
            text += f" {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        return text
    if isinstance(value, _dt.time):
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if isinstance(value, _dt.timedelta):
        secs = int(round(value.total_seconds()))
        sign = "-" if secs < 0 else ""
        secs = abs(secs)
        return f"{sign}{secs // 3600}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    return str(value)


def _serial_to_date(x: float, epoch: _dt.datetime) -> _dt.datetime:
    from openpyxl.utils.datetime import from_excel

    return from_excel(x, epoch)


def _number_text(x, zeros: int, datefmt: str | None, epoch) -> tuple[str, str | None]:
    """A numeric cell as the text Excel shows; plus a warning code or None."""
    if isinstance(x, str):  # the fast path hands over the <v> text
        if x.isdigit() and len(x) <= 15 and (x[0] != "0" or len(x) == 1) and not zeros and not datefmt:
            return x, None
        x = float(x) if ("." in x or "e" in x or "E" in x) else int(x)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x), None
        integral = x.is_integer()
    else:
        integral = True
    if datefmt and SERIAL_MIN <= x <= SERIAL_MAX:
        return _date_text(_serial_to_date(float(x), epoch), datefmt), "EXCEL_SERIAL_DATE"
    if integral:
        if abs(x) >= 1e15:
            # the digits as stored: Excel keeps 15 significant digits and pads with zeros
            text = str(x) if isinstance(x, int) else str(int(Decimal(repr(x))))
            if len(text.lstrip("-").rstrip("0")) > 15:  # all digits still there (not saved by Excel)
                return text, "LONG_NUMBER_CELL"
            return text, "EXCEL_NUMBER_DAMAGED"
        text = str(int(x))
        if zeros and x >= 0 and len(text) < zeros:
            return text.zfill(zeros), "NUMBER_FORMAT_ZEROS"
        return text, None
    text = f"{x:.15g}"  # Excel keeps and shows at most 15 significant digits
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}E{exp[0]}{exp[1:]}" if exp[0] in "+-" else f"{mant}E+{exp}"
    return text, None


def _text_text(s: str) -> tuple[str, str | None]:
    """A text cell: drop an export's leading apostrophe or ="…" wrapper; flag scientific notation."""
    code = None
    first = s[0]
    if first == "'" and len(s) > 1 and s[1].isascii() and s[1].isalnum():
        s, code = s[1:], "LEADING_APOSTROPHE"
    elif first == "=" and len(s) >= 3 and s[1] == '"' and s[-1] == '"':
        s, code = s[2:-1].replace('""', '"'), "FORMULA_TEXT"
    if ("E" in s or "e" in s) and _SCI_TEXT.fullmatch(s):
        try:
            if abs(float(s)) >= 1e10:
                return s, "EXCEL_NUMBER_DAMAGED"
        except ValueError:
            pass
    return s, code


def _cell_text(value, kind: str, zeros: int, datefmt: str | None, epoch) -> tuple[str, str | None]:
    """(text, warning code or None) of one raw cell. ``kind``: s text, n number, d date/time,
    b boolean, e error, f formula without a saved result."""
    if kind == "s":
        if not value:
            return "", None
        if value[0] in "'=" or "E" in value or "e" in value:
            return _text_text(value)
        return value, None
    if kind == "n":
        return _number_text(value, zeros, datefmt, epoch)
    if kind == "d":
        return _date_text(value, datefmt), None
    if kind == "b":
        return ("TRUE" if value else "FALSE"), None
    if kind == "e":
        return str(value), "EXCEL_ERROR_VALUE"
    if kind == "f":
        return "", "FORMULA_NO_VALUE"
    return ("" if value is None else str(value)), None


# --------------------------------------------------------------------------------------- xlsx access


def _zero_pad_width(number_format: str | None) -> int:
    """'000000' → 6 (a custom format that shows leading zeros); anything else → 0."""
    if number_format and number_format.strip('"') and set(number_format) == {"0"}:
        return len(number_format)
    return 0


# One pattern for everything inside <sheetData>: the plain cell form Excel, WPS, POI and xlsxwriter
# write (groups 1-5), any other cell (6-7), a row start (8-9), the end of the data.
_TOKEN = re.compile(
    r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?'
    r"(?:/>|>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)</c>)"
    r"|<c\b([^>]*?)(?:/>|>(.*?)</c>)"
    r"|<row\b([^>]*?)(/?)>"
    r"|</sheetData>",
    re.S,
)
_ANY_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_ROW_NUM = re.compile(r'\br="(\d+)"')
_V = re.compile(r"<v(?:\s[^>]*)?>([^<]*)</v>")
_IS = re.compile(r"<is>(.*?)</is>", re.S)
_RPH = re.compile(r"<rPh\b.*?</rPh>", re.S)
_T = re.compile(r"<t(?:\s[^>]*)?>([^<]*)</t>")
_COLS: dict[str, int] = {}


def _col_index(letters: str) -> int:
    idx = _COLS.get(letters)
    if idx is None:
        n = 0
        for ch in letters:
            n = n * 26 + (ord(ch) - 64)
        idx = _COLS[letters] = n - 1
    return idx


def _xml_text(s: str) -> str:
    return html.unescape(s) if "&" in s else s


class _FastUnsupported(Exception):
    """The sheet XML is not in the plain form the scanner reads; openpyxl reads it instead."""


def _iter_fast(wb, ws) -> Iterator[tuple[int, list]]:
    """(row number, [(col, value, kind, zeros), ...]) for each row of a sheet that has cells.

    Scans the sheet XML with one regular expression (openpyxl's per-cell parser is about 4× slower);
    shared strings, styles and the date system come from openpyxl's read-only workbook.
    """
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    strings = ws._shared_strings
    date_styles = wb._date_formats
    td_styles = wb._timedelta_formats
    cell_styles = wb._cell_styles
    custom_formats = wb._number_formats
    epoch = wb.epoch
    zero_cache: dict[int, int] = {}
    cols = _COLS

    def zeros_of(style_id: int) -> int:
        z = zero_cache.get(style_id)
        if z is None:
            try:
                fid = cell_styles[style_id].numFmtId
                fmt = (
                    BUILTIN_FORMATS.get(fid)
                    if fid < BUILTIN_FORMATS_MAX_SIZE
                    else custom_formats[fid - BUILTIN_FORMATS_MAX_SIZE]
                )
            except (IndexError, AttributeError):
                fmt = None
            z = zero_cache[style_id] = _zero_pad_width(fmt)
        return z

    def number(col, raw, style):
        if style in date_styles:
            try:
                return (col, from_excel(float(raw), epoch, timedelta=style in td_styles), "d", 0)
            except (OverflowError, ValueError):
                return (col, "#VALUE!", "e", 0)
        return (col, raw, "n", zeros_of(style) if style else 0)

    def typed(col, raw, t, style):
        if t == "s":
            return (col, strings[int(raw)], "s", 0)
        if t == "n":
            return number(col, raw, style)
        if t == "b":
            return (col, raw.strip() in ("1", "true"), "b", 0)
        if t == "e":
            return (col, _xml_text(raw), "e", 0)
        if t == "d":
            return (col, from_ISO8601(raw), "d", 0)
        return (col, _xml_text(raw), "s", 0)  # "str" (a formula's text result) and anything else

    with wb._archive.open(ws._worksheet_path) as src:
        buf = src.read(1 << 16)
        head = buf[:200].lower()
        if head.startswith(b"<?xml") and b"encoding" in head and b"utf-8" not in head:
            raise _FastUnsupported("not utf-8")
        start = buf.find(b"<sheetData")
        while start < 0:
            more = src.read(1 << 20)
            if not more:
                raise _FastUnsupported("no unprefixed <sheetData>")
            buf = buf[-20:] + more
            start = buf.find(b"<sheetData")
        buf = buf[start:]
        row_no = 0
        col = -1
        cells: list | None = None
        done = False
        chunk_size = 1 << 16
        while not done:
            more = src.read(chunk_size)
            chunk_size = 1 << 22
            if more:
                data = buf + more
                cut = data.rfind(b"</row>")
                if cut < 0:
                    buf = data
                    continue
                cut += 6
                data, buf = data[:cut], data[cut:]
            else:
                data, buf, done = buf, b"", True
            for m in _TOKEN.finditer(data.decode("utf-8")):
                letters, style, t, v, inline, attrs, body, row_attrs, row_close = m.groups()
                if letters is not None:  # the plain cell form
                    col = cols.get(letters)
                    if col is None:
                        col = _col_index(letters)
                    if v is not None:
                        if t is None:
                            if style is None:
                                cells.append((col, v, "n", 0))
                            else:
                                cells.append(number(col, v, int(style)))
                        elif t == "s":
                            cells.append((col, strings[int(v)], "s", 0))
                        else:
                            cells.append(typed(col, v, t, int(style) if style else 0))
                    elif inline is not None:
                        cells.append((col, _xml_text(inline), "s", 0))
                    continue
                if attrs is not None:  # any other cell form
                    a = dict(_ANY_ATTR.findall(attrs))
                    ref = a.get("r")
                    col = _col_index(ref.rstrip("0123456789")) if ref else col + 1
                    if cells is None:
                        raise _FastUnsupported("cell outside a row")
                    if not body:
                        continue
                    style = int(a.get("s") or 0)
                    t = a.get("t") or "n"
                    if t == "inlineStr":
                        im = _IS.search(body)
                        if im is not None:
                            inner = _RPH.sub("", im.group(1)) if "<rPh" in im.group(1) else im.group(1)
                            cells.append((col, "".join(_xml_text(x) for x in _T.findall(inner)), "s", 0))
                        continue
                    vm = _V.search(body)
                    if vm is None:
                        if "<f" in body:
                            cells.append((col, None, "f", 0))
                        continue
                    cells.append(typed(col, vm.group(1), t, style))
                    continue
                # a row starts (or the data ends): hand over the row before
                if cells:
                    yield row_no, cells
                cells = None
                if row_attrs is None:  # </sheetData>
                    done = True
                    break
                rm = _ROW_NUM.search(row_attrs)
                row_no = int(rm.group(1)) if rm else row_no + 1
                col = -1
                cells = None if row_close else []
        if cells:
            yield row_no, cells


def _iter_openpyxl(ws) -> Iterator[tuple[int, list]]:
    """Same as ``_iter_fast`` through openpyxl's public read-only API (slower)."""
    ws.reset_dimensions()  # trust the cells, not a possibly wrong <dimension>
    zero_cache: dict[str, int] = {}
    row_no = 0
    for row in ws.iter_rows():
        cells = []
        for c in row:
            v = c.value
            if v is None:
                continue
            row_no = c.row
            dt = c.data_type
            if dt == "s" or isinstance(v, str) and dt not in ("e",):
                cells.append((c.column - 1, v, "s", 0))
            elif dt == "e":
                cells.append((c.column - 1, v, "e", 0))
            elif isinstance(v, bool):
                cells.append((c.column - 1, v, "b", 0))
            elif isinstance(v, (int, float)):
                fmt = c.number_format
                z = zero_cache.get(fmt)
                if z is None:
                    z = zero_cache[fmt] = _zero_pad_width(fmt)
                cells.append((c.column - 1, v, "n", z))
            else:
                cells.append((c.column - 1, v, "d", 0))
        if cells:
            yield row_no, cells


def _row_iter(wb, ws, info: dict | None = None) -> Iterator[tuple[int, list]]:
    """Rows of a sheet: the regex scanner, or openpyxl where the scanner does not apply.
    ``info["xlsx_reader"]`` says which ("scanner" or "openpyxl")."""
    info = {} if info is None else info
    if _USE_FAST_XLSX:
        gen = _iter_fast(wb, ws)
        try:
            first = next(gen)
        except StopIteration:
            info["xlsx_reader"] = "scanner"
            return
        except (_FastUnsupported, AttributeError):
            gen = None
        if gen is not None:
            info["xlsx_reader"] = "scanner"
            yield first
            yield from gen
            return
    info["xlsx_reader"] = "openpyxl"
    yield from _iter_openpyxl(ws)


def _open_workbook(path: Path):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(_OLE2):
        raise FileFormatError(
            path,
            "文件设置了打开密码，或实际是旧版 Excel 97-2003（.xls）格式。"
            "请在 Excel 或 WPS 中打开，取消密码后另存为 .xlsx 工作簿再读取。",
        )
    if not magic.startswith(b"PK"):
        raise FileFormatError(
            path,
            "不是有效的 .xlsx 工作簿（不是 zip 格式），文件可能已损坏或下载不完整。请用 Excel 打开确认后另存为 .xlsx。",
        )
    fh = open(path, "rb")  # a file object: openpyxl would refuse an .xlsx saved under an .xls name
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        wb._xueji_file = fh
        return wb
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, EOFError, ValueError, TypeError) as exc:
        fh.close()
        if isinstance(exc, PermissionError):
            raise
        raise FileFormatError(
            path,
            f"无法作为 .xlsx 工作簿打开（{type(exc).__name__}），文件可能已损坏或下载不完整。"
            "请用 Excel 打开确认后另存为 .xlsx。",
        ) from exc


# ------------------------------------------------------------------------------------ header finding


def _clean_header(text: str) -> str:
    """Header cell → column name when the layout does not know it: marks and extra blanks removed."""
    return " ".join(str(text).replace("★", "").replace("☆", "").split())


class _HeaderMatcher:
    def __init__(self, layout: Layout | None):
        self.layout = layout

    def code(self, text: str) -> str | None:
        """Field code for a header text (see Layout.match_header)."""
        return self.layout.match_header(text) if self.layout is not None else None

    def score(self, texts: list[str]) -> int:
        return len({c for c in (self.code(t) for t in texts) if c})


def _row_texts(cells: list, epoch) -> list[str]:
    width = max((c[0] for c in cells), default=-1) + 1
    out = [""] * width
    for col, value, kind, zeros in cells:
        out[col] = _cell_text(value, kind, zeros, None, epoch)[0]
    return out


def _is_text_label(t: str) -> bool:
    s = t.strip()
    if not s:
        return False
    try:
        float(s)
        return False
    except ValueError:
        return True


def _find_header(scan: list[tuple[int, list[str]]], matcher: _HeaderMatcher) -> tuple[int, int] | None:
    """(index into scan, score) of the header row among the scanned non-blank rows, or None."""
    if matcher.layout is not None:
        best, best_score = None, 1
        for i, (_, texts) in enumerate(scan):
            s = matcher.score(texts)
            if s > best_score:
                best, best_score = i, s
        return (best, best_score) if best is not None else None
    widest = max((sum(1 for t in texts if t.strip()) for _, texts in scan), default=0)
    for i, (_, texts) in enumerate(scan):
        labels = sum(1 for t in texts if _is_text_label(t))
        filled = sum(1 for t in texts if t.strip())
        if labels >= 2 and filled * 2 >= widest:
            return i, labels
    return None


def _scan_rows(rows: Iterator, epoch) -> tuple[list, list]:
    """Read rows until HEADER_SCAN_ROWS non-blank ones: (raw rows read, [(row, texts)] of non-blank)."""
    raw, scan = [], []
    for row_no, cells in rows:
        raw.append((row_no, cells))
        texts = _row_texts(cells, epoch)
        if any(t.strip() for t in texts):
            scan.append((len(raw) - 1, row_no, texts))
            if len(scan) >= HEADER_SCAN_ROWS:
                break
    return raw, scan


# ------------------------------------------------------------------------------------------ assembly


def _guess_kind(name: str, header: str, layout: Layout | None, value: str) -> str | None:
    kind = personal_kind(name, layout)
    if kind:
        return kind
    text = header or name
    if any(k in text for k in ("身份证", "证件号", "护照")):
        return "id"
    if any(k in text for k in ("电话", "手机", "联系方式")):
        return "phone"
    if any(k in text for k in ("地址", "住址", "住所")):
        return "address"
    digits = sum(ch.isdigit() for ch in value)
    if digits >= 11:  # any long number could be an ID, phone or bank card: never show it whole
        return "phone" if len(value) <= 11 else "id"
    return None


_MESSAGES = {
    "EXCEL_NUMBER_DAMAGED": "{label} 已被 Excel 存成数字（或显示成科学计数法），只保留了 15 位有效数字，后几位已经丢失，"
    "请从原始资料重新录入（第 {rows} 行）",
    "LONG_NUMBER_CELL": "{label} 存成了数字单元格；文件里的长数字目前还完整，但用 Excel 打开再保存就会只剩 15 位有效数字，"
    "请把该列设为文本格式（第 {rows} 行）",
    "EXCEL_SERIAL_DATE": "{label} 中有 Excel 日期序号（如 40057），已按日期换算成 {fmt} 格式，请核对（第 {rows} 行）",
    "LEADING_APOSTROPHE": "{label} 中的值带有导出时加的前导撇号 '，已去掉（第 {rows} 行）",
    "FORMULA_TEXT": '{label} 中的值写成了 ="…" 形式（导出时为保留文本所加），已取出引号内的内容（第 {rows} 行）',
    "NUMBER_FORMAT_ZEROS": "{label} 是数字单元格，按单元格格式显示前导零，已按显示补足（第 {rows} 行）",
    "EXCEL_ERROR_VALUE": "{label} 中有 Excel 错误值（如 #N/A、#VALUE!），公式出错，内容不可用，请核对（第 {rows} 行）",
    "FORMULA_NO_VALUE": "{label} 中有公式但文件没有保存计算结果，读出为空；请用 Excel 打开并保存后再读取（第 {rows} 行）",
}


def _rows_phrase(rows: list[int], count: int) -> str:
    """ "4、7、8" or "4、5、6、7、8 等" (the first five spreadsheet rows)."""
    return "、".join(map(str, rows[:5])) + (" 等" if count > 5 else "")


def _to_arrow(data: list[list[str]], width: int) -> tuple[int, list]:
    """(row count, one Arrow string array per column) of a block of text rows."""
    for vals in data:
        if len(vals) < width:
            vals.extend([""] * (width - len(vals)))
    cols = list(zip(*data)) if data else [()] * width
    return len(data), [pa.array(c, type=pa.large_string()) for c in cols]


def _assemble(rows: Iterator[tuple[int, list]], layout: Layout | None, path: Path, where: str, epoch):
    """Turn raw rows into (DataFrame, fields, warnings, extra). ``where`` names the sheet in messages."""
    matcher = _HeaderMatcher(layout)
    raw, scan = _scan_rows(rows, epoch)
    if not scan:
        raise FileFormatError(path, f"{where}是空的，没有任何内容")
    found = _find_header([(r, t) for _, r, t in scan], matcher)
    if found is None:
        first = "、".join(t for t in scan[0][2] if t.strip())[:80]
        if layout is not None:
            expect = "、".join(f.name for f in layout.fields[:8])
            raise FileFormatError(
                path,
                f"{where}前 {HEADER_SCAN_ROWS} 行中找不到与版式“{layout.title}”相符的表头行"
                f"（至少要有 2 个列名相符，例如 {expect}）。第 {scan[0][1]} 行是：{first}。"
                "请确认文件和版式是否选对。",
            )
        raise FileFormatError(
            path, f"{where}前 {HEADER_SCAN_ROWS} 行中找不到表头行（至少 2 个文字列名）。第 {scan[0][1]} 行是：{first}"
        )
    h = found[0]
    raw_index, header_row, header_texts = scan[h]
    title_rows = [{"row": r, "text": " ".join(t for t in texts if t.strip())[:100]} for _, r, texts in scan[:h]]

    # columns from the header
    hwidth = len(header_texts)
    codes = [matcher.code(t) for t in header_texts]
    datefmts = [layout.field(c).date if (layout is not None and c) else None for c in codes]

    warnings = WarningTally()
    data: list[list[str]] = []  # rows of text, turned into Arrow arrays every CHUNK_ROWS rows
    pieces: list[tuple[int, list]] = []
    source_rows: list[int] = []
    middle_blank = 0  # rows between the header and the last record that hold nothing (or only spaces)
    blank_examples: list[int] = []
    trailing_blank = 0  # rows after the last record that hold only spaces
    last = header_row
    width = hwidth
    wadd = warnings.add_one
    for row_no, cells in chain(raw[raw_index + 1 :], rows):
        vals = [""] * width
        filled = False
        for col, value, kind, zeros in cells:
            if kind == "s" and value and value[0] not in "'=" and "E" not in value and "e" not in value:
                text = value
            else:
                text, code = _cell_text(value, kind, zeros, datefmts[col] if col < hwidth else None, epoch)
                if code:
                    wadd(code, col, row_no, text)
                if not text:
                    continue
            if col >= width:
                vals.extend([""] * (col + 1 - width))
                width = col + 1
            vals[col] = text
            if not filled:
                filled = not text.isspace()
        if not filled:
            trailing_blank += 1
            continue
        if row_no > last + 1:
            middle_blank += row_no - last - 1
            if len(blank_examples) < MAX_EXAMPLES:
                blank_examples.extend(range(last + 1, min(row_no, last + 1 + MAX_EXAMPLES)))
        trailing_blank = 0
        last = row_no
        data.append(vals)
        source_rows.append(row_no)
        if len(data) >= CHUNK_ROWS:
            pieces.append(_to_arrow(data, width))
            data = []
    if data or not pieces:
        pieces.append(_to_arrow(data, width))
    del data
    columns = []
    for j in range(width):
        parts = [arrs[j] if j < len(arrs) else pa.array([""] * n, type=pa.large_string()) for n, arrs in pieces]
        columns.append(pa.chunked_array(parts, type=pa.large_string()))

    # names
    names: list[str | None] = []
    sources: list[str] = []
    out_warn: list[LoadWarning] = []
    blank_named: list[tuple[int, str]] = []
    dropped = 0
    for j in range(width):
        text = header_texts[j].strip() if j < hwidth else ""
        code = codes[j] if j < hwidth else None
        name = code or _clean_header(text)
        if not name:
            if len(columns[j]) == 0 or not pc.max(pc.utf8_length(columns[j])).as_py():
                names.append(None)
                dropped += 1
                sources.append("")
                continue
            name = f"列{j + 1}"
            blank_named.append((j, name))
        names.append(name)
        sources.append(text)
    if blank_named:
        from openpyxl.utils import get_column_letter

        desc = "、".join(f"第 {get_column_letter(j + 1)} 列" for j, _ in blank_named)
        out_warn.append(
            LoadWarning(
                "BLANK_HEADER",
                f"第 {header_row} 行（表头）{desc} 的列名是空的（可能是合并单元格），但下面有数据，"
                "已按位置命名为 " + "、".join(n for _, n in blank_named),
                None,
                len(blank_named),
                tuple((header_row, n, "") for _, n in blank_named),
            )
        )
    seen: dict[str, int] = {}
    final: list[str | None] = []
    for j, name in enumerate(names):
        if name is None:
            final.append(None)
            continue
        if name in seen:
            k = 2
            while f"{name}_{k}" in seen or f"{name}_{k}" in names:
                k += 1
            new = f"{name}_{k}"
            from openpyxl.utils import get_column_letter

            first_j = seen[name]
            out_warn.append(
                LoadWarning(
                    "DUPLICATE_HEADER",
                    f"第 {header_row} 行（表头）第 {get_column_letter(first_j + 1)} 列“{sources[first_j] or name}”和"
                    f"第 {get_column_letter(j + 1)} 列“{sources[j] or name}”对应同一列名 {name}，后者已改名为 {new}，请核对",
                    new,
                    1,
                    ((header_row, new, sources[j]),),
                )
            )
            name = new
        seen[name] = j
        final.append(name)

    # value warnings, named and masked
    for (code, j), (_, count, examples) in warnings.items.items():
        name = final[j] if j < len(final) and final[j] else f"列{j + 1}"
        header = _clean_header(sources[j]) if j < len(sources) else ""
        label = header if (not header or header == name) else f"{header}（{name}）"
        label = label or name
        fmt = datefmts[j] if j < hwidth and datefmts[j] else ""
        ex = []
        for r, v in examples:
            kind = _guess_kind(name, header, layout, v)
            ex.append((r, name, mask_value(kind, v) if kind else v))
        msg = _MESSAGES[code].format(label=label, rows=_rows_phrase([r for r, _ in examples], count), fmt=fmt)
        out_warn.append(LoadWarning(code, msg, name, count, tuple(ex)))
    if middle_blank:
        ex = blank_examples[:MAX_EXAMPLES]
        out_warn.append(
            LoadWarning(
                "BLANK_ROWS",
                f"表中夹有 {middle_blank} 个空行，已跳过（第 {_rows_phrase(ex, middle_blank)} 行）",
                None,
                middle_blank,
                tuple((r, "", "") for r in ex),
            )
        )

    frame = {}
    fields = []
    for j, name in enumerate(final):
        if name is None:
            continue
        frame[name] = pd.array(columns[j], dtype="str")
        fields.append(FieldSpec(name=name, type="C", source_name=sources[j]))
    df = pd.DataFrame(frame)
    if not frame:
        df = pd.DataFrame(index=pd.RangeIndex(len(source_rows)))
    mapped = [c for c in codes if c]
    extra = {
        "header_row": header_row,
        "title_rows": title_rows,
        "blank_rows": middle_blank,
        "trailing_blank_rows": trailing_blank,
        # a numpy array, not a list: pandas deep-copies attrs on every operation on the frame
        "source_rows": np.asarray(source_rows, dtype=np.int64),
        "dropped_empty_columns": dropped,
    }
    if layout is not None:
        extra["layout"] = layout.name
        extra["missing_fields"] = [c for c in layout.codes if c not in mapped]
        extra["unmatched_columns"] = [
            n for n, c in zip(final, codes + [None] * (width - hwidth)) if n is not None and not c
        ]
    return df, tuple(fields), tuple(out_warn), extra


# ------------------------------------------------------------------------------------------ readers


def _counted(rows: Iterator[tuple[int, list]], task: Progress, total: int | None):
    """``rows`` passed through, telling ``task`` the row number reached every 4,096 rows (never per row);
    ``total`` is the expected last row (None: unknown). Completion is reported when the rows run out."""
    task.total = total if total and total > 1 else None
    n = last = 0
    for item in rows:
        yield item
        n += 1
        last = item[0]
        if not n & 4095:
            if task.total is not None and last > task.total:
                task.total = None  # the sheet's stated size was wrong
            task.update(last)
    if task.total is None:
        task.update(last)
    task.finish()


def _read_xlsx(path: Path, layout: Layout | None, sheet, task: Progress | None = None) -> pd.DataFrame:
    wb = _open_workbook(path)
    try:
        names = list(wb.sheetnames)
        epoch = wb.epoch
        sheets = {ws.title: ws for ws in wb.worksheets}
        if sheet is not None:
            if isinstance(sheet, Integral) and not isinstance(sheet, bool):
                sheet = int(sheet)
                if not 0 <= sheet < len(names):
                    raise FileFormatError(
                        path, f"没有第 {sheet} 个工作表（从 0 数起），工作簿中共有 {len(names)} 个：" + "、".join(names)
                    )
                chosen = names[sheet]
            else:
                chosen = str(sheet)
                if chosen not in names:
                    raise FileFormatError(path, f"没有名为“{chosen}”的工作表，现有工作表：" + "、".join(names))
            if chosen not in sheets:
                raise FileFormatError(path, f"“{chosen}”是图表工作表，没有数据")
            how = "指定"
        else:
            chosen, how = _choose_sheet(wb, sheets, layout, epoch)
            if chosen is None and sheets and layout is not None:
                expect = "、".join(f.name for f in layout.fields[:8])
                raise FileFormatError(
                    path,
                    f"工作簿的工作表（{'、'.join(names)}）前 {HEADER_SCAN_ROWS} 行中都找不到与版式"
                    f"“{layout.title}”相符的表头行（至少要有 2 个列名相符，例如 {expect}）。"
                    "请确认文件和版式是否选对。",
                )
            if chosen is None:
                raise FileFormatError(path, "工作簿中没有可读取的工作表")
        ws = sheets[chosen]
        info: dict = {}
        rows = _row_iter(wb, ws, info)
        if task is not None and not task.silent:
            rows = _counted(rows, task, getattr(ws, "max_row", None))  # the sheet's stated size
        try:
            df, fields, warns, extra = _assemble(rows, layout, path, f"工作表“{chosen}”", epoch)
        except FileFormatError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, IndexError, KeyError, ValueError) as exc:
            raise FileFormatError(
                path,
                f"工作表“{chosen}”的内容已损坏，无法读取（{type(exc).__name__}）。请用 Excel 打开确认后另存为 .xlsx。",
            ) from exc
        extra = {"sheet": chosen, "sheets": names, "sheet_choice": how, **extra, **info}
    finally:
        wb.close()
        wb._xueji_file.close()
    df.attrs["load_report"] = LoadReport(
        path=str(path), format="xlsx", records=len(df), fields=fields, encoding=None, warnings=warns, extra=extra
    )
    return df


def _choose_sheet(wb, sheets: dict, layout: Layout | None, epoch) -> tuple[str | None, str]:
    """The sheet whose header best matches the layout; without a layout the first sheet that has a
    header row. Visible sheets are preferred to hidden ones (templates hide their code lists)."""
    order = sorted(sheets.values(), key=lambda ws: getattr(ws, "sheet_state", "visible") != "visible")
    if not order:
        return None, ""
    matcher = _HeaderMatcher(layout)
    best, best_score = None, 1
    for ws in order:
        gen = _row_iter(wb, ws)
        try:
            _, scan = _scan_rows(gen, epoch)
        finally:
            gen.close()
        if not scan:
            continue
        found = _find_header([(r, t) for _, r, t in scan], matcher)
        if found is None:
            continue
        if layout is None:
            return ws.title, "第一个有表头的工作表"
        if found[1] > best_score:
            best, best_score = ws.title, found[1]
    if best is not None:
        return best, "表头与版式最相符"
    if layout is not None:
        return None, "没有相符的表头"
    return order[0].title, "第一个工作表"


def _decode(data: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    if encoding:
        try:
            name = __import__("codecs").lookup(encoding).name
        except LookupError:
            raise FileFormatError(path, f"不认识的编码名称 {encoding!r}（可用 utf-8、gb18030、gbk 等）") from None
        try:
            return data.decode(encoding), name
        except UnicodeDecodeError as exc:
            raise FileFormatError(
                path,
                f"按指定的编码 {encoding} 解码失败（第 {exc.start} 字节附近），"
                "请换一种编码，或不指定编码让程序自动识别",
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise FileFormatError(
                path, f"文件以 UTF-8 标记开头，但第 {exc.start + 3} 字节附近不是有效的 UTF-8，文件可能已损坏"
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise FileFormatError(
                path, f"文件以 UTF-16 标记开头，但第 {exc.start} 字节附近无法解码，文件可能已损坏"
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            path, f"既不是 UTF-8 也不是 GBK/GB18030 编码（第 {exc.start} 字节附近无法解码），请用 encoding= 指定编码"
        ) from None


def _sniff_delimiter(text: str, suffix: str) -> str:
    lines = [ln for ln in text[:65536].splitlines()[:20] if ln.strip()][:10]
    best, best_n = ("\t" if suffix in (".txt", ".tsv") else ","), 0
    for cand in (",", "\t", ";", "|") if suffix not in (".txt", ".tsv") else ("\t", ",", ";", "|"):
        n = sum(ln.count(cand) for ln in lines)
        if n > best_n:
            best, best_n = cand, n
    return best


def _read_text(
    path: Path,
    layout: Layout | None,
    encoding: str | None,
    data: bytes,
    note: str | None = None,
    task: Progress | None = None,
):
    if not data:
        raise FileFormatError(path, "文件是空的（0 字节）")
    text, enc = _decode(data, encoding, path)
    if "\x00" in text[:4096]:
        raise FileFormatError(path, f"按 {enc} 解码后含有 NUL 字符，不是文本表格（可能是其他格式的文件改了扩展名）")
    delimiter = _sniff_delimiter(text, path.suffix.lower())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows():
        try:
            for i, rec in enumerate(reader, start=1):
                yield i, [(j, v, "s", 0) for j, v in enumerate(rec) if v]
        except csv.Error as exc:
            raise FileFormatError(path, f"第 {reader.line_num} 行无法按 CSV 解析：{exc}") from None

    records = rows()
    if task is not None and not task.silent:  # the line count bounds the record count
        records = _counted(records, task, text.count("\n") + (not text.endswith("\n")))
    df, fields, warns, extra = _assemble(records, layout, path, "文件", None)
    extra = {"delimiter": delimiter, **extra}
    if note:
        extra["note"] = note
    df.attrs["load_report"] = LoadReport(
        path=str(path), format="csv", records=len(df), fields=fields, encoding=enc, warnings=warns, extra=extra
    )
    return df


def load_file(path, layout=None, *, encoding=None, progress=None) -> pd.DataFrame:
    """Load a file by its type — the one place that picks a loader: a DBF with ``read_dbf`` (``layout`` is not
    needed: DBF fields are codes already), a sheet or CSV with ``read_table`` through ``layout``, a folder
    converted by ``dbf_to_parquet`` with ``read_parquet_folder``. Used by the command line, the reports and the
    dashboards' catalogue.

        >>> df = load_file("data_samples/k12/学生名单_2026春.xlsx", "k12_student")
        >>> len(df), "XJH" in df.columns
        (1437, True)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() and (path / "_conversion.json").is_file():
        from .parquet import read_parquet_folder

        return read_parquet_folder(path)
    if suffix == ".dbf":
        from .dbf import read_dbf

        return read_dbf(path, encoding=encoding, progress=progress)
    if suffix in XLSX_SUFFIXES or suffix in TEXT_SUFFIXES or suffix == ".xls":
        return read_table(path, layout=layout, encoding=encoding, progress=progress)
    raise XuejiError(f"文件 {path}：不认识的文件类型 {suffix or '（无扩展名）'}，支持 .dbf、.xlsx、.csv")


def read_table(path, layout=None, *, sheet=None, encoding=None, progress=None) -> pd.DataFrame:
    """Read an Excel sheet (.xlsx/.xlsm) or a CSV/TXT file into a ``str`` DataFrame, every cell as text.

    ``layout`` (a name, a ``.yml`` path or a ``Layout``) maps header texts (名称, code or alias; ★ and
    blanks ignored) to field codes, decides which row is the header and which sheet to read, and gives
    date fields their text form (YYYYMMDD/YYYYMM). ``sheet`` (name or 0-based index) overrides the
    sheet choice; ``encoding`` overrides CSV encoding detection (UTF-8 with or without BOM, UTF-16 with
    BOM, else gb18030). The ``LoadReport`` is in ``df.attrs["load_report"]``. ``progress`` (None: silent;
    True: notebook or stderr; a callable ``(label, done, total)``) is told the row reached every 4,096 rows.

        >>> df = read_table("名单.xlsx", "k12_student")                # doctest: +SKIP
        >>> load_report(df).extra["missing_fields"]                    # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"找不到文件 {path}，请检查文件夹和文件名")
    if path.is_dir():
        raise FileFormatError(path, "这是一个文件夹，不是表格文件")
    lay = load_layout(layout) if layout is not None else None
    suffix = path.suffix.lower()
    task = Progress(progress, f"读取 {path.name}")
    try:
        if suffix in XLSX_SUFFIXES:
            if path.stat().st_size == 0:
                raise FileFormatError(path, "文件是空的（0 字节）")
            return _read_xlsx(path, lay, sheet, task)
        if suffix in TEXT_SUFFIXES:
            return _read_text(path, lay, encoding, path.read_bytes(), task=task)
        if suffix in (".xls", ".et"):
            data = path.read_bytes()
            if not data:
                raise FileFormatError(path, "文件是空的（0 字节）")
            if data.startswith(b"PK"):  # an .xlsx saved under an .xls name
                return _read_xlsx(path, lay, sheet, task)
            if data.startswith(_OLE2):
                raise FileFormatError(
                    path,
                    "这是旧版 Excel 97-2003 工作簿（.xls），无法直接读取。"
                    "请用 Excel 或 WPS 打开，另存为“Excel 工作簿（*.xlsx）”后再读取。",
                )
            head = data[:2048].lstrip(b"\xef\xbb\xbf \r\n\t").lower()
            if head.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<")):
                raise FileFormatError(
                    path,
                    "扩展名是 .xls，但内容实际是网页（HTML/XML）表格，不是 Excel 工作簿。"
                    "请用 Excel 或 WPS 打开，另存为“Excel 工作簿（*.xlsx）”后再读取。",
                )
            return _read_text(
                path,
                lay,
                encoding,
                data,
                task=task,
                note="扩展名是 .xls，但内容实际是文本表格，已按 CSV/制表符文本读取",
            )
        raise FileFormatError(
            path, f"不支持的文件类型 {path.suffix or '（无扩展名）'}：可读取 .xlsx、.xlsm、.csv、.txt"
        )
    except PermissionError as exc:
        raise PermissionError(f"没有权限读取文件 {path}（文件可能正被其他程序占用）") from exc
    finally:
        task.close()  # already finished when the rows ran out; otherwise ends the display as failed


# ------------------------------------------------------------------------------------------ writing

_BAD_SHEET_CHARS = set("[]:*?/\\")
MAX_ROWS, MAX_COLS, MAX_CELL_CHARS = 1_048_576, 16_384, 32_767
_CONSTANT_MEMORY_CELLS = 1_000_000


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _sheet_name_problem(name) -> str | None:
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


def _text_columns_for(text_columns, sheet: str, df: pd.DataFrame, path: Path) -> set:
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


def _column_plan(s: pd.Series, as_text: bool):
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


def _value_text(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int,)) or (isinstance(v, float) and v.is_integer()):
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.15g}"
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return _date_text(v, None)
    return str(v)


def _is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (str, bytes, list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def write_excel(sheets: Mapping[str, pd.DataFrame], path, *, text_columns=None) -> Path:
    """Write DataFrames to an .xlsx, one sheet each; text stays text (IDs, 学号 "00123", phones).

    Header row bold and frozen, autofilter over the data, column widths from the contents. String
    columns are written as text cells in text format (@); numbers as numbers, datetimes as dates
    (yyyy-mm-dd); missing values as empty cells. ``text_columns`` (column names for every sheet, or
    ``{sheet: [columns]}``) writes those columns as text even if numeric; integer columns holding
    values of 16+ digits are always written as text (Excel would keep only 15 digits). The index is
    not written. The file is written under a temporary name in the same folder and renamed into place.

        >>> write_excel({"名单": df}, "out/名单.xlsx", text_columns=["学号"])   # doctest: +SKIP
    """
    import xlsxwriter

    path = Path(path)
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
    for name, df in sheets.items():
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
        for name, nrows, cols in plans:
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
        wb.close()
    return path
