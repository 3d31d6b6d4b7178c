"""Joins of record positions by key, run in the engine: the one relational step behind ``compare``'s and
``handoff``'s matching. Keys come in as Arrow arrays beside the positions they belong to; pairs of positions
come back as numpy arrays.

    >>> import numpy as np, pandas as pd
    >>> from xueji_lib.engine.engines import connect
    >>> from xueji_lib.matching.keyjoin import _join, _keyed
    >>> con = connect("duckdb")
    >>> li, lk = _keyed(np.arange(3), pd.Series(["A", None, "B"], dtype="str"))
    >>> ri, rk = _keyed(np.arange(2), pd.Series(["B", "A"], dtype="str"))
    >>> sorted(zip(*(a.tolist() for a in _join(con, li, lk, ri, rk, unique=True))))
    [(0, 1), (2, 0)]
    >>> con.close()
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..engine.engines import Engine
from .roster import _arrow


def _table(idx: np.ndarray, keys: pa.Array, flag: np.ndarray | None = None) -> pa.Table:
    cols = {"i": pa.array(np.asarray(idx, np.int64)), "k": keys}
    if flag is not None:
        cols["f"] = pa.array(np.asarray(flag, bool))
    return pa.table(cols)


def _fetch(con: Engine, sql: str) -> dict[str, np.ndarray]:
    """Run a query and fetch its (narrow) result through Arrow as numpy arrays."""
    t = con.sql(sql)
    return {c: t.column(c).to_numpy(zero_copy_only=False) for c in t.column_names}


def _keyed(idx: np.ndarray, keys: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Of positions ``idx`` (``keys`` aligned with them), those that have a key, and their keys."""
    k = _arrow(keys)
    valid = pc.is_valid(k)
    return np.asarray(idx, np.int64)[np.asarray(valid.to_numpy(zero_copy_only=False), bool)], k.filter(valid)


def _join(
    con: Engine,
    li: np.ndarray,
    lk: pa.Array,
    ri: np.ndarray,
    rk: pa.Array,
    *,
    unique: bool,
    lflag: np.ndarray | None = None,
    rflag: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of positions whose keys are equal. ``unique``: only keys that occur once on each side.
    Flags: only pairs where at least one side's flag is set."""
    if len(li) == 0 or len(ri) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    con.register("l_t", _table(li, lk, lflag))
    con.register("r_t", _table(ri, rk, rflag))
    flags = lflag is not None
    if unique:
        pick = "any_value(i) AS i" + (", any_value(f) AS f" if flags else "")
        sql = (
            f"SELECT l.i AS li, r.i AS ri FROM (SELECT k, {pick} FROM l_t GROUP BY k HAVING count(*) = 1) l "
            f"JOIN (SELECT k, {pick} FROM r_t GROUP BY k HAVING count(*) = 1) r ON l.k = r.k"
        )
        if flags:
            sql += " WHERE l.f OR r.f"
    else:
        sql = "SELECT l.i AS li, r.i AS ri FROM l_t l JOIN r_t r ON l.k = r.k"
    got = _fetch(con, sql)
    con.unregister("l_t")
    con.unregister("r_t")
    return got["li"].astype(np.int64), got["ri"].astype(np.int64)


def _join_few(li: np.ndarray, lk: pa.Array, rk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``_join(…, unique=False)`` of a few keyed positions (``li``, ``lk``: no missing key) with every position of
    a whole key column ``rk`` (missing keys join nothing), worked out here: the column's keys looked up in the
    few (one hash set), the hits paired by a merge of the few. The same pairs, in no particular order.

        >>> import numpy as np, pyarrow as pa
        >>> t = lambda v: pa.array(v, pa.large_string())
        >>> [a.tolist() for a in _join_few(np.array([7, 8]), t(["B", "A"]), t(["A", None, "B", "A"]))]
        [[7, 8, 8], [2, 0, 3]]
    """
    if len(li) == 0 or len(rk) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    hit = np.flatnonzero(np.asarray(pc.is_in(rk, value_set=lk).to_numpy(zero_copy_only=False), bool))
    if not len(hit):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    left = pd.DataFrame({"l": np.asarray(li, np.int64), "k": pd.array(lk, dtype="str")})
    right = pd.DataFrame({"r": hit.astype(np.int64), "k": pd.array(rk.take(pa.array(hit)), dtype="str")})
    got = left.merge(right, on="k", sort=False)
    return got["l"].to_numpy(np.int64), got["r"].to_numpy(np.int64)


def _duplicated(con: Engine, table: str) -> np.ndarray:
    """Positions in a registered table (i, k) whose key occurs more than once. The keys that do are looked for
    first; only when there are any are the records read again for their positions."""
    twice = con.sql(f"SELECT k FROM {table} WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1")
    if not twice.num_rows:
        return np.zeros(0, np.int64)
    con.register(f"{table}_twice", twice)
    got = _fetch(con, f"SELECT i FROM {table} WHERE k IN (SELECT k FROM {table}_twice)")
    con.unregister(f"{table}_twice")
    return got["i"].astype(np.int64)
