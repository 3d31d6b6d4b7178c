"""Same ibis expression (join + group-by) on DuckDB and on PySpark, from pandas 3 frames (str, Int64, missing)."""

import os
import sys
import tempfile

import ibis
import pandas as pd

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Spark's Python workers need this venv's pandas
from pyspark.sql import SparkSession

stu = pd.DataFrame(
    {
        "XH": ["s1", "s2", "s3", "s4", "s5"],
        "YXDM": ["01", "01", "02", None, "02"],
        "XB": ["男", "女", "女", "男", None],
        "NL": pd.array([18, None, 19, 20, 21], dtype="Int64"),
    }
)
yx = pd.DataFrame({"YXDM": ["01", "02"], "YXMC": ["数学学院", "物理学院"]})
spark = (
    SparkSession.builder.master("local[1]")
    .config("spark.driver.memory", "1g")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.warehouse.dir", tempfile.mkdtemp())  # ibis create_table → saveAsTable
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")  # without: None→'NaN', Int64→all NULL
    .config("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
    .getOrCreate()
)


def run(con):
    s, y = con.create_table("stu", stu, overwrite=True), con.create_table("yx", yx, overwrite=True)
    e = s.join(y, "YXDM").group_by(["YXMC", "XB"]).aggregate(n=s.XH.count(), nl=s.NL.sum(), nulls=s.NL.isnull().sum())
    return e.order_by(["YXMC", "XB"]).to_pyarrow()  # to_pandas(): nl is object (duckdb) vs float64 (spark)


a, b = run(ibis.duckdb.connect()), run(ibis.pyspark.connect(spark))
print(a.to_pandas(), a.schema, b.schema, sep="\n")
assert a.equals(b), (a, b)
print("OK: duckdb and pyspark give the same Arrow table (schema and values)")
spark.stop()
