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
