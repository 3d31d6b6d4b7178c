"""A real Apache Spark standalone cluster for tests: one master and one worker, each its own JVM started
with pyspark's bundled ``spark-class`` (no Spark installation needed beyond ``pip install pyspark`` and a
Java 17+ runtime), bound to 127.0.0.1 on free ports, logs and work dirs under a pytest tmp dir.

    from tests.spark_cluster import spark_cluster          # noqa: F401  (the fixture)

    def test_x(spark_cluster):
        spark = spark_cluster.session()                     # SparkSession on spark://127.0.0.1:<port>

``spark_cluster`` (session-scoped) starts both, waits until the master lists the worker as ALIVE, yields a
``SparkCluster`` (``master_url``, ``start_seconds``, ``peak_rss_mb`` sampled every 0.2 s: master, worker,
executors, driver) and at the end stops the session, the worker and the master — with every executor
JVM the worker started — and fails if any of those processes is still alive. With
``XUEJI_SPARK_METRICS=<file>`` the timings and peak RSS are written there as JSON.

Without java or pyspark the tests are skipped with the reason — except under CI (``CI=true``, set by
.ci/run), where they fail, as tests/test_report_browser.py does for chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

START_TIMEOUT = 90  # seconds for the master to list the worker as ALIVE
MEMORY = "1g"  # the worker offers 1 GB to executors; the driver and the executor get 1 GB each
DAEMON_MEMORY = "512m"


def missing_reason() -> str | None:
    """Why a Spark cluster cannot run here, or None."""
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else shutil.which("java")
    if not java or not Path(java).exists():
        return "java is missing (Spark 4 needs a Java 17+ runtime; Debian: apt-get install openjdk-17-jre-headless)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install pyspark, see the dependency notes)"
    if not (spark_home() / "bin" / "spark-class").exists():
        return f"pyspark has no bin/spark-class under {spark_home()}"
    return None


def need_spark() -> None:
    reason = missing_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def spark_home() -> Path:
    import pyspark

    return Path(os.environ.get("SPARK_HOME") or Path(pyspark.__file__).parent)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SparkCluster:
    master_url: str
    web_url: str
    root: Path
    start_seconds: float = 0.0
    procs: dict = field(default_factory=dict)  # role → Popen
    peak_rss_mb: dict = field(default_factory=dict)  # role → MB
    _sessions: list = field(default_factory=list)
    left: list = field(default_factory=list)  # processes still alive after stopping (should be none)

    def session(self, app: str = "xueji-test", *, memory: str = MEMORY, cores: int = 1, **conf):
        """A SparkSession on this cluster: driver and executor ``memory`` (1 GB), ``cores`` (1), no UI, 4
        shuffle partitions; ``conf``: more Spark settings (``**{"spark.x.y": v}``)."""
        from pyspark.sql import SparkSession

        b = (
            SparkSession.builder.master(self.master_url)
            .appName(app)
            .config("spark.driver.memory", memory)
            .config("spark.executor.memory", memory)
            .config("spark.executor.cores", str(cores))
            .config("spark.cores.max", str(cores))
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.pyspark.python", sys.executable)  # executors' Python workers: this venv
            .config("spark.sql.warehouse.dir", str(self.root / "warehouse"))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
        )
        for k, v in conf.items():
            b = b.config(k, v)
        # the driver JVM is launched here and takes these from the environment (only for the launch)
        launch_env = {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_DIRS": str(self.root / "local")}
        saved = {k: os.environ.get(k) for k in launch_env}
        os.environ.update(launch_env)
        try:
            spark = b.getOrCreate()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self._sessions.append(spark)
        return spark

    def status(self) -> dict:
        with urllib.request.urlopen(f"{self.web_url}/json/", timeout=5) as r:
            return json.loads(r.read().decode("utf-8"))

    def log_tail(self, n: int = 30) -> str:
        out = []
        for p in sorted((self.root / "logs").glob("*.log")):
            lines = p.read_text(encoding="utf-8", errors="replace").splitlines()[-n:]
            out.append(f"--- {p.name}\n" + "\n".join(lines))
        return "\n".join(out)


def _env(root: Path) -> dict:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_LOG_DIR=str(root / "logs"),
        SPARK_WORKER_DIR=str(root / "work"),
        SPARK_LOCAL_DIRS=str(root / "local"),
        SPARK_DAEMON_MEMORY=DAEMON_MEMORY,
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
    )
    env.pop("SPARK_CONF_DIR", None)
    return env


def _start(cluster: SparkCluster, role: str, args: list[str], env: dict) -> subprocess.Popen:
    log = open(cluster.root / "logs" / f"{role}.log", "wb")
    # spark-class execs the JVM, so the Popen pid is the JVM's; its own session so that stopping it can
    # take the executors it started along (the process group of a process started here).
    proc = subprocess.Popen(
        [str(spark_home() / "bin" / "spark-class"), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cluster.root,
        start_new_session=True,
    )
    log.close()
    cluster.procs[role] = proc
    return proc


def _sample_rss(cluster: SparkCluster, stop: threading.Event) -> None:
    import psutil

    me = psutil.Process()
    while not stop.is_set():
        roles: dict[str, list] = {}
        for role in ("master", "worker"):
            proc = cluster.procs.get(role)
            try:
                p = psutil.Process(proc.pid)
                roles[role] = [p]
                if role == "worker":
                    roles["executors"] = p.children(recursive=True)
            except (psutil.Error, AttributeError):
                pass
        try:
            roles["driver"] = [c for c in me.children(recursive=True) if c.name() == "java"]
        except psutil.Error:
            pass
        for role, ps in roles.items():
            total = 0
            for p in ps:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            cluster.peak_rss_mb[role] = max(cluster.peak_rss_mb.get(role, 0.0), total / 2**20)
        stop.wait(0.2)


def _stop(cluster: SparkCluster) -> list[str]:
    """Stop sessions, worker (with its executors), master; return what was still alive afterwards."""
    import psutil

    for spark in cluster._sessions:
        try:
            spark.stop()
        except Exception:  # noqa: BLE001 - best effort, the JVMs are stopped below anyway
            pass
    tracked = []
    if cluster._sessions:  # the driver JVM (pyspark's gateway): it exits when its stdin closes
        from pyspark import SparkContext

        gateway = SparkContext._gateway
        proc = getattr(gateway, "proc", None)
        if gateway is not None:
            gateway.shutdown()
            SparkContext._gateway = SparkContext._jvm = None
        if proc is not None:
            try:
                tracked.append(psutil.Process(proc.pid))
            except psutil.Error:
                pass
            if proc.stdin:
                proc.stdin.close()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.terminate()
    for role in ("worker", "master"):
        proc = cluster.procs.get(role)
        if proc is None:
            continue
        try:
            tracked += [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        except psutil.Error:
            pass
    for role in ("worker", "master"):
        proc = cluster.procs.get(role)
        if proc is not None and proc.poll() is None:
            proc.terminate()  # SIGTERM: the JVM's shutdown hooks stop its executors
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)  # the process group of the process started here
                proc.wait(timeout=10)
    gone, alive = psutil.wait_procs(tracked, timeout=10)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    return [f"{p.pid} {' '.join(p.cmdline()[:3])}" for p in alive if p.is_running()]


@contextmanager
def standalone_cluster(root: Path, *, cores: int = 1, memory: str = MEMORY):
    """A master and one worker (``cores``, ``memory`` offered to executors) under ``root``; yields the
    SparkCluster and stops everything at the end (the list of processes still alive is in ``cluster.left``)."""
    for d in ("logs", "work", "local", "warehouse"):
        (root / d).mkdir(parents=True, exist_ok=True)
    port, web, wport, wweb = (_free_port() for _ in range(4))
    cluster = SparkCluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{web}", root)
    env = _env(root)
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_rss, args=(cluster, stop), daemon=True)
    t0 = time.perf_counter()
    try:
        _start(
            cluster,
            "master",
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(web),
            ],
            env,
        )
        _start(
            cluster,
            "worker",
            [
                "org.apache.spark.deploy.worker.Worker",
                cluster.master_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(wport),
                "--webui-port",
                str(wweb),
                "--cores",
                str(cores),
                "--memory",
                memory,
                "--work-dir",
                str(root / "work"),
            ],
            env,
        )
        sampler.start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            for role, proc in cluster.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"Spark {role} exited with {proc.returncode}\n{cluster.log_tail()}")
            try:
                st = cluster.status()
                if any(w.get("state") == "ALIVE" for w in st.get("workers", [])):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"no worker registered within {START_TIMEOUT} s\n{cluster.log_tail()}")
            time.sleep(0.25)
        cluster.start_seconds = time.perf_counter() - t0
        yield cluster
    finally:
        cluster.left = _stop(cluster)
        stop.set()
        if sampler.is_alive():
            sampler.join(timeout=5)


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    need_spark()
    with standalone_cluster(tmp_path_factory.mktemp("spark_cluster")) as cluster:
        yield cluster
    metrics = os.environ.get("XUEJI_SPARK_METRICS")
    if metrics:
        Path(metrics).write_text(
            json.dumps(
                {
                    "start_seconds": round(cluster.start_seconds, 2),
                    "peak_rss_mb": {k: round(v) for k, v in cluster.peak_rss_mb.items()},
                },
                indent=1,
            )
        )
    assert not cluster.left, f"Spark JVMs still running after the cluster was stopped: {cluster.left}"
