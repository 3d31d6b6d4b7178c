"""Text columns read as bytes: the one place where a column of strings is looked at through Arrow's own buffers
(value offsets and UTF-8 bytes, no Python object per value) — for the byte-level shortcuts of normalising,
checking, matching and writing.

- ``text_array``: a text Series as one large_string Arrow array; ``text_bytes``: its offsets and bytes;
  ``matrix_strings``: the other way, a byte matrix's rows as a large_string array;
  ``chunk_bytes``: the same per chunk of a column made of many chunks (a DBF read in blocks), not joined.
- ``width_bytes``: the values of exactly ``width`` bytes as a (k, width) byte matrix, with their positions;
  ``fixed_matrix``: the whole column as one matrix when every value has one width; ``padded_matrix``: each value
  zero-padded to a width; ``fixed_codes``: an exact int64 per row of such matrices (keys of one width), when the
  bytes that vary leave room for one.
- ``digit_codes``: an int64 per value of a column of digit strings (ID numbers, 考生号, 学籍号 of digits), equal
  exactly where the texts are equal — integers compare, sort and hash far faster than strings.
- ``byte_test``: a 256-entry byte table as a few comparisons.

    >>> import pyarrow as pa
    >>> off, data = text_bytes(pa.array(["ab", "", "c"], pa.large_string()))
    >>> off.tolist(), bytes(data)
    ([0, 2, 2, 3], b'abc')
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "text_array",
    "text_bytes",
    "matrix_strings",
    "chunk_bytes",
    "byte_lengths",
    "width_bytes",
    "fixed_matrix",
    "padded_matrix",
    "fixed_codes",
    "digit_codes",
    "byte_test",
]

# rows of a byte matrix worked on at a time: their numbers stay in the cache
BLOCK = 1 << 15
# rows of a byte matrix reduced as one long row by ``_column_bounds``
GROUP = 64


def text_array(s: pd.Series) -> pa.Array:
    """A text Series (``str``, or any pandas string dtype) as one large_string Arrow array, missing values null:
    no copy when it already is one large_string chunk. The one way every module hands a text column to Arrow
    and to ``text_bytes``.

    >>> text_array(pd.Series(["a", None], dtype="str")).to_pylist()
    ['a', None]
    """
    a = pa.array(s.array, type=pa.large_string())
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks() if a.num_chunks != 1 else a.chunk(0)
    return a


def text_bytes(a: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A large_string array's value offsets (len + 1, int64, from 0) and the UTF-8 bytes they index — Arrow's
    own buffers, no copy of the text."""
    off = np.frombuffer(a.buffers()[1], np.int64, len(a) + 1, a.offset * 8)
    data = np.frombuffer(a.buffers()[2], np.uint8) if a.buffers()[2] is not None else np.zeros(0, np.uint8)
    return off - off[0] if off[0] else off, data[off[0] : off[-1]]


def matrix_strings(b: np.ndarray) -> pa.Array:
    """The rows of a (k, w) uint8 matrix of UTF-8 bytes (ASCII digits, codes) as a large_string array of k
    values of w bytes: the offsets a range, the bytes as they lie when the matrix is contiguous.

    >>> matrix_strings(np.frombuffer(b"2026ab", np.uint8).reshape(3, 2)).to_pylist()
    ['20', '26', 'ab']
    """
    k, w = b.shape
    offsets = np.arange(0, (k + 1) * w, w, dtype=np.int64) if w else np.zeros(k + 1, np.int64)
    return pa.LargeStringArray.from_buffers(k, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(b)))


def chunk_bytes(s: pd.Series | pa.Array | pa.ChunkedArray) -> list[tuple[int, np.ndarray, np.ndarray]] | None:
    """A text column without missing values as its UTF-8 bytes, chunk by chunk (Arrow's own buffers, no copy of
    the text, the chunks not joined): (first row, offsets of the chunk's values into ``data``, len + 1; data).
    None for a column that is not Arrow text or has a missing value.

    >>> s = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([["ab"], ["c", ""]])))
    >>> [(start, off.tolist(), bytes(data)) for start, off, data in chunk_bytes(s)]
    [(0, [0, 2], b'ab'), (1, [0, 1, 1], b'c')]
    """
    arr = getattr(s.array, "_pa_array", None) if isinstance(s, pd.Series) else s
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    if arr is None or arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    wide = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    out, start = [], 0
    for c in arr.chunks:
        _, offsets, data = c.buffers()
        off = np.frombuffer(offsets, dtype=wide)[c.offset : c.offset + len(c) + 1].astype(np.int64, copy=False)
        out.append((start, off, np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)))
        start += len(c)
    return out


def byte_lengths(chunks: list[tuple[int, np.ndarray, np.ndarray]]) -> np.ndarray:
    """Each value's number of bytes, over the chunks of ``chunk_bytes``."""
    if not chunks:
        return np.zeros(0, np.int64)
    return np.concatenate([np.diff(off) for _, off, _ in chunks])


def width_bytes(s: pd.Series | pa.Array | pa.ChunkedArray, width: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The positions of the values of exactly ``width`` UTF-8 bytes (``width`` ≥ 1) and those bytes, a
    (k, width) uint8 matrix; None for a column ``chunk_bytes`` does not read. A chunk whose values all have that
    width is its bytes as they lie (no copy); in another, each such value's bytes are gathered.

    >>> rows, b = width_bytes(pd.Series(["ab", "c", "de"], dtype="str"), 2)
    >>> rows.tolist(), b.tobytes()
    ([0, 2], b'abde')
    """
    chunks = chunk_bytes(s)
    if chunks is None:
        return None
    rows, mats = [np.zeros(0, np.int64)], [np.zeros((0, width), np.uint8)]
    for start, off, data in chunks:
        if width and off[-1] - off[0] == width * (len(off) - 1) and (np.diff(off) == width).all():
            rows.append(np.arange(start, start + len(off) - 1, dtype=np.int64))  # every value as long (IDs, codes):
            mats.append(data[off[0] : off[-1]].reshape(-1, width))  # the bytes as they lie, no gather
            continue
        local = np.flatnonzero(np.diff(off) == width)
        if not len(local) or len(data) < width:
            continue
        windows = np.lib.stride_tricks.as_strided(data, shape=(len(data) - width + 1, width), strides=(1, 1))
        rows.append(local + start)
        mats.append(windows[off[local]])  # one row of ``width`` bytes per value
    return np.concatenate(rows), np.concatenate(mats)


def fixed_matrix(a: pa.Array) -> np.ndarray | None:
    """The bytes of a large_string array without missing values, all of one byte length w ≥ 1, as a
    (len, w) uint8 matrix (no copy); None otherwise.

    >>> fixed_matrix(pa.array(["ab", "cd"], pa.large_string())).tolist()
    [[97, 98], [99, 100]]
    """
    if not len(a) or a.null_count:
        return None
    off, data = text_bytes(a)
    w = int(off[1])
    if w == 0 or int(off[-1]) != w * len(a) or not (np.diff(off) == w).all():
        return None
    return data.reshape(len(a), w)


def padded_matrix(a: pa.Array, width: int) -> np.ndarray | None:
    """The values of a large_string array without missing values, each of at most ``width`` bytes, zero-padded
    to ``width`` bytes: a (len, width) uint8 matrix; None when one is missing or longer. Two padded values are
    equal exactly where the values are only when neither holds a NUL byte — the caller's to know.

    >>> padded_matrix(pa.array(["ab", "", "c"], pa.large_string()), 2).tolist()
    [[97, 98], [0, 0], [99, 0]]
    """
    if a.null_count or width < 1:
        return None
    off, data = text_bytes(a)
    lengths = np.diff(off)
    if len(lengths) and lengths.max() > width:
        return None
    first = int(lengths[0]) if len(lengths) else 0
    if first and int(off[-1]) == first * len(lengths) and (lengths == first).all():  # one width: the bytes as they lie
        out = np.zeros((len(lengths), width), np.uint8)
        out[:, :first] = data.reshape(-1, first)
        return out
    padded = np.zeros(len(data) + width, np.uint8)
    padded[: len(data)] = data
    # each value's ``width`` bytes from its start (reaching into the next values), the bytes past its end zeroed
    out = np.lib.stride_tricks.sliding_window_view(padded, width)[off[:-1]]
    out *= np.arange(width) < lengths[:, None]
    return out


def fixed_codes(matrices: list[np.ndarray]) -> list[np.ndarray] | None:
    """An int64 per row of each of several (n_i, w) uint8 matrices of one width (``fixed_matrix`` of keys: 学籍号,
    ID numbers, codes), equal exactly where the rows' bytes are equal, across all the matrices; None when the
    rows vary too much for one 64-bit integer. Exact codes join and compare as integers: no hash to check.

    A byte position that holds the same byte in every row of every matrix (学籍号's leading "G", a province's
    prefix) carries nothing and is left out; each other position j is a digit of radix
    ``max_j - min_j + 1`` (10 for a digit, 41 for a digit or "X"), the first position the most significant.
    None when the product of those radices exceeds 2**63 (no room in an int64).

    >>> m = np.frombuffer(b"G41X" b"G420" b"G41X", np.uint8).reshape(3, 4)
    >>> [c.tolist() for c in fixed_codes([m, m[1:]])]
    [[40, 41, 40], [41, 40]]
    """
    if len({m.shape[1] for m in matrices}) > 1:
        raise ValueError("fixed_codes: matrices of different widths")
    full = [m for m in matrices if len(m)]
    if not full:
        return [np.zeros(0, np.int64) for _ in matrices]
    bounds = [_column_bounds(m) for m in full]
    lo = np.minimum.reduce([b[0] for b in bounds])
    hi = np.maximum.reduce([b[1] for b in bounds])
    vary = np.flatnonzero(hi > lo).tolist()
    radix = [int(hi[j]) - int(lo[j]) + 1 for j in vary]
    size, base = 1, 0
    for j, r in zip(vary, radix):
        size, base = size * r, base * r + int(lo[j])
    if size > 1 << 63:
        return None
    # the bytes are added as they are and every minimum's share (``base``) taken off at the end: the sums in
    # between may pass 2**64, but uint64 arithmetic wraps (it is arithmetic mod 2**64) and the result is below
    # 2**63, so it comes out exact
    base = np.uint64(base % (1 << 64))
    out = []
    for m in matrices:
        codes = np.zeros(len(m), np.uint64)
        for at in range(0, len(m), BLOCK):
            block, acc = m[at : at + BLOCK], codes[at : at + BLOCK]
            for j, r in zip(vary, radix):
                acc *= np.uint64(r)
                acc += block[:, j]
        codes -= base
        out.append(codes.view(np.int64))
    return out


def _column_bounds(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's smallest and largest byte of a non-empty (n, w) uint8 matrix. The rows are taken GROUP at a
    time as one long row (numpy reduces a long inner axis with SIMD, a 19-byte one row by row), then folded."""
    n, w = m.shape
    whole = n // GROUP * GROUP
    lo, hi = np.full(w, 255, np.uint8), np.zeros(w, np.uint8)
    if whole:
        long_rows = np.ascontiguousarray(m[:whole]).reshape(-1, GROUP * w)
        lo = long_rows.min(axis=0).reshape(GROUP, w).min(axis=0)
        hi = long_rows.max(axis=0).reshape(GROUP, w).max(axis=0)
    if whole < n:
        lo, hi = np.minimum(lo, m[whole:].min(axis=0)), np.maximum(hi, m[whole:].max(axis=0))
    return lo, hi


# digit_codes: the codes of the texts of fewer bytes come first (the empty text is 0), so that texts of different
# lengths never share a code; a text of w bytes takes 11 · 10**(w-1) codes (w - 1 digits, then a digit or "X")
_FIRST_CODE = np.concatenate(([0, 1], 1 + np.cumsum([11 * 10 ** (w - 1) for w in range(1, 18)]))).astype(np.int64)
MAX_DIGITS = 18


def digit_codes(values: pa.Array | pa.ChunkedArray | pd.Series) -> np.ndarray | None:
    """An int64 per value, equal exactly where the texts are equal, when every value is at most 18 ASCII digits,
    the last of them possibly "X" (ID numbers, 考生号, 学号 of digits); a missing value is -1, the empty text 0.
    None when a value is anything else. Read from the bytes (a width's values lying back to back read as a
    matrix, a block of rows at a time), no Python object per value.

    >>> digit_codes(pa.array(["12", None, "", "12", "1X", "012"], pa.large_string())).tolist()
    [25, -1, 0, 25, 33, 135]
    """
    if isinstance(values, pd.Series):
        values = getattr(values.array, "_pa_array", None)
        if values is None:
            return None
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return None
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    out = np.empty(len(values), np.int64)
    at = 0
    for c in chunks:
        if not pa.types.is_large_string(c.type):
            c = c.cast(pa.large_string())
        got = _digit_codes(c)
        if got is None:
            return None
        out[at : at + len(c)] = got
        at += len(c)
    return out


def _digit_codes(a: pa.Array) -> np.ndarray | None:
    n = len(a)
    if not n:
        return np.zeros(0, np.int64)
    off, data = text_bytes(a)
    lengths = np.diff(off)
    if lengths.max() > MAX_DIGITS:
        return None
    digits = data - np.uint8(0x30)  # a byte below "0" wraps above 9
    other = np.flatnonzero(digits > 9) if len(digits) else np.zeros(0, np.int64)
    if len(other):  # only an "X" that ends its text
        ends = off[1:] - 1
        row = np.searchsorted(off[1:], other, side="right")
        if not ((data[other] == 0x58) & (ends[np.minimum(row, n - 1)] == other)).all():
            return None
        digits = digits.copy()
        digits[other] = 10
    codes = np.zeros(n, np.int64)
    widths = np.flatnonzero(np.bincount(lengths, minlength=1))
    widths = widths[widths > 0].tolist()
    one = len(widths) == 1 and int(off[-1]) == widths[0] * n
    for width in widths:
        if one:  # every value as long (IDs, codes): the bytes as they lie
            rows, matrix = None, digits.reshape(n, width)
        else:
            rows = np.flatnonzero(lengths == width)
            matrix = np.lib.stride_tricks.as_strided(digits, (len(digits) - width + 1, width), (1, 1))[off[rows]]
        got = _FIRST_CODE[width] + _number(matrix)
        if rows is None:
            codes = got
        else:
            codes[rows] = got
    if a.null_count:
        codes[~np.asarray(a.is_valid().to_numpy(zero_copy_only=False), bool)] = -1
    return codes


def _number(matrix: np.ndarray) -> np.ndarray:
    """Per row of digit values (0-9, the last 0-10): the first w-1 as a decimal number, times 11, plus the last."""
    k, width = matrix.shape
    out = np.zeros(k, np.int64)
    for at in range(0, k, BLOCK):
        block, acc = matrix[at : at + BLOCK], out[at : at + BLOCK]
        for j in range(width - 1):
            acc *= 10
            acc += block[:, j]
        acc *= 11
        acc += block[:, width - 1]
    return out


def byte_test(table: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``lambda d: table[d]`` for uint8 data (``table``: 256 booleans) as comparisons over the table's runs of
    True: a few ufunc passes, no fancy indexing and no int64 index temporary.

    >>> t = np.zeros(256, bool); t[0x61:0x7B] = True
    >>> byte_test(t)(np.frombuffer(b"aZz0", np.uint8)).tolist()
    [True, False, True, False]
    """
    edges = np.flatnonzero(np.diff(np.r_[0, table.astype(np.int8), 0]))
    ranges = [(int(lo), int(hi) - 1) for lo, hi in zip(edges[::2], edges[1::2])]

    def test(d: np.ndarray) -> np.ndarray:
        out = np.zeros(d.shape, bool)
        for lo, hi in ranges:
            if lo == hi:
                out |= d == lo
            elif lo == 0:
                out |= d <= hi
            elif hi == 255:
                out |= d >= lo
            else:
                out |= (d - np.uint8(lo)) <= np.uint8(hi - lo)
        return out

    return test
