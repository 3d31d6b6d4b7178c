"""Read and write DBF files the way Chinese admission and registration systems make them.

    >>> import xueji_lib as xj
    >>> df = xj.read_dbf("data_samples/hei/10_注册上报.dbf")          # doctest: +SKIP
    >>> rep = xj.load_report(df)                                      # doctest: +SKIP
    >>> rep.encoding, rep.records, rep.deleted                        # doctest: +SKIP
    ('gb18030', 1012, 0)
    >>> xj.write_dbf(df, "out.dbf", layout="chsi_registration")       # doctest: +SKIP

Reading is vectorised over the fixed-width records: the file is memory-mapped, viewed as a
(records × record length) byte array in blocks, and every column is decoded with array operations
(one text decode per column and block, never one per cell), so a million-record file loads in seconds.
Values equal what dbfread returns wherever dbfread can read the file; where it cannot (an invalid
date, a half character at the end of a field, a wrong code page) the read goes on and the problem is
reported in the ``LoadReport`` in ``df.attrs["load_report"]``.

Types: C, V → str; N → Int64 when no cell has a decimal point (exact for 18-digit numbers), else
float64; F, B (Visual FoxPro), O → float64; I, + → int64; D → datetime64[s]; T, @ → datetime64[ms];
L → boolean; Y → Decimal (exact currency, as dbfread); M → str (binary memos as bytes); G, P, Q, W →
bytes. The Visual FoxPro system field ``_NullFlags`` is not returned.
"""

from __future__ import annotations

import datetime as _dt
import functools
import mmap
import os
import stat as _stat
import struct
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from ..core.arrowpool import retaining_pool
from ..core.charsets import not_gbk
from ..core.errors import (
    FileFormatError,
    InputFileNotFound,  # defined in core.errors; importable from here as before
    MemoFileMissing,
    TruncatedFileError,
    WriteError,
    XuejiError,
)
from ..core.files import write_atomic
from ..core.normalize import valid_ymd
from ..core.privacy import mask_value
from ..core.progress import Progress, ProgressArg
from ..core.textbytes import matrix_strings
from .loadinfo import MAX_EXAMPLES, FieldSpec, LoadReport, WarningTally

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from ..schema.layouts import Layout

__all__ = ["read_dbf", "write_dbf", "inspect_dbf", "DbfHeader", "InputFileNotFound"]


def check_input_file(path: Path) -> int:
    """The size of the regular file at ``path``; a missing path, a folder or a device is a ``XuejiError``."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputFileNotFound(path) from None
    except OSError as exc:
        raise FileFormatError(path, f"无法读取文件（{exc.strerror or type(exc).__name__}）") from None
    if _stat.S_ISDIR(st.st_mode):
        raise FileFormatError(path, "这是一个文件夹，不是数据文件；请选择文件夹中的文件")
    if not _stat.S_ISREG(st.st_mode):
        raise FileFormatError(path, "不是普通文件（是设备、管道或套接字），无法作为数据文件读取")
    return st.st_size


VERSION_NAMES = {
    0x02: "FoxBASE",
    0x03: "dBase III / FoxBASE+ / FoxPro（无备注）",
    0x04: "dBase IV（无备注）",
    0x05: "dBase V（无备注）",
    0x30: "Visual FoxPro",
    0x31: "Visual FoxPro（自增字段）",
    0x32: "Visual FoxPro（Varchar/Varbinary）",
    0x43: "dBase IV SQL 表（无备注）",
    0x63: "dBase IV SQL 系统表（无备注）",
    0x7B: "dBase IV（有备注）",
    0x83: "dBase III+（有备注 .DBT）",
    0x8B: "dBase IV（有备注 .DBT）",
    0x8E: "dBase IV（SQL 表）",
    0xCB: "dBase IV SQL 表（有备注）",
    0xE5: "HiPer-Six（SMT 备注）",
    0xF5: "FoxPro 2.x（有备注 .FPT）",
    0xFB: "FoxBASE",
}
VFP_VERSIONS = {0x30, 0x31, 0x32}

# Language driver ID (header byte 29) → Python codec. Chinese GBK tags decode as gb18030, the superset,
# so rare name characters (䶮 …) survive. From dbfread's table (after Ethan Furman's dbf).
CODEPAGES = {
    0x01: "cp437",
    0x02: "cp850",
    0x03: "cp1252",
    0x04: "mac_roman",
    0x08: "cp865",
    0x09: "cp437",
    0x0A: "cp850",
    0x0B: "cp437",
    0x0D: "cp437",
    0x0E: "cp850",
    0x0F: "cp437",
    0x10: "cp850",
    0x11: "cp437",
    0x12: "cp850",
    0x13: "cp932",
    0x14: "cp850",
    0x15: "cp437",
    0x16: "cp850",
    0x17: "cp865",
    0x18: "cp437",
    0x19: "cp437",
    0x1A: "cp850",
    0x1B: "cp437",
    0x1C: "cp863",
    0x1D: "cp850",
    0x1F: "cp852",
    0x22: "cp852",
    0x23: "cp852",
    0x24: "cp860",
    0x25: "cp850",
    0x26: "cp866",
    0x37: "cp850",
    0x40: "cp852",
    0x4D: "gb18030",
    0x4E: "cp949",
    0x4F: "cp950",
    0x50: "cp874",
    0x57: "cp1252",
    0x58: "cp1252",
    0x59: "cp1252",
    0x64: "cp852",
    0x65: "cp866",
    0x66: "cp865",
    0x67: "cp861",
    0x6A: "cp737",
    0x6B: "cp857",
    0x78: "cp950",
    0x79: "cp949",
    0x7A: "gb18030",
    0x7B: "cp932",
    0x7C: "cp874",
    0x7D: "cp1255",
    0x7E: "cp1256",
    0x96: "mac_cyrillic",
    0x97: "mac_latin2",
    0x98: "mac_greek",
    0xC8: "cp1250",
    0xC9: "cp1251",
    0xCA: "cp1254",
    0xCB: "cp1253",
}
GBK_LDID = 0x4D
BLOCK_RECORDS = 16384
_STR = pd.StringDtype("pyarrow", na_value=np.nan)
_MEMO_TYPES = set("MGPB")


@dataclass(frozen=True)
class _Field:
    name: str  # upper-cased
    source_name: str
    type: str
    offset: int  # from the start of the record (the deletion flag is byte 0)
    length: int
    decimals: int
    flags: int


@dataclass(frozen=True)
class DbfHeader:
    """What the header of a DBF says, read without touching the records."""

    path: str
    version: int
    last_update: str | None
    records: int
    header_length: int
    record_length: int
    codepage: int
    fields: tuple[_Field, ...]
    system_fields: tuple[_Field, ...]
    file_size: int
    layout: str  # "standard" or "dbase2"

    @property
    def version_name(self) -> str:
        return VERSION_NAMES.get(self.version, "未知版本")


# ----------------------------------------------------------------------------------------------- header


def inspect_dbf(path: str | os.PathLike) -> DbfHeader:
    """Parse the header and field descriptors of a DBF; raises ``FileFormatError`` if it is not one.

    >>> head = xj.inspect_dbf("data_samples/hei/10_录取名单.dbf")
    >>> head.version, hex(head.codepage), head.records
    (3, '0x4d', 1000)
    """
    path = Path(path)
    size = check_input_file(path)
    with open(path, "rb") as fh:
        head = fh.read(min(size, 65536 + 32))
    return _parse_header(path, head, size)


def _parse_header(path: Path, head: bytes, size: int) -> DbfHeader:
    if size < 32:
        raise FileFormatError(path, f"不是 DBF 文件：只有 {size} 字节，连文件头都不完整。")
    version = head[0]
    if version not in VERSION_NAMES:
        raise FileFormatError(
            path,
            f"不是 DBF 文件：首字节 0x{version:02X} 不是已知的 DBF 版本号"
            "（可能是 Excel、压缩包或其他格式，改了扩展名）。",
        )
    nrec, hlen, rlen = struct.unpack_from("<LHH", head, 4)
    try:
        return _parse_standard(path, head, size, version, nrec, hlen, rlen)
    except FileFormatError:
        if version == 0x02:  # FoxBASE / dBase II: 8-byte header, 16-byte descriptors
            return _parse_dbase2(path, head, size)
        raise


def _parse_standard(path, head, size, version, nrec, hlen, rlen) -> DbfHeader:
    if hlen < 33 or hlen > size or rlen < 1:
        raise FileFormatError(path, f"不是有效的 DBF 文件：文件头长度 {hlen}、记录长度 {rlen} 不合理。")
    if len(head) < hlen:
        raise FileFormatError(path, f"文件头长度 {hlen} 超出可读范围。")
    ldid = head[29]
    yy, mm, dd = head[1], head[2], head[3]
    try:
        last_update = _dt.date(1900 + yy if yy >= 80 else 2000 + yy, mm, dd).isoformat()
    except ValueError:
        last_update = None
    raw_fields = []
    pos = 32
    while pos + 32 <= hlen and head[pos] not in (0x0D, 0x0A):
        raw_fields.append(head[pos : pos + 32])
        pos += 32
    if pos + 32 > hlen and pos < hlen and head[pos] not in (0x0D, 0x0A):
        raise FileFormatError(path, "字段描述区没有结束标记（0x0D），文件头已损坏。")
    if not raw_fields:
        raise FileFormatError(path, "文件头中没有任何字段描述，不是有效的 DBF 文件。")
    specs = []
    for raw in raw_fields:
        name_bytes = raw[:11].split(b"\0", 1)[0]
        ftype = chr(raw[11])
        address = struct.unpack_from("<L", raw, 12)[0]
        specs.append((name_bytes, ftype, address, raw[16], raw[17], raw[18]))
    # C fields longer than 255 bytes keep the high byte in the decimal count (Clipper/FoxPro).
    lengths_plain = [s[3] for s in specs]
    lengths_long = [s[3] | (s[4] << 8) if s[1] == "C" else s[3] for s in specs]
    if sum(lengths_long) + 1 == rlen:
        lengths = lengths_long
    elif sum(lengths_plain) + 1 <= rlen:
        lengths = lengths_plain
    elif sum(lengths_long) + 1 <= rlen:
        lengths = lengths_long
    else:
        raise FileFormatError(path, f"字段宽度之和 {sum(lengths_plain)} 超过记录长度 {rlen - 1}，文件头已损坏。")
    fields, system = [], []
    offset = 1
    for (name_bytes, ftype, *_), length in zip(specs, lengths):
        if length == 0:
            name = name_bytes.decode("gb18030", errors="replace").strip() or "（无名）"
            raise FileFormatError(path, f"字段 {name}（类型 {ftype!r}）的宽度为 0，文件头已损坏。")
    enc_names = CODEPAGES.get(ldid, "gb18030")
    for (name_bytes, ftype, _addr, _l, dec, flags), length in zip(specs, lengths):
        try:
            src = name_bytes.decode(enc_names)
        except UnicodeDecodeError:
            src = name_bytes.decode("gb18030", errors="replace")
        src = src.strip()
        f = _Field(src.upper(), src, ftype, offset, length, 0 if ftype == "C" else dec, flags)
        offset += length
        (system if ftype == "0" or src.upper() == "_NULLFLAGS" else fields).append(f)
    return DbfHeader(
        str(path), version, last_update, nrec, hlen, rlen, ldid, tuple(fields), tuple(system), size, "standard"
    )


def _parse_dbase2(path, head, size) -> DbfHeader:
    (nrec,) = struct.unpack_from("<H", head, 1)
    (rlen,) = struct.unpack_from("<H", head, 6)
    fields, pos, offset = [], 8, 1
    while pos + 16 <= min(len(head), 8 + 32 * 16) and head[pos] != 0x0D:
        raw = head[pos : pos + 16]
        src = raw[:11].split(b"\0", 1)[0].decode("gb18030", errors="replace").strip()
        fields.append(_Field(src.upper(), src, chr(raw[11]), offset, raw[12], raw[15], 0))
        offset += raw[12]
        pos += 16
    hlen = 8 + 32 * 16 + 1
    if not fields or offset != rlen or hlen > size:
        raise FileFormatError(path, "不是有效的 DBF 文件：文件头无法按任何已知版本解析。")
    return DbfHeader(str(path), 0x02, None, nrec, hlen, rlen, 0, tuple(fields), (), size, "dbase2")


# ------------------------------------------------------------------------------------------------ reading


def read_dbf(
    path: str | os.PathLike,
    encoding: str | None = None,
    *,
    columns: Iterable[str] | None = None,
    include_deleted: bool = False,
    progress: ProgressArg = None,
    records: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Read a DBF into a DataFrame; column names upper-case; deleted records left out.

    ``encoding`` overrides the code-page byte (which otherwise decides; an unset byte on a file with
    Chinese text is read as gb18030). ``columns`` reads only those fields. The ``LoadReport`` (version,
    code page, counts, field specs, warnings) is in ``df.attrs["load_report"]``. ``progress`` (None:
    silent; True: notebook or stderr; a callable ``(label, done, total)``) is told the records read
    per 16,384-record block (see ``xueji_lib.core.progress``). ``records=(start, stop)`` reads only those
    records (0-based positions in the file, deleted ones included, stop excluded) and numbers them as the
    full read does: the same index labels, the same row numbers in the warnings.

    >>> reg = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    >>> len(reg), list(reg.columns[:4])
    (995, ['KSH', 'XH', 'XM', 'XB'])
    >>> xj.read_dbf("data_samples/hei/10_注册上报.dbf", columns=["KSH", "XM"]).shape
    (995, 2)

    Any bytes give a DataFrame or a ``XuejiError`` naming the file and what is wrong (lengths and offsets
    in the file are checked against its size before anything is allocated).
    """
    path = Path(path)
    if encoding is not None:
        encoding = _check_encoding(path, encoding)
    try:
        with retaining_pool():
            return _read_dbf(path, encoding, columns, include_deleted, progress, records)
    except (XuejiError, _ArgumentError):
        raise
    except (IndexError, KeyError, ValueError, struct.error, OverflowError, UnicodeError) as exc:
        raise FileFormatError(path, f"文件已损坏，无法读取（{type(exc).__name__}：{exc}）") from exc


class _ArgumentError(ValueError):
    """A wrong argument (not a damaged file)."""


def _check_encoding(path: Path, encoding: str) -> str:
    """``encoding`` if it can decode a DBF: a known codec whose ASCII is ASCII (fixed-width fields, space padding)."""
    import codecs

    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise FileFormatError(path, f"不认识的编码名称 {encoding!r}（DBF 常用 gbk、gb18030、big5、utf-8）") from None
    probe = "AZaz09 .-"
    try:
        ok = probe.encode(encoding) == probe.encode("ascii")
    except (UnicodeError, LookupError):
        ok = False
    if not ok:
        raise FileFormatError(
            path,
            f"编码 {encoding} 不能用于 DBF 文件（DBF 的字段按字节定宽、以空格填充，{encoding} 的英文字母和空格"
            "不是单字节）；读出来会是乱码。请不指定编码，或用 gbk、gb18030、big5、utf-8",
        )
    return encoding


def _read_dbf(path: Path, encoding, columns, include_deleted, progress, records) -> pd.DataFrame:
    header = inspect_dbf(path)
    warnings = WarningTally()
    fields = list(header.fields)
    if columns is not None:
        wanted = [str(c).upper() for c in columns]
        unknown = [c for c in wanted if c not in {f.name for f in fields}]
        if unknown:
            raise FileFormatError(
                path, f"没有字段 {', '.join(unknown)}；文件的字段为 {', '.join(f.name for f in fields)}"
            )
        fields = [f for f in fields if f.name in wanted]
    fields = _dedupe_names(fields, warnings)

    # How many records are really there?
    rlen, start = header.record_length, header.header_length
    available = header.file_size - start
    complete = max(available, 0) // rlen
    mm = _map_file(path, header.file_size, whole=records is None)
    nrec = header.records
    if complete < nrec:
        partial = available - complete * rlen
        # A trailing EOF byte after the last complete record is not a partial record.
        if partial == 1 and mm[start + complete * rlen] == 0x1A:
            partial = 0
        raise TruncatedFileError(path, nrec, complete, partial)
    extra = _extra_records(mm, start, rlen, nrec, complete) if complete > nrec else 0
    r0, r1 = _record_range(path, records, nrec + extra)
    if extra and min(r1, nrec + extra) > max(r0, nrec):  # the extra records (or some of them) are read
        lo, k = max(r0, nrec), min(r1 - max(r0, nrec), extra, MAX_EXAMPLES)
        warnings.add(
            "EXTRA_RECORDS",
            None,
            f"文件头记录数为 {nrec}，但文件中还有 {extra} 条完整记录（文件头未更新），已一并读入",
            range(lo + 1, lo + 1 + k),
            [""] * k,
        )
    nrec += extra

    encoding, enc_note = _choose_encoding(header, mm, start, rlen, nrec, fields, encoding)
    if enc_note:
        warnings.add(enc_note[0], None, enc_note[1], [], [])

    memo = _open_memo(path, header, fields)
    states: dict[str, dict] = {f.name: {} for f in fields}
    # Records r0..r1 from here on (the whole file unless ``records``); rows are numbered as in the full
    # read, so the rows before r0 are counted from their deletion flags alone.
    before = (
        r0
        if include_deleted or not r0
        else r0 - int(np.count_nonzero(mm[start : start + r0 * rlen].reshape(r0, rlen)[:, 0] == 0x2A))
    )
    base, nrec_file, nrec = start + r0 * rlen, nrec, r1 - r0
    flags = np.array(mm[base : base + nrec * rlen].reshape(nrec, rlen)[:, 0]) if nrec else np.zeros(0, np.uint8)
    deleted = flags == 0x2A
    keep_all = np.ones(nrec, bool) if include_deleted else ~deleted
    kept_before = np.concatenate([[before], np.cumsum(keep_all) + before])
    odd = np.flatnonzero((flags != 0x20) & ~deleted)
    if len(odd):
        warnings.add(
            "ODD_RECORD_FLAG",
            None,
            "记录的删除标记既不是空格也不是 *，按未删除记录读入",
            kept_before[odd] + 1,
            [f"0x{flags[i]:02X}" for i in odd[:MAX_EXAMPLES]],
        )

    def read_block(b0: int):
        b1 = min(nrec, b0 + BLOCK_RECORDS)
        rows = np.asarray(mm[base + b0 * rlen : base + b1 * rlen]).reshape(b1 - b0, rlen)  # noqa: F821 (blocks are read before `del mm`)
        if not keep_all[b0:b1].all():
            rows = rows[keep_all[b0:b1]]  # a copy without the deleted records; otherwise the mapped bytes
        # 1-based position among the live records (what the user sees as the row number)
        rownums = np.arange(kept_before[b0] + 1, kept_before[b0] + 1 + len(rows))
        local = WarningTally()
        # the smallest and largest byte at each position of the record, over the block: which columns
        # are ASCII, which hold a NUL byte
        low, top = (rows.min(axis=0), rows.max(axis=0)) if len(rows) else (np.zeros(rlen, np.uint8),) * 2
        cols = [
            _decode_column(
                f,
                rows[:, f.offset : f.offset + f.length],
                rownums,
                encoding,
                header,
                memo,
                local,
                states[f.name],
                (low[f.offset : f.offset + f.length], top[f.offset : f.offset + f.length]),
            )
            for f in fields
        ]
        return cols, local

    starts = list(range(0, nrec, BLOCK_RECORDS)) or [0]  # an empty block gives empty typed columns
    # progress per block, reported on this thread as the blocks come back in order (never per row)
    task = Progress(progress, f"读取 {path.name}", total=nrec)
    try:
        results = [read_block(starts[0])] if starts else []  # the first block settles per-column choices
        task.update(min(nrec, BLOCK_RECORDS))
        if len(starts) > 1:
            threads = 1 if memo is not None else min(2, os.cpu_count() or 1)
            if threads > 1:
                with ThreadPoolExecutor(threads) as pool:
                    for b0, res in zip(starts[1:], pool.map(read_block, starts[1:])):
                        results.append(res)
                        task.update(min(nrec, b0 + BLOCK_RECORDS))
            else:
                for b0 in starts[1:]:
                    results.append(read_block(b0))
                    task.update(min(nrec, b0 + BLOCK_RECORDS))
    finally:
        task.close()
        if memo is not None:
            memo.close()
    parts: dict[str, list] = {f.name: [] for f in fields}
    for cols, local in results:
        warnings.merge(local)
        for f, col in zip(fields, cols):
            parts[f.name].append(col)
    deleted_total = int(deleted.sum())
    kept_so_far = int(kept_before[-1])
    odd_flags = len(odd)
    data = {f.name: _concat(f, parts[f.name]) for f in fields}
    df = pd.DataFrame(data, columns=[f.name for f in fields])
    if not fields:
        df = pd.DataFrame(index=pd.RangeIndex(before, kept_so_far))
    elif before:
        df.index = pd.RangeIndex(before, kept_so_far)
    df.attrs["load_report"] = LoadReport(
        path=str(path),
        format="dbf",
        records=len(df),
        fields=tuple(FieldSpec(f.name, f.type, f.length, f.decimals, f.source_name) for f in fields),
        encoding=encoding,
        warnings=warnings.result(),
        version=header.version,
        version_name=header.version_name,
        codepage=header.codepage,
        header_records=header.records,
        deleted=deleted_total if not include_deleted else 0,
        last_update=header.last_update,
        extra={
            "odd_flags": odd_flags,
            "layout": header.layout,
            "include_deleted": include_deleted,
            **({} if records is None else {"records": (r0, r1), "file_records": nrec_file}),
        },
    )
    del mm
    return df


def _map_file(path: Path, size: int, whole: bool) -> np.ndarray:
    """The file's bytes, memory-mapped read-only.

    For a read of the whole file, where the platform has it (Linux), the kernel maps every page in the one
    call (``MAP_POPULATE``): every page is read anyway, and faulting them in one at a time, on the first
    touch of each (the deletion flags, read before the blocks on one thread), took three times as long
    (26 ms against 8.5 ms for the 404 MB bench file in the page cache, issue 19).
    """
    if size == 0:
        return np.zeros(0, np.uint8)
    populate = getattr(mmap, "MAP_POPULATE", None)
    if not whole or populate is None:
        return np.memmap(path, dtype=np.uint8, mode="r")
    with open(path, "rb") as fh:
        return np.frombuffer(mmap.mmap(fh.fileno(), 0, flags=mmap.MAP_SHARED | populate, prot=mmap.PROT_READ), np.uint8)


def _dedupe_names(fields, warnings):
    seen: dict[str, int] = {}
    out = []
    for f in fields:
        name = f.name or "FIELD"
        if name in seen:
            seen[name] += 1
            new = f"{name}_{seen[name]}"
            warnings.add("DUPLICATE_FIELD_NAME", name, f"字段名 {name} 重复，第 {seen[name]} 个改名为 {new}", [], [])
            f = _Field(new, f.source_name, f.type, f.offset, f.length, f.decimals, f.flags)
        else:
            seen[name] = 1
        out.append(f)
    return out


def _record_range(path, records, nrec) -> tuple[int, int]:
    """``records`` = (start, stop) checked against the file's ``nrec`` records; None → all of them."""
    if records is None:
        return 0, nrec
    try:
        r0, r1 = (int(r) for r in records)
    except (TypeError, ValueError):
        raise _ArgumentError(f"records 应为 (起, 止) 两个整数，而不是 {records!r}") from None
    if not 0 <= r0 <= r1 <= nrec:
        raise _ArgumentError(f"文件 {path} 共 {nrec} 条记录，记录范围 ({r0}, {r1}) 超出 0–{nrec}")
    return r0, r1


def _extra_records(mm, start, rlen, nrec, complete) -> int:
    """Complete records past the header's count whose flags look like records (not after an EOF mark)."""
    n = 0
    for i in range(nrec, complete):
        flag = mm[start + i * rlen]
        if flag not in (0x20, 0x2A):
            break
        n += 1
    return n


def _choose_encoding(header, mm, start, rlen, nrec, fields, requested):
    if requested:
        return requested, None
    ldid = header.codepage
    text_fields = [f for f in fields if f.type in "CVM"]
    if ldid in CODEPAGES:
        enc = CODEPAGES[ldid]
        if enc == "gb18030" or not text_fields:
            return enc, None
        # A Western code page on a file whose text is GBK is a common export mistake: say so, not "fix".
        sample = _sample_high_bytes(mm, start, rlen, nrec, text_fields)
        if sample and _looks_like_gbk(sample):
            return enc, (
                "CODEPAGE_SUSPECT",
                f"文件标明代码页 0x{ldid:02X}（{enc}），但文字内容像 GBK 中文；如显示乱码，请用 "
                "encoding='gb18030' 重新读取",
            )
        return enc, None
    sample = _sample_high_bytes(mm, start, rlen, nrec, text_fields) if text_fields else b""
    # No code page (or an unknown one): read as GB18030, unless the text is Big5 (繁体), which GB18030 would
    # decode without an error, as mojibake. Said as the CSV reader says it (core.charsets).
    found = not_gbk(sample.decode("gb18030", errors="replace"), sample) if sample else None
    if found is not None and found.big5:
        mark = "未标明代码页（字节 29 为 0）" if ldid == 0 else f"代码页字节 0x{ldid:02X} 未知"
        raise FileFormatError(header.path, f"文件{mark}；{found.message()}")
    if ldid == 0:
        if sample:
            return "gb18030", ("CODEPAGE_UNSET", "文件未标明代码页（字节 29 为 0），内容含中文，按 GB18030 解码")
        return "gb18030", None
    return "gb18030", ("CODEPAGE_UNKNOWN", f"代码页字节 0x{ldid:02X} 未知，按 GB18030 解码")


def _sample_high_bytes(mm, start, rlen, nrec, text_fields, limit=20000) -> bytes:
    n = min(nrec, limit)
    if n == 0:
        return b""
    block = mm[start : start + n * rlen].reshape(n, rlen)
    chunks = []
    for f in text_fields:
        if f.type == "M":
            continue
        cells = block[:, f.offset : f.offset + f.length]
        rows = np.flatnonzero((cells >= 0x80).any(axis=1))[:200]
        chunks.extend(bytes(cells[r]).rstrip(b" \0") for r in rows)
    return b"\n".join(chunks)


def _looks_like_gbk(sample: bytes) -> bool:
    try:
        text = sample.decode("gb18030")
    except UnicodeDecodeError:
        return False
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return cjk >= max(1, len(text.replace("\n", "")) // 3)


# ----------------------------------------------------------------------------------------- column decoders


def _decode_column(f: _Field, cells: np.ndarray, rownums, encoding, header, memo, warnings, state, bytes_=None):
    t = f.type
    if t in "CV":
        return _decode_text(f, cells, rownums, encoding, warnings, state, bytes_)
    if t == "N":
        return _decode_number(f, cells, rownums, warnings, allow_int=True)
    if t == "F":
        return _decode_number(f, cells, rownums, warnings, allow_int=False)
    if t == "D":
        return _decode_date(f, cells, rownums, warnings)
    if t == "L":
        return _decode_logical(f, cells, rownums, warnings)
    if t in "I+" and f.length == 4:
        return np.ascontiguousarray(cells).view("<i4").ravel().astype(np.int64)
    if (t == "B" and header.version in VFP_VERSIONS and f.length == 8) or (t == "O" and f.length == 8):
        return np.ascontiguousarray(cells).view("<f8").ravel().copy()
    if t == "Y" and f.length == 8:
        ints = np.ascontiguousarray(cells).view("<i8").ravel()
        return np.array([Decimal(int(v)) / 10000 for v in ints], dtype=object)
    if t in "T@" and f.length == 8:
        return _decode_datetime(f, cells, rownums, warnings)
    if t in _MEMO_TYPES:
        return _decode_memo(f, cells, rownums, encoding, memo, warnings)
    # Q (varbinary), W (blob) and anything unknown: the raw bytes, nothing dropped.
    if t not in "QW":
        warnings.add("UNKNOWN_FIELD_TYPE", f.name, f"字段类型 {t!r} 未知，按原始字节返回", [], [])
    return np.array([bytes(r) for r in cells], dtype=object)


def _trailing_lengths(cells: np.ndarray) -> np.ndarray:
    """Length of each cell without trailing spaces and NULs (what dbfread's rstrip(b'\\0 ') keeps)."""
    k, w = cells.shape
    if w == 0 or k == 0:
        return np.zeros(k, np.int64)
    nonpad = (cells != 0x20) & (cells != 0x00)
    last = np.argmax(nonpad[:, ::-1], axis=1)
    return np.where(nonpad.any(axis=1), w - last, 0).astype(np.int64)


def _arrow_strings(data: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """A large_string array (what pandas' string dtype holds) straight from UTF-8 bytes and lengths."""
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pa.LargeStringArray.from_buffers(len(lengths), pa.py_buffer(offsets), pa.py_buffer(data))


def _decode_text(f, cells, rownums, encoding, warnings, state, bytes_=None) -> pa.Array:
    """One block of a C/V column as a large_string array.

    ``bytes_``: (the smallest, the largest byte at each position of the field over the block), if known.
    """
    k, w = cells.shape
    if k == 0:
        return pa.array([], pa.large_string())
    low, top = bytes_ if bytes_ is not None else (cells.min(axis=0), cells.max(axis=0))
    lo, hi = int(low.min()), int(top.max())
    fixed = low == top  # the positions at which every cell has the same byte
    same = bool(fixed.all())
    high = hi >= 0x80
    ascii_ok = not high and _ascii_safe(encoding)
    # Columns with few distinct values (民族, 层次, 院系…): decode each distinct value once. The first block
    # decides whether a column is such a column; an ASCII block needs no decoding either way.
    if same and state.get("dict") is not None and (ascii_ok or state["dict"]):
        return _repeat_value(f, cells, rownums, encoding, warnings)  # one value (a school code, a blank remark)
    if state.get("dict") is None or (state["dict"] and not ascii_ok):
        fact = _factorize_rows(cells, limit=max(64, k // 8), fixed=fixed)
        if state.get("dict") is None:
            state["dict"] = fact is not None
        if fact is not None:
            codes, first = fact
            values = []
            for u, row in enumerate(first.tolist()):
                raw = bytes(cells[row]).rstrip(b" \0")  # as _trailing_lengths, for a few rows
                try:
                    values.append(raw.decode(encoding))
                except UnicodeDecodeError:
                    sel = np.flatnonzero(codes == u)
                    values.append(_decode_bad_cell(f, raw, encoding, rownums[sel], warnings))
            if len(values) == 1:
                raw = values[0].encode("utf-8")
                return matrix_strings(np.frombuffer(raw * k, np.uint8).reshape(k, len(raw)))
            return pa.array(values, pa.large_string()).take(pa.array(codes))
    # Past ``size`` every cell holds spaces; ``every``: no cell ends before ``size`` (codes, ID numbers, dates).
    pad = fixed & (low == 0x20)
    size = w - (int(np.argmin(pad[::-1])) if not pad.all() else w)
    every = size == 0 or low[size - 1] > 0x20
    if ascii_ok and every:
        return matrix_strings(cells[:, :size])
    if lo == 0:  # a NUL byte somewhere: the packing below relies on there being none
        return _decode_text_padded(f, cells, rownums, encoding, warnings, ascii_ok)
    if ascii_ok:  # ASCII is already UTF-8
        data, lengths = _packed_cells(cells[:, :size], lead=False)
        return _arrow_strings(data, lengths)
    # One decode for the whole column: each cell after a "\n" (never a GBK trail byte), then the cell
    # boundaries recovered from the newline positions in the UTF-8 result.
    if every:
        joined = np.empty((k, size + 1), np.uint8)
        joined[:, 0] = 0x0A
        joined[:, 1:] = cells[:, :size]
        joined, lengths = joined.reshape(-1), np.full(k, size, np.int64)
    else:
        joined, lengths = _packed_cells(cells[:, :size], lead=True)
    if lo > 0x0A or np.count_nonzero(joined == 0x0A) == k:  # no newline inside a cell
        out = _decode_joined(joined, encoding, k)
        if out is not None:
            return out
    return _decode_text_cells(f, cells, lengths, rownums, encoding, warnings)


def _packed_cells(cells: np.ndarray, lead: bool) -> tuple[np.ndarray, np.ndarray]:
    """The cells of a block (no NUL byte in any) without their trailing spaces, packed into one byte array
    (with ``lead``, each after a "\n"), and each cell's length without the "\n".

    The same bytes as ``b"".join(b"\n" * lead + bytes(c).rstrip(b" ") for c in cells)``, made by array
    operations: the lengths are numpy's lengths of the cells as fixed-width byte strings once their spaces
    are NULs (numpy's byte strings end at their last non-NUL byte), and the cells are packed by Arrow's
    conversion of those strings once the byte just past each cell is a NUL (Arrow's end at their first NUL,
    so the spaces inside a cell stay spaces there).
    """
    k, w = cells.shape
    skip = 1 if lead else 0
    width = w + skip + 1  # a byte past every cell, so that each can be ended by a NUL
    buf = np.empty((k, width), np.uint8)
    buf[:, :skip] = 0x0A
    buf[:, skip:-1] = cells
    buf[:, -1] = 0x20
    lengths = np.strings.str_len((buf * (buf != 0x20)).view(f"S{width}")[:, 0])  # the "\n" included
    buf.reshape(-1)[np.arange(0, k * width, width) + lengths] = 0
    packed = pa.array(buf.view(f"S{width}")[:, 0], pa.large_binary())
    total = int(np.frombuffer(packed.buffers()[1], np.int64)[k])
    data = np.frombuffer(packed.buffers()[2], np.uint8, count=total) if total else np.zeros(0, np.uint8)
    return data, lengths.astype(np.int64) - skip


def _repeat_value(f, cells, rownums, encoding, warnings) -> pa.Array:
    """A block whose cells are all the same, as the few-distinct-values route above reads it."""
    k = len(cells)
    raw = bytes(cells[0]).rstrip(b" \0")  # as _trailing_lengths
    try:
        value = raw.decode(encoding)
    except UnicodeDecodeError:
        value = _decode_bad_cell(f, raw, encoding, rownums, warnings)
    raw = value.encode("utf-8")
    return matrix_strings(np.frombuffer(raw * k, np.uint8).reshape(k, len(raw)))


def _decode_text_padded(f, cells, rownums, encoding, warnings, ascii_ok) -> pa.Array:
    """``_decode_text`` for a block with NUL bytes in the column: trailing lengths by array operations."""
    k, w = cells.shape
    lengths = _trailing_lengths(cells)
    data = cells[np.arange(w) < lengths[:, None]]
    if ascii_ok:
        return _arrow_strings(data, lengths)  # ASCII is already UTF-8
    if not (data == 0x0A).any():
        starts = np.cumsum(lengths + 1) - (lengths + 1)  # where each cell's "\n" goes
        joined = np.empty(len(data) + k, np.uint8)
        is_nl = np.zeros(len(joined), bool)
        is_nl[starts] = True
        joined[is_nl] = 0x0A
        joined[~is_nl] = data
        out = _decode_joined(joined, encoding, k)
        if out is not None:
            return out
    return _decode_text_cells(f, cells, lengths, rownums, encoding, warnings)


def _decode_joined(joined, encoding: str, k: int) -> pa.Array | None:
    """``k`` cells, each after a "\n", as one byte array decoded in one call, then split again on the newlines
    of the UTF-8 result; None when the bytes do not decode or the text does not hold exactly ``k`` newlines,
    the first at its start (the caller decodes cell by cell instead, which is where warnings come from)."""
    try:
        text = str(joined, encoding)
    except UnicodeDecodeError:
        return None
    utf8 = np.frombuffer(text.encode("utf-8"), np.uint8)
    n = len(utf8)
    is_nl = utf8 == 0x0A
    step = n // k
    if step and n == step * k and is_nl[::step].all() and np.count_nonzero(is_nl) == k:
        # every cell as long in UTF-8 (a newline every ``step`` bytes and nowhere else): no packing
        return matrix_strings(utf8.reshape(k, step)[:, 1:])
    nl = np.flatnonzero(is_nl)
    if len(nl) != k or nl[0] != 0:
        return None
    lengths = np.empty(k, np.int64)
    lengths[:-1] = np.diff(nl) - 1
    lengths[-1] = n - nl[-1] - 1
    return _arrow_strings(utf8[~is_nl], lengths)


_HASH_MUL = np.uint64(0x100000001B3)


def _factorize_rows(cells: np.ndarray, limit: int, fixed=None):
    """(codes, first row of each distinct value) when the rows hold at most ``limit`` distinct values.

    ``fixed``: at which byte positions every row has the same byte (None: not known). Rows whose varying
    bytes fit in one 8-byte word are factorised exactly (the word is the key). Otherwise the words are
    hashed, factorised by hash, and then verified word for word against their group's first row, so a
    hash collision can never merge two different values.
    """
    k, w = cells.shape
    if w <= 8:
        buf = np.zeros((k, 8), np.uint8)
        buf[:, :w] = cells
        words = [buf.view("<u8")[:, 0]]
    else:
        # 8-byte words read in place (the last one overlapping the one before when w is not a multiple of
        # 8); a word the same in every row tells no rows apart
        cols = [*range(0, w - 7, 8)] + ([w - 8] if w % 8 else [])
        if fixed is not None:
            cols = [j for j in cols if not fixed[j : j + 8].all()] or cols[:1]
        # copied out of the block's rows once: hashing and verifying contiguous words is several times faster
        words = [cells[:, j : j + 8].view("<u8")[:, 0].copy() for j in cols]
    if len(words) == 1:
        codes, uniques = pd.factorize(words[0])
        if len(uniques) > limit:
            return None
        first = np.empty(len(uniques), np.int64)
        first[codes[::-1]] = np.arange(k - 1, -1, -1)
        return codes, first
    h = words[0].copy()
    with np.errstate(over="ignore"):
        for word in words[1:]:
            h = h * _HASH_MUL ^ word
    codes, uniques = pd.factorize(h)
    if len(uniques) > limit:
        return None
    first = np.empty(len(uniques), np.int64)
    first[codes[::-1]] = np.arange(k - 1, -1, -1)
    rep = first[codes]
    for word in words:
        if not np.array_equal(word, word[rep]):
            return None
    return codes, first


# codecs in which an ASCII byte string may not mean the same ASCII text
_ASCII_UNSAFE = {"utf16", "utf32", "cp037", "cp500", "cp1140"}


@functools.lru_cache(maxsize=64)
def _ascii_safe(encoding: str) -> bool:
    """Whether ASCII bytes mean the same ASCII text in ``encoding`` (asked once per block and column)."""
    return encoding.replace("-", "").replace("_", "").lower() not in _ASCII_UNSAFE


def _decode_text_cells(f, cells, lengths, rownums, encoding, warnings) -> pa.Array:
    """Per-cell decode, used only for a block with undecodable bytes (or newlines inside cells)."""
    out = []
    for i in range(len(cells)):
        raw = bytes(cells[i, : lengths[i]])
        try:
            out.append(raw.decode(encoding))
        except UnicodeDecodeError:
            out.append(_decode_bad_cell(f, raw, encoding, rownums[i : i + 1], warnings))
    return pa.array(out, pa.large_string())


def _decode_bad_cell(f, raw: bytes, encoding, rows, warnings) -> str:
    """A cell that does not decode: a character cut in half at the end keeps the decodable part;
    anything else is decoded with U+FFFD in place of the bad bytes. Either way it is reported."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3:
            try:
                value = raw[: exc.start].decode(encoding)
                warnings.add(
                    "TRUNCATED_CHAR",
                    f.name,
                    f"字段 {f.name} 末尾有被截断的半个汉字（原系统按字节截断），已保留可解码的部分",
                    rows,
                    [value] * len(rows),
                )
                return value
            except UnicodeDecodeError:
                pass
    value = raw.decode(encoding, errors="replace")
    warnings.add(
        "UNDECODABLE_TEXT",
        f.name,
        f"字段 {f.name} 含有按 {encoding} 无法解码的字节，已用 \ufffd 代替",
        rows,
        [raw.hex(" ")] * len(rows),
    )
    return value


def _blank_rows(cells) -> np.ndarray:
    return ((cells == 0x20) | (cells == 0x00)).all(axis=1)


_NUM_OK = np.zeros(256, bool)
_NUM_OK[[ord(c) for c in "0123456789+-. "]] = True


def _decode_number(f, cells, rownums, warnings, allow_int):
    k, w = cells.shape
    cells = np.ascontiguousarray(cells)
    if k == 0:
        return np.zeros(0, np.float64)
    blank = _blank_rows(cells)
    clean = _NUM_OK[cells] | (cells == 0x00)
    simple = clean.all(axis=1) | blank
    has_dot = (cells == ord(".")).any(axis=1)
    strings = cells.view(f"S{w}").ravel().copy()
    strings[blank] = b"0"
    if simple.all():
        try:
            if allow_int and not has_dot.any():
                values = strings.astype(np.int64)
                if blank.any():
                    return pd.arrays.IntegerArray(values, blank)
                return values
            values = strings.astype(np.float64)
            values[blank] = np.nan
            return values
        except (ValueError, OverflowError):
            pass
    # Slow path, per cell, following dbfread's rules: strip blanks and '*', int, else float with ','→'.'.
    ints_ok = allow_int
    values = []
    bad_rows, bad_vals, over_rows, over_vals = [], [], [], []
    for i in range(k):
        raw = bytes(cells[i])
        data = raw.replace(b"\0", b" ").strip()
        stripped = data.strip(b"*")
        if not stripped:
            if data:  # only '*': the writer's overflow marker
                over_rows.append(rownums[i])
                over_vals.append(raw.decode("latin-1"))
            values.append(None)
            continue
        try:
            v = int(stripped) if allow_int else float(stripped)
        except ValueError:
            try:
                v = float(stripped.replace(b",", b"."))
            except ValueError:
                bad_rows.append(rownums[i])
                bad_vals.append(raw.decode("latin-1").strip())
                values.append(None)
                continue
        if isinstance(v, float):
            ints_ok = False
        values.append(v)
    if over_rows:
        warnings.add(
            "NUMBER_OVERFLOW",
            f.name,
            f"数值字段 {f.name} 为 ***（原系统写入时数值超出字段宽度），按空值读入",
            over_rows,
            over_vals,
        )
    if bad_rows:
        warnings.add("INVALID_NUMBER", f.name, f"数值字段 {f.name} 的内容不是数字，按空值读入", bad_rows, bad_vals)
    if ints_ok:
        try:
            return pd.array(values, dtype="Int64")
        except (OverflowError, TypeError, ValueError):
            pass
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _decode_date(f, cells, rownums, warnings):
    k = len(cells)
    out = np.full(k, np.datetime64("NaT"), dtype="datetime64[s]")
    if k == 0 or f.length < 8:
        return out
    c = np.ascontiguousarray(cells[:, :8])
    blank = ((c == 0x20) | (c == 0x00) | (c == ord("0"))).all(axis=1)
    digits = ((c >= 0x30) & (c <= 0x39)).all(axis=1)
    d = c.astype(np.int64) - 0x30
    y = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    m = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    ok = digits & valid_ymd(y, m, day) & ~blank
    if ok.any():
        iso = np.char.add(
            np.char.add(np.char.zfill(y[ok].astype("U4"), 4), "-"),
            np.char.add(np.char.add(np.char.zfill(m[ok].astype("U2"), 2), "-"), np.char.zfill(day[ok].astype("U2"), 2)),
        )
        out[ok] = iso.astype("datetime64[D]").astype("datetime64[s]")
    bad = ~ok & ~blank
    if bad.any():
        idx = np.flatnonzero(bad)
        warnings.add(
            "INVALID_DATE",
            f.name,
            f"日期字段 {f.name} 不是有效日期，按空值读入",
            rownums[idx],
            [bytes(c[i]).decode("latin-1") for i in idx[:MAX_EXAMPLES]],
        )
    return out


def _decode_datetime(f, cells, rownums, warnings):
    c = np.ascontiguousarray(cells)
    pairs = c.view("<u4").reshape(-1, 2).astype(np.int64)
    day, ms = pairs[:, 0], pairs[:, 1]
    blank = (c == 0x20).all(axis=1) | (day == 0)
    ok = ~blank & (day >= 1721426) & (day <= 5373484) & (ms < 86_400_000)
    out = np.full(len(c), np.datetime64("NaT"), dtype="datetime64[ms]")
    out[ok] = ((day[ok] - 2440588) * 86_400_000 + ms[ok]).astype("datetime64[ms]")
    bad = ~ok & ~blank
    if bad.any():
        idx = np.flatnonzero(bad)
        warnings.add(
            "INVALID_DATETIME",
            f.name,
            f"日期时间字段 {f.name} 的值无效，按空值读入",
            rownums[idx],
            [bytes(c[i]).hex(" ") for i in idx[:MAX_EXAMPLES]],
        )
    return out


_L_TRUE = np.zeros(256, bool)
_L_TRUE[list(b"TtYy")] = True
_L_FALSE = np.zeros(256, bool)
_L_FALSE[list(b"FfNn")] = True
_L_NULL = np.zeros(256, bool)
_L_NULL[list(b"? \0")] = True


def _decode_logical(f, cells, rownums, warnings):
    b = cells[:, 0] if cells.shape[1] else np.full(len(cells), 0x20, np.uint8)
    true, false, null = _L_TRUE[b], _L_FALSE[b], _L_NULL[b]
    bad = ~(true | false | null)
    if bad.any():
        idx = np.flatnonzero(bad)
        warnings.add(
            "INVALID_LOGICAL",
            f.name,
            f"逻辑字段 {f.name} 的值不是 T/F/Y/N/?，按空值读入",
            rownums[idx],
            [chr(b[i]) for i in idx[:MAX_EXAMPLES]],
        )
    return pd.arrays.BooleanArray(true, null | bad)


# ------------------------------------------------------------------------------------------------- memos


class _Memo:
    def __init__(self, path: Path, kind: str, block_size: int):
        self.path = path
        self.kind = kind  # "fpt", "dbt3", "dbt4"
        self.block_size = block_size
        self.fh = open(path, "rb")
        self.size = path.stat().st_size

    def close(self):
        self.fh.close()

    def get(self, index: int):
        """(bytes, is_text) or None when the index points outside the file."""
        pos = index * self.block_size
        if pos >= self.size:
            return None
        self.fh.seek(pos)
        if self.kind == "fpt":
            head = self.fh.read(8)
            if len(head) < 8:
                return None
            mtype, length = struct.unpack(">LL", head)
            if length > self.size - pos - 8:  # the length field points past the end of the file
                return None
            data = self.fh.read(length)
            if len(data) != length:
                return None
            return data, mtype == 1
        if self.kind == "dbt3":
            chunks = []
            while True:
                block = self.fh.read(512)
                if not block:
                    break
                end = block.find(b"\x1a")
                if end != -1:
                    chunks.append(block[:end])
                    break
                chunks.append(block)
            return b"".join(chunks), True
        head = self.fh.read(8)
        if len(head) < 8:
            return None
        length = struct.unpack("<LL", head)[1]
        data = self.fh.read(max(0, min(length, self.size - pos - 8)))  # never past the end of the file
        return data.split(b"\x1f", 1)[0], True


def _find_memo_file(path: Path) -> Path | None:
    stem = path.stem.lower()
    for ext in (".fpt", ".dbt"):
        for cand in path.parent.iterdir():
            if cand.is_file() and cand.stem.lower() == stem and cand.suffix.lower() == ext:
                return cand
    return None


def _open_memo(path: Path, header: DbfHeader, fields):
    memo_fields = [f.name for f in fields if f.type in "MGP" or (f.type == "B" and header.version not in VFP_VERSIONS)]
    if not memo_fields:
        return None
    mpath = _find_memo_file(path)
    if mpath is None:
        raise MemoFileMissing(path, memo_fields)
    if mpath.suffix.lower() == ".fpt":
        with open(mpath, "rb") as fh:
            head = fh.read(8)
        block = struct.unpack_from(">H", head, 6)[0] if len(head) >= 8 else 64
        return _Memo(mpath, "fpt", block or 64)
    if header.version == 0x83:
        return _Memo(mpath, "dbt3", 512)
    with open(mpath, "rb") as fh:
        head = fh.read(22)
    block = struct.unpack_from("<H", head, 20)[0] if len(head) >= 22 else 512
    return _Memo(mpath, "dbt4", block if block in (64, 128, 256, 512, 1024, 2048, 4096, 8192) else 512)


def _decode_memo(f, cells, rownums, encoding, memo, warnings):
    c = np.ascontiguousarray(cells)
    if f.length == 4:
        idx = c.view("<u4").ravel().astype(np.int64)
        bad_idx = np.zeros(len(c), bool)
    else:
        s = c.view(f"S{f.length}").ravel()
        idx = np.zeros(len(c), np.int64)
        bad_idx = np.zeros(len(c), bool)
        for i, raw in enumerate(s):
            t = raw.replace(b"\0", b" ").strip()
            if not t:
                continue
            try:
                idx[i] = int(t)
            except ValueError:
                bad_idx[i] = True
    out = np.empty(len(c), dtype=object)
    out[:] = None
    missing_rows, missing_vals = [], []
    for i in np.flatnonzero(idx > 0):
        got = memo.get(int(idx[i]))
        if got is None:
            missing_rows.append(rownums[i])
            missing_vals.append(str(idx[i]))
            continue
        data, is_text = got
        if f.type == "M" and is_text:
            out[i] = data.decode(encoding, errors="replace")
        else:
            out[i] = bytes(data)
    if missing_rows:
        warnings.add(
            "MEMO_OUT_OF_RANGE",
            f.name,
            f"备注字段 {f.name} 指向备注文件之外的位置，按空值读入",
            missing_rows,
            missing_vals,
        )
    if bad_idx.any():
        bi = np.flatnonzero(bad_idx)
        warnings.add(
            "INVALID_MEMO_POINTER",
            f.name,
            f"备注字段 {f.name} 的块号不是数字，按空值读入",
            rownums[bi],
            [bytes(c[i]).decode("latin-1") for i in bi[:MAX_EXAMPLES]],
        )
    return out


def _concat(f: _Field, chunks: list):
    if not chunks:
        chunks = []
    first = chunks[0] if chunks else None
    if isinstance(first, (pa.Array, pa.ChunkedArray)) or (first is None and f.type in "CV"):
        arr = pa.chunked_array(chunks, type=pa.large_string())
        return pd.Series(arr, dtype=_STR, copy=False) if len(arr) else pd.Series([], dtype=_STR)
    if any(isinstance(c, pd.api.extensions.ExtensionArray) for c in chunks):
        kinds = {type(c) for c in chunks}
        if len(kinds) > 1 or isinstance(first, np.ndarray):
            # mix of Int64 blocks and plain int blocks (or float): let pandas find the common type
            return pd.concat([pd.Series(c) for c in chunks], ignore_index=True)
        return pd.Series(type(first)._concat_same_type(chunks))
    if f.type == "N":
        dtypes = {c.dtype for c in chunks}
        if len(dtypes) > 1:
            return np.concatenate([c.astype(np.float64) for c in chunks])
    return np.concatenate(chunks)


# ------------------------------------------------------------------------------------------------ writing


def write_dbf(
    df: pd.DataFrame,
    path: str | os.PathLike,
    layout: str | os.PathLike | Layout,
    *,
    encoding: str = "gbk",
    deleted: ArrayLike | None = None,
    date: _dt.date | None = None,
) -> Path:
    """Write ``df`` as a dBase III DBF (code page 0x4D, GBK text) with the fields of ``layout``.

    Columns are matched to the layout's field codes (case-insensitive). A layout field missing from
    ``df`` is written blank unless it is required; a column the layout does not have is an error (it
    would be lost). A value longer than its field in bytes, or a character the encoding cannot hold, is
    a ``WriteError`` listing every row and field — never a silent cut or a '?'. ``encoding="gb18030"``
    writes rare characters (䶮 …) for systems that accept them. ``deleted`` (a boolean mask) marks
    records as deleted. ``date`` is the header's last-update date (default: today). The file is written
    to a temporary name and renamed into place.

    >>> import os, tempfile
    >>> adm = xj.read_dbf("data_samples/hei/10_录取名单.dbf")
    >>> path = xj.write_dbf(adm, os.path.join(tempfile.mkdtemp(), "录取名单.dbf"), layout="chsi_admission")
    >>> xj.read_dbf(path).equals(adm)
    True
    """
    from ..schema.layouts import load_layout

    lay = load_layout(layout)
    path = Path(path)
    cols = {str(c).upper(): c for c in df.columns}
    extra = [str(cols[c]) for c in cols if c not in set(lay.codes)]
    missing_required = [f.code for f in lay.fields if f.required and f.code not in cols]
    if extra or missing_required:
        parts = []
        if extra:
            parts.append(f"版式 {lay.name} 没有这些列：{', '.join(extra)}（写入会丢失）")
        if missing_required:
            parts.append(f"缺少必填字段 {', '.join(missing_required)}")
        raise WriteError(path, pd.DataFrame(columns=["row", "field", "value", "reason"]), "；".join(parts))
    n = len(df)
    rlen = 1 + sum(f.width for f in lay.fields)
    records = np.full((n, rlen), 0x20, np.uint8)
    if deleted is not None:
        mask = np.asarray(deleted, bool)
        if mask.shape != (n,):
            raise ValueError("deleted 必须是与行数相同的布尔序列")
        records[mask, 0] = 0x2A
    problems: list[dict] = []
    offset = 1
    for f in lay.fields:
        if f.code in cols:
            col = df[cols[f.code]]
            region = records[:, offset : offset + f.width]
            if f.type == "C":
                _encode_text(col, f, region, encoding, problems)
            elif f.type in "NF":
                _encode_number(col, f, region, problems)
            elif f.type == "D":
                _encode_date(col, f, region, problems)
            elif f.type == "L":
                _encode_logical(col, f, region, problems)
        offset += f.width
    if problems:
        frame = pd.DataFrame(problems, columns=["row", "field", "value", "reason"]).sort_values(
            ["row", "field"], kind="stable", ignore_index=True
        )
        shown = "；".join(f"第 {r.row} 行 {r.field}：{r.reason}" for r in frame.head(5).itertuples())
        more = f" 等共 {len(frame)} 处" if len(frame) > 5 else f"，共 {len(frame)} 处"
        raise WriteError(path, frame, f"{shown}{more}。请先改正这些值再写入。")
    nf = len(lay.fields)
    hlen = 32 + 32 * nf + 1
    d = date or _dt.date.today()
    head = bytearray(32)
    struct.pack_into(
        "<BBBBLHH", head, 0, 0x03, d.year % 100 if d.year < 2000 else d.year - 1900, d.month, d.day, n, hlen, rlen
    )
    head[29] = GBK_LDID
    desc = bytearray()
    for f in lay.fields:
        item = bytearray(32)
        name = f.code.encode("ascii")
        item[: len(name)] = name
        item[11] = ord(f.type)
        item[16] = f.width
        item[17] = f.decimals if f.type in "NF" else 0
        desc += item

    def write(fh):
        fh.write(head)
        fh.write(desc)
        fh.write(b"\r")
        fh.write(records.tobytes())
        fh.write(b"\x1a")

    write_atomic(path, write)
    return path


def _problem(problems, rows, field, values, reason, kind=None):
    for r, v in zip(rows, values):
        problems.append(
            {
                "row": int(r) + 1,
                "field": field,
                "value": mask_value(kind, v) if kind else ("" if v is None else str(v)),
                "reason": reason(v) if callable(reason) else reason,
            }
        )


def _as_text_list(col: pd.Series) -> list[str]:
    s = col.astype("str") if col.dtype != _STR else col
    return s.fillna("").tolist()


def _encode_text(col, f, region, encoding, problems):
    values = _as_text_list(col)
    n = len(values)
    if n == 0:
        return
    kind = f.personal
    joined = "\n".join(values)
    raw = None
    if joined.count("\n") == n - 1:
        try:
            raw = np.frombuffer(joined.encode(encoding), np.uint8)
        except UnicodeEncodeError:
            raw = None
    if raw is None:
        encoded = []
        bad_rows, bad_vals = [], []
        for i, v in enumerate(values):
            try:
                b = v.encode(encoding)
            except UnicodeEncodeError as exc:
                bad_rows.append(i)
                bad_vals.append(v)
                b = b""
                problems.append(
                    {
                        "row": i + 1,
                        "field": f.code,
                        "value": mask_value(kind, v) if kind else v,
                        "reason": f"字符“{v[exc.start : exc.end]}”无法用 {encoding} 编码"
                        + (
                            "（生僻字可用 encoding='gb18030' 写入，或按平台要求处理）"
                            if encoding.lower() in ("gbk", "cp936", "gb2312")
                            else ""
                        ),
                    }
                )
            if "\n" in v or "\r" in v:
                problems.append(
                    {
                        "row": i + 1,
                        "field": f.code,
                        "value": mask_value(kind, v) if kind else v,
                        "reason": "值中含有换行符",
                    }
                )
                b = b""
            encoded.append(b)
        lengths = np.fromiter((len(b) for b in encoded), np.int64, n)
        data = np.frombuffer(b"".join(encoded), np.uint8)
    else:
        nl = np.flatnonzero(raw == 0x0A)
        starts = np.concatenate([[0], nl + 1])
        ends = np.concatenate([nl, [len(raw)]])
        lengths = ends - starts
        data = raw[raw != 0x0A]
    too_long = lengths > f.width
    if too_long.any():
        idx = np.flatnonzero(too_long)
        for i in idx:
            problems.append(
                {
                    "row": int(i) + 1,
                    "field": f.code,
                    "value": mask_value(kind, values[i]) if kind else values[i],
                    "reason": f"长度 {int(lengths[i])} 字节，超出字段宽度 {f.width} 字节（一个汉字占 2 字节）",
                }
            )
        return
    region[np.arange(f.width) < lengths[:, None]] = data


def _encode_number(col, f, region, problems):
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna() & col.notna() & (col.astype("str").str.strip() != "")
    if bad.any():
        idx = np.flatnonzero(bad.to_numpy())
        _problem(problems, idx, f.code, col.iloc[idx].tolist(), "不是数字")
    texts = []
    for v in num.tolist():
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            texts.append("")
        elif f.decimals:
            texts.append(f"{float(v):.{f.decimals}f}")
        else:
            texts.append(str(int(round(v))) if float(v).is_integer() or f.type == "N" else repr(float(v)))
    for i, t in enumerate(texts):
        b = t.encode("ascii").rjust(f.width)
        if len(b) > f.width:
            problems.append(
                {"row": i + 1, "field": f.code, "value": t, "reason": f"数值位数 {len(t)} 超出字段宽度 {f.width}"}
            )
            continue
        region[i, :] = np.frombuffer(b, np.uint8)


def _encode_date(col, f, region, problems):
    if pd.api.types.is_datetime64_any_dtype(col):
        texts = col.dt.strftime("%Y%m%d").fillna("").tolist()
    else:
        texts = []
        for i, v in enumerate(col.tolist()):
            if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
                texts.append("")
            elif isinstance(v, (_dt.date, pd.Timestamp)):
                texts.append(v.strftime("%Y%m%d"))
            else:
                s = str(v).strip()
                try:
                    _dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
                    ok = len(s) == 8 and s.isdigit()
                except ValueError:
                    ok = False
                if not ok:
                    problems.append({"row": i + 1, "field": f.code, "value": s, "reason": "不是 YYYYMMDD 格式的日期"})
                    s = ""
                texts.append(s)
    for i, t in enumerate(texts):
        if t:
            region[i, :] = np.frombuffer(t.encode("ascii"), np.uint8)


def _encode_logical(col, f, region, problems):
    for i, v in enumerate(col.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            region[i, 0] = ord("?")
        elif v in (True, "T", "t", "Y", "y", 1):
            region[i, 0] = ord("T")
        elif v in (False, "F", "f", "N", "n", 0):
            region[i, 0] = ord("F")
        else:
            problems.append({"row": i + 1, "field": f.code, "value": str(v), "reason": "不是逻辑值（是/否）"})
