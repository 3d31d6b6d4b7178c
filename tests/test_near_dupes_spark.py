"""Issue 16 §6: the near-duplicate search gives the same pairs on a real Spark standalone cluster as on DuckDB
(the same SQL, run by each engine), on the planted county roster of tests/test_near_dupes.py."""

from __future__ import annotations

import pytest

from tests.spark_cluster import spark_cluster  # noqa: F401  (session-scoped: one Spark cluster per test run)
from tests.test_near_dupes import county
from xueji_lib.matching.near_dupes import near_duplicates

pytestmark = pytest.mark.spark  # a Spark cluster on 127.0.0.1

KEY = ["li_a", "r_a", "li_b", "r_b", "kind", "pos", "explain", "verdict"]


def test_pairs_are_the_same_on_spark(spark_cluster):  # noqa: F811
    files, expected, _ = county(n=6000, per_kind=40, seed=21)
    duck = near_duplicates(files)
    spark = spark_cluster.session("xueji-near-dupes")
    try:
        res = near_duplicates(files, engine=spark)
    finally:
        spark.stop()
    assert res.params["engine"] == "spark" and duck.params["engine"] == "duckdb"
    assert len(duck.pairs) == 5 * 40
    left = duck.pairs[KEY].astype(str).reset_index(drop=True)
    right = res.pairs[KEY].astype(str).reset_index(drop=True)
    assert left.equals(right), left.compare(right).head()
    assert res.counts == duck.counts
