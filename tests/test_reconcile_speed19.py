"""reconcile's counterpart search in this process (issue 19) finds the same pairs as the engine's SQL: the
身份证号 and 姓名+出生日期 joins (``_equal_keys_here`` against ``_equal_keys``) and the near-考生号 join
(``_near_ksh`` without and with an engine), on randomised search keys — empty values, non-ASCII names and
考生号, "_" inside a 考生号, several widths, one row, none — and a whole reconciliation gives the same result
either way, without connecting an engine when the search is small."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xueji_lib.core.normalize import STR
from xueji_lib.engine import engines
from xueji_lib.engine.engines import DuckDBEngine
from xueji_lib.matching import reconcile as R
from xueji_lib.samples.synth import make_registration_pair

KSH = ["26110101000001", "26110101000010", "26111101000001", "26110101000011", "2611010100001_", "62110101000001"]
ODD_KSH = ["1", "12", "21", "ab\u00e9", "\u00e9ab", "", "261101010000012", "_6110101000001"]
NAMES = ["张三", "张三丰", "李四", "", "欧阳娜娜", "A", "王?"]
DATES = ["20080101", "20080102", "", "20071231"]
IDS = ["110101200801011234", "11010120080101123X", "", "110101080101123"]
SCHOOLS = ["10001", "10002", ""]


def _keys(rng: np.random.Generator, n: int, ksh: list[str], start: int) -> pd.DataFrame:
    """``_search_keys``' frame: row, ksh, xm, sfzh, csrq, yxdm (pandas str, nothing missing)."""

    def pick(pool):
        return pd.Series([pool[i] for i in rng.integers(0, len(pool), n)], dtype=STR)

    ksh_col = pick(ksh)
    if n and rng.random() < 0.5:  # near misses of one another: one digit changed, two swapped
        base = list(ksh_col.iloc[0]) if ksh_col.iloc[0] else list("26110101000001")
        for k in range(0, n, 3):
            v = base.copy()
            j = int(rng.integers(0, len(v)))
            v[j] = str(rng.integers(0, 10))
            ksh_col.iloc[k] = "".join(v)
    return pd.DataFrame(
        {
            "row": np.sort(rng.choice(np.arange(start, start + 5 * n + 1), n, replace=False)).astype(np.int64),
            "ksh": ksh_col,
            "xm": pick(NAMES),
            "sfzh": pick(IDS),
            "csrq": pick(DATES),
            "yxdm": pick(SCHOOLS),
        }
    )


def _pairs(found: pd.DataFrame) -> list[tuple[int, int]]:
    assert list(found.columns[:2]) == ["r_row", "a_row"]
    assert found["r_row"].dtype == np.int64 and found["a_row"].dtype == np.int64
    return list(zip(found["r_row"].tolist(), found["a_row"].tolist(), strict=True))


@pytest.fixture(scope="module")
def con():
    eng = DuckDBEngine()
    yield eng
    eng.close()


@pytest.mark.parametrize("seed", range(40))
def test_search_here_finds_the_engines_pairs(seed, con):
    rng = np.random.default_rng(seed)
    sizes = [(0, 5), (5, 0), (1, 1), (1, 7), (30, 40), (200, 150)]
    n_r, n_a = sizes[seed % len(sizes)]
    pool = KSH if seed % 3 else KSH + ODD_KSH  # one width (the byte-matrix variants) or several
    seeking, free_a = _keys(rng, n_r, pool, 1), _keys(rng, n_a, pool, 1)
    for on in (("sfzh",), ("xm", "csrq")):
        here = R._one_to_one(R._equal_keys_here(seeking, free_a, on))
        there = R._one_to_one(R._equal_keys(con, seeking, free_a, on))
        assert _pairs(here) == _pairs(there), on
    near_seeking = seeking[seeking["ksh"] != ""]
    here = R._near_ksh(None, near_seeking, free_a)
    there = R._near_ksh(con, near_seeking, free_a)
    assert _pairs(here) == _pairs(there)
    assert here["match_by"].tolist() == there["match_by"].tolist()


def test_search_here_treats_missing_values_as_sql_does(con):
    seeking = pd.DataFrame(
        {
            "row": np.array([1, 2, 3], np.int64),
            "sfzh": pd.Series([None, "", "110101200801011234"], dtype=STR),
            "xm": pd.Series([None, "张三", "李四"], dtype=STR),
            "csrq": pd.Series(["20080101", None, "20080101"], dtype=STR),
        }
    )
    free_a = pd.DataFrame(
        {
            "row": np.array([4, 5, 6], np.int64),
            "sfzh": pd.Series([None, "", "110101200801011234"], dtype=STR),
            "xm": pd.Series([None, "张三", "李四"], dtype=STR),
            "csrq": pd.Series(["20080101", None, "20080101"], dtype=STR),
        }
    )
    for on in (("sfzh",), ("xm", "csrq")):
        here = R._one_to_one(R._equal_keys_here(seeking, free_a, on))
        there = R._one_to_one(R._equal_keys(con, seeking, free_a, on))
        assert _pairs(here) == _pairs(there) == [(3, 6)], on


def _planted_pair(n: int = 3000):
    adm, reg = make_registration_pair(n, seed=5)
    reg.loc[0:40, "KSH"] = ""  # missing 考生号: found by 身份证号 or 姓名+出生日期
    reg.loc[41:60, ["SFZH", "CSRQ"]] = ""
    reg.loc[41:60, "KSH"] = reg.loc[41:60, "KSH"].str.slice(0, 13) + "9"  # one digit away
    reg.loc[61:70, "XM"] = "欧阳娜娜"
    return adm, reg


def test_reconcile_is_the_same_with_the_search_here_or_in_the_engine(monkeypatch):
    adm, reg = _planted_pair()
    here = R.reconcile(adm, reg, year=2026, category="10")
    monkeypatch.setattr(engines, "SMALL_JOIN", -1)  # every search by the engine
    there = R.reconcile(adm, reg, year=2026, category="10")
    assert here.counts["registration"]["key_mismatch"] > 20  # the searches found pairs
    for side in ("registration", "admission"):
        pd.testing.assert_frame_equal(getattr(here, side), getattr(there, side))
    assert (here.registration["match_by"] == "身份证号").any() and (here.registration["match_by"] == "考生号相近").any()


def test_two_frames_need_no_engine(monkeypatch, engines_connected):
    adm, reg = _planted_pair(500)
    connected = engines_connected
    R.reconcile(adm, reg, year=2026, category="10")
    assert connected == []
    monkeypatch.setattr(engines, "SMALL_JOIN", -1)
    R.reconcile(adm, reg, year=2026, category="10")  # a large search connects the engine, once
    assert connected == [None]
    R.reconcile(adm.assign(LQNF=pd.array([2026] * len(adm), dtype="Int64")), reg.iloc[:1], year=2026, category="10")
    assert len(connected) == 2  # not text: the engine works the keys out


def test_an_engine_given_or_named_is_used(monkeypatch):
    adm, reg = _planted_pair(300)
    monkeypatch.setenv(engines.ENGINE_ENV, "duckdb")
    assert engines.OnDemand(None, None).local
    eng = DuckDBEngine()
    try:
        with_engine = R.reconcile(adm, reg, year=2026, category="10", engine=eng)
    finally:
        eng.close()
    plain = R.reconcile(adm, reg, year=2026, category="10")
    pd.testing.assert_frame_equal(with_engine.registration, plain.registration)
