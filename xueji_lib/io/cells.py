"""A raw spreadsheet cell as the text Excel shows, with a warning code where Excel changed or hid what was typed.

    >>> from xueji_lib.io.cells import cell_text
    >>> cell_text("110101200701011234", "s", 0, None, None)
    ('110101200701011234', None)
    >>> cell_text(1.10101200701012e17, "n", 0, None, None)
    ('110101200701012000', 'EXCEL_NUMBER_DAMAGED')

The cell kinds are the ones both sheet readers (``io.xlsx``) and the text reader (``io.text_tables``) hand
over: ``s`` text, ``n`` number, ``d`` date/time, ``b`` boolean, ``e`` error, ``f`` formula without a saved
result. ``date_text`` is also how ``write_excel`` writes a date as text.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal

__all__ = ["cell_text", "date_text", "SERIAL_MIN", "SERIAL_MAX"]

SERIAL_MIN, SERIAL_MAX = 20000, 80000  # 1954-10-03 … 2119-01-10: plausible Excel date serials

_SCI_TEXT = re.compile(r"\s*[+-]?\d+(?:\.\d*)?[eE]\+?\d+\s*")


def date_text(value: object, datefmt: str | None) -> str:
    """A datetime/date/time/timedelta as text: layout format, else YYYY-MM-DD[ HH:MM:SS]."""
    if isinstance(value, _dt.datetime) or isinstance(value, _dt.date):
        y, m, d = value.year, value.month, value.day
        if datefmt == "YYYYMMDD":
            return f"{y:04d}{m:02d}{d:02d}"
        if datefmt == "YYYYMM":
            return f"{y:04d}{m:02d}"
        text = f"{y:04d}-{m:02d}-{d:02d}"
        if isinstance(value, _dt.datetime) and (value.hour or value.minute or value.second):
            text += f" {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        return text
    if isinstance(value, _dt.time):
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if isinstance(value, _dt.timedelta):
        secs = int(round(value.total_seconds()))
        sign = "-" if secs < 0 else ""
        secs = abs(secs)
        return f"{sign}{secs // 3600}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    return str(value)


def _serial_to_date(x: float, epoch: _dt.datetime) -> _dt.datetime:
    from openpyxl.utils.datetime import from_excel

    return from_excel(x, epoch)


def _number_text(
    x: str | int | float, zeros: int, datefmt: str | None, epoch: _dt.datetime | None
) -> tuple[str, str | None]:
    """A numeric cell as the text Excel shows; plus a warning code or None."""
    if isinstance(x, str):  # the fast path hands over the <v> text
        if x.isdigit() and len(x) <= 15 and (x[0] != "0" or len(x) == 1) and not zeros and not datefmt:
            return x, None
        x = float(x) if ("." in x or "e" in x or "E" in x) else int(x)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x), None
        integral = x.is_integer()
    else:
        integral = True
    if datefmt and SERIAL_MIN <= x <= SERIAL_MAX:
        return date_text(_serial_to_date(float(x), epoch), datefmt), "EXCEL_SERIAL_DATE"
    if integral:
        if abs(x) >= 1e15:
            # the digits as stored: Excel keeps 15 significant digits and pads with zeros
            text = str(x) if isinstance(x, int) else str(int(Decimal(repr(x))))
            if isinstance(x, float) and abs(x) >= 2**53:
                # a double (what a script or WPS writes: 4.301212019040797e+17) holds 15–17 significant digits:
                # above 2^53 not every integer exists, so an 18-digit ID in one has lost its last digits
                return text, "EXCEL_NUMBER_DAMAGED"
            if len(text.lstrip("-").rstrip("0")) > 15:  # all digits still there (an integer, not saved by Excel)
                return text, "LONG_NUMBER_CELL"
            return text, "EXCEL_NUMBER_DAMAGED"
        text = str(int(x))
        if zeros and x >= 0 and len(text) < zeros:
            return text.zfill(zeros), "NUMBER_FORMAT_ZEROS"
        return text, None
    text = f"{x:.15g}"  # Excel keeps and shows at most 15 significant digits
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}E{exp[0]}{exp[1:]}" if exp[0] in "+-" else f"{mant}E+{exp}"
    return text, None


def _text_text(s: str) -> tuple[str, str | None]:
    """A text cell: drop an export's leading apostrophe or ="…" wrapper; flag scientific notation."""
    code = None
    first = s[0]
    if first == "'" and len(s) > 1 and s[1].isascii() and s[1].isalnum():
        s, code = s[1:], "LEADING_APOSTROPHE"
    elif first == "=" and len(s) >= 3 and s[1] == '"' and s[-1] == '"':
        s, code = s[2:-1].replace('""', '"'), "FORMULA_TEXT"
    if ("E" in s or "e" in s) and _SCI_TEXT.fullmatch(s):
        try:
            if abs(float(s)) >= 1e10:
                return s, "EXCEL_NUMBER_DAMAGED"
        except ValueError:
            pass
    return s, code


def cell_text(
    value: object, kind: str, zeros: int, datefmt: str | None, epoch: _dt.datetime | None
) -> tuple[str, str | None]:
    """(text, warning code or None) of one raw cell. ``kind``: s text, n number, d date/time,
    b boolean, e error, f formula without a saved result."""
    if kind == "s":
        if not value:
            return "", None
        if value[0] in "'=" or "E" in value or "e" in value:
            return _text_text(value)
        return value, None
    if kind == "n":
        return _number_text(value, zeros, datefmt, epoch)
    if kind == "d":
        return date_text(value, datefmt), None
    if kind == "b":
        return ("TRUE" if value else "FALSE"), None
    if kind == "e":
        return str(value), "EXCEL_ERROR_VALUE"
    if kind == "f":
        return "", "FORMULA_NO_VALUE"
    return ("" if value is None else str(value)), None
