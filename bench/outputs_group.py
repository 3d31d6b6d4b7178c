"""The bench's ``outputs`` group (issue 19): the files a command writes, and each workbook read once.

- "validation workbook, 200k roster": ``xueji validate roster.xlsx --out D`` (every file it writes: 校验通过.xlsx,
  数据有误.xlsx, 校验结果.xlsx with all its findings, summary.json) on a 200k-pupil K-12 roster, timed from the
  validated result to the files in place (``write_validation_outputs``), with progress on;
- "compare 200k×200k from xlsx": ``xueji compare old.xlsx new.xlsx --out D`` end to end in a child process,
  counting how many times each input workbook was opened.

The inputs are made once and cached in bench/out/: two snapshots of a 200k-pupil roster
(``synth.make_roster_pair``) completed to the 59-field K-12 import template with clean records of the
committed sample of the same grade, with a few planted problems in the new one (ID check digits, names left
blank, birth dates that disagree with the ID, unknown 民族 codes, a repeated ID), written as the template's
sheets (Chinese headers, text cells).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
OUTPUTS_N = 200_000
OUTPUTS_TARGET_SECONDS = 15.0

MAKE = r"""
import numpy as np, pandas as pd
import xueji_lib as xj
from xueji_lib.io.excel_writer import write_excel
from xueji_lib.io.loading import load_list
from xueji_lib.samples.synth import make_roster_pair

n = {n}
old, new, _ = make_roster_pair(n, seed=1)
sample, lay, _ = load_list({sample!r})
bad = set(xj.validate(sample, lay).findings["row"].dropna().astype(int) - 1)
clean = sample.drop(index=[i for i in bad if i in sample.index]).reset_index(drop=True)

def complete(f, rng):
    f = f.copy()
    f["XXMC"] = "合成学校" + f["XXBSM"].str.slice(-5)  # one name per school code
    pos = np.empty(len(f), dtype=np.int64)
    nj = clean["NJ"].to_numpy()
    for grade, grp in f.groupby("NJ").groups.items():
        pool = np.flatnonzero(nj == grade)
        pos[f.index.get_indexer(grp)] = rng.choice(pool if len(pool) else np.arange(len(clean)), len(grp))
    for c in clean.columns:
        if c not in f.columns:
            f[c] = clean[c].to_numpy()[pos]
    return f[list(clean.columns)].astype("str")

rng = np.random.default_rng(19)
old, new = complete(old, rng), complete(new, rng)
i = np.arange(len(new))
last = new["SFZJH"].str.slice(-1)
swap = (i % 40 == 3)
new.loc[swap, "SFZJH"] = new["SFZJH"].str.slice(0, 17)[swap] + np.where(last[swap] == "1", "2", "1")
new.loc[i % 211 == 5, "XM"] = ""
csrq = new["CSRQ"].str.slice(0, 6) + "28"
new.loc[(i % 97 == 7) & (new["CSRQ"] != csrq), "CSRQ"] = csrq
new.loc[i % 151 == 11, "MZ"] = "99"
dup = np.flatnonzero(i % 503 == 13)
new.loc[dup, "SFZJH"] = new["SFZJH"].to_numpy()[dup - 1]
heads = {{f.code: f.name for f in lay.fields}}
for frame, path in ((old, {old_path!r}), (new, {new_path!r})):
    write_excel({{"学生基础信息": frame.rename(columns=heads)}}, path, text_columns=list(heads.values()))
rows = n
"""


def roster_xlsx(n: int = OUTPUTS_N) -> tuple[Path, Path]:
    """(old, new) roster workbooks of ``n`` pupils, made once into bench/out/ by a child process."""
    OUT.mkdir(parents=True, exist_ok=True)
    old, new = OUT / f"roster_old_{n}.xlsx", OUT / f"roster_new_{n}.xlsx"
    if not (old.exists() and new.exists()):
        t0 = time.perf_counter()
        code = MAKE.format(
            n=n,
            sample=str(ROOT / "data_samples" / "k12" / "学生名单_2026春.xlsx"),
            old_path=str(old),
            new_path=str(new),
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(ROOT)}
        )
        if proc.returncode:
            raise SystemExit(f"making the roster workbooks failed:\n{proc.stderr[-3000:]}")
        print(f"generated {old.name}, {new.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return old, new


# validate in setup (untimed), then the files written: the validation workbook row
VALIDATION_SETUP = """
import xueji_lib as xj
from xueji_lib.io.loading import load_list
df, lay, why = load_list({new!r})
res = xj.validate(df, lay)
import tempfile; out = tempfile.mkdtemp(prefix="xueji-bench-outputs-")
"""
VALIDATION_BODY = """
from xueji_lib.reporting.outputs import write_validation_outputs
import io, contextlib
err = io.StringIO()
with contextlib.redirect_stderr(err):
    files = write_validation_outputs(res, df, out, layout_reason=why, progress=True)
rows = res.total
import shutil; shutil.rmtree(out, ignore_errors=True)
progress_lines = err.getvalue().count("写出")
"""

# the CLI command in this child, each workbook's opens counted (zipfile.ZipFile on the path or on a file opened on
# it: every xlsx reader here — ours, openpyxl, pandas — opens the workbook through it)
COMPARE_SETUP = """
import zipfile, collections, sys, tempfile
opens = collections.Counter()
_init = zipfile.ZipFile.__init__
def counting(self, file, *a, **k):
    import os
    name = file if isinstance(file, (str, bytes)) or hasattr(file, "__fspath__") else getattr(file, "name", None)
    if isinstance(name, (str, bytes)) or hasattr(name, "__fspath__"):  # a path, or a file object opened on one
        opens[os.path.basename(os.fsdecode(name))] += 1
    return _init(self, file, *a, **k)
zipfile.ZipFile.__init__ = counting
from xueji_lib.apps.cli import main
out = tempfile.mkdtemp(prefix="xueji-bench-compare-")
"""
COMPARE_BODY = """
import io, contextlib
with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
    code = main(["compare", {old!r}, {new!r}, "--out", out])
assert code in (0, 1), code
rows = {rows}
import shutil; shutil.rmtree(out, ignore_errors=True)
print(json.dumps({{"opens": {{k: v for k, v in opens.items() if k in ({old_name!r}, {new_name!r})}}}}))
"""


def outputs_rows(run_proc, child_template: str, repeat: int, n: int = OUTPUTS_N) -> tuple[list[dict], list[str]]:
    """The two rows and their notes; ``run_proc``/``child_template`` are bench.py's (each task in a child)."""
    import statistics

    old, new = roster_xlsx(n)

    def child(setup: str, body: str) -> tuple[dict, list[dict]]:
        code = child_template.format(setup=setup, body=body)
        runs, extras = [], []
        for _ in range(repeat):
            proc = run_proc([sys.executable, "-c", code])
            if proc.returncode != 0:
                raise SystemExit(f"bench task failed:\n{proc.stderr[-3000:]}")
            lines = [json.loads(s) for s in proc.stdout.strip().splitlines() if s.startswith("{")]
            runs.append(lines[-1])
            extras.append({k: v for d in lines[:-1] for k, v in d.items()})
        return {
            "rows": runs[0]["rows"],
            "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        }, extras

    size = f"{n // 1000}k"
    v, _ = child(VALIDATION_SETUP.format(new=str(new)), VALIDATION_BODY)
    v["task"] = f"validation workbook, {size} roster"
    c, extras = child(
        COMPARE_SETUP,
        COMPARE_BODY.format(old=str(old), new=str(new), rows=2 * n, old_name=old.name, new_name=new.name),
    )
    c["task"] = f"compare {size}×{size} from xlsx"
    opens = extras[0].get("opens", {}) if extras else {}
    once = bool(opens) and all(k == 1 for k in opens.values()) and len(opens) == 2
    judged = n == OUTPUTS_N
    notes = [
        f"validation workbook: {v['seconds']:.1f} s to write every file `xueji validate` writes for a {n:,}-pupil "
        f"roster (校验通过.xlsx, 数据有误.xlsx, 校验结果.xlsx with all its findings, summary.json), progress on; "
        f"target: under {OUTPUTS_TARGET_SECONDS:.0f} s with progress shown — "
        + (("met" if v["seconds"] < OUTPUTS_TARGET_SECONDS else "NOT met") if judged else "not judged"),
        f"compare from xlsx: `xueji compare` end to end on two {n:,}-pupil workbooks, {c['seconds']:.1f} s; "
        "workbooks opened: "
        + ", ".join(f"{k} {t}×" for k, t in sorted(opens.items()))
        + "; target: each workbook read once — "
        + ("met" if once else "NOT met"),
    ]
    return [v, c], notes


def digest_outputs(records, frame_digest, object_digests, file_digest) -> dict[str, str]:
    """DIGEST_EXTRA["outputs"]: the files `xueji validate` and `xueji compare` write for the 200k roster
    workbooks, each file's digest (workbook cell values sheet by sheet)."""
    old, new = roster_xlsx(OUTPUTS_N)
    env = os.environ | {"XUEJI_HISTORY": "off"}
    if not os.environ.get("XUEJI_DIGEST_TREE"):
        env["PYTHONPATH"] = str(ROOT)
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for name, args in (
            ("validate", ["validate", str(new), "--out", str(t / "validate")]),
            ("compare", ["compare", str(old), str(new), "--out", str(t / "compare")]),
        ):
            r = subprocess.run(
                [sys.executable, "-m", "xueji_lib.apps.cli", *args], env=env, capture_output=True, text=True, cwd=ROOT
            )
            if r.returncode not in (0, 1):
                raise SystemExit(f"xueji {name} exited {r.returncode}:\n{r.stderr[-2000:]}")
            folder = t / name
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    out[f"outputs/{name}_{OUTPUTS_N}/{p.relative_to(folder).as_posix()}"] = file_digest(p)
    return out
