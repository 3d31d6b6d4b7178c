"""The dashboard's secrets and personal data, against a real `xueji dashboard` (Voila, a preheated kernel) on
a copy of the 学信网 samples, driven by plain HTTP requests: the addresses are printed only once the server
answers on its own port (a busy port is refused), the token is in no process's command line, the server log
holds no token and no query string, the cache and the audit log are the owner's only, identity headers are
believed only from a configured proxy, and /logout answers."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from xueji_lib.apps.catalog import Catalog
from xueji_lib.apps.dashboard import AuditLog
from xueji_lib.reporting.kernel import DASHBOARD_DIR

from .dashboard_server import XUEJI, DashboardServer

pytestmark = [pytest.mark.notebook]  # Voila and its kernels

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data_samples" / "hei"
ID_NUMBER = "11010519491231002X"
TOKEN = "secret-token-7f3a9c1e5b"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secrets")
    data = tmp / "data"
    shutil.copytree(SAMPLES, data)
    notebooks = tmp / "dashboards"
    notebooks.mkdir()
    shutil.copy(DASHBOARD_DIR / "学生查询.ipynb", notebooks)
    return {"tmp": tmp, "data": data, "notebooks": notebooks}


def _server(folders, name, *extra):
    return DashboardServer(
        folders["data"], folders["tmp"] / f"{name}.log", token=TOKEN, notebooks=folders["notebooks"], extra_args=extra
    )


@pytest.fixture(scope="module")
def server(folders):
    with _server(folders, "server") as srv:
        yield srv


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def _audit_entries(folders) -> list[dict]:
    path = folders["data"] / ".xueji_cache" / "audit.jsonl"
    return [json.loads(x) for x in path.read_text("utf-8").splitlines()] if path.exists() else []


def _search_and_audit(server, folders, headers) -> dict:
    """Open 学生查询 with ``?q=<a name>`` (the page searches at once and writes a ``search`` entry): the entry."""
    before = len(_audit_entries(folders))
    status, _ = _get(server.url("学生查询", q="张"), headers)
    assert status == 200
    deadline = time.monotonic() + 30
    while len(entries := _audit_entries(folders)) == before and time.monotonic() < deadline:
        time.sleep(0.3)
    assert len(entries) > before, server.log_text()[-3000:]
    return entries[-1]


def test_addresses_are_printed_once_the_server_answers_on_its_port(server):
    log = server.log_text()
    assert "看板已启动" in log
    started = log.index("看板已启动")
    assert log.index("Voilà is running at") < started  # Voila listened before the addresses were printed
    addresses = [ln for ln in log[started:].splitlines() if "http://" in ln]
    assert addresses and all(f"http://127.0.0.1:{server.port}/" in ln for ln in addresses)


def test_a_busy_port_is_refused_with_a_clear_message(folders):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "XUEJI_DASHBOARD_TOKEN": TOKEN}
        args = [XUEJI, "dashboard", "--data", str(folders["data"]), "--notebooks", str(folders["notebooks"])]
        proc = subprocess.Popen(
            [*args, "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
        try:
            out, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 15)
            out, _ = proc.communicate(timeout=30)
            pytest.fail(f"xueji dashboard kept running on a busy port:\n{out.decode('utf-8', 'replace')}")
    text = out.decode("utf-8", "replace")
    assert proc.returncode == 2, text
    assert f"端口 {port} 已被占用" in text
    assert "看板已启动" not in text and TOKEN not in text and "Traceback" not in text


def test_voila_itself_refuses_a_port_taken_after_the_check(folders):
    """The port taken between xueji's check and Voila's listen: Voila does not move to the next port either."""
    from xueji_lib.apps.dashboard import voila_command

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        argv, env = voila_command(folders["data"], port=port, token=TOKEN, cache_dir=folders["tmp"] / "c2")
        try:
            run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"Voila kept running on another port: {exc.stderr}")
    assert run.returncode == 2, run.stderr
    assert f"端口 {port} 已被占用" in run.stderr and "看板已启动" not in run.stdout
    assert "Traceback" not in run.stderr and "Task was destroyed" not in run.stderr


def test_the_token_is_in_no_process_command_line(server):
    _get(server.url("学生查询"))  # a page opened: its kernel used, the pool refilled
    children: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(p.name))
    pids, todo = [], [server.proc.pid]  # the server and every process under it (kernels: their own sessions)
    while todo:
        pid = todo.pop()
        try:
            pids.append((pid, Path(f"/proc/{pid}/cmdline").read_bytes()))
        except OSError:
            continue
        todo += children.get(pid, [])
    assert len(pids) >= 2, pids  # the server and at least one kernel
    for pid, cmdline in pids:
        assert TOKEN.encode() not in cmdline, (pid, cmdline)


def test_the_server_log_holds_no_token_and_no_query_string(server):
    for path in (
        f"/voila/render/没有这个页面.ipynb?token={TOKEN}&q={ID_NUMBER}",
        f"/api/kernels/nope?token={TOKEN}&q={ID_NUMBER}",
        f"/voila/files/x.csv?token={TOKEN}&q={ID_NUMBER}",
    ):
        assert _get(server.base + urllib.request.quote(path, safe="/?=&"))[0] in (400, 403, 404)
    time.sleep(1)
    log = server.log_text()
    assert " 404 " in log or "404 GET" in log  # the bad requests are logged ...
    assert TOKEN not in log and ID_NUMBER not in log  # ... without their token and query


def test_logout_answers(server):
    status, body = _get(f"{server.base}/logout")
    assert status in (200, 302), body[:500]
    assert status != 200 or "已退出" in body
    assert "Traceback" not in server.log_text()


def test_identity_headers_are_ignored_without_a_trusted_proxy(server, folders):
    entry = _search_and_audit(server, folders, {"X-Remote-User": "impostor", "X-Forwarded-For": "10.9.8.7"})
    assert entry["user"] == "令牌用户" and entry["client"] == "127.0.0.1"


def test_cache_and_audit_log_are_the_owners_only(server, folders):
    cache = folders["data"] / ".xueji_cache"
    assert (cache / "audit.jsonl").exists()
    _assert_private(cache)


def test_identity_headers_are_believed_from_a_trusted_proxy(server, folders):
    server.stop()  # one server at a time on two cores
    with _server(folders, "proxied", "--trusted-proxy", "127.0.0.1") as proxied:
        entry = _search_and_audit(
            proxied, folders, {"X-Remote-User": "wangwu", "X-Forwarded-For": "203.0.113.9, 10.9.8.7"}
        )
    assert entry["user"] == "wangwu" and entry["client"] == "10.9.8.7"


def _assert_private(folder: Path) -> None:
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            assert stat.S_IMODE(Path(root, d).stat().st_mode) == 0o700, Path(root, d)
        for f in files:
            assert stat.S_IMODE(Path(root, f).stat().st_mode) == 0o600, Path(root, f)


def test_catalog_cache_and_audit_log_are_created_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        shutil.copytree(SAMPLES, data, ignore=shutil.ignore_patterns("photos", "50_*"))
        Catalog(data).refresh()
        _assert_private(data / ".xueji_cache")
        log = AuditLog(tmp_path / "logs" / "audit.jsonl", page="学生查询")
        log.write("search", how="按姓名", hits=1)
        assert stat.S_IMODE((tmp_path / "logs").stat().st_mode) == 0o700
        assert stat.S_IMODE((tmp_path / "logs" / "audit.jsonl").stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_an_earlier_world_readable_cache_is_made_private(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLES, data, ignore=shutil.ignore_patterns("photos", "50_*"))
    cache = data / ".xueji_cache"
    Catalog(data).refresh()
    for root, _dirs, files in os.walk(cache):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(Path(root, f), 0o644)
    Catalog(data).refresh()
    _assert_private(cache)


def test_redaction_covers_tokens_query_strings_cookies_and_tracebacks():
    import logging

    from xueji_lib.apps.voila_main import RedactingFilter

    filt = RedactingFilter((TOKEN,))
    try:
        raise ValueError(f"GET /x?q={ID_NUMBER}")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "tornado.access",
            logging.ERROR,
            __file__,
            1,
            "%s %s",
            ("500", {"Cookie": f"_xsrf=2|x; u={TOKEN}"}),
            sys.exc_info(),
        )
    assert filt.filter(record)
    text = logging.Formatter().format(record)
    assert TOKEN not in text and ID_NUMBER not in text and "_xsrf=2" not in text and "500" in text
