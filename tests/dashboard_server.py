"""`xueji dashboard` started as a user starts it, on a free local port with a known token, for the browser
tests and the soak run in bench/bench.py."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

XUEJI = str(Path(sys.executable).with_name("xueji"))
DASHBOARDS = Path(__file__).resolve().parent.parent / "xueji_lib" / "notebooks" / "dashboards"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DashboardServer:
    """Context manager: ``xueji dashboard --data DATA`` in its own process group; ``url(page, q=…)``.
    ``xueji``, ``env``, ``cwd``: another installation's command (tests/test_wheel.py), its environment, folder."""

    def __init__(
        self,
        data,
        log_path,
        *,
        token: str = "test-token-0123456789",
        notebooks=None,
        pool_size=None,
        extra_args=(),
        ready_timeout: float = 180.0,
        xueji: str = XUEJI,
        env=None,
        cwd=None,
    ):
        self.data, self.log_path, self.token = Path(data), Path(log_path), token
        if notebooks is None and xueji == XUEJI:
            # the two pages these tests drive, not every page of the package: each page preheats its own kernel,
            # and the 组合查询 / 统计 pages' tests start servers of their own
            notebooks = Path(tempfile.mkdtemp(prefix="xueji-pages-"))
            for page in ("学生查询", "名单对比"):
                shutil.copy(DASHBOARDS / f"{page}.ipynb", notebooks / f"{page}.ipynb")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # the token as a user passes it safely: in the environment, not on the command line (readable in /proc)
        self.env, self.cwd = {**(os.environ if env is None else env), "XUEJI_DASHBOARD_TOKEN": token}, cwd
        self.args = [
            str(xueji),
            "dashboard",
            "--data",
            str(self.data),
            "--port",
            str(self.port),
            *(["--notebooks", str(notebooks)] if notebooks else []),
            *(["--pool-size", str(pool_size)] if pool_size else []),
            *extra_args,
        ]
        self.pages = [p.stem for p in Path(notebooks).glob("*.ipynb")] if notebooks else ["学生查询", "名单对比"]
        self.ready_timeout, self.pool_size = ready_timeout, pool_size

    def __enter__(self) -> DashboardServer:
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            self.args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, env=self.env, cwd=self.cwd
        )
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"xueji dashboard exited with {self.proc.returncode}:\n{self.log_text()}")
            text = self.log_text()
            # every page's pool filled and each kernel of it preheated (run up to wait_for_request: voila_main logs it)
            filled = all(f"Kernel pool of {p}.ipynb is filled" in text for p in self.pages)
            if filled and text.count(" is preheated") >= (self.pool_size or 1) * len(self.pages):
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"xueji dashboard not ready after {self.ready_timeout} s:\n{self.log_text()}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # Voila shuts its kernels down and exits
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def url(self, page: str, token: bool = True, **query) -> str:
        params = ({"token": self.token} if token else {}) | query
        return f"{self.base}/voila/render/{quote(page)}.ipynb" + (f"?{urlencode(params)}" if params else "")

    def status(self, path: str) -> int:
        """HTTP status of GET ``path`` (no redirects followed)."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            return opener.open(self.base + path, timeout=30).status
        except urllib.error.HTTPError as exc:
            return exc.code
