"""A normal (non-editable) install works: the wheel built from this tree holds the code, the notebooks, the
layouts, the code tables and rules.yml; its metadata pulls no Jupyter or Spark without an extra; installed
into a fresh virtual environment, ``xueji report 学籍统计报告`` runs from a folder outside the checkout and
``xueji dashboard`` serves its pages, with the package's own files (not the checkout's).

Nothing is downloaded: the wheel is built with .venv's build backend (setuptools, pinned in [dev]); the fresh
environment sees the dependencies through a .pth file naming .venv's site-packages (``.pth`` files inside
that directory are not processed, so the checkout's editable install does not leak in), and the Jupyter data
files pip would have put into its share/ (Voila's templates, the widgets' lab extensions) are linked there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.dashboard_server import DashboardServer
from tests.test_environment import CORE_DEPENDENCIES
from xueji_lib.core.version import __version__

pytestmark = [pytest.mark.notebook]  # a real kernel (papermill) and a Voila server

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data_samples"
HEAVY = (
    "jupyter",
    "jupyterlab",
    "jupyter-server",
    "jupyter-client",
    "notebook",
    "voila",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "ipython",
    "ipywidgets",
    "anywidget",
    "plotly",
    "pyspark",
    "py4j",
    "ibis-framework",
)


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _run(argv, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=600, **kw)
    assert res.returncode == 0, f"{argv[:4]} → {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of this tree, built from a copy (pip builds in place: nothing is written into the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "xueji_entry.py"):  # xueji_entry: the console script's module
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "xueji_lib",
        src / "xueji_lib",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"),
    )
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            tmp / "dist",
            src,
        ]
    )
    (built,) = (tmp / "dist").glob("xueji_lib-*.whl")
    return built


def test_the_wheel_holds_the_code_notebooks_layouts_codes_and_rules(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    pkg = ROOT / "xueji_lib"
    code = {str(p.relative_to(ROOT)) for p in pkg.rglob("*.py") if "__pycache__" not in p.parts}
    assert code <= names, sorted(code - names)
    patterns = (
        "notebooks/*.ipynb",
        "notebooks/*.md",
        "notebooks/dashboards/*.ipynb",
        "schema/data/rules.yml",
        "schema/data/id_forms.csv",
        "schema/data/layouts/*.yml",
        "schema/data/codes/*.csv",
        "schema/data/codes/*.yml",
        "apps/templates/*.html",
        "reporting/fonts/*.ttf",  # the CJK font the printed forms embed (issue 17 §1) and its licence
        "reporting/fonts/OFL.txt",
    )
    data = {str(p.relative_to(ROOT)) for pattern in patterns for p in pkg.glob(pattern)}
    assert {
        "xueji_lib/notebooks/学籍统计报告.ipynb",
        "xueji_lib/notebooks/导览.ipynb",
        "xueji_lib/notebooks/dashboards/学生查询.ipynb",
        "xueji_lib/notebooks/dashboards/名单对比.ipynb",
        "xueji_lib/schema/data/rules.yml",
        "xueji_lib/schema/data/id_forms.csv",
        "xueji_lib/schema/data/layouts/k12_student.yml",
        "xueji_lib/schema/data/codes/mz.csv",
        "xueji_lib/schema/data/codes/tables.yml",
        # the dashboard server's Chinese pages (issue 15 §7)
        "xueji_lib/apps/templates/login.html",
        "xueji_lib/apps/templates/home.html",
        "xueji_lib/apps/templates/error.html",
        "xueji_lib/apps/templates/404.html",
        "xueji_lib/reporting/fonts/NotoSansCJKsc-Xueji.ttf",
        "xueji_lib/reporting/fonts/OFL.txt",
    } <= data
    packaged = {n for n in names if n.startswith("xueji_lib/")}
    assert packaged == code | data  # nothing else (no caches, no stray files)
    assert "xueji_entry.py" in names  # the entry module installs the signal handlers before pandas loads
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "xueji = xueji_entry:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_the_metadata_pulls_no_jupyter_or_spark_without_an_extra(wheel):
    z = zipfile.ZipFile(wheel)
    meta = Parser().parsestr(z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode())
    plain, by_extra = set(), {}
    for spec in meta.get_all("Requires-Dist"):
        req = Requirement(spec)
        extras = [
            e
            for e in ("reports", "dashboard", "lab", "spark", "all", "dev")
            if req.marker and req.marker.evaluate({"extra": e})
        ]
        if req.marker is None or not extras:
            plain.add(_norm(req.name))
        for e in extras:
            by_extra.setdefault(e, set()).add(_norm(req.name))
    assert plain == CORE_DEPENDENCIES
    assert not plain & set(HEAVY)
    assert {"papermill", "nbconvert", "ipykernel"} <= by_extra["reports"]
    assert {"voila", "ipywidgets"} <= by_extra["dashboard"] and "pyspark" in by_extra["spark"]
    assert set(meta.get_all("Provides-Extra")) == {"reports", "dashboard", "lab", "spark", "all", "dev"}
    assert meta["Version"] == __version__


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> dict:
    """A fresh virtual environment with the wheel installed; its environment variables and a folder outside
    the checkout to run from."""
    tmp = tmp_path_factory.mktemp("fresh")
    env_dir = tmp / "venv"
    _run([sys.executable, "-m", "venv", env_dir])
    python = env_dir / "bin" / "python"
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel])
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # the dependencies, without downloading them (written after the install: pip never sees .venv's packages)
    (purelib / "_xueji_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    share = Path(sys.prefix) / "share" / "jupyter"
    (env_dir / "share" / "jupyter").mkdir(parents=True)
    for entry in share.iterdir():
        if entry.name != "kernels":  # kernels: the fresh environment registers its own
            (env_dir / "share" / "jupyter" / entry.name).symlink_to(entry)
    outside = tmp / "elsewhere"
    outside.mkdir()
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH", "XUEJI_ENGINE", "XUEJI_SAMPLES", "JUPYTER_TOKEN")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        PATH=f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        XDG_CACHE_HOME=str(tmp / "cache"),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter" / "config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter" / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter" / "runtime"),
    )
    return {
        "dir": env_dir,
        "python": python,
        "xueji": env_dir / "bin" / "xueji",
        "purelib": purelib,
        "env": env,
        "cwd": outside,
        "tmp": tmp,
    }


def _in(venv, code: str) -> str:
    return _run([venv["python"], "-c", code], env=venv["env"], cwd=venv["cwd"]).stdout.strip()


def test_the_fresh_environment_runs_the_installed_package(venv):
    where = json.loads(
        _in(
            venv,
            "import json, xueji_lib; from xueji_lib.reporting.kernel import NOTEBOOK_DIR; "
            "print(json.dumps([xueji_lib.__file__, str(NOTEBOOK_DIR)]))",
        )
    )
    assert Path(where[0]).is_relative_to(venv["purelib"]), where
    assert Path(where[1]) == venv["purelib"] / "xueji_lib" / "notebooks"
    assert not Path(where[0]).is_relative_to(ROOT)
    # the tour's samples: not a checkout, so written once into the user's cache folder
    folder = Path(_in(venv, "from xueji_lib.samples import sample_folder; print(sample_folder())"))
    assert folder.is_relative_to(venv["tmp"] / "cache" / "xueji")
    assert (folder / "hei" / "10_注册上报.dbf").read_bytes() == (SAMPLES / "hei" / "10_注册上报.dbf").read_bytes()


def test_a_report_from_the_fresh_install(venv):
    out = venv["tmp"] / "reports"
    res = _run(
        [
            venv["xueji"],
            "report",
            "学籍统计报告",
            "-p",
            "roster",
            SAMPLES / "k12" / "学生名单_2026春.xlsx",
            "-p",
            "kind",
            "k12",
            "--out",
            out,
        ],
        env=venv["env"],
        cwd=venv["cwd"],
    )
    assert "报告已生成" in res.stdout
    (run,) = [p for p in (out / "学籍统计报告").iterdir() if p.is_dir()]
    assert (run / "report.html").stat().st_size > 10_000 and (run / "tables.xlsx").stat().st_size > 0
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    assert manifest["outcome"] == "succeeded" and manifest["inputs"]["roster"]["records"] > 1000
    assert "学籍统计报告" in (run / "report.html").read_text("utf-8")
    # the kernel papermill ran is the fresh environment's interpreter, registered in that environment
    spec = json.loads((venv["dir"] / "share" / "jupyter" / "kernels" / "xueji" / "kernel.json").read_text())
    assert Path(spec["argv"][0]).parent == venv["dir"] / "bin"


def test_the_dashboard_from_the_fresh_install(venv):
    data = venv["tmp"] / "data"
    shutil.copytree(SAMPLES, data)
    with DashboardServer(
        data, venv["tmp"] / "dashboard.log", xueji=venv["xueji"], env=venv["env"], cwd=venv["cwd"]
    ) as server:
        for page in ("学生查询", "名单对比"):
            path = server.url(page)[len(server.base) :]
            assert server.status(path) == 200, server.log_text()[-3000:]
            assert server.status(server.url(page, token=False)[len(server.base) :]) != 200
        # the Chinese login page from the installed package's templates
        with urllib.request.urlopen(f"{server.base}/login", timeout=60) as resp:
            login = resp.read().decode("utf-8")
        assert "访问令牌" in login and "Log in" not in login and "Password" not in login
        # the server is the fresh environment's interpreter (xueji dashboard became Voila in its process)
        cmdline = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert Path(os.fsdecode(cmdline[0])) == venv["python"] and b"xueji_lib.apps.voila_main" in cmdline
    assert server.proc.poll() is not None  # stopped: SIGTERM, Voila shut its kernels down and exited
    assert "Kernel pool of 学生查询.ipynb is filled" in server.log_text()
