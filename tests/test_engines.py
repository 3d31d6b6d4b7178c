"""The relational core on DuckDB and on a real Spark cluster (a standalone master and one worker started as
separate processes by the ``spark_cluster`` fixture): the same sample reconciliation, comparison and
hand-off give the same result, record by record — every status, reason, counterpart and count."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from xueji_lib import compare, dbf_to_parquet, handoff, read_dbf, read_table, reconcile
from xueji_lib.engine.engines import DuckDBEngine, EngineError, SparkEngine, connect

pytestmark = pytest.mark.spark  # a Spark cluster on 127.0.0.1

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


@pytest.fixture(scope="module")
def spark(spark_cluster):
    session = spark_cluster.session("xueji-engines")
    yield session


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def test_reconcile_is_the_same_on_spark(spark):
    hei = SAMPLES / "hei"
    adm, reg, st = (read_dbf(hei / f"10_{n}.dbf") for n in ("录取名单", "注册上报", "新生状态"))
    duck = reconcile(adm, reg, year=2026, category="10", states=st)
    spk = reconcile(adm, reg, year=2026, category="10", states=st, engine=spark)
    assert spk.counts == duck.counts and spk.conserved
    _same(spk.registration, duck.registration)
    _same(spk.admission, duck.admission)
    # the planted problems make every path of the core run: duplicates, missing keys, searches, near 考生号
    assert {"duplicate_key", "missing_key", "key_mismatch", "not_admitted"} <= set(spk.registration["status"])


def test_compare_and_handoff_are_the_same_on_spark(spark):
    k12 = SAMPLES / "k12"
    old, new = (
        read_table(k12 / "学生名单_2025秋.xlsx", "k12_student"),
        read_table(k12 / "学生名单_2026春.xlsx", "k12_student"),
    )
    ch = read_table(k12 / "学籍异动_2026春.xlsx", "k12_changes")
    duck = compare(old, new, changes=ch)
    spk = compare(old, new, changes=ch, engine=spark)
    assert spk.counts == duck.counts and spk.matched_by_counts == duck.matched_by_counts
    for side in ("old", "new", "changes"):
        _same(getattr(spk, side), getattr(duck, side))
    grads, intake = (
        read_table(k12 / "毕业生_2026.xlsx", "k12_student"),
        read_table(k12 / "新生_2026秋.xlsx", "k12_student"),
    )
    d, s = handoff(grads, intake), handoff(grads, intake, engine=spark)
    assert s.counts == d.counts
    _same(s.graduates, d.graduates)
    _same(s.intake, d.intake)


def test_engine_choice_and_errors(spark):
    assert isinstance(connect(), DuckDBEngine) and isinstance(connect("duckdb"), DuckDBEngine)
    eng = connect(spark)
    assert isinstance(eng, SparkEngine)
    eng.register("t", pd.DataFrame({"k": ["a", "a", "b"]}))
    assert eng.sql("SELECT k, count(*) AS n FROM t GROUP BY k ORDER BY k").to_pylist() == [
        {"k": "a", "n": 2},
        {"k": "b", "n": 1},
    ]
    with pytest.raises(EngineError, match="Spark 执行查询出错"):
        eng.sql("SELECT nope FROM t")
    eng.close()
    assert "t" not in [t.name for t in spark.catalog.listTables()]
    with pytest.raises(EngineError, match="不认识的计算引擎"):
        connect("oracle")


def test_statistics_are_the_same_on_spark(spark):
    """The statistics' counting (a GROUP BY over category codes) on the cluster: every table identical."""
    from xueji_lib import higher_ed_stats, k12_stats

    k12 = SAMPLES / "k12"
    now, before = (read_table(k12 / f"学生名单_{t}.xlsx", "k12_student") for t in ("2026春", "2025秋"))
    duck, spk = k12_stats(now, previous=before), k12_stats(now, previous=before, engine=spark)
    assert list(spk.tables) == list(duck.tables)
    for title in duck.tables:
        pd.testing.assert_frame_equal(spk.tables[title], duck.tables[title])
    hei = SAMPLES / "hei"
    reg, adm = read_dbf(hei / "10_注册上报.dbf"), read_dbf(hei / "10_录取名单.dbf")
    duck = higher_ed_stats(reg, admission=adm, year=2026, category="10")
    spk = higher_ed_stats(reg, admission=adm, year=2026, category="10", engine=spark)
    for title in duck.tables:
        pd.testing.assert_frame_equal(spk.tables[title], duck.tables[title])


def test_sql_cleanup_matches_pandas_on_spark(spark):
    from tests.test_sqlnorm import check_engine

    eng = connect(spark)
    try:
        check_engine(eng)
    finally:
        eng.close()


def test_reconcile_reads_converted_folders_on_spark(spark, tmp_path):
    """The executors read the Parquet parts themselves and work out the keys (D and N fields, 学历类别 by
    name, search keys with full-width and 15-digit 身份证号): the same result as DuckDB and as all-text frames."""
    from tests.test_parquet import check_typed_pair

    check_typed_pair(tmp_path, engine=spark)
    # a cluster without shared staging storage: the small tables this process hands over travel through
    # the driver (createDataFrame) instead of staged Parquet files — the same result
    (tmp_path / "no_staging").mkdir()
    check_typed_pair(tmp_path / "no_staging", engine=SparkEngine(spark, staging=""))
    eng = connect(spark)  # a caller's engine: the run's views are dropped and its kept tables unpersisted
    reconcile(tmp_path / "adm_dbf.parquet", tmp_path / "reg_dbf.parquet", engine=eng)
    assert spark.catalog.listTables() == [] and not eng.kept
    eng.close()


def test_compare_reads_converted_folders_on_spark(spark, tmp_path):
    """The executors read the compared fields of both rosters from the parts: the same result as the
    sample workbooks and the DBFs on DuckDB."""
    from tests.test_parquet import check_roster_folders

    check_roster_folders(tmp_path, engine=spark)


def test_statistics_read_converted_folders_on_spark(spark, tmp_path):
    """The executors group the records of the folders (K-12 rosters, registration and admission lists):
    the same tables and notes as over the frames on DuckDB; 生源省份 and 入学年龄 of awkward records as
    worked out by hand."""
    from tests.test_parquet import AWKWARD, awkward_folder, check_awkward, check_stats_folders

    check_stats_folders(tmp_path, engine=spark)
    check_awkward(AWKWARD, engine=spark)
    check_awkward(awkward_folder(tmp_path), engine=spark)


def test_command_line_engine_option(spark_cluster, tmp_path):
    """`xueji reconcile --engine spark://…` (its own Spark application on the cluster) over folders converted
    by `xueji parquet` writes the same counts, the same 资格有误.dbf / 未注册.dbf and results.csv as the default
    engine over the DBFs. Runs last: the test cluster's one worker core is
    released by this module's session first, else the command's application would wait for it."""
    import json

    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    import os
    import subprocess
    import sys

    xueji = str(Path(sys.executable).with_name("xueji"))
    hei = SAMPLES / "hei"
    folders = {}
    for name in ("10_录取名单", "10_注册上报"):  # the Spark run reads converted folders: the executors read the parts
        folders[name] = tmp_path / f"{name}.parquet"
        dbf_to_parquet(hei / f"{name}.dbf", folders[name], records_per_part=400, workers=1)
    tail = ["--states", str(hei / "10_新生状态.dbf"), "--year", "2026", "--category", "10"]
    runs = {
        "duckdb": ["--admission", str(hei / "10_录取名单.dbf"), "--registration", str(hei / "10_注册上报.dbf")],
        "spark": [
            "--admission",
            str(folders["10_录取名单"]),
            "--registration",
            str(folders["10_注册上报"]),
            "--engine",
            spark_cluster.master_url,
        ],
    }
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    out = {}
    for name, args in runs.items():
        proc = subprocess.run(
            [xueji, "reconcile", *args, *tail, "--out", str(tmp_path / name)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[name] = json.loads((tmp_path / name / "summary.json").read_text("utf-8"))
    assert "由计算引擎直接读取" in proc.stdout
    for key in ("registration", "admission"):
        assert out["spark"][key] == out["duckdb"][key]
    assert out["spark"]["registration"]["total"] == 995
    for name in ("资格有误.dbf", "未注册.dbf", "results.csv"):
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "duckdb" / name).read_bytes(), name
