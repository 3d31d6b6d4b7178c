"""bench/bench.py as a developer runs it (make bench): each row printed and appended to the results files as it
finishes; the default run names the long groups it leaves out; SIGINT/SIGTERM end every process it started
(children, their servers and kernels) and keep the rows finished before the signal. Real processes, real
signals; psutil watches the process tree."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "bench.py"


class Run:
    """bench.py in its own process group, its stdout read line by line, every descendant ever seen kept."""

    def __init__(self, tmp: Path, *args: str):
        self.tmp = tmp
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH), *args, "--results", str(tmp)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            start_new_session=True,
        )
        self.seen: dict[int, psutil.Process] = {}

    def descendants(self) -> list[psutil.Process]:
        try:
            procs = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            return []
        for p in procs:
            self.seen.setdefault(p.pid, p)
        return procs

    def jsonl_rows(self) -> list[dict]:
        files = list(self.tmp.glob("results-*.jsonl"))
        if not files:
            return []
        lines = files[0].read_text("utf-8").splitlines()
        return [r for r in map(json.loads, lines) if "task" in r]

    def wait_until(self, cond, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.descendants()
            if cond():
                return
            if self.proc.poll() is not None:
                pytest.fail(f"bench.py exited ({self.proc.returncode}) before {what}: {self.proc.stderr.read()}")
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"no {what} within {timeout} s")

    def signal_and_wait(self, sig: int, within: float) -> tuple[int, str, str]:
        """Send ``sig``; bench.py must be gone ``within`` seconds: less than its grace time (40 s) before SIGKILL,
        so the children ended what they started themselves."""
        self.descendants()
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("bench.py still running 90 s after the signal")
        assert time.monotonic() - t0 < within, f"{time.monotonic() - t0:.1f} s to end after the signal"
        return self.proc.returncode, out, err

    def left_behind(self) -> list[str]:
        """Processes started under this run still alive (zombies of exited ones do not count)."""
        time.sleep(0.5)
        alive = []
        for p in self.seen.values():
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
            except psutil.Error:
                pass
        return alive

    def kill(self) -> None:
        for p in [*self.seen.values(), psutil.Process(self.proc.pid)]:
            try:
                p.kill()
            except psutil.Error:
                pass


def test_sigterm_mid_run_keeps_finished_rows_and_ends_every_child(tmp_path):
    run = Run(tmp_path, "--only", "dbf", "--records", "20000", "--repeat", "1")
    # the first row is in the results file, and the next task's child is running
    run.wait_until(lambda: run.jsonl_rows() and run.descendants(), 120, "finished row with a child running")
    rc, out, err = run.signal_and_wait(signal.SIGTERM, within=10)
    assert run.left_behind() == []
    assert rc == 143, err
    assert_one_line(err)
    assert "results-" in err
    rows = run.jsonl_rows()
    assert 1 <= len(rows) < 3
    md = next(tmp_path.glob("results-*.md")).read_text("utf-8")
    assert "| task | records | seconds | rows/s | peak MB | vs baseline |" in md
    for r in rows:  # every finished row printed on stdout as it finished and kept in the Markdown file
        line = next(line for line in md.splitlines() if line.startswith(f"| {r['task']} |"))
        assert line in out
        assert r["seconds"] > 0 and 19_000 < r["rows"] <= 20_000  # less the deleted records


def test_default_run_names_the_long_groups_it_skips_and_sigint_ends_it(tmp_path):
    run = Run(tmp_path, "--records", "20000", "--repeat", "1")
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = run.proc.stdout.readline()
        lines.append(line)
        if "skipped" in line or not line:
            break
    skip = lines[-1]
    for group in ("report-big", "soak", "engines"):
        assert group in skip
    assert "--only" in skip and "--all" in skip
    rc, _, err = run.signal_and_wait(signal.SIGINT, within=10)
    assert rc == 130, err
    assert_one_line(err)
    assert run.left_behind() == []


def test_unknown_group_is_refused(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--only", "nope", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "soak" in proc.stderr


@pytest.mark.notebook
def test_sigint_while_a_report_kernel_runs_ends_the_kernel(tmp_path):
    run = Run(tmp_path, "--only", "report", "--repeat", "1")

    def kernel_running():
        return run.jsonl_rows() and any("ipykernel" in " ".join(p.cmdline()) for p in _alive(run.descendants()))

    run.wait_until(kernel_running, 180, "finished report row with the next report's kernel running")
    rc, _, err = run.signal_and_wait(signal.SIGINT, within=25)
    assert rc == 130, err
    assert_one_line(err)
    assert run.left_behind() == []
    assert len(run.jsonl_rows()) >= 1


@pytest.mark.browser
@pytest.mark.notebook
def test_sigterm_during_the_soak_ends_the_voila_server_and_its_kernels(tmp_path):
    run = Run(tmp_path, "--only", "soak", "--soak-loads", "50", "--records", "20000")

    def server_and_kernel():
        cmds = [" ".join(p.cmdline()) for p in _alive(run.descendants())]
        return any("ipykernel" in c for c in cmds) and any(" dashboard --data" in c or "voila" in c for c in cmds)

    run.wait_until(server_and_kernel, 240, "Voila server with a kernel")
    rc, _, err = run.signal_and_wait(signal.SIGTERM, within=30)
    assert rc == 143, err
    assert_one_line(err)
    assert run.left_behind() == []


def assert_one_line(err: str) -> None:
    """The interruption is one line at the end of stderr (earlier lines: progress such as "generated …"); no
    traceback."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert "已中断" in lines[-1], err
    assert sum("已中断" in line for line in lines) == 1, err


def _alive(procs):
    out = []
    for p in procs:
        try:
            p.cmdline()
            out.append(p)
        except psutil.Error:
            pass
    return out
