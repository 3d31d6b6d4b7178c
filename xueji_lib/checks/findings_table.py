"""Validation findings kept columnar: each rule's findings are arrays (record positions, values, details), and the
Chinese sentence of each is built per rule over those arrays — the rule's template split at its placeholders and
joined column-wise in Arrow, personal values masked per kind over the array — never one Python string at a time.

    >>> fill("{name}“{value}”校验位错误", {"name": "身份证号", "value": pa.array(["110105********002X"])}, 1).to_pylist()
    ['身份证号“110105********002X”校验位错误']
    >>> fill("{name}为空", {"name": "姓名"}, 3)
    '姓名为空'

The table ``FindingsTable.frame()`` builds is exactly the one the per-finding loop built (same columns, values,
order and dtypes): ``str.format`` of each template with name, field, value (masked) and detail, message + "。" +
hint where the hint is not empty, sorted by record (structure findings first) and severity, stable.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.normalize import STR

__all__ = ["Part", "FindingsTable", "fill", "texts_at"]

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
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([s], LARGE)).cast(LARGE)


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

    def frame(self, parts: Sequence[Part], columns: Sequence[str], severity_order: dict) -> pd.DataFrame:
        parts = [p for p in parts if len(p.idx)]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype="str" if c != "row" else "Int64") for c in columns})
        sizes = np.array([len(p.idx) for p in parts], np.int64)
        part_of = np.repeat(np.arange(len(parts), dtype=np.int32), sizes)
        idx = np.concatenate([p.idx for p in parts])
        fields, names, sevs, values, messages = [], [], [], [], []
        for p, k in zip(parts, sizes.tolist()):
            rule = self.rules[p.rule]
            kind = self.personal(p.field) if p.field else None
            shown = p.value
            if kind:
                shown = self.mask(pa.array([p.value], LARGE), kind)[0].as_py() if isinstance(shown, str) else None
                shown = shown if shown is not None else self.mask(_large(p.value), kind)
            name = self.name(p.field) if p.field else ""
            words = {"name": name, "field": p.field, "value": shown, "detail": p.detail}
            messages.append(_template(rule, words, k))
            values.append(_full(shown, k))
            fields.append(p.field)
            names.append(name)
            sevs.append(p.severity if isinstance(p.severity, str) and p.severity else rule.severity)
        order = np.lexsort((np.array([severity_order[s] for s in sevs], np.int64)[part_of], idx))
        order_pa = pa.array(order, pa.int64())
        part_codes = pa.array(part_of[order])
        idx_sorted = idx[order]

        def small(strings: list[str]) -> pd.arrays.ArrowStringArray:  # a few words, one per part, spread
            return _str(pa.DictionaryArray.from_arrays(part_codes, pa.array(strings, LARGE)).cast(LARGE))

        def big(arrays: list[pa.Array]) -> pd.arrays.ArrowStringArray:
            joined = pa.concat_arrays(arrays)
            arrays.clear()  # the parts' arrays go before the sorted copy is made (peak memory)
            return _str(joined.take(order_pa))

        on_row = idx_sorted >= 0
        if self.keys is not None:
            got = column_take(self.keys, np.where(on_row, idx_sorted, 0))
            if self.key_kind:
                got = self.mask(got, self.key_kind)
            if not on_row.all():  # structure findings (no record) get an empty key
                got = pc.if_else(pa.array(on_row), got, pa.scalar("", LARGE))
            key = _str(got)
        else:
            key = _str(_const("", len(idx)))
        row = pd.arrays.IntegerArray(np.where(on_row, idx_sorted + 1, 0).astype(np.int64), ~on_row)
        return pd.DataFrame(
            {
                "row": row,
                "key": key,
                "field": small(fields),
                "name": small(names),
                "rule": small([p.rule for p in parts]),
                "severity": small(sevs),
                "value": big(values),
                "message": _str(_messages(messages, sizes, order_pa, part_codes)),
            },
            columns=list(columns),
        )


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


def _messages(templates: list, sizes: np.ndarray, order: pa.Array, codes: pa.Array) -> pa.Array:
    """The messages of all parts in sorted order (``order`` of the parts' findings one after another; ``codes``:
    each sorted finding's part), joined once over whole columns: each text piece spread from the parts by code,
    each array piece gathered from the parts and sorted (a part with fewer arrays has empty ones)."""
    if any(not isinstance(t, list) for t in templates):  # a hint that may be empty: each part's messages, sorted
        arrays = [_joined_pieces(t, k) if isinstance(t, list) else t for t, k in zip(templates, sizes.tolist())]
        return pa.concat_arrays(arrays).take(order)
    slots = max(len(t) // 2 for t in templates)
    columns = []
    for j in range(slots + 1):
        texts = [t[2 * j] if 2 * j < len(t) else "" for t in templates]
        columns.append(pa.DictionaryArray.from_arrays(codes, pa.array(texts, LARGE)).cast(LARGE))
        if j < slots:
            got = [t[2 * j + 1] if 2 * j + 1 < len(t) else _const("", k) for t, k in zip(templates, sizes.tolist())]
            columns.append(pa.concat_arrays(got).take(order))
    if len(columns) == 1:
        return columns[0]
    return pc.binary_join_element_wise(*columns, pa.scalar("", LARGE))


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
