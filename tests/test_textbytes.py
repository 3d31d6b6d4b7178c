"""core.textbytes — the one place text columns are read as bytes — against plain Python on randomised columns:
ASCII and Chinese text, empty and missing values, one row, none, columns of many chunks (a DBF read in blocks)."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xueji_lib.core.textbytes import (
    byte_lengths,
    chunk_bytes,
    digit_codes,
    fixed_codes,
    fixed_matrix,
    padded_matrix,
    text_array,
    text_bytes,
    width_bytes,
)

ALPHABETS = ("0123456789", "0123456789X", "abcXYZ019 ", "张王李赵明华", "0123456789张")


def _texts(rng: random.Random, n: int, *, missing: bool, widths=(0, 8), alphabet=None) -> list[str | None]:
    out = []
    for _ in range(n):
        if missing and rng.random() < 0.1:
            out.append(None)
            continue
        letters = alphabet or rng.choice(ALPHABETS)
        out.append("".join(rng.choice(letters) for _ in range(rng.randint(*widths))))
    return out


def _chunked(texts: list, rng: random.Random) -> pd.Series:
    """A str Series whose Arrow array is made of several chunks (some sliced), as read_dbf's blocks are."""
    cuts = sorted(rng.sample(range(1, len(texts)), min(3, len(texts) - 1))) if len(texts) > 1 else []
    parts, at = [], 0
    for cut in [*cuts, len(texts)]:
        whole = pa.array(["pad", *texts[at:cut]], pa.large_string())
        parts.append(whole.slice(1))  # an offset into its buffers, like a slice of a bigger read
        at = cut
    arr = pa.chunked_array(parts, pa.large_string()) if parts else pa.chunked_array([], pa.large_string())
    return pd.Series(pd.arrays.ArrowExtensionArray(arr)).astype("str")


def _cases(seed: int):
    rng = random.Random(seed)
    for n in (0, 1, 2, 7, 300):
        for missing in (False, True):
            yield rng, _texts(rng, n, missing=missing)


@pytest.mark.parametrize("seed", range(6))
def test_text_array_and_bytes_are_the_values(seed):
    for rng, texts in _cases(seed):
        s = _chunked(texts, rng) if texts else pd.Series(texts, dtype="str")
        arr = text_array(s)
        assert arr.type == pa.large_string() and arr.to_pylist() == texts
        off, data = text_bytes(arr)
        got = [bytes(data[off[i] : off[i + 1]]).decode() for i in range(len(texts))]
        assert got == [t or "" for t in texts]


@pytest.mark.parametrize("seed", range(6))
def test_chunk_bytes_and_width_bytes_against_python(seed):
    for rng, texts in _cases(seed):
        s = _chunked(texts, rng) if texts else pd.Series(texts, dtype="str")
        chunks = chunk_bytes(s)
        if any(t is None for t in texts):
            assert chunks is None and width_bytes(s, 2) is None
            continue
        lengths = [len(t.encode()) for t in texts]
        assert byte_lengths(chunks).tolist() == lengths
        for width in (1, 2, 3, 6):
            rows, b = width_bytes(s, width)
            want = [i for i, n in enumerate(lengths) if n == width]
            assert rows.tolist() == want
            assert [bytes(r) for r in b] == [texts[i].encode() for i in want]
            assert b.shape == (len(want), width)


@pytest.mark.parametrize("seed", range(6))
def test_fixed_and_padded_matrices_against_python(seed):
    rng = random.Random(seed)
    for n in (1, 2, 50):
        for width in (1, 4, 18):
            same = ["".join(rng.choice("0123X张") for _ in range(width)) for _ in range(n)]
            arr = pa.array(["pad", *same], pa.large_string()).slice(1)  # an offset into the buffers
            if len({len(t.encode()) for t in same}) == 1:
                assert [bytes(r) for r in fixed_matrix(arr)] == [t.encode() for t in same]
            else:
                assert fixed_matrix(arr) is None
        texts = _texts(rng, n, missing=False, widths=(0, 5))
        arr = pa.array(texts, pa.large_string())
        lengths = [len(t.encode()) for t in texts]
        assert (fixed_matrix(arr) is not None) == (len(set(lengths)) == 1 and lengths[0] > 0)
        width = max(lengths + [1]) + rng.randint(0, 2)
        got = padded_matrix(arr, width)
        assert [bytes(r) for r in got] == [t.encode().ljust(width, b"\0") for t in texts]
        if max(lengths) > 1:
            assert padded_matrix(arr, max(lengths) - 1) is None
    assert padded_matrix(pa.array(["a", None], pa.large_string()), 3) is None
    assert fixed_matrix(pa.array([], pa.large_string())) is None


def _digit_reference(texts: list) -> list | None:
    """digit_codes' contract by plain Python: None unless every text is ≤ 18 digits with an optional final X;
    codes equal exactly where texts are equal, -1 missing, 0 empty."""
    for t in texts:
        if t is None or t == "":
            continue
        body, last = t[:-1], t[-1]
        if len(t) > 18 or not (body == "" or (body.isascii() and body.isdigit())):
            return None
        if not (last.isascii() and (last.isdigit() or last == "X")):
            return None
    return texts


@pytest.mark.parametrize("seed", range(8))
def test_digit_codes_equal_exactly_where_the_texts_are(seed):
    rng = random.Random(seed)
    for n in (0, 1, 2, 40, 400):
        for alphabet in ("0123456789", "0123456789X", "01", "01a", "0123456789张"):
            for widths in ((0, 3), (18, 18), (15, 18), (17, 19), (2, 2)):
                texts = _texts(rng, n, missing=rng.random() < 0.5, widths=widths, alphabet=alphabet)
                if texts and rng.random() < 0.5:  # repeats, so that equal codes are tested
                    texts = [rng.choice(texts) for _ in texts]
                want = _digit_reference(texts)
                for values in (pa.array(texts, pa.large_string()), _chunked(texts, rng) if texts else None):
                    if values is None:
                        continue
                    got = digit_codes(values)
                    if want is None:
                        assert got is None, texts
                        continue
                    assert got is not None and got.dtype == np.int64 and len(got) == len(texts)
                    for t, c in zip(texts, got.tolist()):
                        assert (c == -1) == (t is None) and (c == 0) == (t == "")
                    seen: dict = {}
                    for t, c in zip(texts, got.tolist()):
                        assert seen.setdefault(c, t) == t  # one text per code
                    assert len({c for c in got.tolist()}) == len(set(texts))


def test_digit_codes_of_the_widest_texts_do_not_overflow():
    texts = ["9" * 18, "9" * 17 + "X", "0" * 18, "9" * 17, "1"]
    got = digit_codes(pa.array(texts, pa.large_string()))
    assert len(set(got.tolist())) == len(texts) and (got > 0).all()
    assert digit_codes(pa.array(["1" * 19], pa.large_string())) is None
    assert digit_codes(pa.array(["X1"], pa.large_string())) is None
    assert digit_codes(pa.array(["1", "x"], pa.string())) is None
    assert digit_codes(pa.array(["12", "12"], pa.string())).tolist() == [25, 25]


def _fixed_codes_reference(mats: list[list[bytes]]) -> bool:
    """Whether ``fixed_codes`` should give codes: the product over byte positions of (largest - smallest + 1)
    across every row of every matrix at most 2**63."""
    rows = [r for m in mats for r in m]
    size = 1
    for j in range(len(rows[0]) if rows else 0):
        size *= max(r[j] for r in rows) - min(r[j] for r in rows) + 1
    return size <= 1 << 63


@pytest.mark.parametrize("seed", range(10))
def test_fixed_codes_equal_and_ordered_exactly_as_the_rows(seed):
    """Randomised matrices of one width (digits, digits and a final X, Chinese UTF-8, any bytes; a constant
    prefix like 学籍号's "G"; repeated rows; empty matrices, one row): codes equal exactly where the rows are, in
    the rows' byte order, across the matrices; None exactly when the varying positions leave no room."""
    rng = random.Random(seed)
    for _ in range(40):
        width = rng.choice([1, 2, 3, 9, 12, 18, 19, 24])
        alphabet = rng.choice(["0123456789", "0123456789X", "张王李赵", "01", "bytes"])
        prefix = rng.choice([b"", b"G", b"G43"])[: width - 1]
        mats = []
        for _ in range(rng.randint(1, 3)):
            n = rng.choice([0, 1, 2, 7, 300])
            rows = []
            for _ in range(n):
                if rows and rng.random() < 0.3:
                    rows.append(rng.choice(rows))
                    continue
                if alphabet == "bytes":
                    body = bytes(rng.randrange(256) for _ in range(width))
                else:
                    body = "".join(rng.choice(alphabet) for _ in range(width)).encode()
                rows.append((prefix + body)[:width])
            mats.append(rows)
        got = fixed_codes([np.frombuffer(b"".join(m), np.uint8).reshape(len(m), width) for m in mats])
        if not _fixed_codes_reference(mats):
            assert got is None
            continue
        assert got is not None and [len(c) for c in got] == [len(m) for m in mats]
        assert all(c.dtype == np.int64 for c in got)
        pairs = [(r, c) for m, codes in zip(mats, got) for r, c in zip(m, codes.tolist())]
        assert all(c >= 0 for _, c in pairs)
        for (r1, c1), (r2, c2) in zip(pairs, rng.sample(pairs, len(pairs))):
            assert (c1 == c2) == (r1 == r2) and (c1 < c2) == (r1 < r2)


def test_fixed_codes_at_the_edge_of_an_int64():
    """ID numbers (17 digits, then a digit or "X") take 10**17 · 41 codes: they fit; a nineteenth free digit does
    not. One matrix's rows, several matrices' rows, all rows alike, no rows."""
    ids = np.frombuffer(b"G" + b"0" * 18 + b"G" + b"9" * 17 + b"X" + b"G" + b"5" * 18, np.uint8).reshape(3, 19)
    got = fixed_codes([ids[:1], ids[1:]])
    assert [c.tolist() for c in got] == [[0], [10**17 * 41 - 1, int("5" * 17) * 41 + 5]]
    wide = np.frombuffer(b"0" * 19 + b"9" * 19, np.uint8).reshape(2, 19)
    assert fixed_codes([wide]) is None
    same = np.frombuffer(b"ab" * 4, np.uint8).reshape(4, 2)
    assert [c.tolist() for c in fixed_codes([same, same[:0]])] == [[0, 0, 0, 0], []]
    assert [c.tolist() for c in fixed_codes([same[:0]])] == [[]]
    with pytest.raises(ValueError):
        fixed_codes([same, wide])
