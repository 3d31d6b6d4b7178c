"""Issue 18: the offline bundle and the Windows-safe ways in.

The whole bundle — built, installed with no network for pip, run — is `make bundle-check` (offline/check_bundle.py,
which CI runs after the tests). Here: every package of the bundle resolves to a Windows wheel at the lock's pins
(metadata only, a few seconds); the install scripts as a Windows PC and a Linux shell read them; a dependency the
lock does not pin, or without a wheel, stops the build naming it; and the Windows code paths that run here — the
dashboard as a child process with the browser opened (no exec), Chinese output through a GBK console, paths with
spaces and Chinese characters, the report demo without make.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "offline"))
import build_bundle as bb  # noqa: E402

XUEJI = str(Path(sys.executable).parent / "xueji")
SAMPLES = ROOT / "data_samples"


def test_lock_pins_every_package():
    pins = bb.read_lock()
    assert pins["duckdb"] and pins["jupyterlab"] and pins["pyarrow"]
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", v) for v in pins.values())


def test_missing_wheel_is_named():
    said = (
        "ERROR: Cannot install nbconvert because these package versions have conflicting dependencies.\n\n"
        "Additionally, some packages in these conflicts have no matching distributions available for your "
        "environment:\n    soupsieve\n"
    )
    assert bb.missing_wheel(said) == "soupsieve"
    assert bb.missing_wheel("ERROR: No matching distribution found for pywinpty==3.0.9") == "pywinpty==3.0.9"


def test_windows_bundle_resolves_to_wheels_at_the_lock_pins(tmp_path):
    """The Windows bundle builds on Linux: pip resolves the xueji wheel with the user extras for win_amd64 /
    CPython 3.11 (metadata only, no wheel downloaded), every package a wheel at the version the lock pins; a lock
    without one of them stops the build naming it."""
    wheel = bb.build_wheel(tmp_path)
    target = bb.TARGETS["windows"]
    wanted = bb.resolve(target, "3.11", wheel, bb.DEFAULT_EXTRAS, tmp_path / "cache")
    names = {bb.norm(i["metadata"]["name"]) for i in wanted}
    assert {"duckdb", "pandas", "pyarrow", "voila", "jupyterlab", "papermill", "fpdf2"} <= names
    assert "pyspark" not in names  # Spark is for a server: --extras all adds it
    files = [bb._filename(i) for i in wanted]
    assert all(f.endswith(".whl") for f in files)
    assert any(f.startswith("duckdb-") and f.endswith("-win_amd64.whl") for f in files)
    pins = bb.read_lock()
    del pins["duckdb"]
    with pytest.raises(bb.BundleError, match="duckdb .* not pinned by requirements.lock"):
        bb.check_pins(target, "3.11", wanted, pins)


def test_install_scripts_as_each_system_reads_them(tmp_path):
    """Windows: 安装.bat is ASCII with CRLF (cmd.exe reads it in the console's code page) and hands over to
    install.ps1, which is UTF-8 with a BOM (Windows PowerShell 5.1) and CRLF; Linux: install.sh parses in bash and
    is executable. Both install with no index, only the bundle's wheels, each checked by its sha256."""
    win, lin = tmp_path / "win", tmp_path / "lin"
    win.mkdir()
    lin.mkdir()
    bb.write_scripts(win, bb.TARGETS["windows"], "3.11", "pip-26.3-py3-none-any.whl", bb.DEFAULT_EXTRAS)
    bb.write_scripts(lin, bb.TARGETS["linux"], "3.12", "pip-26.3-py3-none-any.whl", bb.DEFAULT_EXTRAS)
    bat = (win / "安装.bat").read_bytes()
    assert bat.isascii() and b"\r\n" in bat and b"\n" not in bat.replace(b"\r\n", b"")
    assert b'-ExecutionPolicy Bypass -File "%~dp0install.ps1"' in bat
    ps1 = (win / "install.ps1").read_bytes()
    assert ps1.startswith(b"\xef\xbb\xbf") and b"\n" not in ps1.replace(b"\r\n", b"")
    text = ps1.decode("utf-8-sig")
    for script in (text, (lin / "install.sh").read_text("utf-8")):
        assert not re.search(r"@[A-Z_]+@", script), "a placeholder left"
        assert "--no-index" in script and "--require-hashes" in script and "pip-26.3-py3-none-any.whl" in script
        assert "ipykernel install --sys-prefix --name xueji" in script
    assert "$WantMin = [version]'3.11.5'" in text and "'学籍工作台.lnk'" in text and "Arguments = 'start'" in text
    assert (win / "使用说明.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    sh = lin / "install.sh"
    assert os.access(sh, os.X_OK)
    assert subprocess.run(["bash", "-n", str(sh)], capture_output=True).returncode == 0
    assert 'WANT="3.12"' in sh.read_text("utf-8") and 'exec "$VENV/bin/xueji" start' in sh.read_text("utf-8")


def test_chinese_output_through_a_gbk_console(tmp_path):
    """cmd.exe / PowerShell on a Chinese Windows write redirected output in GBK: a file name GBK cannot write (an
    emoji, an Ext-E character) comes out as "?", not as a UnicodeEncodeError; the path has a space in it."""
    folder = tmp_path / "学籍 数据"
    folder.mkdir()
    src = folder / "注册😀𬌗.dbf"
    src.write_bytes((SAMPLES / "hei" / "10_注册上报.dbf").read_bytes())
    env = os.environ | {"PYTHONIOENCODING": "gbk", "XUEJI_HISTORY": "off"}
    proc = subprocess.run(
        [XUEJI, "validate", str(src), "--year", "2026", "--category", "10", "--out", str(folder / "结果 目录")],
        capture_output=True,
        env=env,
        cwd=tmp_path,
    )
    out, err = proc.stdout.decode("gbk"), proc.stderr.decode("gbk")
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "注册??.dbf" in out and "通过 978 条" in out
    assert (folder / "结果 目录" / "校验结果.xlsx").is_file()


def test_report_needs_a_name_or_samples():
    proc = subprocess.run([XUEJI, "report"], capture_output=True, text=True)
    assert proc.returncode == 2 and "--samples" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.notebook
def test_report_demo_without_make(tmp_path):
    """`xueji report --samples 学籍统计报告`: the report on the samples, from any folder, no make, no parameters."""
    proc = subprocess.run(
        [XUEJI, "report", "--samples", "学籍统计报告", "--out", "报告 输出"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=os.environ | {"XUEJI_HISTORY": "off"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "样例数据（合成，不含真实个人信息）" in proc.stdout
    (html,) = (tmp_path / "报告 输出" / "学籍统计报告").glob("*/report.html")
    assert "示范县教育局" in html.read_text("utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.notebook
def test_start_runs_the_dashboard_as_a_child_opens_the_browser_and_stops(tmp_path):
    """The Windows way (no exec; XUEJI_NO_EXEC takes it here): `xueji start` runs Voila as a child, opens the
    browser on an owner-only forwarding page once the server answers — the token is in that page, never on the
    browser's command line — and Ctrl+C stops the server with it; the page is removed."""
    import psutil

    data = tmp_path / "数据 目录"
    data.mkdir()
    (data / "学生名单_2026春.xlsx").write_bytes((SAMPLES / "k12" / "学生名单_2026春.xlsx").read_bytes())
    seen = tmp_path / "browser.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text(f"import sys; open({str(seen)!r}, 'w', encoding='utf-8').write(sys.argv[1])\n", "utf-8")
    port = _free_port()
    env = os.environ | {
        "XUEJI_NO_EXEC": "1",
        "BROWSER": f"{sys.executable} {recorder} %s",
        "XUEJI_HISTORY": "off",
    }
    proc = subprocess.Popen(
        [XUEJI, "start", "--data", str(data), "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a console window's
    )
    try:
        deadline = time.monotonic() + 150
        while not seen.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
        assert seen.exists(), "the browser was not opened"
        opened = seen.read_text("utf-8")
        assert opened.startswith("file://") and "token" not in opened
        page = Path(urllib.request.url2pathname(opened[len("file://") :]))
        assert page.name == "打开工作台.html" and page.stat().st_mode & 0o077 == 0
        url = re.search(r'url=([^"]+)"', page.read_text("utf-8")).group(1).replace("&amp;", "&")
        assert url.startswith(f"http://127.0.0.1:{port}/?token=")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor())
        with opener.open(url, timeout=60) as r:
            assert r.status == 200 and "学生查询" in r.read().decode("utf-8")
        children = psutil.Process(proc.pid).children(recursive=True)
        assert any("voila_main" in " ".join(c.cmdline()) for c in children)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl+C in the console window: every process attached to it
        out, _ = proc.communicate(timeout=60)
        # (a pool kernel stopped while it preheats a page may print its own traceback: Jupyter's, not ours)
        assert proc.returncode == 0 and "已停止" in out and not re.search(r"xueji_lib/apps/(cli|launcher)\.py", out)
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not [c for c in alive if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
        assert not page.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_an_output_open_in_excel_is_named_and_nothing_is_replaced(tmp_path, monkeypatch):
    """Windows: a workbook of the previous run open in Excel or WPS cannot be replaced. The run says which file
    and leaves the previous set as it was — no half-replaced folder (the check runs before anything moves). Here
    Windows' refusal is stood in for: the same PermissionError where Windows raises it."""
    from xueji_lib.core import files

    out, names = tmp_path / "校验 结果", ["校验结果.xlsx", "summary.json"]
    with files.output_set(out, names) as run:
        for n in names:
            (run.staging / n).write_text("上次", "utf-8")
    monkeypatch.setattr(files, "_OPEN_FILES_BLOCK", True)
    real = files._try_open

    def held_by_excel(path):
        if path.name == "校验结果.xlsx":
            raise PermissionError(13, "另一个程序正在使用此文件，进程无法访问。", str(path))
        real(path)

    monkeypatch.setattr(files, "_try_open", held_by_excel)
    with pytest.raises(files.OutputFolderError, match=r"校验结果\.xlsx 正被其他程序打开（如 Excel、WPS）"):
        with files.output_set(out, names) as run:
            for n in names:
                (run.staging / n).write_text("这次", "utf-8")
    assert {p.name: p.read_text("utf-8") for p in out.iterdir()} == {n: "上次" for n in names}
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no staging folder left
    monkeypatch.setattr(files, "_try_open", real)  # closed in Excel: the next run replaces the set
    with files.output_set(out, names) as run:
        for n in names:
            (run.staging / n).write_text("这次", "utf-8")
    assert {p.read_text("utf-8") for p in out.iterdir()} == {"这次"}
