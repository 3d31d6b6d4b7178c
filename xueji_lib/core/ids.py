"""公民身份号码 (GB 11643-1999) arithmetic, vectorised over whole columns.

    >>> import pandas as pd
    >>> check_char(pd.Series(["11010519491231002"])).tolist()
    ['X']
    >>> checksum_ok(pd.Series(["11010519491231002X", "110105194912310021"])).tolist()
    [True, False]
    >>> to18(pd.Series(["110105491231002"])).tolist()
    ['11010519491231002X']

Check character: S = Σ a_i·W_i over the first 17 digits with W = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
check = "10X98765432"[S mod 11] (DOMAIN.md §5.1, verified on the standard's example). A 15-digit number
(GB 11643-1989) becomes 18 digits by inserting "19" after the 6-digit address and appending the check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from .textbytes import text_array, width_bytes

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], np.int64)
CHECK_TEXT = "10X98765432"  # the check character for S mod 11 = 0, 1, 2, …
CHECK_CHARS = np.frombuffer(CHECK_TEXT.encode("ascii"), np.uint8)
_STR = pd.StringDtype("pyarrow", na_value=np.nan)
# The fields that hold a person's ID number (身份证号 / 身份证件号) in the layouts: SFZH in the 学信网 files,
# SFZJH in the K-12 rosters, ZJHM (证件号码) an older name the 学信网 layouts accept for SFZH. In this order
# where a list has more than one and any will do; compare looks for SFZJH first (``compare.ID_FIELDS``).
ID_NUMBER_FIELDS = ("SFZH", "SFZJH", "ZJHM")


def fixed_width_bytes(values: pd.Series, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(mask, bytes) for the values that are exactly ``width`` ASCII characters: mask over all values and
    a (mask.sum() × width) uint8 array of those values, built without a Python object per value
    (``textbytes.width_bytes``; an ASCII value of ``width`` characters is one of ``width`` bytes below 0x80)."""
    arr = text_array(values.astype(_STR))
    rows, b = width_bytes(arr.fill_null("") if arr.null_count else arr, width)
    mask = np.zeros(len(arr), bool)
    ascii_ = (b < 0x80).all(axis=1) if len(b) else np.zeros(0, bool)
    mask[rows[ascii_]] = True
    return mask, b if ascii_.all() else b[ascii_]


def _digits_ok(b: np.ndarray) -> np.ndarray:
    return ((b >= 0x30) & (b <= 0x39)).all(axis=1)


def check_bytes(first17: np.ndarray) -> np.ndarray:
    """(n, 17) uint8 ASCII digits → (n,) uint8 ASCII check characters."""
    out = np.empty(len(first17), np.uint8)
    step = 1 << 15  # in blocks: no (n, 17) int64 temporary, and each block's sums stay in the cache
    for i in range(0, len(first17), step):
        b = first17[i : i + step]
        s = np.zeros(len(b), np.int64)
        for j, w in enumerate(WEIGHTS.tolist()):
            s += b[:, j] * np.int64(w)
        s -= 0x30 * int(WEIGHTS.sum())  # Σ (byte - "0")·W
        out[i : i + step] = CHECK_CHARS[s % 11]
    return out


def check_char(first17: pd.Series) -> pd.Series:
    """The check character for 17-digit strings; NA where the input is not 17 digits."""
    mask, b = fixed_width_bytes(first17, 17)
    out = np.full(len(first17), None, dtype=object)
    ok = _digits_ok(b)
    idx = np.flatnonzero(mask)[ok]
    out[idx] = [chr(c) for c in check_bytes(b[ok])] if len(idx) else []
    return pd.Series(out, index=first17.index, dtype=_STR)


def checksum_ok(ids: pd.Series) -> pd.Series:
    """True where the value is 17 digits plus the right check character (upper-case X only)."""
    mask, b = fixed_width_bytes(ids, 18)
    out = np.zeros(len(ids), bool)
    if len(b):
        ok = _digits_ok(b[:, :17]) & (check_bytes(b[:, :17]) == b[:, 17])
        out[np.flatnonzero(mask)] = ok
    return pd.Series(out, index=ids.index)


def to18(ids: pd.Series) -> pd.Series:
    """15-digit numbers converted to 18 digits ("19" inserted, check appended); other values unchanged."""
    s = ids if ids.dtype == _STR else ids.astype(_STR)
    mask, b = fixed_width_bytes(s, 15)
    if not len(b):
        return s
    ok = _digits_ok(b)
    first17 = np.concatenate([b[:, :6], np.full((len(b), 2), [ord("1"), ord("9")], np.uint8), b[:, 6:]], axis=1)
    full = np.concatenate([first17, check_bytes(first17)[:, None]], axis=1)
    converted = full[ok].tobytes()
    idx = np.flatnonzero(mask)[ok]
    out = s.copy()
    if len(idx):
        out.iloc[idx] = [converted[i * 18 : (i + 1) * 18].decode("ascii") for i in range(len(idx))]
    return out


def birth_date(ids: pd.Series) -> pd.Series:
    """YYYYMMDD from 18-digit numbers (characters 7–14); NA for other values. Not checked for validity."""
    s = ids.astype(_STR)
    return s.str.slice(6, 14).where(s.str.len() == 18)


def sex_code(ids: pd.Series) -> pd.Series:
    """ "1" (odd 17th digit, male) or "2" (even, female) for 18-digit numbers; NA otherwise."""
    s = ids.astype(_STR)
    d = s.str.slice(16, 17).where(s.str.len() == 18)
    odd = d.isin(["1", "3", "5", "7", "9"])
    out = pd.Series(np.where(odd, "1", "2"), index=ids.index, dtype=_STR)
    return out.where(d.str.fullmatch(r"\d").fillna(False).astype(bool))


def digit_matrix(values: ArrayLike, width: int) -> np.ndarray:
    """Non-negative integers → (n, width) uint8 matrix of their zero-padded ASCII digits."""
    v = np.array(values, dtype=np.int64, copy=True).reshape(-1)
    out = np.empty((len(v), width), np.uint8)
    for j in range(width - 1, -1, -1):  # one column at a time: no (n, width) int64 temporary
        out[:, j] = v % 10 + 48
        v //= 10
    return out


def make_ids(area: ArrayLike, birth: ArrayLike, seq: ArrayLike) -> pd.Series:
    """Valid 18-digit numbers from 6-digit area codes, YYYYMMDD births and 3-digit sequence numbers
    (odd = male), vectorised; inputs may be ints or digit strings. For synthetic data and tests.

    >>> make_ids([110105], ["19491231"], [2]).tolist()
    ['11010519491231002X']
    """

    def ints(values):
        arr = np.asarray(values)
        return (
            arr.astype(np.int64)
            if np.issubdtype(arr.dtype, np.integer)
            else (pd.Series(values).astype("str").astype(np.int64).to_numpy())
        )

    area, birth, seq = ints(area), ints(birth), ints(seq)
    m = np.empty((len(area), 18), np.uint8)
    m[:, :6] = digit_matrix(area, 6)
    m[:, 6:14] = digit_matrix(birth, 8)
    m[:, 14:17] = digit_matrix(seq, 3)
    m[:, 17] = check_bytes(m[:, :17])
    offsets = np.arange(0, (len(m) + 1) * 18, 18, dtype=np.int64)
    arr = pa.LargeStringArray.from_buffers(len(m), pa.py_buffer(offsets), pa.py_buffer(m.tobytes()))
    return pd.Series(arr, dtype=_STR)
