"""The bureau's autumn 2026 学籍核查 collection (issue 16): the workbooks two schools of the county send to the
教育局 (seed 004's 学籍核查 / 慈利营养办 / 深圳 notices), ``k12/核查_2026秋/<学校名称>.xlsx``, in the national template
(layout k12_student). As 004 asks ("在校学生和离校学生(休学、对外交流等)需分开填写(在表格中sheet1和sheet2),离校学生需在
备注中注明是休学还是对外交流"), sheet 1 ``在校`` holds the pupils in school, sheet 2 ``离校`` (a title row, then the
template's headers and a 备注 column) those away: 休学, 对外交流, 借读.

Planted in them, each with its planted.csv rows (``make_k12_check``), most pupils clean:

- §2 substitute numbers in 身份证件号: a 香港 pupil's "11113"+学号 (004, 深圳: "港澳台身份证一律用“11113”+学号替代"), a
  "999+学校标识码+流水号" temporary number, a 澳门 pupil's 回乡证 number under 证件类型 居民身份证;
- §5 full-width digits in 班内学号, lower-case letters in 学籍辅号;
- §6 the same child entered twice (004, 慈利: "发现有200余条重复信息…身份证号收集时不准确或在输入时产生错误"): within a
  workbook — ID numbers one digit apart, two adjacent digits swapped, one copy without an ID number, the same ID
  under two names; across the two workbooks — the same child in both schools with IDs one digit apart;
- §7 pupils whose 证件类型 is 居民身份证 and whose number is blank (004: "无身份证号码问题较为突出");
- §8 a 5-digit 邮政编码, phones that cannot be dialled, an address without province and county, a record whose
  学校名称 differs from the rest, a 9-digit 学校标识码;
- §10 / §11 the 离校 sheet: 休学, 对外交流 and one 借读 pupil, read with the 在校 sheet into one list.

Rows in planted.csv are positions in the list ``read_table`` reads from the workbook — the 在校 sheet's pupils,
then the 离校 sheet's — as ``xueji validate`` and ``xj.near_duplicates`` number them; in Excel a 在校 pupil of
row *r* is on spreadsheet row *r* + 1, a 离校 pupil on row *r* − (在校 pupils) + 2 of the 离校 sheet (title row,
header row).

The records come from their own seeded generator (``np.random.default_rng([seed, 16, 12])``): the other samples
do not change when this module does.

    >>> s = make_k12_check()                                                   # doctest: +SKIP
    >>> [len(a) + len(b) for a, b in s.sheets.values()]                        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .arrays import _choice
from .k12_roster import K12_FIELDS, _grade_window, _k12_make_people, _k12_people_frame
from .people import _fix_check, _j_number
from .planted import RowOf, _Planted, _Victims
from .vocabulary import (
    GIVEN_FEMALE,
    GIVEN_MALE,
    K12_CHECK_SCHOOLS,
    K12_COUNTY,
    K12_NEARBY,
    SAMPLE_SEED,
    STAGE_GRADES,
    XLSX_DATE,
)

CHECK_YEAR = 2026  # school year 2026–2027: the autumn 2026 collection
CHECK_DIR = "k12/核查_2026秋"
FILE_CHECK_PRIMARY = f"{CHECK_DIR}/{K12_CHECK_SCHOOLS[0][1]}.xlsx"
FILE_CHECK_MIDDLE = f"{CHECK_DIR}/{K12_CHECK_SCHOOLS[1][1]}.xlsx"
CHECK_FILES = (FILE_CHECK_PRIMARY, FILE_CHECK_MIDDLE)
#: sheet 1 (在校) and sheet 2 (离校) of every workbook; the 离校 sheet's title row and its 备注 column
CHECK_SHEETS = ("在校", "离校")
CHECK_TITLE = "离校学生（休学、对外交流、借读等，在备注中注明）"
CHECK_NOTE = "备注"
#: the pupils on each workbook's 离校 sheet, by what its 备注 says
_LEAVERS = {FILE_CHECK_PRIMARY: ("休学", "借读"), FILE_CHECK_MIDDLE: ("对外交流", "休学", "对外交流")}
_STAGE_FIRST = {"小学": 1, "初中": 7}
_GRADE_ZH = {"11": "一年级", "21": "初一"}


@dataclass
class K12CheckSample:
    """The 核查 workbooks: per file its (在校, 离校) frames in k12 field codes (离校 with a 备注 column; index =
    record id, unique across both), the planted problems and each file's key field."""

    sheets: dict[str, tuple[pd.DataFrame, pd.DataFrame]]
    planted: _Planted = field(repr=False)
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def files(self) -> dict[str, pd.DataFrame]:
        """Each workbook as ``read_table`` lists it: the 在校 pupils, then the 离校 pupils."""
        return {f: pd.concat([a, b.drop(columns=CHECK_NOTE)]) for f, (a, b) in self.sheets.items()}


def make_k12_check(seed: int = SAMPLE_SEED) -> K12CheckSample:
    """The two schools' 核查 workbooks with every planted problem of issue 16's K-12 half."""
    rng = np.random.default_rng([seed, 16, 12])
    pupils, where = _check_pupils(rng)
    plant = _Planted()
    rosters = {f: pupils[where == f].copy() for f in CHECK_FILES}  # 在校
    leavers = {f: pupils[where == "离校:" + f].copy() for f in CHECK_FILES}
    p, m = FILE_CHECK_PRIMARY, FILE_CHECK_MIDDLE
    vp = _Victims(rng, rosters[p].index.to_numpy())
    vm = _Victims(rng, rosters[m].index.to_numpy())
    next_rid = [len(pupils)]

    # records added (the same child twice) first, then the roster is put in class order, then fields are edited
    _plant_near_duplicates(rng, plant, rosters, vp, vm, next_rid)
    for f in CHECK_FILES:
        r = rosters[f]
        rosters[f] = r.iloc[np.lexsort((r["BNXH"].astype(int).to_numpy(), r["NJ"].to_numpy()))]
    _plant_substitutes(rng, plant, rosters, vp, vm)
    _plant_no_id(plant, rosters, vp, vm)
    _plant_identifiers(plant, rosters, vp, vm)
    _plant_formats(plant, rosters, vp, vm)
    for f in CHECK_FILES:
        rosters[f]["BNXH"] = rosters[f]["BNXH"].map(lambda x: x if not x.isascii() else f"{int(x):02d}")
        _plant_leavers(plant, f, leavers[f])
        plant.add(
            f,
            None,
            "",
            "sheets_combined",
            "read:SHEETS_COMBINED",
            f"工作簿有两个工作表：“{CHECK_SHEETS[0]}”{len(rosters[f])} 名在校学生，“{CHECK_SHEETS[1]}”"
            f"{len(leavers[f])} 名离校学生（第 1 行为标题，表头在第 2 行，另有 备注 列）；读取时合并为一份名单，"
            "并说明每条记录来自哪个工作表",
        )
    sheets = {f: (rosters[f][list(K12_FIELDS)], leavers[f][[*K12_FIELDS, CHECK_NOTE]]) for f in CHECK_FILES}
    return K12CheckSample(sheets=sheets, planted=plant, keys={f: "XJH" for f in CHECK_FILES})


# -- the pupils -----------------------------------------------------------------------------------------------


def _check_pupils(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Every pupil of both schools in k12 field codes (clean), and where each one is listed: a file (在校) or
    "离校:" + file."""
    rows = []  # (file or 离校:file, school index, nj, level g, place in class, 备注)
    for s, (f, (_, _, stage, size)) in enumerate(zip(CHECK_FILES, K12_CHECK_SCHOOLS, strict=True)):
        grades = STAGE_GRADES[stage]
        for k, nj in enumerate(grades):
            n = size + int(rng.integers(-2, 3))
            rows += [(f, s, nj, _STAGE_FIRST[stage] + k, i + 1, "") for i in range(n)]
        for note in _LEAVERS[f]:
            k = int(rng.integers(0, len(grades)))
            rows.append(("离校:" + f, s, grades[k], _STAGE_FIRST[stage] + k, 0, note))
    n_all = len(rows)
    g = np.array([r[3] for r in rows])
    lo, hi = _grade_window(g, CHECK_YEAR)
    nearby = _choice(rng, n_all, [0.85, 0.15]) == 1
    areas = np.where(nearby, np.array(K12_NEARBY)[rng.integers(0, len(K12_NEARBY), n_all)], K12_COUNTY)
    people = _k12_make_people(rng, n_all, lo, hi, areas)
    base = _k12_people_frame(rng, people, g, np.full(n_all, "G"), np.zeros(n_all, bool))
    base.index = pd.RangeIndex(0, n_all)
    school = [K12_CHECK_SCHOOLS[r[1]] for r in rows]
    base["XXBSM"] = [s[0] for s in school]
    base["XXMC"] = [s[1] for s in school]
    base["NJ"] = [r[2] for r in rows]
    base["BJ"] = "1班"
    base["BNXH"] = [str(r[4]) for r in rows]
    base["RXNY"] = [f"{CHECK_YEAR - (r[3] - _STAGE_FIRST[s[2]])}09" for r, s in zip(rows, school, strict=True)]
    base["RXFS"] = np.where(rng.random(n_all) < 0.97, "11", "12")
    base["JDFS"] = np.where((np.array([s[2] for s in school]) == "初中") & (rng.random(n_all) < 0.2), "2", "1")
    base["XSLY"] = "1"
    base[CHECK_NOTE] = [r[5] for r in rows]
    # the pupils of the 离校 sheet have no place in a class
    away = np.array([r[0].startswith("离校:") for r in rows])
    base.loc[away, "BNXH"] = ""
    return base[[*K12_FIELDS, CHECK_NOTE]], np.array([r[0] for r in rows], dtype=object)


def _id_ok(v: str) -> bool:
    """``v`` is 17 digits and their GB 11643 check character."""
    return bool(v[:17].isdigit()) and _fix_check(v[:17]) == v


def _copy_of(roster: pd.DataFrame, r: int, rid: int, place: int | None = None) -> pd.DataFrame:
    """Record ``r`` entered again as record ``rid``, at the end of its class (or at ``place``)."""
    c = roster.loc[[r]].copy()
    c.index = [rid]
    if place is None:
        same = roster["NJ"] == roster.at[r, "NJ"]
        place = int(roster.loc[same, "BNXH"].astype(int).max()) + 1
    c["BNXH"] = str(place)
    return c


def _digit_off(v: str, pos: int) -> str:
    """``v`` with the digit at index ``pos`` one higher (mod 10): the check digit no longer fits."""
    return v[:pos] + str((int(v[pos]) + 1) % 10) + v[pos + 1 :]


# -- §6 the same child entered twice ---------------------------------------------------------------------------


def _plant_near_duplicates(
    rng: np.random.Generator,
    plant: _Planted,
    rosters: dict[str, pd.DataFrame],
    vp: _Victims,
    vm: _Victims,
    next_rid: list[int],
) -> None:
    """One pair of each kind within a workbook, one pair across the two; the copies are new records."""
    p, m = FILE_CHECK_PRIMARY, FILE_CHECK_MIDDLE

    def new_rid() -> int:
        next_rid[0] += 1
        return next_rid[0] - 1

    def pair(f_a, a, f_b, b, code, kind, why, extra_a=(), extra_b=()):
        for f, r, of, o, extra in ((f_a, a, f_b, b, extra_a), (f_b, b, f_a, a, extra_b)):
            text = _pair_text(why, f, r, of, o)
            plant.add(f, r, "SFZJH", code, f"dupes:{kind}", text)
            for rule in extra:
                plant.add(f, r, "SFZJH" if rule != "XJH_G_MISMATCH" else "XJH", code, f"validate:{rule}", text)

    # 实验中学: one digit mistyped in the copy (the original's check digit is right), two adjacent digits swapped
    roster = rosters[m]
    o = vm.take()
    c = _copy_of(roster, o, new_rid())
    pos = 14 + int(rng.integers(0, 2))
    c["SFZJH"], c["XJH"] = _digit_off(roster.at[o, "SFZJH"], pos), ""
    rosters[m] = roster = pd.concat([roster, c])
    pair(
        m,
        o,
        m,
        c.index[0],
        "near_dup_one_digit",
        "one_digit",
        f"身份证号仅第 {pos + 1} 位不同（重新录入时输错一位，号码校验位错误的一条是录错的）",
        extra_b=("SFZH_CHECKSUM",),
    )
    o = vm.take(lambda r: roster.at[r, "SFZJH"][14] != roster.at[r, "SFZJH"][15])
    v = roster.at[o, "SFZJH"]
    c = _copy_of(roster, o, new_rid())
    c["SFZJH"], c["XJH"] = v[:14] + v[15] + v[14] + v[16:], ""
    rosters[m] = roster = pd.concat([roster, c])
    pair(
        m,
        o,
        m,
        c.index[0],
        "near_dup_swap",
        "swap",
        "身份证号第 15、16 位前后颠倒（重新录入时输反，校验位错误的一条是录错的）",
        extra_b=("SFZH_CHECKSUM",),
    )

    # 第三小学: a copy without an ID number (证件类型 其他), the same ID number under another name
    roster = rosters[p]
    o = vp.take()
    c = _copy_of(roster, o, new_rid())
    c["SFZJLX"], c["SFZJH"], c["XJH"] = "Z", "", ""
    rosters[p] = roster = pd.concat([roster, c])
    pair(
        p,
        o,
        p,
        c.index[0],
        "near_dup_one_missing",
        "one_missing",
        "姓名、性别、出生日期相同，重新录入的一条没有身份证号（证件类型填了“其他”）",
    )
    o = vp.take(lambda r: len(roster.at[r, "XM"]) >= 2)
    c = _copy_of(roster, o, new_rid())
    pool = GIVEN_MALE if roster.at[o, "XB"] == "1" else GIVEN_FEMALE
    old_last = roster.at[o, "XM"][-1]
    c["XM"] = roster.at[o, "XM"][:-1] + pool[(pool.index(old_last) + 1) % len(pool) if old_last in pool else 0]
    c["XJH"] = ""
    rosters[p] = roster = pd.concat([roster, c])
    pair(
        p,
        o,
        p,
        c.index[0],
        "near_dup_same_id",
        "same_id_other_name",
        "身份证号相同、姓名末字不同（重新录入时姓名写错）",
        extra_a=("SFZH_DUPLICATE",),
        extra_b=("SFZH_DUPLICATE",),
    )

    # across the workbooks: an 初一 pupil of 实验中学 still on 第三小学's 六年级 list, the ID number mistyped there
    o = vm.take(lambda r: rosters[m].at[r, "NJ"] == "21")
    c = _copy_of(rosters[m], o, new_rid(), place=0)
    c["XXBSM"], c["XXMC"] = K12_CHECK_SCHOOLS[0][0], K12_CHECK_SCHOOLS[0][1]
    c["NJ"], c["RXNY"] = "16", f"{CHECK_YEAR - 5}09"
    c["BNXH"] = str(int(roster.loc[roster["NJ"] == "16", "BNXH"].astype(int).max()) + 1)
    pos = 14 + int(rng.integers(0, 2))
    c["SFZJH"] = _digit_off(rosters[m].at[o, "SFZJH"], pos)  # 学籍号 stays the right G number
    rosters[p] = pd.concat([roster, c])
    pair(
        m,
        o,
        p,
        c.index[0],
        "near_dup_across_schools",
        "one_digit",
        f"同一学生在两所学校的名单中，身份证号仅第 {pos + 1} 位不同（第三小学录错，学籍号仍是正确的 G 号码）",
        extra_b=("SFZH_CHECKSUM", "XJH_G_MISMATCH"),
    )


def _pair_text(why: str, f: str, r: int, of: str, o: int) -> Callable[[RowOf], str]:
    """The sentence of one record of a planted pair, naming the other record's file and row."""

    def text(rowof: RowOf) -> str:
        other = f"第 {rowof(of, o)} 行" if of == f else f"{of.split('/')[-1]} 第 {rowof(of, o)} 行"
        return f"疑似同一学生：与{other}{why}"

    return text


# -- §2 substitute numbers, §7 no ID number --------------------------------------------------------------------


def _plant_substitutes(
    rng: np.random.Generator, plant: _Planted, rosters: dict[str, pd.DataFrame], vp: _Victims, vm: _Victims
) -> None:
    """A 香港 pupil's 11113+学号, a 999+学校标识码+流水号 temporary number, a 澳门 pupil's 回乡证 number."""
    p, m = FILE_CHECK_PRIMARY, FILE_CHECK_MIDDLE
    df = rosters[p]
    r = vp.take(lambda x: df.at[x, "NJ"] in ("13", "14", "15"))
    xh = df.at[r, "RXNY"][2:4] + "11" + f"{int(df.at[r, 'BNXH']):02d}" + f"{int(rng.integers(10, 100))}"
    df.loc[r, ["SFZJLX", "SFZJH", "XJFH", "GATQW", "GJ", "JG", "CSDXZQ", "HKSZDXZQH"]] = [
        "1",
        "11113" + xh,
        xh,
        "01",
        "HKG",
        "香港",
        "810000",
        "810000",
    ]
    df.at[r, "XJH"] = _j_number([K12_COUNTY], [int(df.at[r, "CSRQ"])], [951])[0]
    plant.add(
        p,
        r,
        "SFZJH",
        "hmt_11113",
        "validate:SFZH_SUBSTITUTE",
        f"香港学生（港澳台侨外 01 香港同胞，籍贯 香港，证件类型 1）的身份证件号按深圳通知填“11113”+学号（学号 {xh}，"
        "见学籍辅号）：应提示为港澳台学生的替代号码，不是错误的身份证号",
    )

    r = vp.take(lambda x: df.at[x, "NJ"] == "11")
    # the first 流水号 whose 18 digits are not by chance a valid 身份证号 (GB 11643 check character)
    temp = next(t for k in range(1, 100) if not _id_ok(t := "999" + df.at[r, "XXBSM"] + f"{k:05d}"))
    df.at[r, "SFZJH"] = temp
    df.at[r, "XJH"] = f"L{K12_COUNTY}{df.at[r, 'CSRQ']}0001"
    plant.add(
        p,
        r,
        "SFZJH",
        "temp_999",
        "validate:SFZH_SUBSTITUTE",
        "一年级新生尚未取得身份证号，证件类型为 1 居民身份证，学校按模板填了临时号码“999+学校标识码+流水号”："
        "应提示为临时号码，不是错误的身份证号",
    )

    df = rosters[m]
    r = vm.take()
    permit = "M" + f"{int(rng.integers(10**7, 10**8)):08d}"
    df.loc[r, ["SFZJH", "GATQW", "GJ", "JG", "CSDXZQ", "HKSZDXZQH"]] = [permit, "03", "MAC", "澳门", "820000", "820000"]
    df.at[r, "XJH"] = _j_number([K12_COUNTY], [int(df.at[r, "CSRQ"])], [952])[0]
    text = "澳门学生（港澳台侨外 03 澳门同胞）的身份证件号是回乡证号码，证件类型却仍是 1 居民身份证：号码应提示为回乡证号码，证件类型报错"
    plant.add(m, r, "SFZJH", "hmt_permit_as_id", "validate:SFZH_SUBSTITUTE", text)
    plant.add(m, r, "SFZJLX", "hmt_permit_as_id", "validate:SFZJLX_MISMATCH", text)


def _plant_no_id(plant: _Planted, rosters: dict[str, pd.DataFrame], vp: _Victims, vm: _Victims) -> None:
    """Three 一年级 pupils of 第三小学 and one 初一 pupil of 实验中学: 证件类型 居民身份证, number blank (J 学籍号)."""
    for f, vic, nj, k, seq in ((FILE_CHECK_PRIMARY, vp, "11", 3, 961), (FILE_CHECK_MIDDLE, vm, "21", 1, 971)):
        df = rosters[f]
        for i in range(k):
            r = vic.take(lambda x, df=df, nj=nj: df.at[x, "NJ"] == nj)
            df.at[r, "SFZJH"] = ""
            df.at[r, "XJH"] = _j_number([K12_COUNTY], [int(df.at[r, "CSRQ"])], [seq + i])[0]
            plant.add(
                f,
                r,
                "SFZJH",
                "no_id_number",
                "validate:SFZH_MISSING",
                f"证件类型为 1 居民身份证，身份证件号却是空的（{_GRADE_ZH[nj]}{df.at[r, 'BJ']}，"
                "学籍号为 J 号）：列入无身份证号学生名单",
            )


# -- §5 identifiers, §8 formats --------------------------------------------------------------------------------


def _plant_identifiers(plant: _Planted, rosters: dict[str, pd.DataFrame], vp: _Victims, vm: _Victims) -> None:
    """Full-width digits in 班内学号 (第三小学), lower-case letters in 学籍辅号 (实验中学)."""
    df = rosters[FILE_CHECK_PRIMARY]
    r = vp.take()
    full = f"{int(df.at[r, 'BNXH']):02d}".translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    df.at[r, "BNXH"] = full
    plant.add(
        FILE_CHECK_PRIMARY,
        r,
        "BNXH",
        "ident_fullwidth",
        "validate:FIELD_FULLWIDTH",
        f"班内学号“{full}”用全角数字录入（004：字母、数字禁止用全角输入）",
    )
    df = rosters[FILE_CHECK_MIDDLE]
    r = vm.take()
    fh = "hn" + df.at[r, "RXNY"] + f"{int(df.at[r, 'BNXH']):03d}"
    df.at[r, "XJFH"] = fh
    plant.add(
        FILE_CHECK_MIDDLE,
        r,
        "XJFH",
        "ident_lowercase",
        "validate:FIELD_LOWERCASE",
        f"学籍辅号“{fh}”含小写字母（004：含有字母的必须大写）",
    )


def _plant_formats(plant: _Planted, rosters: dict[str, pd.DataFrame], vp: _Victims, vm: _Victims) -> None:
    """A 5-digit 邮政编码, an address without province/county, another 学校名称, a 9-digit 学校标识码 (第三小学); a
    10-digit mobile and a landline without area code (实验中学)."""
    p, m = FILE_CHECK_PRIMARY, FILE_CHECK_MIDDLE
    df = rosters[p]
    r = vp.take()
    df.at[r, "YZBM"] = df.at[r, "YZBM"][:5]
    plant.add(p, r, "YZBM", "postcode_short", "validate:FIELD_FORMAT", f"邮政编码“{df.at[r, 'YZBM']}”只有 5 位")
    r = vp.take(lambda x: "组" in df.at[x, "JTDZ"])
    short = df.at[r, "JTDZ"].split("示范县", 1)[1]
    df.loc[r, ["XZZ", "TXDZ", "JTDZ"]] = short
    plant.add(
        p,
        r,
        "JTDZ",
        "address_no_province",
        "validate:FIELD_FORMAT",
        f"家庭地址“{short}”没有写省、市、县（004：××省××市××区(县)××乡镇(街道)××村(社区)）",
    )
    r = vp.take()
    df.at[r, "XXMC"] = "示范县三小"
    plant.add(
        p,
        r,
        "XXMC",
        "school_name_mismatch",
        "validate:CODE_NAME_MISMATCH",
        "学校名称写成简称“示范县三小”，与同一学校标识码的其他记录不一致",
    )
    r = vp.take()
    df.at[r, "XXBSM"] = df.at[r, "XXBSM"][:9]
    text = f"学校标识码“{df.at[r, 'XXBSM']}”少了一位（应为 10 位），与同一学校名称的其他记录不一致"
    plant.add(p, r, "XXBSM", "school_id_length", "validate:FIELD_FORMAT", text)
    plant.add(p, r, "XXBSM", "school_id_length", "validate:CODE_NAME_MISMATCH", text)

    df = rosters[m]
    r = vm.take()
    df.at[r, "LXDH"] = df.at[r, "LXDH"][:10]
    plant.add(
        m, r, "LXDH", "phone_mobile_10", "validate:FIELD_FORMAT", "联系电话是 10 位的手机号码（少了一位），无法拨通"
    )
    r = vm.take()
    df.at[r, "LXDH"] = "8" + df.at[r, "LXDH"][4:11]  # a local number (8…), no area code
    plant.add(m, r, "LXDH", "phone_no_area_code", "validate:FIELD_FORMAT", "联系电话是 8 位的固定电话，没有区号")


# -- §10 the 离校 sheet ----------------------------------------------------------------------------------------


def _plant_leavers(plant: _Planted, f: str, away: pd.DataFrame) -> None:
    """Each pupil of the 离校 sheet: clean, checked like the pupils in school."""
    for r in away.index:
        note = away.at[r, CHECK_NOTE]
        plant.add(
            f,
            r,
            CHECK_NOTE,
            "left_school",
            "validate:OK",
            f"离校工作表中的学生（备注：{note}）：与在校学生一起读入、一起校验，不应报任何问题",
        )


# -- writing -----------------------------------------------------------------------------------------------------


def write_k12_check(tmp: Path, sample: K12CheckSample) -> list[tuple[str, str, int, str]]:
    """The 核查 workbooks under ``tmp``; their README inventory rows (file, layout, records, encoding)."""
    inventory = []
    for f, (inside, away) in sample.sheets.items():
        _write_two_sheets(tmp / f, inside, away)
        inventory.append((f, "k12_student", len(inside) + len(away), "xlsx"))
    return inventory


def _write_two_sheets(path: Path, inside: pd.DataFrame, away: pd.DataFrame) -> None:
    import xlsxwriter

    from ..core.files import atomic_path
    from ..schema.layouts import load_layout

    lay = load_layout("k12_student")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        wb.set_properties(
            {"title": path.stem, "author": "xueji 合成样例", "created": XLSX_DATE, "comments": "合成数据：人物均为虚构"}
        )
        text = wb.add_format({"num_format": "@"})
        head = wb.add_format({"bold": True, "num_format": "@", "bg_color": "#DDEBF7", "border": 1})
        for name, frame, title in ((CHECK_SHEETS[0], inside, None), (CHECK_SHEETS[1], away, CHECK_TITLE)):
            ws = wb.add_worksheet(name)
            cols = list(frame.columns)
            headers = [c if c == CHECK_NOTE else lay.field(c).name for c in cols]
            top = 0
            if title:
                ws.write_string(0, 0, title, wb.add_format({"bold": True}))
                top = 1
            for j, h in enumerate(headers):
                ws.set_column(j, j, max(8, min(30, 2 * len(h) + 2)), text)
                ws.write_string(top, j, h, head)
            for i, row in enumerate(frame.to_numpy(dtype=object), start=top + 1):
                for j, v in enumerate(row):
                    if v is not None and v == v and v != "":
                        ws.write_string(i, j, str(v), text)
            ws.freeze_panes(top + 1, 0)
        wb.close()
