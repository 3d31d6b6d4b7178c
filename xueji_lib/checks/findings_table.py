"""Validation findings kept columnar: each rule's findings are arrays (record positions, values, details), and the
Chinese sentence of each is built per rule over those arrays — the rule's template split at its placeholders and
joined column-wise in Arrow, personal values masked per kind over the array — never one Python string at a time.

    >>> fill("{name}“{value}”校验位错误", {"name": "身份证号", "value": pa.array(["110105********002X"])}, 1).to_pylist()
    ['身份证号“110105********002X”校验位错误']
    >>> fill("{name}为空", {"name": "姓名"}, 3)
    '姓名为空'

The table ``FindingsTable.frame()`` builds is exactly the one the per-finding loop built (same columns, values,
order and dtypes): ``str.format`` of each template with name, field, value (masked) and detail, message + "。" +
hint where the hint is not empty, sorted by record (structure findings first) and severity, stable
(tests/test_findings_speed19.py compares the two). How, for millions of findings: the findings are sorted once (as
positions), then the table is built ``BLOCK_FINDINGS`` sorted findings at a time: each part's sentences for its
slice of the block joined over its own arrays with the template's words as scalars (never a column of a million
copies of the same words), the slices put in order by one concatenation and one take while they are in the cache;
the words that are one per part (field, name, rule, severity) are spread by part code. The columns are the
blocks' chunks: no column-long temporary besides the columns themselves (on the dirty bench file ≈550 MB less
peak memory than sorting whole columns). From ``PARALLEL_MIN_FINDINGS`` findings the parts' masked values, and
then the blocks, are built on two threads (Arrow's kernels release the GIL).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.normalize import STR
from ..core.textbytes import chunk_bytes

__all__ = ["Part", "FindingsTable", "fill", "texts_at", "records_with"]

LARGE = pa.large_string()
_FORMATTER = string.Formatter()


@dataclass
class Part:
    """The findings of one ``add`` call: rule, field, positions (-1: about the whole file), and the value and
    detail of each as an Arrow string array aligned with ``idx`` or as one string for all."""

    rule: str
    idx: np.ndarray
    field: str
    value: pa.Array | str
    detail: pa.Array | str
    severity: str | None

    @classmethod
    def of(
        cls,
        rule: str,
        idx: np.ndarray | Sequence[int],
        field: str,
        value: pa.Array | str,
        detail: pa.Array | str,
        severity: str | None,
    ) -> Part:
        return cls(rule, np.asarray(idx, dtype=np.int64), field, value, detail, severity)

    def severity_in(self, rules: dict) -> str:
        """The findings' severity: the one given to ``add`` (a layout field's), else the rule's."""
        return self.severity if isinstance(self.severity, str) and self.severity else rules[self.rule].severity


def _large(a) -> pa.Array:
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks() if a.num_chunks != 1 else a.chunk(0)
    return a if a.type == LARGE else a.cast(LARGE)


def column_take(s: pd.Series, idx: np.ndarray) -> pa.Array:
    """The values of a str column at positions ``idx``, as an Arrow large_string array (missing → null)."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is None or not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        return _large(pa.array(s.iloc[idx].astype(STR).array))
    return _large(chunked_take(arr, idx))


def chunked_take(arr: pa.ChunkedArray, idx: np.ndarray) -> pa.Array:
    """``arr.take(idx)`` chunk by chunk (Arrow's take over a ChunkedArray of several chunks joins them first)."""
    idx = np.asarray(idx, dtype=np.int64)
    if not isinstance(arr, pa.ChunkedArray):
        return arr.take(pa.array(idx))
    if arr.num_chunks == 1:
        return arr.chunk(0).take(pa.array(idx))
    starts = np.cumsum([0] + [len(c) for c in arr.chunks])
    which = np.searchsorted(starts, idx, side="right") - 1
    order = None if len(idx) < 2 or (np.diff(idx) >= 0).all() else np.argsort(which, kind="stable")
    w = which if order is None else which[order]
    i = idx if order is None else idx[order]
    bounds = np.searchsorted(w, np.arange(arr.num_chunks + 1))
    pieces = [
        arr.chunk(c).take(pa.array(i[bounds[c] : bounds[c + 1]] - starts[c]))
        for c in range(arr.num_chunks)
        if bounds[c + 1] > bounds[c]
    ]
    out = pa.concat_arrays(pieces) if pieces else arr.chunk(0).slice(0, 0)
    if order is not None:
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        out = out.take(pa.array(inverse))
    return out


def texts_at(values: object, idx: np.ndarray, n: int) -> pa.Array | str:
    """``"" if v is None else str(v)`` for each value ``v`` at ``idx`` of ``values`` (a full-length Series or array,
    or a short one as given, or one value for all) — what the per-finding loop wrote — over arrays: str columns
    taken in Arrow (missing → "nan", as ``str(float("nan"))``), numbers and other objects stringified once per
    distinct value."""
    if values is None:
        return ""
    if np.isscalar(values):
        return str(values)
    if isinstance(values, pd.Series):
        if values.dtype == STR:
            got = column_take(values, idx) if len(values) == n else _large(pa.array(values.array))
            return got.fill_null("nan") if got.null_count else got
        values = values.iloc[idx].to_numpy(dtype=object) if len(values) == n else values.to_numpy(dtype=object)
    else:
        arr = np.asarray(values) if not isinstance(values, list) else np.asarray(values, dtype=object)
        if arr.ndim != 1:
            arr = np.asarray(values, dtype=object)
        values = arr[idx] if len(arr) == n else arr
    if values.dtype.kind in "iub":
        uniq, inv = np.unique(values, return_inverse=True)
        return pa.array([str(u) for u in uniq.tolist()], LARGE).take(pa.array(inv.astype(np.int64)))
    values = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return pa.array(values, LARGE)
    return pa.array(["" if v is None else str(v) for v in values], LARGE)


def _parts_of(template: str) -> list[tuple[str, str | None]]:
    out = []
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        if spec or conversion:
            raise ValueError(f"rule template with a format spec: {template!r}")
        out.append((literal, name))
    return out


def fill(template: str, values: dict, n: int) -> pa.Array | str:
    """``template.format(**values)`` for ``n`` findings at once: each value a str (the same for all) or an Arrow
    string array of ``n``; returns a str when every value is one, else an Arrow large_string array."""
    pieces: list = []
    for literal, name in _parts_of(template):
        if literal:
            pieces.append(literal)
        if name is not None:
            pieces.append(values[name])  # KeyError for an unknown placeholder, like str.format
    if all(isinstance(p, str) for p in pieces):
        return "".join(pieces)
    merged: list = []  # neighbouring strings joined, so Arrow concatenates as few columns as possible
    for p in pieces:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    args = [pa.scalar(p, LARGE) if isinstance(p, str) else _large(p) for p in merged]
    return pc.binary_join_element_wise(*args, pa.scalar("", LARGE))


def _const(s: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(s, LARGE), n)


def _full(x, n: int) -> pa.Array:
    return _const(x, n) if isinstance(x, str) else _large(x)


class FindingsTable:
    """Builds the findings frame from the parts: ``rules`` (code → Rule), ``name`` / ``personal`` (field code → its
    Chinese name / personal-data kind), ``mask`` (an Arrow string array, a kind → the array masked), ``keys`` (the
    key field's text column, or None) and its kind."""

    def __init__(
        self,
        rules: dict,
        name: Callable[[str], str],
        personal: Callable[[str], str | None],
        mask: Callable[[pa.Array, str], pa.Array],
        keys: pd.Series | None,
        key_kind: str | None,
    ):
        self.rules, self.name, self.personal, self.mask = rules, name, personal, mask
        self.keys, self.key_kind = keys, key_kind
        self._fixed: np.ndarray | None = None  # the keys of one byte width (``_fixed_width``), while ``frame`` runs

    def frame(self, parts: Sequence[Part], columns: Sequence[str], severity_order: dict) -> pd.DataFrame:
        parts = [_in_row_order(p) for p in parts if len(p.idx)]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype="str" if c != "row" else "Int64") for c in columns})
        sizes = np.array([len(p.idx) for p in parts], np.int64)
        sevs = [p.severity_in(self.rules) for p in parts]
        fields = [p.field for p in parts]
        names = [self.name(p.field) if p.field else "" for p in parts]
        threads = 2 if int(sizes.sum()) >= PARALLEL_MIN_FINDINGS else 1

        def sort() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """The findings sorted by record, severity and part (stable), as (record position, part, position in the
            part) of each: a part's findings are in row order (``_in_row_order``) and the sort is stable, so they
            come out in the part's own order."""
            rank = [severity_order[s] for s in sevs]
            got = _sorted_by_count(parts, rank)
            if got is not None:
                return got
            part_of = np.repeat(np.arange(len(parts), dtype=np.int32), sizes)
            idx = np.concatenate([p.idx for p in parts])
            order = np.lexsort((np.array(rank, np.int64)[part_of], idx))
            part_sorted = part_of[order]
            return idx[order], part_sorted, order - np.concatenate([[0], np.cumsum(sizes)[:-1]])[part_sorted]

        # the sort, and each part's shown values (masked where personal) and the pieces of its sentences (the rule's
        # text as str, the part's arrays between); the largest parts first, so that the two threads end together
        first = sorted(range(len(parts)), key=lambda j: -int(sizes[j]))
        got = _run([sort] + [lambda j=j: self._part(parts[j], names[j], int(sizes[j])) for j in first], threads)
        idx_sorted, part_sorted, within = got[0]
        built = dict(zip(first, got[1:]))
        del got
        total = len(idx_sorted)
        shown = [built[j][0] for j in range(len(parts))]
        sentences = [built[j][1] for j in range(len(parts))]
        del built
        # the words one per part, each as its distinct values (one for all: a repeat, else a take by part code)
        words = []
        for w in (fields, names, [p.rule for p in parts], sevs):
            uniq = list(dict.fromkeys(w))
            words.append((pa.array(uniq, LARGE), np.array([uniq.index(x) for x in w], np.int32)))

        def block(b0: int, b1: int, lo: np.ndarray, count: np.ndarray) -> list[pa.Array]:
            """The columns (but the row) of the sorted findings ``b0:b1``: part ``j``'s findings ``lo[j]`` to
            ``lo[j] + count[j]`` among them. Each present part's sentences and values are made for its slice, the
            slices joined in part order and put in the sorted order by one take."""
            codes = part_sorted[b0:b1]
            present = np.flatnonzero(count)
            base = np.zeros(len(parts), np.int64)
            base[present] = np.concatenate([[0], np.cumsum(count[present])[:-1]])
            local = pa.array(base[codes] - lo[codes] + within[b0:b1])
            spans = [(int(lo[j]), int(count[j])) for j in present]
            message = pa.concat_arrays([_sentences(sentences[j], at, k) for j, (at, k) in zip(present, spans)])
            value = pa.concat_arrays([_full_slice(shown[j], at, k) for j, (at, k) in zip(present, spans)])
            keys = self._keys_at(idx_sorted[b0:b1])
            spread = [
                _const(u[0].as_py(), len(codes)) if len(u) == 1 else u.take(pa.array(at[codes])) for u, at in words
            ]
            return [message.take(local), value.take(local), keys, *spread]

        self._fixed = _fixed_width(self.keys) if self.keys is not None and total >= BLOCK_FINDINGS else None
        # the sorted findings in blocks of BLOCK_FINDINGS: each block's pieces are made, joined and taken while they
        # are in the cache, and no column-long temporary is made besides the columns themselves
        calls = []
        lo = np.zeros(len(parts), np.int64)
        for b0 in range(0, total, BLOCK_FINDINGS):
            b1 = min(b0 + BLOCK_FINDINGS, total)
            count = np.bincount(part_sorted[b0:b1], minlength=len(parts)).astype(np.int64)
            calls.append(partial(block, b0, b1, lo, count))
            lo = lo + count
        try:
            chunks = _run(calls, threads)
        finally:
            self._fixed = None
        del calls
        message, value, key, field_col, name_col, rule_col, sev_col = (
            _str(pa.chunked_array([c[i] for c in chunks], LARGE)) for i in range(7)
        )
        del chunks
        on_row = idx_sorted >= 0
        row = pd.arrays.IntegerArray(np.where(on_row, idx_sorted + 1, 0).astype(np.int64), ~on_row)
        return pd.DataFrame(
            {
                "row": row,
                "key": key,
                "field": field_col,
                "name": name_col,
                "rule": rule_col,
                "severity": sev_col,
                "value": value,
                "message": message,
            },
            columns=list(columns),
        )

    def _keys_at(self, idx: np.ndarray) -> pa.Array:
        """The key field's text at record positions ``idx`` (masked where personal); "" for structure findings
        (position -1) and where there is no key field."""
        if self.keys is None:
            return _const("", len(idx))
        on_row = idx >= 0
        at = np.where(on_row, idx, 0)
        fixed = self._fixed
        got = column_take(self.keys, at) if fixed is None else _fixed_take(fixed, at)
        if self.key_kind:
            got = _large(self.mask(got, self.key_kind))
        if not on_row.all():
            got = pc.if_else(pa.array(on_row), got, pa.scalar("", LARGE))
        return got

    def _part(self, p: Part, name: str, k: int) -> tuple[pa.Array | str, list | pa.Array]:
        """One part's shown values (masked where personal; a str when one for all) and its sentences: their
        pieces (``_template``) or, where the hint may be empty, the ``k`` sentences themselves."""
        rule = self.rules[p.rule]
        kind = self.personal(p.field) if p.field else None
        shown = p.value
        if kind:
            shown = self.mask(pa.array([p.value], LARGE), kind)[0].as_py() if isinstance(shown, str) else None
            shown = shown if shown is not None else _large(self.mask(_large(p.value), kind))
        else:
            shown = shown if isinstance(shown, str) else _large(shown)
        words = {"name": name, "field": p.field, "value": shown, "detail": p.detail}
        pieces = _template(rule, words, k)
        return shown, pieces if isinstance(pieces, list) else _large(pieces)


# From this many findings the table's columns are built on two threads (Arrow's kernels release the GIL); below it
# one after the other. As validate's PARALLEL_MIN_RECORDS, a thread costs more than it saves on small files.
PARALLEL_MIN_FINDINGS = 50_000
# The sorted findings are built this many at a time: a block's sentences (some 10 MB) stay in the cache between
# being joined, gathered and taken.
BLOCK_FINDINGS = 1 << 16


def _in_row_order(p: Part) -> Part:
    """``p`` with its findings in row order (a stable sort; the table's order does not change): as ``add`` makes
    them from a mask or ascending positions, mostly already so."""
    if len(p.idx) < 2 or (p.idx[1:] >= p.idx[:-1]).all():
        return p
    o = np.argsort(p.idx, kind="stable")
    o_pa = pa.array(o)

    def taken(x):
        return x if isinstance(x, str) else _large(x).take(o_pa)

    return Part(p.rule, p.idx[o], p.field, taken(p.value), taken(p.detail), p.severity)


def _sorted_by_count(parts: Sequence[Part], rank: Sequence[int]) -> tuple | None:
    """``frame``'s sort (record, then severity ``rank``, then part, stable) as a counting sort by record: each part's
    positions are ascending and distinct (a part has at most one finding per record), so the findings of a record
    are placed part by part in (severity, part) order, each after those placed before — no comparison sort of
    millions. None where a part repeats a record (the plain sort then)."""
    if any(len(p.idx) > 1 and not (p.idx[1:] > p.idx[:-1]).all() for p in parts):
        return None
    lo = min(int(p.idx[0]) for p in parts)  # -1: structure findings
    hi = max(int(p.idx[-1]) for p in parts)
    counts = np.zeros(hi - lo + 2, np.int64)
    for p in parts:
        counts[p.idx - lo + 1] += 1  # distinct positions: a plain fancy add
    cursor = np.cumsum(counts)[:-1]  # the first slot of each record
    total = int(counts.sum())
    idx_sorted = np.empty(total, np.int64)
    part_sorted = np.empty(total, np.int32)
    within = np.empty(total, np.int64)
    for j in sorted(range(len(parts)), key=lambda j: (rank[j], j)):
        at = parts[j].idx - lo
        slot = cursor[at]
        idx_sorted[slot] = parts[j].idx
        part_sorted[slot] = j
        within[slot] = np.arange(len(at))
        cursor[at] += 1
    return idx_sorted, part_sorted, within


def _fixed_width(keys: pd.Series) -> np.ndarray | None:
    """The key column as one ``np.void`` item of w bytes per record, when every key has w ≥ 1 UTF-8 bytes and none
    is missing (考生号, 学籍号): numpy gathers such items faster than Arrow's take of strings. None otherwise."""
    chunks = chunk_bytes(keys)
    if chunks is None or not len(keys):
        return None
    width, pieces = None, []
    for _, off, data in chunks:
        if len(off) < 2:
            continue
        lengths = np.diff(off)
        width = int(lengths[0]) if width is None else width
        if width < 1 or (lengths != width).any():
            return None
        pieces.append(data[off[0] : off[-1]])
    return np.concatenate(pieces).view(f"V{width}") if pieces else None


def _fixed_take(fixed: np.ndarray, idx: np.ndarray) -> pa.Array:
    """``column_take`` of the column ``fixed`` (``_fixed_width``) at ``idx``: the items gathered by numpy, made an
    Arrow large_string array over their bytes with offsets of one step."""
    data = fixed[idx].view(np.uint8)
    width = fixed.dtype.itemsize
    offsets = np.arange(0, (len(idx) + 1) * width, width, dtype=np.int64)
    return pa.Array.from_buffers(LARGE, len(idx), [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _sentences(made: list | pa.Array, at: int, k: int) -> pa.Array:
    """The ``k`` sentences from finding ``at`` of a part's (``FindingsTable._part``: their pieces, or themselves)."""
    if not isinstance(made, list):
        return made.slice(at, k)
    return _joined_pieces([p if isinstance(p, str) else p.slice(at, k) for p in made], k)


def _full_slice(x: pa.Array | str, at: int, k: int) -> pa.Array:
    return _const(x, k) if isinstance(x, str) else x.slice(at, k)


def records_with(parts: Sequence[Part], rules: dict, severity: str, n: int) -> np.ndarray:
    """Per record (``n``): some finding of ``severity`` is on it — the records of the findings table's rows of that
    severity (structure findings, about no record, left out), from the parts' positions without the table."""
    out = np.zeros(n, bool)
    for p in parts:
        if len(p.idx) and p.severity_in(rules) == severity:
            out[p.idx[p.idx >= 0]] = True
    return out


def _run(calls: list[Callable[[], object]], threads: int) -> list:
    """``[call() for call in calls]``, on ``threads`` threads (started in list order) when more than one."""
    if threads < 2 or len(calls) < 2:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="xueji-findings") as pool:
        futures = [pool.submit(call) for call in calls]
        return [f.result() for f in futures]


def _template(rule, words: dict, n: int) -> list | pa.Array:
    """A rule's message for ``n`` findings as its pieces: text and Arrow arrays in turn, starting and ending with
    text (``f"{message}。{hint}"``, the hint left out where it is empty); or the messages themselves where the hint
    is an array that may be empty."""
    hint = rule.hint
    if not any(literal for literal, _ in _parts_of(hint)):
        hint = fill(hint, words, n)
        if not isinstance(hint, str):
            return _message(rule, words, n)
        hint = _esc(hint)
    pieces: list = [""]
    for literal, name in _parts_of(rule.message + ("。" + hint if hint else "")):
        pieces[-1] += literal
        if name is not None:
            value = words[name]  # KeyError for an unknown placeholder, like str.format
            if isinstance(value, str):
                pieces[-1] += value
            else:
                pieces += [_large(value), ""]
    return pieces


def _joined_pieces(pieces: list, n: int) -> pa.Array:
    if len(pieces) == 1:
        return _const(pieces[0], n)
    args = [pa.scalar(p, LARGE) if isinstance(p, str) else p for p in pieces]
    return pc.binary_join_element_wise(*args, pa.scalar("", LARGE))


def _message(rule, words: dict, n: int):
    """``f"{message}。{hint}" if hint else message`` of a rule for ``n`` findings: one pass over the arrays where the
    hint cannot be empty (its template has text besides the placeholders)."""
    if any(literal for literal, _ in _parts_of(rule.hint)):
        return _full(fill(rule.message + "。" + rule.hint, words, n), n)
    return _joined(fill(rule.message, words, n), fill(rule.hint, words, n), n)


def _joined(msg, hint, n: int):
    """``f"{msg}。{hint}" if hint else msg`` per finding (each a str or an Arrow array)."""
    if isinstance(hint, str):
        if not hint:
            return _full(msg, n)
        return _full(msg + "。" + hint, n) if isinstance(msg, str) else fill("{m}。" + _esc(hint), {"m": msg}, n)
    both = pc.binary_join_element_wise(_full(msg, n), pa.scalar("。", LARGE), hint, pa.scalar("", LARGE))
    return pc.if_else(pc.equal(pc.binary_length(hint), 0), _full(msg, n), both)


def _esc(s: str) -> str:
    return s.replace("{", "{{").replace("}", "}}")


def _str(a: pa.Array) -> pd.arrays.ArrowStringArray:
    return pd.array(a, dtype=STR)
