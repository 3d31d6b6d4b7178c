"""The set-up promises: pyproject.toml, environment.yml and requirements.lock pin the same versions,
and importing the library stays light (no widgets, plotting or Jupyter at import time)."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"python-duckdb": "duckdb"}  # conda-forge name → PyPI name


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pins() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    specs = list(data["project"]["dependencies"])
    for extra in data["project"].get("optional-dependencies", {}).values():
        specs += extra
    pins = {}
    for spec in specs:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][^;\s]*)", spec.strip())
        assert m, f"pyproject.toml: {spec!r} is not pinned with =="
        pins[_norm(m.group(1))] = m.group(2)
    return pins


def environment_pins() -> dict[str, str]:
    data = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pins = {}
    for dep in data["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==?\s*([0-9][^\s]*)", item.strip())
            if m:
                name = CONDA_NAMES.get(m.group(1), m.group(1))
                pins[_norm(name)] = m.group(2)
    return pins


def test_pyproject_and_environment_name_the_same_versions():
    py, env = pyproject_pins(), environment_pins()
    for system in ("python", "openjdk"):  # the interpreter and Spark's Java runtime are not pip packages
        env.pop(system, None)
    assert py == env


def test_lock_file_agrees_with_the_pins():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if m:
            lock[_norm(m.group(1))] = m.group(2)
    for name, version in pyproject_pins().items():
        assert lock.get(name) == version, f"requirements.lock has {name}=={lock.get(name)}, pyproject {version}"


def test_import_is_light():
    code = ("import sys, xueji_lib; heavy = ('ipywidgets', 'plotly', 'jupyter_server', 'voila', 'papermill', "
            "'duckdb', 'openpyxl', 'IPython', 'pyspark', 'py4j', 'ibis'); print(','.join(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_public_api_is_listed():
    import xueji_lib

    for name in xueji_lib.__all__:
        assert hasattr(xueji_lib, name), name
