"""Spark on a real standalone cluster (tests/spark_cluster.py: a master and a worker JVM on 127.0.0.1) reads
the Parquet folder dbf_to_parquet wrote from a synthetic registration DBF: its count and a group-by equal
pandas' on read_dbf of the same file, ``_row`` included; and ibis runs one join + group-by expression on that
cluster and on DuckDB with the same Arrow result. Skipped without java or pyspark, failed under CI=true."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.samples import synth

pytestmark = pytest.mark.spark  # a Spark cluster on 127.0.0.1

N = 30_000
PER_PART = 7_000


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("spark_data")
    frame = synth.make_registration_frame(N, seed=11)
    deleted = np.random.default_rng(3).random(N) < 0.01
    path = tmp / "注册上报.dbf"
    xj.write_dbf(frame, path, "chsi_registration", encoding="gb18030", deleted=deleted)
    conv = xj.dbf_to_parquet(path, tmp / "parquet", records_per_part=PER_PART, workers=2)
    df = xj.read_dbf(path)
    df.insert(0, "_row", np.arange(1, len(df) + 1, dtype=np.int64))
    assert int(deleted.sum()) == conv.deleted > 0 and len(conv.parts) == 5
    return conv, df


def test_cluster_reads_the_parquet_folder(spark_cluster, converted):
    from pyspark.sql import functions as F

    conv, df = converted
    spark = spark_cluster.session("xueji-parquet")
    assert spark.sparkContext.master == spark_cluster.master_url
    sdf = spark.read.parquet(conv.out_dir)
    assert sdf.count() == len(df) == conv.records
    got = (
        sdf.groupBy("CC", "XB", "MZ")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum("_row").alias("rows"),
            F.min("_row").alias("first"),
            F.sum(F.when(F.col("BZ") == "", 1).otherwise(0)).alias("blank_bz"),
        )
        .toPandas()
        .sort_values(["CC", "XB", "MZ"], ignore_index=True)
    )
    exp = (
        df.assign(blank=(df["BZ"] == "").astype("int64"))
        .groupby(["CC", "XB", "MZ"], as_index=False)
        .agg(n=("_row", "size"), rows=("_row", "sum"), first=("_row", "min"), blank_bz=("blank", "sum"))
        .sort_values(["CC", "XB", "MZ"], ignore_index=True)
    )
    assert len(got) > 10
    pd.testing.assert_frame_equal(got, exp, check_dtype=False)
    assert got["n"].sum() == len(df) and got["rows"].sum() == len(df) * (len(df) + 1) // 2
    # the rows of one group, by _row: the same records as in read_dbf's frame
    one = sdf.where((F.col("CC") == "专科") & (F.col("XB") == "女")).orderBy("_row").toPandas()
    want = df[(df.CC == "专科") & (df.XB == "女")].reset_index(drop=True)
    pd.testing.assert_frame_equal(one, want, check_dtype=False)
    # the work ran on the cluster: the master lists this application, the worker one executor
    apps = spark_cluster.status().get("activeapps", [])
    assert any(a.get("name") == "xueji-parquet" for a in apps), apps
    assert spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() >= 2  # the driver + an executor


def test_ibis_same_expression_on_duckdb_and_on_the_cluster(spark_cluster, converted):
    try:
        import ibis
    except ImportError:
        reason = "ibis-framework is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    conv, df = converted
    levels = pd.DataFrame({"CC": ["本科", "专科", "研究生"], "CCDM": ["3", "2", "1"]})  # pandas 3 str columns

    def run(con):
        t = con.read_parquet(f"{conv.out_dir}/*.parquet" if con.name == "duckdb" else conv.out_dir)
        lv = con.create_table("levels", levels, overwrite=True)
        e = (
            t.join(lv, "CC")
            .group_by(["CCDM", "XB"])
            .aggregate(n=t._row.count(), rows=t._row.sum(), names=t.XM.nunique())
        )
        return e.order_by(["CCDM", "XB"]).to_pyarrow()

    spark = spark_cluster.session("xueji-parquet")
    on_duckdb = run(ibis.duckdb.connect())
    on_spark = run(ibis.pyspark.connect(spark))
    assert on_duckdb.equals(on_spark), (on_duckdb.to_pandas(), on_spark.to_pandas())
    assert sum(on_spark.column("n").to_pylist()) == len(df)
