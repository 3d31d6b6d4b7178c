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
``BLANK_HEADER``, ``DUPLICATE_HEADER``, ``BLANK_ROWS``, ``SHEET_FIELD_MISSING``, ``SHEET_NOT_READ``,
``SHEETS_COMBINED``; the ones in ``INFO_CODES`` are notes only.

Rows: the header is looked for among the first 10 non-blank rows; non-blank rows above it are titles
(``extra["title_rows"]``). Blank rows below the header (every cell empty or spaces) are left out and
counted: ``extra["blank_rows"]`` (between the header and the last record, also a ``BLANK_ROWS`` note)
and ``extra["trailing_blank_rows"]`` (only spaces, after the last record), so every row below the
header is either a record or counted. ``extra["source_rows"][i]`` is the spreadsheet row
(1-based, as Excel shows it) of record ``i`` (a numpy array: pandas deep-copies ``attrs`` on every
operation, a 100,000-item list would make each one slow); warning examples name spreadsheet rows too.

Sheets: read through a layout, a workbook gives the records of **every** visible sheet whose header matches
the layout (at least half the fields the best sheet's header matches; 004: 在校 in sheet1, 离校/休学/对外交流 in
sheet2), in sheet order, combined by field code whatever each sheet's column order (a column one sheet lacks is
"" there; a layout field another sheet has is ``SHEET_FIELD_MISSING``). Several sheets read: column ``工作表``
(``io.assemble.SHEET_COLUMN``; ``extra["sheet_column"]``) and ``extra["source_sheets"][i]`` (index into
``extra["sheets"]``) say which sheet record ``i`` came from, ``source_rows`` its row there; each sheet's warnings
start with 工作表“…” (``LoadWarning.sheet``); a ``SHEETS_COMBINED`` note names the sheets read and not read.
``extra["sheets"]``: one ``{"name", "records", "header_row", …}`` per sheet read; ``extra["skipped_sheets"]``:
``{"name", "reason"}`` per sheet not read (a 说明 sheet, a hidden code list; a visible sheet whose header matches
only a few fields is also a ``SHEET_NOT_READ`` warning); ``extra["workbook_sheets"]``: every sheet's name.
``sheet=`` (a name or 0-based index) reads that one sheet only, as before; without a layout the first sheet
with a header row is read.

Where the work is done: ``io.xlsx`` reads a workbook's sheets (a regular-expression scanner of the sheet XML,
about 8× openpyxl's cells), ``io.text_tables`` CSV/TXT (encoding and delimiter detection), ``io.assemble``
finds the header, matches it to the layout and counts the warnings, ``io.cells`` turns a raw cell into its
text, ``io.excel_writer`` writes ``write_excel``'s workbooks. This module holds the entry points.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..core.errors import FileFormatError, XuejiError
from ..core.progress import Progress, ProgressArg
from ..schema.layouts import Layout, load_layout
from .assemble import INFO_CODES
from .dbf import check_input_file
from .excel_writer import write_excel
from .text_tables import read_text
from .xlsx import OLE2_MAGIC, ChooseLayout, read_xlsx

__all__ = ["read_table", "read_table_choosing", "load_file", "write_excel", "INFO_CODES"]

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}


def load_file(
    path: str | os.PathLike,
    layout: str | os.PathLike | Layout | None = None,
    *,
    encoding: str | None = None,
    progress: ProgressArg = None,
) -> pd.DataFrame:
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


def read_table(
    path: str | os.PathLike,
    layout: str | os.PathLike | Layout | None = None,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    progress: ProgressArg = None,
) -> pd.DataFrame:
    """Read an Excel sheet (.xlsx/.xlsm) or a CSV/TXT file into a ``str`` DataFrame, every cell as text.

    ``layout`` (a name, a ``.yml`` path or a ``Layout``) maps header texts (名称, code or alias; ★ and
    blanks ignored) to field codes, decides which row is the header and which sheets to read (every visible
    sheet that carries the layout's headers, combined in sheet order, column ``工作表`` naming each record's
    sheet: see the module), and gives date fields their text form (YYYYMMDD/YYYYMM). ``sheet`` (name or
    0-based index) reads that one sheet only; ``encoding`` overrides CSV encoding detection (UTF-8 with or without BOM, UTF-16 with
    BOM, else gb18030). The ``LoadReport`` is in ``df.attrs["load_report"]``. ``progress`` (None: silent;
    True: notebook or stderr; a callable ``(label, done, total)``) is told the row reached every 4,096 rows.

        >>> df = read_table("名单.xlsx", "k12_student")                # doctest: +SKIP
        >>> load_report(df).extra["missing_fields"]                    # doctest: +SKIP
    """
    lay = load_layout(layout) if layout is not None else None
    return _read_table(Path(path), lay, sheet, encoding, progress, None)


def read_table_choosing(
    path: str | os.PathLike, choose: ChooseLayout, *, encoding: str | None = None, progress: ProgressArg = None
) -> pd.DataFrame:
    """``read_table`` without a layout given, its rows read once: ``choose(scan, sheet)`` gets the first rows of
    the sheet (or CSV) a read without a layout would take, before any record is read, and returns the layout
    to read it through (None: none) — how ``load_list`` recognises a sheet's layout in a single read."""
    return _read_table(Path(path), None, None, encoding, progress, choose)


def _read_table(
    path: Path,
    lay: Layout | None,
    sheet: str | int | None,
    encoding: str | None,
    progress: ProgressArg,
    choose: ChooseLayout | None,
) -> pd.DataFrame:
    if path.is_dir():
        raise FileFormatError(path, "这是一个文件夹，不是表格文件")
    check_input_file(path)  # missing (InputFileNotFound, a FileNotFoundError), a device or a pipe: XuejiError
    suffix = path.suffix.lower()
    task = Progress(progress, f"读取 {path.name}")
    try:
        if suffix in XLSX_SUFFIXES:
            if path.stat().st_size == 0:
                raise FileFormatError(path, "文件是空的（0 字节）")
            return read_xlsx(path, lay, sheet, task, choose)
        if suffix in TEXT_SUFFIXES:
            return read_text(path, lay, encoding, path.read_bytes(), task=task, choose=choose)
        if suffix in (".xls", ".et"):
            data = path.read_bytes()
            if not data:
                raise FileFormatError(path, "文件是空的（0 字节）")
            if data.startswith(b"PK"):  # an .xlsx saved under an .xls name
                return read_xlsx(path, lay, sheet, task, choose)
            if data.startswith(OLE2_MAGIC):
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
            return read_text(
                path,
                lay,
                encoding,
                data,
                task=task,
                note="扩展名是 .xls，但内容实际是文本表格，已按 CSV/制表符文本读取",
                choose=choose,
            )
        raise FileFormatError(
            path, f"不支持的文件类型 {path.suffix or '（无扩展名）'}：可读取 .xlsx、.xlsm、.csv、.txt"
        )
    except PermissionError as exc:
        raise PermissionError(f"没有权限读取文件 {path}（文件可能正被其他程序占用）") from exc
    finally:
        task.close()  # already finished when the rows ran out; otherwise ends the display as failed
