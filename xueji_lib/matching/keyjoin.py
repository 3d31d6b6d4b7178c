"""Joins of record positions by key: the one relational step behind ``compare``'s and ``handoff``'s matching,
in one place. In the engine (``_join``, ``_duplicated``), or in this process for frames where that is faster with
the same pairs: keys of one byte width as exact integer codes (``_join_fixed``), a few keys looked up in a whole
column (``_join_few`` and its narrowed and paired forms), small joins when the engine is local
(``_join_here``, ``_duplicated_here``). Keys come in as Arrow arrays beside the positions they belong to; pairs
of positions come back as numpy arrays.

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

from ..core.textbytes import fixed_codes, fixed_matrix, text_array
from ..engine.engines import Engine, OnDemand
from .colcheck import _rows

# MurmurHash3's 64-bit finaliser constants: ``_hash_rows`` mixes each word in with them
_M1, _M2, _S = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53), np.uint64(33)


def _table(idx: np.ndarray, keys: pa.Array, flag: np.ndarray | None = None) -> pa.Table:
    cols = {"i": pa.array(np.asarray(idx, np.int64)), "k": keys}
    if flag is not None:
        cols["f"] = pa.array(np.asarray(flag, bool))
    return pa.table(cols)


def _engine(con: Engine | OnDemand) -> Engine:
    """The engine itself (an ``OnDemand`` one connected now)."""
    return con.get() if isinstance(con, OnDemand) else con


def _fetch(con: Engine, sql: str) -> dict[str, np.ndarray]:
    """Run a query and fetch its (narrow) result through Arrow as numpy arrays."""
    t = con.sql(sql)
    return {c: t.column(c).to_numpy(zero_copy_only=False) for c in t.column_names}


def _keyed(idx: np.ndarray, keys: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Of positions ``idx`` (``keys`` aligned with them), those that have a key, and their keys."""
    k = text_array(keys)
    valid = pc.is_valid(k)
    return np.asarray(idx, np.int64)[np.asarray(valid.to_numpy(zero_copy_only=False), bool)], k.filter(valid)


def _join(
    con: Engine | OnDemand,
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
    Flags: only pairs where at least one side's flag is set. ``con`` an ``OnDemand`` engine: a small join runs
    in this process (``_join_here``, the same pairs), a large one in the engine."""
    if len(li) == 0 or len(ri) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if isinstance(con, OnDemand) and con.here(len(li) + len(ri)):
        return _join_here(li, lk, ri, rk, unique=unique, lflag=lflag, rflag=rflag)
    con = _engine(con)
    con.register("l_t", _table(li, lk, lflag))
    con.register("r_t", _table(ri, rk, rflag))
    flags = lflag is not None
    if unique:
        pick = "any_value(i) AS i" + (", any_value(f) AS f" if flags else "")
        sql = (
            f"SELECT l.i AS li, r.i AS ri FROM (SELECT k, {pick} FROM l_t GROUP BY k HAVING count(*) = 1) l "
            f"JOIN (SELECT k, {pick} FROM r_t GROUP BY k HAVING count(*) = 1) r ON l.k = r.k"
        )
    else:
        sql = "SELECT l.i AS li, r.i AS ri FROM l_t l JOIN r_t r ON l.k = r.k"
    if flags:  # (both sides flagged or neither: the flags are given together)
        sql += " WHERE l.f OR r.f"
    got = _fetch(con, sql)
    con.unregister("l_t")
    con.unregister("r_t")
    return got["li"].astype(np.int64), got["ri"].astype(np.int64)


def _join_here(
    li: np.ndarray,
    lk: pa.Array,
    ri: np.ndarray,
    rk: pa.Array,
    *,
    unique: bool,
    lflag: np.ndarray | None = None,
    rflag: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``_join`` worked out here by a pandas merge (a missing key joins nothing, as in SQL), pairs ordered by the
    left position, then the right.

        >>> t = lambda v: pa.array(v, pa.large_string())
        >>> [a.tolist() for a in _join_here(np.arange(3), t(["B", "A", "B"]), np.arange(2), t(["B", "A"]), unique=True)]
        [[1], [1]]
    """
    sides = []
    for idx, keys, flag, col in ((li, lk, lflag, "l"), (ri, rk, rflag, "r")):
        d = pd.DataFrame({col: np.asarray(idx, np.int64), "k": pd.array(keys, dtype="str")})
        if flag is not None:
            d[col + "f"] = np.asarray(flag, bool)
        d = d[d["k"].notna().to_numpy()]
        if unique:
            d = d[~d["k"].duplicated(keep=False).to_numpy()]
        sides.append(d)
    got = sides[0].merge(sides[1], on="k", sort=False)
    if lflag is not None:
        got = got[(got["lf"] | got["rf"]).to_numpy()]
    a, b = got["l"].to_numpy(np.int64), got["r"].to_numpy(np.int64)
    order = np.lexsort((b, a))
    return a[order], b[order]


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


def _join_few_paired(
    ci: np.ndarray,
    ck: pa.Array,
    ok: pa.Array,
    nk: pa.Array,
    partner: np.ndarray,
    o_paired: np.ndarray,
    n_paired: np.ndarray,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``keyjoin._join_few`` of a few change records (positions ``ci``, keys ``ck``) with both lists' whole key
    columns (``ok``, ``nk``), the new list's read off the old one's: a new record paired by the key with old
    record ``i`` (``o_paired[i]``, ``partner[i]`` = its position; ``n_paired`` = True) has the key of its partner,
    so the new records found are the partners of the old ones found, and those found among the few not paired
    by the key (added, duplicated) — one look-up in a million keys instead of two, the same pairs. Plain path:
    ``{"o": _join_few(ci, ck, ok), "n": _join_few(ci, ck, nk)}``."""
    a, b = _join_few_filtered(ci, ck, ok)
    has = o_paired[b]
    p = partner[b]
    rest = np.flatnonzero(~n_paired)
    ra, rb = _join_few(ci, ck, nk.take(pa.array(rest)))
    return {"o": (a, b), "n": (np.concatenate([a[has], ra]), np.concatenate([p[has], rest[rb]]))}


def _join_few_filtered(ci: np.ndarray, ck: pa.Array, keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``keyjoin._join_few(ci, ck, keys)`` with the whole key column first narrowed to the records whose key may
    be one of the few (``_may_hold``): Arrow's hash look-up of a million keys of text costs three times the
    narrowing. The same pairs."""
    maybe = _may_hold(keys, ck)
    if maybe is None:
        return _join_few(ci, ck, keys)
    a, b = _join_few(ci, ck, keys.take(pa.array(maybe)))
    return a, maybe[b]


_SLOT_BITS = 20  # a bitmap of 2^20 slots: a few thousand keys leave ~1 % of the others to check


def _may_hold(keys: pa.Array, few: pa.Array) -> np.ndarray | None:
    """The positions of a key column whose key may be one of ``few`` (keys without a missing one) — every one
    that is, and about 1 % of the others: each key's last 8 bytes (a 64-bit word, read in place) hashed by
    ``keyjoin._hash_rows`` to a slot of a bitmap in which the few keys of that byte length are set. None when
    the column's keys are not all of one byte length of at least 8 (学籍号 and ID numbers are): look them all
    up."""
    rows = fixed_matrix(keys)
    if rows is None or rows.shape[1] < 8:
        return None
    width = rows.shape[1]

    def slots_of(b: np.ndarray) -> np.ndarray:  # b: (n, width) bytes → each row's slot
        if not len(b):
            return np.zeros(0, np.uint64)
        words = np.ascontiguousarray(np.ndarray((len(b),), np.uint64, b, width - 8, (width,)))
        return _hash_rows(words.reshape(-1, 1)) >> np.uint64(64 - _SLOT_BITS)

    few = few.filter(pc.equal(pc.binary_length(few), width))
    taken = np.zeros(1 << _SLOT_BITS, bool)
    taken[slots_of(fixed_matrix(few) if len(few) else rows[:0])] = True
    return np.flatnonzero(taken[slots_of(rows)])


def _join_fixed(lk: pa.Array, rk: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """``_join(…, unique=False)`` of two whole key columns (positions 0 … len - 1 on each side; missing keys join
    nothing) whose keys all have one byte length (学籍号, ID numbers), worked out here instead of in the engine:
    each key as one 64-bit integer, the left ones indexed by pandas (one hash table), the right ones looked up
    in it. The integer is the key's exact code (``textbytes.fixed_codes``: its varying bytes as digits) when
    one fits, so a hit is a pair; else a hash of the key's bytes as 64-bit words (``_hash_rows``), and every hit
    is checked word for word, so that a collision can never pair two different keys. Pairs ordered by left
    position, then right position. None — join in the engine — when some key has another byte length, or when
    two left keys share their integer (a key repeated on the left, or two keys' hashes colliding).

        >>> t = lambda v: pa.array(v, pa.large_string())
        >>> [a.tolist() for a in _join_fixed(t(["B", "A", None]), t(["A", "C", "B", "A"]))]
        [[0, 1, 1], [2, 0, 3]]
    """
    sides = []
    for k in (lk, rk):
        at = None  # the keyed positions, when some key is missing (else every position)
        if k.null_count:
            at = np.flatnonzero(np.asarray(k.is_valid().to_numpy(zero_copy_only=False), bool))
            k = k.drop_null()
        b = fixed_matrix(k)
        if b is None:
            if len(k):
                return None
            b = np.zeros((0, 1), np.uint8)
        sides.append((at, b))
    (lat, lb), (rat, rb) = sides
    if not len(lb) or not len(rb) or lb.shape[1] != rb.shape[1]:  # nothing to pair: no keys, other lengths
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    codes = fixed_codes([lb, rb])
    exact = codes is not None
    if not exact:  # too many varying bytes for an exact code: hashed words, each hit checked below
        lw, rw = _rows([lb], len(lb)), _rows([rb], len(rb))
        codes = [_hash_rows(lw), _hash_rows(rw)]
    index = pd.Index(codes[0])
    if not index.is_unique:
        return None
    hit = index.get_indexer(codes[1])
    ri = np.flatnonzero(hit >= 0)
    li = hit[ri]
    if not exact:  # keep the hits whose words are all the same
        same = ~np.bitwise_or.reduce(lw.take(li, axis=0) ^ rw.take(ri, axis=0), axis=1).astype(bool)
        li, ri = li[same], ri[same]
    # ordered by left position: each left position once (no right key repeated) in one pass, else sorted
    at = np.full(len(lb), -1, np.int64)
    at[li] = ri
    if np.count_nonzero(at >= 0) == len(li):
        li = np.flatnonzero(at >= 0)
        ri = at[li]
    else:
        order = np.argsort(li, kind="stable")
        li, ri = li[order], ri[order]
    return (li if lat is None else lat[li]), (ri if rat is None else rat[ri])


def _hash_rows(w: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of a (n, words) uint64 matrix: equal rows have equal hashes, different rows almost
    never do (each word mixed in by MurmurHash3's finaliser steps; overflow wraps)."""
    h = w[:, 0].copy()
    for j in range(1, w.shape[1]):
        h ^= h >> _S
        h *= _M1
        h ^= w[:, j]
    h ^= h >> _S
    h *= _M1
    h ^= h >> _S
    h *= _M2
    h ^= h >> _S
    return h


def _duplicated_here(idx: np.ndarray, keys: pa.Array) -> np.ndarray:
    """Of positions ``idx`` (``keys`` aligned with them, none missing), those whose key occurs more than once —
    ``_duplicated`` of their table worked out here, in the order given.

        >>> _duplicated_here(np.array([4, 5, 6]), pa.array(["A", "B", "A"], pa.large_string())).tolist()
        [4, 6]
    """
    twice = pd.Series(pd.array(keys, dtype="str")).duplicated(keep=False).to_numpy(bool)
    return np.asarray(idx, np.int64)[twice]


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
