"""One upload must not take the machine (issue 14 §4): each page's kernel keeps to a memory ceiling (POSIX
RLIMIT_DATA, set when the page starts) and an upload to a size and a cell count; beyond them the page says so in
Chinese, naming the upload and the limit, and the page, the server and the other users' pages go on. The
ceiling is exercised for real: a page in its own process held to a small ceiling compares two real uploads whose
comparison needs more than that."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from xueji_lib.apps.dashboard import UPLOAD_CELLS_ENV, UPLOAD_MB_ENV, check_cells, check_upload, voila_command
from xueji_lib.core.errors import XuejiError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data_samples"


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv(UPLOAD_MB_ENV, "1")
    big = tmp_path / "全县名单.csv"
    big.write_bytes(b"\xd0\xd5\xc3\xfb\n" + b"x" * (2 * 2**20))
    with pytest.raises(XuejiError, match=r"上传的第一份文件有 2\.0 MB，超过看板的上传上限 1 MB"):
        check_upload(big, "第一份")
    small = tmp_path / "名单.csv"
    small.write_bytes(b"x" * 1000)
    check_upload(small, "第一份")  # within the limit: nothing said


def test_a_dbf_whose_header_claims_too_many_cells_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setenv(UPLOAD_CELLS_ENV, "10000")
    dbf = tmp_path / "注册.dbf"
    dbf.write_bytes((SAMPLES / "hei" / "10_注册上报.dbf").read_bytes())  # 995 records × 21 fields
    with pytest.raises(XuejiError, match=r"表头说有 995 条记录 × 21 个字段，超过看板的上限 10,000 个单元格"):
        check_upload(dbf, "第二份")
    # a header that lies (fields of width 0) is refused by the reader's own header check, naming the file
    bad = tmp_path / "坏.dbf"
    header = bytearray(32)
    header[0] = 0x03
    header[4:12] = struct.pack("<IHH", 90_000_000, 33 + 32 * 20, 200)
    bad.write_bytes(bytes(header) + b"\0" * (32 * 20) + b"\r\x1a")
    with pytest.raises(XuejiError, match="坏.dbf"):
        check_upload(bad, "第二份")


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setenv(UPLOAD_MB_ENV, "1")
    bomb = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", " " * (30 * 2**20))  # 30 MB of whitespace, a few KB packed
    assert bomb.stat().st_size < 200_000
    with pytest.raises(XuejiError, match=r"解压后有 30 MB，超过看板的上限 20 MB"):
        check_upload(bomb, "第一份")


def test_loaded_cells_over_the_limit_are_refused(monkeypatch):
    import pandas as pd

    monkeypatch.setenv(UPLOAD_CELLS_ENV, "100")
    with pytest.raises(XuejiError, match=r"有 60 行 × 2 列，超过看板的上限 100 个单元格"):
        check_cells(pd.DataFrame({"XM": ["张三"] * 60, "SFZH": ["1"] * 60}), "第一份")


def test_limits_reach_the_pages_and_bad_values_are_refused(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLES / "k12", data)
    _, env = voila_command(data, token="t" * 24, kernel_memory_mb=2048, upload_max_mb=5, upload_max_cells=1000)
    assert (env["XUEJI_KERNEL_MEMORY_MB"], env[UPLOAD_MB_ENV], env[UPLOAD_CELLS_ENV]) == ("2048", "5", "1000")
    _, env = voila_command(data, token="t" * 24)
    assert 1536 <= int(env["XUEJI_KERNEL_MEMORY_MB"]) <= 8192  # a quarter of the machine, within bounds
    for bad in ({"kernel_memory_mb": -1}, {"upload_max_mb": 0}, {"upload_max_cells": 0}):
        with pytest.raises(XuejiError, match="应为正整数"):
            voila_command(data, token="t" * 24, **bad)


PAGE_SCRIPT = textwrap.dedent(
    """
    import json, os, resource, sys
    from pathlib import Path
    from xueji_lib.apps.dashboard import ComparePage, AuditLog, limit_kernel_memory
    from xueji_lib.apps.catalog import Catalog

    data, left, right = sys.argv[1:4]
    page = ComparePage(Catalog(data).open(refresh=True), AuditLog(Path(data, "audit.jsonl"), page="名单对比"))
    assert limit_kernel_memory() == int(os.environ["XUEJI_KERNEL_MEMORY_MB"])
    page.source.value = "upload"
    page.kind.value = "compare"
    for up, path in ((page.up_left, left), (page.up_right, right)):
        content = Path(path).read_bytes()
        up.value = ({"name": Path(path).name, "type": "text/csv", "size": len(content), "content": memoryview(content),
                     "last_modified": __import__("datetime").datetime.now(__import__("datetime").timezone.utc)},)
    # the uploads have arrived; now a ceiling as close above what the page holds as a small office PC would give
    vm_data = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmData:")) * 1024
    hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
    resource.setrlimit(resource.RLIMIT_DATA, (vm_data + 300 * 2**20, hard))
    page.run()
    resource.setrlimit(resource.RLIMIT_DATA, (vm_data + 600 * 2**20, hard))
    first = page.message.value
    # the page goes on: the same page compares two small lists right after
    page.source.value = "upload"
    for up, path in ((page.up_left, sys.argv[4]), (page.up_right, sys.argv[5])):
        content = Path(path).read_bytes()
        up.value = ({"name": Path(path).name, "type": "", "size": len(content), "content": memoryview(content),
                     "last_modified": __import__("datetime").datetime.now(__import__("datetime").timezone.utc)},)
    page.run()
    print(json.dumps({"first": first, "second": page.message.value, "result": page.result is not None},
                     ensure_ascii=False))
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_DATA and /proc: the ceiling is POSIX-only")
def test_a_page_over_its_memory_ceiling_says_so_and_goes_on(tmp_path):
    import pandas as pd

    from xueji_lib.apps.catalog import load_dataset

    old, _ = load_dataset(SAMPLES / "k12" / "学生名单_2025秋.xlsx")
    # a county's two rosters: the sample roster repeated to 400,000 pupils each, with distinct 学籍号
    reps = 400_000 // len(old) + 1
    big = pd.concat([old] * reps, ignore_index=True).head(400_000)
    big["XJH"] = [f"G{i:018d}" for i in range(len(big))]
    left, right = tmp_path / "2025秋全县.csv", tmp_path / "2026春全县.csv"
    big.to_csv(left, index=False, encoding="utf-8")
    big.iloc[::-1].to_csv(right, index=False, encoding="utf-8")
    data = tmp_path / "data"
    shutil.copytree(SAMPLES / "k12", data)
    env = {**os.environ, "XUEJI_KERNEL_MEMORY_MB": "8192", UPLOAD_MB_ENV: "500", UPLOAD_CELLS_ENV: "100000000"}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            PAGE_SCRIPT,
            str(data),
            str(left),
            str(right),
            str(SAMPLES / "k12" / "学生名单_2025秋.xlsx"),
            str(SAMPLES / "k12" / "学生名单_2026春_gbk.csv"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "内存不足" in out["first"] and "--kernel-memory" in out["first"] and "xj-error" in out["first"]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert out["result"] and "名单对比" in out["second"] and "xj-error" not in out["second"]
    log = [json.loads(line) for line in (data / "audit.jsonl").read_text("utf-8").splitlines()]
    assert [e["action"] for e in log][-2:] == ["out_of_memory", "compare"]


@pytest.mark.browser
@pytest.mark.notebook
def test_in_the_page_an_oversized_upload_is_refused_and_others_go_on(tmp_path):
    """In the real page (Voila, chromium): a 2 MB upload under --upload-max-mb 1 gets the message in the page,
    while another user's 学生查询 page searches as usual and the server keeps serving."""
    import re

    from .browser import ARGS, CHROMIUM, need_browser
    from .dashboard_server import DashboardServer

    sync_api = need_browser()
    data = tmp_path / "data"
    shutil.copytree(SAMPLES, data)
    big = tmp_path / "全县名单.csv"
    big.write_bytes(b"XM,SFZJH\n" + b"x" * (2 * 2**20))
    args = ("--upload-max-mb", "1", "--kernel-memory", "3072")
    with DashboardServer(data, tmp_path / "server.log", extra_args=args) as server, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context().new_page()
        page.goto(server.url("名单对比"), timeout=60_000)
        page.get_by_role("button", name="上传两个文件").click(timeout=60_000)
        for button, path in (("第一份文件", big), ("第二份文件", SAMPLES / "k12" / "学生名单_2026春_gbk.csv")):
            with page.expect_file_chooser() as chooser:
                page.get_by_role("button", name=re.compile(button)).click()
            chooser.value.set_files(str(path))
            page.get_by_role("button", name=re.compile(rf"{button}.*\(1\)|\(1\)")).first.wait_for(timeout=60_000)
        page.get_by_role("button", name="开始对比").click()
        error = page.locator(".xj-error", has_text="超过看板的上传上限 1 MB")
        error.wait_for(timeout=60_000)
        assert "上传的第一份文件有 2.0 MB" in error.inner_text()
        other = browser.new_context().new_page()  # another user, meanwhile
        other.goto(server.url("学生查询"), timeout=60_000)
        box = other.get_by_placeholder(re.compile("姓名"))
        box.fill("没有这个人")
        box.press("Enter")
        other.get_by_text("找到 0 条记录").wait_for(timeout=60_000)
        assert server.proc.poll() is None
        browser.close()
    assert "Traceback" not in server.log_text()
