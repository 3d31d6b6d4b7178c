"""Vectorised helpers of the generators: pyarrow string arrays built from numpy matrices, concatenated and
taken from pools, day numbers ↔ YYYYMMDD, weighted choices and ranks within groups — so that the same code
makes 2,000 people or 10,000,000 without a Python loop per person.

    >>> from xueji_lib.samples.arrays import _cat, _num_text
    >>> _cat("班", _num_text([1, 12], 2)).to_pylist()
    ['班01', '班12']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.ids import digit_matrix

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def _ascii(mat: np.ndarray) -> pa.Array:
    """(n, w) uint8 matrix of ASCII bytes → a pyarrow string array of n values of width w."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    n, w = mat.shape
    if n * w < 2**31 - 1:
        offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32) if w else np.zeros(n + 1, np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(mat.tobytes()))
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(mat.tobytes()))


_digits = digit_matrix


def _take(pool: Sequence[str], idx: ArrayLike) -> pa.Array:
    return pa.array(list(pool), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def _const(value: str, n: int) -> pa.Array:
    """``n`` copies of one string, without building a Python list."""
    return _take([value], np.zeros(n, np.int64))


def _cat(*parts: str | pa.Array | pa.ChunkedArray) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    parts = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    if not any(isinstance(p, (pa.Array, pa.ChunkedArray)) for p in parts):
        raise ValueError("_cat needs at least one array")
    types = {p.type for p in parts}
    t = pa.large_string() if pa.large_string() in types else pa.string()
    parts = [p.cast(t) if p.type != t else p for p in parts]
    return pc.binary_join_element_wise(*parts, pa.scalar("", t))


def _str(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    return pd.Series(arr, dtype="str")


def _days(year: str | ArrayLike, month: ArrayLike | None = None, day: ArrayLike | None = None) -> np.ndarray:
    """Calendar date(s) → int days since 1970-01-01."""
    if month is None:
        return np.asarray(np.datetime64(year, "D"), dtype="datetime64[D]").astype(np.int64)
    y = np.asarray(year, np.int64)
    m = np.asarray(month, np.int64)
    d = np.asarray(day, np.int64)
    months = (y - 1970) * 12 + (m - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + d - 1


def _ymd(days: ArrayLike) -> np.ndarray:
    """int days since 1970-01-01 → int YYYYMMDD."""
    d = np.asarray(days, np.int64).astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return y * 10000 + mo * 100 + dd


def _date_text(ymd_or_days: ArrayLike, *, is_days: bool = True) -> pa.Array:
    v = _ymd(ymd_or_days) if is_days else np.asarray(ymd_or_days, np.int64)
    return _ascii(_digits(v, 8))


def _choice(rng: np.random.Generator, n: int, p: ArrayLike) -> np.ndarray:
    p = np.asarray(p, float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def _group_rank(key: np.ndarray) -> np.ndarray:
    """Rank of each element among the elements with the same key, in array order (vectorised cumcount)."""
    order = np.argsort(key, kind="stable")
    sk = key[order]
    start = np.ones(len(sk), bool)
    start[1:] = sk[1:] != sk[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(len(sk)), 0))
    rank = np.empty(len(key), np.int64)
    rank[order] = np.arange(len(sk)) - first
    return rank


def _int_text(values: ArrayLike) -> pa.Array:
    """Integers → their decimal text, no padding."""
    return pa.array(np.asarray(values, np.int64)).cast(pa.string())


def _num_text(values: ArrayLike, width: int | None = None) -> pa.Array:
    v = np.asarray(values, np.int64)
    if width is None:
        width = max(1, len(str(int(v.max())))) if len(v) else 1
    return _ascii(_digits(v, width))
