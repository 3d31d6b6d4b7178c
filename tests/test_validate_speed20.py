"""Issue 20, validate on a dirty file: the fast paths give exactly what the plain way gives (randomised, with blanks,
non-ASCII text, lower case, repeated and empty values, columns of several Arrow chunks).

- ``_rows_where`` with a ``_ByteTest`` (chunks skipped by their byte range and ``bytes.find``) against the test on
  every chunk;
- ``_mask_arrow``'s one-length ID numbers against ``mask_series``;
- ``findings_table._sorted_by_count`` (a counting sort by record) against the stable lexsort it replaces;
- ``findings_table._fixed_width`` / ``_fixed_take`` (keys of one byte width gathered by numpy) against
  ``column_take``, and the findings frame with such keys against the per-finding loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.test_findings_speed19 import _chunked, _random_parts, _reference, _table
from xueji_lib.checks import findings_table as FT
from xueji_lib.checks import validate as V
from xueji_lib.core.privacy import mask_series
from xueji_lib.core.textbytes import byte_test, chunk_bytes
from xueji_lib.schema.rules import SEVERITY_ORDER

LARGE = pa.large_string()
_fixed_take = FT._fixed_take

TEXTS = ["", " ", "a", "Z", "1", "x\x7f", "\x1f", "\t张三", "张三", "é", "Ａ", "E5", "e", "\u3000", "?", "ab cd", "€"]


@pytest.fixture(autouse=True)
def _fresh_memo():
    V._memo_clear()
    yield
    V._memo_clear()


def _rows_plain(chunks, table: np.ndarray) -> np.ndarray:
    test = byte_test(table)
    rows = [
        start + i for start, off, data in chunks for i in range(len(off) - 1) if test(data[off[i] : off[i + 1]]).any()
    ]
    return np.array(rows, np.int64)


@pytest.mark.parametrize("seed", range(8))
def test_rows_where_skipping_chunks_equals_the_test_on_every_chunk(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 7, 200, 1000]))
    # some chunks of ASCII digits only, some of everything: most chunks skipped, some not
    pool = TEXTS if seed % 2 else ["0123", "99", "", "7"]
    values = [
        str(rng.choice(pool)) + str(rng.choice(TEXTS)) if rng.random() < 0.05 else str(rng.choice(pool))
        for _ in range(n)
    ]
    chunks = chunk_bytes(_chunked(values, int(rng.choice([1, 13, 97]))))
    tables = [
        V._CONTROL,
        V._BLANK_LEAD,
        V._LEADS["Ee"],
        V._LEADS["abcdefghijklmnopqrstuvwxyz"],
        V._LEADS["\uff10"],
        np.arange(256) >= 0x80,
        np.zeros(256, bool),
        np.ones(256, bool),
        rng.random(256) < 0.01,
        rng.random(256) < 0.3,
    ]
    for table in tables:
        got = V._rows_where(chunks, V._byte_test(table))
        assert got.tolist() == _rows_plain(chunks, np.asarray(table, bool)).tolist()
        assert got.tolist() == V._rows_where(chunks, byte_test(np.asarray(table, bool))).tolist()


IDS = [
    "110105194912310021",
    "11010519491231002X",
    "11010519491231002x",
    "１１０１０５１９４９１２３１００２Ｘ",
    "张三李四王五赵六孙七周八吴九郑十冯一陈二",
]


@pytest.mark.parametrize("seed", range(6))
def test_mask_arrow_of_one_length_equals_mask_series(seed):
    rng = np.random.default_rng(100 + seed)
    for length in [0, 1, 5, 6, 7, 10, 11, 15, 18, 20]:
        n = int(rng.choice([1, 3, 50]))
        values = ["".join(rng.choice(list(str(rng.choice(IDS))), length)) for _ in range(n)]
        mixed = values + (["12"] if seed % 2 else [None])  # another length, or a missing value: the plain way
        for vs in (values, mixed):
            a = pa.array(vs, LARGE)
            want = mask_series(pd.Series(pd.array(a, dtype=V.STR)), "id")
            got = FT._large(V._mask_arrow(a, "id"))
            assert got.to_pylist() == [None if pd.isna(v) else v for v in want.tolist()]
    a = pa.array(["13812345678", "13812345678"], LARGE)  # another kind: the plain way
    assert FT._large(V._mask_arrow(a, "phone")).to_pylist() == mask_series(pd.Series(a.to_pylist()), "phone").tolist()


def _lexsorted(parts, rank):
    sizes = np.array([len(p.idx) for p in parts], np.int64)
    part_of = np.repeat(np.arange(len(parts), dtype=np.int32), sizes)
    idx = np.concatenate([p.idx for p in parts])
    order = np.lexsort((np.array(rank, np.int64)[part_of], idx))
    part_sorted = part_of[order]
    return idx[order], part_sorted, order - np.concatenate([[0], np.cumsum(sizes)[:-1]])[part_sorted]


@pytest.mark.parametrize("seed", range(20))
def test_sorted_by_count_equals_the_stable_lexsort(seed):
    rng = np.random.default_rng(200 + seed)
    n = int(rng.choice([1, 2, 30, 500]))
    parts = []
    for _ in range(int(rng.integers(1, 9))):
        if rng.random() < 0.2:  # a structure finding (about no record)
            idx = np.array([-1])
        else:
            idx = np.sort(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False))
        parts.append(FT.Part.of("R", idx, "F", "", "", None))
    rank = [int(r) for r in rng.integers(0, 3, len(parts))]
    got = FT._sorted_by_count(parts, rank)
    for g, w in zip(got, _lexsorted(parts, rank)):
        assert g.dtype == w.dtype and g.tolist() == w.tolist()
    repeated = parts + [FT.Part.of("R", np.array([0, 0]), "F", "", "", None)]  # a record twice: the plain sort
    assert FT._sorted_by_count(repeated, rank + [0]) is None


@pytest.mark.parametrize("seed", range(6))
def test_fixed_width_keys_equal_column_take(seed):
    rng = np.random.default_rng(300 + seed)
    n = int(rng.choice([1, 9, 400]))
    width_words = {
        14: ["26610102150243", "2661010215024a", "abcdefghijklmn"],
        6: ["张三", "李四", "ａ王"],  # non-ASCII of one byte width
        1: ["a", "Z", "1"],
    }
    for width, words in width_words.items():
        keys = _chunked([str(rng.choice(words)) for _ in range(n)], int(rng.choice([1, 7, 97])))
        fixed = FT._fixed_width(keys)
        assert fixed is not None and fixed.dtype.itemsize == width
        idx = np.sort(rng.integers(0, n, int(rng.integers(0, 3 * n))))
        got = FT._fixed_take(fixed, idx)
        assert got.type == LARGE and got.equals(FT.column_take(keys, idx))
    for other in (["26610102150243", "2661010215024"], ["", "a"], ["", ""], ["a", None]):  # lengths vary, empty, NA
        assert FT._fixed_width(_chunked([other[i % 2] for i in range(max(n, 2))], 5)) is None


@pytest.mark.parametrize("seed", range(6))
def test_findings_frame_with_fixed_width_keys_equals_the_per_finding_loop(monkeypatch, seed):
    """Keys of one byte width (masked or not), in blocks of a few findings so the numpy gather is taken."""
    monkeypatch.setattr(FT, "BLOCK_FINDINGS", int([1, 3, 64][seed % 3]))
    monkeypatch.setattr(FT, "PARALLEL_MIN_FINDINGS", 0 if seed % 2 else 10**12)
    rng = np.random.default_rng(400 + seed)
    n = int(rng.choice([5, 300])) if seed % 3 < 2 else 300  # blocks of 64: enough findings for one
    keys = _chunked([str(rng.choice(["26610102150243", "1101051949123x", "张三李四a0"])) for _ in range(n)], 7)
    keys = keys if seed % 3 else _chunked(["".join(rng.choice(list("0123456789x"), 18)) for _ in range(n)], 7)
    parts = _random_parts(rng, n, int(rng.integers(1, 9))) + [FT.Part.of("R_PLAIN", np.arange(n), "XM", "", "", None)]
    kind = "id" if seed % 2 == 0 else None
    taken = []
    monkeypatch.setattr(FT, "_fixed_take", lambda fixed, idx: taken.append(len(idx)) or _fixed_take(fixed, idx))
    got = _table(keys, kind).frame(parts, V.FINDING_COLUMNS, SEVERITY_ORDER)
    want = _reference([p for p in parts if len(p.idx)], keys, kind)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert taken  # the numpy gather was used
