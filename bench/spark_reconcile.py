"""Reconciliation of N admission × N registration records (synth.make_registration_pair, 3 % planted
differences) the way a province would run it: both DBFs converted once by ``dbf_to_parquet``, then

- ``frames``:  DuckDB over the two lists loaded into the Python process (read_parquet_folder) — the baseline;
- ``duckdb``:  DuckDB reading the converted folders itself (``reconcile(folder, folder)``);
- ``spark``:   Spark reading them itself — a standalone master and one worker started here as separate JVMs
               (tests/spark_cluster.py), the driver in the step's process.

Each step runs in its own child process (so its peak memory is its own: ru_maxrss of the process, and for
Spark the JVMs' peak RSS sampled by the cluster), and every step's statuses must equal the others'. The
DBFs are written once into bench/out/ (the same files as the report bench's) and reused. Prints one JSON
line. (Writing the DBFs the first time is a step of its own: 10M+10M records take about 3 minutes and
19 GB.)

    .venv/bin/python bench/spark_reconcile.py --records 10000000 --memory 4g
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def ensure_dbfs(n: int) -> tuple[Path, Path]:
    from xueji_lib.io.dbf import write_dbf
    from xueji_lib.samples.synth import make_registration_pair

    OUT.mkdir(parents=True, exist_ok=True)
    adm, reg = OUT / f"report_admission_{n}.dbf", OUT / f"report_registration_{n}.dbf"
    if not (adm.exists() and reg.exists()):
        a, r = make_registration_pair(n, seed=1)
        write_dbf(a, adm, "chsi_admission", encoding="gb18030")
        write_dbf(r, reg, "chsi_registration", encoding="gb18030")
    return adm, reg


def step_dbfs(args) -> dict:
    t0 = time.perf_counter()
    ensure_dbfs(args.records)
    return {"seconds": round(time.perf_counter() - t0, 1), "peak_mb": peak_mb()}


def step_convert(args) -> dict:
    from xueji_lib import dbf_to_parquet

    adm, reg = ensure_dbfs(args.records)
    t0 = time.perf_counter()
    for src in (adm, reg):
        dbf_to_parquet(src, folder(src), workers=args.cores, resume=False)
    return {
        "convert_s": round(time.perf_counter() - t0, 1),
        "dbf_mb": round((adm.stat().st_size + reg.stat().st_size) / 1e6),
        "parquet_mb": round(sum(f.stat().st_size for s in (adm, reg) for f in folder(s).glob("part-*")) / 1e6),
        "convert_peak_mb": peak_mb(),
    }


def folder(src: Path) -> Path:
    return src.with_suffix(".parquet")


def statuses(res):
    import numpy as np

    return np.concatenate(
        [res.registration["status"].to_numpy(dtype=object), res.admission["status"].to_numpy(dtype=object)]
    )


def save_and_compare(res, name: str) -> bool:
    """Save this step's statuses; True when every earlier step's are the same."""
    import numpy as np

    mine = statuses(res).astype(str)
    np.save(OUT / f"engines_status_{name}.npy", mine)
    same = True
    for other in ("frames", "duckdb", "spark"):
        path = OUT / f"engines_status_{other}.npy"
        if other != name and path.exists() and path.stat().st_mtime >= START:
            same &= bool((np.load(path) == mine).all())
    return same


def step_frames(args) -> dict:
    from xueji_lib import read_parquet_folder, reconcile

    adm, reg = ensure_dbfs(args.records)
    t0 = time.perf_counter()
    a, r = read_parquet_folder(folder(adm)), read_parquet_folder(folder(reg))
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = reconcile(a, r, year=2026, category="10")
    return {
        "load_s": round(load, 1),
        "seconds": round(time.perf_counter() - t0, 2),
        "peak_mb": peak_mb(),
        "same": save_and_compare(res, "frames"),
        "records": len(a) + len(r),
    }


def step_duckdb(args) -> dict:
    from xueji_lib import reconcile

    adm, reg = ensure_dbfs(args.records)
    t0 = time.perf_counter()
    res = reconcile(folder(adm), folder(reg), year=2026, category="10")
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "peak_mb": peak_mb(),
        "same": save_and_compare(res, "duckdb"),
    }


def step_spark(args) -> dict:
    from tests.spark_cluster import standalone_cluster
    from xueji_lib import reconcile

    adm, reg = ensure_dbfs(args.records)
    out = {}
    with tempfile.TemporaryDirectory(prefix="xueji-spark-bench-") as tmp:
        with standalone_cluster(Path(tmp), cores=args.cores, memory=args.memory) as cluster:
            spark = cluster.session(
                "xueji-bench",
                memory=args.memory,
                cores=args.cores,
                **{"spark.sql.shuffle.partitions": str(4 * args.cores), "spark.driver.maxResultSize": "4g"},
            )
            t0 = time.perf_counter()
            res = reconcile(folder(adm), folder(reg), year=2026, category="10", engine=spark)
            out["seconds"] = round(time.perf_counter() - t0, 2)
            out["start_s"] = round(cluster.start_seconds, 1)
            out["same"] = save_and_compare(res, "spark")
            spark.stop()
        out["peak_mb"] = peak_mb()
        out["jvm_peak_mb"] = {k: round(v) for k, v in cluster.peak_rss_mb.items()}
    return out


STEPS = {"dbfs": step_dbfs, "convert": step_convert, "frames": step_frames, "duckdb": step_duckdb, "spark": step_spark}
START = 0.0


def main(argv=None) -> int:
    global START
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--memory", default="4g", help="Spark driver and executor memory")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--step", choices=list(STEPS), help="run one step in this process (used by the steps' parent)")
    ap.add_argument("--start", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    # bench.py ends a run with SIGTERM: exit through SystemExit, so that `with` blocks stop what this process
    # started (the Spark cluster's JVMs, in sessions of their own) and temporary folders are removed
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    if args.step:
        START = args.start
        print(json.dumps(STEPS[args.step](args), ensure_ascii=False))
        return 0
    results, start = {}, time.time()
    for name in STEPS:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--step",
                name,
                "--records",
                str(args.records),
                "--memory",
                args.memory,
                "--cores",
                str(args.cores),
                "--start",
                str(start),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"step {name} failed")
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{name}: {results[name]}", file=sys.stderr)
    results["same_statuses"] = all(results[k]["same"] for k in ("frames", "duckdb", "spark"))
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
