"""make bundle-check: build the Linux bundle for this Python, install it into a fresh folder (a path with a space
and Chinese characters) with no network for pip, and run xueji from that install — validate, one report, the
dashboard server answering its home page and rendering a page. Prints the bundle's size and the install time.

    .venv/bin/python offline/check_bundle.py [--keep /tmp/bundle-check]

The network is taken away with a new network namespace (``unshare -rn``, only the loopback up: Jupyter kernels
talk over 127.0.0.1) where the machine allows it; elsewhere pip gets no index (PIP_NO_INDEX, an unreachable
proxy) and the check says so. Exit 0 when every step worked, 1 naming the step that did not.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build_bundle  # noqa: E402


def isolation() -> tuple[list[str], str]:
    """The command prefix that runs a program with no network but the loopback, and how it was done."""
    probe = ["unshare", "-rn", "sh", "-c", "ip link set lo up"]
    if shutil.which("unshare") and shutil.which("ip"):
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return [
                "unshare",
                "-rn",
                "sh",
                "-c",
                'ip link set lo up && exec "$@"',
                "sh",
            ], "a network namespace (unshare -rn) with only the loopback"
    return [], "no network namespace here: pip given no index and an unreachable proxy"


def clean_env(home: Path) -> dict[str, str]:
    """A user's environment: no developer venv on PATH, pip with no configuration and no index, any proxy dead."""
    env = {
        "HOME": str(home),
        "PATH": os.pathsep.join(["/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "PIP_NO_INDEX": "1",
        "PIP_CONFIG_FILE": os.devnull,
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "XUEJI_HISTORY": "off",
    }
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def step(name: str, cmd: list[str], *, env: dict, cwd: Path, timeout: float = 900) -> float:
    started = time.monotonic()
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    took = time.monotonic() - started
    if r.returncode != 0:
        raise SystemExit(f"bundle-check: {name} failed (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    print(f"  {name}: ok, {took:.1f} s", flush=True)
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder, removed)")
    args = ap.parse_args(argv)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bundle-check-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    try:
        started = time.monotonic()
        rc = build_bundle.main(["--target", "linux", "--python", python, "--out", str(work / "dist")])
        if rc:
            return rc
        print(f"built in {time.monotonic() - started:.1f} s", flush=True)
        (zpath,) = (work / "dist").glob("*.zip")
        place = work / "拷到内网 的电脑"  # a space and Chinese characters, as on a clerk's PC
        with zipfile.ZipFile(zpath) as zf:
            zf.extractall(place)
        (bundle,) = place.iterdir()
        (bundle / "install.sh").chmod(0o755)  # zipfile does not restore modes
        manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
        print(
            f"bundle: {zpath.name}, {zpath.stat().st_size / 1e6:.0f} MB zipped, {manifest['bytes'] / 1e6:.0f} MB in "
            f"{len(manifest['files'])} files, {manifest['packages']} packages",
            flush=True,
        )
        prefix, how = isolation()
        print(f"network for the install and the runs: {how}", flush=True)
        home = work / "用户 目录"
        home.mkdir()
        env = clean_env(home)
        dest = work / "安装 目录" / "xueji"
        python_dir = str(Path(sys.base_prefix) / "bin")  # the user's own Python (not the developer venv)
        env_install = env | {"PATH": os.pathsep.join([python_dir, env["PATH"]])}
        took = step(
            "install.sh (offline)", [*prefix, str(bundle / "install.sh"), str(dest)], env=env_install, cwd=bundle
        )
        print(f"install time: {took:.1f} s", flush=True)
        xueji = str(dest / "bin" / "xueji")
        cwd = dest / "工作目录"
        step("xueji --version", [*prefix, xueji, "--version"], env=env, cwd=cwd)
        step("xueji samples", [*prefix, xueji, "samples"], env=env, cwd=cwd)
        step(
            "xueji validate (DBF)",
            [
                *prefix,
                xueji,
                "validate",
                "data_samples/hei/10_注册上报.dbf",
                "--year",
                "2026",
                "--category",
                "10",
                "--out",
                "校验结果",
            ],
            env=env,
            cwd=cwd,
        )
        step(
            "xueji report --samples 学籍统计报告",
            [*prefix, xueji, "report", "--samples", "学籍统计报告"],
            env=env,
            cwd=cwd,
        )
        if not list((cwd / "reports" / "学籍统计报告").glob("*/report.html")):
            raise SystemExit("bundle-check: the report wrote no report.html")
        # the dashboard server: started in the namespace, asked from inside it (a second process there)
        port, token = free_port(), secrets.token_hex(16)
        script = (
            f'"{xueji}" dashboard --port {port} > dashboard.log 2>&1 & pid=$!; '
            f'"{sys.executable}" "{HERE / "check_bundle.py"}" --probe {port}; rc=$?; kill $pid; wait $pid; exit $rc'
        )
        step(
            "xueji dashboard (home page, 学生查询 rendered)",
            [*prefix, "sh", "-c", script],
            env=env | {"XUEJI_DASHBOARD_TOKEN": token},
            cwd=cwd,
            timeout=300,
        )
        print("bundle-check: every step worked", flush=True)
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def probe(port: int) -> int:
    """In the namespace: wait for the dashboard, then its home page and one page rendered (a kernel started)."""
    token = os.environ["XUEJI_DASHBOARD_TOKEN"]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        print("the dashboard did not answer", file=sys.stderr)
        return 1
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor())
    for path, want in (("/", "学生查询"), ("/voila/render/学生查询.ipynb", "学生查询")):
        url = f"http://127.0.0.1:{port}{urllib.request.quote(path)}?token={token}"
        with opener.open(url, timeout=180) as r:
            body = r.read().decode("utf-8", "replace")
            if r.status != 200 or want not in body:
                print(f"{path}: HTTP {r.status}, {want!r} not in the page", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        sys.exit(probe(int(sys.argv[2])))
    sys.exit(main())
