"""Reading a CSV/TXT table: the encoding detected (UTF-8 with or without BOM, UTF-16 with BOM, else
gb18030), the delimiter sniffed, the rows handed to ``assemble``.

    >>> from xueji_lib.io.text_tables import read_text
    >>> path = Path("data_samples/k12/学生名单_2026春_gbk.csv")
    >>> df = read_text(path, load_layout("k12_student"), None, path.read_bytes())   # doctest: +SKIP
    >>> load_report(df).encoding                                                      # doctest: +SKIP
    'gb18030'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..core.charsets import not_gbk
from ..core.errors import FileFormatError
from ..core.progress import Progress
from ..schema.layouts import Layout
from .assemble import assemble, counted, scan_rows
from .loadinfo import LoadReport

if TYPE_CHECKING:
    from .xlsx import ChooseLayout

__all__ = ["read_text"]

MAX_COLUMNS = 16384  # Excel's limit: a line with more cells is no roster


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
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            path, f"既不是 UTF-8 也不是 GBK/GB18030 编码（第 {exc.start} 字节附近无法解码），请用 encoding= 指定编码"
        ) from None
    _check_gbk_text(text, data, path)
    return text, "gb18030"


def _check_gbk_text(text: str, data: bytes, path: Path) -> None:
    """GB18030 decodes almost any bytes: a text that reads as mojibake (Big5 most often) is said so, not read
    (``core.charsets``)."""
    found = not_gbk(text, data)
    if found is not None:
        raise FileFormatError(path, found.message())


def _sniff_delimiter(text: str, suffix: str) -> str:
    lines = [ln for ln in text[:65536].splitlines()[:20] if ln.strip()][:10]
    best, best_n = ("\t" if suffix in (".txt", ".tsv") else ","), 0
    for cand in (",", "\t", ";", "|") if suffix not in (".txt", ".tsv") else ("\t", ",", ";", "|"):
        n = sum(ln.count(cand) for ln in lines)
        if n > best_n:
            best, best_n = cand, n
    return best


def read_text(
    path: Path,
    layout: Layout | None,
    encoding: str | None,
    data: bytes,
    note: str | None = None,
    task: Progress | None = None,
    choose: ChooseLayout | None = None,
) -> pd.DataFrame:
    """The CSV/TXT table in ``data`` (the bytes of ``path``) as ``read_table`` returns it, the ``LoadReport``
    in ``df.attrs``; ``note`` is recorded in its ``extra``. ``choose`` (``layout`` None): called with the first
    rows (``scan_rows``) before the records are read; the table is read once, through the layout it returns."""
    if not data:
        raise FileFormatError(path, "文件是空的（0 字节）")
    text, enc = _decode(data, encoding, path)
    if "\x00" in text[:4096]:
        raise FileFormatError(path, f"按 {enc} 解码后含有 NUL 字符，不是文本表格（可能是其他格式的文件改了扩展名）")
    delimiter = _sniff_delimiter(text, path.suffix.lower())
    if layout is None and choose is not None:  # the layout from the first rows only
        head = _rows(path, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        try:
            scan = scan_rows(head, None)[1]
        finally:
            head.close()
        if scan:
            layout = choose([(r, t) for _, r, t in scan], None)
    records = _rows(path, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if task is not None and not task.silent:  # the line count bounds the record count
        records = counted(records, task, text.count("\n") + (not text.endswith("\n")))
    df, fields, warns, extra = assemble(records, layout, path, "文件", None)
    extra = {"delimiter": delimiter, **extra}
    if note:
        extra["note"] = note
    df.attrs["load_report"] = LoadReport(
        path=str(path), format="csv", records=len(df), fields=fields, encoding=enc, warnings=warns, extra=extra
    )
    return df


def _rows(path: Path, reader) -> Iterator[tuple[int, list]]:
    """(line number, [(col, text, "s", 0)]) for each line of a CSV reader, as ``assemble`` takes rows."""
    try:
        for i, rec in enumerate(reader, start=1):
            if len(rec) > MAX_COLUMNS:
                raise FileFormatError(
                    path,
                    f"第 {reader.line_num} 行有 {len(rec):,} 列，超过 Excel 的 {MAX_COLUMNS:,} 列，"
                    f"不是名单表格（分隔符可能不对，或文件已损坏）",
                )
            yield i, [(j, v, "s", 0) for j, v in enumerate(rec) if v]
    except csv.Error as exc:
        raise FileFormatError(path, f"第 {reader.line_num} 行无法按 CSV 解析：{exc}") from None
