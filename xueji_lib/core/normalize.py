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
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STR = pd.StringDtype("pyarrow", na_value=np.nan)

_FULLWIDTH = str.maketrans({0x3000: 0x20, **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}})


def as_text(values: pd.Series) -> pd.Series:
    """The column as pandas ``str`` (NaN for missing); numbers become their plain text."""
    if values.dtype == STR:
        return values
    return values.astype(STR)


def decode_codes(codes: np.ndarray, texts: Iterable[str], mask: np.ndarray | None = None) -> pd.Series:
    """Integer codes into ``texts`` as a pandas ``str`` column (``mask``: True = missing), decoded by Arrow
    from a dictionary array — no Python object per row.

    >>> decode_codes(np.array([1, 0, 1]), ["", "一致"], mask=np.array([False, True, False])).tolist()
    ['一致', nan, '一致']
    """
    indices = pa.array(np.asarray(codes, dtype=np.int32), type=pa.int32(), mask=mask)
    # a take from the few texts: several times faster than casting a dictionary array to strings
    return pd.Series(pc.take(pa.array(list(texts), type=pa.large_string()), indices), dtype=STR)


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
    """A comparison key: half-width, no blanks anywhere, upper case; empty → NaN."""
    s = no_spaces(halfwidth(values)).str.upper()
    return s.where(s != "")


def date_text(values: pd.Series) -> pd.Series:
    """Dates as YYYYMMDD text from the forms users type (YYYYMMDD, YYYY-MM-DD, YYYY/M/D, YYYY.MM.DD,
    YYYY年M月D日, datetime values); NaN when the value is not a real calendar date."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y%m%d").astype(STR)
    return _map_distinct(as_text(values), _one_date)  # dates repeat a lot: parse each distinct one once


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
