"""Issue 19, validate on a dirty file, round 2: each shortcut gives exactly what the plain way gives, on randomised
realistic columns (lower-case 学号, Chinese labels, other scripts, blanks, empty and missing values, one row, no
rows, columns of several Arrow chunks):

- ``_over_width`` (a code column's distinct values shared with the code checks) against encoding every value;
- ``_has_lowercase`` (the bytes a-z) against the regex ``[a-z]``;
- ``_upper_written`` (``key_text`` for ASCII without blanks) against half-width, strip and upper of every value;
- ``_literal_prefix`` (the 替代号码 forms' regex run only on the numbers starting so) against every match, and
  ``_substitute_ids`` with the prefix against without;
- ``_duplicated`` (``_first_digits`` deciding whether the keys are read as digits) against pandas' duplicated;
- ``_factorized`` of a column of one byte width (``_width_codes``: codes, dates, constant labels, blanks among
  them) against ``pd.factorize``: the same codes in the same order, the same distinct values.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.test_findings_speed19 import same_substitute_ids
from xueji_lib.checks import validate as V
from xueji_lib.core.normalize import STR
from xueji_lib.schema.id_forms import load_id_forms

LARGE = pa.large_string()


@pytest.fixture(autouse=True)
def _fresh_memo():
    V._memo_clear()
    yield
    V._memo_clear()


def _shapes(values: list) -> list[pd.Series]:
    """The values as one chunk and as a column of several Arrow chunks (read_dbf's blocks)."""
    chunks = [pa.array(values[i : i + 7], LARGE) for i in range(0, len(values), 7)] or [pa.array([], LARGE)]
    return [pd.Series(values, dtype=STR), pd.Series(pa.chunked_array(chunks, LARGE), dtype=STR)]


def _same(a: pd.Series, b: pd.Series) -> None:
    assert a.dtype == b.dtype == STR
    assert a.index.equals(b.index) and a.name == b.name
    assert a.isna().tolist() == b.isna().tolist()
    assert a.fillna("<NA>").tolist() == b.fillna("<NA>").tolist()


# pieces of a 学号 or code: mostly ASCII letters and digits (lower case too), now and then a blank, a full-width or
# Chinese character, another script's letter
_ID_PIECES = [*"0123456789", *"abcxyzABCXYZ", "-", "_", " ", "\t", "\u3000", "ａ", "Ｚ", "张", "é", "ß", "\x1f", "\x7f"]


def _ids(rng: np.random.Generator, n: int, noisy: float) -> list[str | None]:
    out: list[str | None] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.04:
            out.append(None)
        elif r < 0.07:
            out.append("")
        elif r < 1 - noisy:
            body = "".join(rng.choice(list("0123456789"), size=13))
            out.append(str(rng.choice(["a", "A", "b", "", "x"])) + body)
        else:
            out.append("".join(rng.choice(_ID_PIECES, size=rng.integers(1, 16))))
    return out


_LABELS = [
    "男",
    "女",
    "普通全日制",
    "中国共产主义青年团团员",
    "群众",
    "汉族",
    "A",
    "ab",
    "",
    "é",
    "𠀀",
    "·",
    "龥",
    "\u9fa6",
    "㐀",  # CJK extension A: 3 bytes in UTF-8, 4 in GB18030
    "䶮",  # also extension A, but in GB18030's two-byte area: 3 bytes in UTF-8, 2 in GB18030
    "ß",  # 2 bytes in UTF-8, 4 in GB18030
    "Ā",
    "王㐀",
]


def _encoded(s: pd.Series, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The plain way: every value encoded in GB18030 on its own (most characters outside GBK — 㐀, ß, Ā — take
    four bytes there, more than in UTF-8)."""
    values = [v if isinstance(v, str) else "" for v in s.tolist()]
    lengths = np.array([len(v.encode("gb18030")) for v in values], np.int64)
    at = np.flatnonzero(lengths > width)
    return at, lengths[at]


@pytest.mark.parametrize("seed", range(12))
def test_over_width_equals_encoding_every_value(seed):
    rng = np.random.default_rng(100 + seed)
    for n in (0, 1, 3, 300):
        few = rng.random() < 0.5  # a code column of a few labels (most values long), or varied text
        values = [
            str(rng.choice(_LABELS[:3])) if few else "".join(rng.choice(_LABELS, size=rng.integers(0, 4)))
            for _ in range(n)
        ]
        for width in (1, 2, 4, 10, 40):
            for s in _shapes(values):
                V._memo_clear()
                got = V._over_width(s, width)
                want = _encoded(s, width)
                assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


@pytest.mark.parametrize("seed", range(6))
def test_has_lowercase_and_upper_written_equal_the_string_operations(seed):
    rng = np.random.default_rng(200 + seed)
    for n in (0, 1, 2, 500):
        values = [v if v is not None else "" for v in _ids(rng, n, float(rng.choice([0.05, 0.7])))]
        for s in _shapes(values):
            V._memo_clear()
            want = s.str.contains("[a-z]", regex=True).to_numpy(dtype=bool)
            assert V._has_lowercase(s).tolist() == want.tolist()
            _same(V._upper_written(s), V._upper_written_each(s))
            rows = V._rows(s, np.flatnonzero(want))  # as _check_ident calls it: the rows found, their index kept
            _same(V._upper_written(rows), V._upper_written_each(rows))


_PATTERN_EXAMPLES = {
    "11113[0-9A-Z]{1,20}": ["11113A1", "1111309102056", "11113", "1111", "211113A", "11113a"],
    "999[0-9]{15}": ["999123456789012345", "99912345678901234", "998123456789012345"],
    "ab?c": ["ac", "abc", "abbc", "bc"],
    "ab*": ["a", "abbb", "b"],
    "x{2}y": ["xxy", "xy"],
    "[EG][0-9]{8}|E[A-Z][0-9]{7}": ["E12345678", "EA1234567", "G12345678"],
    "(ab)+c": ["abc", "ababc", "c"],
    r"\d{3}": ["123", "12"],
    "abc": ["abc", "abcd"],
}


def test_literal_prefix_starts_every_match():
    forms = {f.pattern: [] for f in load_id_forms()}
    for pattern, examples in (forms | _PATTERN_EXAMPLES).items():
        prefix = V._literal_prefix(pattern)
        for text in examples:
            if re.fullmatch(pattern, text):
                assert text.startswith(prefix), (pattern, text)
    assert V._literal_prefix("11113[0-9A-Z]{1,20}") == "11113" and V._literal_prefix("999[0-9]{15}") == "999"


@pytest.mark.parametrize("seed", range(3))
def test_substitute_ids_with_the_prefix_equal_the_regex_on_every_number(monkeypatch, seed):
    from xueji_lib.samples.scale import make_registration_frame

    rng = np.random.default_rng(300 + seed)
    for n in (1, 4, 400):
        df = make_registration_frame(n, seed)
        others = ["H12345678", "E12345678", "11113A1", "1111A", "99912345678901234", "999123456789012345", "9991"]
        pick = rng.random(n)
        df["SFZH"] = np.where(
            pick < 0.3, "11113" + df["XH"], np.where(pick < 0.8, rng.choice(others, n), df["SFZH"])
        ).tolist()
        df["MZ"] = [str(rng.choice(["香港", "汉族", "台湾", ""])) for _ in range(n)]
        flags = same_substitute_ids(monkeypatch, df, "_literal_prefix", lambda pattern: "")
        assert n < 400 or flags.any()


@pytest.mark.parametrize("seed", range(8))
def test_duplicated_equals_pandas(seed):
    rng = np.random.default_rng(400 + seed)
    for n in (0, 1, 2, 300):
        kind = seed % 4
        pool = {
            0: ["26610102150243", "26610102150244", "1234X", "", None],
            1: ["A0260103", "a0260103", "B0260103", "张三", None],
            2: [None, "0260103", "026010X", "X0260103"],
            3: ["1", "12", "١٢", "12X", "X", None],
        }[kind]
        values = [pool[i] for i in rng.integers(0, len(pool), n)]
        for s in _shapes(values):
            V._memo_clear()
            want = (s.duplicated(keep=False) & s.notna()).to_numpy(dtype=bool)
            assert V._duplicated(s).tolist() == want.tolist()


def test_a_name_outside_gbk_longer_than_its_field_in_gb18030_is_found():
    """姓名 is C(40) in the upload: 13 × 㐀 (U+3400, outside GBK) is 39 bytes in UTF-8 but 52 in GB18030, the file's
    encoding — too long for the field (before, only values over 40 UTF-8 bytes were looked at)."""
    import xueji_lib as xj

    df = xj.read_dbf("data_samples/hei/10_注册上报.dbf")
    df.loc[df.index[3], "XM"] = "㐀" * 13
    df.loc[df.index[4], "XM"] = "㐀" * 10  # 40 bytes in GB18030: fits
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    long = res.findings[(res.findings["rule"] == "FIELD_TOO_LONG") & (res.findings["field"] == "XM")]
    assert long["row"].tolist() == [4]
    assert "52" in long["message"].iloc[0]


def _factorize_plain(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    return codes, pd.Series(np.asarray(uniq, dtype=object), dtype=STR)


# values of one byte width as a column holds them: 2-byte codes, 8-digit dates, one Chinese character (3 bytes),
# one Latin letter of two UTF-8 bytes, a letter-and-digit code; now and then empty, missing, or of another width
_WIDTH_KINDS = {
    "code": lambda rng: f"{int(rng.integers(0, 12)):02d}",
    "date": lambda rng: f"{int(rng.integers(1990, 2031))}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 32)):02d}",
    "sex": lambda rng: str(rng.choice(["男", "女", "未", "男", "女"])),
    "latin": lambda rng: str(rng.choice(["é", "ß", "ü", "Ā"])),
    "mixed": lambda rng: str(rng.choice(list("0123456789AXZaz"))) + str(rng.choice(list("09X"))),
}


def _width_column(rng: np.random.Generator, n: int, kind: str) -> list[str | None]:
    blank, missing, other = (float(rng.choice([0.0, 0.0, 0.01, 0.2])) for _ in range(3))
    out: list[str | None] = []
    for _ in range(n):
        if rng.random() < blank:
            out.append("")
        elif rng.random() < missing / 4:
            out.append(None)
        elif rng.random() < other / 4:
            out.append(str(rng.choice(["张三", "x", "123", "\u3000", "é"])))
        else:
            out.append(_WIDTH_KINDS[kind](rng))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_factorized_of_one_width_equals_pandas(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 2, 9, 300, 3000]))
    kind = str(rng.choice(sorted(_WIDTH_KINDS)))
    values = _width_column(rng, n, kind)
    if n > 20 and rng.random() < 0.5:  # a few values first met late (past the first rows looked at)
        monkeypatch.setattr(V, "WIDTH_CODES_HEAD", int(rng.integers(1, 20)))
    for s in _shapes(values):
        V._memo_clear()
        codes, uniq = V._factorized(s)
        want_codes, want_uniq = _factorize_plain(s)
        assert codes.dtype == want_codes.dtype
        assert codes.tolist() == want_codes.tolist()
        _same(uniq, want_uniq)


def test_width_codes_takes_columns_of_one_width_and_leaves_the_others():
    one = pd.Series(["20260901", "", "20260231", "20260901"], dtype=STR)
    codes, first = V._width_codes(one)
    assert codes.tolist() == [0, 1, 2, 0] and first.tolist() == [0, 1, 2]
    assert V._width_codes(pd.Series(["汉族", "火星族"], dtype=STR)) is None  # two widths
    assert V._width_codes(pd.Series(["01", None], dtype=STR)) is None  # a missing value
    assert V._width_codes(pd.Series(["", ""], dtype=STR)) is None
    assert V._width_codes(pd.Series([], dtype=STR)) is None
    rng = np.random.default_rng(0)
    wide = pd.Series([f"{v:016x}" for v in rng.integers(0, 2**62, 50)], dtype=STR)
    assert V._width_codes(wide) is None  # no room in an int64
    spread = pd.Series([f"{v:08d}" for v in rng.integers(0, 10**8, 50)], dtype=STR)
    assert V._width_codes(spread) is None  # too many codes for a table of 50 rows: hashed
