"""Numbers that stand in an ID-number field without being a 居民身份证号: the forms, as data.

A roster's 身份证号 column holds, for some students, another document's number or a school's substitute: the
"11113"+学号 number a 深圳 notice prescribes for 港澳台 students (seed 004: "港澳台身份证一律用“11113”+学号替代，
例如学号为“09102056”的学生，身份证号填写“1111309102056”"), 回乡证, 台胞证, passports, a "999+学校代码+流水号"
temporary number. The validator reports a recognised number as what it is (SFZH_SUBSTITUTE, 提示), never as a
broken 身份证号.

The forms are ``xueji_lib/schema/data/id_forms.csv``, one a line:

- ``code``, ``name`` (Chinese, as the finding says it), ``source``;
- ``pattern``: a regular expression the whole number (half-width, blanks removed, upper case) must match;
- ``equals``: optionally, what the number must be built from the record's own fields when the file has them —
  ``11113+XH`` (exactly "11113" followed by the 学号), ``999+XXBSM+*`` (starts with "999" and the 学校标识码);
- when it applies: ``sfzjlx`` (身份证件类型 codes, ``|``-separated), ``gatqw`` (港澳台侨外 codes), ``region``
  (words the record's 民族 / 籍贯 / 国籍 may contain, e.g. 香港|澳门|台湾), or ``shape_alone`` = yes (the number's
  shape is enough). A form is recognised when the number fits it and one of these says so.

A user adds forms, or changes a built-in one, with an ``id_forms.csv`` of the same columns in a folder named by
``XUEJI_CODES_PATH`` (the code-table folders): a row with the code of a built-in form replaces it.

    >>> forms = load_id_forms()
    >>> f = next(f for f in forms if f.code == "hmt_11113")
    >>> f.name, f.equals, f.shape_alone
    ('港澳台学生的替代号码（11113+学号）', '11113+XH', True)
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..core.errors import LayoutError
from . import codes as _codes

__all__ = ["IdForm", "load_id_forms", "ID_FORMS_FILE", "REGION_FIELDS"]

ID_FORMS_FILE = Path(__file__).parent / "data" / "id_forms.csv"
COLUMNS = ("code", "name", "pattern", "equals", "sfzjlx", "gatqw", "region", "shape_alone", "source")
REGION_FIELDS = ("MZ", "JG", "GJ")  # fields whose text may say 香港 / 澳门 / 台湾 (higher-ed MZ: 户籍所在区域)


@dataclass(frozen=True)
class IdForm:
    """One form of number an ID field may hold instead of a 居民身份证号 (see the module)."""

    code: str
    name: str
    pattern: str
    equals: str = ""
    sfzjlx: tuple[str, ...] = ()
    gatqw: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    shape_alone: bool = False
    source: str = ""

    def equals_parts(self) -> tuple[str, str, bool] | None:
        """``equals`` as (literal prefix, field code, whether more may follow), or None."""
        if not self.equals:
            return None
        parts = [p.strip() for p in self.equals.split("+")]
        more = parts[-1] == "*"
        if more:
            parts = parts[:-1]
        return parts[0], parts[1].upper(), more


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split("|") if p.strip())


def _parse(path: Path) -> list[IdForm]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LayoutError(f"证件号码形式表 {path} 无法读取：{exc}") from exc
    out = []
    for i, row in enumerate(rows, start=2):
        missing = [c for c in ("code", "name", "pattern") if not (row.get(c) or "").strip()]
        if missing:
            raise LayoutError(f"证件号码形式表 {path} 第 {i} 行缺少 {'、'.join(missing)}（列：{', '.join(COLUMNS)}）")
        pattern = row["pattern"].strip()
        try:
            re.compile(pattern)
        except re.error as exc:
            raise LayoutError(f"证件号码形式表 {path} 第 {i} 行：pattern 不是有效的正则表达式：{exc}") from exc
        equals = (row.get("equals") or "").strip()
        if equals and (len(equals.split("+")) < 2 or not equals.split("+")[1].strip()):
            raise LayoutError(f"证件号码形式表 {path} 第 {i} 行：equals 应写成 前缀+字段代码（如 11113+XH），或再加 +*")
        out.append(
            IdForm(
                code=row["code"].strip(),
                name=row["name"].strip(),
                pattern=pattern,
                equals=equals,
                sfzjlx=_split(row.get("sfzjlx", "")),
                gatqw=_split(row.get("gatqw", "")),
                region=_split(row.get("region", "")),
                shape_alone=(row.get("shape_alone") or "").strip().lower() in {"yes", "true", "1", "是"},
                source=(row.get("source") or "").strip(),
            )
        )
    return out


@cache
def _load(paths: tuple[Path, ...]) -> tuple[IdForm, ...]:
    forms: dict[str, IdForm] = {}
    for path in paths:
        for form in _parse(path):
            forms[form.code] = form  # a user's row replaces the built-in form of the same code
    return tuple(forms.values())


def load_id_forms() -> tuple[IdForm, ...]:
    """The built-in forms plus those in ``id_forms.csv`` files of the ``XUEJI_CODES_PATH`` folders."""
    user = [d / "id_forms.csv" for d in _codes._code_dirs() if d != _codes.BUILTIN_DIR]
    return _load((ID_FORMS_FILE, *[p for p in user if p.is_file()]))
