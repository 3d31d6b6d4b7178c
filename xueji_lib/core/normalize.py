"""Normalising values before they are checked or compared, vectorised over columns.

Normalising never changes the user's data: checks report the raw value and say what the normalised one
would be; reconciliation compares normalised keys and still shows both raw values.

    >>> import pandas as pd
    >>> halfwidth(pd.Series(["１１０１０５ＡＢ", "张　三"])).tolist()
    ['110105AB', '张 三']
    >>> date_text(pd.Series(["2008-05-17", "2008年5月7日", "20080517", "2008/13/01", "", "２００８０５１７", "٢٠٠٨٠٥١٧"])).tolist()
    ['20080517', '20080507', '20080517', nan, nan, '20080517', nan]
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .textbytes import byte_test, text_array, text_bytes

STR = pd.StringDtype("pyarrow", na_value=np.nan)

_FULLWIDTH = str.maketrans({0x3000: 0x20, **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}})


def as_text(values: pd.Series) -> pd.Series:
    """The column as pandas ``str`` (NaN for missing); numbers become their plain text."""
    if values.dtype == STR:
        return values
    return values.astype(STR)


def decode_codes(codes: np.ndarray, texts: Iterable[str], mask: np.ndarray | None = None) -> pd.Series:
    """Integer codes into ``texts`` as a pandas ``str`` column (``mask``: True = missing), built by Arrow — no
    Python object per row: a column one text fills as one repeat, a column where few records have a non-empty
    text from its buffers, the others as a take from the texts.

    >>> decode_codes(np.array([1, 0, 1]), ["", "一致"], mask=np.array([False, True, False])).tolist()
    ['一致', nan, '一致']
    """
    codes, texts = np.asarray(codes), list(texts)
    n = len(codes)
    if len(texts) == 1 and mask is None:  # one text fills the column
        return pd.Series(pa.repeat(pa.scalar(texts[0], pa.large_string()), n), dtype=STR)
    enc = [t.encode("utf-8") for t in texts]
    lengths = np.fromiter(map(len, enc), np.int64, len(enc))[codes]
    if mask is not None:
        lengths[mask] = 0
    full = np.flatnonzero(lengths)
    if len(full) > n // 8:
        return _codes_take(codes, texts, mask)
    # few records have a text (reasons, actions: the rest empty or missing): the column built from its buffers,
    # offsets by a cumulative sum and the few texts' bytes joined once
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = b"".join([enc[c] for c in codes[full].tolist()])
    valid, nulls = None, 0
    if mask is not None and mask.any():
        valid, nulls = pa.py_buffer(np.packbits(~mask, bitorder="little")), int(mask.sum())
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), valid, nulls)
    return pd.Series(arr, dtype=STR)


def _codes_take(codes: np.ndarray, texts: list[str], mask: np.ndarray | None) -> pd.Series:
    """``decode_codes`` as a take from the few texts (several times faster than casting a dictionary array to
    strings): what its shortcuts must equal."""
    indices = pa.array(np.asarray(codes, dtype=np.int32), type=pa.int32(), mask=mask)
    return pd.Series(pc.take(pa.array(texts, type=pa.large_string()), indices), dtype=STR)


def written_text(values: pd.Series) -> pd.Series:
    """A column as the text its values were written as (pandas ``str``, positional index): dates and timestamps
    as YYYYMMDD, numbers as their text, missing as NaN. What comparisons read before normalising (the SQL
    counterpart is ``sqlnorm.text``)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.strftime("%Y%m%d")
    return values.astype(STR).reset_index(drop=True)


def halfwidth(values: pd.Series) -> pd.Series:
    """Full-width ASCII (０-９, Ａ-Ｚ, ！…) and the ideographic space → half-width (only the values that have
    any are touched, each distinct one once)."""
    s = as_text(values)
    hit = has_fullwidth(s)
    if not hit.any():
        return s
    out = s.copy()
    out[hit] = _map_distinct(s[hit], lambda v: v.translate(_FULLWIDTH))
    return out


def has_fullwidth(values: pd.Series) -> pd.Series:
    return as_text(values).str.contains("[\uff01-\uff5e\u3000]", regex=True).fillna(False).astype(bool)


def int_or_na(values: pd.Series) -> pd.Series:
    """ASCII digit strings (blanks around allowed) → Int64; anything else → NA (also full-width or other scripts'
    digits, which a regex ``\\d`` would let through to a cast that refuses them). Much faster than to_numeric.

    >>> int_or_na(pd.Series([" 2026", "２０２６", "٣٣", "20x", None])).tolist()
    [2026, <NA>, <NA>, <NA>, <NA>]
    """
    s = as_text(values).str.strip()
    return s.where(s.str.fullmatch(r"[0-9]{1,18}").fillna(False).astype(bool)).astype("Int64")


def no_spaces(values: pd.Series) -> pd.Series:
    """Every blank removed (inside too), in Arrow's regex engine rather than Python's."""
    s = as_text(values)
    arr = pa.array(s.array)
    out = pc.replace_substring_regex(arr, r"\s+", "")
    return pd.Series(out, index=s.index, dtype=STR, name=s.name)


def key_text(values: pd.Series) -> pd.Series:
    """A comparison key: half-width, no blanks anywhere, upper case; empty → NaN.

    Most key columns (考生号, 学籍号, 身份证号, codes) are plain ASCII already: a value holding none of the
    bytes of ``KEY_TEXT_BYTES`` is kept as it is (one numpy pass over the column's bytes, often only their min
    and max), a value whose only such bytes are a-z is its bytes with a-z made A-Z (the one change halfwidth,
    no_spaces and upper make to ASCII without blanks: 学号 typed in lower case), and only the other values are
    normalised — the same result as normalising every value.

    >>> key_text(pd.Series(["ab 1", "１２３", "", "G110", None, "张　三", "a01"])).tolist()
    ['AB1', '123', nan, 'G110', nan, '张三', 'A01']
    """
    s = as_text(values)
    if not len(s):
        return _key_text_each(s)
    a = text_array(s)
    off, data = text_bytes(a)
    hit = np.zeros(len(a), bool)
    top, bottom = (int(data.max()), int(data.min())) if len(data) else (0, 0xFF)
    if top >= 0x61 or bottom <= 0x20:
        if top >= 0x80 or bottom <= 0x20:  # else ASCII without blanks: only a-z can change
            hit = _rows_holding(off, byte_test(KEY_REDO_BYTES)(data))
            if hit.sum() > len(hit) // 2:  # mostly text to normalise (names): every value the plain way
                return _key_text_each(s)
        lower = (data - np.uint8(0x61)) <= np.uint8(0x7A - 0x61)  # a-z (uint8 wraps the bytes below "a")
        if lower.any():  # a-z → A-Z in a copy of the bytes (the values redone below are replaced whole)
            data = data - (lower.view(np.uint8) << np.uint8(5))
    valid = np.diff(off) > 0  # empty → missing by the validity bitmap
    if a.null_count:
        valid &= np.asarray(a.is_valid().to_numpy(zero_copy_only=False), bool)
    return _kept_or_redone(s, a, valid, hit, _key_text_each, (off, data))


def _kept_or_redone(
    s: pd.Series,
    a: pa.Array,
    kept: np.ndarray,
    redo: np.ndarray,
    each: Callable[[pd.Series], pd.Series],
    text: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.Series:
    """The shortcut's result: ``s`` (its Arrow array ``a``) value for value where ``kept``, missing elsewhere —
    the same buffers under another validity bitmap, no copy; or ``text`` (offsets from 0 and bytes, as
    ``text_bytes`` gives them) in place of ``a``'s own — then the values at ``redo`` replaced by ``each`` of them
    (the plain way)."""
    if text is None:
        bitmap = pa.py_buffer(np.packbits(np.concatenate([np.zeros(a.offset, bool), kept]), bitorder="little"))
        out = pa.LargeStringArray.from_buffers(len(a), a.buffers()[1], a.buffers()[2], bitmap, offset=a.offset)
    else:
        off, data = text
        bitmap = pa.py_buffer(np.packbits(kept, bitorder="little"))
        out = pa.LargeStringArray.from_buffers(len(a), pa.py_buffer(off), pa.py_buffer(data), bitmap)
    if redo.any():
        idx = np.flatnonzero(redo)
        fixed = text_array(each(pd.Series(pd.array(a.take(pa.array(idx)), dtype=STR))))
        order = np.arange(len(a), dtype=np.int64)
        order[idx] = len(a) + np.arange(len(idx), dtype=np.int64)
        out = pa.concat_arrays([out, fixed]).take(pa.array(order))
    return pd.Series(pd.array(out, dtype=STR), index=s.index, name=s.name)


def _key_text_each(s: pd.Series) -> pd.Series:
    """``key_text`` of every value (no shortcut): what the shortcut must equal."""
    s = no_spaces(halfwidth(s)).str.upper()
    return s.where(s != "")


# The bytes that halfwidth, no_spaces or str.upper could change, or str.strip remove, in UTF-8 text: the ASCII
# blanks (with the separators 0x1C-0x1F, which Python's strip counts as blanks), a-z, and every byte of a
# non-ASCII character (full-width forms, the ideographic space, other scripts' letters). A value holding none
# of them is its own key_text (or its own key_text but empty → missing). Wider than needed is safe (a flagged
# value is normalised the plain way); narrower would not be.
KEY_TEXT_BYTES = np.zeros(256, bool)
KEY_TEXT_BYTES[[*range(0x09, 0x0E), *range(0x1C, 0x21), *range(0x61, 0x7B), *range(0x80, 0x100)]] = True
# Those of them that key_text cannot handle byte by byte: all but a-z (made A-Z in place).
KEY_REDO_BYTES = KEY_TEXT_BYTES.copy()
KEY_REDO_BYTES[0x61:0x7B] = False


def key_text_unchanged(values: pd.Series) -> bool:
    """True when ``values`` is a ``str`` column without missing values none of which holds a byte of
    ``KEY_TEXT_BYTES``: then ``halfwidth``, ``no_spaces``, ``str.upper`` and ``str.strip`` give every value
    back as it is, and ``key_text`` changes only empty values (to missing)."""
    if values.dtype != STR:
        return False
    a = pa.array(values.array, type=pa.large_string())
    for c in a.chunks if isinstance(a, pa.ChunkedArray) else [a]:  # chunk by chunk: no copy of a many-chunk column
        if not len(c):
            continue
        if c.null_count:
            return False
        _, data = text_bytes(c)
        if len(data) and (data.max() >= 0x61 or data.min() <= 0x20) and byte_test(KEY_TEXT_BYTES)(data).any():
            return False
    return True


def _rows_holding(off: np.ndarray, byte_hit: np.ndarray) -> np.ndarray:
    """Per row (value offsets ``off`` from 0): True when one of its bytes is True in ``byte_hit``."""
    n = len(off) - 1
    count = int(np.count_nonzero(byte_hit))
    if count <= n // 8:  # few: find each one's row
        out = np.zeros(n, bool)
        out[np.searchsorted(off[1:], np.flatnonzero(byte_hit), side="right")] = True
        return out
    total = np.concatenate([np.zeros(1, np.int64), np.cumsum(byte_hit, dtype=np.int64)])
    return total[off[1:]] > total[off[:-1]]


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)


def valid_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Per element: year, month and day make a real calendar date (what ``datetime.date`` accepts: years
    1-9999, the Gregorian leap years) — the one calendar check of the package, vectorised.

    >>> valid_ymd(np.array([2024, 2023, 1900, 2000, 0]), np.array([2, 2, 2, 2, 1]), np.array([29, 29, 29, 29, 1])).tolist()
    [True, False, False, True, False]
    """
    y, m, d = np.asarray(y), np.asarray(m), np.asarray(d)
    ok_m = (m >= 1) & (m <= 12)
    ok = (y >= 1) & (y <= 9999) & ok_m & (d >= 1) & (d <= _MONTH_DAYS[np.where(ok_m, m, 0)])
    feb29 = np.flatnonzero((m == 2) & (d == 29) & (y >= 1) & (y <= 9999))  # the leap years only where they count
    if len(feb29):
        yy = y[feb29].astype(np.int64)
        ok[feb29] = (yy % 4 == 0) & ((yy % 100 != 0) | (yy % 400 == 0))
    return ok


def date_text(values: pd.Series) -> pd.Series:
    """Dates as YYYYMMDD text from the forms users type (YYYYMMDD, YYYY-MM-DD, YYYY/M/D, YYYY.MM.DD,
    YYYY年M月D日, datetime values); NaN when the value is not a real calendar date.

    Most values are already eight ASCII digits with a year from 1000: those are checked as calendar dates by
    numpy over their bytes (a real one is already written as date_text writes it, another is missing), and only
    the other values are parsed, each distinct one once — the same result as parsing every value."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y%m%d").astype(STR)
    s = as_text(values)
    if not len(s):
        return _date_text_each(s)
    a = text_array(s)
    off, data = text_bytes(a)
    eight = np.diff(off) == 8
    if a.null_count:
        eight &= np.asarray(a.is_valid().to_numpy(zero_copy_only=False), bool)
    rows = np.flatnonzero(eight)
    if len(rows) < 64:  # few or none: the plain way
        return _date_text_each(s)
    if len(rows) == len(a):  # every value eight bytes long: the bytes as they lie
        d = data.reshape(-1, 8) - np.uint8(0x30)  # a non-digit byte wraps above 9
    else:
        d = data[off[rows][:, None] + np.arange(8)] - np.uint8(0x30)
    plain = ~(d > 9).view(np.uint64).ravel().astype(bool) & (d[:, 0] >= 1)  # eight ASCII digits, year from 1000

    def num(lo: int, hi: int) -> np.ndarray:
        out = d[:, lo].astype(np.int32)
        for j in range(lo + 1, hi):
            out = out * 10 + d[:, j]
        return out

    real = plain & valid_ymd(num(0, 4), num(4, 6), num(6, 8))
    rows, real = rows[plain], real[plain]
    fast = np.zeros(len(a), bool)
    fast[rows] = True
    keep = np.zeros(len(a), bool)
    keep[rows[real]] = True
    return _kept_or_redone(s, a, keep, ~fast, _date_text_each)


def _date_text_each(s: pd.Series) -> pd.Series:
    """``date_text`` of every value, each distinct one parsed once (no shortcut): what the shortcut must equal."""
    return _map_distinct(s, _one_date)  # dates repeat a lot: parse each distinct one once


# ASCII digits only (full-width ones are made half-width first): ``\d`` would also take Arabic-Indic and other
# scripts' digits, which int() reads, so "٢٠٠٨٠٥١٧" passed as a valid date the platform would refuse
_DATE_RE = re.compile(r"([0-9]{4})(?:([0-9]{2})([0-9]{2})|[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?)")


def _one_date(value: str):
    m = _DATE_RE.fullmatch(value.translate(_FULLWIDTH).strip())
    if not m:
        return None
    y, mo, d = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
    try:
        return _dt.date(int(y), int(mo), int(d)).strftime("%Y%m%d")
    except ValueError:
        return None


def _map_distinct(s: pd.Series, func) -> pd.Series:
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = pd.array([func(u) for u in uniques], dtype=STR)
    out = mapped.take(codes, allow_fill=True)
    return pd.Series(out, index=s.index, dtype=STR, name=s.name)
