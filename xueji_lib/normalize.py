"""Normalising values before they are checked or compared, vectorised over columns.

Normalising never changes the user's data: checks report the raw value and say what the normalised one
would be; reconciliation compares normalised keys and still shows both raw values.

    >>> import pandas as pd
    >>> halfwidth(pd.Series(["１１０１０５ＡＢ", "张　三"])).tolist()
    ['110105AB', '张 三']
    >>> date_text(pd.Series(["2008-05-17", "2008年5月7日", "20080517", "2008/13/01", ""])).tolist()
    ['20080517', '20080507', '20080517', nan, nan]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

STR = pd.StringDtype("pyarrow", na_value=np.nan)

_FULLWIDTH = str.maketrans({0x3000: 0x20, **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}})


def as_text(values: pd.Series) -> pd.Series:
    """The column as pandas ``str`` (NaN for missing); numbers become their plain text."""
    if values.dtype == STR:
        return values
    return values.astype(STR)


def halfwidth(values: pd.Series) -> pd.Series:
    """Full-width ASCII (０-９, Ａ-Ｚ, ！…) and the ideographic space → half-width, per distinct value."""
    s = as_text(values)
    return _map_distinct(s, lambda v: v.translate(_FULLWIDTH))


def has_fullwidth(values: pd.Series) -> pd.Series:
    return as_text(values).str.contains("[\uff01-\uff5e\u3000]", regex=True).fillna(False).astype(bool)


def key_text(values: pd.Series) -> pd.Series:
    """A comparison key: half-width, no blanks anywhere, upper case; empty → NaN."""
    s = halfwidth(values).str.replace(r"\s+", "", regex=True).str.upper()
    return s.where(s != "")


def date_text(values: pd.Series) -> pd.Series:
    """Dates as YYYYMMDD text from the forms users type (YYYYMMDD, YYYY-MM-DD, YYYY/M/D, YYYY.MM.DD,
    YYYY年M月D日, datetime values); NaN when the value is not a real calendar date."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y%m%d").astype(STR)
    s = halfwidth(values).str.strip()
    parts = s.str.extract(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$")
    compact = s.str.fullmatch(r"\d{8}").fillna(False).astype(bool)
    sep = s.str.contains(r"[-/.年]", regex=True).fillna(False).astype(bool)
    usable = (compact | sep) & parts[0].notna()
    y = pd.to_numeric(parts[0], errors="coerce")
    m = pd.to_numeric(parts[1], errors="coerce")
    d = pd.to_numeric(parts[2], errors="coerce")
    stamp = pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": d}).where(usable), errors="coerce")
    out = stamp.dt.strftime("%Y%m%d").astype(STR)
    return out.where(usable & stamp.notna())


def _map_distinct(s: pd.Series, func) -> pd.Series:
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = pd.array([func(u) for u in uniques], dtype=STR)
    out = mapped.take(codes, allow_fill=True)
    return pd.Series(out, index=s.index, dtype=STR, name=s.name)
