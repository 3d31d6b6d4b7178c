"""compare's per-pair "may differ" test on column bytes (matching.colcheck) against SQL's IS DISTINCT FROM
written out in Python, on columns of every shape it treats its own way."""

import numpy as np
import pyarrow as pa
import pytest

from xueji_lib.matching import colcheck
from xueji_lib.matching.colcheck import _Rows


def _python(xs, ys, xi, yi):
    return [any(x[i] != y[j] for x, y in zip(xs, ys)) for i, j in zip(xi, yi)]


def _column(rng, kind, n):
    if kind == "fixed":
        return [f"G{v:08d}" for v in rng.integers(0, 50, n)]
    if kind == "fixed_other_width":
        return [f"G{v:09d}" for v in rng.integers(0, 50, n)]
    if kind == "few":
        return [["一年级", "二年级", "3班", ""][v] for v in rng.integers(0, 4, n)]
    if kind == "few_missing":
        return [["一年级", "二年级", "3班", "", None][v] for v in rng.integers(0, 5, n)]
    if kind == "few_no_empty":
        return [["湖南省示范县", "长沙", "x"][v] for v in rng.integers(0, 3, n)]
    if kind == "short":
        return ["张" * int(k) + "a" * int(m) for k, m in rng.integers(0, 4, (n, 2))]
    if kind == "nul":
        return ["a\x00"[: int(k)] + "b" * int(m) for k, m in rng.integers(0, 3, (n, 2))]
    if kind == "long":
        return ["湖南省示范县" * int(k) + str(v) for k, v in rng.integers(1, 4, (n, 2))]
    if kind == "long_missing":
        return [None if v == 0 else "湖南省示范县" * int(k) + str(v) for k, v in rng.integers(0, 60, (n, 2))]
    if kind == "missing":
        return [None if v == 0 else "" if v == 1 else "x" for v in rng.integers(0, 3, n)]
    raise AssertionError(kind)


KINDS = ("fixed", "fixed_other_width", "few", "short", "nul", "long", "missing")


@pytest.mark.parametrize("few", (None, False))
@pytest.mark.parametrize("kx", KINDS)
@pytest.mark.parametrize("ky", KINDS)
def test_distinct_is_sql_is_distinct_from(kx, ky, few, monkeypatch):
    if few is not None:  # every column by its bytes (padded or taken), none by dictionary codes
        monkeypatch.setattr(colcheck, "_few", lambda a: few)
    rng = np.random.default_rng(len(kx) * 31 + len(ky))
    nx, ny, m = 300, 250, 2000
    xs = [_column(rng, kx, nx), _column(rng, "fixed", nx)]
    ys = [_column(rng, ky, ny), _column(rng, "fixed", ny)]
    xi, yi = rng.integers(0, nx, m), rng.integers(0, ny, m)
    rows = _Rows([pa.array(c, pa.large_string()) for c in xs], [pa.array(c, pa.large_string()) for c in ys])
    assert rows.distinct(xi, yi).tolist() == _python(xs, ys, xi, yi)


def test_sliced_arrays_and_no_pairs():
    x = pa.array(["zz", "ab", "abc", None], pa.large_string()).slice(1)
    y = pa.array(["q", "abc", "ab", None], pa.large_string()).slice(1)
    rows = _Rows([x], [y])
    assert rows.distinct(np.array([0, 1, 2, 0]), np.array([1, 0, 2, 0])).tolist() == [False, False, False, True]
    assert rows.distinct(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []


def test_compare_of_frames_is_the_engines_join(monkeypatch):
    """compare of two frames (keys joined alone, pairs tested on the columns' bytes) gives what the engine's
    join over every compared column gives (the way converted folders are read), on rosters with copied and
    missing keys, missing and empty values, and values of several widths."""
    import pandas as pd

    import xueji_lib as xj
    from xueji_lib.matching import record_match
    from xueji_lib.samples.synth import make_roster_pair

    old, new, ch = make_roster_pair(3000, seed=5)
    rng = np.random.default_rng(5)
    for df in (old, new):
        pos = rng.choice(len(df), 200, replace=False)
        df.loc[pos[:20], "XJH"] = df["XJH"].iloc[pos[20:40]].to_numpy()  # copied keys
        df.loc[pos[40:60], "XJH"] = None  # no key: fallbacks
        df.loc[pos[60:70], "XJH"] = " " + df["XJH"].iloc[pos[60:70]].str.lower()  # normalised to match
        df.loc[pos[70:90], "JTDZ"] = None
        df.loc[pos[90:110], "XM"] = ""
        df.loc[pos[110:130], "CSRQ"] = "2013-5-1"
        df.loc[pos[130:150], "BJ"] = "12班"
        df.loc[pos[150:160], "LXDH"] = None
    new.loc[:50, "XM"] = new.loc[:50, "XM"] + "A"
    got = xj.compare(old, new, changes=ch)
    monkeypatch.setattr(record_match, "_key_pairs_here", record_match._key_pairs_engine)
    exp = xj.compare(old, new, changes=ch)
    for part in ("old", "new", "changes"):
        pd.testing.assert_frame_equal(getattr(got, part), getattr(exp, part))
    assert got.matched_by_counts == exp.matched_by_counts
    assert set(got.old["status"]) >= {"duplicate_key", "changed", "unchanged"}
