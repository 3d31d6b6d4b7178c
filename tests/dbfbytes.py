"""Build DBF files byte by byte, for the variants and damage that no writer at hand produces.

Follows the header layout of DOMAIN.md §6.1: 32-byte header, 32-byte field descriptors, 0x0D,
(Visual FoxPro: a 263-byte backlink), records with a deletion flag, 0x1A.
"""

from __future__ import annotations

import struct


def build_dbf(
    fields,
    rows,
    *,
    version=0x03,
    ldid=0x4D,
    deleted=(),
    header_records=None,
    flags=None,
    backlink=False,
    eof=True,
    date=(126, 11, 23),
) -> bytes:
    """fields: [(name, type, length, decimals)]; rows: lists of raw ``bytes`` per field (padded here).

    ``flags`` overrides the deletion-flag byte per row; ``header_records`` overrides the count.
    """
    out = bytearray()
    rlen = 1 + sum(f[2] for f in fields)
    hlen = 32 + 32 * len(fields) + 1 + (263 if backlink else 0)
    n = len(rows) if header_records is None else header_records
    out += struct.pack("<BBBBLHH", version, *date, n, hlen, rlen & 0xFFFF)
    out += bytes(20)
    out[29] = ldid
    for name, ftype, length, dec in fields:
        d = bytearray(32)
        nb = name.encode("gb18030") if isinstance(name, str) else name
        d[: len(nb)] = nb
        d[11] = ord(ftype)
        d[16] = length & 0xFF
        d[17] = (length >> 8) if (ftype == "C" and length > 255) else dec
        out += d
    out += b"\r"
    if backlink:
        out += bytes(263)
    for i, row in enumerate(rows):
        flag = b"*" if i in deleted else b" "
        if flags is not None and flags[i] is not None:
            flag = bytes([flags[i]])
        out += flag
        for (_name, ftype, length, _dec), value in zip(fields, row):
            if ftype in "NFM":
                out += value.rjust(length)[:length]
            else:
                out += value.ljust(length, b" " if ftype in "CDLNF" else b"\0")[:length]
    if eof:
        out += b"\x1a"
    return bytes(out)


def build_dbt4(memos: list[bytes], block=512) -> tuple[bytes, list[int]]:
    """A dBase IV .DBT: header block, then per memo FF FF 08 08 + length (incl. 8-byte header) + text.
    Returns the bytes and the block number of each memo."""
    out = bytearray(block)
    struct.pack_into("<H", out, 20, block)
    blocks = []
    for m in memos:
        blocks.append(len(out) // block)
        rec = b"\xff\xff\x08\x08" + struct.pack("<L", len(m) + 8) + m + b"\x1f\x1a"
        out += rec.ljust(((len(rec) + block - 1) // block) * block, b"\0")
    struct.pack_into("<L", out, 0, len(out) // block)
    return bytes(out), blocks
