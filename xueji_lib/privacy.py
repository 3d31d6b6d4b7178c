"""Masking of personal data (身份证号, phone, address) wherever a person reads it.

Masked by default; unmasking is always an explicit option of the caller. Never log personal values.

    >>> mask_id("11010519491231002X")
    '110105********002X'
    >>> mask_phone("13812345678")
    '138****5678'
"""
from __future__ import annotations

import pandas as pd

# Field codes that hold personal data in any layout, used when no layout is at hand.
DEFAULT_PERSONAL = {
    "SFZH": "id", "ZJHM": "id", "XJH": "id", "SFZJH": "id", "CY1SFZJH": "id", "CY2SFZJH": "id",
    "LXDH": "phone", "SJHM": "phone", "CY1LXDH": "phone", "CY2LXDH": "phone",
    "JTDZ": "address", "TXDZ": "address", "XZZ": "address", "CY1XZZ": "address", "CY2XZZ": "address",
}


def mask_id(value) -> str:
    """Keep the first 6 (area) and last 4 characters of an ID-like value; star the rest."""
    s = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    if len(s) <= 6:
        return "*" * len(s)
    if len(s) <= 10:
        return s[:2] + "*" * (len(s) - 2)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_phone(value) -> str:
    s = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    if len(s) < 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask_address(value) -> str:
    """Keep the first 6 characters (province/city/county), star the rest."""
    s = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return s[:6] + ("***" if len(s) > 6 else "")


MASKERS = {"id": mask_id, "phone": mask_phone, "address": mask_address}


def mask_value(kind: str | None, value) -> str:
    """Mask ``value`` as personal data of ``kind`` ("id", "phone", "address"); other kinds pass as text."""
    if kind in MASKERS:
        return MASKERS[kind](value)
    return "" if value is None else str(value)


def personal_kind(field: str, layout=None) -> str | None:
    """The personal-data kind of a field code, from the layout when given, else from the defaults."""
    if layout is not None:
        kind = layout.personal_fields().get(field)
        if kind:
            return kind
    return DEFAULT_PERSONAL.get(str(field).upper())


def mask_frame(df: pd.DataFrame, layout=None) -> pd.DataFrame:
    """A copy of ``df`` with every personal column masked (vectorised over distinct values)."""
    out = df.copy()
    for col in df.columns:
        kind = personal_kind(col, layout)
        if kind:
            values = df[col]
            uniq = pd.unique(values.dropna())
            mapping = {v: MASKERS[kind](v) for v in uniq}
            out[col] = values.map(mapping).astype("str")
    return out
