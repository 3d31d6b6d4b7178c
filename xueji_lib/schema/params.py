"""The values a run is made for — 录取年份 and 学历类别 — checked in one place, for the command line
(``xueji validate`` / ``xueji reconcile``) and the report parameters alike.

    >>> from xueji_lib.schema.params import check_category, check_year
    >>> check_year("2026"), check_category(" 10 ")
    (2026, '10')
    >>> check_year(None) is None and check_category(None) is None    # not given: taken from the files
    True
"""

from __future__ import annotations

from ..core.errors import XuejiError

__all__ = ["ParameterValueError", "check_year", "check_category", "YEAR_RANGE"]

YEAR_RANGE = (1990, 2100)  # a 录取年份 outside this is a slip (two digits, a date, a 学年 like 20252026)


class ParameterValueError(XuejiError, ValueError):
    """A 录取年份 or 学历类别 that cannot be right; the message says what is accepted."""


def check_year(value: str | int | None) -> int | None:
    """A 录取年份 as an int: four digits between 1990 and 2100 (text or int; blanks around are ignored).
    None stays None. Anything else raises ``ParameterValueError``.

    >>> check_year(" 2026 ")
    2026
    >>> check_year("26")
    Traceback (most recent call last):
    ...
    xueji_lib.schema.params.ParameterValueError: 录取年份 26 不对：请写四位年份，如 2026
    """
    if value is None:
        return None
    text = str(value).strip()
    if not (text.isdecimal() and len(text) == 4 and YEAR_RANGE[0] <= int(text) <= YEAR_RANGE[1]):
        raise ParameterValueError(f"录取年份 {value} 不对：请写四位年份，如 2026")
    return int(text)


def check_category(value: str | int | None) -> str | None:
    """A 学历类别 code of the ``xllb`` code table (10 普通本专科, 20 研究生, 50 成人本专科, 70 网络教育), as text;
    blanks around are ignored. None stays None. Anything else raises ``ParameterValueError`` listing the codes.

    >>> check_category("30")                                  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xueji_lib.schema.params.ParameterValueError: 学历类别 30 不对：只能是 10（普通本专科）、20（研究生）、...
    """
    if value is None:
        return None
    from .codes import load_code_table

    table = load_code_table("xllb")
    text = str(value).strip()
    if text not in table.codes():
        raise ParameterValueError(
            f"学历类别 {value} 不对：只能是 " + "、".join(f"{e.code}（{e.label}）" for e in table.entries)
        )
    return text
