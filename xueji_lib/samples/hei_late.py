"""The late supplementary registration batch (``hei/10_注册上报_补报.dbf``, issue 16 §1 and §5): about thirty
students of 学历类别 10 registered late, in a DBF a clerk made by hand from an old template — with the structure
problems the platform's check reports (seed 000: "可以比系统规定的标准表结构多一些字段，但绝对不能少字段"; "系统会提示您
缺失或者有误的字段") and the code problems of seed 004 ("凡是字母、数字禁止用中文输入法下的全角输入,含有字母的必须大写").

    >>> late = make_hei_late(taken_ids=set(), taken_names=set(), taken_ksh=set(), taken_xh=set())  # doctest: +SKIP
    >>> len(late.frame), [f.code for f in late.layout.fields][:3]                                  # doctest: +SKIP
    (30, ['KSH', 'XH', 'XM'])

The template: every field of chsi_registration except three optional ones (ZZMM 政治面貌, FY 分院, XSH 系所函授站:
the file fails as a whole), KSH narrowed to C14 (a warning: the file's values fit), XH widened to C30 with one
学号 typed in full-width digits that cannot fit the standard 15 bytes (an error at that record and for the file),
one 班号 in lower-case pinyin, and an extra field SSH 宿舍号 (allowed: reported as information only). Every other
record is clean. The people come from their own seeded stream (``[seed, 16, 1]``): the other samples do not change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..schema.layouts import Layout, LayoutField, load_layout
from .arrays import _choice
from .hei_records import _age_window, _ages, _hei_records, _registration_view
from .people import make_people
from .planted import _Planted
from .vocabulary import MAJORS_10, MZ_P_HEI, SAMPLE_SEED, YEAR

FILE_REGISTRATION_LATE = "hei/10_注册上报_补报.dbf"
#: The optional fields of chsi_registration the hand-made template lacks.
LATE_MISSING = ("ZZMM", "FY", "XSH")
#: Fields whose width differs from the standard: KSH narrower (C14), XH wider (C30).
LATE_WIDTHS = {"KSH": 14, "XH": 30}
#: The extra field of the template (the platform allows more fields than the standard).
LATE_EXTRA = LayoutField(code="SSH", name="宿舍号", type="C", width=10)
_FULLWIDTH = {c: c + 0xFEE0 for c in range(0x30, 0x3A)}  # 0-9 → ０-９


@dataclass
class LateBatch:
    """The late batch: its records (layout field codes, index = record id), the hand-made DBF structure it is
    written with, and its planted problems."""

    frame: pd.DataFrame
    layout: Layout = field(repr=False)
    planted: _Planted = field(repr=False)


def late_layout() -> Layout:
    """chsi_registration as the old hand-made template has it: three optional fields missing, KSH C14, XH C30, an
    extra SSH 宿舍号 at the end."""
    std = load_layout("chsi_registration")
    fields = tuple(
        dataclasses.replace(f, width=LATE_WIDTHS.get(f.code, f.width)) for f in std.fields if f.code not in LATE_MISSING
    )
    return Layout("chsi_registration_hand", "新生注册上报（手工旧模板）", "dbf", fields + (LATE_EXTRA,))


def make_hei_late(
    seed: int = SAMPLE_SEED,
    *,
    taken_ids: Iterable[str],
    taken_names: Iterable[str],
    taken_ksh: Iterable[str],
    taken_xh: Iterable[str],
    n: int = 30,
    year: int = YEAR,
) -> LateBatch:
    """``n`` late registrations of category 10 (people distinct from ``taken_ids``/``taken_names``, 考生号 and 学号
    distinct from ``taken_ksh``/``taken_xh``), with the template's problems planted."""
    rng = np.random.default_rng([seed, 16, 1])
    taken_ids, taken_ksh, taken_xh = set(taken_ids), set(taken_ksh), set(taken_xh)
    lo, hi = _age_window(_ages(rng, n + 10, {18: 0.6, 19: 0.4}), year)
    people = make_people(
        n + 10, rng=rng, birth_lo=lo, birth_hi=hi, mz_p=MZ_P_HEI, rare_rate=0.0, unique_names=True,
        exclude_names=set(taken_names),
    )  # fmt: skip
    people = people[~people["SFZH"].isin(taken_ids)].head(n).reset_index(drop=True)
    w = np.array([m[7] for m in MAJORS_10], float)
    major = _choice(rng, n, w)
    major[: n // 6] = 1  # a few of them 软件工程: the lower-case 班号 is one of theirs
    rec = _hei_records(rng, people, "10", major, np.full(n, "normal"), year)
    # a late student's 学号 follows the last place of the class (71, 72 …), never an existing one
    head = rec["XH"].str.slice(0, -2)
    place = 71 + head.groupby(head).cumcount()
    rec["XH"] = head + place.map("{:02d}".format).astype("str")
    assert not set(rec["XH"]) & taken_xh
    for i in rec.index[rec["KSH"].isin(taken_ksh)]:  # 考生号 of a late student: not one of the first batch
        k = rec.at[i, "KSH"]
        while k in taken_ksh or k in set(rec["KSH"].drop(i)):
            k = k[:10] + f"{(int(k[10:]) + 1) % 10000:04d}"
        rec.at[i, "KSH"] = k
    reg = _registration_view(rec)
    reg["BZ"] = "补报"
    reg["SSH"] = [f"{int(b)}栋{int(r)}" for b, r in zip(rng.integers(1, 9, n), rng.integers(101, 620, n))]
    reg = reg.sort_values("XH", kind="stable")
    reg.index = pd.RangeIndex(800_000, 800_000 + n)
    plant = _Planted()
    _plant_late(plant, rng, reg)
    lay = late_layout()
    reg = reg[[f.code for f in lay.fields]]
    return LateBatch(frame=reg, layout=lay, planted=plant)


def _plant_late(plant: _Planted, rng: np.random.Generator, reg: pd.DataFrame) -> None:
    """The template's structure problems (file level: empty row) and the two code problems (at their records)."""
    F = FILE_REGISTRATION_LATE
    std = load_layout("chsi_registration")
    for code in LATE_MISSING:
        plant.add(
            F,
            None,
            code,
            "struct_missing_optional",
            "validate:STRUCT_MISSING_OPTIONAL",
            f"手工旧模板缺少标准结构中的选填字段 {code}（{std.field(code).name}）：平台“不能少字段”，整个文件不能上传",
        )
    plant.add(
        F,
        None,
        "KSH",
        "struct_field_narrow",
        "validate:STRUCT_FIELD_WIDTH",
        "考生号字段为 C14，标准结构为 C18：文件中的 14 位考生号都放得下，提示核对（专升本等 18 位考生号会被截断）",
    )
    plant.add(
        F,
        None,
        "XH",
        "struct_field_overflow",
        "validate:STRUCT_FIELD_OVERFLOW",
        "学号字段为 C30，比标准结构 C15 宽，其中一条记录的学号（全角数字）放不进 15 字节",
    )
    plant.add(
        F,
        None,
        LATE_EXTRA.code,
        "struct_extra_field",
        "validate:STRUCT_EXTRA_FIELD",
        "多出字段 SSH（宿舍号）：平台允许比标准结构多字段，只作提示，不是错误",
    )
    order = list(reg.index[rng.permutation(len(reg))])
    v = order[0]
    half = reg.at[v, "XH"]
    full = half.translate(_FULLWIDTH)
    reg.at[v, "XH"] = full
    desc = f"学号用全角数字录入“{full}”（应为半角 {half}）：每个全角数字占 2 字节，共 {2 * len(half)} 字节，超过学号标准宽度 15"
    plant.add(F, v, "XH", "xh_fullwidth", "validate:FIELD_FULLWIDTH", desc)
    plant.add(F, v, "XH", "xh_fullwidth", "validate:FIELD_TOO_LONG", desc)
    v = next(r for r in order[1:] if reg.at[r, "BH"].startswith("软件"))
    old = reg.at[v, "BH"]
    reg.at[v, "BH"] = "ruanjian" + old[2:]
    plant.add(
        F,
        v,
        "BH",
        "bh_lowercase",
        "validate:FIELD_LOWERCASE",
        f"班号写成小写拼音“{reg.at[v, 'BH']}”（其他同学为“{old}”）：含有字母的必须大写",
    )
