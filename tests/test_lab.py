"""`xueji lab` (what `make lab` runs) for real: JupyterLab on 127.0.0.1 with a token, the `xueji` kernel
registered, notebooks/ as the root, requests without the token refused, a kernel from the `xueji` spec
that imports xueji_lib, and a clean stop."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from xueji_lib.apps.lab import KERNEL_DISPLAY_NAME, KERNEL_NAME, NOTEBOOK_ROOT, lab_command

pytestmark = pytest.mark.notebook  # JupyterLab and its kernels

ROOT = Path(__file__).resolve().parents[1]
XUEJI = Path(sys.executable).with_name("xueji")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(port, method, path, token=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"token {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        res = conn.getresponse()
        return res.status, dict(res.getheaders()), res.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_TOKEN": token,  # what `JUPYTER_TOKEN=… make lab` passes on
        # keep the user's Jupyter settings, workspaces and runtime files out of the test (and vice versa)
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
    }
    log = open(tmp / "lab.log", "w+")
    root = ["--allow-root"] if os.geteuid() == 0 else []  # CI containers run as root
    proc = subprocess.Popen(
        [str(XUEJI), "lab", "--port", str(port), "--no-browser", *root],
        cwd=tmp,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    state = {"port": port, "token": token, "proc": proc, "log": tmp / "lab.log"}
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"xueji lab ended with {proc.returncode}:\n{(tmp / 'lab.log').read_text()}")
            try:
                if _request(port, "GET", "/api/status", token)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer:\n{(tmp / 'lab.log').read_text()}")
            time.sleep(0.3)
        yield state
    finally:
        if proc.poll() is None:  # the test that stops it did not run or failed: stop it here
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_the_command_serves_127_0_0_1_with_notebooks_as_root_and_a_token():
    argv, env = lab_command(port=8890, token="t0ken")
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert "--ip=127.0.0.1" in argv and "--port=8890" in argv and "--ServerApp.port_retries=0" in argv
    assert f"--ServerApp.root_dir={NOTEBOOK_ROOT}" in argv and NOTEBOOK_ROOT == ROOT / "xueji_lib" / "notebooks"
    assert env["JUPYTER_TOKEN"] == "t0ken" and not any("t0ken" in a for a in argv)  # not visible in ps


def test_the_address_with_the_token_is_printed(lab):
    text = lab["log"].read_text()
    assert f"http://127.0.0.1:{lab['port']}/lab?token={lab['token']}" in text
    assert "Python (xueji)" in text


def test_kernelspecs_list_xueji(lab):
    status, _, body = _request(lab["port"], "GET", "/api/kernelspecs", lab["token"])
    assert status == 200
    specs = json.loads(body)["kernelspecs"]
    assert KERNEL_NAME in specs
    spec = specs[KERNEL_NAME]["spec"]
    assert spec["display_name"] == KERNEL_DISPLAY_NAME
    assert Path(spec["argv"][0]).parent == Path(sys.executable).parent  # this venv's interpreter


def test_the_root_is_notebooks(lab):
    status, _, body = _request(lab["port"], "GET", "/api/contents", lab["token"])
    assert status == 200
    listing = json.loads(body)
    notebooks = {c["name"] for c in listing["content"] if c["type"] == "notebook"}
    assert notebooks == {p.name for p in NOTEBOOK_ROOT.glob("*.ipynb")} and "新生注册核对报告.ipynb" in notebooks
    status, _, body = _request(lab["port"], "GET", "/api/contents/" + quote("新生注册核对报告.ipynb"), lab["token"])
    assert status == 200 and json.loads(body)["content"]["metadata"]["kernelspec"]["name"] == KERNEL_NAME


def test_requests_without_the_token_are_refused(lab):
    port = lab["port"]
    assert _request(port, "GET", "/api/contents")[0] == 403
    assert _request(port, "GET", "/api/contents", "wrong-token")[0] == 403
    status, headers, _ = _request(port, "GET", "/lab")
    assert status == 302 and "/login" in headers.get("Location", "")
    status, _, body = _request(port, "GET", "/lab", lab["token"])
    assert status == 200 and b"JupyterLab" in body


def test_a_kernel_from_the_xueji_spec_imports_xueji_lib(lab):
    import websocket

    port, token = lab["port"], lab["token"]
    status, _, body = _request(port, "POST", "/api/kernels", token, {"name": KERNEL_NAME})
    assert status == 201, body
    kernel_id = json.loads(body)["id"]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels", header=[f"Authorization: token {token}"], timeout=60
    )
    try:
        msg_id, session = uuid.uuid4().hex, uuid.uuid4().hex
        code = "import os, sys, xueji_lib\nprint(xueji_lib.__file__)\nprint(sys.executable)\nprint(os.getcwd())"
        ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": "test",
                        "session": session,
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "channel": "shell",
                    "buffers": [],
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": False,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                }
            )
        )
        out, reply = "", None
        deadline = time.monotonic() + 90
        while reply is None and time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out += msg["content"]["text"]
            elif msg["msg_type"] == "execute_reply":
                reply = msg["content"]
    finally:
        ws.close()
        _request(port, "DELETE", f"/api/kernels/{kernel_id}", token)
    assert reply is not None and reply["status"] == "ok", (reply, out)
    module, executable, cwd = out.split("\n")[:3]
    assert Path(module) == ROOT / "xueji_lib" / "__init__.py"
    assert Path(executable).parent == Path(sys.executable).parent
    assert Path(cwd) == NOTEBOOK_ROOT  # kernels start in the root folder


def test_the_server_stops_cleanly(lab):
    status, _, _ = _request(lab["port"], "POST", "/api/shutdown", lab["token"])
    assert status == 200
    assert lab["proc"].wait(60) == 0
    with pytest.raises(OSError):
        _request(lab["port"], "GET", "/api/status", lab["token"])
    assert not re.search(r"Traceback", lab["log"].read_text())
