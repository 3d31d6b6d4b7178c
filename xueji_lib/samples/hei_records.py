"""Higher-education records, vectorised: people with their majors, 考生号, classes, 学号, 政治面貌 and remarks
(``_hei_records``), seen as an admission list (``_admission_view``, chsi_admission) or a registration upload
(``_registration_view``, chsi_registration). The committed samples (``hei``) and the benchmark inputs
(``scale``) are both made from them.

    >>> import numpy as np
    >>> from xueji_lib.samples.people import make_people
    >>> rng = np.random.default_rng(1)
    >>> rec = _hei_records(rng, make_people(5, rng=rng), "10", np.zeros(5, np.int64), np.full(5, "normal"))
    >>> list(_registration_view(rec).columns) == list(REGISTRATION_COLUMNS)
    True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import _ascii, _cat, _choice, _const, _days, _digits, _group_rank, _num_text, _str, _take
from .vocabulary import (
    MAJORS_10,
    MAJORS_50,
    MZ_LABEL,
    SCHOOL_CODE,
    SCHOOL_NAME,
    SCHOOL_ZSB_FROM,
    STATIONS_50,
    XXXS_50,
    YEAR,
    ZZMM_LABEL,
)

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


def _ksh14(rng: np.random.Generator, year: int, area: np.ndarray, d9: np.ndarray, kl: np.ndarray) -> np.ndarray:
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


def _pick_kl(rng: np.random.Generator, kl_text: np.ndarray) -> np.ndarray:
    """One 科类 digit per record from the major's allowed digits ("15" → 1 or 5)."""
    kl_text = np.asarray(kl_text).astype("S2")
    mat = np.frombuffer(kl_text.tobytes(), np.uint8).reshape(-1, 2)
    width = (mat != 0).sum(axis=1)
    pos = (rng.random(len(kl_text)) * width).astype(np.int64)
    return mat[np.arange(len(kl_text)), pos].astype(np.int64) - 48


def _ages(rng: np.random.Generator, n: int, table: dict[int, float]) -> np.ndarray:
    """``n`` ages drawn with the weights of ``table`` ({age: weight})."""
    return np.array(list(table))[_choice(rng, n, list(table.values()))]


def _hei_records(
    rng: np.random.Generator,
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
    _school_ksh(ksh, xz, kind, year)
    # classes: per major (and 学习形式 for category 50), in random order, at most 40 per class
    cls, pos = _class_places(rng, major_idx * 10 + xxxs_idx)
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
    kind_idx, bz_adm, bz_reg = _remarks(rng, kind, year)
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


def _school_ksh(ksh: pd.Series, xz: pd.Series, kind: np.ndarray, year: int) -> None:
    """The 18-digit 考生号 the school gives its 普通专升本 (类别 02) and 五年一贯制 (类别 05) students, written
    into ``ksh`` in place (院校代码 + year + 类别 + sequence); their 学制 in ``xz`` becomes 2."""
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


def _class_places(rng: np.random.Generator, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class number, place in the class) of each record: per group, in random order, at most 40 per class."""
    n = len(group)
    order = np.lexsort((rng.random(n), group))
    _, ginv = np.unique(group, return_inverse=True)
    counts = np.bincount(ginv)
    per_class = np.ceil(counts / np.ceil(counts / 40)).astype(np.int64)
    rank = np.empty(n, np.int64)
    rank[order] = _group_rank(ginv[order])
    cls = rank // per_class[ginv] + 1
    pos = rank % per_class[ginv] + 1
    return cls, pos


def _remarks(rng: np.random.Generator, kind: np.ndarray, year: int) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """(kind index 0 normal / 1 专升本 / 2 五年一贯制, admission BZ, registration BZ) of each record; a 专升本
    student's registration BZ names the 专科 school and a random 专升本 certificate number."""
    n = len(kind)
    kind_idx = np.select([kind == "zsb", kind == "wnyg"], [1, 2], 0)
    bz_adm = _take(["", "普通专升本", "五年一贯制"], kind_idx)
    zsbh = _cat("19998" + f"1{year}06", _num_text(rng.integers(1, 999999, n), 6))
    bz_reg = pc.if_else(
        pa.array(kind == "zsb"),
        _cat(f"原专科：{SCHOOL_ZSB_FROM}", zsbh),
        pc.if_else(pa.array(kind == "wnyg"), "五年一贯制", ""),
    )
    return kind_idx, bz_adm, bz_reg


def _admission_view(rec: pd.DataFrame) -> pd.DataFrame:
    out = rec[[c for c in ADMISSION_COLUMNS if c != "BZ"]].copy()  # BZ: the admission side's own remark
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
