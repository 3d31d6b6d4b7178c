"""Masking of personal data (身份证号, phone, address) wherever a person reads it.

Masked by default; unmasking is always an explicit option of the caller. Never log personal values.

    >>> mask_id("11010519491231002X")
    '110105********002X'
    >>> mask_phone("13812345678")
    '138****5678'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

# Field codes that hold personal data in any layout, used when no layout is at hand.
DEFAULT_PERSONAL = {
    "SFZH": "id",
    "ZJHM": "id",
    "XJH": "id",
    "SFZJH": "id",
    "CY1SFZJH": "id",
    "CY2SFZJH": "id",
    "LXDH": "phone",
    "SJHM": "phone",
    "CY1LXDH": "phone",
    "CY2LXDH": "phone",
    "JTDZ": "address",
    "TXDZ": "address",
    "XZZ": "address",
    "CY1XZZ": "address",
    "CY2XZZ": "address",
    # the same fields headed in Chinese, in a sheet that fits no layout
    "身份证号": "id",
    "身份证件号": "id",
    "身份证件号码": "id",
    "证件号码": "id",
    "学籍号": "id",
    "全国学籍号": "id",
    "联系电话": "phone",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "家庭地址": "address",
    "家庭住址": "address",
    "现住址": "address",
    "通信地址": "address",
    "通讯地址": "address",
    "地址": "address",
}


class PersonalFields(Protocol):
    """What masking reads of a layout (``schema.layouts.Layout`` is one): its personal fields, code → kind."""

    def personal_fields(self) -> Mapping[str, str]: ...


def _id_stars(n: int) -> tuple[int, int]:
    """The characters ``mask_id`` stars in a value of ``n`` characters, as (start, stop): all of a short value
    (6 or fewer), all but the first 2 up to 10, else all but the first 6 (area) and the last 4."""
    return (0, n) if n <= 6 else (2, n) if n <= 10 else (6, n - 4)


def mask_id(value: object) -> str:
    """Keep the first 6 (area) and last 4 characters of an ID-like value; star the rest (``_id_stars``)."""
    s = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    start, stop = _id_stars(len(s))
    return s[:start] + "*" * (stop - start) + s[stop:]


def mask_phone(value: object) -> str:
    """A phone number with its middle starred: a mobile or a landline with its area code (11 characters or
    more) keeps its first 3 and last 4, as banks print them; a shorter number (a landline without area code,
    7–10 digits) keeps only its last 2, so no number is ever shown whole or nearly whole.

        >>> mask_phone("13812345678"), mask_phone("0731-84561234"), mask_phone("84561234"), mask_phone("12345")
        ('138****5678', '073******1234', '******34', '*****')
    """
    s = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    if len(s) >= 11:
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    if len(s) >= 7:
        return "*" * (len(s) - 2) + s[-2:]
    return "*" * len(s)


def mask_address(value: object) -> str:
    """Keep the first 6 characters (province/city/county), star the rest."""
    s = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return s[:6] + ("***" if len(s) > 6 else "")


MASKERS = {"id": mask_id, "phone": mask_phone, "address": mask_address}


def mask_value(kind: str | None, value: object) -> str:
    """Mask ``value`` as personal data of ``kind`` ("id", "phone", "address"); other kinds pass as text."""
    if kind in MASKERS:
        return MASKERS[kind](value)
    return "" if value is None else str(value)


def personal_kind(field: str, layout: PersonalFields | None = None) -> str | None:
    """The personal-data kind of a field code, from the layout when given, else from the defaults."""
    if layout is not None:
        kind = layout.personal_fields().get(field)
        if kind:
            return kind
    return DEFAULT_PERSONAL.get(str(field).upper())


def mask_series(values: pd.Series, kind: str | None) -> pd.Series:
    """``mask_value`` over a whole column without a Python call per value (missing stays missing): ID-like
    values by one Arrow slice replacement per distinct length, phones and addresses per distinct value."""
    import pyarrow as pa

    s = values.astype("str")
    if kind not in MASKERS:
        return s
    if kind != "id":
        uniq = pd.unique(s.dropna())
        return s.map({v: MASKERS[kind](v) for v in uniq}).astype("str")
    a = pa.array(s.array)
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return pd.Series(mask_id_array(a), index=s.index, dtype="str", name=s.name)


def mask_id_array(a: pa.Array) -> pa.Array:
    """``mask_id`` over an Arrow string array (missing stays missing), as an Arrow array: one slice replacement
    per distinct length — a single one, with no comparison and choice per value, when all have one length."""
    import pyarrow.compute as pc

    lengths = pc.utf8_length(a)
    out = a
    present = pc.unique(lengths.drop_null()).to_pylist()
    for n in present:
        start, stop = _id_stars(n)
        masked = pc.utf8_replace_slice(a, start=start, stop=stop, replacement="*" * (stop - start))
        out = masked if len(present) == 1 else pc.if_else(pc.equal(lengths, n), masked, out)
    return out


def mask_frame(df: pd.DataFrame, layout: PersonalFields | None = None) -> pd.DataFrame:
    """A copy of ``df`` with every personal column masked."""
    out = df.copy()
    for col in df.columns:
        kind = personal_kind(col, layout)
        if kind:
            out[col] = mask_series(df[col], kind)
    return out
