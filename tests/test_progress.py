"""Progress of long operations: what a callback receives from read_dbf (per block), read_table, validate,
reconcile, compare and run_report; the stderr display (terminal and log); the command line (progress on
stderr, stdout unchanged); and a real Jupyter kernel, where progress=True is an in-place display."""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.progress import PROGRESS_METADATA, Progress, StderrSink, format_progress, resolve_sink
from xueji_lib.io.dbf import BLOCK_RECORDS
from xueji_lib.matching.compare import COMPARE_STEPS
from xueji_lib.matching.reconcile import RECONCILE_STEPS
from xueji_lib.reporting.report import load_roster, run_report
from xueji_lib.samples import synth

ROOT = Path(__file__).resolve().parents[1]
HEI, K12 = ROOT / "data_samples" / "hei", ROOT / "data_samples" / "k12"
XUEJI = Path(sys.executable).with_name("xueji")
N = 2 * BLOCK_RECORDS + 7_000  # three blocks, the last one short


class Recorder:
    """A progress callback that keeps every report and the thread it came on."""

    def __init__(self):
        self.events: list[tuple[str, int, int | None]] = []
        self.threads: set[int] = set()

    def __call__(self, label, done, total):
        self.events.append((label, done, total))
        self.threads.add(threading.get_ident())

    @property
    def done(self):
        return [d for _, d, _ in self.events]


@pytest.fixture(scope="module")
def big_dbf(tmp_path_factory):
    return synth.write_registration_dbf(N, tmp_path_factory.mktemp("progress") / "注册上报_大.dbf", seed=7)


def assert_monotone_to_total(rec: Recorder, total: int):
    assert rec.done == sorted(rec.done), rec.events
    assert rec.events[-1][1] == rec.events[-1][2] == total, rec.events[-1]


# ------------------------------------------------------------------------------------------- the library


def test_read_dbf_reports_each_block_up_to_the_record_count(big_dbf):
    rec = Recorder()
    df = xj.read_dbf(big_dbf, progress=rec)
    header_records = xj.load_report(df).header_records
    assert header_records == N
    assert {label for label, _, _ in rec.events} == {f"读取 {big_dbf.name}"}
    assert {t for _, _, t in rec.events} == {N}
    assert rec.done[0] == 0
    assert_monotone_to_total(rec, N)
    blocks = -(-N // BLOCK_RECORDS)
    assert len(rec.events) <= blocks + 2  # per block, never per row
    assert rec.done[1 : blocks + 1] == [min(N, (i + 1) * BLOCK_RECORDS) for i in range(blocks)]
    assert rec.threads == {threading.get_ident()}  # reported on the caller's thread, not the two readers'
    pd.testing.assert_frame_equal(df, xj.read_dbf(big_dbf))  # the same frame as a silent read


def test_read_table_xlsx_and_csv_report_rows_up_to_the_end():
    for path, layout in (
        (K12 / "学生名单_2025秋.xlsx", "k12_student"),
        (K12 / "学生名单_2026春_gbk.csv", "k12_student"),
    ):
        rec = Recorder()
        df = xj.read_table(path, layout, progress=rec)
        assert len(df) > 800
        assert {label for label, _, _ in rec.events} == {f"读取 {path.name}"}
        assert rec.events[0][1] == 0
        total = rec.events[-1][2]
        assert total is not None and total >= len(df)
        assert_monotone_to_total(rec, total)


def test_validate_reports_each_rule_group():
    reg = xj.read_dbf(HEI / "10_注册上报.dbf")
    rec = Recorder()
    res = xj.validate(reg, year=2026, category="10", progress=rec)
    assert res.total == len(reg)
    assert [d for _, d, _ in rec.events] == list(range(len(rec.events)))
    assert rec.events[0][0] == "校验：结构" and rec.events[-2][0] == "校验：汇总"
    assert rec.events[-1] == ("校验：完成", len(rec.events) - 1, len(rec.events) - 1)
    assert "校验：身份证号" in {label for label, _, _ in rec.events}


def test_reconcile_and_compare_report_their_stages():
    adm, reg = xj.read_dbf(HEI / "10_录取名单.dbf"), xj.read_dbf(HEI / "10_注册上报.dbf")
    rec = Recorder()
    res = xj.reconcile(adm, reg, year=2026, category="10", progress=rec)
    assert res.counts == xj.reconcile(adm, reg, year=2026, category="10").counts
    n = len(RECONCILE_STEPS)
    assert rec.events == [*((f"核对：{s}", i, n) for i, s in enumerate(RECONCILE_STEPS)), ("核对：完成", n, n)]

    old, new = load_roster(K12 / "学生名单_2025秋.xlsx", progress=None), load_roster(K12 / "学生名单_2026春.xlsx")
    changes = xj.read_table(K12 / "学籍异动_2026春.xlsx", "k12_changes")
    rec = Recorder()
    xj.compare(old, new, changes=changes, progress=rec)
    n = len(COMPARE_STEPS)
    assert rec.events == [*((f"对比：{s}", i, n) for i, s in enumerate(COMPARE_STEPS)), ("对比：完成", n, n)]


def test_a_failing_operation_ends_its_display_as_failed():
    ended = []

    class Sink(StderrSink):
        def end(self, ok=True):
            ended.append(ok)

    reg = xj.read_dbf(HEI / "10_注册上报.dbf")
    with pytest.raises(xj.XuejiError):
        xj.reconcile(reg.drop(columns=["KSH"]), reg, progress=Sink(io.StringIO(), tty=False, delay=0))
    assert ended == [False]


@pytest.mark.notebook  # papermill
def test_run_report_steps_and_notebook_progress_left_out_of_the_html(tmp_path):
    rec = Recorder()
    run = run_report(
        "新生注册核对报告",
        out_root=tmp_path,
        progress=rec,
        admission=str(HEI / "10_录取名单.dbf"),
        registration=str(HEI / "10_注册上报.dbf"),
        year=2026,
    )
    labels = [label for label, _, _ in rec.events]
    assert labels[0] == "报告“新生注册核对报告”：检查参数" and labels[-1] == "报告“新生注册核对报告”：完成"
    assert "报告“新生注册核对报告”：读入文件" in labels  # a notebook step (its heading)
    assert_monotone_to_total(rec, rec.events[-1][2])
    # inside the report's kernel the loaders showed progress in the notebook: kept in report.ipynb ...
    nb = json.loads(run.notebook.read_text("utf-8"))
    shown = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("metadata", {}).get("xueji_progress")]
    assert len(shown) == 2 and all(o["output_type"] == "display_data" for o in shown)
    assert "读取 10_注册上报.dbf" in "".join(shown[1]["data"]["text/plain"])
    # ... and left out of the report
    html = run.html.read_text("utf-8")
    assert "xueji-progress" not in html and "读取 10_注册上报.dbf" not in html


# ---------------------------------------------------------------------------------------- the displays


def test_none_false_and_off_are_silent(monkeypatch):
    assert resolve_sink(None) is None and resolve_sink(False) is None
    assert Progress(None, "x", total=3).silent
    monkeypatch.setenv("XUEJI_PROGRESS", "0")
    assert resolve_sink(True) is None
    monkeypatch.delenv("XUEJI_PROGRESS")
    assert isinstance(resolve_sink(True), StderrSink)  # not inside a Jupyter kernel here
    with pytest.raises(TypeError):
        resolve_sink(42)


def test_a_log_gets_one_line_per_step_and_completion():
    out = io.StringIO()
    sink = StderrSink(out, tty=False, delay=0)
    with Progress(sink, "读取 a.dbf", total=1_000_000) as p:
        for done in range(0, 1_000_001, 10_000):  # a hundred quick updates: not a hundred lines
            p.update(done)
    with Progress(sink, "核对", steps=("准备", "匹配")) as p:
        p.step("准备")
        p.step("匹配")
    lines = out.getvalue().splitlines()
    assert lines[0] == "读取 a.dbf：0/1,000,000（0%）"
    assert lines[1].startswith("读取 a.dbf：1,000,000/1,000,000（100%），用时 ")
    assert lines[2:4] == ["核对：准备（0/2）", "核对：匹配（1/2）"]
    assert lines[4].startswith("核对：完成（2/2），用时 ") and len(lines) == 5
    assert "\r" not in out.getvalue()


def test_a_terminal_gets_one_line_rewritten_and_erased():
    out = io.StringIO()
    with Progress(StderrSink(out, tty=True, delay=0), "读取 a.dbf", total=200) as p:
        p.update(100)
        p.update(200)
    text = out.getvalue()
    assert "\n" not in text and text.count("\r") >= 2
    assert "[##########..........]" in text or "[####################]" in text
    assert text.endswith("\r\x1b[K\r")  # erased: the command's own output stays as it was


def test_a_quick_operation_prints_nothing():
    out = io.StringIO()
    with Progress(StderrSink(out, tty=False, delay=30), "读取 a.dbf", total=10) as p:
        p.update(10)
    assert out.getvalue() == ""


def test_format():
    assert format_progress("读取 a.dbf", 450_000, 1_000_000) == "读取 a.dbf：450,000/1,000,000（45%）"
    assert format_progress("核对：匹配", 1, 5) == "核对：匹配（1/5）"
    assert format_progress("读取 a.csv", 0, None) == "读取 a.csv……"
    assert format_progress("读取 a.csv", 3, 3, elapsed=2.04) == "读取 a.csv（3/3），用时 2.0 秒"


# ----------------------------------------------------------------------------------------- command line


def _cli(*args, env=None, cwd=None):
    return subprocess.run(
        [str(XUEJI), *map(str, args)], capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}
    )


def test_cli_prints_progress_on_stderr_and_leaves_stdout_unchanged(tmp_path):
    args = [
        "reconcile",
        "--admission",
        HEI / "10_录取名单.dbf",
        "--registration",
        HEI / "10_注册上报.dbf",
        "--year",
        "2026",
        "--category",
        "10",
        "--out",
        tmp_path / "out",
    ]
    shown = _cli(*args, env={"XUEJI_PROGRESS_DELAY": "0"})
    quiet = _cli(*args, env={"XUEJI_PROGRESS": "0"})
    assert shown.returncode == quiet.returncode == 0, shown.stderr
    assert shown.stdout == quiet.stdout  # progress never touches stdout
    lines = shown.stderr.splitlines()
    assert any(line.startswith("读取 10_录取名单.dbf：1,000/1,000（100%），用时") for line in lines), shown.stderr
    assert any(line.startswith("读取 10_注册上报.dbf：") for line in lines)
    assert [line for line in lines if line.startswith("核对：")][: len(RECONCILE_STEPS)] == [
        f"核对：{s}（{i}/{len(RECONCILE_STEPS)}）" for i, s in enumerate(RECONCILE_STEPS)
    ]
    assert any(line.startswith("核对：完成") for line in lines)
    assert "\r" not in shown.stderr  # not a terminal: whole lines, readable in a log
    assert quiet.stderr == ""

    shown = _cli("validate", HEI / "10_注册上报.dbf", "--out", tmp_path / "v", env={"XUEJI_PROGRESS_DELAY": "0"})
    assert shown.returncode == 0 and "校验：身份证号" in shown.stderr and "校验：完成" in shown.stderr


# -------------------------------------------------------------------------------------- a Jupyter kernel


@pytest.mark.notebook  # a real kernel
def test_progress_true_in_a_jupyter_kernel_is_an_updating_display(big_dbf):
    from jupyter_client.manager import start_new_kernel

    from xueji_lib.apps.lab import ensure_kernelspec

    km, kc = start_new_kernel(kernel_name=ensure_kernelspec())
    try:
        code = (
            "import xueji_lib as xj\nfrom xueji_lib.core.progress import in_jupyter\n"
            f"df = xj.read_dbf({str(big_dbf)!r}, progress=True)\nprint(in_jupyter(), len(df))"
        )
        msg_id = kc.execute(code)
        msgs = []
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=120)
            except queue.Empty:
                pytest.fail("the kernel did not finish")
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            msgs.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        reply = kc.get_shell_msg(timeout=30)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    kinds = [m["msg_type"] for m in msgs]
    shown = [m for m in msgs if m["msg_type"] == "display_data"]
    updates = [m for m in msgs if m["msg_type"] == "update_display_data"]
    assert len(shown) == 1, kinds  # one display for the operation ...
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert shown[0]["content"]["metadata"] == PROGRESS_METADATA
    assert updates and all(u["content"]["transient"]["display_id"] == display_id for u in updates)  # ... updated
    last = updates[-1]["content"]["data"]
    assert last["text/plain"].startswith(f"读取 {big_dbf.name}：{N:,}/{N:,}（100%），用时")
    assert "<progress" in last["text/html"]
    streams = {m["content"]["name"]: m["content"]["text"] for m in msgs if m["msg_type"] == "stream"}
    assert streams.get("stdout", "").split() == ["True", str(N - _deleted(big_dbf))]
    assert "读取" not in streams.get("stderr", "")  # not as text on stderr


def _deleted(path: Path) -> int:
    return xj.load_report(xj.read_dbf(path, columns=["KSH"])).deleted
