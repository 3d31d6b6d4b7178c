"""Named field formats a layout field can declare (``format: phone``), each a regular expression with the Chinese
words saying what is expected, a default severity and the source it comes from. A layout field may instead (or
as well) give its own ``pattern`` / ``pattern_message`` / ``pattern_severity``: a bureau adds a format in its
layout file, without code.

    >>> from xueji_lib.schema.formats import NAMED_FORMATS
    >>> import re
    >>> bool(re.fullmatch(NAMED_FORMATS["phone"].pattern, "0731-84567890"))
    True
    >>> bool(re.fullmatch(NAMED_FORMATS["address"].pattern, "枫林镇荷花村2组"))
    False
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FieldFormat", "NAMED_FORMATS", "FORMAT_SEVERITIES"]

FORMAT_SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class FieldFormat:
    """A value format: ``pattern`` (a Python regular expression the whole value, blanks stripped, must match),
    ``message`` (what is expected, in Chinese: it follows "格式不对：" in the finding), ``severity``."""

    pattern: str
    message: str
    severity: str = "warning"
    source: str = ""


# [0-9], not \d, and no \s or \u escapes: the patterns run in Arrow's RE2 over the whole column (pandas falls back to
# Python's re, a call per value, for those), and \d would accept full-width digits in Python's re
_MOBILE = r"(?:(?:\+?86[- ]?)?1[3-9][0-9]{9})"
_LANDLINE = r"(?:(?:0[0-9]{2,3}-?|\(0[0-9]{2,3}\)|（0[0-9]{2,3}）)[0-9]{7,8}(?:-[0-9]{1,6})?)"
_ONE_PHONE = f"(?:{_MOBILE}|{_LANDLINE})"
_PROVINCE = r"(?:[一-鿿]{2,7}?(?:省|自治区|特别行政区)|(?:北京|天津|上海|重庆)市?)"

NAMED_FORMATS: dict[str, FieldFormat] = {
    # 004: "家庭电话或个人电话至少填写一个相对稳定的电话"; a number that can be dialled: mobile 11 digits (1[3-9]…), or
    # a landline with its area code (0xx(x)-xxxxxxx(x), optional extension); several numbers separated by 、/ , ;
    "phone": FieldFormat(
        rf"{_ONE_PHONE}(?: *[,，/、;；] *{_ONE_PHONE})*",
        "应为 11 位手机号码（1 开头，第二位为 3–9），或带区号的固定电话（如 0731-84567890）",
        "warning",
        "seed 004 第 143、300 行（家庭固定电话、联系人手机；至少填写一个相对稳定的电话）",
    ),
    # 004: "家庭地址需按照××省××市××区(县)××乡镇(街道)××村(社区)××室的格式填写": the address names at least the
    # province (省/自治区/直辖市/特别行政区) and the county level (区/县/旗/县级市) and goes on below it. The
    # prefecture (××市/州/盟) is not required: many addresses skip it, and 省直辖县级市 have none.
    "address": FieldFormat(
        rf"{_PROVINCE}.*?(?:区|县|旗|市).+",
        "应按“××省××市××区(县)××乡镇(街道)××村(社区)”的格式填写，至少写明省（自治区、直辖市）和区（县）",
        "warning",
        "seed 004 第 17 行（家庭地址的格式）、第 299 行（家庭住址必须填写完整）",
    ),
    # 004 第 143、144、299 行: 邮政编码 must be filled; a Chinese postcode has 6 digits
    "postcode": FieldFormat(r"[0-9]{6}", "应为 6 位数字", "error", "seed 004 第 143、144、299 行（邮政编码）"),
    # the national K-12 system's 学校标识码: 10 digits (DOMAIN.md §3.1)
    "school_id": FieldFormat(r"[0-9]{10}", "应为 10 位数字", "error", "DOMAIN.md §3.1（学校标识码 10 位）"),
}
