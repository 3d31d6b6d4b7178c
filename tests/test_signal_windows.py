"""A signal that lands inside the standard library's code for threads, queues, futures and worker processes.

The command line turns SIGINT and SIGTERM into an exception raised where the main thread is. Raised between two
lines of ``threading`` or ``concurrent.futures`` (taking a future's lock, releasing a condition), it left a lock
held: the thread that completes the future waited for ever, and the interpreter's exit with it — ``xueji parquet``
hung after printing "已中断" (CI, December 2026), and other commands ended in "RuntimeError: release unlocked
lock". Now the signal is noted there and raised at the first line outside that code.

Each command runs under ``tests/signal_at_line.py``, which sends SIGTERM the K-th time the main thread runs a line
of that code, for K spread over all such lines of a whole run: every run ends (no hang), with exit 143 and one
line saying what was kept, or with 0 when the run finished first; never a traceback or a temporary file left.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import xueji_lib as xj
from xueji_lib.samples import synth

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "signal_at_line.py"


def harness(k: int, args: list, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, str(HARNESS), str(k), *map(str, args)]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=90)
    except subprocess.TimeoutExpired as exc:  # run() kills it
        pytest.fail(f"SIGTERM at line {k} of the locking code: the command hung ({exc.stderr!r})")


def temporary(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    synth.write_registration_dbf(60_000, d / "注册上报.dbf", seed=7)
    adm, reg = synth.make_registration_pair(40_000, seed=3)
    xj.write_dbf(adm, d / "录取.dbf", "chsi_admission")
    xj.write_dbf(reg, d / "注册.dbf", "chsi_registration")
    old, new, ch = synth.make_roster_pair(12_000, seed=5)
    for name, df in (("旧.csv", old), ("新.csv", new), ("异动.csv", ch)):
        df.to_csv(d / name, index=False, encoding="utf-8-sig")
    return d


COMMANDS = {  # (arguments, how many lines to cut at)
    # 30 parts on two worker processes: the main thread waits for each part in turn (a future's lock each time)
    "parquet": (["parquet", "{d}/注册上报.dbf", "--out", "{o}", "--records-per-part", "2000", "--workers", "2"], 12),
    # from 50,000 records the checks run on two threads; the workbook is written through a queue
    "validate": (["validate", "{d}/注册上报.dbf", "--year", "2026", "--category", "10", "--out", "{o}"], 6),
    "reconcile": (["reconcile", "--admission", "{d}/录取.dbf", "--registration", "{d}/注册.dbf", "--out", "{o}"], 6),
    "compare": (["compare", "{d}/旧.csv", "{d}/新.csv", "--changes", "{d}/异动.csv", "--out", "{o}"], 4),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_signal_inside_the_locking_code_is_taken_after_it(inputs, tmp_path, command):
    template, cuts = COMMANDS[command]
    out = tmp_path / "out"
    args = [a.format(d=inputs, o=out) for a in template]
    whole = harness(0, args, tmp_path)
    assert whole.returncode == 0, whole.stderr
    lines = int(re.search(r"lines=(\d+)", whole.stderr).group(1))
    assert lines > 100, lines  # the command waits on threads or worker processes
    interrupted = 0
    for i in range(1, cuts + 1):
        k = i * lines // (cuts + 1)
        shutil.rmtree(out, ignore_errors=True)  # each run from no folder (parquet would resume into it)
        got = harness(k, args, tmp_path)
        assert "Traceback" not in got.stderr, (k, got.stderr)
        assert got.returncode in (0, 143), (k, got.returncode, got.stderr)
        if got.returncode == 143:
            said = [line for line in got.stderr.splitlines() if line.startswith("已中断")]
            assert len(said) == 1, (k, got.stderr)
            interrupted += 1
        assert temporary(tmp_path) == [], (k, temporary(tmp_path))
    assert interrupted >= cuts // 2, f"only {interrupted} of {cuts} runs were cut"
