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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.normalize import text_bytes

# a column with at most this share of distinct values in its first SAMPLE values is compared by dictionary codes
SAMPLE = 20_000
FEW = 0.5
CHUNK = 1 << 15
# texts of at most this many bytes (names) are compared as zero-padded byte rows
SHORT = 16


def _few(a: pa.Array) -> bool:
    head = a.slice(0, SAMPLE)
    return len(pc.unique(head)) <= max(16, FEW * len(head))


def _codes(x: pa.Array, y: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of both columns, equal exactly where the values are (missing -1 on both sides; a value of
    ``y`` that ``x`` never has -2)."""
    ex, ey = x.dictionary_encode(), y.dictionary_encode()
    cx = ex.indices.fill_null(-1).to_numpy().astype(np.int32)
    into = pc.index_in(ey.dictionary, value_set=ex.dictionary).fill_null(-2).to_numpy().astype(np.int32)
    into = np.append(into, np.int32(-1))  # the missing value's code, looked up at position len(dictionary)
    cy = into[ey.indices.fill_null(len(ey.dictionary)).to_numpy().astype(np.int64)]
    return cx, cy


def _distinct(x: pa.Array, y: pa.Array, xi: np.ndarray, yi: np.ndarray) -> np.ndarray:
    """Per pair (``x[xi[k]]``, ``y[yi[k]]``) of two large_string arrays: whether the values are distinct (SQL's
    IS DISTINCT FROM)."""
    return _Rows([x], [y]).distinct(xi, yi)


class _Rows:
    """Several column pairs (``xs[j]`` of one list, ``ys[j]`` of the other) prepared for ``distinct``: the
    fixed-width columns' bytes and the few-valued columns' codes side by side in one byte row per record (one
    gather of rows per side, not one per column), the other columns kept for Arrow takes."""

    def __init__(self, xs: list[pa.Array], ys: list[pa.Array]) -> None:
        nx, ny = (len(xs[0]), len(ys[0])) if xs else (0, 0)
        parts_x, parts_y, self.rest, self.always = [], [], [], False
        for x, y in zip(xs, ys):
            fx, fy = _fixed_bytes(x), _fixed_bytes(y)
            if fx is not None and fy is not None:
                if fx.shape[1] != fy.shape[1]:  # every value of one side is longer than every value of the other
                    self.always = True
                else:
                    parts_x.append(fx), parts_y.append(fy)
            elif _few(x) and _few(y):
                cx, cy = _codes(x, y)
                parts_x.append(cx.view(np.uint8).reshape(nx, 4)), parts_y.append(cy.view(np.uint8).reshape(ny, 4))
            else:
                width = max(_width(x), _width(y))
                if 0 < width <= SHORT:  # short texts of several lengths (names): zero-padded to one width
                    wx, wy = _padded_bytes(x, width), _padded_bytes(y, width)
                    if wx is not None and wy is not None:
                        parts_x.append(wx), parts_y.append(wy)
                        continue
                self.rest.append((x, y))
        self.rx, self.ry = _rows(parts_x, nx), _rows(parts_y, ny)

    def distinct(self, xi: np.ndarray, yi: np.ndarray) -> np.ndarray:
        """Per pair (position ``xi[k]`` of one list, ``yi[k]`` of the other): whether any column differs."""
        if self.always:
            return np.ones(len(xi), bool)
        out = np.zeros(len(xi), bool)
        if self.rx is not None:
            for at in range(0, len(xi), CHUNK):  # a block of pairs at a time: the gathered rows stay in cache
                a, b = self.rx[xi[at : at + CHUNK]], self.ry[yi[at : at + CHUNK]]
                np.any(a != b, axis=1, out=out[at : at + CHUNK])
        for x, y in self.rest:
            out |= _taken_distinct(x, y, xi, yi)
        return out


def _fixed_bytes(a: pa.Array) -> np.ndarray | None:
    """The bytes of a large_string array without missing values, all of one byte length w ≥ 1, as a
    (len, w) uint8 matrix (no copy); None otherwise."""
    if not len(a) or a.null_count:
        return None
    off, data = text_bytes(a)
    w = int(off[1])
    if w == 0 or int(off[-1]) != w * len(a) or not (np.diff(off) == w).all():
        return None
    return data.reshape(len(a), w)


def _width(a: pa.Array) -> int:
    """The largest byte length of a large_string array's values (0: no bytes at all)."""
    if not len(a):
        return 0
    return int(np.diff(text_bytes(a)[0]).max())


def _padded_bytes(a: pa.Array, width: int) -> np.ndarray | None:
    """The values of a large_string array without missing values and without NUL bytes, each zero-padded to
    ``width`` bytes: a (len, width) uint8 matrix. Without NUL bytes two padded values are equal exactly where
    the values are. None for other arrays."""
    if not len(a) or a.null_count:
        return None
    off, data = text_bytes(a)
    if not len(data) or data.min() == 0:
        return None
    padded = np.zeros(len(data) + width, np.uint8)
    padded[: len(data)] = data
    # each value's ``width`` bytes from its start (reaching into the next values), the bytes past its end zeroed
    out = np.lib.stride_tricks.sliding_window_view(padded, width)[off[:-1]]
    out *= np.arange(width) < np.diff(off)[:, None]
    return out


def _rows(parts: list[np.ndarray], n: int) -> np.ndarray | None:
    """(n, k) byte matrices side by side, zero-padded to whole 64-bit words: a (n, words) uint64 matrix."""
    if not parts:
        return None
    width = sum(p.shape[1] for p in parts)
    out = np.zeros((n, -(-width // 8) * 8), np.uint8)
    at = 0
    for p in parts:
        out[:, at : at + p.shape[1]] = p
        at += p.shape[1]
    return out.view(np.uint64)


def _taken_distinct(x: pa.Array, y: pa.Array, xi: np.ndarray, yi: np.ndarray) -> np.ndarray:
    a, b = x.take(pa.array(xi)), y.take(pa.array(yi))
    out = ~np.asarray(pc.fill_null(pc.equal(a, b), False).to_numpy(zero_copy_only=False), bool)
    if a.null_count and b.null_count:
        out &= ~(
            np.asarray(a.is_null().to_numpy(zero_copy_only=False), bool)
            & np.asarray(b.is_null().to_numpy(zero_copy_only=False), bool)
        )
    return out
