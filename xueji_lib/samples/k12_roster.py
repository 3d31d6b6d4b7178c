"""K-12 roster rows of a fictional county: the file names and the national template's fields, the
person-level columns of a pupil (identity documents, family, address, phones), the school columns of a class
(``_school_columns``), the text labels one school uses (``_apply_labels``). ``k12`` builds the county's
rosters from them; ``scale`` the benchmark rosters.

    >>> import numpy as np
    >>> lo, hi = _grade_window(np.array([1]))      # pupils of 小学一年级 in school year 2025–2026
    >>> str(np.datetime64(int(lo[0]), "D")), str(np.datetime64(int(hi[0]), "D"))
    ('2018-09-01', '2019-08-31')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import _cat, _choice, _days, _str, _take
from .people import _address, _given, _j_number, _phones, make_people
from .planted import _Planted
from .vocabulary import K12_COUNTY, K12_SCHOOLS, MZ_LABEL, MZ_P_K12, SURNAME_P, SURNAMES

FILE_ROSTER_OLD = "k12/学生名单_2025秋.xlsx"  # the K-12 rosters of two terms
FILE_ROSTER_NEW = "k12/学生名单_2026春.xlsx"
FILE_CHANGES = "k12/学籍异动_2026春.xlsx"  # 学籍异动 of the new term
FILE_GRADUATES = "k12/毕业生_2026.xlsx"
FILE_INTAKE = "k12/新生_2026秋.xlsx"
FILE_ROSTER_CSV = "k12/学生名单_2026春_gbk.csv"  # part of the new roster as a GBK CSV
K12_FIELDS = (
    "XXBSM",
    "XXMC",
    "XJH",
    "XM",
    "XB",
    "CSRQ",
    "CSDXZQ",
    "JG",
    "MZ",
    "GJ",
    "SFZJLX",
    "SFZJH",
    "GATQW",
    "ZZMM",
    "JKZK",
    "XMPY",
    "CYM",
    "SFZYXQ",
    "HKSZDXZQH",
    "HKXZ",
    "TC",
    "XJFH",
    "BNXH",
    "NJ",
    "BJ",
    "RXNY",
    "RXFS",
    "JDFS",
    "XSLY",
    "XZZ",
    "TXDZ",
    "JTDZ",
    "LXDH",
    "YZBM",
    "DZXX",
    "ZYDZ",
    "SFDSZN",
    "SFSGXQJY",
    "SFLSET",
    "SFSQZN",
    "SFGE",
    "SFLSHYFZN",
    "SBJD",
    "CJLX",
    "XX",
    "CY1XM",
    "CY1GX",
    "CY1LXDH",
    "CY1SFZJLX",
    "CY1SFZJH",
    "CY1XZZ",
    "CY1SFJHR",
    "CY2XM",
    "CY2GX",
    "CY2LXDH",
    "CY2SFZJLX",
    "CY2SFZJH",
    "CY2XZZ",
    "CY2SFJHR",
)
CHANGE_FIELDS = ("XXBSM", "XXMC", "XJH", "XM", "XB", "CSRQ", "SFZJH", "YDLB", "YDRQ", "DFXX", "YDYY")
JG_TEXT = {
    430121: "湖南长沙",
    430102: "湖南长沙",
    430104: "湖南长沙",
    430111: "湖南长沙",
    430112: "湖南长沙",
    430181: "湖南浏阳",
    430182: "湖南宁乡",
    360102: "江西南昌",
    420106: "湖北武汉",
    510107: "四川成都",
    520102: "贵州贵阳",
    450102: "广西南宁",
    440106: "广东广州",
    410105: "河南郑州",
}
K12_YZBM = "410100"
TERM_YEAR = 2025  # school year 2025–2026: terms 2025秋 and 2026春
COMPOUND_SURNAMES = [s for s in SURNAMES if len(s) > 1]
#: The levels of the pupils not on the autumn roster: 复学 (初二), 2 转入 (小学三/四年级), 1 unexplained new
#: pupil (小学二年级), 8 intake pupils from outside the county (4 into 初一, 4 into 高一).
_G_EXTRA = np.array([8, 3, 4, 2, 6, 6, 6, 6, 9, 9, 9, 9])
#: The first level (1 = 小学一年级 … 12 = 高三) of each stage.
_STAGE_FIRST = {"小学": 1, "初中": 7, "高中": 10}
#: 学校标识码 → index into K12_SCHOOLS.
_SCHOOL_IDX = {s[0]: i for i, s in enumerate(K12_SCHOOLS)}


@dataclass
class K12Sample:
    """The K-12 sample files (frames in k12 field codes, index = record id), their layouts, the planted
    problems, the cells written as numbers instead of text, and each file's key field."""

    files: dict[str, pd.DataFrame]
    layouts: dict[str, str]
    planted: _Planted = field(repr=False)
    numeric_cells: dict[str, dict] = field(default_factory=dict)  # file -> {(rid, field): number}
    keys: dict[str, str] = field(default_factory=dict)


def _sidx(r: int, frame: pd.DataFrame) -> int:
    """The school (index into K12_SCHOOLS) of record ``r`` in ``frame``."""
    return _SCHOOL_IDX[frame.at[r, "XXBSM"]]


def _grade_window(g: np.ndarray, year: int = TERM_YEAR) -> tuple[np.ndarray, np.ndarray]:
    """Birth window of pupils in school year ``year`` at level g (1 = 小学一年级 … 12 = 高三): they are at
    least 6 on 31 August of the year they start grade 1."""
    start = year - (g - 1)  # the autumn this cohort started grade 1
    return _days(start - 7, 9, 1), _days(start - 6, 8, 31)


def _k12_make_people(
    rng: np.random.Generator, n: int, lo: np.ndarray, hi: np.ndarray, areas: np.ndarray
) -> pd.DataFrame:
    """``n`` pupils born between ``lo`` and ``hi`` (day numbers) in ``areas``: the county's mix of 民族 (no
    minority regions), 1 % rare characters in names, every name unique."""
    return make_people(
        n,
        rng=rng,
        birth_lo=lo,
        birth_hi=hi,
        mz_p=MZ_P_K12,
        minority_regions=False,
        rare_rate=0.01,
        unique_names=True,
        preset={"area": areas},
    )


def _k12_people_frame(
    rng: np.random.Generator, people: pd.DataFrame, g: np.ndarray, kind: np.ndarray, migrant: np.ndarray
) -> pd.DataFrame:
    """Person-level K-12 columns (identity, family, address), school-independent."""
    n = len(people)
    xjh, sfzh, sfzjlx, gatqw, gj, home = _k12_documents(rng, people, kind)
    addr = _str(_address(rng, n)).to_numpy()
    male = people["XB"].to_numpy() == 1
    xm = people["XM"]
    father, mother = _parents(rng, xm)
    p1, p2 = _str(_phones(rng, n)).to_numpy(), _str(_phones(rng, n)).to_numpy()
    left = np.where(migrant, "0", np.array(["0", "1", "2"])[_choice(rng, n, [0.88, 0.08, 0.04])])
    zzmm = np.where((g >= 10) & (rng.random(n) < 0.4) | (g == 9) & (rng.random(n) < 0.1), "03", "13")
    out = pd.DataFrame(
        {
            "XJH": xjh,
            "XM": xm.to_numpy(),
            "XB": np.where(male, "1", "2"),
            "CSRQ": people["CSRQ"].to_numpy(),
            "CSDXZQ": home.astype(str),
            "JG": [JG_TEXT[a] for a in home],
            "MZ": people["MZDM"].to_numpy(),
            "GJ": gj,
            "SFZJLX": sfzjlx,
            "SFZJH": sfzh,
            "GATQW": gatqw,
            "ZZMM": zzmm,
            "JKZK": np.where(rng.random(n) < 0.97, "10", "20"),
            "XMPY": "",
            "CYM": "",
            "SFZYXQ": "",
            "HKSZDXZQH": home.astype(str),
            "HKXZ": np.where(rng.random(n) < 0.55, "1", "2"),
            "TC": "",
            "XJFH": "",
            "XZZ": addr,
            "TXDZ": addr,
            "JTDZ": addr,
            "LXDH": p1,
            "YZBM": K12_YZBM,
            "DZXX": "",
            "ZYDZ": "",
            "SFDSZN": np.where(rng.random(n) < 0.3, "1", "0"),
            "SFSGXQJY": np.where(rng.random(n) < 0.96, "1", "0"),
            "SFLSET": left,
            "SFSQZN": np.where(migrant, "1", "0"),
            "SFGE": "0",
            "SFLSHYFZN": "0",
            "SBJD": "",
            "CJLX": "",
            "XX": "",
            "CY1XM": _str(father).to_numpy(),
            "CY1GX": "父亲",
            "CY1LXDH": p1,
            "CY1SFZJLX": "",
            "CY1SFZJH": "",
            "CY1XZZ": "",
            "CY1SFJHR": "1",
            "CY2XM": _str(mother).to_numpy(),
            "CY2GX": "母亲",
            "CY2LXDH": p2,
            "CY2SFZJLX": "",
            "CY2SFZJH": "",
            "CY2XZZ": "",
            "CY2SFJHR": "1",
        }
    )
    return out


def _k12_documents(
    rng: np.random.Generator, people: pd.DataFrame, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(学籍号, 证件号, 证件类型, 港澳台侨外, 国籍, home county) of each pupil by ``kind``: G (学籍号 from the
    ID number), L (学籍号 from the birth date), Z (no ID number: a J 学籍号), HK / TW (a 港澳 or 台湾 permit)."""
    n = len(people)
    area = people["AREA"].to_numpy()
    ymd = people["CSRQ"].astype(np.int64).to_numpy()
    sfzh = people["SFZH"].to_numpy().astype(object)
    xjh = np.char.add("G", people["SFZH"].to_numpy().astype(str)).astype(object)
    sfzjlx = np.full(n, "1", dtype=object)
    gatqw = np.full(n, "00", dtype=object)
    gj = np.full(n, "CHN", dtype=object)
    is_l = kind == "L"
    if is_l.any():
        xjh[is_l] = [f"L{K12_COUNTY}{d}{r:04d}" for d, r in zip(ymd[is_l], rng.integers(0, 10000, is_l.sum()))]
    no_id = np.isin(kind, ["Z", "HK", "TW"])
    if no_id.any():
        seq = rng.choice(np.arange(100, 1000), int(no_id.sum()), replace=False)
        xjh[no_id] = _j_number(np.full(no_id.sum(), K12_COUNTY), ymd[no_id], seq)
        sfzh[kind == "Z"] = ""
        sfzjlx[kind == "Z"] = "Z"
        hk, tw = kind == "HK", kind == "TW"
        sfzjlx[hk], sfzjlx[tw] = "6", "8"
        sfzh[hk] = [f"H{x:08d}" for x in rng.integers(10**7, 10**8, hk.sum())]
        sfzh[tw] = [f"{x:08d}" for x in rng.integers(10**7, 10**8, tw.sum())]
        gatqw[hk], gatqw[tw] = "01", "05"
        gj[hk], gj[tw] = "HKG", "TWN"
    home = np.where(no_id, K12_COUNTY, area)
    return xjh, sfzh, sfzjlx, gatqw, gj, home


def _parents(rng: np.random.Generator, xm: pd.Series) -> tuple[pa.Array, pa.Array]:
    """The names of each pupil's father (the pupil's surname, compound ones kept whole) and mother."""
    n = len(xm)
    sur = pc.if_else(
        pc.is_in(pa.array(xm.str.slice(0, 2)), pa.array(COMPOUND_SURNAMES)),
        pa.array(xm.str.slice(0, 2)),
        pa.array(xm.str.slice(0, 1)),
    )
    father = _cat(sur, _given(rng, np.ones(n, bool)))
    mother = _cat(_take(SURNAMES, _choice(rng, n, SURNAME_P)), _given(rng, np.zeros(n, bool)))
    return father, mother


def _school_columns(
    df: pd.DataFrame, school: int, nj: str, bj: int, pos: Iterable[int], rxny: str, rng: np.random.Generator
) -> None:
    """Fill the school columns of ``df`` (one class): school, grade, class, places ``pos``, 入学年月, and
    the 入学方式 / 就读方式 / 学生来源 drawn as that stage's pupils have them."""
    code, name, stage, _, _ = K12_SCHOOLS[school]
    df["XXBSM"], df["XXMC"] = code, name
    df["NJ"], df["BJ"] = nj, f"{bj}班"
    df["BNXH"] = [f"{p:02d}" for p in pos]
    df["RXNY"] = rxny
    n = len(df)
    if stage == "高中":
        df["RXFS"], df["XSLY"] = "21", ""
        df["JDFS"] = np.where(rng.random(n) < 0.7, "2", "1")
    else:
        df["RXFS"] = np.where(rng.random(n) < 0.97, "11", "12")
        df["XSLY"] = "1"
        df["JDFS"] = np.where((stage == "初中") & (rng.random(n) < 0.2), "2", "1")


def _apply_labels(df: pd.DataFrame) -> pd.DataFrame:
    """The one school whose sheet uses text labels for 性别 and 民族 (both forms are legal)."""
    lab = df["XXBSM"] == K12_SCHOOLS[7][0]
    if lab.any():
        df.loc[lab, "XB"] = df.loc[lab, "XB"].map({"1": "男", "2": "女", "": ""})
        df.loc[lab, "MZ"] = df.loc[lab, "MZ"].map(lambda c: MZ_LABEL.get(c, c))
    return df
