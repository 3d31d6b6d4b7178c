"""issue 20's fast paths in compare, each against its plain path on randomised inputs: each list's row matrix
written in place (``colcheck._side_rows``: short texts as masked words read from the column's bytes, codes and
fixed-width bytes copied a block at a time) against ``padded_matrix`` and a Python ``IS DISTINCT FROM``; and
``compare`` with its second thread in ``_judge`` (the change list matched and the keys masked while the fields
are compared) against the same work done on one thread — with missing values, empties, non-ASCII text, lower
case, repeated keys, values at the very end of the column's bytes, one row and no rows."""

from concurrent.futures import Future

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.test_colcheck import _python
from xueji_lib.core.textbytes import padded_matrix
from xueji_lib.matching import colcheck
from xueji_lib.matching import compare as compare_mod
from xueji_lib.matching.colcheck import _places, _Rows, _side_rows
from xueji_lib.samples.synth import make_roster_pair


def _t(values):
    return pa.array(values, pa.large_string())


SHORT_PARTS = ("张", "a", "B", "学籍", "é", "0", "x" * 7, "")


def _short(rng, n, missing=False, longest=16):
    """Texts of 0 … ``longest`` bytes (ASCII, lower/upper case, Chinese, accented), some repeated."""
    out = []
    for _ in range(n):
        if missing and rng.random() < 0.1:
            out.append(None)
            continue
        s = ""
        for _ in range(int(rng.integers(0, 5))):
            s += SHORT_PARTS[int(rng.integers(len(SHORT_PARTS)))]
        while len(s.encode()) > longest:
            s = s[:-1]
        out.append(s)
    return out


@pytest.mark.parametrize("seed", range(30))
def test_side_rows_short_texts_are_padded_matrix(seed, monkeypatch):
    """A short text column's words in the row (blocks of a few rows, the last values' words read near the end of
    the bytes) hold ``padded_matrix``'s bytes, and zeros after them."""
    rng = np.random.default_rng(seed)
    monkeypatch.setattr(colcheck, "ROW_BLOCK", int(rng.choice([1, 3, 8, 1 << 13])))
    n = int(rng.choice([1, 2, 5, 40, 300]))
    width = int(rng.integers(1, 17))
    values = _short(rng, n, longest=width)
    if not any(values):
        values[0] = "a"
    a = _t(values)
    if seed % 4 == 0:  # a slice of a longer array
        a = _t(["zz", *values, "q"]).slice(1, n)
    plan = [("padded", width, a, a)]
    places, row = _places(plan)
    got, _ = _side_rows(plan, places, row, 2, n)
    b = got.view(np.uint8)
    want = padded_matrix(a, width)
    at = sorted(places[0], key=lambda p: p[2])
    for start, dtype, src in at:
        size = dtype.itemsize
        part = np.zeros((n, size), np.uint8)
        have = want[:, src : src + size]
        part[:, : have.shape[1]] = have
        assert np.array_equal(b[:, start : start + size], part)


KINDS = ("fixed", "few", "few_missing", "short", "short_tail", "long_missing", "other_width")


def _column(rng, kind, n):
    if kind == "fixed":
        return [f"G{v:08d}" for v in rng.integers(0, 50, n)]
    if kind == "other_width":
        return [f"{v:03d}" for v in rng.integers(0, 5, n)]
    if kind == "few":
        return [["一年级", "二年级", "3班", "", "3班 "][v] for v in rng.integers(0, 5, n)]
    if kind == "few_missing":
        return [["湖南省示范县", "hunan", "HUNAN", None][v] for v in rng.integers(0, 4, n)]
    if kind == "short":
        return _short(rng, n)
    if kind == "short_tail":  # the longest values last: their words reach past the column's bytes
        return sorted(_short(rng, n), key=lambda s: len(s.encode()))
    if kind == "long_missing":
        return [None if v == 0 else "湖南省示范县" * int(k) + str(v) for k, v in rng.integers(0, 60, (n, 2))]
    raise AssertionError(kind)


@pytest.mark.parametrize("seed", range(40))
def test_rows_built_in_place_are_is_distinct_from(seed, monkeypatch):
    """``_Rows`` (row matrices written in place, blocks of a few rows, one or two threads, ``few`` forced either
    way for some) against the Python test, pairs repeated and in any order."""
    rng = np.random.default_rng(100 + seed)
    monkeypatch.setattr(colcheck, "ROW_BLOCK", int(rng.choice([1, 4, 16, 1 << 13])))
    monkeypatch.setattr(colcheck, "THREAD_MIN", 1 if seed % 2 else 10**9)
    monkeypatch.setattr(colcheck, "CHUNK", 16)
    if seed % 5 == 0:
        monkeypatch.setattr(colcheck, "_few", lambda a: bool(seed % 3))
    nx, ny, m = (int(rng.choice([1, 2, 9, 40, 300])) for _ in range(3))
    kinds = list(rng.choice(KINDS, int(rng.integers(1, 6))))
    xs = [_column(rng, k, nx) for k in kinds]
    ys = [_column(rng, k, ny) for k in kinds]
    if seed % 3 == 0:  # the same values on both sides: mostly equal pairs
        ys = [list(c[:ny]) + list(c[: max(0, ny - nx)]) for c in xs]
        ys = [(c * (ny // max(len(c), 1) + 1))[:ny] for c in ys]
    xi, yi = rng.integers(0, nx, m), rng.integers(0, ny, m)
    rows = _Rows([_t(c) for c in xs], [_t(c) for c in ys])
    assert rows.distinct(xi, yi).tolist() == _python(xs, ys, xi, yi)


def test_rows_built_in_place_of_no_rows(monkeypatch):
    monkeypatch.setattr(colcheck, "THREAD_MIN", 1)
    for kind in KINDS:
        rows = _Rows([_t([])], [_t(_column(np.random.default_rng(1), kind, 3))])
        assert rows.distinct(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []


class _Here:
    """An executor that runs what is submitted at once, on the calling thread: the plain path of ``_judge``'s second thread."""

    def __init__(self, *args):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, f, *args, **kwargs):
        fut = Future()
        try:
            fut.set_result(f(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - handed back as the future's, as a thread would
            fut.set_exception(e)
        return fut

    def shutdown(self, wait=True):
        pass


def _frames(res):
    return [res.old, res.new, res.changes]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("unmask", (False, True))
def test_judge_on_two_threads_is_on_one(seed, unmask, monkeypatch):
    """Every result frame of ``compare`` with the change list matched and the keys masked on a second thread,
    against all of it on one thread; some keys removed, repeated and lower-cased first."""
    old, new, ch = make_roster_pair(int(np.random.default_rng(seed).choice([300, 2000])), seed=seed)
    rng = np.random.default_rng(seed)
    new = new.copy()
    xjh = new["XJH"].to_numpy(dtype=object)
    pick = rng.integers(0, len(new), 12)
    xjh[pick[:3]] = None  # keyless: matched by a fallback
    xjh[pick[3:6]] = xjh[pick[6:9]]  # repeated
    xjh[pick[9:]] = [str(v).lower() if v else v for v in xjh[pick[9:]]]
    new["XJH"] = pd.array(xjh, dtype=new["XJH"].dtype)
    got = compare_mod.compare(old, new, changes=ch, unmask=unmask)
    monkeypatch.setattr(compare_mod, "ThreadPoolExecutor", _Here)
    want = compare_mod.compare(old, new, changes=ch, unmask=unmask)
    for a, b in zip(_frames(got), _frames(want)):
        pd.testing.assert_frame_equal(a, b)
    assert got.counts == want.counts
    # no change list: nothing matched early
    got = compare_mod.compare(old, new)
    assert got.changes is None and len(got.old) == len(old)


def test_judge_error_of_the_change_list_is_raised():
    """A change list without 异动类别, matched on the second thread: the same error as on one thread."""
    old, new, ch = make_roster_pair(200, seed=3)
    with pytest.raises(Exception, match="异动类别"):
        compare_mod.compare(old, new, changes=ch.drop(columns=["YDLB"]))
