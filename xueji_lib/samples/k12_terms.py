"""What happens to a county's pupils between the autumn and the spring term, with the problems the roster
comparison must find: pupils who leave (with and without a change record), move class or school, whose
details change or whose ID number Excel damages, who are enrolled twice, who arrive — and the spring term's
change list (学籍异动) built from those events.

Every step takes its victims from ``make_k12``'s ``_Victims`` and the next change dates from one iterator,
in the order ``make_k12`` calls them: reordering the steps changes the files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from .arrays import _days, _str, _ymd
from .k12_roster import (
    _G_EXTRA,
    _STAGE_FIRST,
    CHANGE_FIELDS,
    FILE_ROSTER_CSV,
    FILE_ROSTER_NEW,
    FILE_ROSTER_OLD,
    K12_FIELDS,
    TERM_YEAR,
    _school_columns,
    _sidx,
)
from .people import _address, _phones
from .planted import RowOf, _Planted, _Victims
from .vocabulary import K12_SCHOOLS, STAGE_GRADES

#: Where pupils who leave the county go (转出) and where those who arrive come from (转入), by stage.
_OUTSIDE = {"小学": "湖北省武汉市武昌区某小学", "初中": "广东省广州市天河区某中学", "高中": "江西省南昌市某中学"}


def _change_dates(rng: np.random.Generator) -> Iterator[int]:
    """20 distinct dates (YYYYMMDD) between 1 December and 5 March, in order: each change record takes the next."""
    return iter(
        sorted(
            int(x)
            for x in _ymd(rng.choice(np.arange(_days(TERM_YEAR, 12, 1), _days(TERM_YEAR + 1, 3, 6)), 20, replace=False))
        )
    )


def _k12_removals(
    plant: _Planted, vic: _Victims, old: pd.DataFrame, changes: list[tuple], dates: Iterator[int]
) -> list[int]:
    """Pupils of the autumn roster missing in spring: five with no change record (dropouts), five explained
    by one (转出 out of the county, 退学, 死亡, 休学). Returns them; their records go into ``changes``."""
    removed_unexpl = [vic.take() for _ in range(5)]
    for r in removed_unexpl:
        plant.add(
            FILE_ROSTER_OLD,
            r,
            "XJH",
            "dropout_unexplained",
            "compare:removed_unexplained",
            "2026春 名单中没有这名学生，也没有任何异动记录（疑似流失，控辍保学名单）",
        )
    explained = [
        ("转出", "小学", "随父母工作调动"),
        ("转出", "初中", "随父母外出务工"),
        ("退学", "高中", "本人及家长申请退学"),
        ("死亡", None, "因病死亡"),
        ("休学", None, "因病休学一年"),
    ]
    removed_expl = []
    for what, stage, why in explained:
        v = vic.take(lambda r, stage=stage: stage is None or K12_SCHOOLS[_sidx(r, old)][2] == stage)
        removed_expl.append(v)
        changes.append((v, _sidx(v, old), what, next(dates), _OUTSIDE[stage] if what == "转出" else "", why))
        plant.add(
            FILE_ROSTER_OLD,
            v,
            "XJH",
            "removed_explained",
            f"compare:removed_explained/{what}",
            f"2026春 名单中没有这名学生，异动名单有“{what}”记录（{why}）",
        )
    return removed_unexpl + removed_expl


def _k12_moves(
    plant: _Planted,
    vic: _Victims,
    old: pd.DataFrame,
    new: pd.DataFrame,
    changes: list[tuple],
    dates: Iterator[int],
) -> tuple[int, int]:
    """A class change inside a 初中 (no change record) and a school change inside the county (转出 and 转入
    records), edited into ``new``. Returns the two schools of the school change."""
    # class change within a 初中 (two classes per grade)
    v = vic.take(lambda r: K12_SCHOOLS[_sidx(r, old)][3] == 2 and old.at[r, "BJ"] == "1班")
    new.at[v, "BJ"] = "2班"
    plant.add(
        FILE_ROSTER_NEW,
        v,
        "BJ",
        "class_change",
        "compare:moved",
        "同校调班：1班 → 2班（调班不是学籍异动，没有异动记录）",
    )
    # school change inside the county, with both change records
    v = vic.take(lambda r: K12_SCHOOLS[_sidx(r, old)][2] == "小学")
    s_old = _sidx(v, old)
    s_new = next(i for i, s in enumerate(K12_SCHOOLS) if s[2] == "小学" and i != s_old)
    new.at[v, "XXBSM"], new.at[v, "XXMC"] = K12_SCHOOLS[s_new][0], K12_SCHOOLS[s_new][1]
    new.at[v, "BJ"] = "1班"
    d = next(dates)
    changes.append((v, s_old, "转出", d, K12_SCHOOLS[s_new][1], "家庭搬迁"))
    changes.append((v, s_new, "转入", d, K12_SCHOOLS[s_old][1], "家庭搬迁"))
    plant.add(
        FILE_ROSTER_NEW,
        v,
        "XXBSM",
        "school_change",
        "compare:moved",
        f"县内转学：{K12_SCHOOLS[s_old][1]} → {K12_SCHOOLS[s_new][1]}，异动名单有转出和转入两条记录",
    )
    return s_old, s_new


def _k12_field_changes(
    rng: np.random.Generator, plant: _Planted, vic: _Victims, old: pd.DataFrame, new: pd.DataFrame
) -> tuple[int, float]:
    """Changed 家庭地址 and 联系电话, and an ID number Excel damaged in spring (in the CSV copy too), edited
    into ``new``. Returns the damaged record and the number its cell holds."""
    # changed fields
    v = vic.take()
    new.at[v, "JTDZ"] = _str(_address(rng, 1)).iloc[0]
    plant.add(
        FILE_ROSTER_NEW,
        v,
        "JTDZ",
        "field_changed",
        "compare:changed",
        f"家庭地址变化：“{old.at[v, 'JTDZ']}” → “{new.at[v, 'JTDZ']}”",
    )
    v = vic.take()
    new.at[v, "LXDH"] = _str(_phones(rng, 1)).iloc[0]
    plant.add(FILE_ROSTER_NEW, v, "LXDH", "field_changed", "compare:changed", "联系电话变化")
    # Excel-damaged ID number (stored as a number cell: 15 significant digits kept, the rest zeros)
    v = vic.take(lambda r: not old.at[r, "SFZJH"].endswith("X") and K12_SCHOOLS[_sidx(r, old)][2] == "小学")
    sf = old.at[v, "SFZJH"]
    damaged_number = float(int(sf[:15]) * 1000)
    new.at[v, "SFZJH"] = sf[:15] + "000"
    plant.add(
        FILE_ROSTER_NEW,
        v,
        "SFZJH",
        "excel_damaged_id",
        "read:EXCEL_NUMBER_DAMAGED",
        f"身份证件号被 Excel 存成数值 {damaged_number:.14E}（只保留 15 位有效数字，后 3 位变成 000），"
        "原号码已无法从文件恢复",
    )
    plant.add(
        FILE_ROSTER_NEW,
        v,
        "SFZJH",
        "excel_damaged_id",
        "compare:changed",
        "身份证件号与 2025秋 不同（被 Excel 损坏）；按学籍号仍能对上同一学生",
    )
    damaged_rid = v
    plant.add(
        FILE_ROSTER_CSV,
        v,
        "SFZJH",
        "excel_damaged_id",
        "read:EXCEL_NUMBER_DAMAGED",
        f"身份证件号被 Excel 另存为 CSV 时写成科学计数法“{damaged_number:.5E}”，原号码已丢失",
    )
    return damaged_rid, damaged_number


def _k12_double_enrolment(
    plant: _Planted,
    vic: _Victims,
    old: pd.DataFrame,
    new: pd.DataFrame,
    changes: list[tuple],
    dates: Iterator[int],
    moved_between: tuple[int, int],
) -> pd.DataFrame:
    """重复学籍: a pupil also entered by a second 小学 (a 转入 record there, no 转出 at the first; neither school
    is one of ``moved_between``). Returns the second record (id 800,000)."""
    s_old, s_new = moved_between
    v = vic.take(lambda r: K12_SCHOOLS[_sidx(r, old)][2] == "小学")
    s_a = _sidx(v, old)
    s_b = next(i for i, s in enumerate(K12_SCHOOLS) if s[2] == "小学" and i not in (s_old, s_new, s_a))
    dup = new.loc[[v]].copy()
    dup_rid = 800_000
    dup.index = [dup_rid]
    dup.at[dup_rid, "XXBSM"], dup.at[dup_rid, "XXMC"], dup.at[dup_rid, "BJ"] = (
        K12_SCHOOLS[s_b][0],
        K12_SCHOOLS[s_b][1],
        "1班",
    )
    dup.at[dup_rid, "BNXH"] = "40"
    changes.append((dup_rid, s_b, "转入", next(dates), K12_SCHOOLS[s_a][1], "随父母迁入"))
    for r, o in ((v, dup_rid), (dup_rid, v)):
        txt = _double_enrolment_text(o, s_a, s_b)
        for f in (FILE_ROSTER_NEW, FILE_ROSTER_CSV):
            plant.add(f, r, "SFZJH", "duplicate_enrolment", "validate:SFZH_DUPLICATE", txt)
        plant.add(FILE_ROSTER_NEW, r, "XJH", "duplicate_enrolment", "compare:duplicate_key", txt)
    return dup


def _double_enrolment_text(o: int, s_a: int, s_b: int) -> Callable[[RowOf], str]:
    """The sentence of a doubly enrolled pupil's record, naming the row of the other record ``o``."""
    return lambda rowof: (
        f"同一学生同时在两所学校有学籍（另一条在第 {rowof(FILE_ROSTER_NEW, o)} 行）："
        f"{K12_SCHOOLS[s_b][1]} 登记了转入，{K12_SCHOOLS[s_a][1]} 没有转出"
    )


def _k12_additions(
    rng: np.random.Generator,
    plant: _Planted,
    extra: pd.DataFrame,
    n_roster: int,
    changes: list[tuple],
    dates: Iterator[int],
) -> list[pd.DataFrame]:
    """Pupils new in spring, from ``extra`` (ids from ``n_roster``): 复学, two 转入 from outside the county, one
    pupil added without any record. Returns their roster rows."""
    extra_rows = []
    for k, (what, s, why) in enumerate(
        [("复学", 4, "休学期满复学"), ("转入", 0, "随父母迁入"), ("转入", 1, "随父母迁入"), (None, 2, "")]
    ):
        rid = n_roster + k
        g = int(_G_EXTRA[k])
        row = extra.loc[[rid]].copy()
        stage = K12_SCHOOLS[s][2]
        stage_first = _STAGE_FIRST[stage]
        nj = STAGE_GRADES[stage][g - stage_first]
        _school_columns(row, s, nj, 1, [41], f"{TERM_YEAR - (g - stage_first)}09", rng)
        if what == "转入":
            row["RXNY"] = f"{TERM_YEAR + 1}02"
        extra_rows.append(row[list(K12_FIELDS)])
        if what:
            changes.append((rid, s, what, next(dates), _OUTSIDE[stage] if what == "转入" else "", why))
            plant.add(
                FILE_ROSTER_NEW,
                rid,
                "XJH",
                "added_explained",
                f"compare:added_explained/{what}",
                f"2025秋 名单中没有，2026春 新出现；异动名单有“{what}”记录（{why}）",
            )
        else:
            plant.add(
                FILE_ROSTER_NEW,
                rid,
                "XJH",
                "added_unexplained",
                "compare:added_unexplained",
                "2025秋 名单中没有，2026春 新出现，却没有任何异动记录",
            )
    return extra_rows


def _k12_change_list(changes: list[tuple], old: pd.DataFrame, new: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """The spring term's change list (ids from 500,000), by date, school and record: each record's pupil as
    the newest roster holding them shows them."""
    ch_rows = []
    for rid, s, what, d, dfxx, why in sorted(changes, key=lambda c: (c[3], c[1], str(c[0]))):
        src = new.loc[rid] if rid in new.index else old.loc[rid] if rid in old.index else extra.loc[rid]
        ch_rows.append(
            {
                "XXBSM": K12_SCHOOLS[s][0],
                "XXMC": K12_SCHOOLS[s][1],
                "XJH": src["XJH"],
                "XM": src["XM"],
                "XB": src["XB"],
                "CSRQ": src["CSRQ"],
                "SFZJH": src["SFZJH"],
                "YDLB": what,
                "YDRQ": str(d),
                "DFXX": dfxx,
                "YDYY": why,
            }
        )
    ch = pd.DataFrame(ch_rows, columns=list(CHANGE_FIELDS))
    ch.index = pd.RangeIndex(500_000, 500_000 + len(ch))
    return ch
