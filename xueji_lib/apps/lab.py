"""JupyterLab on this machine for xueji: the ``xueji`` kernel and ``xueji lab`` (what ``make lab`` runs).

    $ make lab                       # sets up .venv when needed, then: .venv/bin/xueji lab
    $ xueji lab --port 8890 --no-browser

``xueji lab`` serves JupyterLab on 127.0.0.1 only, with token authentication (a random token each start,
or ``--token`` / ``JUPYTER_TOKEN``), ``notebooks/`` as the root folder and the kernel ``xueji`` — this
interpreter, where ``xueji_lib`` is importable — registered in this environment (``sys.prefix``), where
papermill finds it too. It prints the address with the token, then becomes the Jupyter server (Ctrl+C
stops it, as Jupyter's own command does).

    >>> from xueji_lib.apps.lab import ensure_kernelspec, lab_command
    >>> ensure_kernelspec()                                        # doctest: +SKIP
    'xueji'
    >>> argv, env = lab_command(port=8890, token="t0ken")          # doctest: +SKIP
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from ..core.errors import XuejiError
from ..core.extras import require_extra
from ..reporting.kernel import KERNEL_DISPLAY_NAME, KERNEL_NAME, NOTEBOOK_DIR, ensure_kernelspec, kernelspec_ok
from .launcher import has_display, may_exec

__all__ = [
    "KERNEL_NAME",
    "KERNEL_DISPLAY_NAME",
    "NOTEBOOK_ROOT",
    "ensure_kernelspec",
    "kernelspec_ok",
    "lab_command",
    "free_port",
    "run_lab",
]

NOTEBOOK_ROOT = NOTEBOOK_DIR


def free_port(preferred: int = 8888, tries: int = 20) -> int:
    """``preferred`` or the next port up that nothing listens on at 127.0.0.1; else one the system picks."""
    for port in range(preferred, preferred + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_command(
    port: int, token: str, root: str | os.PathLike | None = None, open_browser: bool = False, allow_root: bool = False
) -> tuple[list[str], dict]:
    """(argv, environment) that start JupyterLab on 127.0.0.1:``port`` with ``root`` (default notebooks/)
    as the root folder and ``token`` required. The token travels in the environment (``JUPYTER_TOKEN``),
    not on the command line where other users of the machine could read it."""
    root = Path(root) if root is not None else NOTEBOOK_ROOT
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ip=127.0.0.1",
        f"--port={int(port)}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root.resolve()}",
        "--ServerApp.open_browser=" + ("True" if open_browser else "False"),
    ]
    if allow_root:
        argv.append("--allow-root")
    env = {**os.environ, "JUPYTER_TOKEN": token}
    env.pop("JUPYTER_TOKEN_FILE", None)
    return argv, env


def run_lab(
    port: int | None = None,
    token: str | None = None,
    root: str | os.PathLike | None = None,
    open_browser: bool | None = None,
    allow_root: bool = False,
    echo: Callable[[str], object] = print,
) -> int:
    """Register the kernel when needed, print the address, then run JupyterLab (on POSIX the process
    becomes the server, so Ctrl+C and signals reach Jupyter directly). Returns Jupyter's exit code
    (Windows only; elsewhere it does not return)."""
    require_extra("lab")
    root = Path(root) if root is not None else NOTEBOOK_ROOT
    if not root.is_dir():
        raise XuejiError(
            f"笔记本目录 {root} 不存在：请在 xueji 源代码目录中运行 make lab，或用 --root 指定笔记本所在的文件夹"
        )
    if getattr(os, "geteuid", lambda: 1)() == 0 and not allow_root:
        raise XuejiError(
            "正以 root 身份运行：JupyterLab 默认拒绝以 root 运行（笔记本中的代码将拥有 root 权限）。"
            "请换普通用户运行；确需以 root 运行（如容器中）时加 --allow-root（make lab LAB_ARGS=--allow-root）"
        )
    kernel = ensure_kernelspec()
    token = token or os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    port = free_port() if port is None else int(port)
    opening = has_display() if open_browser is None else open_browser
    argv, env = lab_command(port, token, root, opening, allow_root)
    echo(f"JupyterLab 在 http://127.0.0.1:{port}/lab?token={token}")
    echo("  （地址中含访问令牌，请勿转发；只在本机 127.0.0.1 可访问）")
    echo(
        f"  笔记本目录：{root.resolve()}；内核：{KERNEL_DISPLAY_NAME if kernel == KERNEL_NAME else kernel}"
        f"（{sys.executable}）"
    )
    echo("  " + ("正在打开浏览器……" if opening else "请在浏览器中打开上面的地址。") + "按 Ctrl+C 停止。")
    sys.stdout.flush()
    sys.stderr.flush()
    if may_exec():
        os.chdir(root)  # kernels, consoles and terminals started without a notebook open there too
        os.execve(argv[0], argv, env)  # pragma: no cover - replaces this process
    import subprocess

    proc = subprocess.Popen(argv, env=env, cwd=root)
    while True:  # Ctrl+C goes to Jupyter too, which asks and shuts down cleanly; wait for it
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue
