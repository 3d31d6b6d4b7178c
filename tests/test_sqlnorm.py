"""The SQL clean-up (xueji_lib.engine.sqlnorm) gives what its pandas counterpart gives, on DuckDB and on a real
Spark cluster, for awkward values: every Unicode blank pandas strips, blanks inside, full-width text,
dates, timestamps, integers, decimals, missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xueji_lib.core.normalize import STR
from xueji_lib.engine import sqlnorm
from xueji_lib.engine.engines import DuckDBEngine

TEXTS = [
    " 12 ",
    "１２３ＡＢｃ",
    "a\u3000b",
    "\t x\x1c",
    "\u2003y\u2003",
    "abc\u00a0",
    "",
    None,
    " 110105 800101 001 ",
    "\u2028z\u3000",
    "x\x0by",
    "\x85张三\u205f",
    "  ",
    "\u3000\u3000",
    "李 四",
    "a\u200bb",
]


def _frame() -> pd.DataFrame:
    n = len(TEXTS)
    days = pd.to_datetime(["2008-05-17", "1999-12-31", None, "2026-02-28"] * 4).astype("datetime64[s]")
    return pd.DataFrame(
        {
            "i": np.arange(n),
            "s": pd.Series(TEXTS, dtype=STR),
            "d": days[:n],
            "n": pd.array([2026, None, 7, 0] * 4, dtype="Int64"),
            "f": pd.array([1.5, None, 2.0, 10.25] * 4, dtype="float64"),
        }
    )


def _expected(df: pd.DataFrame) -> pd.DataFrame:
    """What the pandas code gives (normalize.written_text, str.strip)."""
    from xueji_lib.core.normalize import written_text

    return pd.DataFrame(
        {
            "strip": df["s"].str.strip(),
            "d": written_text(df["d"]),
            "n": written_text(df["n"]),
            "f": written_text(df["f"]),
        }
    )


def check_engine(eng) -> None:
    """Run on DuckDB here and on the Spark cluster in tests/test_engines.py."""
    df = _frame()
    eng.register("t", df)
    types = eng.columns("t")
    got = eng.sql(f"""SELECT {sqlnorm.strip("s")} AS strip, {sqlnorm.text("d", types["d"])} AS d,
                             {sqlnorm.text("n", types["n"])} AS n, {sqlnorm.text("f", types["f"])} AS f
                      FROM t ORDER BY i""").to_pandas()
    exp = _expected(df)
    for col in exp:
        for k, (want, have) in enumerate(zip(exp[col], got[col])):
            assert (pd.isna(want) and pd.isna(have)) or want == have, (
                col,
                TEXTS[k] if col == "strip" else k,
                want,
                have,
            )
    eng.unregister("t")


def test_sql_cleanup_matches_pandas_on_duckdb():
    eng = DuckDBEngine()
    check_engine(eng)
    eng.close()


def test_literals_refuse_quotes():
    assert sqlnorm.literal(2026) == "'2026'" and sqlnorm.literal("普通本专科") == "'普通本专科'"
    with pytest.raises(ValueError, match="引号"):
        sqlnorm.literal("10' OR 1=1")
