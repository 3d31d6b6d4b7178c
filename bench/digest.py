"""Results digest: speed work must not change a single result (issue 19, "Must not change").

Computes a sha256 per result — every frame read, every validation's findings and pass/fail, every reconcile and
compare table, every output file a command writes (workbook cell values, DBF records, summary.json less its
timings) — on the samples and on the bench's big inputs, and saves them or checks them against a saved set:

    python bench/digest.py save  [--records 1000000] [--out bench/digests-1000000.json]
    python bench/digest.py check [--records 1000000] [--against bench/digests-1000000.json]
    python bench/digest.py save --tree /path/to/an/older/checkout   # the "before" of a change, same inputs

``--only samples,big`` picks the parts; ``check`` prints each differing item and exits 1. The big inputs are the
bench's own (bench/bench.py: the registration DBF, the dirty DBF, the registration pair, the roster pair, the
200k roster workbook), made by the checkout under test's generators.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLES = ROOT / "data_samples"
# summary.json keys that change from run to run (timings, the time of day, the output folder)
VOLATILE = {"seconds", "duration", "started", "finished", "time", "elapsed", "out", "output", "created", "when"}


def frame_digest(df) -> str:
    """sha256 of a frame's columns, dtypes and every value (index ignored)."""
    import pandas as pd

    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in df.columns], ensure_ascii=False).encode())
    h.update(json.dumps([str(t) for t in df.dtypes], ensure_ascii=False).encode())
    h.update(str(len(df)).encode())
    for c in df.columns:
        s = df[c]
        try:
            v = pd.util.hash_pandas_object(s, index=False).to_numpy()
        except TypeError:
            v = pd.util.hash_pandas_object(s.map(repr).astype(object), index=False).to_numpy()
        h.update(v.tobytes())
    return h.hexdigest()


def object_digests(prefix: str, obj) -> dict[str, str]:
    """Each DataFrame / ndarray / plain attribute of a result object, digested under ``prefix.attr``."""
    import numpy as np
    import pandas as pd

    out: dict[str, str] = {}
    attrs = vars(obj) if hasattr(obj, "__dict__") else {}
    if not attrs and hasattr(obj, "__dataclass_fields__"):
        attrs = {k: getattr(obj, k) for k in obj.__dataclass_fields__}
    for k, v in sorted(attrs.items()):
        if k.startswith("_") or k in {"inputs", "seconds", "duration"}:
            continue
        if isinstance(v, pd.DataFrame):
            out[f"{prefix}.{k}"] = frame_digest(v)
        elif isinstance(v, pd.Series):
            out[f"{prefix}.{k}"] = frame_digest(v.to_frame())
        elif isinstance(v, np.ndarray):
            out[f"{prefix}.{k}"] = hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
        elif isinstance(v, (int, str, bool, float, tuple, list, dict)) or v is None:
            out[f"{prefix}.{k}"] = hashlib.sha256(repr(v).encode()).hexdigest()
    return out


def file_digest(path: Path) -> str:
    """sha256 of what a file says, not of when it was written: workbook cell values sheet by sheet (openpyxl),
    DBF bytes less the header's date of last update, summary.json less its timings, other files' bytes."""
    h = hashlib.sha256()
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for ws in wb.worksheets:
            h.update(ws.title.encode())
            for row in ws.iter_rows(values_only=True):
                h.update(repr(row).encode())
        wb.close()
    elif suffix == ".dbf":
        b = path.read_bytes()
        h.update(b[:1] + b[4:])
    elif suffix == ".json":

        def clean(o):
            if isinstance(o, dict):
                return {k: clean(v) for k, v in o.items() if k not in VOLATILE}
            if isinstance(o, list):
                return [clean(v) for v in o]
            return o

        h.update(json.dumps(clean(json.loads(path.read_text("utf-8"))), ensure_ascii=False, sort_keys=True).encode())
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


def folder_digests(prefix: str, folder: Path) -> dict[str, str]:
    return {
        f"{prefix}/{p.relative_to(folder).as_posix()}": file_digest(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def cli(*args: str) -> None:
    """Run ``xueji`` of the checkout under test (its own interpreter, PYTHONPATH = the checkout)."""
    env = os.environ | {"XUEJI_HISTORY": "off"}
    if not os.environ.get("XUEJI_DIGEST_TREE"):
        env["PYTHONPATH"] = str(ROOT)
    r = subprocess.run(
        [sys.executable, "-m", "xueji_lib.apps.cli", *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if r.returncode not in (0, 1):
        raise SystemExit(f"xueji {' '.join(args)} exited {r.returncode}:\n{r.stderr[-2000:]}")


def samples_part() -> dict[str, str]:
    """Every sample file read, validated; the samples' reconcile and compare; the CLI's output folders."""
    import xueji_lib as xj
    from xueji_lib.io.loading import load_list

    out: dict[str, str] = {}
    files = sorted(p for p in SAMPLES.rglob("*") if p.suffix.lower() in {".dbf", ".xlsx", ".csv"})
    for p in files:
        name = p.relative_to(SAMPLES).as_posix()
        try:
            df, lay, _why = load_list(p)
        except xj.XuejiError as e:
            out[f"read/{name}"] = hashlib.sha256(str(e).encode()).hexdigest()
            continue
        out[f"read/{name}"] = frame_digest(df)
        try:
            res = xj.validate(df, lay, year=2026 if name.startswith("hei/") else None)
        except xj.XuejiError as e:
            out[f"validate/{name}"] = hashlib.sha256(str(e).encode()).hexdigest()
            continue
        out[f"validate/{name}.findings"] = frame_digest(res.findings)
        out[f"validate/{name}.failed"] = hashlib.sha256(res.failed.tobytes()).hexdigest()
    hei, k12 = SAMPLES / "hei", SAMPLES / "k12"
    rec = xj.reconcile(
        xj.read_dbf(hei / "10_录取名单.dbf"),
        xj.read_dbf(hei / "10_注册上报.dbf"),
        year=2026,
        category="10",
        states=xj.read_dbf(hei / "10_新生状态.dbf"),
    )
    out |= object_digests("reconcile/hei10", rec)
    cmp = xj.compare(
        xj.read_table(k12 / "学生名单_2025秋.xlsx", layout="k12_student"),
        xj.read_table(k12 / "学生名单_2026春.xlsx", layout="k12_student"),
        changes=xj.read_table(k12 / "学籍异动_2026春.xlsx", layout="k12_changes"),
    )
    out |= object_digests("compare/k12", cmp)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        cli("validate", str(hei / "10_注册上报.dbf"), "--year", "2026", "--category", "10", "--out", str(t / "v1"))
        cli("validate", str(k12 / "学生名单_2026春.xlsx"), "--out", str(t / "v2"))
        cli(
            "reconcile",
            "--admission",
            str(hei / "10_录取名单.dbf"),
            "--registration",
            str(hei / "10_注册上报.dbf"),
            "--year",
            "2026",
            "--category",
            "10",
            "--out",
            str(t / "r1"),
        )
        cli(
            "compare",
            str(k12 / "学生名单_2025秋.xlsx"),
            str(k12 / "学生名单_2026春.xlsx"),
            "--changes",
            str(k12 / "学籍异动_2026春.xlsx"),
            "--out",
            str(t / "c1"),
        )
        for d in ("v1", "v2", "r1", "c1"):
            out |= folder_digests(f"cli/{d}", t / d)
    return out


def big_part(records: int) -> dict[str, str]:
    """The bench's big inputs: the registration DBF read and validated; reconcile and compare of the pairs."""
    sys.path.insert(0, str(HERE))
    import bench as b  # noqa: E402  (bench/bench.py: the inputs the bench measures)
    import xueji_lib as xj
    from xueji_lib.samples.synth import make_registration_pair, make_roster_pair

    out: dict[str, str] = {}
    dbf = b.ensure_registration_dbf(records)
    df = xj.read_dbf(dbf)
    out[f"read/registration_{records}"] = frame_digest(df)
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    out[f"validate/registration_{records}.findings"] = frame_digest(res.findings)
    out[f"validate/registration_{records}.failed"] = hashlib.sha256(res.failed.tobytes()).hexdigest()
    del df, res
    for extra in getattr(b, "DIGEST_EXTRA", {}).items():  # further bench inputs (a dirty DBF…), name → fn(records)
        name, fn = extra
        out |= fn(records, frame_digest, object_digests, file_digest)
    adm, reg = make_registration_pair(records, seed=1)
    out |= object_digests(f"reconcile/pair_{records}", xj.reconcile(adm, reg, year=2026, category="10"))
    del adm, reg
    old, new, ch = make_roster_pair(records, seed=1)
    out |= object_digests(f"compare/rosters_{records}", xj.compare(old, new, changes=ch))
    return out


def compute(parts: list[str], records: int) -> dict[str, str]:
    out: dict[str, str] = {}
    if "samples" in parts:
        out |= samples_part()
    if "big" in parts:
        out |= big_part(records)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=("save", "check"))
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--only", default="samples,big")
    ap.add_argument("--out", help="save: where (default bench/digests-<records>.json)")
    ap.add_argument("--against", help="check: the saved set (default bench/digests-<records>.json)")
    ap.add_argument("--tree", help="compute with the xueji_lib of another checkout (the 'before' of a change)")
    args = ap.parse_args(argv)
    if args.tree:  # re-run this script with the other checkout first on the path, on this checkout's samples
        env = os.environ | {"PYTHONPATH": str(Path(args.tree).resolve()), "XUEJI_DIGEST_TREE": "1"}
        rest = [a for a in (argv or sys.argv[1:]) if a != "--tree" and a != args.tree]
        return subprocess.call([sys.executable, __file__, *rest], env=env)
    default = HERE / f"digests-{args.records}.json"
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    got = compute(parts, args.records)
    if args.action == "save":
        path = Path(args.out) if args.out else default
        path.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps(old | got, ensure_ascii=False, indent=1, sort_keys=True))
        print(f"{len(got)} digests saved to {path}")
        return 0
    saved = json.loads(Path(args.against or default).read_text())
    bad = [k for k in sorted(got) if saved.get(k) != got[k]]
    for k in bad:
        print(f"DIFFERS: {k}" if k in saved else f"NEW (not in the saved set): {k}")
    print(f"{len(got) - len(bad)} of {len(got)} digests equal")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
