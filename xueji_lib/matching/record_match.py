"""The records of two snapshots of one population paired, for ``compare``: by the key (学籍号 or an ID field),
then — for records without it, or whose key found nobody — by the ID number and by 姓名+性别+出生日期 (only
where that identity is unique on both sides). Duplicated keys and records without any identity get their
status here; everything else is decided by comparing the pairs (``compare._judge``).

The key join also tells, per pair, whether any compared value differs as written, so that only those
pairs are compared field by field.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.textbytes import text_array
from ..engine.engines import Engine, OnDemand
from .colcheck import _Rows
from .keyjoin import _duplicated, _duplicated_here, _engine, _fetch, _join, _join_fixed, _keyed, _table
from .roster import ID_FIELDS, NAME_SEX_BIRTH, _Roster

# statuses while computing: small integer codes (0 = not decided yet), names only in the output
_WORKING_STATUSES = ("", "unchanged", "changed", "moved", "removed", "added", "duplicate_key", "missing_key")
_STATUS_CODE = {name: np.int8(i) for i, name in enumerate(_WORKING_STATUSES)}


@dataclass
class _Match:
    oi: np.ndarray  # pairs (old position, new position) whose records are compared
    ni: np.ndarray
    how: np.ndarray  # per pair: 1-based index into ``levels`` of the key that matched it
    levels: list  # [key, ID, 姓名+性别+出生日期]
    check: np.ndarray  # per pair: values may differ (False: equal as written in every field)
    o_status: np.ndarray  # per record a ``_STATUS_CODE`` code: 0 / duplicate_key / missing_key, before comparison
    n_status: np.ndarray
    o_dup_kind: np.ndarray  # per record: 0 / 1 the key / 2 the fallback identity is duplicated
    n_dup_kind: np.ndarray
    o_link: np.ndarray  # the single counterpart of a record whose key is duplicated (-1: none)
    n_link: np.ndarray
    fid_o: dict  # position → fallback identity, for records without the key
    fid_n: dict


def _best_copy(single: _Roster, copies: _Roster, si: np.ndarray, ci: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For pairs (single record, one of several copies of its key on the other side), keep per single
    record the copy most like it: same school, then same grade and class, then the first."""
    score = np.zeros(len(si), np.int64)
    for w, code in ((4, "XXBSM"), (4, "XXMC"), (2, "NJ"), (1, "BJ")):
        same = single.norm_at(code, si).to_numpy(dtype=object) == copies.norm_at(code, ci).to_numpy(dtype=object)
        score += w * same.astype(np.int64)
    d = pd.DataFrame({"s": si, "c": ci, "score": score}).sort_values(["s", "score", "c"], ascending=[True, False, True])
    d = d.drop_duplicates("s")
    return d["s"].to_numpy(), d["c"].to_numpy()


def _key_pairs_engine(con: Engine | OnDemand, o: _Roster, n: _Roster, ok: pd.Series, nk: pd.Series, flds: list[str]):
    """The key join of two lists of which one at least is a folder: both registered with their key and the
    compared columns as written (a folder's read by the engine itself); one join gives the pairs and whether
    any compared value differs. Returns (old positions, new positions, may differ, old and new positions
    whose key is duplicated)."""
    con = _engine(con)
    names = [f"c{j}" for j in range(len(flds))]
    for name, r, k in (("o_v", o, ok), ("n_v", n, nk)):
        r.register(con, name, k, flds)
    o_dup, n_dup = _duplicated(con, "o_v"), _duplicated(con, "n_v")
    differ = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in names) or "FALSE"
    got = _fetch(con, f"SELECT o.i AS li, n.i AS ri, ({differ}) AS d FROM o_v o JOIN n_v n ON o.k = n.k")
    con.unregister("o_v")
    con.unregister("n_v")
    return got["li"].astype(np.int64), got["ri"].astype(np.int64), got["d"].astype(bool), o_dup, n_dup


def _key_pairs_here(con: Engine | OnDemand, o: _Roster, n: _Roster, ok: pd.Series, nk: pd.Series, flds: list[str]):
    """``_key_pairs_engine`` for two frames: the keys alone are joined (``keyjoin._join_fixed`` here when they
    allow it, else by the engine) while the compared columns are prepared; the duplicated keys are read off
    the pairs (a key on both sides: an old or new position paired more than once) and off the few records
    the join left alone; whether a pair may differ is worked out here, one column at a time on the columns'
    bytes (``colcheck``). The same result."""
    ka, kb = text_array(ok), text_array(nk)
    with ThreadPoolExecutor(1) as pool:  # the compared columns prepared while the keys are joined
        rows = pool.submit(lambda: _Rows([text_array(o.col(f)) for f in flds], [text_array(n.col(f)) for f in flds]))
        got = _join_fixed(ka, kb)  # keys of one byte length, no key twice on the old side: joined here
        if got is None:
            eng = _engine(con)
            eng.register("o_k", _table(np.arange(o.n), ka))
            eng.register("n_k", _table(np.arange(n.n), kb))
            got = _fetch(eng, "SELECT o.i AS li, n.i AS ri FROM o_k o JOIN n_k n ON o.k = n.k")
            eng.unregister("o_k")
            eng.unregister("n_k")
            li, ri = got["li"].astype(np.int64), got["ri"].astype(np.int64)
            order = _sorted_order(li, o.n)
            li, ri = li[order], ri[order]
        else:
            li, ri = got
        o_dup, n_dup = _paired_dups(li, ri, ok, nk)  # while the compared columns are still being prepared
        rows = rows.result()
    return li, ri, rows.distinct(li, ri), o_dup, n_dup


def _paired_dups(li: np.ndarray, ri: np.ndarray, ok: pd.Series, nk: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The old and new positions whose key is duplicated, read off the key join's pairs (``li``, ``ri``) of the
    old keys ``ok`` and the new keys ``nk``: a key on both sides makes a position of the other side pair more
    than once; a key on one side only is looked for among the records the join left alone."""
    dups = []
    for mine, other, keys, others in ((li, ri, ok, len(nk)), (ri, li, nk, len(ok))):
        # a key both sides have: each copy on this side pairs with the same other record, which pairs twice
        twice = np.bincount(other, minlength=others) > 1
        dup = np.zeros(len(keys), bool)
        dup[mine[twice[other]]] = True
        # a key only this side has: among the records the join left alone
        alone = np.ones(len(keys), bool)
        alone[mine] = False
        rest = np.flatnonzero(alone)
        rk = keys.take(rest)
        seen = rk.notna().to_numpy(bool)
        dup[rest[seen & rk.duplicated(keep=False).to_numpy(bool)]] = True
        dups.append(np.flatnonzero(dup))
    return dups[0], dups[1]


def _sorted_order(idx: np.ndarray, size: int) -> np.ndarray:
    """The order that sorts positions ``idx`` (each below ``size``) stably — ``np.argsort(idx, kind="stable")``
    — by a counting sort: each position's place from the counts of the smaller ones, the few repeated ones
    ranked among themselves in the order given.

        >>> _sorted_order(np.array([3, 0, 3, 1, 0, 3]), 5).tolist()
        [1, 4, 3, 0, 2, 5]
    """
    n = len(idx)
    if not n:
        return np.zeros(0, np.int64)
    counts = np.bincount(idx, minlength=size)
    place = np.cumsum(counts)
    place -= counts  # where each value's first copy goes
    at = place[idx]
    again = np.flatnonzero(counts[idx] > 1)
    if len(again):
        again = again[np.argsort(idx[again], kind="stable")]
        v = idx[again]
        first = np.flatnonzero(np.concatenate(([True], v[1:] != v[:-1])))
        at[again] += np.arange(len(again)) - np.repeat(first, np.diff(np.append(first, len(again))))
    order = np.empty(n, np.int64)
    order[at] = np.arange(n, dtype=np.int64)
    return order


def _match(con: Engine | OnDemand, o: _Roster, n: _Roster, key: str, id_level: bool, flds: list[str]) -> _Match:
    ok, nk = o.key(key), n.key(key)
    levels = [key, ID_FIELDS[0], NAME_SEX_BIRTH]
    o_status, n_status = np.zeros(o.n, np.int8), np.zeros(n.n, np.int8)
    o_dup_kind, n_dup_kind = np.zeros(o.n, np.int8), np.zeros(n.n, np.int8)
    o_link, n_link = np.full(o.n, -1, np.int64), np.full(n.n, -1, np.int64)
    o_keyless, n_keyless = ok.isna().to_numpy(), nk.isna().to_numpy()

    # 1. the key. Both frames are registered with their key and the compared columns as they are (Arrow,
    # no copy): one join gives the pairs and whether any compared value differs as written; values equal
    # as written are equal after normalising, so only the few other pairs are looked at field by field.
    if o.src.is_folder or n.src.is_folder:
        li, ri, d, o_dup, n_dup = _key_pairs_engine(con, o, n, ok, nk, flds)
    else:
        li, ri, d, o_dup, n_dup = _key_pairs_here(con, o, n, ok, nk, flds)
    o_status[o_dup], o_dup_kind[o_dup] = _STATUS_CODE["duplicate_key"], 1
    n_status[n_dup], n_dup_kind[n_dup] = _STATUS_CODE["duplicate_key"], 1
    od, nd = o_status[li] == _STATUS_CODE["duplicate_key"], n_status[ri] == _STATUS_CODE["duplicate_key"]
    plain = ~od & ~nd
    pairs_o, pairs_n, pairs_how, check = [li[plain]], [ri[plain]], [np.full(int(plain.sum()), 1, np.int8)], [d[plain]]
    # one side duplicated, the other single: the single record is compared with its most similar copy;
    # every copy points back to the single record
    for single_dup, s_idx, c_idx, s_r, c_r, c_link, flip in (
        (~od & nd, li, ri, o, n, n_link, False),
        (od & ~nd, ri, li, n, o, o_link, True),
    ):
        if single_dup.any():
            s_all, c_all = s_idx[single_dup], c_idx[single_dup]
            c_link[c_all] = s_all
            s_best, c_best = _best_copy(s_r, c_r, s_all, c_all)
            pairs_o.append(c_best if flip else s_best)
            pairs_n.append(s_best if flip else c_best)
            pairs_how.append(np.full(len(s_best), 1, np.int8))
            check.append(np.ones(len(s_best), bool))
    matched_o, matched_n = np.zeros(o.n, bool), np.zeros(n.n, bool)
    matched_o[li] = True
    matched_n[ri] = True

    # 2. records without the key: their fallback identity (the ID when there is an ID column besides the
    # key, else 姓名+性别+出生日期); none → missing_key; the same identity twice on a side → duplicate_key
    fid = {}
    for side, r, keyless, status, kind in (
        ("o", o, o_keyless, o_status, o_dup_kind),
        ("n", n, n_keyless, n_status, n_dup_kind),
    ):
        idx = np.flatnonzero(keyless)
        ident = r.key_at(NAME_SEX_BIRTH, idx)
        if id_level:
            ident = ("ID:" + r.key_at(ID_FIELDS[0], idx)).fillna("NSB:" + ident)
        fid[side] = dict(zip(idx.tolist(), ident.tolist()))
        status[idx[ident.isna().to_numpy()]] = _STATUS_CODE["missing_key"]
        ii, kk = _keyed(idx, ident)
        if len(ii) and isinstance(con, OnDemand) and con.here(len(ii)):
            dup = _duplicated_here(ii, kk)
            status[dup], kind[dup] = _STATUS_CODE["duplicate_key"], 2
        elif len(ii):
            eng = _engine(con)
            eng.register("f_t", _table(ii, kk))
            dup = _duplicated(eng, "f_t")
            eng.unregister("f_t")
            status[dup], kind[dup] = _STATUS_CODE["duplicate_key"], 2

    # 3. fallback levels over what is still free: the ID (when the key is not the ID), then 姓名+性别+出生日期
    # (only where at least one of the two has no key); a level matches only identities unique on both sides
    for level in ([ID_FIELDS[0]] if id_level else []) + [NAME_SEX_BIRTH]:
        free_o = np.flatnonzero((o_status == 0) & ~matched_o)
        free_n = np.flatnonzero((n_status == 0) & ~matched_n)
        if not len(free_o) or not len(free_n):
            break
        io, ko = _keyed(free_o, o.key_at(level, free_o))
        in_, kn = _keyed(free_n, n.key_at(level, free_n))
        if level == NAME_SEX_BIRTH:
            a, b = _join(con, io, ko, in_, kn, unique=True, lflag=o_keyless[io], rflag=n_keyless[in_])
        else:
            a, b = _join(con, io, ko, in_, kn, unique=True)
        matched_o[a] = True
        matched_n[b] = True
        pairs_o.append(a), pairs_n.append(b), pairs_how.append(np.full(len(a), levels.index(level) + 1, np.int8))
        check.append(np.ones(len(a), bool))

    return _Match(
        oi=np.concatenate(pairs_o).astype(np.int64),
        ni=np.concatenate(pairs_n).astype(np.int64),
        how=np.concatenate(pairs_how),
        levels=levels,
        check=np.concatenate(check),
        o_status=o_status,
        n_status=n_status,
        o_dup_kind=o_dup_kind,
        n_dup_kind=n_dup_kind,
        o_link=o_link,
        n_link=n_link,
        fid_o=fid["o"],
        fid_n=fid["n"],
    )
