"""Reconciliation of N admission × N registration records (synth.make_registration_pair, 3 % planted
differences) on DuckDB and on Spark — a standalone master and one worker started here as separate JVMs
(tests/spark_cluster.py), the driver in this process — with the same call, and a check that every status is
the same. Prints one JSON line: seconds and peak memory per engine.

    .venv/bin/python bench/spark_reconcile.py --records 10000000 --memory 8g
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--memory", default="6g", help="driver and executor memory")
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args(argv)
    from tests.spark_cluster import standalone_cluster
    from xueji_lib import reconcile
    from xueji_lib.synth import make_registration_pair

    t0 = time.perf_counter()
    adm, reg = make_registration_pair(args.records, seed=1)
    gen = time.perf_counter() - t0
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    duck = reconcile(adm, reg, year=2026, category="10")
    duck_s = time.perf_counter() - t0
    duck_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    duck_status = (duck.registration["status"].to_numpy(), duck.admission["status"].to_numpy())
    del duck  # keep the Python side as small as it can be while the JVMs run
    out = {"records": len(adm) + len(reg), "generate_s": round(gen, 1), "inputs_mb": round(base_mb),
           "duckdb_s": round(duck_s, 2), "duckdb_peak_mb": round(duck_mb)}
    with tempfile.TemporaryDirectory(prefix="xueji-spark-bench-") as tmp:
        with standalone_cluster(Path(tmp), cores=args.cores, memory=args.memory) as cluster:
            spark = cluster.session("xueji-bench", memory=args.memory, cores=args.cores,
                                    **{"spark.sql.shuffle.partitions": str(4 * args.cores),
                                       "spark.driver.maxResultSize": "4g"})
            t0 = time.perf_counter()
            spk = reconcile(adm, reg, year=2026, category="10", engine=spark)
            out["spark_s"] = round(time.perf_counter() - t0, 2)
            out["spark_start_s"] = round(cluster.start_seconds, 1)
            out["same_statuses"] = bool((spk.registration["status"].to_numpy() == duck_status[0]).all()
                                        and (spk.admission["status"].to_numpy() == duck_status[1]).all())
            spark.stop()
        out["spark_python_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        out["spark_jvm_peak_mb"] = {k: round(v) for k, v in cluster.peak_rss_mb.items()}
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
