"""reconcile's two ways of working out the compared columns give the same frame: Arrow over a frame
(``_prepare_here``) and the engine's SQL (``_prepare_in_engine``, what folders and Spark get), for awkward
values — every Unicode blank, blanks inside, full-width text, lower-case 考生号, missing values, 学历类别 as a
code, a label or something else, 录取年份 given or left to the parameter — and the integer codes of the
考生号 join equal texts only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xueji_lib.core.normalize import STR
from xueji_lib.core.textbytes import text_array
from xueji_lib.engine.engines import DuckDBEngine
from xueji_lib.io.source import ListSource
from xueji_lib.matching import reconcile as R

from .test_sqlnorm import TEXTS

KSH = [" 26110101000001", "26110101000001 ", "2611010100000a", "", None, "\u300026110101000002", "0001", "1"]
XLLB = ["10", " 10 ", "普通本专科", "", None, "99", "成人本专科", "x"]


def _lists(n: int = 16) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    pick = lambda values: pd.Series([values[i] for i in rng.integers(0, len(values), n)], dtype=STR)  # noqa: E731
    return pd.DataFrame(
        {
            "KSH": pick(KSH),
            "XM": pd.Series(TEXTS[:n], dtype=STR),
            "CC": pick(["1", " 1", "本科", "", None]),
            "XXXS": pick(["1", "2 ", "\u3000", None]),
            "LQNF": pick(["2026", "", " 2025", None]),
            "XLLB": pick(XLLB),
        }
    )


def _both(df: pd.DataFrame, year, category):
    con = DuckDBEngine()
    try:
        src = ListSource.of(df)
        expr = R._source(con, "t", src)
        here = R._prepare_here(con, "t", src, year, category)
        there = R._prepare_in_engine(con, "t", expr, year, category)
    finally:
        con.close()
    return here, there


@pytest.mark.parametrize("drop", [[], ["LQNF", "XLLB"], ["XM", "CC", "XXXS"]])
@pytest.mark.parametrize("year, category", [(2026, "10"), (None, None), ("2025", "50")])
def test_arrow_prepare_equals_the_engines(drop, year, category):
    df = _lists().drop(columns=drop)
    here, there = _both(df, year, category)
    assert here is not None
    assert list(here.columns) == list(there.columns) == R.PREPARED
    for c in R.PREPARED:
        assert here[c].tolist() == there[c].tolist(), c
    for c in ("row", "ksh_raw", "ksh", "xm", "cc", "xxxs"):
        assert here[c].dtype == there[c].dtype, c


def test_non_ascii_or_non_text_keys_are_left_to_the_engine():
    df = _lists()
    df.loc[0, "KSH"] = "ｋ26110101000001"
    assert _both(df, 2026, "10")[0] is None
    assert _both(_lists().assign(LQNF=pd.array([2026] * 16, dtype="Int64")), 2026, "10")[0] is None


def test_key_codes_equal_exactly_where_the_texts_are():
    a = pd.Series(["26110101000001", "0001", "1", "", "01", "26110101000001", "123456789012345678"], dtype=STR)
    r = pd.Series(
        ["1", "001", "0001", "", "26110101000001", "x1", "123456789012345678", "1234567890123456789"], dtype=STR
    )
    for left, right in ((a, r), (a, r.iloc[:5]), (a.iloc[:0], r)):
        ca, cr = R._key_codes(left, right)
        texts = left.tolist() + right.tolist()
        codes = np.concatenate([ca, cr])
        for i in range(len(texts)):
            for j in range(len(texts)):
                assert (codes[i] == codes[j]) == (texts[i] == texts[j]), (texts[i], texts[j])


def test_ksh_variants_are_the_plain_ones():
    k = np.array(["26110101000001", "12", "1", "ab\u00e9", "aab", "1\x002"], dtype=object)
    for ks in (k, k[:-1]):
        got = {(kind, i): v.tolist() for i, (kind, v) in enumerate(R._ksh_variants(ks, swaps=True))}
        width = max(len(x) for x in ks)
        want = {}
        for i in range(width):
            want[("sub", i)] = [x[:i] + "_" + x[i + 1 :] if len(x) > i else None for x in ks]
        for i in range(width - 1):
            want[("swap", width + i)] = [
                x[:i] + x[i + 1] + x[i] + x[i + 2 :] if len(x) > i + 1 and x[i] != x[i + 1] else None for x in ks
            ]
        norm = lambda d: {k: [None if v is None or v != v else v for v in vs] for k, vs in d.items()}  # noqa: E731
        assert norm(got) == norm(want)


def test_wildcard_match_is_the_regular_expression():
    import re

    def by_regex(na, nr):
        pattern = re.escape(na).replace(r"\?\?", ".").replace(r"\?", ".").replace("？", ".")
        return re.fullmatch(pattern, nr) is not None

    rng = np.random.default_rng(7)
    alphabet = ["?", "？", "张", "三", "a", ".", "\n", "\\", "*"]
    for _ in range(20000):
        na = "".join(rng.choice(alphabet, rng.integers(0, 6)))
        nr = "".join(rng.choice(alphabet, rng.integers(0, 6)))
        assert R._wildcard_match(na, nr) == by_regex(na, nr), (na, nr)
    for na, nr in (("张??", "张三"), ("张???", "张三丰"), ("张?", "张三"), ("？三", "张三"), ("张??", "张三丰")):
        assert R._wildcard_match(na, nr) == by_regex(na, nr), (na, nr)


SHORT = [
    "",
    "1",
    "10",
    "50",
    "2026",
    " 2026",
    "本科",
    "专科",
    "成人",
    "a\x00",
    "a",
    "\x00",
    "1234567",
    "12345678",
    "本科本科",
]


def test_packed_texts_are_equal_exactly_where_the_bytes_are():
    rng = np.random.default_rng(3)
    for pool in (SHORT, SHORT[:9], ["本科", "专科"], ["", ""], ["50"]):
        texts = [pool[i] for i in rng.integers(0, len(pool), 60)]
        arr = text_array(pd.Series(texts, dtype=STR))
        packed = R._packed(arr)
        if max(len(t.encode()) for t in texts) > 7:
            assert packed is None
            continue
        for i, x in enumerate(texts):
            assert packed[i] == R._pack_text(x)
            for j, y in enumerate(texts):
                assert (packed[i] == packed[j]) == (x == y), (x, y)
        for literal in ("50", "", "12345678"):
            assert (packed == R._pack_text(literal)).tolist() == [t == literal for t in texts]
        one = R._one_value(arr)
        assert one == (texts[0] if len(set(texts)) == 1 else None)
        assert R._one_value(arr.slice(1, 3)) == (texts[1] if len(set(texts[1:4])) == 1 else None)


@pytest.mark.parametrize("seed", range(6))
def test_differences_are_the_field_by_field_comparison(seed):
    rng = np.random.default_rng(seed)

    def frame(n, one):
        pick = lambda pool: [pool[i] for i in rng.integers(0, len(pool), n)]  # noqa: E731
        cols = {
            "ksh": pick(["26110101000001", "26110101000002", ""]),
            "xm": pick(["张三", "张三丰", "李四", ""]),
            "cc": pick(["本科", "专科", "1", "本科本科"] if seed % 2 else ["本科", "专科"]),
            "xxxs": pick(["1", "2", "", "普通全日制"]),
            "year": pick(["2026", "2025", ""]),
            "cat": pick(["10", "50", "", "11"] if seed % 3 else ["50"]),
        }
        df = pd.DataFrame({c: pd.Series(v, dtype=STR) for c, v in cols.items()})
        for c, v in one.items():
            df[c] = R._one_column(v, n)
        df.attrs["one"] = one
        return df

    a = frame(40, {"year": "2026"} if seed % 2 else {})
    r = frame(50, {"year": "2026", "cat": "50"} if seed < 3 else {})
    for ai, ri in (
        (rng.integers(0, 40, 30), np.sort(rng.choice(50, 30, replace=False))),
        (rng.integers(0, 40, 7), rng.integers(0, 50, 7)),
    ):
        got = R._differences(a, r, ai, ri)
        for k, (i, j) in enumerate(zip(ai, ri)):
            av, rv = a.iloc[i], r.iloc[j]
            want = {
                "ksh": av["ksh"] != rv["ksh"],
                "xm": av["xm"] != rv["xm"],
                "cc": av["cc"] != rv["cc"],
                "xxxs": av["cat"] == "50" and av["xxxs"] != rv["xxxs"],
                "year": av["year"] != rv["year"] and av["year"] != "" and rv["year"] != "",
                "cat": av["cat"] != rv["cat"] and av["cat"] != "" and rv["cat"] != "",
            }
            assert {f: bool(got[f][k]) for f in want} == want, (k, i, j)


def test_fixed_width_variants_are_the_plain_ones():
    def side_frame(ksh, yxdm):
        return pd.DataFrame(
            {
                "row": np.arange(1, len(ksh) + 1) * 3,
                "ksh": pd.Series(ksh, dtype=STR),
                "yxdm": pd.Series(yxdm, dtype=STR),
            }
        )

    seeking = side_frame(["26110101000001", "26110101000011", "AB_CDEFGHIJKLM"], ["10001", "", "10002"])
    free_a = side_frame(["26110101000010", "26111101000001"], ["10001", "10001"])
    fixed = pa.concat_tables([R._fixed_variants(seeking, 0, True), R._fixed_variants(free_a, 1, False)])
    plain = R._variants(seeking, free_a)

    def rows(t):
        return sorted(zip(*(t.column(c).to_pylist() for c in ("side", "row", "variant", "kind", "yxdm"))))

    assert rows(fixed) == rows(plain)
    assert R._fixed_variants(side_frame(["1", "12"], ["", ""]), 0, True) is None  # two widths
    assert R._fixed_variants(side_frame(["é1"], [""]), 0, True) is None  # not ASCII
