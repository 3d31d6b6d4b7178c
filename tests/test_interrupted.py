"""Interrupted and refused runs of the ``xueji`` command (issue 14, part 2): an output folder holds one run,
whole or not at all.

Real ``xueji`` processes on synthetic files large enough that a signal sent after the run has started to
write lands while it writes; SIGINT and SIGTERM at several delays. After each run: exit 130 / 143 (or 0
when the run finished first), one Chinese line and no traceback, no temporary file anywhere, and ``--out``
holds either the previous run, byte for byte, or the new run whole (summary.json agrees with the lists read
back). ``xueji parquet``: its worker processes end with it, and a second run resumes from finished parts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import xueji_lib as xj
from xueji_lib.samples import synth

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data_samples" / "hei" / "10_注册上报.dbf"
VALIDATE_NAMES = {"校验通过.dbf", "数据有误.dbf", "校验结果.xlsx", "summary.json", "数据有误_修改用.xlsx"}


def xueji(*args, cwd=None, user=None):
    """The command as a user runs it: ``python -m xueji_lib.apps.cli`` of this checkout (``user``: run as
    that uid, for permission checks that root would pass)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "xueji_lib.apps.cli", *map(str, args)]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return cmd, env, cwd


def run(*args, **kw):
    cmd, env, cwd = xueji(*args, **kw)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def hidden(folder: Path) -> list[str]:
    """Every temporary name (starting with a dot) under ``folder``, at any depth."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def interrupt(args, signum, *, when, delay: float, cwd: Path):
    """Start ``xueji args``; once ``when()`` is true (polled), wait ``delay`` s and send ``signum``. Returns
    (exit code, stderr, the processes below it just before the signal)."""
    cmd, env, _ = xueji(*args)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()))
    reader.start()
    below: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and not when() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        if proc.poll() is None:
            below = descendants(proc.pid)
            proc.send_signal(signum)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join()
    return proc.returncode, err[0], below


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A registration DBF of 60,000 records (24 MB): its outputs take long enough to write to be cut."""
    return synth.write_registration_dbf(60_000, tmp_path_factory.mktemp("big") / "注册上报_大.dbf", seed=7)


def whole_new_validation(out: Path, total: int) -> bool:
    """``out`` holds a complete validation of ``total`` records: the four files, and the summary's counts
    equal to the lists read back."""
    assert {p.name for p in out.iterdir()} == VALIDATE_NAMES, sorted(p.name for p in out.iterdir())
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["total"] == total
    assert len(xj.read_dbf(out / "校验通过.dbf")) == summary["passed"]
    assert len(xj.read_dbf(out / "数据有误.dbf")) == summary["failed"]
    assert summary["passed"] + summary["failed"] == total
    return True


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_validate_keeps_one_whole_run(big, tmp_path, signum):
    """--out holds an earlier run (the 995-record sample, 17 failed); a run on 60,000 records is cut at
    several moments after it starts writing: --out is the earlier run byte for byte, or the new one whole."""
    work = tmp_path / "work"
    work.mkdir()
    out = work / "结果"
    first = run("validate", SAMPLE, "--year", "2026", "--category", "10", "--out", out)
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    assert json.loads(before["summary.json"])["failed"] == 17

    def writing() -> bool:  # a temporary name beside or inside --out: the run has begun to write
        return bool(hidden(work))

    outcomes = []
    for delay in (0.0, 0.02, 0.1, 0.3, 3.0):
        rc, err, _ = interrupt(
            ["validate", big, "--year", "2026", "--category", "10", "--out", out],
            signum,
            when=writing,
            delay=delay,
            cwd=work,
        )
        assert "Traceback" not in err, err
        assert hidden(work) == [], f"delay {delay}: temporary files left: {hidden(work)}"
        if rc == 0:  # finished before the signal
            assert whole_new_validation(out, len(xj.read_dbf(big)))
            outcomes.append("new")
            break
        assert rc == 128 + signum, (delay, rc, err)
        lines = err.strip().splitlines()  # progress lines, then one line saying what was kept
        last = lines[-1]
        assert last.startswith("已中断") and sum(line.startswith("已中断") for line in lines) == 1, err
        if snapshot(out) == before:
            assert "保留了上次的结果" in last, last
            outcomes.append("previous")
        else:  # the signal came after the new set was in place
            assert whole_new_validation(out, len(xj.read_dbf(big)))
            outcomes.append("new")
            break
    assert "previous" in outcomes, outcomes  # at least one signal landed while the new run was writing


def test_interrupted_reconcile_keeps_one_whole_run(tmp_path):
    """The same for reconcile (results.csv, two DBF lists, a workbook), cut by SIGTERM while it writes."""
    adm, reg = synth.make_registration_pair(40_000, seed=3)
    xj.write_dbf(adm, tmp_path / "录取.dbf", "chsi_admission")
    xj.write_dbf(reg, tmp_path / "注册.dbf", "chsi_registration")
    work = tmp_path / "work"
    work.mkdir()
    out = work / "核对"
    args = ["reconcile", "--admission", tmp_path / "录取.dbf", "--registration", tmp_path / "注册.dbf"]
    small = ["--admission", ROOT / "data_samples/hei/10_录取名单.dbf", "--registration", SAMPLE]
    first = run("reconcile", *small, "--year", "2026", "--category", "10", "--out", out)
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    kept = 0
    for delay in (0.0, 0.05):
        rc, err, _ = interrupt(
            [*args, "--out", out], signal.SIGTERM, when=lambda: bool(hidden(work)), delay=delay, cwd=work
        )
        assert "Traceback" not in err, err
        assert hidden(work) == [], hidden(work)
        if rc == 0:
            break
        assert rc == 143, err
        assert snapshot(out) == before
        assert "保留了上次的结果" in err
        kept += 1
    assert kept, "no signal landed while the run was writing"


def test_parquet_sigterm_ends_workers_and_resumes(big, tmp_path):
    """SIGTERM once the manifest lists a finished part: exit 143, the worker processes gone, no temporary part;
    the next run reuses the finished parts and writes only the rest. (A part's file is renamed into place before
    the manifest lists it: a signal between the two leaves it unlisted, to be written again — so the signal waits
    for the manifest, not for the file.)"""
    out = tmp_path / "pq"
    args = ["parquet", big, "--out", out, "--records-per-part", "2000", "--workers", "2"]

    def listed() -> bool:  # the manifest is replaced whole (written under another name, renamed)
        try:
            return bool(json.loads((out / "_conversion.json").read_text("utf-8")).get("parts"))
        except (OSError, ValueError):
            return False

    rc, err, below = interrupt(args, signal.SIGTERM, when=listed, delay=0, cwd=tmp_path)
    try:
        assert rc == 143, (rc, err)
        assert "Traceback" not in err and "已中断" in err and "续转" in err, err
        deadline = time.monotonic() + 10
        while any(alive(p) for p in below) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(below) >= 2 and not any(alive(p) for p in below), f"processes left running: {below}"
    finally:
        for p in below:
            if alive(p):
                os.kill(p, signal.SIGKILL)
    assert not list(out.glob(".*tmp")), list(out.iterdir())
    manifest = json.loads((out / "_conversion.json").read_text("utf-8"))
    finished = len(manifest["parts"])
    assert 1 <= finished < 30
    again = run(*args)
    assert again.returncode == 0, again.stderr
    assert f"本次写入 {30 - finished} 个部分，沿用上次已完成的 {finished} 个部分" in again.stdout, again.stdout
    assert len(pd_read(out)) == len(xj.read_dbf(big))


def pd_read(out):
    import pandas as pd

    return pd.read_parquet(out)


def test_parquet_sigint_early_is_obeyed(big, tmp_path):
    """SIGINT soon after the conversion starts (before or while the workers start): it stops within seconds."""
    out = tmp_path / "pq"
    args = ["parquet", big, "--out", out, "--records-per-part", "4000", "--workers", "2"]
    interrupted = 0
    for delay in (0.0, 0.3, 1.0):
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.monotonic()
        started = lambda: (out / "_conversion.json").exists()  # noqa: E731
        rc, err, below = interrupt(args, signal.SIGINT, when=started, delay=delay, cwd=tmp_path)
        took = time.monotonic() - t0
        try:
            assert "Traceback" not in err, err
            if rc != 130:  # the conversion finished before the signal: then it must be whole
                assert len(json.loads((out / "_conversion.json").read_text("utf-8"))["parts"]) == 15, (rc, err)
                continue
            interrupted += 1
            time.sleep(0.5)
            assert not any(alive(p) for p in below), below
        finally:
            for p in below:
                if alive(p):
                    os.kill(p, signal.SIGKILL)
        assert took < delay + 5, f"SIGINT at {delay} s: the command ran on for {took:.1f} s"
        assert not list(out.glob(".*tmp")) if out.is_dir() else True
    assert interrupted, "no SIGINT landed before the conversion finished"


# ------------------------------------------------------------------------------ refused command lines


def test_unknown_encoding_is_a_message(tmp_path):
    for cmd in (
        ["info", SAMPLE],
        ["validate", SAMPLE, "--out", tmp_path / "o"],
        ["parquet", SAMPLE, "--out", tmp_path / "p"],
    ):
        res = run(*cmd, "--encoding", "no-such-codec")
        assert res.returncode == 2, (cmd, res.stderr)
        assert "Traceback" not in res.stderr and "LookupError" not in res.stderr
        assert "不认识的编码" in res.stderr and "no-such-codec" in res.stderr


@pytest.mark.parametrize(
    "cmd",
    [
        ["samples", "--out", "{out}"],
        ["photos", SAMPLE, ROOT / "data_samples/hei/photos", "--out", "{out}"],
        ["validate", SAMPLE, "--out", "{out}"],
        [
            "compare",
            ROOT / "data_samples/k12/学生名单_2025秋.xlsx",
            ROOT / "data_samples/k12/学生名单_2026春.xlsx",
            "--out",
            "{out}",
        ],
        ["report", "新生注册核对报告", "--out", "{out}"],
    ],
    ids=lambda c: c[0],
)
@pytest.mark.parametrize("where", ["file", "below_file"])
def test_out_naming_a_file_is_a_message(tmp_path, cmd, where):
    afile = tmp_path / "已有文件.txt"
    afile.write_text("不要覆盖", "utf-8")
    out = afile if where == "file" else afile / "结果"
    res = run(*[str(out) if c == "{out}" else c for c in cmd], cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "Error" not in res.stderr, res.stderr
    assert str(afile) in res.stderr and "是一个" in res.stderr and "文件" in res.stderr, res.stderr
    assert afile.read_text("utf-8") == "不要覆盖"


@pytest.mark.skipif(not shutil.which("setpriv") and os.geteuid() == 0, reason="root passes permission checks")
@pytest.mark.parametrize("sub", ["", "新建"])
@pytest.mark.parametrize("command", ["validate", "reconcile", "photos"])
def test_read_only_out_is_a_message(command, sub):
    """A read-only --out (or one to be made inside a read-only folder): a message naming the folder, exit 2,
    before any work — no errno, no temporary name, no xlsxwriter traceback."""
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="xueji-ro-"))  # not under pytest's 0700 folder: another uid reads it
    tmp_path.chmod(0o755)
    inputs = tmp_path / "in"
    inputs.mkdir(mode=0o755)
    for f in ("10_注册上报.dbf", "10_录取名单.dbf"):
        shutil.copy(ROOT / "data_samples/hei" / f, inputs / f)
        (inputs / f).chmod(0o644)
    ro = tmp_path / "只读"
    ro.mkdir()
    ro.chmod(0o555)
    out = ro / sub if sub else ro
    reg = inputs / "10_注册上报.dbf"
    args = {
        "validate": ["validate", reg],
        "reconcile": ["reconcile", "--admission", inputs / "10_录取名单.dbf", "--registration", reg],
        "photos": ["photos", reg, ROOT / "data_samples/hei/photos"],
    }[command]
    user = 65534 if os.geteuid() == 0 else None
    res = run(*args, "--out", out, cwd=tmp_path, user=user)
    assert res.returncode == 2, res.stderr + res.stdout
    assert "Traceback" not in res.stderr and "Errno" not in res.stderr and ".tmp" not in res.stderr, res.stderr
    assert str(out) in res.stderr and "没有写入权限" in res.stderr, res.stderr
    assert "读入" not in res.stdout  # refused before the input was read
    assert list(ro.iterdir()) == []
    ro.chmod(0o755)
    shutil.rmtree(tmp_path)


# ------------------------------------------------------------------------------------ while the command starts

XUEJI = Path(sys.executable).with_name("xueji")  # the console script (xueji_entry:main), as a user runs it


def catches(pid: int, signum: int) -> bool:
    """The process has a handler of its own for ``signum`` (SigCgt in /proc/<pid>/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(mask >> (signum - 1) & 1)


@pytest.mark.skipif(not XUEJI.exists(), reason="the xueji console script is not installed beside this Python")
@pytest.mark.parametrize("delay", [0.05, 0.2])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_while_starting_is_one_line(tmp_path, signum, delay):
    """Ctrl+C or SIGTERM while ``xueji`` still imports pandas & co. (the first ~0.7 s, before ``cli.main`` sets
    its handlers): exit 130 / 143 and the one line the command says when nothing was written, no traceback."""
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [str(XUEJI), "validate", str(SAMPLE), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        time.sleep(delay)
        # Python's own start-up (~40 ms here, before any line of xueji runs) is out of any handler's reach: on a
        # slow machine, wait for the entry point's handlers (SIGTERM is caught by nothing else)
        deadline = time.monotonic() + 30
        while proc.poll() is None and not catches(proc.pid, signal.SIGTERM) and time.monotonic() < deadline:
            time.sleep(0.002)
        assert proc.poll() is None, "the command ended before the signal"
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signum, (proc.returncode, stderr)
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.strip() == "已中断，未写出任何文件。", stderr
    assert stdout == ""
    assert not out.exists()


def test_the_entry_point_imports_nothing_heavy():
    """``xueji_entry`` (the console script's module) sets the handlers before anything slow is imported."""
    code = "import sys, xueji_entry; print(sorted(m for m in ('pandas', 'numpy', 'xueji_lib') if m in sys.modules))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert res.stdout.strip() == "[]"


def test_the_entry_point_says_what_the_command_says():
    import xueji_entry
    from xueji_lib.apps import cli

    cli._RUN.clear()
    assert xueji_entry.INTERRUPTED == cli._interrupted_message()


def test_main_leaves_the_signal_handlers_as_it_found_them(capsys):
    from xueji_lib.apps.cli import main

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    assert main(["layouts"]) == 0
    with pytest.raises(SystemExit):
        main(["--no-such-option"])
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.parametrize("when", ["after_return", "while_shutting_down"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_after_the_command_returned_keeps_its_exit_code(signum, when):
    """A Ctrl+C / SIGTERM that lands once the command has returned — before the exit handlers, or while the
    interpreter shuts down (an exit handler registered earlier runs later and sends it) — leaves the exit code
    the command's own (cli.exit_code_kept): no "killed by a signal" status for a finished run, no traceback."""
    code = f"""
import atexit, os, signal, sys
from xueji_lib.apps.cli import exit_code_kept
if {when!r} == "while_shutting_down":
    atexit.register(lambda: os.kill(os.getpid(), {int(signum)}))
rc = exit_code_kept(3)
if {when!r} == "after_return":
    os.kill(os.getpid(), {int(signum)})
    signal.pause() if hasattr(signal, "pause") else None
sys.exit(rc)
"""
    got = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert (got.returncode, got.stderr) == (3, "")
