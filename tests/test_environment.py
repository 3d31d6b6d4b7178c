"""The set-up promises: pyproject.toml, environment.yml and requirements.lock pin the same versions; the core
dependencies are what the library imports, the rest come with an extra (reports, dashboard, lab, spark) or
with dev; and importing the library stays light (no widgets, plotting, Jupyter or Spark at import time)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

from xueji_lib.core.extras import EXTRAS

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"python-duckdb": "duckdb"}  # conda-forge name → PyPI name
PROJECT = "xueji-lib"
PIN = r"([A-Za-z0-9_.\-]+)(?:\[[A-Za-z0-9_,\-]+\])?"  # a name, maybe with extras: ibis-framework[duckdb]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _groups() -> dict[str, list[str]]:
    """{"core": the dependencies, extra: its requirements} as pyproject.toml writes them."""
    project = _project()
    return {"core": list(project["dependencies"]), **project.get("optional-dependencies", {})}


def _self_extras(spec: str) -> list[str] | None:
    """The extras an extra takes from this project itself ("xueji_lib[reports,dashboard]"), else None."""
    req = Requirement(spec)
    return sorted(req.extras) if _norm(req.name) == PROJECT else None


def pyproject_pins() -> dict[str, str]:
    pins = {}
    for group, specs in _groups().items():
        for spec in specs:
            if _self_extras(spec) is not None:
                continue
            m = re.fullmatch(PIN + r"==([0-9][^;\s]*)", spec.strip())
            assert m, f"pyproject.toml [{group}]: {spec!r} is not pinned with =="
            name = _norm(m.group(1))
            assert pins.get(name, m.group(2)) == m.group(2), f"pyproject.toml: {name} pinned to two versions"
            pins[name] = m.group(2)
    return pins


def extra_packages(extra: str) -> set[str]:
    """The packages an extra names, with those of the extras it takes from this project, by name."""
    groups = _groups()
    names = set()
    for spec in groups[extra]:
        inner = _self_extras(spec)
        if inner is None:
            names.add(_norm(Requirement(spec).name))
        else:
            for e in inner:
                names |= extra_packages(e)
    return names


def environment_pins() -> dict[str, str]:
    data = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pins = {}
    for dep in data["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            m = re.fullmatch(PIN + r"\s*==?\s*([0-9][^\s]*)", item.strip())
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


def _lock() -> dict[str, str]:
    lock = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if m:
            lock[_norm(m.group(1))] = m.group(2)
    return lock


def _closure(specs) -> set[str]:
    """Every package that installing ``specs`` brings, by the installed packages' own metadata (markers of the
    extras asked for included, this project's own extras expanded from pyproject.toml)."""
    todo = [Requirement(s) for s in specs]
    done: set[tuple[str, frozenset]] = set()
    names = set()
    while todo:
        req = todo.pop()
        name = _norm(req.name)
        if name == PROJECT:
            todo += [Requirement(s) for e in ("core", *req.extras) for s in _groups()[e]]
            continue
        key = (name, frozenset(req.extras))
        if key in done:
            continue
        done.add(key)
        names.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            raise AssertionError(f"{name} is not installed: make setup (pip install -e .[all,dev])") from None
        for spec in requires:
            sub = Requirement(spec)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in {"", *req.extras}):
                todo.append(sub)
    return names


def test_lock_file_pins_exactly_what_all_and_dev_install():
    """requirements.lock is the whole of .[all,dev], transitive packages included, and nothing else (a package
    dropped from pyproject.toml leaves the lock with it)."""
    wanted = _closure(["xueji_lib[all,dev]"])
    lock = set(_lock())
    assert not wanted - lock, f"requirements.lock lacks {sorted(wanted - lock)}"
    assert not lock - wanted, f"requirements.lock pins what nothing installs: {sorted(lock - wanted)}"


# What a plain install pulls (no extra): the library's own imports; fpdf2 and fonttools print the forms (issue 17).
CORE_DEPENDENCIES = {
    "numpy", "pandas", "pyarrow", "duckdb", "openpyxl", "xlsxwriter", "pyyaml", "pillow", "fpdf2", "fonttools",
}  # fmt: skip


def test_the_extras():
    """The core installs no Jupyter, widgets, plotting or Spark; each extra holds the modules the library checks
    for it (xueji_lib/core/extras.py, the message a command gives when one is missing); all is every extra."""
    groups = _groups()
    core = {_norm(Requirement(s).name) for s in groups["core"]}
    assert core == CORE_DEPENDENCIES
    heavy = re.compile(r"jupyter|ipy|nb|voila|papermill|plotly|widget|spark|py4j|ibis")
    assert not [n for n in _closure(groups["core"]) if heavy.search(n)]
    assert set(EXTRAS) | {"core", "all", "dev"} == set(groups)
    assert extra_packages("all") == set().union(*(extra_packages(e) for e in EXTRAS))
    modules = importlib.metadata.packages_distributions()
    for extra, (_, needed) in EXTRAS.items():
        brings = _closure([f"xueji_lib[{extra}]"])
        for module in needed:
            assert {_norm(d) for d in modules.get(module, [])} & brings, f"[{extra}] does not install {module}"


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(modules imported when ``path`` is imported, modules imported inside its functions or only for the type
    checker under ``if TYPE_CHECKING:``): top-level names."""
    top, lazy = set(), set()

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = (
                in_function
                or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                or (isinstance(child, ast.If) and ast.unparse(child.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"))
            )
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and not child.level:
                names = [child.module]
            else:
                names = []
            for name in names:
                (lazy if inside else top).add(name.split(".")[0])
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return top, lazy


def test_the_core_dependencies_are_what_the_library_imports():
    """Every third-party module imported when a xueji_lib module is imported comes with the core; one imported
    inside a function (reports, dashboards, Spark) comes with the core or an extra; every core dependency is
    imported somewhere (nothing pinned that nothing uses)."""
    modules = importlib.metadata.packages_distributions()
    groups = _groups()
    core = _closure(groups["core"])
    extras = _closure([f"xueji_lib[{e}]" for e in EXTRAS])
    used = set()
    for path in sorted((ROOT / "xueji_lib").rglob("*.py")):
        top, lazy = _imports(path)
        checks = [(m, core, "the core") for m in top] + [(m, core | extras, "an extra") for m in lazy]
        for module, allowed, what in checks:
            if module in sys.stdlib_module_names or module in ("xueji_lib", "__future__"):
                continue
            dists = {_norm(d) for d in modules.get(module, [])}
            assert dists & allowed, f"{path.relative_to(ROOT)} imports {module}, which {what} does not install"
            used |= dists
    assert {_norm(Requirement(s).name) for s in groups["core"]} <= used


def test_import_is_light():
    code = (
        "import sys, xueji_lib; heavy = ('ipywidgets', 'anywidget', 'plotly', 'jupyter_server', 'jupyter_client', "
        "'jupyter_core', 'jupyterlab', 'voila', 'papermill', 'nbconvert', 'nbformat', 'nbclient', 'ipykernel', "
        "'duckdb', 'openpyxl', 'IPython', 'pyspark', 'py4j', 'ibis'); "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_public_api_is_listed():
    import xueji_lib

    for name in xueji_lib.__all__:
        assert hasattr(xueji_lib, name), name
