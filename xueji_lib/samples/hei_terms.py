"""A university's term-over-term roster with its own 学籍异动 list (issue 16 §9, §10): two classes of the
registered students (the same people as ``hei/10_注册上报.dbf``, so that the catalogue links them) as the
school's 在籍学生 roster of 2026秋 and of 2027春, and the 学籍异动 list of 2027春 in the higher-education kinds
(codes/xjyd_gx.csv, layout hei_changes) — ``make_hei_terms``.

    >>> terms = make_hei_terms(hei=make_hei())                                   # doctest: +SKIP
    >>> {f: len(df) for f, df in terms.files.items()}                            # doctest: +SKIP

Between the terms: one student 休学, one 退学, one 保留学籍 (应征入伍), one gone with no 异动 (unexplained), one
转专业 (计科 → 软件: a move explained by the list), one 复学 (a student of 2025 back after a year's 休学, now in a
2026 class), and one student whose 姓名 changed while in school (a change that needs evidence: info_changes.yml,
seed 004). Compared with ``xueji compare 2026秋 2027春 --key XH --changes 学籍异动_2027春.xlsx``. The records come
from ``hei``'s clean registration records; the new people from their own seeded stream (``[seed, 16, 2]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .hei import FILE_REGISTRATION_10, HeiSample
from .hei_records import _age_window, _hei_records, _registration_view
from .people import make_people
from .planted import _Planted
from .vocabulary import GIVEN_FEMALE, GIVEN_MALE, MAJORS_10, SAMPLE_SEED, YEAR

FILE_HEI_ROSTER_OLD = "hei/在籍学生_2026秋.xlsx"
FILE_HEI_ROSTER_NEW = "hei/在籍学生_2027春.xlsx"
FILE_HEI_CHANGES = "hei/学籍异动_2027春.xlsx"
#: The classes of the rosters (班号 of hei/10_注册上报.dbf).
HEI_ROSTER_CLASSES = ("计科2601", "软件2601")
#: The roster's columns (chsi_registration codes; headed with their Chinese names).
HEI_ROSTER_COLUMNS = (
    "XH", "KSH", "XM", "XB", "CSRQ", "SFZH", "MZ", "YXDM", "YXMC", "ZYDM", "ZYMC", "FY", "BH", "CC", "XZ", "XXXS",
    "RXRQ",
)  # fmt: skip
#: The change list's columns (hei_changes codes).
HEI_CHANGE_COLUMNS = ("XH", "KSH", "XM", "ZYMC", "YDLB", "YDRQ", "YDYY")
HEI_SHEET_NAMES = {FILE_HEI_ROSTER_OLD: "在籍学生", FILE_HEI_ROSTER_NEW: "在籍学生", FILE_HEI_CHANGES: "学籍异动"}


@dataclass
class HeiTerms:
    """The two rosters and the change list (frames in layout codes, index = record id), their layouts, the planted
    problems and the key column of each file in planted.csv (考生号, as for every university file)."""

    files: dict[str, pd.DataFrame]
    layouts: dict[str, str]
    planted: _Planted = field(repr=False)
    keys: dict[str, str] = field(default_factory=dict)


def make_hei_terms(seed: int = SAMPLE_SEED, *, hei: HeiSample, year: int = YEAR) -> HeiTerms:
    """The rosters of ``HEI_ROSTER_CLASSES`` (clean registration records of ``hei``) in 2026秋 and 2027春, and the
    2027春 学籍异动 list, with the term's changes planted."""
    rng = np.random.default_rng([seed, 16, 2])
    reg = hei.files[FILE_REGISTRATION_10]
    dirty = {rid for f, rid, *_ in hei.planted.items if f == FILE_REGISTRATION_10 and rid is not None}
    old = reg[reg["BH"].isin(HEI_ROSTER_CLASSES) & ~reg.index.isin(list(dirty))]
    old = old[list(HEI_ROSTER_COLUMNS)].sort_values("XH", kind="stable").copy()
    new = old.copy()
    OLD, N, C = FILE_HEI_ROSTER_OLD, FILE_HEI_ROSTER_NEW, FILE_HEI_CHANGES
    plant = _Planted()
    changes: list[dict] = []
    order = list(old.index[rng.permutation(len(old))])
    date = f"{year + 1}03"

    def change(rid, frame, kind, day, why, cid):
        r = frame.loc[rid]
        changes.append(
            {"_id": cid, "XH": r["XH"], "KSH": r["KSH"], "XM": r["XM"], "ZYMC": r["ZYMC"], "YDLB": kind,
             "YDRQ": f"{date}{day:02d}", "YDYY": why}
        )  # fmt: skip

    # students who left, three with a 异动 record, one without
    for k, (kind, why) in enumerate([("休学", "因病休学一年"), ("退学", "本人申请退学"), ("保留学籍", "应征入伍")]):
        v = order[k]
        change(v, old, kind, 1 + k, why, 700_000 + k)
        plant.add(
            OLD, v, "XH", f"hei_{'suspended' if k == 0 else 'withdrawn' if k == 1 else 'kept'}",
            f"compare:removed_explained/{kind}", f"2027春名单中没有这名学生；学籍异动名单中有“{kind}”（{why}）",
        )  # fmt: skip
    v = order[3]
    plant.add(
        OLD, v, "XH", "hei_unexplained", "compare:removed_unexplained",
        "2027春名单中没有这名学生，学籍异动名单中也没有记录：疑似流失，须核实",
    )  # fmt: skip
    new = new.drop(index=order[:4])
    # 转专业: a 计科 student now 软件工程, class 软件2601 (same 学号)
    soft = next(m for m in MAJORS_10 if m[1] == "软件工程")
    v = next(r for r in order[4:] if old.at[r, "BH"].startswith("计科"))
    new.loc[v, ["ZYDM", "ZYMC", "BH"]] = [soft[0], soft[1], HEI_ROSTER_CLASSES[1]]
    change(v, new, "转专业", 5, "由计算机科学与技术专业转入软件工程专业", 700_004)
    plant.add(
        N, v, "ZYMC", "hei_major_change", "compare:moved_explained/转专业",
        f"专业由 计算机科学与技术（{old.at[v, 'BH']}）变为 软件工程（{HEI_ROSTER_CLASSES[1]}）；异动名单中有“转专业”",
    )  # fmt: skip
    # a name change of a student in school: needs the 学生信息变更申请表 and evidence (004)
    v = next(r for r in order[5:] if r != v)
    taken = set(reg["XM"])
    given = GIVEN_MALE if new.at[v, "XB"] == "男" else GIVEN_FEMALE
    name = next(new.at[v, "XM"][0] + g for g in given if new.at[v, "XM"][0] + g not in taken | {new.at[v, "XM"]})
    plant.add(
        N, v, "XM", "hei_name_change", "compare:changed/evidence",
        f"在校生改名：2026秋为“{old.at[v, 'XM']}”，2027春为“{name}”：姓名变更须提交“学生信息变更申请表”和户口簿、"
        "公安机关证明等材料",
    )  # fmt: skip
    new.at[v, "XM"] = name
    # 复学: a student of 2025 back from a year's 休学, placed in 软件2601
    back = _returning_student(rng, year, taken | set(new["XM"]), set(reg["SFZH"]))
    back["BH"] = HEI_ROSTER_CLASSES[1]
    new = pd.concat([new, back[list(HEI_ROSTER_COLUMNS)]]).sort_values("XH", kind="stable")
    change(back.index[0], new, "复学", 6, "休学期满，复学编入2026级", 700_005)
    plant.add(
        N, back.index[0], "XH", "hei_returned", "compare:added_explained/复学",
        "2025级学生休学一年后复学，编入 2026 级软件2601班；学籍异动名单中有“复学”",
    )  # fmt: skip
    ch = pd.DataFrame(changes).set_index("_id").rename_axis(None)[list(HEI_CHANGE_COLUMNS)]
    files = {OLD: old, N: new, C: ch}
    layouts = {OLD: "chsi_registration", N: "chsi_registration", C: "hei_changes"}
    return HeiTerms(files=files, layouts=layouts, planted=plant, keys={f: "KSH" for f in files})


def _returning_student(rng: np.random.Generator, year: int, taken_names: set, taken_ids: set) -> pd.DataFrame:
    """One 2025 软件工程 entrant (record id 700,100) born 18–19 years before 2025, unlike anyone in ``taken``."""
    lo, hi = _age_window(np.array([18, 18, 18]), year - 1)
    p = make_people(3, rng=rng, birth_lo=lo, birth_hi=hi, rare_rate=0.0, unique_names=True, exclude_names=taken_names)
    p = p[~p["SFZH"].isin(taken_ids)].head(1).reset_index(drop=True)
    soft = next(i for i, m in enumerate(MAJORS_10) if m[1] == "软件工程")
    rec = _hei_records(rng, p, "10", np.array([soft]), np.array(["normal"]), year - 1)
    out = _registration_view(rec)
    out.index = pd.RangeIndex(700_100, 700_101)
    return out
