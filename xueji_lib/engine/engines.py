"""Where the relational core runs: DuckDB in this process (the default) or Apache Spark.

The matching, comparison and duplicate detection of ``reconcile``, ``compare`` and ``handoff`` are SQL
queries over a few narrow tables (row numbers, normalised keys, flags); the explanations are worked out in
Python from their narrow results. Those queries are written once, in the SQL both engines run, and sent to
an ``Engine``: ``DuckDBEngine`` (an in-process DuckDB connection) or ``SparkEngine`` (a SparkSession: a
standalone cluster, YARN, Kubernetes or ``local[*]``). The same code, the same statuses and counts.

    >>> from xueji_lib.engine.engines import connect
    >>> eng = connect()                          # DuckDB
    >>> eng.register("t", pa.table({"k": ["a", "a", "b"]}))
    >>> eng.sql("SELECT k, count(*) AS n FROM t GROUP BY k ORDER BY k").to_pylist()
    [{'k': 'a', 'n': 2}, {'k': 'b', 'n': 1}]
    >>> eng.close()

``connect("spark://host:7077")`` (or a SparkSession, or ``"spark"`` for the session Spark's own settings
give, e.g. ``SPARK_MASTER``/``spark-defaults.conf``) gives a SparkEngine; ``engine=`` of ``reconcile``,
``compare``, ``handoff`` and ``--engine`` of the command line take the same values.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from ..core.errors import XuejiError
from ..core.extras import install_hint

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from ..io.source import ListSource

SPARK_PREFIXES = ("spark://", "local", "yarn", "k8s://", "mesos://", "sc://")


class EngineError(XuejiError):
    """The engine could not be reached or refused a query (the message says which and why)."""


class Engine:
    """Tables registered by name, SQL over them, results as Arrow tables."""

    name = "engine"

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        raise NotImplementedError

    def unregister(self, name: str) -> None:
        raise NotImplementedError

    def register_parquet(self, name: str, files: list[str]) -> None:
        """A table over Parquet files the engine reads itself (nothing passes through this process)."""
        raise NotImplementedError

    def view(self, name: str, query: str) -> None:
        """``query`` as a view ``name`` (worked out each time it is read)."""
        raise NotImplementedError

    def keep(self, name: str, query: str) -> None:
        """The result of ``query`` kept in the engine as table ``name`` (worked out once, used many times)."""
        raise NotImplementedError

    def columns(self, name: str) -> dict[str, str]:
        """Column name → type name (lower case, the engine's own words: varchar/string, date, bigint…)."""
        raise NotImplementedError

    def ident(self, name: str) -> str:
        """``name`` quoted as an identifier."""
        raise NotImplementedError

    def sql(self, query: str) -> pa.Table:
        raise NotImplementedError

    def scalar(self, query: str) -> Any:
        t = self.sql(query)
        return t.column(0)[0].as_py() if t.num_rows else None

    @contextlib.contextmanager
    def scope(self) -> Iterator[Engine]:
        """Every table registered, viewed or kept inside the ``with`` is dropped at its end (how a caller's
        engine — a SparkSession used for several runs — is left as it was given)."""
        before = set(self._made())
        try:
            yield self
        finally:
            for name in reversed([n for n in self._made() if n not in before]):
                self.unregister(name)

    def _made(self) -> dict:
        if not hasattr(self, "_names"):
            self._names = {}
        return self._names

    def _named(self, name: str) -> None:
        self._made()[name] = None

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DuckDBEngine(Engine):
    """An in-process DuckDB connection; frames are queried in place (no copy)."""

    name = "duckdb"

    def __init__(self):
        import duckdb  # here: importing xueji_lib stays light

        self.con = duckdb.connect()
        self.made: dict[str, str] = {}  # views and tables made by register_parquet / keep

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        self._named(name)
        self.con.register(name, data)

    def unregister(self, name: str) -> None:
        self._made().pop(name, None)
        kind = self.made.pop(name, None)
        if kind:
            self.con.execute(f"DROP {kind} IF EXISTS {self.ident(name)}")
        else:
            self.con.unregister(name)

    def register_parquet(self, name: str, files: list[str]) -> None:
        self._named(name)
        listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {self.ident(name)} AS SELECT * FROM read_parquet([{listed}])")
        self.made[name] = "VIEW"

    def view(self, name: str, query: str) -> None:
        self._named(name)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {self.ident(name)} AS {query}")
        self.made[name] = "VIEW"

    def keep(self, name: str, query: str) -> None:
        self._named(name)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {self.ident(name)} AS {query}")
        self.made[name] = "TABLE"

    def columns(self, name: str) -> dict[str, str]:
        return {c: t.lower() for c, t, *_ in self.con.execute(f"DESCRIBE {self.ident(name)}").fetchall()}

    def ident(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def sql(self, query: str) -> pa.Table:
        return self.con.sql(query).to_arrow_table()

    def close(self) -> None:
        self.con.close()


class SparkEngine(Engine):
    """A SparkSession: tables are sent as Arrow and registered as temporary views (by their plain names:
    one operation at a time per session); results come back as Arrow. Only the narrow tables of the core
    travel (row numbers, keys, flags), never whole records."""

    name = "spark"

    def __init__(self, session, staging: str | None = None):
        self.spark = session
        self.views: set[str] = set()
        self.kept: dict = {}  # name → persisted DataFrame (keep)
        self.staging = staging if staging is not None else _default_staging(session)
        self._tmp = None

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        self._named(name)
        if not isinstance(data, pa.Table):
            data = data.copy(deep=False)
            data.attrs = {}  # a loaded frame's LoadReport is not for Spark
            data = pa.Table.from_pandas(data, preserve_index=False)
        data = _spark_types(data)
        if self.staging:  # through a Parquet file the executors read: the driver JVM never holds the rows
            import pyarrow.parquet as pq

            if self._tmp is None:
                self._tmp = tempfile.mkdtemp(prefix="xueji-spark-", dir=self.staging)
            path = os.path.join(self._tmp, f"{name}-{len(os.listdir(self._tmp))}.parquet")
            pq.write_table(data, path, row_group_size=1 << 20)
            frame = self.spark.read.parquet(_uri(path))
        else:  # a remote cluster without shared storage: the rows travel through the driver
            frame = self.spark.createDataFrame(data)
        self._view(name, frame)

    def unregister(self, name: str) -> None:
        self._made().pop(name, None)
        if name in self.views:
            self.views.discard(name)
            kept = self.kept.pop(name, None)
            if kept is not None:
                kept.unpersist()
            self.spark.catalog.dropTempView(name)

    def register_parquet(self, name: str, files: list[str]) -> None:
        self._named(name)
        self._view(name, self.spark.read.parquet(*[_uri(f) for f in files]))

    def view(self, name: str, query: str) -> None:
        self._named(name)
        self._view(name, self._run(lambda: self.spark.sql(query)))

    def keep(self, name: str, query: str) -> None:
        self._named(name)
        from pyspark import StorageLevel

        frame = self._run(lambda: self.spark.sql(query).persist(StorageLevel.MEMORY_AND_DISK))
        self._view(name, frame)
        self.kept[name] = frame

    def columns(self, name: str) -> dict[str, str]:
        return {f.name: f.dataType.simpleString().lower() for f in self.spark.table(name).schema.fields}

    def ident(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def _view(self, name, frame):
        frame.createOrReplaceTempView(name)
        self.views.add(name)

    def _run(self, work):
        try:
            return work()
        except Exception as exc:  # noqa: BLE001 - Spark raises its own exception classes
            raise EngineError(f"Spark 执行查询出错：{str(exc).splitlines()[0]}") from exc

    def sql(self, query: str) -> pa.Table:
        return self._run(lambda: self.spark.sql(query).toArrow())

    def close(self) -> None:
        import shutil

        for name in list(self.views):
            self.unregister(name)
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _uri(path) -> str:
    """A local path as the file:// URI Spark needs (its default file system may be HDFS); URIs unchanged."""
    text = str(path)
    return text if "://" in text else "file://" + os.path.abspath(text)


def _default_staging(session) -> str | None:
    """Where registered tables are staged as Parquet for Spark to read: XUEJI_SPARK_STAGING (a folder every
    executor sees, e.g. an NFS mount), else the temporary folder when the master runs on this machine
    (local[*], spark://127.0.0.1 / localhost), else None (rows sent through the driver)."""
    if os.environ.get("XUEJI_SPARK_STAGING"):
        return os.environ["XUEJI_SPARK_STAGING"]
    master = session.sparkContext.master
    local = master.startswith("local") or any(h in master for h in ("//127.0.0.1:", "//localhost:"))
    return tempfile.gettempdir() if local else None


def _spark_types(table: pa.Table) -> pa.Table:
    """Arrow types Spark takes: large_string → string; dictionary → its values."""
    cols = []
    for col in table.columns:
        t = col.type
        if pa.types.is_dictionary(t):
            col, t = col.cast(t.value_type), t.value_type
        if pa.types.is_large_string(t):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def spark_session(master: str | None = None, app_name: str = "xueji", conf: dict | None = None) -> SparkSession:
    """A SparkSession set up the way xueji needs it: Arrow transfers on (without fallback: pandas 3 data
    would be silently damaged otherwise), the Python workers on this interpreter, the warehouse in a
    temporary folder. ``master`` None: Spark's own default (SPARK_MASTER / spark-defaults.conf / local[*]).

        >>> spark = spark_session("spark://10.0.0.5:7077")                   # doctest: +SKIP
        >>> res = xj.compare(old, new, engine=spark)                            # doctest: +SKIP
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(f"没有安装 pyspark，无法使用 Spark：请先安装：{install_hint('spark')}") from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    settings = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        "spark.pyspark.python": sys.executable,
        "spark.sql.warehouse.dir": os.path.join(tempfile.gettempdir(), "xueji-spark-warehouse"),
        "spark.sql.session.timeZone": "UTC",
        **(conf or {}),
    }
    for k, v in settings.items():
        builder = builder.config(k, v)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001
        raise EngineError(f"无法连接 Spark（{master or '默认设置'}）：{str(exc).splitlines()[0]}") from exc


ENGINE_ENV = "XUEJI_ENGINE"


def connect(engine: str | Engine | SparkSession | None = None) -> Engine:
    """An Engine from what a user gives: "duckdb" → DuckDB; a SparkSession → Spark on it; "spark" → Spark
    with its own default master; a master URL ("spark://host:7077", "local[2]", "yarn", "k8s://…") →
    Spark on that master; an Engine → itself. None: the environment variable XUEJI_ENGINE (same values;
    how reports and dashboards are pointed at a cluster without changing them), else DuckDB.

        >>> eng = connect("duckdb")
        >>> eng.name
        'duckdb'
        >>> eng.close()
        >>> res = xj.reconcile(adm, reg, engine="spark://10.0.0.5:7077")    # doctest: +SKIP
    """
    engine = _resolved(engine)
    if _names_duckdb(engine):
        return DuckDBEngine()
    if isinstance(engine, Engine):
        return engine
    if isinstance(engine, str):
        if engine.lower() == "spark":
            return SparkEngine(spark_session())
        if engine.startswith(SPARK_PREFIXES):
            return SparkEngine(spark_session(engine))
        raise EngineError(
            f"不认识的计算引擎 {engine!r}：可用 duckdb、spark，或 Spark 的 master 地址（如 spark://主机:7077）"
        )
    if type(engine).__name__ == "SparkSession":
        return SparkEngine(engine)
    raise EngineError(f"不认识的计算引擎 {engine!r}")


def register_list(
    con: Engine, name: str, data: pd.DataFrame | ListSource | str | os.PathLike, fields: dict
) -> dict[str, str]:
    """A list (a frame, a folder converted by ``dbf_to_parquet``, or either as an ``io.source.ListSource``)
    as engine view ``name``: ``_row``
    (read_dbf's 1-based row) and, under the names of ``fields`` ({name: the column names it may have, the
    first present wins; case does not matter}), the fields it has. Only those columns of a frame are handed
    to the engine; a folder's parts are read by the engine itself. Returns {field: its type in the engine}.

        >>> eng = connect()
        >>> register_list(eng, "t", pd.DataFrame({"ksh": ["26110101000001"], "XM": ["张三"]}),
        ...               {"KSH": ("KSH",), "XM": ("XM",), "SFZH": ("SFZH", "ZJHM")})
        {'KSH': 'varchar', 'XM': 'varchar'}
        >>> eng.close()
    """
    from ..io.source import ListSource

    src = ListSource.of(data)
    if src.is_folder:
        con.register_parquet(f"{name}_raw", [str(f) for f in src.parts])
        present = {str(c).upper(): c for c in con.columns(f"{name}_raw")}
    else:
        present = {str(c).upper(): c for c in src.columns}
    chosen = {}
    for f, names in fields.items():
        hit = next((present[str(n).upper()] for n in names if str(n).upper() in present), None)
        if hit is not None:
            chosen[f] = hit
    if not src.is_folder:
        import numpy as np

        con.register(
            f"{name}_raw",
            pd.DataFrame(
                {"_row": np.arange(1, src.count + 1, dtype=np.int64), **{f: src.column(c) for f, c in chosen.items()}},
                copy=False,  # the engine only reads them: no copy of a million-record column
            ),
        )
        chosen = {f: f for f in chosen}
    listed = "".join(f", {con.ident(c)} AS {con.ident(f)}" for f, c in chosen.items())
    con.view(name, f"SELECT _row{listed} FROM {name}_raw")
    types = con.columns(name)
    return {f: types[f] for f in chosen}


@contextlib.contextmanager
def engine_for(engine: str | Engine | SparkSession | None) -> Iterator[Engine]:
    """``connect(engine)`` for one operation: an engine made here is closed at the end; a caller's Engine is
    left with only the tables it had (``Engine.scope``)."""
    con = connect(engine)
    try:
        with con.scope():
            yield con
    finally:
        if not borrowed(engine):
            con.close()


def _resolved(engine):
    """What ``engine`` names once None is read as the environment's choice (XUEJI_ENGINE; None: the default)."""
    return (os.environ.get(ENGINE_ENV) or None) if engine is None else engine


def _names_duckdb(engine) -> bool:
    """Whether a resolved ``engine`` means a new DuckDB engine in this process (None or "duckdb")."""
    return engine is None or (isinstance(engine, str) and engine.lower() == "duckdb")


# A join of at most this many records (both sides) runs in this process when the engine is DuckDB in this process
# (``OnDemand.here``): a few thousand records in a real intake or term, where DuckDB's import, connection and
# closing alone cost more than the join. Larger ones go to the engine, which joins millions faster and spills to
# disk; both give the same pairs (tests/test_reconcile_speed19.py, tests/test_colcheck_speed19.py).
SMALL_JOIN = 200_000


class OnDemand:
    """The engine of one operation, connected on first use (``get``): work that can be done in this process on
    frames (small joins, Arrow clean-up) never needs DuckDB, whose import, connection and closing can cost more
    than the work. ``local``: whether the engine is (or would be) DuckDB in this process — known without
    connecting for None (no XUEJI_ENGINE), "duckdb" or a DuckDBEngine; any other engine is connected at once.
    Made by ``engine_on_demand``, which closes what it opened.

        >>> with engine_on_demand(None) as con:
        ...     con.local, con.con is None
        (True, True)
    """

    def __init__(self, engine: str | Engine | SparkSession | None, stack: contextlib.ExitStack) -> None:
        self.engine, self.stack = engine, stack
        self.con: Engine | None = None
        if _names_duckdb(_resolved(engine)) or isinstance(engine, DuckDBEngine):
            self.local = True
        else:
            self.local = isinstance(self.get(), DuckDBEngine)

    def here(self, records: int) -> bool:
        """Whether a join over ``records`` records runs in this process (``SMALL_JOIN``)."""
        return self.local and records <= SMALL_JOIN

    def get(self) -> Engine:
        """The engine (``engine_for``: one made here is closed when the operation ends)."""
        if self.con is None:
            self.con = self.stack.enter_context(engine_for(self.engine))
        return self.con


@contextlib.contextmanager
def engine_on_demand(engine: str | Engine | SparkSession | None) -> Iterator[OnDemand]:
    """``engine_for(engine)`` connected only if the operation asks for it (``OnDemand.get``)."""
    with contextlib.ExitStack() as stack:
        yield OnDemand(engine, stack)


def borrowed(engine: object) -> bool:
    """Whether ``engine`` is a caller's Engine (so the function using it must not close it)."""
    return isinstance(engine, Engine)
