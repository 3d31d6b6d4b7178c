"""key_text, date_text and decode_codes take shortcuts for the plain values most key and date columns hold; these
tests draw thousands of random columns — plain ASCII keys, lower case, every kind of blank, full-width forms,
Chinese, other scripts' digits, missing and empty values, sliced and many-chunk Arrow columns — and check the
shortcut gives exactly what normalising every value gives. valid_ymd is checked against ``datetime.date``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xueji_lib.core.normalize import (
    STR,
    _codes_take,
    _date_text_each,
    _key_text_each,
    date_text,
    decode_codes,
    halfwidth,
    key_text,
    key_text_unchanged,
    no_spaces,
    valid_ymd,
)

# pieces a key or date cell really holds, and the ones made to trip a byte-level test
_KEY_PIECES = [
    *"0123456789ABCDEFGXZ",
    *"abcxyz",
    " ",
    "\t",
    "\n",
    "\v",
    "\f",
    "\r",
    "\x1c",
    "\x1f",
    "\x00",
    "\x7f",
    "-",
    "_",
    "/",
    "\u3000",
    "\u00a0",
    "\u2003",
    "１",
    "９",
    "Ａ",
    "ｚ",
    "！",
    "～",
    "张",
    "三",
    "é",
    "ß",
    "ǆ",
    "ﬁ",
    "٣",
    "𠀀",
]
_DATE_PIECES = [*"0123456789", "-", "/", ".", "年", "月", "日", " ", "０", "２", "٢", "a"]


def _column(rng: np.random.Generator, pieces: list[str], plain: Callable[[], str], n: int) -> list[str | None]:
    """Mostly ``plain()`` values as most rows hold, some missing or empty, the rest strung from ``pieces``."""
    out: list[str | None] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.05:
            out.append(None)
        elif r < 0.08:
            out.append("")
        elif r < 0.75:
            out.append(plain())
        else:
            out.append("".join(rng.choice(pieces, size=rng.integers(1, 12))))
    return out


def _chars(rng: np.random.Generator, alphabet: str) -> Callable[[], str]:
    return lambda: "".join(rng.choice(list(alphabet), size=rng.integers(1, 20)))


def _eight_digits(rng: np.random.Generator) -> Callable[[], str]:
    """Real dates, 0229 in leap and other years, month 00/13, day 00/32, years 0xxx and 9999."""

    def one() -> str:
        y = int(rng.choice([int(rng.integers(1900, 2030)), int(rng.integers(0, 1000)), 1900, 2000, 2100, 9999]))
        m, d = int(rng.integers(0, 14)), int(rng.choice([int(rng.integers(0, 33)), 29, 30, 31]))
        return f"{y:04d}{m:02d}{d:02d}"

    return one


def _shapes(values: list[str | None], rng: np.random.Generator) -> list[pd.Series]:
    """The same values as a plain str column, an object column, a slice (non-zero Arrow offset) with its index
    kept, and a column of several Arrow chunks with a name."""
    s = pd.Series(values, dtype=STR)
    padded = pd.Series(["x", *values, "y"], dtype=STR).iloc[1:-1]
    cut = sorted(rng.choice(np.arange(1, max(len(values), 2)), size=min(3, max(len(values) - 1, 0)), replace=False))
    parts = np.split(np.array(values, dtype=object), cut)
    chunked = pa.chunked_array([pa.array(list(p), pa.large_string()) for p in parts], pa.large_string())
    return [
        s,
        pd.Series(values, dtype=object, index=np.arange(len(values)) * 3),
        padded,
        pd.Series(pd.array(chunked, dtype=STR), name="KSH"),
    ]


def _same(a: pd.Series, b: pd.Series) -> None:
    assert a.dtype == b.dtype == STR
    assert a.name == b.name
    assert a.index.equals(b.index)
    assert a.isna().tolist() == b.isna().tolist()
    assert a.fillna("<NA>").tolist() == b.fillna("<NA>").tolist()


@pytest.mark.parametrize("seed", range(40))
def test_key_text_shortcut_equals_normalising_every_value(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 7, 100, 2000]))
    plain = "0123456789" if seed % 3 else "0123456789ABCDEFGHJK"
    values = _column(rng, _KEY_PIECES, _chars(rng, plain), n)
    if seed % 5 == 0:  # a column with no value to change at all
        values = [v if v is None else "".join(c for c in v if c in "0123456789ABCDEFG") for v in values]
    for s in _shapes(values, rng):
        _same(key_text(s), _key_text_each(s))


@pytest.mark.parametrize("seed", range(30))
def test_key_text_of_lower_case_ascii_equals_normalising_every_value(seed: int) -> None:
    """学号 such as "a2026…" (lower-case ASCII, no blank): upper-cased in the bytes (``KEY_REDO_BYTES``), the rest
    the plain way."""
    rng = np.random.default_rng(300 + seed)
    n = int(rng.choice([1, 2, 9, 400]))

    def lower_led() -> str:
        return str(rng.choice(["a", "A", "b", "", "x"])) + "".join(rng.choice(list("0123456789"), size=13))

    values = _column(rng, _KEY_PIECES, lower_led, n)
    for s in _shapes(values, rng):
        _same(key_text(s), _key_text_each(s))


@pytest.mark.parametrize("seed", range(40))
def test_date_text_shortcut_equals_parsing_every_value(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.choice([1, 50, 64, 65, 500, 3000]))
    values = _column(rng, _DATE_PIECES, _eight_digits(rng), n)
    for s in _shapes(values, rng):
        _same(date_text(s), _date_text_each(s))


def test_valid_ymd_is_what_datetime_date_accepts() -> None:
    rng = np.random.default_rng(7)
    y = np.r_[rng.integers(-2, 10003, 20000), [1900, 2000, 2100, 2024, 1, 9999, 0, 10000]]
    m = np.r_[rng.integers(-1, 14, 20000), [2, 2, 2, 2, 1, 12, 1, 1]]
    d = np.r_[rng.integers(-1, 33, 20000), [29, 29, 29, 29, 1, 31, 1, 1]]

    def real(a: int, b: int, c: int) -> bool:
        try:
            dt.date(a, b, c)
        except ValueError:
            return False
        return True

    assert valid_ymd(y, m, d).tolist() == [real(int(a), int(b), int(c)) for a, b, c in zip(y, m, d)]


@pytest.mark.parametrize("seed", range(20))
def test_key_text_unchanged_means_every_normalisation_gives_the_value_back(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    values = [v or "0" for v in _column(rng, _KEY_PIECES, _chars(rng, "0123456789ABCDEF"), int(rng.integers(1, 60)))]
    if seed % 2:
        values = ["".join(c for c in v if c in "0123456789ABCDEF-_/") or "9" for v in values]
    s = pd.Series(values, dtype=STR)
    if key_text_unchanged(s):
        for changed in (halfwidth(s), no_spaces(s), s.str.upper(), s.str.strip(), key_text(s)):
            assert changed.tolist() == values
    else:
        assert any(c not in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_/" for v in values for c in v)
    assert not key_text_unchanged(pd.Series(["1", None], dtype=STR))  # a missing value is not its own key
    assert not key_text_unchanged(pd.Series(["1"], dtype=object))  # only a str column is judged


def test_decode_codes_shortcuts_equal_the_take() -> None:
    """One text filling the column (a repeat) and columns where few records have a text (built from buffers)
    give what the take from the texts gives."""
    rng = np.random.default_rng(0)
    for texts in (["a"], ["", "x", "一致", ""], ["registration"], [""], ["", "很长的说明" * 3]):
        for n in (0, 1, 7, 100, 1000):
            for p in (0.0, 0.05, 0.9):
                codes = np.where(rng.random(n) < p, rng.integers(0, len(texts), n), 0).astype(np.int32)
                for mask in (None, codes == 0, rng.random(n) < 0.3):
                    pd.testing.assert_series_equal(decode_codes(codes, texts, mask), _codes_take(codes, texts, mask))
