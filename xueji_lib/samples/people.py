"""Synthetic people: names (Han names with realistic surname frequencies and rare characters; Uyghur-style
names with the middle dot), sex, birth dates, 民族, county codes and valid, unique GB 11643 ID numbers —
``make_people`` — plus the K-12 person details (phones, addresses, parents' given names, J 学籍号).

    >>> from xueji_lib.samples.people import make_people
    >>> p = make_people(3, seed=1)
    >>> list(p.columns)
    ['XM', 'XB', 'CSRQ', 'SFZH', 'AREA', 'MZDM', 'BIRTH']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.ids import check_bytes, make_ids
from .arrays import (
    _ascii,
    _cat,
    _choice,
    _date_text,
    _days,
    _digits,
    _group_rank,
    _int_text,
    _num_text,
    _str,
    _take,
    _ymd,
)
from .vocabulary import (
    AREAS,
    COUNTY_TEXT,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MIDDLE_DOT,
    MZ_P_HEI,
    MZ_REGION,
    RARE_FEMALE,
    RARE_MALE,
    SAMPLE_SEED,
    STREETS,
    SURNAME_P,
    SURNAMES,
    TOWNS,
    UYGHUR_FATHER,
    UYGHUR_FEMALE,
    UYGHUR_MALE,
    VILLAGES,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

# ---------------------------------------------------------------------------------------------------
# ID numbers (GB 11643)
# ---------------------------------------------------------------------------------------------------


def _id_matrix(area: ArrayLike, ymd: ArrayLike, seq: ArrayLike) -> np.ndarray:
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


def _unique_seq(rng: np.random.Generator, area: np.ndarray, ymd: np.ndarray, male: np.ndarray) -> np.ndarray:
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


def _han_names(rng: np.random.Generator, male: np.ndarray, rare_rate: float) -> tuple[pa.Array, np.ndarray]:
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


def _uyghur_names(rng: np.random.Generator, male: np.ndarray) -> pa.Array:
    n = len(male)
    g = np.where(male, rng.integers(0, len(UYGHUR_MALE), n), rng.integers(0, len(UYGHUR_FEMALE), n) + len(UYGHUR_MALE))
    f = rng.integers(0, len(UYGHUR_FATHER), n)
    return _cat(_take(UYGHUR_MALE + UYGHUR_FEMALE, g), MIDDLE_DOT, _take(UYGHUR_FATHER, f))


def _names(rng: np.random.Generator, male: np.ndarray, mz: np.ndarray, rare_rate: float) -> pa.Array:
    han, _ = _han_names(rng, male, rare_rate)
    uy = _uyghur_names(rng, male)
    dot = np.isin(mz, ["05", "17"])
    return pc.if_else(pa.array(dot), uy, han)


def make_people(
    n: int,
    *,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
    birth_lo: ArrayLike | None = None,
    birth_hi: ArrayLike | None = None,
    areas: ArrayLike | None = None,
    area_p: ArrayLike | None = None,
    mz_p: dict[str, float] | None = None,
    minority_regions: bool = True,
    rare_rate: float = 0.01,
    male_rate: float = 0.5,
    unique_names: bool = False,
    exclude_names: Iterable[str] = (),
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
# K-12 person details
# ---------------------------------------------------------------------------------------------------


def _phones(rng: np.random.Generator, n: int) -> pa.Array:
    head = np.array([13, 15, 18, 19])[rng.integers(0, 4, n)]
    return _cat(_num_text(head, 2), _num_text(rng.integers(0, 10**9, n), 9))


def _given(rng: np.random.Generator, male: np.ndarray) -> pa.Array:
    n = len(male)
    both = GIVEN_MALE + GIVEN_FEMALE
    c1 = np.where(male, rng.integers(0, len(GIVEN_MALE), n), rng.integers(0, len(GIVEN_FEMALE), n) + len(GIVEN_MALE))
    c2 = np.where(male, rng.integers(0, len(GIVEN_MALE), n), rng.integers(0, len(GIVEN_FEMALE), n) + len(GIVEN_MALE))
    return _cat(_take(both, c1), _take(both, c2))


def _address(rng: np.random.Generator, n: int) -> pa.Array:
    town = rng.integers(0, len(TOWNS), n)
    urban = rng.random(n) < 0.55
    street = _cat(_take(STREETS, rng.integers(0, len(STREETS), n)), _int_text(rng.integers(1, 300, n)), "号")
    village = _cat(_take(VILLAGES, rng.integers(0, len(VILLAGES), n)), _int_text(rng.integers(1, 12, n)), "组")
    return _cat(COUNTY_TEXT, _take(TOWNS, town), pc.if_else(pa.array(urban), street, village))


def _j_number(area: ArrayLike, ymd: ArrayLike, seq: ArrayLike) -> list[str]:
    """J 学籍号: J + 6-digit area + 8-digit birth date + 3-digit sequence + GB 11643 check character."""
    return ["J" + s for s in make_ids(np.asarray(area, np.int64), np.asarray(ymd, np.int64), seq).tolist()]
