"""compare and k12_stats of two N-pupil rosters (synth.make_roster_pair, 3 % changed) over the lists loaded
into Python (read_dbf: the baseline) and over folders converted by dbf_to_parquet (DuckDB reads them), each
in its own child process; the counts must be the same. The rosters are written once as DBFs into
bench/out/ (all C fields, GB18030) and converted. Prints one JSON line.

    .venv/bin/python bench/folders_compare_stats.py --records 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def paths(n: int) -> dict:
    return {side: OUT / f"roster_{side}_{n}.dbf" for side in ("old", "new")} | {
        "changes": OUT / f"roster_changes_{n}.parquet"
    }


def step_make(n: int) -> dict:
    import xueji_lib as xj
    from xueji_lib.io.dbf import write_dbf
    from xueji_lib.samples.synth import make_roster_pair
    from xueji_lib.schema.layouts import Layout, LayoutField

    OUT.mkdir(parents=True, exist_ok=True)
    p = paths(n)
    t0 = time.perf_counter()
    if not all(x.exists() for x in p.values()):
        old, new, changes = make_roster_pair(n, seed=1)
        for side, frame in (("old", old), ("new", new)):
            fields = tuple(
                LayoutField(
                    code=c,
                    name=c,
                    type="C",
                    width=max(1, int(frame[c].fillna("").astype(str).str.encode("gb18030").str.len().max())),
                )
                for c in frame.columns
            )
            write_dbf(
                frame,
                p[side],
                Layout(name="bench_roster", title="bench", format="dbf", fields=fields),
                encoding="gb18030",
            )
        changes.to_parquet(p["changes"])
    made = time.perf_counter() - t0
    t0 = time.perf_counter()
    for side in ("old", "new"):
        xj.dbf_to_parquet(p[side], p[side].with_suffix(".parquet"), workers=2)
    return {"make_s": round(made, 1), "convert_s": round(time.perf_counter() - t0, 1)}


def step_run(n: int, how: str) -> dict:
    import pandas as pd

    import xueji_lib as xj

    p = paths(n)
    changes = pd.read_parquet(p["changes"])
    if how == "frames":
        old, new = xj.read_dbf(p["old"]), xj.read_dbf(p["new"])
    else:
        old, new = p["old"].with_suffix(".parquet"), p["new"].with_suffix(".parquet")
    t0 = time.perf_counter()
    res = xj.compare(old, new, changes=changes, layout="k12_student")
    compare_s, compare_mb = time.perf_counter() - t0, peak_mb()
    del res
    t0 = time.perf_counter()
    st = xj.k12_stats(new, previous=old)
    stats_s = time.perf_counter() - t0
    return {
        "compare_s": round(compare_s, 2),
        "compare_peak_mb": compare_mb,
        "stats_s": round(stats_s, 2),
        "peak_mb": peak_mb(),
        "tables": {k: t["人数"].tolist() for k, t in st.tables.items()},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--step", choices=["make", "frames", "folders"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    # bench.py ends a run with SIGTERM: exit through SystemExit, so that `with` blocks stop what this process
    # started (its step's child process: same process group) and temporary folders are removed
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    if args.step:
        out = step_make(args.records) if args.step == "make" else step_run(args.records, args.step)
        print(json.dumps(out, ensure_ascii=False))
        return 0
    results = {}
    for step in ("make", "frames", "folders"):
        proc = subprocess.run(
            [sys.executable, __file__, "--step", step, "--records", str(args.records)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"step {step} failed")
        results[step] = json.loads(proc.stdout.strip().splitlines()[-1])
    results["same_tables"] = results["frames"].pop("tables") == results["folders"].pop("tables")
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
