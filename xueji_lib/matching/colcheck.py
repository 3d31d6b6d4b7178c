"""Whether two text columns differ, pair by pair, as written — SQL's ``IS DISTINCT FROM`` (two missing values are
the same, a missing value and "" are not) over pairs of positions, worked out on the columns' bytes: the one
test behind ``compare``'s "may this pair differ?" when both lists are frames in this process.

    >>> import numpy as np, pyarrow as pa
    >>> x = pa.array(["a", None, "b", "", "cc"], pa.large_string())
    >>> y = pa.array(["cc", "b", None, "", "a"], pa.large_string())
    >>> _distinct(x, y, np.array([0, 1, 2, 3, 4, 1, 0]), np.array([4, 2, 1, 3, 0, 1, 3])).tolist()
    [False, False, False, False, False, True, True]

A column whose values all have one byte length (学籍号, ID numbers, dates, codes) is compared as fixed-width
byte strings by numpy (as 64-bit words); one with few distinct values (school, class, address) as dictionary codes mapped into
one dictionary (an integer comparison); any other by Arrow takes of both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.textbytes import fixed_matrix, text_bytes

# a column with at most this share of distinct values in its first SAMPLE values is compared by dictionary codes
SAMPLE = 20_000
FEW = 0.5
CHUNK = 1 << 14
# texts of at most this many bytes (names) are compared as zero-padded byte rows
SHORT = 16
# rows of a row matrix filled at a time by ``_rows`` (a block of rows stays in the cache while its parts go in)
ROW_BLOCK = 1 << 13
# below this many records a side's row matrix is built on the calling thread alone
THREAD_MIN = 50_000


def _few(a: pa.Array) -> bool:
    head = a.slice(0, SAMPLE)
    return len(pc.unique(head)) <= max(16, FEW * len(head))


def _own_codes(a: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """A column's dictionary codes (int32, missing -1) and the dictionary they index."""
    e = a.dictionary_encode()
    return e.indices.fill_null(-1).to_numpy().astype(np.int32, copy=False), e.dictionary


def _into(y_codes: np.ndarray, y_dict: pa.Array, x_dict: pa.Array) -> np.ndarray:
    """``y``'s own codes (``_own_codes``) as codes of ``x``'s dictionary: a value ``x`` never has -2, missing -1."""
    into = pc.index_in(y_dict, value_set=x_dict).fill_null(-2).to_numpy().astype(np.int32)
    into = np.append(into, np.int32(-1))  # the missing value's code -1 looks up the last entry
    return into[y_codes]


def _codes(x: pa.Array, y: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of both columns, equal exactly where the values are (missing -1 on both sides; a value of
    ``y`` that ``x`` never has -2)."""
    (cx, dx), (cy, dy) = _own_codes(x), _own_codes(y)
    return cx, _into(cy, dy, dx)


def _distinct(x: pa.Array, y: pa.Array, xi: np.ndarray, yi: np.ndarray) -> np.ndarray:
    """Per pair (``x[xi[k]]``, ``y[yi[k]]``) of two large_string arrays: whether the values are distinct (SQL's
    IS DISTINCT FROM)."""
    return _Rows([x], [y]).distinct(xi, yi)


class _Rows:
    """Several column pairs (``xs[j]`` of one list, ``ys[j]`` of the other) prepared for ``distinct``: the
    fixed-width columns' bytes, the short texts zero-padded and the few-valued columns' codes side by side in
    one byte row per record (one gather of rows per side, not one per column), the other columns kept for
    Arrow takes.

    How each column pair is compared is decided first, from both sides (cheap: byte lengths, a sample's
    distinct values); then each side's parts are made on its own thread (Arrow's dictionary encoding and
    numpy's copies release the GIL), each few-valued column as codes of its own dictionary; the other list's
    codes are turned into codes of the first list's dictionary (a contiguous array each); last, each side's
    parts are put side by side into its row matrix, again one side per thread."""

    def __init__(self, xs: list[pa.Array], ys: list[pa.Array]) -> None:
        nx, ny = (len(xs[0]), len(ys[0])) if xs else (0, 0)
        plan, self.rest, self.always = [], [], False
        for x, y in zip(xs, ys):
            fx, fy = fixed_matrix(x), fixed_matrix(y)
            if fx is not None and fy is not None:
                if fx.shape[1] != fy.shape[1]:  # every value of one side is longer than every value of the other
                    self.always = True
                else:
                    plan.append(("fixed", fx.shape[1], fx, fy))
            elif _few(x) and _few(y):
                plan.append(("codes", 4, x, y))
            else:
                width = max(_width(x), _width(y))
                if 0 < width <= SHORT and _paddable(x) and _paddable(y):  # short texts of several lengths (names)
                    plan.append(("padded", width, x, y))
                else:
                    self.rest.append((x, y))
        if self.always or not plan:
            self.rx = self.ry = None
            return
        places, width = _places(plan)
        with ThreadPoolExecutor(1) as pool:  # a thread starts only at the first submit: for large lists
            two = pool if max(nx, ny) >= THREAD_MIN else None
            (self.rx, xdicts), (self.ry, ydicts) = _both(
                two, _side_rows, (plan, places, width, 2, nx), (plan, places, width, 3, ny)
            )
        for k, (dx, dy) in enumerate(zip(xdicts, ydicts)):
            if dx is not None and ny:  # the other list's codes into the first's dictionary, in place
                codes = _column_view(self.ry.view(np.uint8), places[k][0][0], places[k][0][1])
                codes[:] = _into(codes, dy, dx)

    def distinct(self, xi: np.ndarray, yi: np.ndarray) -> np.ndarray:
        """Per pair (position ``xi[k]`` of one list, ``yi[k]`` of the other): whether any column differs."""
        if self.always:
            return np.ones(len(xi), bool)
        out = np.zeros(len(xi), bool)
        if self.rx is not None and len(xi) >= THREAD_MIN:
            half = len(xi) // 2 // CHUNK * CHUNK
            with ThreadPoolExecutor(1) as pool:  # the second half of the pairs on another thread
                later = pool.submit(self._rows_distinct, xi, yi, out, half, len(xi))
                self._rows_distinct(xi, yi, out, 0, half)
                later.result()
        elif self.rx is not None:
            self._rows_distinct(xi, yi, out, 0, len(xi))
        for x, y in self.rest:
            out |= _taken_distinct(x, y, xi, yi)
        return out

    def _rows_distinct(self, xi: np.ndarray, yi: np.ndarray, out: np.ndarray, start: int, stop: int) -> None:
        """``out[k] = any(rx[xi[k]] != ry[yi[k]])`` for pairs ``start`` … ``stop - 1``, a block of pairs at a time
        (the gathered rows stay in cache): the words xor-ed, their differences or-ed one word column at a time
        (``np.bitwise_or.reduce(a, axis=1)`` runs an inner loop of a few words per row, twice as slow)."""
        for at in range(start, stop, CHUNK):
            end = min(at + CHUNK, stop)
            a, b = self.rx.take(xi[at:end], axis=0), self.ry.take(yi[at:end], axis=0)
            np.bitwise_xor(a, b, out=a)
            differ = a[:, 0].copy()
            for w in range(1, a.shape[1]):
                np.bitwise_or(differ, a[:, w], out=differ)
            np.not_equal(differ, 0, out=out[at:end])


def _both(pool: ThreadPoolExecutor | None, f: Callable, x_args: tuple, y_args: tuple) -> tuple:
    """``(f(*x_args), f(*y_args))``: the first on ``pool``'s thread while the second runs on this one; both here,
    one after the other, without a pool."""
    if pool is None:
        return f(*x_args), f(*y_args)
    later = pool.submit(f, *x_args)
    y = f(*y_args)
    return later.result(), y


def _places(plan: list[tuple]) -> tuple[list[list[tuple[int, np.dtype, int]]], int]:
    """Where each planned column goes in a row (``_side_rows``): per plan entry its pieces (byte offset in the
    row, item type, byte offset in the value) — a short text one 8-byte word per 8 bytes (its last word cut to
    the 1, 2, 4 or 8 bytes it needs), codes one int32, fixed-width bytes one item of their width (numpy copies
    whole items faster than strided numbers) — and the row's bytes, whole 64-bit words. The numbers go first,
    widest first, so that each lies aligned."""
    pieces = []  # (size, entry, offset in the value)
    for k, (how, width, *_) in enumerate(plan):
        at = 0
        while at < width:
            left = width - at
            if how == "codes":
                size = 4
            elif how == "fixed":
                size = width
            elif left >= 8:
                size = 8
            else:  # (the bytes past the text's end are zero)
                size = next(z for z in (1, 2, 4, 8) if z >= left)
            pieces.append((size, k, at))
            at += size
    pieces.sort(key=lambda p: (plan[p[1]][0] == "fixed", -p[0]))  # stable: a column's pieces stay in order
    places, at = [[] for _ in plan], 0
    for size, k, src in pieces:
        how = plan[k][0]
        dtype = np.dtype(np.int32) if how == "codes" else np.dtype((np.void, size)) if how == "fixed" else None
        places[k].append((at, dtype or np.dtype(f"<u{size}"), src))
        at += size
    return places, max(-(-at // 8) * 8, 8)


# each short text's last 0 … 8 bytes of a word kept: the word's low bytes (little-endian: the text's first ones)
_KEEP = np.array([(1 << (8 * b)) - 1 for b in range(9)], np.uint64)


def _side_rows(plan: list[tuple], places: list, width: int, j: int, n: int) -> tuple[np.ndarray, list[pa.Array | None]]:
    """One list's row matrix — each planned column (element ``j`` of each plan entry: the column, or its
    ``fixed_matrix``) at its ``_places``, written there directly — and the dictionaries of its few-valued
    columns (their codes are of this list's own dictionary; None for the other columns). A short text goes in
    as words read straight from the column's bytes (8 at a time from each value's start, the bytes past its end
    masked off: ``textbytes.padded_matrix`` without a padded copy); the rows are filled a block at a time, every
    column into the block before the next."""
    out = np.empty((n, width), np.uint8)
    dicts, fills = [], []  # per piece (how, its column in the row, its source)
    for entry, place in zip(plan, places):
        how, a = entry[0], entry[j]
        if how == "fixed":
            at, dtype, _ = place[0]  # each row's bytes as one item (numpy's copy of whole items)
            fills.append(("copy", _column_view(out, at, dtype), np.ascontiguousarray(a).view(dtype).reshape(n)))
            dicts.append(None)
        elif how == "codes":
            codes, dictionary = _own_codes(a)
            fills.append(("copy", _column_view(out, place[0][0], place[0][1]), codes))
            dicts.append(dictionary)
        else:
            words = [_column_view(out, at, dtype) for at, dtype, _ in sorted(place, key=lambda p: p[2])]
            fills.append(("text", words, text_bytes(a)))
            dicts.append(None)
    words = out.view(np.uint64)
    for start in range(0, n, ROW_BLOCK):
        stop = min(start + ROW_BLOCK, n)
        words[start:stop, -1] = 0  # the padding (if any) of the last word; the pieces written over it
        for how, into, src in fills:
            if how == "copy":
                np.copyto(into[start:stop], src[start:stop])
            else:
                _text_words(src, start, stop, into)
    return words, dicts


def _text_words(src: tuple[np.ndarray, np.ndarray], start: int, stop: int, into: list[np.ndarray]) -> None:
    """Values ``start`` … ``stop`` - 1 of a text column (``text_bytes``: offsets, bytes) into its row items
    ``into`` (8-byte words, the last one maybe narrower), zero-padded: each word read unaligned from the value's
    bytes and masked to the bytes that are the value's. A word reaching past the column's last byte is read from
    a zero-padded copy of its last bytes."""
    off, data = src
    first, length = off[start:stop], np.diff(off[start : stop + 1])
    size = len(data)
    for w, col in enumerate(into):
        at = first + 8 * w
        keep = _KEEP[np.clip(length - 8 * w, 0, 8)]
        if size >= 8 and (not len(at) or at[-1] + 8 <= size):
            word = _words(data)[at]
        else:  # near the end: the words read from a copy of the last bytes followed by zeros
            tail = max(size - 64, 0)
            pad = np.zeros(size - tail + 72, np.uint8)
            pad[: size - tail] = data[tail:]
            word = np.zeros(len(at), np.uint64)
            far = at >= tail
            if size >= 8:
                word[~far] = _words(data)[at[~far]]
            word[far] = _words(pad)[np.minimum(at[far] - tail, len(pad) - 8)]
        word &= keep
        col[start:stop] = word if col.dtype.itemsize == 8 else word.astype(col.dtype)


def _words(b: np.ndarray) -> np.ndarray:
    """The 64-bit little-endian word starting at each byte of ``b`` (but the last 7): a view, no copy."""
    return np.ndarray((len(b) - 7,), np.dtype("<u8"), b, 0, (1,))


def _width(a: pa.Array) -> int:
    """The largest byte length of a large_string array's values (0: no bytes at all)."""
    if not len(a):
        return 0
    return int(np.diff(text_bytes(a)[0]).max())


def _paddable(a: pa.Array) -> bool:
    """Whether a large_string array can go into the rows as zero-padded bytes (``_side_rows``): values, none
    missing, some bytes, no NUL byte — without NUL bytes two padded values are equal exactly where the values are."""
    if not len(a) or a.null_count:
        return False
    data = text_bytes(a)[1]
    return bool(len(data)) and data.min() != 0


def _column_view(m: np.ndarray, at: int, dtype: np.dtype) -> np.ndarray:
    """The bytes ``at`` … ``at + dtype.itemsize`` of each row of a C-contiguous matrix, as one writable
    column of ``dtype`` (no copy; a matrix of no rows has no bytes to view: an empty column)."""
    if not len(m):
        return np.empty(0, dtype)
    return np.ndarray((len(m),), dtype, m, at, (m.strides[0],))


def _rows(parts: list[np.ndarray], n: int) -> np.ndarray | None:
    """(n, k) byte matrices side by side, zero-padded to whole 64-bit words: a (n, words) uint64 matrix.

    Each part goes in as one column of k-byte items (numpy's strided copy of whole items); the plain way,
    ``out[:, at : at + k] = p``, copies the same bytes through a k-byte inner loop per row, twice as slow. The
    rows are filled a block at a time, every part into the block before the next: each part written over the
    whole matrix would bring all its rows through the cache once per part."""
    if not parts:
        return None
    width = sum(p.shape[1] for p in parts)
    out = np.empty((n, -(-width // 8) * 8), np.uint8)
    if not n:
        return out.view(np.uint64)
    copies, at = [], 0
    for p in parts:
        item = np.dtype((np.void, p.shape[1]))
        copies.append((_column_view(out, at, item), np.ascontiguousarray(p).view(item).reshape(n)))
        at += p.shape[1]
    words = out.view(np.uint64)
    for start in range(0, n, ROW_BLOCK):
        stop = start + ROW_BLOCK
        if out.shape[1] > width:  # every byte is written: the padding as the last word zeroed, then the parts
            words[start:stop, -1] = 0
        for into, part in copies:
            np.copyto(into[start:stop], part[start:stop])
    return words


def _taken_distinct(x: pa.Array, y: pa.Array, xi: np.ndarray, yi: np.ndarray) -> np.ndarray:
    a, b = x.take(pa.array(xi)), y.take(pa.array(yi))
    out = ~np.asarray(pc.fill_null(pc.equal(a, b), False).to_numpy(zero_copy_only=False), bool)
    if a.null_count and b.null_count:
        out &= ~(
            np.asarray(a.is_null().to_numpy(zero_copy_only=False), bool)
            & np.asarray(b.is_null().to_numpy(zero_copy_only=False), bool)
        )
    return out
