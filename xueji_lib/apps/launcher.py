"""Starting a local server for a person at the desktop (``xueji start``, ``xueji dashboard --open``, ``xueji lab``).

On POSIX a server command becomes the server (``os.execve``): a service manager's SIGTERM, Ctrl+C or a closed
terminal reaches it directly. Windows has no such exec, so there the server runs as a child that this process
waits for; closing the console window ends both (Windows ends every process attached to the console), Ctrl+C
stops the child here. ``XUEJI_NO_EXEC=1`` takes the Windows way on Linux (the tests drive it).

The browser is opened on a small page in the owner-only cache folder that forwards to the address with its access
token, as JupyterLab does: the token never appears on a command line (``xdg-open``'s or the browser's), where
other users of the machine could read it.

    >>> may_exec() in (True, False)
    True
"""

from __future__ import annotations

import contextlib
import html
import os
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path

__all__ = ["may_exec", "has_display", "wait_for_port", "open_when_ready", "stop", "REDIRECT_NAME"]

NO_EXEC_ENV = "XUEJI_NO_EXEC"
REDIRECT_NAME = "打开工作台.html"
READY_TIMEOUT = 180.0  # seconds: the catalogue is ready before the server starts; Voila answers within seconds


def may_exec() -> bool:
    """May a server command become the server? POSIX only, and not when XUEJI_NO_EXEC is set."""
    return os.name == "posix" and not os.environ.get(NO_EXEC_ENV)


def has_display() -> bool:
    """A browser can be opened: Windows and macOS, a Linux/BSD desktop session, or $BROWSER named. On a server
    without one, Python's webbrowser would start a text-mode browser in the terminal, so none is opened."""
    if sys.platform in ("win32", "darwin") or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = READY_TIMEOUT) -> bool:
    """True once 127.0.0.1:``port`` accepts a connection; False if ``proc`` ends first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", int(port)), timeout=1):
            return True
        time.sleep(0.25)
    return False


def _redirect_page(folder: Path, url: str) -> Path:
    """An owner-only page in ``folder`` that forwards the browser to ``url`` (which holds the token)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REDIRECT_NAME
    esc = html.escape(url, quote=True)
    text = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={esc}"><title>学籍工作台</title></head>'
        f'<body><p>正在打开学籍工作台……没有自动跳转时请点 <a href="{esc}">这里</a>。</p></body></html>'
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        if os.name == "posix":
            os.fchmod(f.fileno(), 0o600)  # a page left by an earlier run with other permissions
        f.write(text)
    return path


def open_when_ready(proc: subprocess.Popen, port: int, token: str, folder: str | os.PathLike) -> Path | None:
    """Once the server answers on ``port``, open its home page in the browser (through a forwarding page in
    ``folder``); returns that page (removed by the caller when the server stops), or None when the server
    ended first or no browser can be opened here."""
    if not wait_for_port(port, proc):
        return None
    page = _redirect_page(Path(folder), f"http://127.0.0.1:{int(port)}/?token={token}")
    if not has_display():
        print(f"本机没有图形桌面，未打开浏览器；在浏览器中打开 {page} 即进入工作台。", flush=True)
        return page
    print("正在浏览器中打开学籍工作台；关闭这个窗口（或按 Ctrl+C）即停止服务。", flush=True)
    try:
        if sys.platform == "win32":
            os.startfile(str(page))  # type: ignore[attr-defined]  # the default browser, for an .html file
        else:
            webbrowser.open(page.as_uri())
    except Exception as exc:  # no browser registered: the page still works by hand
        print(f"无法自动打开浏览器（{exc}）；请在浏览器中打开 {page}", flush=True)
    return page


def stop(proc: subprocess.Popen, grace: float = 15.0) -> int:
    """Stop a server started as a child (Ctrl+C here): it is asked to end, then ended. Returns 0."""
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print("已停止。", flush=True)
    return 0
