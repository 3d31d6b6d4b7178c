"""Deterministic synthetic 学籍 data: the committed samples in ``data_samples/`` and million-row files for
benchmarks.

Every person here is invented. Area codes are real GB/T 2260 county codes and ID numbers carry valid
GB 11643 check digits (so that clean records pass every check), but the names, dates, sequence numbers,
addresses and phone numbers are drawn at random from a seeded ``numpy`` generator: the same seed gives
byte-identical files, on any machine with the pinned stack. People are generated as arrays, never with a
Python loop per person, so the same code makes 2,000 students or 10,000,000.

    >>> from xueji_lib import synth
    >>> adm, reg = synth.make_registration_pair(1000, seed=1)      # ~3 % planted differences
    >>> len(adm), sorted(reg.attrs["planted"])[:2]                  # doctest: +SKIP
    (1000, ['duplicate_key', 'ksh_swap'])
    >>> synth.write_samples("data_samples")                         # doctest: +SKIP

The committed samples and the list of problems planted in them (``data_samples/planted.csv``, also
rendered into ``data_samples/README.md``) are written by :func:`write_samples`; the later checks
(validation, reconciliation, roster comparison, photo checks) are tested against that list.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.files import atomic_path, write_atomic
from ..core.ids import CHECK_TEXT, check_bytes, digit_matrix, make_ids

__all__ = [
    "SAMPLE_SEED",
    "make_people",
    "make_registration_frame",
    "make_registration_pair",
    "write_registration_dbf",
    "make_roster_pair",
    "make_hei",
    "make_k12",
    "make_photos",
    "write_samples",
    "main_samples",
    "HeiSample",
    "K12Sample",
]

SAMPLE_SEED = 20261123
#: The "last update" date written into every sample DBF header (never the clock).
DBF_DATE = _dt.date(2026, 11, 23)
#: The creation date written into every sample workbook.
XLSX_DATE = _dt.datetime(2026, 3, 16, 9, 0, 0)

# ---------------------------------------------------------------------------------------------------
# Reference data (synthetic-generation vocabularies)
# ---------------------------------------------------------------------------------------------------

# Real county-level codes of GB/T 2260 (each one is present in the 201904 revision shipped as
# xueji_lib/codes/xzqh.csv; tests/test_synth.py re-checks every one). Only codes unchanged for years
# are used, so that ID numbers built on them are valid whichever revision a checker holds.
AREAS: tuple[tuple[int, str], ...] = (
    (110101, "北京市东城区"),
    (110105, "北京市朝阳区"),
    (110108, "北京市海淀区"),
    (120101, "天津市和平区"),
    (120104, "天津市南开区"),
    (130102, "河北省石家庄市长安区"),
    (130104, "河北省石家庄市桥西区"),
    (140105, "山西省太原市小店区"),
    (150102, "内蒙古自治区呼和浩特市新城区"),
    (210102, "辽宁省沈阳市和平区"),
    (220102, "吉林省长春市南关区"),
    (230102, "黑龙江省哈尔滨市道里区"),
    (310101, "上海市黄浦区"),
    (310104, "上海市徐汇区"),
    (310115, "上海市浦东新区"),
    (320102, "江苏省南京市玄武区"),
    (320106, "江苏省南京市鼓楼区"),
    (320205, "江苏省无锡市锡山区"),
    (330102, "浙江省杭州市上城区"),
    (330106, "浙江省杭州市西湖区"),
    (340102, "安徽省合肥市瑶海区"),
    (340104, "安徽省合肥市蜀山区"),
    (350102, "福建省福州市鼓楼区"),
    (350203, "福建省厦门市思明区"),
    (360102, "江西省南昌市东湖区"),
    (370102, "山东省济南市历下区"),
    (370202, "山东省青岛市市南区"),
    (410102, "河南省郑州市中原区"),
    (410105, "河南省郑州市金水区"),
    (420102, "湖北省武汉市江岸区"),
    (420106, "湖北省武汉市武昌区"),
    (430102, "湖南省长沙市芙蓉区"),
    (430104, "湖南省长沙市岳麓区"),
    (430111, "湖南省长沙市雨花区"),
    (430112, "湖南省长沙市望城区"),
    (430121, "湖南省长沙市长沙县"),
    (430181, "湖南省浏阳市"),
    (430182, "湖南省宁乡市"),
    (440103, "广东省广州市荔湾区"),
    (440106, "广东省广州市天河区"),
    (440304, "广东省深圳市福田区"),
    (450102, "广西壮族自治区南宁市兴宁区"),
    (451226, "广西壮族自治区环江毛南族自治县"),
    (460105, "海南省海口市秀英区"),
    (500103, "重庆市渝中区"),
    (500106, "重庆市沙坪坝区"),
    (510104, "四川省成都市锦江区"),
    (510107, "四川省成都市武侯区"),
    (520102, "贵州省贵阳市南明区"),
    (530102, "云南省昆明市五华区"),
    (610103, "陕西省西安市碑林区"),
    (610113, "陕西省西安市雁塔区"),
    (620102, "甘肃省兰州市城关区"),
    (640104, "宁夏回族自治区银川市兴庆区"),
    (650102, "新疆维吾尔自治区乌鲁木齐市天山区"),
)
# 港澳台居民居住证: 18-digit numbers with these address codes (DOMAIN.md §5.2)
HMT_AREAS = {810000: "香港", 820000: "澳门", 830000: "台湾"}
# The K-12 sample county: a fictional "示范县" borrowing the real code of 长沙县 so that IDs validate.
K12_COUNTY = 430121
K12_NEARBY = (430102, 430104, 430111, 430112, 430181, 430182)
K12_MIGRANT = (360102, 420106, 510107, 520102, 450102, 440106, 410105)

# Surnames with rough frequencies (per mille; the order of the large ones follows the 2020 census
# ranking). Compound surnames are rare.
_SURNAME_TEXT = (
    "王71 李70 张65 刘52 陈46 杨32 黄22 赵22 吴20 周19 徐14 孙13 马12 朱12 胡11 郭11 何10 林9 高9 罗9 "
    "郑8 梁8 谢7 宋6 唐6 许6 韩6 冯5 邓5 曹5 彭5 曾5 肖5 田4 董4 袁4 潘4 于4 蒋4 蔡4 余4 杜4 叶4 "
    "程3 苏3 魏3 吕3 丁3 任3 沈3 姚3 卢3 姜3 崔3 钟3 谭3 陆3 汪3 范3 金3 石3 廖3 贾3 夏3 "
    "韦2 付2 方2 白2 邹2 孟2 熊2 秦2 邱2 江2 尹2 薛2 闫2 段2 雷2 侯2 龙2 史2 陶2 黎2 贺2 顾2 毛2 "
    "郝2 龚2 邵2 万2 钱2 严2 覃2 武2 戴2 莫2 孔2 向2 汤2 欧阳0.5 司马0.1 上官0.1 诸葛0.1"
)


def _parse_weighted(text: str) -> tuple[list[str], np.ndarray]:
    names, weights = [], []
    for item in text.split():
        i = next(k for k, ch in enumerate(item) if ch.isdigit())
        names.append(item[:i])
        weights.append(float(item[i:]))
    w = np.array(weights)
    return names, w / w.sum()


SURNAMES, SURNAME_P = _parse_weighted(_SURNAME_TEXT)
GIVEN_MALE = list(
    "伟强磊军勇杰涛斌超明鹏辉华刚飞浩宇轩博文俊凯峰亮晨阳翔睿泽航然哲锐昊天子一嘉诚铭志豪宁健毅帅骏旭坤彬鑫思远宏振源瑞林建国平东海波龙成康乐逸"
)
GIVEN_FEMALE = list(
    "芳娜敏静丽艳娟霞燕玲婷雪慧琳颖倩欣怡悦萱涵琪雨梦佳瑶晶露薇妍诗语馨可心彤月晓蕾洁莉秀英兰红丹凤萍清思文宁一嘉子"
)
# Rare characters that GBK still holds (not in GB2312's common set, typical of given names).
RARE_MALE = list("堃喆赟昇淼")
RARE_FEMALE = list("玥淼")
# A character outside GBK but inside GB18030 (CJK Extension A): only in planted records.
RARE_OUTSIDE_GBK = "䶮"
# One-character typos of the kind a clerk makes (same pronunciation, different character).
TYPO = {
    "伟": "炜",
    "静": "婧",
    "丽": "俐",
    "明": "铭",
    "杰": "捷",
    "涛": "韬",
    "斌": "彬",
    "超": "潮",
    "鹏": "朋",
    "辉": "晖",
    "华": "骅",
    "芳": "方",
    "娜": "纳",
    "敏": "闽",
    "婷": "亭",
    "慧": "惠",
    "琳": "林",
    "颖": "莹",
    "倩": "茜",
    "欣": "馨",
    "怡": "仪",
    "涵": "含",
    "琪": "祺",
    "佳": "嘉",
    "瑶": "遥",
    "晶": "菁",
    "露": "璐",
    "薇": "微",
    "妍": "研",
    "浩": "皓",
    "宇": "雨",
    "轩": "萱",
    "博": "波",
    "俊": "骏",
    "凯": "楷",
    "峰": "锋",
    "晨": "辰",
    "阳": "扬",
    "翔": "祥",
    "睿": "锐",
}
# Uyghur/Kazakh-style names: given name · father's name (the middle dot U+00B7, as on ID cards).
UYGHUR_MALE = ["艾力", "阿迪力", "买买提", "艾尔肯", "努尔兰", "吾斯曼", "阿不都", "伊力哈木"]
UYGHUR_FEMALE = ["古丽娜尔", "迪丽拜尔", "阿依努尔", "热依汗", "帕提古丽", "米娜瓦尔", "阿依古丽"]
UYGHUR_FATHER = ["买买提", "吐尔逊", "艾合买提", "玉素甫", "克里木", "阿不力孜", "托合提", "艾山"]
MIDDLE_DOT = "\u00b7"

# 民族 (GB 3304) labels for the codes used here; must equal the labels of xueji_lib/codes/mz.csv.
MZ_LABEL = {
    "01": "汉族",
    "02": "蒙古族",
    "03": "回族",
    "05": "维吾尔族",
    "06": "苗族",
    "07": "彝族",
    "08": "壮族",
    "11": "满族",
    "13": "瑶族",
    "15": "土家族",
    "17": "哈萨克族",
    "36": "毛南族",
}
# Where members of each group are drawn from when minority_regions is on (all real codes above).
MZ_REGION = {
    "02": (150102,),
    "03": (640104, 410102),
    "05": (650102,),
    "06": (520102,),
    "07": (530102,),
    "08": (450102,),
    "11": (210102, 220102),
    "13": (450102,),
    "15": (500103, 520102),
    "17": (650102,),
    "36": (451226,),
}
MZ_P_HEI = {
    "01": 0.90,
    "03": 0.015,
    "05": 0.008,
    "08": 0.015,
    "11": 0.012,
    "06": 0.01,
    "15": 0.01,
    "07": 0.006,
    "02": 0.006,
    "17": 0.003,
    "13": 0.005,
}
MZ_P_K12 = {"01": 0.95, "06": 0.015, "15": 0.02, "13": 0.005, "03": 0.005, "08": 0.005}
ZZMM_LABEL = {"01": "中共党员", "02": "中共预备党员", "03": "共青团员", "13": "群众"}

SCHOOL_CODE = "19999"  # fictional 5-digit 院校代码
SCHOOL_NAME = "华夏示范大学"  # fictional school
SCHOOL_ZSB_FROM = "示范职院"  # fictional 专科 school of the 专升本 students
YEAR = 2026

# (ZYDM, ZYMC, 层次, 学制, 分院, 班号前缀, 科类 digits of the 考生号, weight)
MAJORS_10 = (
    ("080901", "计算机科学与技术", "本科", "4", "信息工程学院", "计科", "5", 11),
    ("080902", "软件工程", "本科", "4", "信息工程学院", "软件", "5", 9),
    ("080701", "电子信息工程", "本科", "4", "信息工程学院", "电信", "5", 8),
    ("071201", "统计学", "本科", "4", "数学与统计学院", "统计", "5", 6),
    ("070101", "数学与应用数学", "本科", "4", "数学与统计学院", "数学", "5", 7),
    ("020101", "经济学", "本科", "4", "经济管理学院", "经济", "15", 8),
    ("050101", "汉语言文学", "本科", "4", "文学院", "汉语", "1", 9),
    ("050201", "英语", "本科", "4", "外国语学院", "英语", "12", 8),
    ("040101", "教育学", "本科", "4", "教育学院", "教育", "1", 7),
    ("510201", "计算机应用技术", "专科", "3", "信息工程学院", "计应", "5", 9),
    ("530302", "大数据与会计", "专科", "3", "经济管理学院", "会计", "15", 9),
    ("530701", "电子商务", "专科", "3", "经济管理学院", "电商", "15", 7),
)
MAJORS_50 = (
    ("050101", "汉语言文学", "专科起点本科", "2.5", "继续教育学院", "汉语", "1", 8),
    ("080901", "计算机科学与技术", "专科起点本科", "2.5", "继续教育学院", "计科", "5", 8),
    ("040107", "小学教育", "专科起点本科", "2.5", "继续教育学院", "小教", "1", 9),
    ("050101", "汉语言文学", "高中起点本科", "5", "继续教育学院", "汉本", "1", 3),
    ("530302", "大数据与会计", "高中起点专科", "2.5", "继续教育学院", "会计", "15", 9),
    ("510201", "计算机应用技术", "高中起点专科", "2.5", "继续教育学院", "计应", "5", 6),
    ("440501", "建设工程管理", "高中起点专科", "2.5", "继续教育学院", "建管", "5", 5),
)
XXXS_50 = (("函授", 0.6), ("业余", 0.35), ("脱产", 0.05))
STATIONS_50 = ("校本部", "湘江函授站", "星城教学点", "洞庭函授站")

# K-12: schools of the fictional county (学校标识码 are fictional 10-digit numbers).
K12_SCHOOLS = (
    # (学校标识码, 学校名称, 学段, classes per grade, uses text labels for 性别/民族)
    ("2143012901", "示范县第一小学", "小学", 1, False),
    ("2143012902", "示范县第二小学", "小学", 1, False),
    ("2143012903", "示范县星河小学", "小学", 1, False),
    ("2143012904", "示范县青松小学", "小学", 1, False),
    ("2143012905", "示范县第一初级中学", "初中", 2, False),
    ("2143012906", "示范县第二初级中学", "初中", 2, False),
    ("2143012907", "示范县第一高级中学", "高中", 1, False),
    ("2143012908", "示范县第二高级中学", "高中", 1, True),
)
STAGE_GRADES = {"小学": ("11", "12", "13", "14", "15", "16"), "初中": ("21", "22", "23"), "高中": ("31", "32", "33")}
TOWNS = ("城关镇", "星河镇", "青松乡", "白沙镇", "东岭乡", "枫林镇")
STREETS = ("建设路", "人民路", "解放路", "文化路", "新华街", "滨河路", "学府路", "迎宾大道")
VILLAGES = ("石桥村", "枫树村", "新塘村", "荷花村", "龙泉村", "高桥村", "松柏村")
COUNTY_TEXT = "湖南省示范县"

# ---------------------------------------------------------------------------------------------------
# Vectorised string helpers (pyarrow compute under pandas "str" columns)
# ---------------------------------------------------------------------------------------------------


def _ascii(mat: np.ndarray) -> pa.Array:
    """(n, w) uint8 matrix of ASCII bytes → a pyarrow string array of n values of width w."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    n, w = mat.shape
    if n * w < 2**31 - 1:
        offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32) if w else np.zeros(n + 1, np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(mat.tobytes()))
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(mat.tobytes()))


_digits = digit_matrix


def _take(pool, idx) -> pa.Array:
    return pa.array(list(pool), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def _const(value: str, n: int) -> pa.Array:
    """``n`` copies of one string, without building a Python list."""
    return _take([value], np.zeros(n, np.int64))


def _cat(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    parts = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    if not any(isinstance(p, (pa.Array, pa.ChunkedArray)) for p in parts):
        raise ValueError("_cat needs at least one array")
    types = {p.type for p in parts}
    t = pa.large_string() if pa.large_string() in types else pa.string()
    parts = [p.cast(t) if p.type != t else p for p in parts]
    return pc.binary_join_element_wise(*parts, pa.scalar("", t))


def _str(arr) -> pd.Series:
    return pd.Series(arr, dtype="str")


def _days(year, month=None, day=None) -> np.ndarray:
    """Calendar date(s) → int days since 1970-01-01."""
    if month is None:
        return np.asarray(np.datetime64(year, "D"), dtype="datetime64[D]").astype(np.int64)
    y = np.asarray(year, np.int64)
    m = np.asarray(month, np.int64)
    d = np.asarray(day, np.int64)
    months = (y - 1970) * 12 + (m - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + d - 1


def _ymd(days) -> np.ndarray:
    """int days since 1970-01-01 → int YYYYMMDD."""
    d = np.asarray(days, np.int64).astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return y * 10000 + mo * 100 + dd


def _date_text(ymd_or_days, *, is_days: bool = True) -> pa.Array:
    v = _ymd(ymd_or_days) if is_days else np.asarray(ymd_or_days, np.int64)
    return _ascii(_digits(v, 8))


# ---------------------------------------------------------------------------------------------------
# ID numbers (GB 11643)
# ---------------------------------------------------------------------------------------------------


def _id_matrix(area, ymd, seq) -> np.ndarray:
    """int arrays (6-digit area, YYYYMMDD, 3-digit sequence) → (n, 18) uint8 ID matrix."""
    m = np.empty((len(area), 18), np.uint8)
    m[:, :6] = _digits(area, 6)
    m[:, 6:14] = _digits(ymd, 8)
    m[:, 14:17] = _digits(seq, 3)
    m[:, 17] = check_bytes(m[:, :17])
    return m


def _fix_check(first17: str) -> str:
    """A 17-digit prefix with its right check character appended (for planted edits)."""
    return first17 + chr(check_bytes(np.frombuffer(first17.encode("ascii"), np.uint8)[None, :])[0])


def _group_rank(key: np.ndarray) -> np.ndarray:
    """Rank of each element among the elements with the same key, in array order (vectorised cumcount)."""
    order = np.argsort(key, kind="stable")
    sk = key[order]
    start = np.ones(len(sk), bool)
    start[1:] = sk[1:] != sk[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(len(sk)), 0))
    rank = np.empty(len(key), np.int64)
    rank[order] = np.arange(len(sk)) - first
    return rank


def _unique_seq(rng, area, ymd, male) -> np.ndarray:
    """3-digit ID sequence numbers, odd for men and even for women, unique per (area, birth date)."""
    n = len(area)
    key = (area.astype(np.int64) * 100_000_000 + ymd) * 2 + male.astype(np.int64)
    rank = _group_rank(key)
    if n and rank.max() >= 499:
        raise ValueError("同一地区同一天出生的同性别人数超过 499，无法生成唯一的身份证号")
    _, inv = np.unique(key, return_inverse=True)
    offset = rng.integers(0, 499, size=inv.max() + 1 if n else 0)[inv] if n else np.zeros(0, np.int64)
    k = (offset + rank) % 499 + 1
    return k * 2 + male.astype(np.int64)  # 002..999: odd for men, even for women


# ---------------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------------


def _choice(rng, n, p) -> np.ndarray:
    p = np.asarray(p, float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def _han_names(rng, male: np.ndarray, rare_rate: float) -> tuple[pa.Array, np.ndarray]:
    n = len(male)
    sur = _choice(rng, n, SURNAME_P)
    two = rng.random(n) < 0.75
    pool_m, pool_f = GIVEN_MALE, GIVEN_FEMALE
    c1 = np.where(male, rng.integers(0, len(pool_m), n), rng.integers(0, len(pool_f), n) + len(pool_m))
    c2 = np.where(male, rng.integers(0, len(pool_m), n), rng.integers(0, len(pool_f), n) + len(pool_m))
    both = pool_m + pool_f
    rare = rng.random(n) < rare_rate
    rare_m = rng.integers(0, len(RARE_MALE), n)
    rare_f = rng.integers(0, len(RARE_FEMALE), n)
    rare_pool = RARE_MALE + RARE_FEMALE
    rare_idx = np.where(male, rare_m, rare_f + len(RARE_MALE))
    first = _take(both, c1)
    second = pc.if_else(pa.array(two), _take(both, c2), pa.scalar("", pa.string()))
    last_rare = _take(rare_pool, rare_idx)
    # a rare character replaces the last given-name character
    given = pc.if_else(
        pa.array(rare & two), _cat(first, last_rare), pc.if_else(pa.array(rare & ~two), last_rare, _cat(first, second))
    )
    return _cat(_take(SURNAMES, sur), given), sur


def _uyghur_names(rng, male: np.ndarray) -> pa.Array:
    n = len(male)
    g = np.where(male, rng.integers(0, len(UYGHUR_MALE), n), rng.integers(0, len(UYGHUR_FEMALE), n) + len(UYGHUR_MALE))
    f = rng.integers(0, len(UYGHUR_FATHER), n)
    return _cat(_take(UYGHUR_MALE + UYGHUR_FEMALE, g), MIDDLE_DOT, _take(UYGHUR_FATHER, f))


def _names(rng, male, mz, rare_rate) -> pa.Array:
    han, _ = _han_names(rng, male, rare_rate)
    uy = _uyghur_names(rng, male)
    dot = np.isin(mz, ["05", "17"])
    return pc.if_else(pa.array(dot), uy, han)


def make_people(
    n: int,
    *,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
    birth_lo=None,
    birth_hi=None,
    areas=None,
    area_p=None,
    mz_p=None,
    minority_regions: bool = True,
    rare_rate: float = 0.01,
    male_rate: float = 0.5,
    unique_names: bool = False,
    exclude_names=(),
    preset: dict | None = None,
) -> pd.DataFrame:
    """``n`` synthetic people as a DataFrame, vectorised.

    Columns: ``XM`` 姓名, ``XB`` (1 男 / 2 女, int), ``CSRQ`` (YYYYMMDD text), ``SFZH`` (valid 18-digit ID,
    unique), ``AREA`` (int county code), ``MZDM`` (GB 3304 code text), ``BIRTH`` (int days since 1970).
    ``birth_lo``/``birth_hi`` are day numbers (scalars or one per person, inclusive). ``preset`` may fix
    ``area`` / ``mz`` / ``male`` / ``birth`` for some people (arrays with -1 / "" / None meaning "draw").
    ``unique_names`` re-draws names until no two people (nor anyone in ``exclude_names``) share one.
    """
    if rng is None:
        rng = np.random.default_rng(SAMPLE_SEED if seed is None else seed)
    preset = preset or {}
    if areas is None:
        areas = np.array([a for a, _ in AREAS], np.int64)
    areas = np.asarray(areas, np.int64)
    area_p = np.full(len(areas), 1.0 / len(areas)) if area_p is None else np.asarray(area_p, float)
    mz_p = MZ_P_HEI if mz_p is None else mz_p
    if birth_lo is None:
        birth_lo, birth_hi = _days("2006-09-02"), _days("2008-09-01")
    lo = np.broadcast_to(np.asarray(birth_lo, np.int64), (n,))
    hi = np.broadcast_to(np.asarray(birth_hi, np.int64), (n,))

    male = rng.random(n) < male_rate
    if "male" in preset:
        pm = np.asarray(preset["male"], np.int64)
        male = np.where(pm >= 0, pm == 1, male)
    mz_codes = list(mz_p)
    mz = np.array(mz_codes, dtype=object)[_choice(rng, n, list(mz_p.values()))].astype(str)
    if "mz" in preset:
        pmz = np.asarray([m or "" for m in preset["mz"]], dtype=object).astype(str)
        mz = np.where(pmz != "", pmz, mz)
    area = areas[_choice(rng, n, area_p)]
    if minority_regions:
        for code, region in MZ_REGION.items():
            sel = mz == code
            if sel.any():
                area = np.where(sel, np.asarray(region, np.int64)[rng.integers(0, len(region), n)], area)
    if "area" in preset:
        pa_ = np.asarray(preset["area"], np.int64)
        area = np.where(pa_ >= 0, pa_, area)
    birth = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    if "birth" in preset:
        pb = np.asarray(preset["birth"], np.int64)
        birth = np.where(pb >= 0, pb, birth)
    ymd = _ymd(birth)

    names = _str(_names(rng, male, mz, rare_rate))
    if unique_names:
        exclude = pd.Series(list(exclude_names), dtype="str")
        for _ in range(50):
            bad = (names.duplicated(keep="first") | names.isin(exclude)).to_numpy()
            if not bad.any():
                break
            names.loc[bad] = _str(_names(rng, male[bad], mz[bad], rare_rate)).to_numpy()
        else:  # pragma: no cover - pools are far larger than any sample
            raise ValueError("无法生成互不重复的姓名：样本太大")
    seq = _unique_seq(rng, area, ymd, male)
    ids = _str(_ascii(_id_matrix(area, ymd, seq)))
    return pd.DataFrame(
        {
            "XM": names,
            "XB": np.where(male, 1, 2).astype(np.int8),
            "CSRQ": _str(_date_text(birth)),
            "SFZH": ids,
            "AREA": area,
            "MZDM": pd.Series(mz, dtype="str"),
            "BIRTH": birth,
        }
    )


# ---------------------------------------------------------------------------------------------------
# Higher education: admission list, registration upload, new-student states
# ---------------------------------------------------------------------------------------------------

ADMISSION_COLUMNS = (
    "KSH",
    "XM",
    "XBDM",
    "CSRQ",
    "SFZH",
    "MZDM",
    "ZZMMDM",
    "YXDM",
    "YXMC",
    "ZYDM",
    "ZYMC",
    "CC",
    "XXXS",
    "XZ",
    "LQNF",
    "XLLB",
    "SYSSDM",
    "BZ",
)
REGISTRATION_COLUMNS = (
    "KSH",
    "XH",
    "XM",
    "XB",
    "CSRQ",
    "SFZH",
    "ZZMM",
    "MZ",
    "YXDM",
    "YXMC",
    "ZYDM",
    "ZYMC",
    "FY",
    "XSH",
    "BH",
    "CC",
    "XZ",
    "XXXS",
    "RXRQ",
    "YJBYRQ",
    "BZ",
)
STATUS_COLUMNS = ("KSH", "XM", "SFZH", "ZT", "BZ")
_KSH_STRIDES = np.array([3, 7, 9, 11, 13, 17, 19, 21, 23, 27, 29, 31, 33, 37, 39, 41, 43, 47], np.int64)
_GRAD = {"4": "0630", "3": "0630", "2": "0630", "5": "0630", "2.5": "0131"}
_GRAD_YEARS = {"4": 4, "3": 3, "2": 2, "5": 5, "2.5": 3}


def _age_window(ages: np.ndarray, year: int) -> tuple[np.ndarray, np.ndarray]:
    """Birth-day window of people who are ``ages`` full years old on 1 September of ``year``."""
    lo = _days(year - ages - 1, 9, 2)
    hi = _days(year - ages, 9, 1)
    return lo, hi


def _ksh14(rng, year: int, area: np.ndarray, d9: np.ndarray, kl: np.ndarray) -> np.ndarray:
    """14-digit 考生号 matrix: YY + 6-digit area + 考试类型 + 科类 + 4-digit sequence, unique per file."""
    n = len(area)
    key = (area.astype(np.int64) * 10 + d9) * 10 + kl
    rank = _group_rank(key)
    if n and rank.max() >= 10000:
        raise ValueError("同一考区同一科类超过 10000 名考生，无法生成唯一的考生号")
    _, inv = np.unique(key, return_inverse=True)
    groups = inv.max() + 1 if n else 0
    off = rng.integers(0, 10000, groups)[inv]
    stride = _KSH_STRIDES[rng.integers(0, len(_KSH_STRIDES), groups)][inv]
    seq = (off + rank * stride) % 10000
    m = np.empty((n, 14), np.uint8)
    m[:, :2] = _digits(np.full(n, year % 100), 2)
    m[:, 2:8] = _digits(area, 6)
    m[:, 8] = 48 + d9
    m[:, 9] = 48 + kl
    m[:, 10:] = _digits(seq, 4)
    return m


def _pick_kl(rng, kl_text: np.ndarray) -> np.ndarray:
    """One 科类 digit per record from the major's allowed digits ("15" → 1 or 5)."""
    kl_text = np.asarray(kl_text).astype("S2")
    mat = np.frombuffer(kl_text.tobytes(), np.uint8).reshape(-1, 2)
    width = (mat != 0).sum(axis=1)
    pos = (rng.random(len(kl_text)) * width).astype(np.int64)
    return mat[np.arange(len(kl_text)), pos].astype(np.int64) - 48


def _int_text(values) -> pa.Array:
    """Integers → their decimal text, no padding."""
    return pa.array(np.asarray(values, np.int64)).cast(pa.string())


def _num_text(values, width: int | None = None) -> pa.Array:
    v = np.asarray(values, np.int64)
    if width is None:
        width = max(1, len(str(int(v.max())))) if len(v) else 1
    return _ascii(_digits(v, width))


def _hei_records(
    rng,
    people: pd.DataFrame,
    category: str,
    major_idx: np.ndarray,
    kind: np.ndarray,
    year: int = YEAR,
    ksh_area: np.ndarray | None = None,
) -> pd.DataFrame:
    """Records of one 学历类别: the people, their majors, 考生号, classes, 学号 … (text, layout-neutral).

    Vectorised: used for the 2,000-record samples and for 10,000,000-record benchmark files alike.
    """
    n = len(people)
    majors = MAJORS_10 if category == "10" else MAJORS_50
    col = lambda k: np.array([m[k] for m in majors])  # noqa: E731
    take = lambda k: _take(col(k).tolist(), major_idx)  # noqa: E731
    kind = np.asarray(kind, dtype=str)
    kl = _pick_kl(rng, col(6)[major_idx])
    area = people["AREA"].to_numpy() if ksh_area is None else np.asarray(ksh_area, np.int64)
    cc = col(2)[major_idx]
    if category == "10":
        d9 = np.ones(n, np.int64)
        xxxs_idx = np.zeros(n, np.int64)
        xxxs_pool = ["普通全日制"]
        xsh = _const("", n)
    else:
        d9 = np.where(cc == "专科起点本科", 5, 4)
        xxxs_pool = [x for x, _ in XXXS_50]
        xxxs_idx = _choice(rng, n, [p for _, p in XXXS_50])
        xsh = _take(STATIONS_50, rng.integers(0, len(STATIONS_50), n))
    ksh = _str(_ascii(_ksh14(rng, year, area, d9, kl)))
    xz = _str(take(3))
    special = kind != "normal"
    if special.any():
        idx = np.flatnonzero(special)
        code = np.where(kind[idx] == "zsb", 2, 5)
        m = np.empty((len(idx), 18), np.uint8)
        m[:, :5] = np.frombuffer(SCHOOL_CODE.encode(), np.uint8)
        m[:, 5:9] = _digits(np.full(len(idx), year), 4)
        m[:, 9:11] = _digits(code, 2)
        m[:, 11:] = _digits(np.arange(1, len(idx) + 1) * 7 + 100, 7)
        ksh.iloc[idx] = _str(_ascii(m)).to_numpy()
        xz.iloc[idx] = "2"
    # classes: per major (and 学习形式 for category 50), in random order, at most 40 per class
    group = major_idx * 10 + xxxs_idx
    order = np.lexsort((rng.random(n), group))
    _, ginv = np.unique(group, return_inverse=True)
    counts = np.bincount(ginv)
    per_class = np.ceil(counts / np.ceil(counts / 40)).astype(np.int64)
    rank = np.empty(n, np.int64)
    rank[order] = _group_rank(ginv[order])
    cls = rank // per_class[ginv] + 1
    pos = rank % per_class[ginv] + 1
    fy_names = list(dict.fromkeys(m[4] for m in MAJORS_10 + MAJORS_50))
    fy_num = np.array([fy_names.index(m[4]) + 1 for m in majors])[major_idx]
    cw = max(2, len(str(int(cls.max())))) if n else 2
    # category 50 classes are per 学习形式 too, so its digit is part of the 学号 (else two forms' classes collide)
    xh_head = str(year) if category == "10" else _cat(f"{year}5", _num_text(xxxs_idx + 1, 1))
    xh = _cat(xh_head, _num_text(fy_num, 2), _num_text(major_idx + 1, 2), _num_text(cls, cw), _num_text(pos, 2))
    mark = _take([x[0] for x in xxxs_pool], xxxs_idx) if category == "50" else ""
    bh = _cat(take(5), str(year % 100), mark, _num_text(cls, cw))
    xz_np = xz.to_numpy().astype(str)
    grad_map = {x: f"{year + _GRAD_YEARS[x]}{_GRAD[x]}" for x in _GRAD}
    grad = pd.Series(xz_np, dtype="str").map(grad_map).astype("str")
    zzmm_p = (
        {"03": 0.85, "13": 0.12, "02": 0.02, "01": 0.01} if category == "10" else {"13": 0.6, "03": 0.25, "01": 0.15}
    )
    zzmm = _take(list(zzmm_p), _choice(rng, n, list(zzmm_p.values())))
    kind_idx = np.select([kind == "zsb", kind == "wnyg"], [1, 2], 0)
    bz_adm = _take(["", "普通专升本", "五年一贯制"], kind_idx)
    zsbh = _cat("19998" + f"1{year}06", _num_text(rng.integers(1, 999999, n), 6))
    bz_reg = pc.if_else(
        pa.array(kind == "zsb"),
        _cat(f"原专科：{SCHOOL_ZSB_FROM}", zsbh),
        pc.if_else(pa.array(kind == "wnyg"), "五年一贯制", ""),
    )
    s = _str
    out = pd.DataFrame(
        {
            "KSH": ksh,
            "XH": s(xh),
            "XM": people["XM"].to_numpy(),
            "XBDM": s(_take(["", "1", "2"], people["XB"].to_numpy())),
            "CSRQ": people["CSRQ"].to_numpy(),
            "SFZH": people["SFZH"].to_numpy(),
            "MZDM": people["MZDM"].to_numpy(),
            "ZZMMDM": s(zzmm),
            "YXDM": s(_const(SCHOOL_CODE, n)),
            "YXMC": s(_const(SCHOOL_NAME, n)),
            "ZYDM": s(take(0)),
            "ZYMC": s(take(1)),
            "CC": s(take(2)),
            "XXXS": s(_take(xxxs_pool, xxxs_idx)),
            "XZ": xz,
            "LQNF": s(_const(str(year), n)),
            "XLLB": s(_const(category, n)),
            "FY": s(take(4)),
            "XSH": s(xsh),
            "BH": s(bh),
            "RXRQ": s(_const(f"{year}0901", n)),
            "YJBYRQ": grad,
            "BZ_ADM": s(bz_adm),
            "BZ_REG": s(bz_reg),
            "KIND": s(_take(["normal", "zsb", "wnyg"], kind_idx)),
            "AREA": people["AREA"].to_numpy(),
        }
    )
    out["SYSSDM"] = out["KSH"].str.slice(2, 4).where(out["KIND"] == "normal", "43")
    for c in out.columns:
        if c != "AREA" and out[c].dtype != "str":
            out[c] = out[c].astype("str")
    return out


def _admission_view(rec: pd.DataFrame) -> pd.DataFrame:
    out = rec[
        [
            "KSH",
            "XM",
            "XBDM",
            "CSRQ",
            "SFZH",
            "MZDM",
            "ZZMMDM",
            "YXDM",
            "YXMC",
            "ZYDM",
            "ZYMC",
            "CC",
            "XXXS",
            "XZ",
            "LQNF",
            "XLLB",
            "SYSSDM",
        ]
    ].copy()
    out["BZ"] = rec["BZ_ADM"]
    return out


def _registration_view(rec: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=rec.index)
    out["KSH"] = rec["KSH"]
    out["XH"] = rec["XH"]
    out["XM"] = rec["XM"]
    out["XB"] = rec["XBDM"].map({"1": "男", "2": "女"}).astype("str")
    out["CSRQ"] = rec["CSRQ"]
    out["SFZH"] = rec["SFZH"]
    out["ZZMM"] = rec["ZZMMDM"].map(ZZMM_LABEL).astype("str")
    out["MZ"] = rec["MZDM"].map(MZ_LABEL).astype("str")
    for c in ("YXDM", "YXMC", "ZYDM", "ZYMC", "FY", "XSH", "BH", "CC", "XZ", "XXXS", "RXRQ", "YJBYRQ"):
        out[c] = rec[c]
    out["BZ"] = rec["BZ_REG"]
    return out


# ---------------------------------------------------------------------------------------------------
# Planted problems: bookkeeping
# ---------------------------------------------------------------------------------------------------

PLANTED_COLUMNS = ("file", "row", "key", "field", "problem_code", "expected", "description_zh")


class _Planted:
    """Planted problems recorded against record ids; turned into file rows once the files are ordered."""

    def __init__(self):
        self.items: list[tuple] = []

    def add(self, file: str, rid, field: str, problem: str, expected: str, desc):
        self.items.append((file, rid, field, problem, expected, desc))

    def resolve(self, frames: dict[str, pd.DataFrame], keys: dict[str, str]) -> pd.DataFrame:
        rows = {f: {rid: i + 1 for i, rid in enumerate(df.index)} for f, df in frames.items()}

        def rowof(file, rid):
            return rows[file][rid]

        out = []
        for file, rid, fld, problem, expected, desc in self.items:
            if rid is None:
                row, key = "", ""
            else:
                row = rowof(file, rid)
                key = str(frames[file].at[rid, keys[file]]) if keys.get(file) else ""
            text = desc(rowof) if callable(desc) else desc
            out.append((file, row, key, fld, problem, expected, text))
        return pd.DataFrame(out, columns=list(PLANTED_COLUMNS))


class _Victims:
    """Deterministic supply of distinct clean records to plant problems on."""

    def __init__(self, rng, eligible):
        self.order = list(np.asarray(eligible)[rng.permutation(len(eligible))])
        self.used: set = set()

    def take(self, pred=lambda rid: True, k: int = 1):
        got = []
        for rid in self.order:
            if rid not in self.used and pred(rid):
                got.append(rid)
                self.used.add(rid)
                if len(got) == k:
                    return got if k > 1 else got[0]
        raise ValueError("没有足够的记录可以预置问题")

    def exclude(self, rids):
        self.used.update(rids)


def _near_ksh(a: str, b: str) -> bool:
    """True when two 考生号 are one substitution or one adjacent transposition apart (or equal)."""
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) <= 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


# ---------------------------------------------------------------------------------------------------
# Higher-education samples
# ---------------------------------------------------------------------------------------------------


@dataclass
class HeiSample:
    """The higher-education sample files (frames in layout field codes, index = record id), the encodings
    they are written in, the planted problems, and the roster of the classes that have photos."""

    files: dict[str, pd.DataFrame]
    layouts: dict[str, str]
    encodings: dict[str, str]
    planted: _Planted = field(repr=False)
    photo_roster: pd.DataFrame = field(repr=False)
    keys: dict[str, str] = field(default_factory=dict)


# the sample files (paths under the output folder)
FILE_ADMISSION_10 = "hei/10_录取名单.dbf"  # 学历类别 10: 录取数据, 注册上报, 新生状态
FILE_REGISTRATION_10 = "hei/10_注册上报.dbf"
FILE_STATES_10 = "hei/10_新生状态.dbf"
FILE_ADMISSION_50 = "hei/50_录取名单.dbf"  # 学历类别 50 (成人本专科)
FILE_REGISTRATION_50 = "hei/50_注册上报.dbf"
PHOTO_CLASSES = ("软件2601", "软件2602")


def _ages(rng, n, table: dict) -> np.ndarray:
    return np.array(list(table))[_choice(rng, n, list(table.values()))]


def make_hei(seed: int = SAMPLE_SEED, n_students: int = 1000, n_adult: int = 400, year: int = YEAR) -> HeiSample:
    """The university's sample files for 学历类别 10 (``n_students`` admission records) and 50
    (``n_adult``), with every planted problem of the validation and reconciliation issues."""
    rng = np.random.default_rng([seed, 10])
    n10, n50 = n_students, n_adult
    n_all = n10 + 1 + n50  # + 1 registration-only person (not admitted)
    # kinds and majors of category 10
    kind10 = np.full(n10, "normal", dtype=object)
    special_pos = rng.choice(n10, 5, replace=False)
    kind10[special_pos[:3]] = "zsb"
    kind10[special_pos[3:]] = "wnyg"
    w10 = np.array([m[7] for m in MAJORS_10], float)
    major10 = _choice(rng, n10, w10)
    major10[kind10 == "zsb"] = rng.choice([0, 1, 6], int((kind10 == "zsb").sum()))
    major10[kind10 == "wnyg"] = rng.choice([9, 10], int((kind10 == "wnyg").sum()))
    w50 = np.array([m[7] for m in MAJORS_50], float)
    major50 = _choice(rng, n50, w50)
    major_extra = _choice(rng, 1, w10)
    # ages at entry (1 September)
    age = np.empty(n_all, np.int64)
    age[:n10] = _ages(rng, n10, {17: 0.1, 18: 0.5, 19: 0.32, 20: 0.08})
    age[:n10][kind10 == "zsb"] = _ages(rng, 3, {20: 0.3, 21: 0.5, 22: 0.2})
    age[:n10][kind10 == "wnyg"] = _ages(rng, 2, {18: 0.6, 19: 0.4})
    age[n10] = 18
    age[n10 + 1 :] = np.minimum(18 + np.floor(rng.gamma(2.0, 4.5, n50)).astype(np.int64), 45)
    lo, hi = _age_window(age, year)
    # presets: three 港澳台 residence-permit holders, one 毛南族 student (category 10); one adult born 1984
    normal10 = np.flatnonzero(kind10 == "normal")
    pre = rng.choice(normal10, 4, replace=False)
    preset_area = np.full(n_all, -1, np.int64)
    preset_mz = np.full(n_all, "", dtype=object)
    preset_birth = np.full(n_all, -1, np.int64)
    preset_area[pre[:3]] = list(HMT_AREAS)
    preset_mz[pre[:3]] = "01"
    preset_mz[pre[3]] = "36"
    old_adult = n10 + 1 + int(rng.integers(0, n50))
    preset_birth[old_adult] = _days(1984, 5, 1) + int(rng.integers(0, 180))
    people = make_people(
        n_all,
        rng=rng,
        birth_lo=lo,
        birth_hi=hi,
        mz_p=MZ_P_HEI,
        rare_rate=0.012,
        unique_names=True,
        preset={"area": preset_area, "mz": preset_mz, "birth": preset_birth},
    )
    p10 = people.iloc[:n10].reset_index(drop=True)
    p_extra = people.iloc[n10 : n10 + 1].reset_index(drop=True)
    p50 = people.iloc[n10 + 1 :].reset_index(drop=True)
    # 港澳台 students sat the exam in the mainland: their 考生号 carries the exam area, not 810000 …
    ksh_area = p10["AREA"].to_numpy().copy()
    exam_area = {810000: 440106, 820000: 440304, 830000: 350203}
    for a, e in exam_area.items():
        ksh_area[ksh_area == a] = e
    rec10 = _hei_records(rng, p10, "10", major10, kind10.astype(str), year, ksh_area)
    rec50 = _hei_records(rng, p50, "50", major50, np.full(n50, "normal"), year)
    rec10.index = pd.RangeIndex(0, n10)
    rec50.index = pd.RangeIndex(100_000, 100_000 + n50)
    # the registration-only person gets a 考生号 far (≥ 2 edits) from every admitted 考生号
    rec_x = _hei_records(rng, p_extra, "10", major_extra, np.array(["normal"]), year)
    adm_ksh = rec10["KSH"].tolist()
    cand = rec_x.at[0, "KSH"]
    for _ in range(1000):
        if not any(_near_ksh(cand, k) for k in adm_ksh):
            break
        cand = cand[:8] + "18" + f"{int(rng.integers(0, 10000)):04d}"
    rec_x.at[0, "KSH"] = cand
    rec_x.index = pd.RangeIndex(900_000, 900_001)

    adm10 = _admission_view(rec10)
    reg10 = _registration_view(rec10)
    adm50 = _admission_view(rec50)
    reg50 = _registration_view(rec50)
    plant = _Planted()
    A, R = FILE_ADMISSION_10, FILE_REGISTRATION_10

    photo_rids = rec10.index[rec10["BH"].isin(PHOTO_CLASSES)].tolist()
    special_rids = rec10.index[rec10["KIND"] != "normal"].tolist()
    hmt_rids, maonan_rid = [int(x) for x in pre[:3]], int(pre[3])
    vic = _Victims(rng, rec10.index[(rec10["KIND"] == "normal")].to_numpy())
    vic.exclude(photo_rids + hmt_rids + [maonan_rid])

    def sex_word(d):
        return "男" if int(d) % 2 else "女"

    # -- 身份证号 problems (registration upload) --------------------------------------------------
    v = vic.take()
    good = reg10.at[v, "SFZH"]
    wrong = next(c for c in "0123456789" if c != good[17] and c != CHECK_TEXT[(CHECK_TEXT.index(good[17]) + 3) % 11])
    reg10.at[v, "SFZH"] = good[:17] + wrong
    plant.add(
        R,
        v,
        "SFZH",
        "id_bad_check_digit",
        "validate:SFZH_CHECKSUM",
        f"身份证号校验位错误：按前 17 位计算应为 {good[17]}，文件中为 {wrong}",
    )

    v = vic.take(lambda r: int(reg10.at[r, "CSRQ"][6:]) <= 18)
    old = reg10.at[v, "CSRQ"]
    new = old[:6] + f"{int(old[6:]) + 10:02d}"
    reg10.at[v, "CSRQ"] = new
    plant.add(
        R,
        v,
        "CSRQ",
        "id_birth_mismatch",
        "validate:SFZH_BIRTH_MISMATCH",
        f"出生日期 {new} 与身份证号中的出生日期 {old} 不一致（身份证号本身有效）",
    )

    v = vic.take()
    old = reg10.at[v, "XB"]
    reg10.at[v, "XB"] = "女" if old == "男" else "男"
    plant.add(
        R,
        v,
        "XB",
        "id_sex_mismatch",
        "validate:SFZH_SEX_MISMATCH",
        f"性别填“{reg10.at[v, 'XB']}”，身份证号第 17 位 {reg10.at[v, 'SFZH'][16]} 表示{old}",
    )

    v = vic.take()
    sf = reg10.at[v, "SFZH"]
    bad = _fix_check(sf[:6] + sf[6:10] + "0230" + sf[14:17])
    reg10.at[v, "SFZH"] = bad
    plant.add(
        R,
        v,
        "SFZH",
        "id_invalid_birth_date",
        "validate:SFZH_BIRTH_INVALID",
        f"身份证号中的出生日期 {sf[6:10]}0230 不是有效日期（校验位按这个号码计算是对的；"
        f"出生日期字段为真实日期 {reg10.at[v, 'CSRQ']}，两者无法比较）",
    )

    v = vic.take()
    sf = reg10.at[v, "SFZH"]
    bad = _fix_check("24" + sf[2:17])
    reg10.at[v, "SFZH"] = bad
    plant.add(
        R,
        v,
        "SFZH",
        "id_unknown_area",
        "validate:SFZH_AREA_UNKNOWN",
        f"身份证号地址码 {bad[:6]}：前两位 24 不是任何省级行政区划（校验位正确）",
    )

    v = vic.take(lambda r: reg10.at[r, "SFZH"].endswith("X"))
    reg10.at[v, "SFZH"] = reg10.at[v, "SFZH"][:17] + "x"
    plant.add(
        R,
        v,
        "SFZH",
        "id_lowercase_x",
        "validate:SFZH_LOWER_X",
        "身份证号末位校验码写成小写 x，应为大写 X（号码本身正确）",
    )

    for r in hmt_rids:
        code = reg10.at[r, "SFZH"][:6]
        place = HMT_AREAS[int(code)]
        if place == "台湾":
            reg10.at[r, "MZ"] = "台湾"
        note = "；民族字段按港澳台生规定填写户籍所在区域“台湾”" if place == "台湾" else ""
        plant.add(
            R,
            r,
            "SFZH",
            "id_hmt_residence_permit",
            "validate:OK",
            f"港澳台居民居住证号码（地址码 {code}，{place}），出生日期和校验位都正确，不应报错{note}",
        )

    # -- duplicates ------------------------------------------------------------------------------
    v = vic.take()
    dup_rid = 900_001
    copy = reg10.loc[[v]].copy()
    copy.index = [dup_rid]
    copy.at[dup_rid, "XH"] = copy.at[dup_rid, "XH"][:-2] + "99"
    for r in (v, dup_rid):
        other = dup_rid if r == v else v
        mk = (
            lambda o: (
                lambda rowof: (
                    f"同一名学生在上传文件中出现两次（另一条在第 {rowof(R, o)} 行）：考生号、身份证号相同，只有学号不同"
                )
            )
        )(other)
        plant.add(R, r, "KSH", "duplicate_ksh", "validate:KSH_DUPLICATE", mk)
        plant.add(R, r, "SFZH", "duplicate_ksh", "validate:SFZH_DUPLICATE", mk)
        plant.add(R, r, "KSH", "duplicate_ksh", "reconcile:duplicate_key", mk)
    plant.add(
        A,
        v,
        "KSH",
        "duplicate_ksh",
        "reconcile:matched",
        lambda rowof, v=v: (
            f"这名学生在注册上报中出现两次（第 {rowof(R, v)}、{rowof(R, dup_rid)} 行，两条都是 "
            "duplicate_key）；录取一侧的考生号、姓名、层次都对得上，算 matched，并应指出对方重复"
        ),
    )

    csrq_sex = reg10["CSRQ"] + reg10["XB"]
    pair = None
    for a in vic.order:
        if a in vic.used:
            continue
        mates = [
            b
            for b in reg10.index[(csrq_sex == csrq_sex[a]).to_numpy()]
            if b != a and b not in vic.used and b in set(vic.order)
        ]
        if mates:
            pair = (a, mates[0])
            break
    a, b = pair
    vic.exclude([a, b])
    reg10.at[b, "SFZH"] = reg10.at[a, "SFZH"]
    plant.add(
        R,
        a,
        "SFZH",
        "duplicate_sfzh",
        "validate:SFZH_DUPLICATE",
        lambda rowof, a=a, b=b: f"身份证号与第 {rowof(R, b)} 行（另一名学生）相同；本行是身份证号的真正主人",
    )
    plant.add(
        R,
        b,
        "SFZH",
        "duplicate_sfzh",
        "validate:SFZH_DUPLICATE",
        lambda rowof, a=a, b=b: (
            f"误录成第 {rowof(R, a)} 行学生的身份证号（两人出生日期、性别相同，所以号码与本行出生日期、性别并不矛盾）"
        ),
    )

    # -- reconciliation: key mismatches ------------------------------------------------------------
    names = set(people["XM"])
    v = vic.take(
        lambda r: reg10.at[r, "XM"][-1] in TYPO and reg10.at[r, "XM"][:-1] + TYPO[reg10.at[r, "XM"][-1]] not in names
    )
    old = reg10.at[v, "XM"]
    new = old[:-1] + TYPO[old[-1]]
    reg10.at[v, "XM"] = new
    for f in (A, R):
        plant.add(
            f,
            v,
            "XM",
            "name_typo",
            "reconcile:key_mismatch",
            f"姓名差一个字：录取数据为“{old}”，注册上报为“{new}”（考生号、层次一致）",
        )

    v = vic.take(
        lambda r: (
            reg10.at[r, "XM"][0] in SURNAMES
            and reg10.at[r, "XB"] == "男"
            and reg10.at[r, "XM"][0] + RARE_OUTSIDE_GBK not in names
        )
    )
    full = reg10.at[v, "XM"][0] + RARE_OUTSIDE_GBK
    placeholder = reg10.at[v, "XM"][0] + "??"
    reg10.at[v, "XM"] = full
    adm10.at[v, "XM"] = placeholder
    plant.add(
        A,
        v,
        "XM",
        "name_placeholder",
        "validate:XM_PLACEHOLDER",
        f"录取数据姓名“{placeholder}”：生僻字“{RARE_OUTSIDE_GBK}”（U+4DAE，GBK 没有）用半角 ?? 代替",
    )
    for f in (A, R):
        plant.add(
            f,
            v,
            "XM",
            "name_placeholder",
            "reconcile:key_mismatch",
            f"录取数据姓名为“{placeholder}”（?? 代替生僻字），注册上报为“{full}”"
            "（注册文件用 GB18030 编码写入）；按 ? 通配可以对上，但平台严格比对不通过",
        )

    all_ksh = set(adm10["KSH"]) | {cand}

    def swapped(k):
        for i in range(13, 9, -1):
            if k[i - 1] != k[i]:
                s = k[: i - 1] + k[i] + k[i - 1] + k[i + 1 :]
                if s not in all_ksh:
                    return s
        return None

    v = vic.take(lambda r: swapped(reg10.at[r, "KSH"]) is not None)
    old = reg10.at[v, "KSH"]
    new = swapped(old)
    reg10.at[v, "KSH"] = new
    for f in (A, R):
        plant.add(
            f,
            v,
            "KSH",
            "ksh_adjacent_swap",
            "reconcile:key_mismatch",
            f"考生号相邻两位颠倒：录取数据 {old}，注册上报 {new}（身份证号、姓名一致，可据此找到对方）",
        )

    v = vic.take(lambda r: reg10.at[r, "CC"] == "专科")
    reg10.at[v, "CC"] = "本科"
    for f in (A, R):
        plant.add(
            f,
            v,
            "CC",
            "cc_mismatch",
            "reconcile:key_mismatch",
            f"层次不一致：录取数据为 专科（{reg10.at[v, 'ZYMC']}），注册上报为 本科",
        )

    v = vic.take()
    reg10.at[v, "XM"] = reg10.at[v, "XM"] + "A"
    plant.add(
        R,
        v,
        "XM",
        "name_latin_letter",
        "validate:XM_INVALID_CHAR",
        f"姓名“{reg10.at[v, 'XM']}”含拉丁字母（为区分同名学生加的后缀）",
    )
    plant.add(
        R,
        v,
        "XM",
        "name_latin_letter",
        "reconcile:key_mismatch",
        f"注册姓名“{reg10.at[v, 'XM']}”与录取姓名“{adm10.at[v, 'XM']}”不同",
    )
    plant.add(
        A,
        v,
        "XM",
        "name_latin_letter",
        "reconcile:key_mismatch",
        f"录取姓名“{adm10.at[v, 'XM']}”与注册姓名“{reg10.at[v, 'XM']}”不同",
    )

    v = vic.take()
    reg10.at[v, "KSH"] = ""
    plant.add(R, v, "KSH", "missing_ksh", "validate:REQUIRED_EMPTY", "必填字段 考生号 为空")
    plant.add(
        R,
        v,
        "KSH",
        "missing_ksh",
        "reconcile:missing_key",
        lambda rowof, v=v: f"考生号为空；按身份证号可找到录取名单第 {rowof(A, v)} 行",
    )
    plant.add(
        A,
        v,
        "KSH",
        "missing_ksh",
        "reconcile:key_mismatch",
        lambda rowof, v=v: f"注册上报里没有这个考生号；按身份证号找到注册上报第 {rowof(R, v)} 行，那一行考生号为空",
    )

    # -- registration record without any admission record ------------------------------------------
    extra = _registration_view(rec_x)
    extra.at[900_000, "XH"] = extra.at[900_000, "XH"][:-2] + "98"
    plant.add(
        R,
        900_000,
        "KSH",
        "not_admitted",
        "reconcile:not_admitted",
        "注册上报有这条记录，录取数据里没有：考生号、身份证号、姓名+出生日期都找不到对应记录，"
        "考生号也不是任何录取考生号改一位或颠倒两位的结果",
    )

    # -- admitted but not registered -----------------------------------------------------------
    states = [
        ("保留入学资格", "应征入伍，保留入学资格"),
        ("保留入学资格", "因病申请保留入学资格"),
        ("放弃入学资格", "复读"),
        ("放弃入学资格", "出国留学"),
        ("取消入学资格", "入学复查不合格"),
        (None, ""),
        (None, ""),
    ]
    status_of = {}
    for state, why in states:
        v = vic.take()
        status_of[v] = (state, why)
        label = state or "none"
        desc = (
            f"录取后未注册；新生状态名单中为“{state}”（{why}）"
            if state
            else "录取后未注册，也不在新生状态名单中（状态未知）"
        )
        plant.add(A, v, "KSH", "not_registered", f"reconcile:not_registered/{label}", desc)
    not_reg = list(status_of)

    # -- other content rules --------------------------------------------------------------------
    v = vic.take()
    reg10.at[v, "ZYMC"] = ""
    plant.add(R, v, "ZYMC", "required_empty", "validate:REQUIRED_EMPTY", "必填字段 专业名称 为空")
    v = vic.take(lambda r: reg10.at[r, "MZ"] == "汉族")
    reg10.at[v, "MZ"] = "汗族"
    plant.add(R, v, "MZ", "mz_invalid", "validate:CODE_INVALID", "民族“汗族”不在民族代码表中（应为 汉族）")
    reg10.at[maonan_rid, "MZ"] = "毛难族"
    plant.add(
        R,
        maonan_rid,
        "MZ",
        "mz_old_name",
        "validate:CODE_DEPRECATED",
        "民族写作旧称“毛难族”，现名“毛南族”（代码 36）：应接受并提示改用新名称",
    )
    v = vic.take(lambda r: reg10.at[r, "XZ"] == "4")
    reg10.at[v, "XZ"] = "4年"
    plant.add(R, v, "XZ", "xz_invalid", "validate:CODE_INVALID", "学制“4年”不在学制代码表中（应为 4）")
    v = vic.take()
    reg10.at[v, "RXRQ"] = f"{year}0931"
    plant.add(R, v, "RXRQ", "date_invalid", "validate:DATE_INVALID", f"入学日期 {year}0931 不是有效日期")
    v = vic.take()
    reg10.at[v, "XXXS"] = "函授"
    plant.add(
        R,
        v,
        "XXXS",
        "xxxs_category",
        "validate:XXXS_CATEGORY",
        "普通本专科（学历类别 10）的学习形式填成了“函授”（录取数据为普通全日制；类别 10 比对不含学习形式，"
        "所以核对结果仍是 matched）",
    )

    for r in special_rids:
        what = "普通专升本" if rec10.at[r, "KIND"] == "zsb" else "五年一贯制"
        for f in (A, R):
            plant.add(
                f,
                r,
                "KSH",
                "special_ksh",
                "validate:KSH_SPECIAL",
                f"{what}学生的考生号 {rec10.at[r, 'KSH']} 由学校按统一规则编制（18 位：院校代码+年份+类别+序号），"
                "应识别为特殊类别，不是错误",
            )
        plant.add(R, r, "KSH", "special_ksh", "reconcile:matched", f"{what}学生，录取与注册一致")

    # -- category 50 ---------------------------------------------------------------------------
    A5, R5 = FILE_ADMISSION_50, FILE_REGISTRATION_50
    vic50 = _Victims(rng, rec50.index.to_numpy())
    v = old_adult + 100_000 - n10 - 1
    vic50.exclude([v])
    sf = reg50.at[v, "SFZH"]
    id15 = sf[:6] + sf[8:17]
    reg50.at[v, "SFZH"] = id15
    plant.add(
        R5,
        v,
        "SFZH",
        "id_15_digit",
        "validate:SFZH_15",
        f"15 位旧身份证号，应报告并给出 18 位号码 {sf}（录取数据中是 18 位）",
    )
    v = vic50.take(lambda r: reg50.at[r, "XXXS"] == "函授")
    reg50.at[v, "XXXS"] = "业余"
    for f in (A5, R5):
        plant.add(
            f,
            v,
            "XXXS",
            "xxxs_mismatch",
            "reconcile:key_mismatch",
            "学习形式不一致：录取数据为 函授，注册上报为 业余（成人本专科要比对学习形式）",
        )
    v = vic50.take()
    plant.add(A5, v, "KSH", "not_registered", "reconcile:not_registered", "录取后未注册（成人本专科没有新生状态名单）")
    reg50 = reg50.drop(index=[v])

    # -- assemble the files ----------------------------------------------------------------------
    reg10 = reg10.drop(index=not_reg)
    reg10 = reg10.sort_values("XH", kind="stable")
    reg10 = pd.concat([reg10, copy, extra])
    adm10 = adm10.sort_values("KSH", kind="stable")
    st = adm10[["KSH", "XM", "SFZH"]].copy()
    st["ZT"] = "报到入学"
    st["BZ"] = ""
    for r, (state, why) in status_of.items():
        if state:
            st.at[r, "ZT"] = state
            st.at[r, "BZ"] = why
    st = st.drop(index=[r for r, (state, _) in status_of.items() if state is None])
    adm50 = adm50.sort_values("KSH", kind="stable")
    reg50 = reg50.sort_values("XH", kind="stable")

    photo = reg10.loc[reg10.index.isin(photo_rids), ["KSH", "SFZH", "XM", "BH"]].copy()
    photo["ROW"] = [reg10.index.get_loc(r) + 1 for r in photo.index]
    files = {A: adm10, R: reg10, FILE_STATES_10: st, A5: adm50, R5: reg50}
    layouts = {
        A: "chsi_admission",
        R: "chsi_registration",
        FILE_STATES_10: "chsi_new_student_status",
        A5: "chsi_admission",
        R5: "chsi_registration",
    }
    enc = {A: "gbk", R: "gb18030", FILE_STATES_10: "gbk", A5: "gbk", R5: "gbk"}
    keys = {f: "KSH" for f in files}
    return HeiSample(files=files, layouts=layouts, encodings=enc, planted=plant, photo_roster=photo, keys=keys)


# ---------------------------------------------------------------------------------------------------
# K-12 samples: a county's rosters for two terms, changes, graduates and the next stage's intake
# ---------------------------------------------------------------------------------------------------

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


@dataclass
class K12Sample:
    files: dict[str, pd.DataFrame]
    layouts: dict[str, str]
    planted: _Planted = field(repr=False)
    numeric_cells: dict[str, dict] = field(default_factory=dict)  # file -> {(rid, field): number}
    keys: dict[str, str] = field(default_factory=dict)


def _grade_window(g: np.ndarray, year: int = TERM_YEAR) -> tuple[np.ndarray, np.ndarray]:
    """Birth window of pupils in school year ``year`` at level g (1 = 小学一年级 … 12 = 高三): they are at
    least 6 on 31 August of the year they start grade 1."""
    start = year - (g - 1)  # the autumn this cohort started grade 1
    return _days(start - 7, 9, 1), _days(start - 6, 8, 31)


def _phones(rng, n) -> pa.Array:
    head = np.array([13, 15, 18, 19])[rng.integers(0, 4, n)]
    return _cat(_num_text(head, 2), _num_text(rng.integers(0, 10**9, n), 9))


def _given(rng, male) -> pa.Array:
    n = len(male)
    both = GIVEN_MALE + GIVEN_FEMALE
    c1 = np.where(male, rng.integers(0, len(GIVEN_MALE), n), rng.integers(0, len(GIVEN_FEMALE), n) + len(GIVEN_MALE))
    c2 = np.where(male, rng.integers(0, len(GIVEN_MALE), n), rng.integers(0, len(GIVEN_FEMALE), n) + len(GIVEN_MALE))
    return _cat(_take(both, c1), _take(both, c2))


def _address(rng, n) -> pa.Array:
    town = rng.integers(0, len(TOWNS), n)
    urban = rng.random(n) < 0.55
    street = _cat(_take(STREETS, rng.integers(0, len(STREETS), n)), _int_text(rng.integers(1, 300, n)), "号")
    village = _cat(_take(VILLAGES, rng.integers(0, len(VILLAGES), n)), _int_text(rng.integers(1, 12, n)), "组")
    return _cat(COUNTY_TEXT, _take(TOWNS, town), pc.if_else(pa.array(urban), street, village))


def _j_number(area, ymd, seq) -> list[str]:
    """J 学籍号: J + 6-digit area + 8-digit birth date + 3-digit sequence + GB 11643 check character."""
    return ["J" + s for s in make_ids(np.asarray(area, np.int64), np.asarray(ymd, np.int64), seq).tolist()]


def _k12_people_frame(rng, people: pd.DataFrame, g: np.ndarray, kind: np.ndarray, migrant: np.ndarray) -> pd.DataFrame:
    """Person-level K-12 columns (identity, family, address), school-independent."""
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
    addr = _str(_address(rng, n)).to_numpy()
    male = people["XB"].to_numpy() == 1
    xm = people["XM"]
    sur = pc.if_else(
        pc.is_in(pa.array(xm.str.slice(0, 2)), pa.array(COMPOUND_SURNAMES)),
        pa.array(xm.str.slice(0, 2)),
        pa.array(xm.str.slice(0, 1)),
    )
    father = _cat(sur, _given(rng, np.ones(n, bool)))
    mother = _cat(_take(SURNAMES, _choice(rng, n, SURNAME_P)), _given(rng, np.zeros(n, bool)))
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


def _school_columns(df: pd.DataFrame, school: int, nj: str, bj: int, pos, rxny: str, rng) -> None:
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


def make_k12(seed: int = SAMPLE_SEED, class_size: tuple[int, int] = (31, 37)) -> K12Sample:
    """A county's K-12 sample: rosters for 2025秋 and 2026春 (~1,500 pupils each, 8 schools), the change
    list of the spring term, the 2026 graduates (小学六年级 and 初三) and the 2026秋 intake of the next
    stage, with every planted problem of the validation and comparison issues."""
    rng = np.random.default_rng([seed, 12])
    # -- classes of the autumn term ----------------------------------------------------------------
    slots = []  # (school, nj, level g, class number, size)
    for s, (_, _, stage, ncls, _) in enumerate(K12_SCHOOLS):
        for nj in STAGE_GRADES[stage]:
            g = int(nj[1]) + {"小学": 0, "初中": 6, "高中": 9}[stage]
            for c in range(1, ncls + 1):
                slots.append((s, nj, g, c, int(rng.integers(class_size[0], class_size[1] + 1))))
    n_roster = sum(x[4] for x in slots)
    slot_of = np.repeat(np.arange(len(slots)), [x[4] for x in slots])
    g_roster = np.array([slots[i][2] for i in slot_of])
    # extra people: 复学 (初二), 2 转入 (小学三/四年级), 1 unexplained new pupil (小学二年级),
    # 8 intake pupils from outside the county (4 into 初一, 4 into 高一)
    g_extra = np.array([8, 3, 4, 2, 6, 6, 6, 6, 9, 9, 9, 9])
    g_all = np.concatenate([g_roster, g_extra])
    n_all = len(g_all)
    lo, hi = _grade_window(g_all)
    older = rng.random(n_all) < 0.03
    lo, hi = np.where(older, lo - 365, lo), np.where(older, hi - 365, hi)
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
    people = make_people(
        n_all,
        rng=rng,
        birth_lo=lo,
        birth_hi=hi,
        mz_p=MZ_P_K12,
        minority_regions=False,
        rare_rate=0.01,
        unique_names=True,
        preset={"area": areas},
    )
    kind = np.array(["G", "L", "Z"])[_choice(rng, n_all, [0.95, 0.03, 0.02])].astype(object)
    kind[np.flatnonzero(g_all[:n_roster] < 10)[rng.choice(int((g_all[:n_roster] < 10).sum()), 2, replace=False)]] = (
        np.array(["HK", "TW"])
    )
    base = _k12_people_frame(rng, people, g_all, kind.astype(str), migrant)
    base.index = pd.RangeIndex(0, n_all)

    roster = base.iloc[:n_roster].copy()
    for col in ("XXBSM", "XXMC", "NJ", "BJ", "BNXH", "RXNY", "RXFS", "JDFS", "XSLY"):
        roster[col] = ""
    start = 0
    for s, nj, g, c, size in slots:
        part = roster.iloc[start : start + size].copy()
        stage_first = {"小学": 1, "初中": 7, "高中": 10}[K12_SCHOOLS[s][2]]
        _school_columns(part, s, nj, c, range(1, size + 1), f"{TERM_YEAR - (g - stage_first)}09", rng)
        roster.iloc[start : start + size] = part[roster.columns]
        start += size
    roster = roster[list(K12_FIELDS)]
    level = pd.Series(g_roster, index=roster.index)
    kinds = pd.Series(kind[:n_roster].astype(str), index=roster.index)

    plant = _Planted()
    old = roster.copy()
    grad_grade = roster["NJ"].isin(["16", "23"])
    vic = _Victims(rng, roster.index[(kinds == "G") & ~grad_grade].to_numpy())
    both: list[tuple] = []  # validation problems present in both terms: (rid, field, problem, expected, desc)

    # -- validation problems (both terms) ----------------------------------------------------------
    for r in roster.index[kinds.isin(["HK", "TW"])]:
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

    z_rids = roster.index[(kinds == "Z") & ~grad_grade].tolist()
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
                (
                    lambda o: (
                        lambda rowof, f: (
                            f"无身份证件号的学生中 姓名+性别+出生日期 与第 {rowof(f, o)} 行"
                            "（另一所学校）相同，疑似重复学籍"
                        )
                    )
                )(o),
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

    # -- what happens between the terms ------------------------------------------------------------
    new = old.copy()
    changes = []  # (rid, school index, YDLB, YDRQ, DFXX, YDYY)
    dates = iter(
        sorted(
            int(x)
            for x in _ymd(rng.choice(np.arange(_days(TERM_YEAR, 12, 1), _days(TERM_YEAR + 1, 3, 6)), 20, replace=False))
        )
    )
    school_idx = {s[0]: i for i, s in enumerate(K12_SCHOOLS)}

    def sidx(r, frame):
        return school_idx[frame.at[r, "XXBSM"]]

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
    outside = {"小学": "湖北省武汉市武昌区某小学", "初中": "广东省广州市天河区某中学", "高中": "江西省南昌市某中学"}
    explained = [
        ("转出", "小学", "随父母工作调动"),
        ("转出", "初中", "随父母外出务工"),
        ("退学", "高中", "本人及家长申请退学"),
        ("死亡", None, "因病死亡"),
        ("休学", None, "因病休学一年"),
    ]
    removed_expl = []
    for what, stage, why in explained:
        v = vic.take(lambda r, stage=stage: stage is None or K12_SCHOOLS[sidx(r, old)][2] == stage)
        removed_expl.append(v)
        changes.append((v, sidx(v, old), what, next(dates), outside[stage] if what == "转出" else "", why))
        plant.add(
            FILE_ROSTER_OLD,
            v,
            "XJH",
            "removed_explained",
            f"compare:removed_explained/{what}",
            f"2026春 名单中没有这名学生，异动名单有“{what}”记录（{why}）",
        )
    new = new.drop(index=removed_unexpl + removed_expl)

    # class change within a 初中 (two classes per grade)
    v = vic.take(lambda r: K12_SCHOOLS[sidx(r, old)][3] == 2 and old.at[r, "BJ"] == "1班")
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
    v = vic.take(lambda r: K12_SCHOOLS[sidx(r, old)][2] == "小学")
    s_old = sidx(v, old)
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
    v = vic.take(lambda r: not old.at[r, "SFZJH"].endswith("X") and K12_SCHOOLS[sidx(r, old)][2] == "小学")
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
    # 重复学籍: the same pupil also entered by a second school (转入 recorded there, no 转出 at the first)
    v = vic.take(lambda r: K12_SCHOOLS[sidx(r, old)][2] == "小学")
    s_a = sidx(v, old)
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
        txt = (
            lambda o: (
                lambda rowof: (
                    f"同一学生同时在两所学校有学籍（另一条在第 {rowof(FILE_ROSTER_NEW, o)} 行）："
                    f"{K12_SCHOOLS[s_b][1]} 登记了转入，{K12_SCHOOLS[s_a][1]} 没有转出"
                )
            )
        )(o)
        for f in (FILE_ROSTER_NEW, FILE_ROSTER_CSV):
            plant.add(f, r, "SFZJH", "duplicate_enrolment", "validate:SFZH_DUPLICATE", txt)
        plant.add(FILE_ROSTER_NEW, r, "XJH", "duplicate_enrolment", "compare:duplicate_key", txt)

    # additions: 复学, two 转入 from outside the county, one pupil added without any record
    extra = base.iloc[n_roster:].copy()
    extra_rows = []
    for k, (what, s, why) in enumerate(
        [("复学", 4, "休学期满复学"), ("转入", 0, "随父母迁入"), ("转入", 1, "随父母迁入"), (None, 2, "")]
    ):
        rid = n_roster + k
        g = int(g_extra[k])
        row = extra.loc[[rid]].copy()
        stage = K12_SCHOOLS[s][2]
        stage_first = {"小学": 1, "初中": 7, "高中": 10}[stage]
        nj = STAGE_GRADES[stage][g - stage_first]
        _school_columns(row, s, nj, 1, [41], f"{TERM_YEAR - (g - stage_first)}09", rng)
        if what == "转入":
            row["RXNY"] = f"{TERM_YEAR + 1}02"
        extra_rows.append(row[list(K12_FIELDS)])
        if what:
            changes.append((rid, s, what, next(dates), outside[stage] if what == "转入" else "", why))
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
    new = pd.concat([new, dup] + extra_rows)

    # validation problems go into both terms' rosters (and the CSV copy)
    primary = {s[0] for s in K12_SCHOOLS if s[2] == "小学"}
    for r, fld, problem, expected, desc in both:
        for f in (
            (FILE_ROSTER_OLD, FILE_ROSTER_NEW, FILE_ROSTER_CSV)
            if old.at[r, "XXBSM"] in primary
            else (FILE_ROSTER_OLD, FILE_ROSTER_NEW)
        ):
            d = (lambda desc, f: lambda rowof: desc(rowof, f))(desc, f) if callable(desc) else desc
            plant.add(f, r, fld, problem, expected, d)

    order_cols = ["XXBSM", "NJ", "BJ", "BNXH"]
    old = _apply_labels(old.sort_values(order_cols, kind="stable"))
    new = _apply_labels(new.sort_values(order_cols, kind="stable"))
    # -- change list ---------------------------------------------------------------------------
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

    # -- graduates and the next stage's intake ---------------------------------------------------
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
    go = grad.drop(index=nowhere)
    to_school = {0: 4, 1: 4, 2: 5, 3: 5}
    target = np.array(
        [to_school[school_idx[x]] if school_idx[x] < 4 else 6 + int(rng.integers(0, 2)) for x in go["XXBSM"]]
    )
    outsiders = base.iloc[n_roster + 4 :].copy()
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
    intake = _apply_labels(intake.sort_values(order_cols, kind="stable"))

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


# ---------------------------------------------------------------------------------------------------
# Photos (图像校对): a folder of JPGs named by ID number, with planted problems
# ---------------------------------------------------------------------------------------------------

PHOTO_SIZE = (358, 441)  # 2-inch ID photo at about 300 dpi
PHOTO_DIR = "hei/photos"


def _face(rng, w: int = PHOTO_SIZE[0], h: int = PHOTO_SIZE[1]):
    """A plain face-like drawing on the blue background of Chinese ID photos (deterministic)."""
    from PIL import Image, ImageDraw

    bg = tuple(int(x) for x in np.array([67, 142, 219]) + rng.integers(-8, 9, 3))
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    sx, sy = w / 358, h / 441
    skin = tuple(int(x) for x in np.array([236, 200, 170]) + rng.integers(-25, 10, 3))
    hair = tuple(int(x) for x in np.array([30, 25, 22]) + rng.integers(0, 25, 3))
    shirt = [(245, 245, 245), (40, 50, 80), (20, 20, 20), (120, 30, 40)][int(rng.integers(0, 4))]
    lw = max(1, int(round(3 * sx)))
    d.ellipse([40 * sx, 340 * sy, 318 * sx, 560 * sy], fill=shirt)
    d.rectangle([150 * sx, 280 * sy, 208 * sx, 360 * sy], fill=skin)
    hw = int(rng.integers(0, 25))
    d.ellipse([(92 - hw) * sx, 60 * sy, (266 + hw) * sx, (250 + hw * 2) * sy], fill=hair)
    d.ellipse([105 * sx, 95 * sy, 253 * sx, 300 * sy], fill=skin)
    d.chord([100 * sx, 70 * sy, 258 * sx, 190 * sy], 180, 360, fill=hair)
    ey = 180 + int(rng.integers(-6, 7))
    for ex in (148, 210):
        d.ellipse([(ex - 10) * sx, (ey - 6) * sy, (ex + 10) * sx, (ey + 6) * sy], fill=(250, 250, 250))
        d.ellipse([(ex - 5) * sx, (ey - 5) * sy, (ex + 5) * sx, (ey + 5) * sy], fill=(40, 30, 25))
        d.line([(ex - 14) * sx, (ey - 16) * sy, (ex + 12) * sx, (ey - 18) * sy], fill=hair, width=lw + 1)
    d.line(
        [179 * sx, (ey + 10) * sy, 174 * sx, (ey + 42) * sy, 184 * sx, (ey + 44) * sy],
        fill=tuple(max(0, c - 40) for c in skin),
        width=lw,
    )
    my = ey + 70
    d.arc([158 * sx, (my - 12) * sy, 200 * sx, (my + 8) * sy], 20, 160, fill=(170, 80, 80), width=lw)
    d.ellipse([100 * sx, (ey + 5) * sy, 110 * sx, (ey + 40) * sy], fill=skin)
    d.ellipse([248 * sx, (ey + 5) * sy, 258 * sx, (ey + 40) * sy], fill=skin)
    return im


def _jpeg_bytes(im, quality: int = 75) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def make_photos(
    out_dir,
    roster: pd.DataFrame,
    seed: int = SAMPLE_SEED,
    *,
    roster_file: str = FILE_REGISTRATION_10,
    taken_ids=(),
    photo_dir: str = PHOTO_DIR,
) -> pd.DataFrame:
    """Write a photo folder for ``roster`` (columns KSH, SFZH, ROW = row in ``roster_file``) into
    ``out_dir/photo_dir`` and return the planted problems (columns of planted.csv).

    Every roster member gets ``<SFZH>.jpg`` (358×441, about 10 KB) except the planted cases: two members
    without a photo, a photo matching nobody, a second copy of one member's photo (" - 副本.jpg", as
    Windows names a copy), a PNG renamed .jpg, an undersized image (120×147), an oversized file (~150 KB)
    and a truncated, unreadable JPG. One member's photo has the upper-case extension .JPG (must be
    accepted)."""
    from PIL import Image

    rng = np.random.default_rng([seed, 30])
    folder = Path(out_dir) / photo_dir
    folder.mkdir(parents=True, exist_ok=True)
    members = roster.sort_values("ROW")
    order = list(members.index[rng.permutation(len(members))])
    roles = ["missing", "missing", "duplicate", "png", "small", "large", "truncated", "upper"]
    role_of = {rid: role for rid, role in zip(order, roles)}
    planted = []

    def add(file, row, key, problem, expected, desc):
        planted.append((file, row, key, "照片", problem, expected, desc))

    for rid, m in members.iterrows():
        role = role_of.get(rid, "ok")
        sfzh, ksh, row = m["SFZH"], m["KSH"], int(m["ROW"])
        im = _face(rng)
        name = f"{photo_dir}/{sfzh}.jpg"
        if role == "missing":
            add(
                roster_file,
                row,
                ksh,
                "photo_missing",
                "photo:PHOTO_MISSING",
                f"班级 {m['BH']} 的这名学生没有照片（照片目录中没有 {sfzh}.jpg）",
            )
            continue
        data = _jpeg_bytes(im)
        if role == "png":
            buf = io.BytesIO()
            im.save(buf, "PNG")
            data = buf.getvalue()
            add(
                name,
                "",
                ksh,
                "photo_png_renamed",
                "photo:PHOTO_NOT_JPEG",
                "文件扩展名是 .jpg，内容却是 PNG 图片（改了扩展名的 PNG）",
            )
        elif role == "small":
            data = _jpeg_bytes(_face(rng, 120, 147))
            add(
                name, "", ksh, "photo_too_small", "photo:PHOTO_TOO_SMALL", "照片只有 120×147 像素，远小于正常的 358×441"
            )
        elif role == "large":
            arr = np.asarray(im).astype(np.int16) + rng.integers(-30, 31, (im.height, im.width, 3))
            data = _jpeg_bytes(Image.fromarray(arr.clip(0, 255).astype(np.uint8)), quality=98)
            add(
                name,
                "",
                ksh,
                "photo_file_too_large",
                "photo:PHOTO_FILE_TOO_LARGE",
                f"照片文件 {len(data) // 1024} KB，是正常照片（约 10 KB）的十几倍，超过建议上限 100 KB",
            )
        elif role == "truncated":
            data = data[: len(data) // 3]
            add(
                name,
                "",
                ksh,
                "photo_truncated",
                "photo:PHOTO_UNREADABLE",
                "JPG 文件被截断（只有前三分之一），无法读出完整图像",
            )
        elif role == "upper":
            name = f"{photo_dir}/{sfzh}.JPG"
            add(name, "", ksh, "photo_upper_ext", "photo:OK", "扩展名为大写 .JPG，照片正常，不应报错")
        elif role == "duplicate":
            copy_name = f"{photo_dir}/{sfzh} - 副本.jpg"
            (Path(out_dir) / copy_name).write_bytes(_jpeg_bytes(_face(rng)))
            add(
                copy_name,
                "",
                ksh,
                "photo_duplicate",
                "photo:PHOTO_DUPLICATE",
                f"同一学生有两张照片：{sfzh}.jpg 和 {sfzh} - 副本.jpg（两张内容不同）",
            )
        (Path(out_dir) / name).write_bytes(data)
    # a photo that belongs to nobody on the roster
    taken = set(taken_ids) | set(roster["SFZH"])
    seq = 301
    while True:
        stranger = make_ids([K12_COUNTY], [20070615], [seq]).iloc[0]
        if stranger not in taken:
            break
        seq += 2
    name = f"{photo_dir}/{stranger}.jpg"
    (Path(out_dir) / name).write_bytes(_jpeg_bytes(_face(rng)))
    add(name, "", "", "photo_unmatched", "photo:PHOTO_UNMATCHED", "照片文件名是一个有效身份证号，但名单里没有这个人")
    return pd.DataFrame(planted, columns=list(PLANTED_COLUMNS))


# ---------------------------------------------------------------------------------------------------
# Scale: million-row frames and files for benchmarks (vectorised; nothing here is committed)
# ---------------------------------------------------------------------------------------------------


_NATIONAL: list = []


def _national_areas() -> np.ndarray:
    """Every county-level code of the built-in GB/T 2260 table (package file, not a user override), so that
    10,000,000 people still get unique 考生号 and ID numbers. Falls back to the embedded AREAS."""
    if not _NATIONAL:
        from ..schema.codes import BUILTIN_DIR

        path = BUILTIN_DIR / "xzqh.csv"
        try:
            codes = pd.read_csv(path, dtype=str)["code"]
            codes = codes[codes.str.fullmatch(r"\d{6}")].astype(np.int64)
            codes = codes[(codes % 100 != 0) & ~(codes // 10000).isin([71, 81, 82])]
            arr = np.sort(codes.to_numpy())
        except (OSError, KeyError, ValueError):
            arr = np.array([a for a, _ in AREAS], np.int64)
        _NATIONAL.append(arr if len(arr) else np.array([a for a, _ in AREAS], np.int64))
    return _NATIONAL[0]


def _scale_records(rng, n: int, category: str, year: int) -> pd.DataFrame:
    if category == "10":
        age = _ages(rng, n, {17: 0.1, 18: 0.5, 19: 0.32, 20: 0.08})
        majors = MAJORS_10
    else:
        age = np.minimum(18 + np.floor(rng.gamma(2.0, 4.5, n)).astype(np.int64), 45)
        majors = MAJORS_50
    lo, hi = _age_window(age, year)
    people = make_people(
        n,
        rng=rng,
        birth_lo=lo,
        birth_hi=hi,
        areas=_national_areas(),
        mz_p=MZ_P_HEI,
        minority_regions=False,
        rare_rate=0.01,
    )
    major = _choice(rng, n, [m[7] for m in majors])
    return _hei_records(rng, people, category, major, np.full(n, "normal"), year)


def make_registration_frame(n: int, seed: int = 1, *, year: int = YEAR, category: str = "10") -> pd.DataFrame:
    """``n`` clean registration records (chsi_registration layout, text values), vectorised.

    People come from every county of the built-in GB/T 2260 table; 考生号 and ID numbers are unique.
    About 1,000,000 records take a few seconds; 10,000,000 fit in memory on a 24 GB machine.
    """
    rng = np.random.default_rng([seed, 100])
    rec = _scale_records(rng, n, category, year)
    return _registration_view(rec).reset_index(drop=True)


PAIR_MIX = (
    ("name_typo", 0.25),
    ("ksh_swap", 0.15),
    ("key_field", 0.10),
    ("not_registered", 0.20),
    ("not_admitted", 0.15),
    ("duplicate_key", 0.05),
    ("missing_key", 0.05),
    ("name_placeholder", 0.05),
)


def make_registration_pair(
    n: int, seed: int = 1, diff_rate: float = 0.03, *, year: int = YEAR, category: str = "10"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An admission list of ``n`` records (chsi_admission layout) and the matching registration upload
    (chsi_registration layout) with about ``diff_rate`` of the records made to differ, vectorised.

    The differences, in the proportions of ``PAIR_MIX``: a one-character name typo, two adjacent 考生号
    digits swapped, 层次 changed (学习形式 for category 50), admitted but not registered, registered but
    not admitted, a registration record entered twice, an empty 考生号, and an admission name with a
    ``??`` placeholder. The registration rows are shuffled. Both frames carry
    ``attrs["planted"]`` = {kind: count}.
    """
    rng = np.random.default_rng([seed, 101])
    k = int(round(n * diff_rate))
    counts = {name: int(round(k * share)) for name, share in PAIR_MIX}
    n_na = counts["not_admitted"]
    rec = _scale_records(rng, n + n_na, category, year)
    adm = _admission_view(rec.iloc[:n]).reset_index(drop=True)
    reg = _registration_view(rec).reset_index(drop=True)
    perm = rng.permutation(n)
    sel, start = {}, 0
    for name, _ in PAIR_MIX:
        if name == "not_admitted":
            continue
        sel[name] = np.sort(perm[start : start + counts[name]])
        start += counts[name]
    # one-character name typo in the registration
    i = sel["name_typo"]
    xm = reg["XM"].iloc[i]
    pool = np.array(GIVEN_MALE + GIVEN_FEMALE)
    pick = rng.integers(0, len(pool), len(i))
    last = xm.str.slice(-1).to_numpy()
    new_last = np.where(pool[pick] == last, pool[(pick + 1) % len(pool)], pool[pick])
    reg.loc[i, "XM"] = (xm.str.slice(0, -1) + pd.Series(new_last, index=xm.index, dtype="str")).to_numpy()
    # "??" placeholder in the admission name (the registration keeps the real character)
    i = sel["name_placeholder"]
    adm.loc[i, "XM"] = (adm["XM"].iloc[i].str.slice(0, -1) + "??").to_numpy()
    # two adjacent digits of the 考生号 swapped
    i = sel["ksh_swap"]
    ksh = reg["KSH"].iloc[i]
    out = ksh.copy()
    done = np.zeros(len(i), bool)
    for p in (12, 11, 10):
        a, b = ksh.str.slice(p, p + 1), ksh.str.slice(p + 1, p + 2)
        ok = (~done) & (a != b).to_numpy()
        swapped = ksh.str.slice(0, p) + b + a + ksh.str.slice(p + 2)
        out = out.where(~ok, swapped)
        done |= ok
    clash = pc.is_in(pa.array(out), value_set=pa.array(reg["KSH"])).to_numpy(zero_copy_only=False) | ~done
    reg.loc[i[~clash], "KSH"] = out[~clash].to_numpy()
    counts["ksh_swap"] = int((~clash).sum())
    # a key field differs: 层次 (category 10) or 学习形式 (category 50)
    i = sel["key_field"]
    if category == "50":
        reg.loc[i, "XXXS"] = reg["XXXS"].iloc[i].map({"函授": "业余", "业余": "函授", "脱产": "函授"}).to_numpy()
    else:
        reg.loc[i, "CC"] = reg["CC"].iloc[i].map({"本科": "专科", "专科": "本科"}).to_numpy()
    reg.loc[sel["missing_key"], "KSH"] = ""
    dups = reg.iloc[sel["duplicate_key"]]
    reg = reg.drop(index=sel["not_registered"])
    reg = pd.concat([reg, dups], ignore_index=True)
    reg = reg.take(rng.permutation(len(reg))).reset_index(drop=True)
    planted = dict(sorted(counts.items()))
    adm.attrs["planted"] = planted
    reg.attrs["planted"] = dict(planted)
    return adm, reg


def write_registration_dbf(n: int, path, seed: int = 1, *, deleted_rate: float = 0.005, chunk: int = 1_000_000) -> Path:
    """A registration-like DBF of ``n`` records (chsi_registration layout, GBK, code page 0x4D) with about
    ``deleted_rate`` of them marked deleted, for the loading benchmark. Written ``chunk`` rows at a time
    (each chunk through ``write_dbf``), then joined, so 10,000,000 records need no 4 GB record buffer."""
    import struct

    from ..io.dbf import write_dbf

    path = Path(path)
    frame = make_registration_frame(n, seed)
    deleted = np.random.default_rng([seed, 102]).random(n) < deleted_rate
    if n <= chunk:
        return write_dbf(frame, path, "chsi_registration", encoding="gbk", deleted=deleted, date=DBF_DATE)
    part = path.with_name(f".{path.name}.part")

    def write(out):
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            write_dbf(
                frame.iloc[start:stop],
                part,
                "chsi_registration",
                encoding="gbk",
                deleted=deleted[start:stop],
                date=DBF_DATE,
            )
            data = part.read_bytes()
            hlen = struct.unpack_from("<H", data, 8)[0]
            if start == 0:
                head = bytearray(data[:hlen])
                struct.pack_into("<L", head, 4, n)
                out.write(head)
            out.write(data[hlen:-1])  # records, without the 0x1A end-of-file mark
        out.write(b"\x1a")

    try:
        write_atomic(path, write)
    finally:
        if part.exists():
            part.unlink()
    return path


def make_roster_pair(
    n: int, seed: int = 1, change_rate: float = 0.03
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Two snapshots of a K-12 roster of ``n`` pupils (k12_student field codes, the main columns) and the
    change list between them, vectorised, for the comparison benchmark. About ``change_rate`` of the
    pupils differ: removed (half explained by a 转出 record), added (half explained by 转入), class changed,
    家庭地址 changed. ``attrs["planted"]`` on each frame = {kind: count}."""
    rng = np.random.default_rng([seed, 103])
    k = int(round(n * change_rate))
    n_add = k // 4
    total = n + n_add
    g = rng.integers(1, 13, total)
    lo, hi = _grade_window(g)
    hunan = _national_areas()
    hunan = hunan[hunan // 10000 == 43]
    people = make_people(total, rng=rng, birth_lo=lo, birth_hi=hi, areas=hunan, mz_p=MZ_P_K12, minority_regions=False)
    n_school = max(1, total // 600)
    school = rng.integers(0, n_school, total)
    stage = np.where(g <= 6, 0, np.where(g <= 9, 1, 2))
    nj = np.array([11, 12, 13, 14, 15, 16, 21, 22, 23, 31, 32, 33])[g - 1]
    s = _str
    frame = pd.DataFrame(
        {
            "XXBSM": s(_cat("21430", _num_text(school, 5))),
            "XXMC": s(_cat("合成学校", _num_text(school, 5), _take(["小学", "初级中学", "高级中学"], stage))),
            "XJH": s(_cat("G", pa.array(people["SFZH"]))),
            "XM": people["XM"],
            "XB": s(_take(["", "1", "2"], people["XB"].to_numpy())),
            "CSRQ": people["CSRQ"],
            "MZ": people["MZDM"],
            "SFZJLX": "1",
            "SFZJH": people["SFZH"],
            "NJ": s(_num_text(nj, 2)),
            "BJ": s(_cat(_int_text(rng.integers(1, 9, total)), "班")),
            "JTDZ": s(_address(rng, total)),
            "LXDH": s(_phones(rng, total)),
        }
    )
    old = frame.iloc[:n].reset_index(drop=True)
    new = old.copy()
    perm = rng.permutation(n)
    quarter = k // 4
    removed = np.sort(perm[:quarter])
    moved = np.sort(perm[quarter : 2 * quarter])
    changed = np.sort(perm[2 * quarter : 3 * quarter])
    new.loc[moved, "BJ"] = (new["BJ"].iloc[moved].str.slice(0, -1).astype(int) % 8 + 1).astype(str).to_numpy()
    new.loc[moved, "BJ"] = (new["BJ"].iloc[moved] + "班").to_numpy()
    new.loc[changed, "JTDZ"] = _str(_address(rng, len(changed))).to_numpy()
    added = frame.iloc[n:]
    new = pd.concat([new.drop(index=removed), added], ignore_index=True)
    new = new.take(rng.permutation(len(new))).reset_index(drop=True)
    out_rows = old.iloc[removed[: len(removed) // 2]]
    in_rows = added.iloc[: len(added) // 2]
    changes = pd.concat(
        [
            out_rows[["XXBSM", "XXMC", "XJH", "XM", "XB", "CSRQ", "SFZJH"]].assign(YDLB="转出"),
            in_rows[["XXBSM", "XXMC", "XJH", "XM", "XB", "CSRQ", "SFZJH"]].assign(YDLB="转入"),
        ],
        ignore_index=True,
    )
    changes["YDRQ"] = f"{TERM_YEAR + 1}0115"
    changes["DFXX"] = ""
    changes["YDYY"] = ""
    planted = {
        "removed": len(removed),
        "removed_explained": len(out_rows),
        "added": len(added),
        "added_explained": len(in_rows),
        "moved": len(moved),
        "changed": len(changed),
    }
    for f in (old, new, changes):
        f.attrs["planted"] = dict(planted)
    return old, new, changes


# ---------------------------------------------------------------------------------------------------
# Writing the committed samples
# ---------------------------------------------------------------------------------------------------

FILE_ORDER = (
    FILE_ADMISSION_10,
    FILE_REGISTRATION_10,
    FILE_STATES_10,
    FILE_ADMISSION_50,
    FILE_REGISTRATION_50,
    PHOTO_DIR,
    FILE_ROSTER_OLD,
    FILE_ROSTER_NEW,
    FILE_ROSTER_CSV,
    FILE_CHANGES,
    FILE_GRADUATES,
    FILE_INTAKE,
)
SHEET_NAMES = {
    FILE_ROSTER_OLD: "学生基础信息",
    FILE_ROSTER_NEW: "学生基础信息",
    FILE_GRADUATES: "毕业生",
    FILE_INTAKE: "新生",
    FILE_CHANGES: "学籍异动",
}
FILE_NOTES = {
    FILE_ADMISSION_10: "学历类别 10（普通本专科）教育部录取数据：{school}（虚构，院校代码 {code}）{year} 年录取的新生，"
    "含 5 名特殊类别（普通专升本 3 名、五年一贯制 2 名，考生号由学校编制）。代码值：XBDM 1/2、MZDM 两位、ZZMMDM 两位；"
    "层次、学习形式为文字。",
    FILE_REGISTRATION_10: "学历类别 10 新生学籍注册上报（学信网上传结构，文本值：男/女、汉族、共青团员…），按学号排序，"
    "末尾追加了 2 条（重复录入 1 条、录取数据中没有的 1 条）。含生僻字“䶮”，因此用 GB18030 编码写入"
    "（代码页标记仍为 0x4D）。",
    FILE_STATES_10: "学历类别 10 新生入学状态名单：报到入学 / 保留入学资格 / 放弃入学资格 / 取消入学资格；"
    "有 2 名未注册的新生不在名单中（状态未知）。",
    FILE_ADMISSION_50: "学历类别 50（成人本专科）录取数据：专科起点本科、高中起点本科、高中起点专科；学习形式 函授/业余/脱产。"
    "成人高考考生号第 9 位：5 专升本、4 高起本/高起专（本样例的约定）。",
    FILE_REGISTRATION_50: "学历类别 50 注册上报（学信网上传结构）。",
    PHOTO_DIR: "照片目录（图像校对）：只有 10_注册上报.dbf 中班号 {classes} 两个班的 {members} 名学生有照片，"
    "按身份证号命名（<身份证号>.jpg，358×441 像素，约 10 KB）。核对照片时请用这两个班的名单。",
    FILE_ROSTER_OLD: "示范县（虚构县名，行政区划代码借用真实的 430121）8 所学校（小学 4、初中 2、高中 2）2025 年秋季学期学生名单，"
    "全国中小学生学籍系统导入模板的表头。示范县第二高级中学 的 性别、民族 填的是汉字（男/女、汉族），其余学校填代码。",
    FILE_ROSTER_NEW: "同一县 2026 年春季学期学生名单：与 2025秋 比较有流失、转出、转入、调班、字段变化、重复学籍；"
    "有一个身份证件号单元格被 Excel 存成了数值。",
    FILE_ROSTER_CSV: "2026春 学生名单中 4 所小学部分的 CSV 副本（GBK 编码、逗号分隔、CRLF 换行，表头同模板），"
    "被 Excel 损坏的身份证件号在这里是科学计数法文本。",
    FILE_CHANGES: "2026 年春季学期学籍异动名单（转出、转入、退学、死亡、休学、复学），异动类别填汉字。",
    FILE_GRADUATES: "2026 届毕业生：2026春 名单中的小学六年级和初三学生。",
    FILE_INTAKE: "2026 年秋季下一学段新生：全县初中的初一新生和高中的高一新生（含县外来的新生），"
    "用来核对小升初、初升高的去向。",
}


def _write_xlsx(path: Path, frame: pd.DataFrame, layout: str, sheet: str, numeric: dict | None = None) -> None:
    import xlsxwriter

    from ..schema.layouts import load_layout

    lay = load_layout(layout)
    cols = list(frame.columns)
    headers = [lay.field(c).name for c in cols]
    numeric = {(frame.index.get_loc(rid) + 1, cols.index(fld)): v for (rid, fld), v in (numeric or {}).items()}
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
        general = wb.add_format({})
        ws = wb.add_worksheet(sheet)
        for j, h in enumerate(headers):
            ws.set_column(j, j, max(8, min(30, 2 * len(h) + 2)), text)
            ws.write_string(0, j, h, head)
        for i, row in enumerate(frame.to_numpy(dtype=object), start=1):
            for j, v in enumerate(row):
                if (i, j) in numeric:
                    ws.write_number(i, j, numeric[(i, j)], general)
                elif v is not None and v == v and v != "":
                    ws.write_string(i, j, str(v), text)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, len(frame), len(cols) - 1)
        wb.close()


def _write_csv(path: Path, frame: pd.DataFrame, layout: str, texts: dict | None = None, encoding: str = "gbk") -> None:
    from ..schema.layouts import load_layout

    lay = load_layout(layout)
    cols = list(frame.columns)
    texts = {(frame.index.get_loc(rid), cols.index(fld)): v for (rid, fld), v in (texts or {}).items()}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([lay.field(c).name for c in cols])
    for i, row in enumerate(frame.to_numpy(dtype=object)):
        w.writerow([texts.get((i, j), "" if v is None or v != v else v) for j, v in enumerate(row)])
    write_atomic(path, lambda fh: fh.write(buf.getvalue().encode(encoding)))


def _write_planted(path: Path, planted: pd.DataFrame) -> None:
    buf = io.StringIO()
    planted.to_csv(buf, index=False, lineterminator="\n")
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def _sort_planted(planted: pd.DataFrame) -> pd.DataFrame:
    def file_rank(f):
        for i, prefix in enumerate(FILE_ORDER):
            if f == prefix or f.startswith(prefix + "/"):
                return i
        return len(FILE_ORDER)

    p = planted.copy()
    p["_f"] = p["file"].map(file_rank)
    p["_r"] = pd.to_numeric(p["row"].replace("", np.nan), errors="coerce").fillna(0).astype(int)
    p = p.sort_values(["_f", "file", "_r", "field", "expected"], kind="stable").drop(columns=["_f", "_r"])
    return p.reset_index(drop=True)


def write_samples(out_dir="data_samples", seed: int = SAMPLE_SEED, n_hei: int = 1000, n_adult: int = 400) -> Path:
    """Write every sample file, ``planted.csv`` and ``README.md`` into ``out_dir`` (deterministic: the same
    seed gives byte-identical files). Only ``hei/``, ``k12/``, ``planted.csv`` and ``README.md`` inside
    ``out_dir`` are replaced; they are built in a temporary folder first and moved into place."""
    from ..io.dbf import write_dbf

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".samples-", dir=out))
    try:
        (tmp / "hei").mkdir()
        (tmp / "k12").mkdir()
        hei = make_hei(seed, n_hei, n_adult)
        inventory = []
        for f, frame in hei.files.items():
            write_dbf(frame.reset_index(drop=True), tmp / f, hei.layouts[f], encoding=hei.encodings[f], date=DBF_DATE)
            inventory.append((f, hei.layouts[f], len(frame), hei.encodings[f].upper()))
        taken = set().union(*(set(d["SFZH"]) for d in hei.files.values()))
        photos = make_photos(tmp, hei.photo_roster, seed, taken_ids=taken)
        n_photo_files = sum(1 for _ in (tmp / PHOTO_DIR).iterdir())
        inventory.append((PHOTO_DIR + "/", "JPG", n_photo_files, "—"))
        k12 = make_k12(seed)
        for f, frame in k12.files.items():
            if f.endswith(".csv"):
                _write_csv(tmp / f, frame, k12.layouts[f], k12.numeric_cells.get(f))
                inventory.append((f, k12.layouts[f], len(frame), "GBK"))
            else:
                _write_xlsx(tmp / f, frame, k12.layouts[f], SHEET_NAMES[f], k12.numeric_cells.get(f))
                inventory.append((f, k12.layouts[f], len(frame), "xlsx"))
        planted = _sort_planted(
            pd.concat(
                [hei.planted.resolve(hei.files, hei.keys), photos, k12.planted.resolve(k12.files, k12.keys)],
                ignore_index=True,
            )
        )
        _write_planted(tmp / "planted.csv", planted)
        notes = {
            PHOTO_DIR: FILE_NOTES[PHOTO_DIR].format(classes="、".join(PHOTO_CLASSES), members=len(hei.photo_roster))
        }
        (tmp / "README.md").write_bytes(_readme(inventory, planted, seed, notes).encode("utf-8"))
        for name in ("hei", "k12", "planted.csv", "README.md"):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            os.replace(tmp / name, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# The result codes used in planted.csv's ``expected`` column, with what each means (README legend).
EXPECTED_NOTES = {
    "validate:SFZH_CHECKSUM": "身份证号（证件号）校验位错误",
    "validate:SFZH_BIRTH_MISMATCH": "身份证号中的出生日期与出生日期字段不一致",
    "validate:SFZH_SEX_MISMATCH": "身份证号第 17 位（奇男偶女）与性别不一致",
    "validate:SFZH_BIRTH_INVALID": "身份证号中的出生日期不是有效日期",
    "validate:SFZH_AREA_UNKNOWN": "身份证号地址码的省级代码不存在",
    "validate:SFZH_LOWER_X": "末位校验码为小写 x",
    "validate:SFZH_FULLWIDTH": "号码中有全角字符",
    "validate:SFZH_SPACE": "号码中间或末尾有空格",
    "validate:SFZH_15": "15 位旧身份证号（报告并给出 18 位号码）",
    "validate:SFZH_DUPLICATE": "同一文件中身份证号重复（每一条都报）",
    "validate:KSH_DUPLICATE": "同一上报文件中考生号重复（每一条都报）",
    "validate:KSH_SPECIAL": "特殊类别考生号（学校编制，最长 18 位）：提示，不是错误",
    "validate:REQUIRED_EMPTY": "必填字段为空",
    "validate:XM_PLACEHOLDER": "姓名中有 ? 占位（字库缺字）",
    "validate:XM_INVALID_CHAR": "姓名含数字或拉丁字母",
    "validate:XM_SPACE": "姓名中间有空格",
    "validate:CODE_INVALID": "代码或名称不在代码表中",
    "validate:CODE_DEPRECATED": "旧名称（如 毛难族），接受但提示",
    "validate:DATE_INVALID": "日期不是有效日期",
    "validate:XXXS_CATEGORY": "学习形式与学历类别不符",
    "validate:XJH_G_MISMATCH": "G 学籍号与身份证件号不一致",
    "validate:XJH_J_CHECKSUM": "J 学籍号校验位错误",
    "validate:DUP_NAME_SEX_BIRTH": "无证件号学生 姓名+性别+出生日期 重复",
    "validate:AGE_GRADE_UNDER": "一年级学生到 8 月 31 日未满 6 周岁",
    "validate:SFZJLX_MISMATCH": "身份证件类型与证件号不符",
    "validate:OK": "这一行不应报任何问题",
}


def _md_cell(v) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _readme(inventory, planted: pd.DataFrame, seed: int, notes: dict) -> str:
    fmt = {"school": SCHOOL_NAME, "code": SCHOOL_CODE, "year": YEAR}
    lines = [
        "# data_samples — 合成样例数据",
        "",
        "> **本目录由 `xueji_lib/synth.py` 生成，请勿手工修改。** 修改生成器后运行 `xueji samples --out data_samples`"
        "（或 `make samples`）重新生成；测试 `tests/test_synth.py` 会检查本目录与生成器的输出逐字节一致。",
        "",
        "这里的文件采用真实的文件格式（学信网 DBF、全国中小学生学籍系统 Excel 模板），但**所有人物都是程序随机生成的，"
        "不含任何真实个人信息**：姓名、出生日期、身份证号顺序码、地址、电话都是随机的（电话号码可能碰巧与真实号码相同，"
        "请勿拨打）。行政区划代码是真实的县级代码，身份证号的校验位正确，所以干净记录能通过全部校验；"
        f"学校（{SCHOOL_NAME}、示范县各中小学）是虚构的。",
        "",
        f"生成参数：种子 `{seed}`；DBF 文件头日期固定为 {DBF_DATE:%Y-%m-%d}，Excel 创建时间固定为 {XLSX_DATE:%Y-%m-%d}，"
        "同一种子在任何机器上生成的文件逐字节相同。",
        "",
        "## 文件一览",
        "",
        "| 文件 | 版式（layout） | 记录数 | 编码 | 说明 |",
        "|---|---|---:|---|---|",
    ]
    for f, layout, n, enc in inventory:
        key = f.rstrip("/")
        note = notes.get(key, FILE_NOTES.get(key, "")).format(**fmt)
        lines.append(f"| `{f}` | {layout} | {n} | {enc} | {_md_cell(note)} |")
    lines += [
        "",
        "记录数：DBF 为有效记录数（样例中没有删除标记的记录），Excel/CSV 为数据行数（不含表头），照片目录为文件数。",
        "",
        "## 预置问题（`planted.csv`）",
        "",
        "`planted.csv`（UTF-8 带 BOM，Excel 可直接打开）每行是一个预置问题在某个文件中的一处表现，列为：",
        "",
        "- `file`：文件（照片问题为照片文件本身）；",
        "- `row`：行号，从 1 开始——DBF 为有效记录中的序号，Excel/CSV 为数据行序号（不含表头，即 Excel 中看到的行号减 1）；照片文件为空；",
        "- `key`：该行的考生号（高校）或学籍号（中小学）；",
        "- `field`：有问题的字段代码；",
        "- `problem_code`：预置的是哪种问题；",
        "- `expected`：正确的工具必须报告什么，格式为 `工具:结果`：",
        "  - `validate:规则代码` —— 校验（`xueji validate`）应在这一行报告该规则；`validate:OK` 表示这一行**不应**报任何问题；",
        "  - `reconcile:状态` —— 录取与注册核对（`xueji reconcile`）这一行的状态；`not_registered/状态` 中斜杠后为新生状态"
        "（`none` 表示不在状态名单中）；",
        "  - `compare:结果` —— 2025秋 与 2026春 名单对比（`xueji compare`，以学籍号为主键，异动名单为 `学籍异动_2026春.xlsx`）；"
        "`removed_explained/转出` 等斜杠后为解释它的异动类别；",
        "  - `handoff:not_enrolled` —— 毕业生在下一学段新生名单中找不到；",
        "  - `photo:…` —— 照片核对；`read:EXCEL_NUMBER_DAMAGED` —— 读取表格时（`read_table` 的读取提示）就应报告的损坏；",
        "- `description_zh`：问题说明。",
        "",
        "同一条记录可以有几行（例如重复录入的记录既是 `KSH_DUPLICATE` 又是 `duplicate_key`）。**没有列在这里的记录都是干净的**："
        "校验不应报错，核对结果为 matched，对比结果为 unchanged，毕业生都能在新生名单中找到。",
        "",
        "### 按结果汇总",
        "",
        "| 结果 | 处数 |",
        "|---|---:|",
    ]
    counts = planted["expected"].value_counts().sort_index()
    for k, v in counts.items():
        lines.append(f"| `{k}` | {v} |")
    lines += [
        "",
        "### 校验规则代码",
        "",
        "`validate:` 后面的规则代码是本样例约定的代码，校验模块应使用同样的代码（若改名，请同时改生成器）：",
        "",
        "| 代码 | 含义 |",
        "|---|---|",
    ]
    for k, v in EXPECTED_NOTES.items():
        if k in counts.index:
            lines.append(f"| `{k.split(':', 1)[1]}` | {v} |")
    lines += ["", "### 明细", "", "| 文件 | 行 | 键 | 字段 | 问题 | 应报告 | 说明 |", "|---|---:|---|---|---|---|---|"]
    for r in planted.itertuples(index=False):
        lines.append(
            f"| `{r.file}` | {r.row} | {_md_cell(r.key)} | {r.field} | {r.problem_code} | `{r.expected}` | "
            f"{_md_cell(r.description_zh)} |"
        )
    lines += [
        "",
        "## 重新生成",
        "",
        "```sh",
        "xueji samples --out data_samples      # 或：make samples",
        "```",
        "",
        "```python",
        "from xueji_lib.samples.synth import write_samples",
        f'write_samples("data_samples", seed={seed})',
        "```",
        "",
        "基准测试用的大文件（不提交）：`synth.write_registration_dbf(1_000_000, path)`、"
        "`synth.make_registration_pair(1_000_000)`、`synth.make_roster_pair(1_000_000)`。",
        "",
        "## English note",
        "",
        "Synthetic samples written by `xueji_lib.samples.synth.write_samples` (seed above); do not edit by hand. Every "
        "person is invented: real county area codes and valid GB 11643 check digits, random everything else. "
        "`planted.csv` lists every deliberately planted problem with the row it is in and what a correct tool "
        "must report (`validate:<RULE>`, `reconcile:<status>`, `compare:<result>`, `handoff:…`, `photo:…`, `read:…`); "
        "records not listed are clean. `tests/test_synth.py` re-derives each defect independently and checks that "
        "this folder equals a fresh `write_samples` run.",
        "",
    ]
    return "\n".join(lines)


def main_samples(argv=None) -> int:
    """``python -m xueji_lib.samples.synth --out data_samples [--seed N]``."""
    import argparse

    ap = argparse.ArgumentParser(description="生成合成样例数据")
    ap.add_argument("--out", default="data_samples")
    ap.add_argument("--seed", type=int, default=SAMPLE_SEED)
    args = ap.parse_args(argv)
    out = write_samples(args.out, seed=args.seed)
    print(f"样例文件已写入 {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main_samples())
