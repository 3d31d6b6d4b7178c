"""The K-12 samples: a fictional county's rosters of the 2025秋 and 2026春 terms (8 schools, ~1,500 pupils),
the spring term's change list, the 2026 graduates and the 2026秋 intake of the next stage — with every
problem the validation, the roster comparison and the graduate hand-off must find planted in them
(``make_k12``).

    >>> k12 = make_k12()                                                        # doctest: +SKIP
    >>> sorted(k12.files)[:2]                                                   # doctest: +SKIP
    ['k12/学生名单_2025秋.xlsx', 'k12/学生名单_2026春.xlsx']

``make_k12`` is a list of named steps: the classes, the pupils, the autumn roster; the validation problems
both terms share; the events between the terms (``k12_terms``); the graduates and the intake. The steps
draw from one seeded generator, one ``_Victims`` and one iterator of change dates, in the order ``make_k12``
calls them: reordering the steps changes the files (and tests/test_synth.py fails against the committed
samples).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .arrays import _choice, _days, _ymd
from .k12_roster import (
    _G_EXTRA,
    _SCHOOL_IDX,
    _STAGE_FIRST,
    COMPOUND_SURNAMES,
    FILE_CHANGES,
    FILE_GRADUATES,
    FILE_INTAKE,
    FILE_ROSTER_CSV,
    FILE_ROSTER_NEW,
    FILE_ROSTER_OLD,
    K12_FIELDS,
    TERM_YEAR,
    K12Sample,
    _apply_labels,
    _grade_window,
    _k12_make_people,
    _k12_people_frame,
    _school_columns,
)
from .k12_terms import (
    _change_dates,
    _k12_additions,
    _k12_change_list,
    _k12_double_enrolment,
    _k12_field_changes,
    _k12_moves,
    _k12_removals,
)
from .people import _fix_check, _j_number
from .planted import RowOf, _Planted, _Victims
from .vocabulary import (
    K12_COUNTY,
    K12_MIGRANT,
    K12_NEARBY,
    K12_SCHOOLS,
    SAMPLE_SEED,
    STAGE_GRADES,
    SURNAMES,
)

#: The order of every roster: school, grade, class, place.
_ORDER_COLS = ["XXBSM", "NJ", "BJ", "BNXH"]


def make_k12(seed: int = SAMPLE_SEED, class_size: tuple[int, int] = (31, 37)) -> K12Sample:
    """A county's K-12 sample: rosters for 2025秋 and 2026春 (~1,500 pupils each, 8 schools), the change
    list of the spring term, the 2026 graduates (小学六年级 and 初三) and the 2026秋 intake of the next
    stage, with every planted problem of the validation and comparison issues."""
    rng = np.random.default_rng([seed, 12])
    slots = _k12_slots(rng, class_size)
    n_roster = sum(x[4] for x in slots)
    base, kind, g_all = _k12_pupils(rng, slots)
    roster = _k12_roster(rng, base.iloc[:n_roster].copy(), slots)
    level = pd.Series(g_all[:n_roster], index=roster.index)
    kinds = pd.Series(kind[:n_roster].astype(str), index=roster.index)

    plant = _Planted()
    old = roster.copy()
    grad_grade = roster["NJ"].isin(["16", "23"])
    vic = _Victims(rng, roster.index[(kinds == "G") & ~grad_grade].to_numpy())
    # validation problems present in both terms: (rid, field, problem, expected, desc)
    both = (
        _k12_number_problems(old, vic, kinds, grad_grade)
        + _k12_identity_problems(rng, old, vic, level)
        + _k12_typing_problems(old, vic)
        + _k12_name_and_code_problems(old, vic)
    )

    # what happens between the terms
    new = old.copy()
    changes: list[tuple] = []  # (rid, school index, YDLB, YDRQ, DFXX, YDYY)
    dates = _change_dates(rng)
    new = new.drop(index=_k12_removals(plant, vic, old, changes, dates))
    moved_between = _k12_moves(plant, vic, old, new, changes, dates)
    damaged_rid, damaged_number = _k12_field_changes(rng, plant, vic, old, new)
    dup = _k12_double_enrolment(plant, vic, old, new, changes, dates, moved_between)
    extra = base.iloc[n_roster:].copy()
    extra_rows = _k12_additions(rng, plant, extra, n_roster, changes, dates)
    new = pd.concat([new, dup] + extra_rows)
    _plant_in_both_terms(plant, old, both)

    old = _apply_labels(old.sort_values(_ORDER_COLS, kind="stable"))
    new = _apply_labels(new.sort_values(_ORDER_COLS, kind="stable"))
    ch = _k12_change_list(changes, old, new, extra)
    grad, nowhere = _k12_graduates(rng, plant, new)
    intake = _k12_intake(rng, grad.drop(index=nowhere), base.iloc[n_roster + 4 :].copy())
    return _k12_sample(plant, old, new, ch, grad, intake, damaged_rid, damaged_number)


# -- classes, pupils, the autumn roster -------------------------------------------------------------------


def _k12_slots(rng: np.random.Generator, class_size: tuple[int, int]) -> list[tuple[int, str, int, int, int]]:
    """The classes of the autumn term: (school, 年级 code, level g, class number, size)."""
    slots = []  # (school, nj, level g, class number, size)
    for s, (_, _, stage, ncls, _) in enumerate(K12_SCHOOLS):
        for nj in STAGE_GRADES[stage]:
            g = int(nj[1]) + {"小学": 0, "初中": 6, "高中": 9}[stage]
            for c in range(1, ncls + 1):
                slots.append((s, nj, g, c, int(rng.integers(class_size[0], class_size[1] + 1))))
    return slots


def _k12_pupils(
    rng: np.random.Generator, slots: list[tuple[int, str, int, int, int]]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Every pupil as person-level roster columns (ids 0…: the autumn roster's pupils in class order, then the
    pupils of ``_G_EXTRA``), with each one's document kind and level."""
    n_roster = sum(x[4] for x in slots)
    slot_of = np.repeat(np.arange(len(slots)), [x[4] for x in slots])
    g_roster = np.array([slots[i][2] for i in slot_of])
    g_all = np.concatenate([g_roster, _G_EXTRA])
    n_all = len(g_all)
    lo, hi = _grade_window(g_all)
    older = rng.random(n_all) < 0.03
    lo, hi = np.where(older, lo - 365, lo), np.where(older, hi - 365, hi)
    migrant, areas = _k12_birthplaces(rng, n_all)
    people = _k12_make_people(rng, n_all, lo, hi, areas)
    kind = _k12_kinds(rng, g_all, n_roster)
    base = _k12_people_frame(rng, people, g_all, kind.astype(str), migrant)
    base.index = pd.RangeIndex(0, n_all)
    return base, kind, g_all


def _k12_birthplaces(rng: np.random.Generator, n_all: int) -> tuple[np.ndarray, np.ndarray]:
    """(migrant, county code) of each pupil: 80 % born in the county, 10 % nearby, 10 % migrants."""
    where = _choice(rng, n_all, [0.80, 0.10, 0.10])
    migrant = where == 2
    areas = np.where(
        where == 0,
        K12_COUNTY,
        np.where(
            where == 1,
            np.array(K12_NEARBY)[rng.integers(0, len(K12_NEARBY), n_all)],
            np.array(K12_MIGRANT)[rng.integers(0, len(K12_MIGRANT), n_all)],
        ),
    )
    return migrant, areas


def _k12_kinds(rng: np.random.Generator, g_all: np.ndarray, n_roster: int) -> np.ndarray:
    """Each pupil's document kind: G (ID number), L, Z (none); two 小学/初中 pupils on the roster hold a 港澳
    (HK) or 台湾 (TW) permit."""
    n_all = len(g_all)
    kind = np.array(["G", "L", "Z"])[_choice(rng, n_all, [0.95, 0.03, 0.02])].astype(object)
    kind[np.flatnonzero(g_all[:n_roster] < 10)[rng.choice(int((g_all[:n_roster] < 10).sum()), 2, replace=False)]] = (
        np.array(["HK", "TW"])
    )
    return kind


def _k12_roster(
    rng: np.random.Generator, roster: pd.DataFrame, slots: list[tuple[int, str, int, int, int]]
) -> pd.DataFrame:
    """The autumn roster: the pupils of ``roster`` (in class order) given their schools and classes."""
    for col in ("XXBSM", "XXMC", "NJ", "BJ", "BNXH", "RXNY", "RXFS", "JDFS", "XSLY"):
        roster[col] = ""
    start = 0
    for s, nj, g, c, size in slots:
        part = roster.iloc[start : start + size].copy()
        stage_first = _STAGE_FIRST[K12_SCHOOLS[s][2]]
        _school_columns(part, s, nj, c, range(1, size + 1), f"{TERM_YEAR - (g - stage_first)}09", rng)
        roster.iloc[start : start + size] = part[roster.columns]
        start += size
    roster = roster[list(K12_FIELDS)]
    return roster


# -- validation problems in both terms --------------------------------------------------------------------


def _k12_number_problems(old: pd.DataFrame, vic: _Victims, kinds: pd.Series, grad_grade: pd.Series) -> list[tuple]:
    """The 港澳台 permits that must pass; a G 学籍号 made from an earlier ID number; a J 学籍号 with a wrong
    check character."""
    both: list[tuple] = []
    for r in kinds.index[kinds.isin(["HK", "TW"])]:
        what = "香港" if kinds[r] == "HK" else "台湾"
        both.append(
            (
                r,
                "SFZJH",
                "hmt_document",
                "validate:OK",
                f"{what}学生：证件类型 {old.at[r, 'SFZJLX']} 与证件号 {old.at[r, 'SFZJH']} 相符，"
                "港澳台侨外、国籍/地区一致，学籍号为有效的 J 号，不应报错",
            )
        )
    v = vic.take()
    sf = old.at[v, "SFZJH"]
    other = _fix_check(sf[:14] + f"{(int(sf[14:17]) + 2) % 1000:03d}")
    old.at[v, "XJH"] = "G" + other
    both.append(
        (
            v,
            "XJH",
            "xjh_g_mismatch",
            "validate:XJH_G_MISMATCH",
            "G 学籍号与身份证件号不一致（学籍号按旧身份证号生成，后来证件号变更；两个号码都有效）",
        )
    )

    z_rids = kinds.index[(kinds == "Z") & ~grad_grade].tolist()
    v = z_rids[0]
    vic.exclude([v])
    xj = old.at[v, "XJH"]
    bad = xj[:18] + next(c for c in "0123456789" if c != xj[18])
    old.at[v, "XJH"] = bad
    both.append(
        (
            v,
            "XJH",
            "xjh_j_bad_check",
            "validate:XJH_J_CHECKSUM",
            f"J 学籍号校验位错误：按前 17 位应为 {xj[18]}，文件中为 {bad[18]}（学生无身份证号）",
        )
    )
    return both


def _k12_identity_problems(rng: np.random.Generator, old: pd.DataFrame, vic: _Victims, level: pd.Series) -> list[tuple]:
    """Two pupils without ID numbers in two schools with the same 姓名+性别+出生日期; a first-grader under 6; a
    passport number under 证件类型 1."""
    both: list[tuple] = []
    # two pupils without ID numbers in two schools with the same 姓名+性别+出生日期
    g_pick = 3
    cand = [r for r in vic.order if r not in vic.used and level[r] == g_pick]
    a = cand[0]
    b = next(r for r in cand[1:] if old.at[r, "XXBSM"] != old.at[a, "XXBSM"] and old.at[r, "XB"] == old.at[a, "XB"])
    vic.exclude([a, b])
    for r in (a, b):
        old.at[r, "SFZJLX"], old.at[r, "SFZJH"] = "Z", ""
    old.at[b, "XM"], old.at[b, "CSRQ"] = old.at[a, "XM"], old.at[a, "CSRQ"]
    ja = _j_number([K12_COUNTY], [int(old.at[a, "CSRQ"])], [901])[0]
    jb = _j_number([K12_COUNTY], [int(old.at[b, "CSRQ"])], [902])[0]
    old.at[a, "XJH"], old.at[b, "XJH"] = ja, jb
    for r, o in ((a, b), (b, a)):
        both.append(
            (
                r,
                "XM",
                "dup_name_sex_birth",
                "validate:DUP_NAME_SEX_BIRTH",
                _same_person_text(o),
            )
        )

    v = vic.take(lambda r: old.at[r, "NJ"] == "11")
    bday = _days(TERM_YEAR - 6, 9, 20)
    ymd = int(_ymd([bday])[0])
    sf = old.at[v, "SFZJH"]
    new_id = _fix_check(sf[:6] + str(ymd) + sf[14:17])
    old.at[v, "CSRQ"], old.at[v, "SFZJH"], old.at[v, "XJH"] = str(ymd), new_id, "G" + new_id
    both.append(
        (
            v,
            "CSRQ",
            "under_age_grade1",
            "validate:AGE_GRADE_UNDER",
            f"一年级学生出生日期 {ymd}，到 {TERM_YEAR} 年 8 月 31 日未满 6 周岁",
        )
    )

    v = vic.take()
    passport = "E" + f"{int(rng.integers(10**7, 10**8)):08d}"
    old.at[v, "SFZJH"] = passport
    old.at[v, "XJH"] = _j_number([K12_COUNTY], [int(old.at[v, "CSRQ"])], [903])[0]
    both.append(
        (
            v,
            "SFZJLX",
            "id_type_mismatch",
            "validate:SFZJLX_MISMATCH",
            f"身份证件类型为 1（居民身份证），证件号却是护照样式的 {passport}",
        )
    )

    return both


def _same_person_text(o: int) -> Callable[[RowOf, str], str]:
    """The sentence of a suspected double record, naming the row of the other record ``o`` in the file."""
    return lambda rowof, f: (
        f"无身份证件号的学生中 姓名+性别+出生日期 与第 {rowof(f, o)} 行（另一所学校）相同，疑似重复学籍"
    )


def _k12_typing_problems(old: pd.DataFrame, vic: _Victims) -> list[tuple]:
    """ID numbers typed wrong: full-width digits, spaces inside and after, a lower-case x, a wrong check digit."""
    both: list[tuple] = []
    v = vic.take()
    sf = old.at[v, "SFZJH"]
    old.at[v, "SFZJH"] = sf.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)} | {0x58: 0xFF38})
    both.append(
        (
            v,
            "SFZJH",
            "id_fullwidth",
            "validate:SFZH_FULLWIDTH",
            "身份证件号用全角数字录入（转成半角后号码正确，与 G 学籍号一致）",
        )
    )

    v = vic.take()
    sf = old.at[v, "SFZJH"]
    old.at[v, "SFZJH"] = sf[:6] + " " + sf[6:]
    both.append((v, "SFZJH", "id_inner_space", "validate:SFZH_SPACE", "身份证件号中间有空格（去掉空格后正确）"))

    v = vic.take()
    old.at[v, "SFZJH"] = old.at[v, "SFZJH"] + " "
    both.append((v, "SFZJH", "id_trailing_space", "validate:SFZH_SPACE", "身份证件号末尾多一个空格（去掉后正确）"))

    v = vic.take(lambda r: old.at[r, "SFZJH"].endswith("X"))
    old.at[v, "SFZJH"] = old.at[v, "SFZJH"][:17] + "x"
    both.append((v, "SFZJH", "id_lowercase_x", "validate:SFZH_LOWER_X", "身份证件号末位写成小写 x（学籍号中是大写 X）"))

    v = vic.take()
    sf = old.at[v, "SFZJH"]
    wrong = next(c for c in "0123456789" if c != sf[17])
    old.at[v, "SFZJH"] = sf[:17] + wrong
    both.append(
        (
            v,
            "SFZJH",
            "id_bad_check_digit",
            "validate:SFZH_CHECKSUM",
            f"身份证件号校验位错误：应为 {sf[17]}，文件中为 {wrong}",
        )
    )
    both.append(
        (v, "XJH", "id_bad_check_digit", "validate:XJH_G_MISMATCH", "G 学籍号（正确号码）与录错的身份证件号不一致")
    )
    return both


def _k12_name_and_code_problems(old: pd.DataFrame, vic: _Victims) -> list[tuple]:
    """A space and a digit in names, an empty 性别, an unknown 民族 code."""
    both: list[tuple] = []
    v = vic.take(
        lambda r: (
            len(old.at[r, "XM"]) >= 2
            and old.at[r, "XM"][0] in SURNAMES
            and old.at[r, "XM"][:2] not in COMPOUND_SURNAMES
        )
    )
    old.at[v, "XM"] = old.at[v, "XM"][0] + " " + old.at[v, "XM"][1:]
    both.append((v, "XM", "name_inner_space", "validate:XM_SPACE", f"姓名“{old.at[v, 'XM']}”中间有空格"))

    v = vic.take()
    old.at[v, "XM"] = old.at[v, "XM"] + "2"
    both.append((v, "XM", "name_digit", "validate:XM_INVALID_CHAR", f"姓名“{old.at[v, 'XM']}”含数字"))

    v = vic.take(lambda r: old.at[r, "XXBSM"] != K12_SCHOOLS[7][0])
    old.at[v, "XB"] = ""
    both.append((v, "XB", "required_empty", "validate:REQUIRED_EMPTY", "必填字段 性别 为空"))

    v = vic.take(lambda r: old.at[r, "XXBSM"] != K12_SCHOOLS[7][0])
    old.at[v, "MZ"] = "60"
    both.append((v, "MZ", "mz_invalid", "validate:CODE_INVALID", "民族代码 60 不在 GB 3304 民族代码表中"))
    return both


def _plant_in_both_terms(plant: _Planted, old: pd.DataFrame, both: list[tuple]) -> None:
    """Register each validation problem in both terms' rosters (and in the CSV copy for 小学 pupils)."""
    primary = {s[0] for s in K12_SCHOOLS if s[2] == "小学"}
    for r, fld, problem, expected, desc in both:
        for f in (
            (FILE_ROSTER_OLD, FILE_ROSTER_NEW, FILE_ROSTER_CSV)
            if old.at[r, "XXBSM"] in primary
            else (FILE_ROSTER_OLD, FILE_ROSTER_NEW)
        ):
            d = _in_file(desc, f) if callable(desc) else desc
            plant.add(f, r, fld, problem, expected, d)


def _in_file(desc: Callable[[RowOf, str], str], f: str) -> Callable[[RowOf], str]:
    """A description that names rows of the file it is planted in, bound to file ``f``."""
    return lambda rowof: desc(rowof, f)


# -- graduates, intake, the files ---------------------------------------------------------------------------


def _k12_graduates(rng: np.random.Generator, plant: _Planted, new: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """The 2026 graduates (小学六年级, 初三) and the five of them found in no school of the next stage."""
    grad = new[new["NJ"].isin(["16", "23"])].copy()
    gvic = _Victims(rng, grad.index.to_numpy())
    nowhere = [gvic.take(lambda r: grad.at[r, "NJ"] == "16") for _ in range(3)] + [
        gvic.take(lambda r: grad.at[r, "NJ"] == "23") for _ in range(2)
    ]
    for r in nowhere:
        stage = "小升初" if grad.at[r, "NJ"] == "16" else "初升高"
        plant.add(
            FILE_GRADUATES,
            r,
            "XJH",
            "graduate_not_enrolled",
            "handoff:not_enrolled",
            f"{stage}：毕业后在全县下一学段新生名单中都找不到（按学籍号、身份证件号、姓名+性别+出生日期）",
        )
    return grad, nowhere


def _k12_intake(rng: np.random.Generator, go: pd.DataFrame, outsiders: pd.DataFrame) -> pd.DataFrame:
    """The 2026秋 intake of the county's 初中 and 高中: the graduates who go on (``go``) and pupils from outside
    the county, in new classes."""
    to_school = {0: 4, 1: 4, 2: 5, 3: 5}
    target = np.array(
        [to_school[_SCHOOL_IDX[x]] if _SCHOOL_IDX[x] < 4 else 6 + int(rng.integers(0, 2)) for x in go["XXBSM"]]
    )
    out_target = np.array([4, 5, 4, 5, 6, 7, 6, 7])
    intake_parts = []
    pool = pd.concat([go, outsiders])
    pool_target = np.concatenate([target, out_target])
    for s in sorted(set(pool_target.tolist())):
        part = pool[pool_target == s].copy()
        part = part.iloc[rng.permutation(len(part))]
        ncls = 2 if len(part) > 45 else 1
        cls = np.arange(len(part)) % ncls + 1
        nj = "21" if K12_SCHOOLS[s][2] == "初中" else "31"
        for c in range(1, ncls + 1):
            sub = part[cls == c].copy()
            _school_columns(sub, s, nj, c, range(1, len(sub) + 1), f"{TERM_YEAR + 1}09", rng)
            intake_parts.append(sub[list(K12_FIELDS)])
    intake = pd.concat(intake_parts)
    intake["ZZMM"] = intake["ZZMM"].where(intake["NJ"] != "21", "13")
    intake = _apply_labels(intake.sort_values(_ORDER_COLS, kind="stable"))
    return intake


def _k12_sample(
    plant: _Planted,
    old: pd.DataFrame,
    new: pd.DataFrame,
    ch: pd.DataFrame,
    grad: pd.DataFrame,
    intake: pd.DataFrame,
    damaged_rid: int,
    damaged_number: float,
) -> K12Sample:
    """The files (with the 小学 part of the spring roster as a CSV copy), their layouts and the Excel-damaged
    cells."""
    csv_frame = new[new["XXBSM"].isin([s[0] for s in K12_SCHOOLS if s[2] == "小学"])].copy()
    files = {
        FILE_ROSTER_OLD: old,
        FILE_ROSTER_NEW: new,
        FILE_CHANGES: ch,
        FILE_GRADUATES: grad,
        FILE_INTAKE: intake,
        FILE_ROSTER_CSV: csv_frame,
    }
    layouts = {
        FILE_ROSTER_OLD: "k12_student",
        FILE_ROSTER_NEW: "k12_student",
        FILE_CHANGES: "k12_changes",
        FILE_GRADUATES: "k12_student",
        FILE_INTAKE: "k12_student",
        FILE_ROSTER_CSV: "k12_student",
    }
    numeric = {
        FILE_ROSTER_NEW: {(damaged_rid, "SFZJH"): damaged_number},
        FILE_ROSTER_CSV: {(damaged_rid, "SFZJH"): f"{damaged_number:.5E}".replace("E+", "E+")},
    }
    keys = {f: "XJH" for f in files}
    return K12Sample(files=files, layouts=layouts, planted=plant, numeric_cells=numeric, keys=keys)
