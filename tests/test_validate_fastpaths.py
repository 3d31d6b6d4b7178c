"""validate's byte-level shortcuts give exactly what the plain pandas operation gives (randomised, awkward values,
columns of several Arrow chunks as read_dbf builds them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xueji_lib.checks import validate as V
from xueji_lib.core import ids
from xueji_lib.core.normalize import STR


def _chunked(values: list, size: int = 97) -> pd.Series:
    """A str column of several chunks (read_dbf's blocks), with missing values where ``values`` has None."""
    parts = [pa.array(values[i : i + size], pa.large_string()) for i in range(0, len(values), size)]
    return pd.Series(pa.chunked_array(parts, pa.large_string()), dtype=STR)


@pytest.fixture(autouse=True)
def _fresh_memo():
    V._MEMO.clear()
    yield
    V._MEMO.clear()


NAME_CHARS = list("张王李玥·?？ 1aA.\x00\t\n") + [
    "\u3400",
    "\u4dbf",
    "\u4e00",
    "\u9fff",
    "\uf900",
    "\ufaff",
    "\U00020000",
    "\ue000",
    "\u00b7",
    "\u2000",
    "\u3000",
    "é",
    "Ω",
    "Ａ",
]


@pytest.mark.parametrize("seed", range(4))
def test_name_ok_equals_the_regex(seed):
    rng = np.random.default_rng(seed)
    values = ["".join(rng.choice(NAME_CHARS, rng.integers(0, 6))) for _ in range(3000)]
    s = _chunked(values)
    want = pd.Series(values, dtype=STR).str.fullmatch(V._NAME_OK).fillna(False).to_numpy(dtype=bool)
    assert (V._name_ok(s) == want).all()


@pytest.mark.parametrize("seed", range(3))
def test_rows_where_equals_a_scan_of_each_value(seed):
    rng = np.random.default_rng(seed)
    values = ["".join(rng.choice(NAME_CHARS, rng.integers(0, 5))) for _ in range(2000)]
    s = _chunked(values, 61)
    for table in (V._BLANK_LEAD, V._ASCII_NOT_IN_NAME, V._CONTROL):
        got = V._rows_where(V._utf8(s), V._byte_test(table))
        want = [i for i, v in enumerate(values) if any(table[b] for b in v.encode())]
        assert got.tolist() == want


@pytest.mark.parametrize("width", [1, 3, 8, 9, 14, 18, 21])
def test_duplicated_equals_pandas(width):
    rng = np.random.default_rng(width)
    alphabet = np.array(list("AB1a"))
    for trial in range(6):
        values = ["".join(rng.choice(alphabet, width)) for _ in range(1500)]
        if trial % 2:
            values = [None if rng.random() < 0.1 else v for v in values]
        s = _chunked(values)
        want = s.duplicated(keep=False).to_numpy() & s.notna().to_numpy()
        assert V._hashed_keys(s) is not None
        assert (V._duplicated(s) == want).all()


def test_duplicated_mixed_widths_and_empty_strings():
    s = _chunked(["AB", "AB", "", "", "ABC", None, None, "x1", "X1"])
    assert V._hashed_keys(s) is None  # an empty string is a value: the general way
    assert V._duplicated(s).tolist() == [True, True, True, True, False, False, False, False, False]


def test_check_chars_equal_ids_check_char():
    values = ["11010519491231002X", "110105194912310021", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "abc", "11010519491231002", "４"]
    s = _chunked(values * 5, 4)
    rows = np.array([0, 1, 2, 6, 7, 8, 12, 13, 14, 24, 25])
    want = ids.check_char(V._rows(s, rows).str.slice(0, 17)).to_numpy(dtype=object)
    got = V._check_chars(s, rows)
    assert [x if isinstance(x, str) else None for x in got] == [x if isinstance(x, str) else None for x in want]


def test_fixed_bytes_all_as_long_and_mixed():
    s = _chunked(["123", "456", "78", "9ab", "", "cde"], 2)
    rows, b = V._fixed_bytes(s, 3)
    assert rows.tolist() == [0, 1, 3, 5]
    assert [bytes(r).decode() for r in b] == ["123", "456", "9ab", "cde"]


def test_spread_one_answer_for_all():
    codes = np.array([0, 1, -1, 1])
    assert V._spread(np.array([False, False]), codes, False).tolist() == [False] * 4
    assert V._spread(np.array([True, True]), codes, True).tolist() == [True] * 4
    assert V._spread(np.array([True, True]), codes, False).tolist() == [True, True, False, True]
    assert V._spread(np.array([7, 7]), codes, -1).tolist() == [7, 7, -1, 7]
    assert V._spread(np.array([7, 7]), codes, 7).dtype == np.int64


@pytest.mark.parametrize("m", [0, 1, 5, 17, 18])
def test_all_digits_equals_a_row_reduction(m):
    rng = np.random.default_rng(m)
    b = rng.choice(np.frombuffer(b"0123456789X x\x00\xff", np.uint8), size=(500, 18), p=[0.095] * 10 + [0.01] * 5)
    assert (V._all_digits(b, m) == V._is_digit(b[:, :m]).all(axis=1)).all()
    assert (V._all_digits(b[:, :m], m) == V._is_digit(b[:, :m]).all(axis=1)).all()
    assert V._all_digits(np.zeros((0, 18), np.uint8), m).shape == (0,)


# -- checks on two threads ------------------------------------------------------------------------------------


def _dirty_registration(n: int = 4000) -> pd.DataFrame:
    """Registration records with several findings each (wrong check digits, names with digits, codes not in the
    tables, blank and invalid fields, lower-case 学号, duplicated numbers), in a frame of many findings."""
    from xueji_lib.samples.scale import make_registration_frame

    df = make_registration_frame(n, 7)
    rng = np.random.default_rng(19)
    hit = rng.random((n, 8)) < 0.4

    def put(col: str, k: int, values) -> None:
        m = hit[:, k]
        df.loc[m, col] = values if np.isscalar(values) else pd.Series(values, dtype="str")[m].to_numpy()

    s = df["SFZH"]
    put("SFZH", 0, (s.str.slice(0, 17) + s.str.slice(17, 18).map(lambda c: "0" if c != "0" else "1")).to_numpy())
    put("XM", 1, (df["XM"] + "1").to_numpy())
    put("XB", 2, df["XB"].map({"男": "女", "女": "男"}).to_numpy())
    put("MZ", 3, "火星族")
    put("ZYMC", 4, "")
    put("RXRQ", 5, "20260231")
    put("XH", 6, ("a" + df["XH"].str.slice(1)).to_numpy())
    put("KSH", 7, df["KSH"].iloc[0])
    return df


@pytest.mark.parametrize("year", [2026, None])
def test_two_threads_give_the_one_thread_result(monkeypatch, year):
    """The checks on two worker threads: the findings frame (values, order, dtypes), the rules run and skipped (in
    order), the notes and the records that fail are the one-thread result's, run after run."""
    import xueji_lib as xj

    df = _dirty_registration()

    def run(threads: bool):
        monkeypatch.setattr(V, "PARALLEL_MIN_RECORDS", 0 if threads else 10**12)
        return xj.validate(df, "chsi_registration", year=year, category=None if year is None else "10")

    one = run(False)
    assert len(one.findings) > 5000 and one.rules_skipped if year is None else len(one.findings) > 5000
    for _ in range(3):
        two = run(True)
        pd.testing.assert_frame_equal(two.findings, one.findings)
        assert list(two.rules_skipped.items()) == list(one.rules_skipped.items())
        assert two.rules_run == one.rules_run
        assert list(two.param_notes.items()) == list(one.param_notes.items()) and two.params == one.params
        assert (two.failed == one.failed).all() and two.structure_ok == one.structure_ok


def test_two_threads_on_a_k12_roster_and_progress_in_order(monkeypatch):
    """A K-12 roster (the checks that wait for the ID check: 证件类型, duplicates, K-12 rules) and the progress steps,
    said in check order with the same labels."""
    import xueji_lib as xj

    df = xj.read_table("data_samples/k12/学生名单_2026春.xlsx", layout="k12_student")
    df = pd.concat([df] * 8, ignore_index=True)  # duplicated records: many findings
    seen: dict[bool, list] = {}

    def run(threads: bool):
        monkeypatch.setattr(V, "PARALLEL_MIN_RECORDS", 0 if threads else 10**12)
        steps = seen.setdefault(threads, [])
        return xj.validate(df, "k12_student", progress=lambda label, done, total: steps.append((label, done, total)))

    one, two = run(False), run(True)
    assert len(one.findings) > 1000
    pd.testing.assert_frame_equal(two.findings, one.findings)
    assert list(two.rules_skipped.items()) == list(one.rules_skipped.items())
    assert list(two.param_notes.items()) == list(one.param_notes.items()) and two.params == one.params
    assert seen[True] == seen[False]


def test_an_error_in_a_check_on_a_thread_reaches_the_caller(monkeypatch):
    import xueji_lib as xj

    def broken(ck):
        raise RuntimeError("broken check")

    monkeypatch.setattr(V, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setattr(V, "_check_names", broken)
    broken.__name__ = "_check_names"
    with pytest.raises(RuntimeError, match="broken check"):
        xj.validate(_dirty_registration(300), "chsi_registration", year=2026, category="10")
