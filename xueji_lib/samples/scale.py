"""Benchmark inputs, vectorised (nothing here is committed): clean registration frames of any size, an
admission/registration pair with planted differences, a registration DBF of millions of records, and two
snapshots of a K-12 roster with their change list. People come from every county of the built-in GB/T 2260
table, so that 10,000,000 of them still get unique 考生号 and ID numbers.

    >>> adm, reg = make_registration_pair(1000, seed=1)
    >>> len(adm), sorted(reg.attrs["planted"])[:2]
    (1000, ['duplicate_key', 'key_field'])
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.files import write_atomic
from .arrays import _cat, _choice, _int_text, _num_text, _str, _take
from .hei_records import _admission_view, _age_window, _ages, _hei_records, _registration_view
from .k12_roster import TERM_YEAR, _grade_window
from .people import _address, _phones, make_people
from .vocabulary import AREAS, DBF_DATE, GIVEN_FEMALE, GIVEN_MALE, MAJORS_10, MAJORS_50, MZ_P_HEI, MZ_P_K12, YEAR

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


def _scale_records(rng: np.random.Generator, n: int, category: str, year: int) -> pd.DataFrame:
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
    sel = _pair_selection(rng, n, counts)
    _misspell_names(rng, reg, sel["name_typo"])
    # "??" placeholder in the admission name (the registration keeps the real character)
    i = sel["name_placeholder"]
    adm.loc[i, "XM"] = (adm["XM"].iloc[i].str.slice(0, -1) + "??").to_numpy()
    # two adjacent digits of the 考生号 swapped
    counts["ksh_swap"] = _swap_ksh_digits(reg, sel["ksh_swap"])
    _change_key_field(reg, sel["key_field"], category)
    reg.loc[sel["missing_key"], "KSH"] = ""
    dups = reg.iloc[sel["duplicate_key"]]
    reg = reg.drop(index=sel["not_registered"])
    reg = pd.concat([reg, dups], ignore_index=True)
    reg = reg.take(rng.permutation(len(reg))).reset_index(drop=True)
    planted = dict(sorted(counts.items()))
    adm.attrs["planted"] = planted
    reg.attrs["planted"] = dict(planted)
    return adm, reg


def _pair_selection(rng: np.random.Generator, n: int, counts: dict[str, int]) -> dict[str, np.ndarray]:
    """Which admission records (positions, sorted) get each difference of ``PAIR_MIX``, none twice."""
    perm = rng.permutation(n)
    sel, start = {}, 0
    for name, _ in PAIR_MIX:
        if name == "not_admitted":
            continue
        sel[name] = np.sort(perm[start : start + counts[name]])
        start += counts[name]
    return sel


def _misspell_names(rng: np.random.Generator, reg: pd.DataFrame, i: np.ndarray) -> None:
    """One-character name typo in the registration records ``i``: the last character replaced."""
    xm = reg["XM"].iloc[i]
    pool = np.array(GIVEN_MALE + GIVEN_FEMALE)
    pick = rng.integers(0, len(pool), len(i))
    last = xm.str.slice(-1).to_numpy()
    new_last = np.where(pool[pick] == last, pool[(pick + 1) % len(pool)], pool[pick])
    reg.loc[i, "XM"] = (xm.str.slice(0, -1) + pd.Series(new_last, index=xm.index, dtype="str")).to_numpy()


def _swap_ksh_digits(reg: pd.DataFrame, i: np.ndarray) -> int:
    """Two adjacent digits of the 考生号 of the registration records ``i`` swapped (the last differing pair
    among positions 11–14), unless that gives another record's 考生号. Returns how many were swapped."""
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
    return int((~clash).sum())


def _change_key_field(reg: pd.DataFrame, i: np.ndarray, category: str) -> None:
    """A key field of the registration records ``i`` differs: 层次 (category 10) or 学习形式 (category 50)."""
    if category == "50":
        reg.loc[i, "XXXS"] = reg["XXXS"].iloc[i].map({"函授": "业余", "业余": "函授", "脱产": "函授"}).to_numpy()
    else:
        reg.loc[i, "CC"] = reg["CC"].iloc[i].map({"本科": "专科", "专科": "本科"}).to_numpy()


def write_registration_dbf(
    n: int, path: str | os.PathLike, seed: int = 1, *, deleted_rate: float = 0.005, chunk: int = 1_000_000
) -> Path:
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
    frame = _roster_frame(rng, people, g)
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
    changes = _roster_changes(out_rows, in_rows)
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


def _roster_frame(rng: np.random.Generator, people: pd.DataFrame, g: np.ndarray) -> pd.DataFrame:
    """Roster rows (the main k12_student columns) of ``people`` at levels ``g``, in synthetic schools of
    about 600 pupils."""
    total = len(people)
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
    return frame


def _roster_changes(out_rows: pd.DataFrame, in_rows: pd.DataFrame) -> pd.DataFrame:
    """The change list: a 转出 record for each of ``out_rows``, a 转入 record for each of ``in_rows``."""
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
    return changes
