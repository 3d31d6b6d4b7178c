"""Reading a workbook's sheets (.xlsx/.xlsm): open it, choose the sheets (every one that carries the layout's
headers), hand each one's rows of raw cells to ``assemble``, combine them (``assemble.combine_sheets``).

    >>> from xueji_lib.io.xlsx import read_xlsx
    >>> df = read_xlsx(Path("data_samples/k12/学生名单_2026春.xlsx"), load_layout("k12_student"), None)  # doctest: +SKIP

Speed: the sheet XML is scanned with regular expressions instead of openpyxl's per-cell parser
(openpyxl still reads the workbook, shared strings and styles): 100,000 × 60 cells load in about 7 s
against 55 s through openpyxl's cells. A sheet the scanner
does not understand (namespace prefixes, a non-UTF-8 XML) is read through openpyxl's read-only API,
with the same results.
"""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..core.errors import FileFormatError
from ..core.progress import Progress
from ..schema.layouts import Layout
from .assemble import (
    HEADER_SCAN_ROWS,
    HeaderMatcher,
    assemble,
    combine_sheets,
    counted,
    find_header,
    scan_rows,
    sheet_entry,
)
from .loadinfo import LoadReport, LoadWarning

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

__all__ = ["read_xlsx", "open_workbook", "OLE2_MAGIC", "ChooseLayout"]

#: ``choose(scan, sheet)``: the layout to read a sheet through, chosen from its first non-blank rows alone
#: (``scan``: [(row number, cell texts)], at most HEADER_SCAN_ROWS; ``sheet``: the sheet's name, None for a
#: CSV), before its records are read; None: read it without a layout.
ChooseLayout = Callable[[list[tuple[int, list[str]]], str | None], Layout | None]

_USE_FAST_XLSX = True  # tests switch this off to check that both xlsx paths agree
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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
_LETTERS = re.compile(r"[A-Z]{1,3}")
MAX_COLUMNS, MAX_ROWS = 16384, 1048576  # Excel's own limits: what a sheet may claim (XFD1048576)
MAX_ROW_XML = 64 << 20  # bytes of sheet XML without a row end: more is no sheet Excel writes (nor can read)


def _col_index(letters: str) -> int:
    idx = _COLS.get(letters)
    if idx is None:
        if not _LETTERS.fullmatch(letters):
            if letters.isascii() and letters.isalpha() and letters.isupper():
                raise ValueError(f"单元格引用的列 {letters[:20]} 超出 Excel 的 {MAX_COLUMNS:,} 列（XFD）")
            raise ValueError(f"单元格引用的列“{letters[:20]}”不是 A–XFD 的列名")
        n = 0
        for ch in letters:
            n = n * 26 + (ord(ch) - 64)
        if n > MAX_COLUMNS:
            raise ValueError(f"单元格引用的列 {letters} 超出 Excel 的 {MAX_COLUMNS:,} 列（XFD）")
        idx = _COLS[letters] = n - 1
    return idx


def _col_letters(col: int) -> str:
    out = ""
    col += 1
    while col > 0:
        col, r = divmod(col - 1, 26)
        out = chr(65 + r) + out
    return out


class _BadCell(Exception):
    """A cell (or row) of a sheet that cannot be read: where, and why."""

    def __init__(self, sheet: str, row: int, col: int, problem: str):
        self.sheet, self.row, self.col, self.problem = sheet, row, col, problem
        where = f"第 {row} 行" + (
            f" {_col_letters(col)} 列（{_col_letters(col)}{row}）"
            if isinstance(col, int) and 0 <= col < MAX_COLUMNS
            else ""
        )
        super().__init__(f"工作表“{sheet}”{where}：{problem}")


def _xml_text(s: str) -> str:
    return html.unescape(s) if "&" in s else s


class _ChooseFailed(Exception):
    """``choose`` raised (its exception is the cause): not a damaged workbook."""


class _FastUnsupported(Exception):
    """The sheet XML is not in the plain form the scanner reads; openpyxl reads it instead."""


def _iter_fast(wb: Workbook, ws: ReadOnlyWorksheet) -> Iterator[tuple[int, list]]:
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
    nstrings = len(strings)

    def shared(raw):
        i = int(raw)
        if not 0 <= i < nstrings:
            raise IndexError(f"共享字符串序号 {i} 超出范围（文件中共 {nstrings} 个）")
        return strings[i]

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
            return (col, shared(raw), "s", 0)
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
        waiting: list[bytes] = []  # chunks without a row end, joined once one comes (linear, never quadratic)
        waiting_size = 0
        while not done:
            more = src.read(chunk_size)
            chunk_size = 1 << 22
            if more:
                cut = more.rfind(b"</row>")
                if cut < 0 and waiting_size + len(buf) + len(more) > 16:
                    # the end tag may straddle two chunks: look at the seam only
                    seam = (waiting[-1][-6:] if waiting else buf[-6:]) + more[:6]
                    if b"</row>" not in seam:
                        waiting.append(more)
                        waiting_size += len(more)
                        if waiting_size > MAX_ROW_XML:
                            raise _BadCell(
                                ws.title,
                                row_no + 1,
                                -1,
                                f"工作表数据中 {MAX_ROW_XML >> 20} MB 内没有行结束标记（可能填满了空白或已损坏）",
                            )
                        continue
                data = buf + b"".join(waiting) + more
                waiting, waiting_size = [], 0
                cut = data.rfind(b"</row>")
                if cut < 0:
                    buf = data
                    continue
                cut += 6
                data, buf = data[:cut], data[cut:]
            else:
                data, buf, done = buf + b"".join(waiting), b"", True
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _BadCell(ws.title, row_no + 1, -1, f"工作表 XML 不是有效的 UTF-8（{exc.reason}）") from None
            m = None
            try:
                for m in _TOKEN.finditer(text):
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
                                cells.append((col, strings[int(v)] if "-" not in v else shared(v), "s", 0))
                            else:
                                cells.append(typed(col, v, t, int(style) if style else 0))
                        elif inline is not None:
                            cells.append((col, _xml_text(inline), "s", 0))
                        continue
                    if attrs is not None:  # any other cell form
                        a = dict(_ANY_ATTR.findall(attrs))
                        ref = a.get("r")
                        col = _col_index(ref.rstrip("0123456789")) if ref else col + 1
                        if col >= MAX_COLUMNS:
                            raise ValueError(f"一行超过 Excel 的 {MAX_COLUMNS:,} 列")
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
                    if not 0 < row_no <= MAX_ROWS:
                        raise ValueError(f"行号 {row_no} 超出 Excel 的 1–{MAX_ROWS:,} 行")
                    col = -1
                    cells = None if row_close else []
            except _BadCell:
                raise
            except (IndexError, KeyError, ValueError, OverflowError, TypeError, AttributeError) as exc:
                if isinstance(exc, AttributeError) and not row_no:
                    raise _FastUnsupported("cell outside a row") from None  # read through openpyxl instead
                token = m.group(0)[:120] if m is not None else ""
                sv = _V.search(token)
                if isinstance(exc, IndexError) and 't="s"' in token and sv:
                    problem = f"共享字符串序号 {sv.group(1)} 超出范围（文件中共 {nstrings} 个）"
                elif isinstance(exc, AttributeError):
                    problem = f"单元格不在任何行（<row>）之内，工作表数据已损坏：{token}"
                else:
                    problem = f"单元格无法读取（{exc}）" + (f"：{token}" if token else "")
                raise _BadCell(ws.title, row_no, col, problem) from None
        if cells:
            yield row_no, cells


def _iter_openpyxl(ws: ReadOnlyWorksheet) -> Iterator[tuple[int, list]]:
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
            if (c.column or 0) > MAX_COLUMNS or (row_no or 0) > MAX_ROWS:  # openpyxl leaves them None without r="…"
                raise _BadCell(ws.title, row_no, -1, f"单元格位置超出 Excel 的 {MAX_COLUMNS:,} 列、{MAX_ROWS:,} 行")
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


def _row_iter(wb: Workbook, ws: ReadOnlyWorksheet, info: dict | None = None) -> Iterator[tuple[int, list]]:
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


def open_workbook(path: Path) -> Workbook:
    """The workbook at ``path``, read-only, values only (the file object is kept in ``wb._xueji_file``, to be
    closed by the caller after ``wb.close()``); a file that is no workbook is a FileFormatError saying why."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(OLE2_MAGIC):
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


def read_xlsx(
    path: Path,
    layout: Layout | None,
    sheet: str | int | None,
    task: Progress | None = None,
    choose: ChooseLayout | None = None,
) -> pd.DataFrame:
    """The workbook at ``path`` as ``read_table`` returns it (``sheet``: name or 0-based index of the one sheet to
    read; None: with ``layout`` every visible sheet that carries its headers, combined — ``_plan_sheets``,
    ``assemble.combine_sheets`` —, without one the first sheet with a header row), the ``LoadReport`` in ``df.attrs``. Damaged parts
    (zip members, XML, cells) are a ``FileFormatError`` naming the file (and the sheet and cell where known).
    ``choose`` (``layout`` None): called with the first rows of the sheet a read without a layout would take;
    the sheet is then read once, through the layout it returns (the workbook is opened once)."""
    from xml.etree.ElementTree import ParseError

    try:
        return _read_xlsx(path, layout, sheet, task, choose)
    except FileFormatError:
        raise
    except _ChooseFailed as exc:  # the caller's own error (a layout file it could not load): as it is
        raise exc.__cause__ from None
    except _BadCell as exc:
        raise FileFormatError(path, f"{exc}。请用 Excel 打开确认后另存为 .xlsx。") from None
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        ParseError,
        IndexError,
        KeyError,
        ValueError,
        TypeError,
        OverflowError,
        LookupError,
        NotImplementedError,  # zipfile: a compression method or flag it does not read
        RuntimeError,  # zipfile: an encrypted member
    ) as exc:
        raise FileFormatError(
            path,
            f"工作簿已损坏，无法读取（{type(exc).__name__}：{str(exc)[:200]}）。请用 Excel 打开确认后另存为 .xlsx。",
        ) from exc


def _read_xlsx(
    path: Path, layout: Layout | None, sheet: str | int | None, task: Progress | None, choose: ChooseLayout | None
) -> pd.DataFrame:
    wb = open_workbook(path)
    try:
        names = list(wb.sheetnames)
        epoch = wb.epoch
        sheets = {ws.title: ws for ws in wb.worksheets}
        if layout is None and choose is not None:  # the layout from the header rows, before the one full read
            if sheet is not None:
                first = _given_sheet(path, sheet, names, sheets)
                scan = _scan_sheet(wb, sheets[first], epoch)
            else:
                first, _, scan = _choose_sheet(wb, sheets, None, epoch, want_scan=True)
            if scan:
                try:
                    layout = choose([(r, t) for _, r, t in scan], first)
                except Exception as exc:
                    raise _ChooseFailed from exc
        notes: list[LoadWarning] = []
        if sheet is not None:
            chosen = _given_sheet(path, sheet, names, sheets)
            plan, how = [chosen], "指定"
            skipped = [{"name": n, "reason": "只读取指定的工作表"} for n in names if n != chosen]
        elif layout is not None:
            plan, how, skipped, notes = _plan_sheets(wb, names, sheets, layout, epoch)
            if not plan and sheets:
                expect = "、".join(f.name for f in layout.fields[:8])
                raise FileFormatError(
                    path,
                    f"工作簿的工作表（{'、'.join(names)}）前 {HEADER_SCAN_ROWS} 行中都找不到与版式"
                    f"“{layout.title}”相符的表头行（至少要有 2 个列名相符，例如 {expect}）。"
                    "请确认文件和版式是否选对。",
                )
        else:
            chosen, how, _ = _choose_sheet(wb, sheets, None, epoch)
            plan = [chosen] if chosen is not None else []
            skipped = [{"name": n, "reason": "没有指定版式时只读取第一个有表头的工作表"} for n in names if n != chosen]
        if not plan:
            raise FileFormatError(path, "工作簿中没有可读取的工作表")
        stated = [getattr(sheets[n], "max_row", None) for n in plan]
        total = sum(stated) if all(stated) else None
        reached = [0]
        parts, readers = [], []
        for k, name in enumerate(plan):
            ws = sheets[name]
            info: dict = {}
            rows = _row_iter(wb, ws, info)
            if task is not None and not task.silent:  # the sheets' stated sizes
                rows = counted(rows, task, total, offset=reached[0], final=k == len(plan) - 1, reached=reached)
            try:
                df, fields, warns, extra = assemble(rows, layout, path, f"工作表“{name}”", epoch)
            except (FileFormatError, _BadCell):
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, IndexError, KeyError, ValueError) as exc:
                raise FileFormatError(
                    path,
                    f"工作表“{name}”的内容已损坏，无法读取（{type(exc).__name__}）。请用 Excel 打开确认后另存为 .xlsx。",
                ) from exc
            parts.append((name, df, fields, warns, extra))
            readers.append(info.get("xlsx_reader"))
        entries = [sheet_entry(name, df, extra) for name, df, _, _, extra in parts]
        if len(parts) == 1:
            _, df, fields, warns, extra = parts[0]
        else:
            df, fields, warns, extra = combine_sheets(parts, layout)
            notes.append(_combined_note(entries, skipped, extra["sheet_column"]))
        info = {"xlsx_reader": "+".join(dict.fromkeys(r for r in readers if r))} if any(readers) else {}
        extra = {
            "sheet": plan[0],
            "sheets": entries,
            "workbook_sheets": names,
            "skipped_sheets": skipped,
            "sheet_choice": how,
            **extra,
            **info,
        }
    finally:
        wb.close()
        wb._xueji_file.close()
    df.attrs["load_report"] = LoadReport(
        path=str(path),
        format="xlsx",
        records=len(df),
        fields=fields,
        encoding=None,
        warnings=tuple(warns) + tuple(notes),
        extra=extra,
    )
    return df


def _combined_note(entries: list[dict], skipped: list[dict], column: str) -> LoadWarning:
    """SHEETS_COMBINED: which sheets were read as one list, and which were not."""
    read = "、".join(f"“{e['name']}”{e['records']} 条（表头在第 {e['header_row']} 行）" for e in entries)
    rest = "；未读取：" + "、".join(f"“{s['name']}”（{s['reason']}）" for s in skipped) if skipped else ""
    return LoadWarning(
        "SHEETS_COMBINED",
        f"读取了 {len(entries)} 个表头与版式相符的工作表，按字段合并为一份名单：{read}；"
        f"每条记录所在的工作表见“{column}”列，行号是该工作表中的行号{rest}",
        None,
        len(entries),
    )


def _given_sheet(path: Path, sheet: str | int, names: list[str], sheets: dict) -> str:
    """The name of the sheet the caller named (a name or a 0-based index); a FileFormatError when there is none."""
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
    return chosen


def _scan_sheet(wb: Workbook, ws: ReadOnlyWorksheet, epoch: datetime | None) -> list:
    """The sheet's first non-blank rows (``scan_rows``): only the start of its XML is read."""
    gen = _row_iter(wb, ws)
    try:
        return scan_rows(gen, epoch)[1]
    finally:
        gen.close()


def _choose_sheet(
    wb: Workbook, sheets: dict, layout: Layout | None, epoch: datetime | None, want_scan: bool = False
) -> tuple[str | None, str, list]:
    """(sheet, how it was chosen, its first rows when ``want_scan``): the sheet whose header best matches the
    layout; without a layout the first sheet that has a header row. Visible sheets are preferred to hidden
    ones (templates hide their code lists)."""
    order = sorted(sheets.values(), key=lambda ws: getattr(ws, "sheet_state", "visible") != "visible")
    if not order:
        return None, "", []
    matcher = HeaderMatcher(layout)
    best, best_score, best_scan = None, 1, []
    for ws in order:
        scan = _scan_sheet(wb, ws, epoch)
        if not scan:
            continue
        found = find_header([(r, t) for _, r, t in scan], matcher)
        if found is None:
            continue
        if layout is None:
            return ws.title, "第一个有表头的工作表", scan if want_scan else []
        if found[1] > best_score:
            best, best_score, best_scan = ws.title, found[1], scan
    if best is not None:
        return best, "表头与版式最相符", best_scan if want_scan else []
    if layout is not None:
        return None, "没有相符的表头", []
    return order[0].title, "第一个工作表", []


def _plan_sheets(
    wb: Workbook, names: list[str], sheets: dict, layout: Layout, epoch: datetime | None
) -> tuple[list[str], str, list[dict], list[LoadWarning]]:
    """(the sheets to read through ``layout``, in workbook order; how they were chosen; the sheets not read, each
    ``{"name", "reason"}``; warnings about them). Read: every visible sheet whose header row matches at least
    half of the fields the best-matching visible sheet's header matches (004: 在校 in sheet1, 离校/休学/对外交流
    in sheet2, the same template). Not read: a sheet without such a header (a 说明 or code-list sheet), a hidden
    sheet (templates hide their code lists: one is read only when no visible sheet has the headers), a visible
    sheet whose header matches too few of the fields to be the same list (``SHEET_NOT_READ``: it may hold
    records; read it with ``sheet=``)."""
    matcher = HeaderMatcher(layout)
    found: dict[str, tuple[set, bool, int]] = {}  # sheet → (fields its header matches, visible, header row)
    skipped: dict[str, str] = {}
    for name in names:
        ws = sheets.get(name)
        if ws is None:
            skipped[name] = "图表工作表，没有数据"
            continue
        scan = _scan_sheet(wb, ws, epoch)
        if not scan:
            skipped[name] = "空白工作表"
            continue
        hit = find_header([(r, t) for _, r, t in scan], matcher)
        if hit is None:
            skipped[name] = "没有与版式相符的表头行"
            continue
        _, row, texts = scan[hit[0]]
        codes = {c for c in (matcher.code(t) for t in texts) if c}
        found[name] = (codes, getattr(ws, "sheet_state", "visible") == "visible", row)
    visible = [n for n in names if n in found and found[n][1]]
    warnings: list[LoadWarning] = []
    if visible:
        best = max(visible, key=lambda n: len(found[n][0]))  # the first of the best
        want = found[best][0]
        plan = [n for n in visible if 2 * len(found[n][0] & want) >= len(want)]
        for n in names:
            if n not in found or n in plan:
                continue
            codes, shown, row = found[n]
            if not shown:
                skipped[n] = "隐藏的工作表"
                continue
            common = [c for c in layout.codes if c in codes]
            skipped[n] = f"表头只有 {len(common)} 个列名与版式相符，不像同一份名单"
            labels = "、".join(layout.field(c).name for c in common[:6]) + (" 等" if len(common) > 6 else "")
            warnings.append(
                LoadWarning(
                    "SHEET_NOT_READ",
                    f"工作表“{n}”第 {row} 行像表头，但只有 {len(common)} 个列名（{labels}）与版式“{layout.title}”相符，"
                    f"远少于工作表“{best}”的 {len(want)} 个，没有读取；如果它也是学生名单，请单独读取"
                    f'（read_table(..., sheet="{n}")）并核对表头',
                    None,
                    1,
                    (),
                    n,
                )
            )
        how = f"表头与版式相符的 {len(plan)} 个工作表" if len(plan) > 1 else "表头与版式最相符"
    elif found:  # only hidden sheets carry the headers: the best of them, as before
        best = max(found, key=lambda n: len(found[n][0]))
        plan, how = [best], "表头与版式最相符"
        for n in found:
            if n != best:
                skipped[n] = "隐藏的工作表"
    else:
        plan, how = [], "没有相符的表头"
    return plan, how, [{"name": n, "reason": skipped[n]} for n in names if n in skipped], warnings
