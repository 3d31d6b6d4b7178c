"""Issue 16 §6: the near-duplicate search gives the same pairs on a real Spark standalone cluster as on DuckDB
(the same SQL, run by each engine), on the planted county roster of tests/test_near_dupes.py and a list of old
15-digit numbers (the 15→18 upgrade with its check digit is SQL too)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.spark_cluster import spark_cluster  # noqa: F401  (session-scoped: one Spark cluster per test run)
from tests.test_near_dupes import county
from xueji_lib.core.ids import make_ids
from xueji_lib.matching.near_dupes import near_duplicates

pytestmark = pytest.mark.spark  # a Spark cluster on 127.0.0.1

KEY = ["li_a", "r_a", "li_b", "r_b", "kind", "pos", "explain", "verdict"]


def test_pairs_are_the_same_on_spark(spark_cluster):  # noqa: F811
    files, expected, _ = county(n=6000, per_kind=40, seed=21)
    files = dict(files)
    files["家长.xlsx"] = _old_numbers(10)
    duck = near_duplicates(files)
    spark = spark_cluster.session("xueji-near-dupes")
    try:
        res = near_duplicates(files, engine=spark)
    finally:
        spark.stop()
    assert res.params["engine"] == "spark" and duck.params["engine"] == "duckdb"
    assert len(duck.pairs) == 5 * 40 + 10 and duck.counts["pairs"]["id_15_18"] == 10
    left = duck.pairs[KEY].astype(str).reset_index(drop=True)
    right = res.pairs[KEY].astype(str).reset_index(drop=True)
    assert left.equals(right), left.compare(right).head()
    assert res.counts == duck.counts


def _old_numbers(k: int) -> pd.DataFrame:
    """``k`` adults (born in the 1980s, as a 15-digit number's holder is) listed twice: under the 18-digit number
    and under the old 15-digit number it was upgraded from."""
    given = ["建国", "丽华", "志强", "秀英", "海燕", "卫东", "红梅", "国庆", "晓明", "春花", "玉兰", "振华"]
    births = np.array([19800101 + 10000 * (i % 9) + 100 * (i % 12) + i for i in range(k)])
    ids = pd.Series(make_ids(np.full(k, 430121), births, np.arange(k) * 2 + 101))
    names = [f"欧阳{given[i % len(given)]}" for i in range(k)]
    one = pd.DataFrame({"XM": names, "CSRQ": births.astype(str), "SFZJH": ids})
    old = one.assign(SFZJH=ids.str[:6] + ids.str[8:17])
    return pd.concat([one, old], ignore_index=True)
