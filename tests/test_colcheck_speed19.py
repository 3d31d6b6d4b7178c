"""issue 19's fast paths in compare's pairing, each against its plain reference on randomised inputs: the key
join worked out here (``keyjoin._join_fixed``, by exact key codes and by hashed words) against a join written
out in Python, the row matrix copied as whole items a block of rows at a time (``colcheck._rows``) against column
slices, and ``_Rows`` with its threads against a Python ``IS DISTINCT FROM`` — with missing values, non-ASCII
text, repeated keys, one row and no rows."""

import numpy as np
import pyarrow as pa
import pytest

from tests.test_colcheck import _column, _python
from xueji_lib.matching import colcheck, keyjoin
from xueji_lib.matching.colcheck import _Rows, _rows
from xueji_lib.matching.keyjoin import _join_fixed


def _t(values):
    return pa.array(values, pa.large_string())


def _python_join(lk, rk):
    """Every (left, right) pair of equal keys, missing keys joining nothing, ordered by left then right."""
    at = {}
    for j, k in enumerate(rk):
        if k is not None:
            at.setdefault(k, []).append(j)
    pairs = [(i, j) for i, k in enumerate(lk) if k is not None for j in at.get(k, [])]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _keys(rng, n, width, alphabet, missing, pool):
    """``n`` keys of ``width`` characters from ``alphabet`` (some repeated from ``pool``), some missing."""
    out = []
    for _ in range(n):
        r = rng.random()
        if r < missing:
            out.append(None)
        elif r < missing + 0.3 and pool:
            out.append(pool[int(rng.integers(len(pool)))])
        else:
            out.append("".join(alphabet[int(v)] for v in rng.integers(0, len(alphabet), width)))
    return out


ALPHABETS = {"digits": "0123456789X", "chinese": "张王李赵学籍号", "one": "7"}


@pytest.mark.parametrize("hashed", (False, True))
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("alphabet", sorted(ALPHABETS))
def test_join_fixed_is_the_plain_join(seed, alphabet, hashed, monkeypatch):
    """Keys joined by their exact codes (``fixed_codes``) and, with the codes refused, by hashed words."""
    if hashed:
        monkeypatch.setattr(keyjoin, "fixed_codes", lambda mats: None)
    rng = np.random.default_rng(seed)
    width = int(rng.choice([1, 2, 8, 9, 19]))
    nl, nr = int(rng.choice([0, 1, 2, 50, 400])), int(rng.choice([0, 1, 3, 60, 500]))
    pool = _keys(rng, 40, width, ALPHABETS[alphabet], 0.0, [])
    lk = _keys(rng, nl, width, ALPHABETS[alphabet], float(rng.choice([0.0, 0.1])), pool)
    rk = _keys(rng, nr, width, ALPHABETS[alphabet], float(rng.choice([0.0, 0.1])), pool)
    got = _join_fixed(_t(lk), _t(rk))
    exp = _python_join(lk, rk)
    left = [k for k in lk if k is not None]
    if got is None:  # only when a left key repeats (the engine joins those)
        assert len(set(left)) < len(left)
    else:
        assert [a.tolist() for a in got] == list(exp)
        assert all(a.dtype == np.int64 for a in got)


def test_join_fixed_other_lengths_and_no_keys():
    assert _join_fixed(_t(["ab", "cd"]), _t(["abc"])) is not None
    assert [a.tolist() for a in _join_fixed(_t(["ab", "cd"]), _t(["abc", "abd"]))] == [[], []]
    assert [a.tolist() for a in _join_fixed(_t([None, None]), _t(["ab"]))] == [[], []]
    assert [a.tolist() for a in _join_fixed(_t([]), _t([]))] == [[], []]
    assert _join_fixed(_t(["ab", "abc"]), _t(["ab"])) is None  # several lengths: the engine's
    assert _join_fixed(_t(["ab", "ab"]), _t(["ab"])) is None  # a key twice on the left: the engine's
    # a missing value whose slot still holds bytes (Arrow allows it) is not a key of another length
    held = pa.LargeStringArray.from_buffers(
        3,
        pa.py_buffer(np.array([0, 2, 5, 7], np.int64).tobytes()),
        pa.py_buffer(b"abxyzcd"),
        pa.array([True, False, True]).buffers()[1],
    )
    assert held.to_pylist() == ["ab", None, "cd"]
    got = _join_fixed(held, _t(["cd", "yz", "ab"]))
    assert [a.tolist() for a in got] == [[0, 2], [2, 0]]


def test_join_fixed_with_colliding_hashes_never_pairs_different_keys(monkeypatch):
    """Keys hashed (no exact code) with every hash the same: a left side of several keys looks repeated (the
    engine joins it); with one left key, right keys that share its hash but not its bytes are not paired."""
    monkeypatch.setattr(keyjoin, "fixed_codes", lambda mats: None)
    monkeypatch.setattr(keyjoin, "_hash_rows", lambda w: np.zeros(len(w), np.uint64))
    assert _join_fixed(_t(["ab", "cd"]), _t(["cd"])) is None
    got = _join_fixed(_t(["cd"]), _t(["ab", "cd", "zz", "cd"]))
    assert [a.tolist() for a in got] == [[0, 0], [1, 3]]


def test_join_fixed_of_id_keys_too_varied_for_a_code_is_hashed():
    """学籍号 ("G" + 18-character ID number) varying in every ID position, the last also "X": 10**17 · 41 codes
    fit in an int64, so they are joined by code; keys of 20 free digits do not fit, and are joined by hashes —
    the same pairs either way."""
    rng = np.random.default_rng(5)
    ids = ["G" + "".join(rng.choice(list("0123456789"), 17)) + str(rng.choice(list("0123456789X"))) for _ in range(300)]
    ids += ["G" + "0" * 17 + "0", "G" + "9" * 17 + "X"]  # every position's extremes present
    lk, rk = ids[::2], ids[::3] + [None, "G" + "1" * 18]
    from xueji_lib.core.textbytes import fixed_codes, fixed_matrix

    assert fixed_codes([fixed_matrix(_t(ids))]) is not None
    assert [a.tolist() for a in _join_fixed(_t(lk), _t(rk))] == list(_python_join(lk, rk))
    wide = ["".join(rng.choice(list("0123456789"), 20)) for _ in range(200)] + ["0" * 20, "9" * 20]
    assert fixed_codes([fixed_matrix(_t(wide))]) is None
    lk, rk = wide[::2], wide[1::3] + wide[::5]
    assert [a.tolist() for a in _join_fixed(_t(lk), _t(rk))] == list(_python_join(lk, rk))


def test_hash_rows_equal_rows_equal_hashes():
    rng = np.random.default_rng(3)
    w = rng.integers(0, 4, (2000, 3)).astype(np.uint64)
    h = keyjoin._hash_rows(w)
    rows = {tuple(r): v for r, v in zip(w.tolist(), h.tolist())}
    assert all(rows[tuple(r)] == v for r, v in zip(w.tolist(), h.tolist()))
    assert len(set(h.tolist())) == len(rows)  # 64 rows, 64 hashes


def _plain_rows(parts, n):
    """``_rows`` the plain way: each part copied into its columns of a zeroed byte matrix."""
    if not parts:
        return None
    width = sum(p.shape[1] for p in parts)
    out = np.zeros((n, -(-width // 8) * 8), np.uint8)
    at = 0
    for p in parts:
        out[:, at : at + p.shape[1]] = p
        at += p.shape[1]
    return out.view(np.uint64)


@pytest.mark.parametrize("block", (3, 8, 1 << 13))
@pytest.mark.parametrize("n", (0, 1, 7, 1000))
@pytest.mark.parametrize("seed", range(5))
def test_rows_is_the_plain_copy(n, seed, block, monkeypatch):
    """Blocks of rows of several sizes (a last block cut short, one block, many), padding or none."""
    monkeypatch.setattr(colcheck, "ROW_BLOCK", block)
    rng = np.random.default_rng(seed)
    widths = rng.integers(1, 20, int(rng.integers(1, 6)))
    parts = [rng.integers(0, 256, (n, int(w))).astype(np.uint8) for w in widths]
    parts.append(np.asfortranarray(rng.integers(0, 256, (n, 3)).astype(np.uint8)))  # not C-contiguous
    got = _rows(parts, n)
    assert got.dtype == np.uint64 and np.array_equal(got, _plain_rows(parts, n))
    assert _rows([], n) is None


# the column shapes of tests/test_colcheck.py that the threaded row build meets
KINDS = ("fixed", "few_missing", "few_no_empty", "short", "long_missing")


@pytest.mark.parametrize("threads", (True, False))
@pytest.mark.parametrize("seed", range(8))
def test_rows_with_threads_is_is_distinct_from(seed, threads, monkeypatch):
    """``_Rows`` built on two threads and tested on two (every size above 0 counts as large here, blocks of
    a few pairs) or on one, against the plain Python test; ``few`` forced on or off for the mid columns."""
    monkeypatch.setattr(colcheck, "THREAD_MIN", 1 if threads else 10**9)
    monkeypatch.setattr(colcheck, "CHUNK", 16)
    rng = np.random.default_rng(seed)
    nx, ny, m = (int(rng.choice([1, 2, 40, 300])) for _ in range(3))
    kinds = list(rng.choice(KINDS, int(rng.integers(1, 6))))
    if seed % 3 == 0:
        monkeypatch.setattr(colcheck, "_few", lambda a: bool(seed % 2))
    xs = [_column(rng, k, nx) for k in kinds]
    ys = [_column(rng, k, ny) for k in kinds]
    xi, yi = rng.integers(0, nx, m), rng.integers(0, ny, m)
    rows = _Rows([_t(c) for c in xs], [_t(c) for c in ys])
    assert rows.distinct(xi, yi).tolist() == _python(xs, ys, xi, yi)
    assert rows.distinct(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []


def test_rows_of_empty_lists_and_no_columns(monkeypatch):
    monkeypatch.setattr(colcheck, "THREAD_MIN", 1)
    rows = _Rows([_t([])], [_t(["a", None])])
    assert rows.distinct(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []
    assert _Rows([], []).distinct(np.array([0, 1]), np.array([1, 0])).tolist() == [False, False]
    # two empty lists whose columns are compared by codes (the few-valued route): no rows to map
    monkeypatch.setattr(colcheck, "_few", lambda a: True)
    both = _Rows([_t([]), _t([])], [_t([]), _t([])])
    assert both.distinct(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []


def test_compare_with_keys_joined_here_is_the_engines(monkeypatch):
    """compare of two frames whose keys ``_join_fixed`` joins (old keys unique, some missing; new keys copied
    and missing) gives what the engine's join over every compared column gives, pair order included."""
    import pandas as pd

    import xueji_lib as xj
    from xueji_lib.matching import record_match
    from xueji_lib.samples.synth import make_roster_pair

    old, new, ch = make_roster_pair(3000, seed=7)
    rng = np.random.default_rng(7)
    pos = rng.choice(len(old), 60, replace=False)
    old.loc[pos[:20], "XJH"] = None
    old.loc[pos[20:40], "JTDZ"] = None
    old.loc[pos[40:60], "XM"] = "欧阳" + old["XM"].iloc[pos[40:60]]
    pos = rng.choice(len(new), 80, replace=False)
    new.loc[pos[:20], "XJH"] = new["XJH"].iloc[pos[20:40]].to_numpy()  # copied keys on the new side only
    new.loc[pos[40:60], "XJH"] = None
    new.loc[pos[60:80], "BJ"] = "12班"
    used = []
    join_fixed = record_match._join_fixed
    monkeypatch.setattr(record_match, "_join_fixed", lambda a, b: used.append(join_fixed(a, b)) or used[-1])
    got = xj.compare(old, new, changes=ch)
    assert used and used[0] is not None
    monkeypatch.setattr(record_match, "_key_pairs_here", record_match._key_pairs_engine)
    exp = xj.compare(old, new, changes=ch)
    for part in ("old", "new", "changes"):
        pd.testing.assert_frame_equal(getattr(got, part), getattr(exp, part))
    assert got.matched_by_counts == exp.matched_by_counts
    assert set(got.new["status"]) >= {"duplicate_key", "changed", "unchanged"}


@pytest.mark.parametrize("seed", range(12))
def test_small_joins_here_are_the_engines(seed):
    """``keyjoin._join_here`` / ``_duplicated_here`` (compare's fallback joins when the engine is local and the
    join small) give the pairs and duplicates DuckDB gives: unique keys only or every pair, flags, repeated and
    missing keys, Chinese text, one row, no rows."""
    from xueji_lib.engine.engines import DuckDBEngine
    from xueji_lib.matching.keyjoin import _duplicated, _duplicated_here, _join, _join_here, _keyed, _table

    rng = np.random.default_rng(seed)
    con = DuckDBEngine()
    try:
        for nl, nr in ((0, 3), (1, 1), (7, 5), (200, 150)):
            pool = _keys(rng, 12, 2, "甲乙ab1", 0.0, [])
            lk = _keys(rng, nl, 2, "甲乙ab1", 0.2, pool)
            rk = _keys(rng, nr, 2, "甲乙ab1", 0.2, pool)
            li, lka = _keyed(np.arange(nl) + 100, pa.array(lk, pa.large_string()).to_pandas().astype("str"))
            ri, rka = _keyed(np.arange(nr) + 500, pa.array(rk, pa.large_string()).to_pandas().astype("str"))
            lf, rf = rng.random(len(li)) < 0.5, rng.random(len(ri)) < 0.5
            for unique in (True, False):
                for flags in ((None, None), (lf, rf)):
                    want = _join(con, li, lka, ri, rka, unique=unique, lflag=flags[0], rflag=flags[1])
                    got = _join_here(li, lka, ri, rka, unique=unique, lflag=flags[0], rflag=flags[1])
                    assert sorted(zip(*(a.tolist() for a in got))) == sorted(zip(*(a.tolist() for a in want)))
                    assert list(zip(*(a.tolist() for a in got))) == sorted(zip(*(a.tolist() for a in got)))
            if len(li):
                con.register("f_t", _table(li, lka))
                want = sorted(_duplicated(con, "f_t").tolist())
                con.unregister("f_t")
                assert sorted(_duplicated_here(li, lka).tolist()) == want
    finally:
        con.close()


def test_compare_of_two_frames_connects_no_engine(monkeypatch, engines_connected):
    """Two rosters in memory whose fallback joins are small: compare never connects DuckDB (its import,
    connection and closing cost more than those joins); with the threshold at -1 every join goes to the engine,
    with the same result."""
    import pandas as pd

    import xueji_lib as xj
    from xueji_lib.engine import engines
    from xueji_lib.samples.synth import make_roster_pair

    old, new, ch = make_roster_pair(3000, seed=4)
    new = new.copy()
    new.loc[new.index[:40], "XJH"] = None  # keyless records: the fallback identity, its duplicates and joins
    old.loc[old.index[50:60], "XJH"] = None
    connected = engines_connected
    here = xj.compare(old, new, changes=ch)
    assert connected == []
    monkeypatch.setattr(engines, "SMALL_JOIN", -1)
    there = xj.compare(old, new, changes=ch)
    assert connected == [None]
    assert (here.old["matched_by"] != "XJH").sum() > 0
    for side in ("old", "new", "changes"):
        pd.testing.assert_frame_equal(getattr(here, side), getattr(there, side))
