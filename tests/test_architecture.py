"""The architecture as tests, so that plain pytest fails where it breaks (not only ``make lint``): every public
function and method of ``xueji_lib`` is annotated (DESIGN.md: type hints on public functions), the layer and
no-circle contracts of ``lint-imports`` hold ([tool.importlinter] in pyproject.toml), and importing the library
stays light (no front end, no Jupyter, plotly or Spark)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "xueji_lib"


def _unannotated(source: str, name: str) -> list[str]:
    """``name:line function [parameters without annotation] (return)`` for every public function of the module
    ``source`` and every public method of its public classes (nested ones too) that lacks an annotation; ``self``
    and ``cls`` need none, and dunder methods are not public."""
    missing = []

    def visit(node: ast.AST, owner: str = "") -> None:
        for n in getattr(node, "body", []):
            if isinstance(n, ast.ClassDef) and not n.name.startswith("_"):
                visit(n, f"{owner}{n.name}.")
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_"):
                a = n.args
                params = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
                bare = [
                    p.arg for p in params if p is not None and p.arg not in ("self", "cls") and p.annotation is None
                ]
                if bare or n.returns is None:
                    missing.append(f"{name}:{n.lineno} {owner}{n.name} {bare}{'' if n.returns else ' (return)'}")

    visit(ast.parse(source, name))
    return missing


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_public_function_is_annotated(path):
    missing = _unannotated(path.read_text("utf-8"), str(path.relative_to(ROOT)))
    assert not missing, "public functions without type hints:\n" + "\n".join(missing)


def test_the_annotation_check_finds_what_is_missing():
    """The check above can fail: each kind of gap is caught; annotated functions and private names are not."""
    source = (
        "def ok(a: int, /, b: int, *c: str, d: int = 1, **e: str) -> None: ...\n"
        "def _private(a): ...\n"
        "def no_param(a, b: int) -> int: ...\n"
        "def no_return(a: int): ...\n"
        "def no_vararg(*a) -> None: ...\n"
        "def no_posonly(a, /) -> None: ...\n"
        "class Public:\n"
        "    def __init__(self, a): ...\n"
        "    def method(self, a) -> None: ...\n"
        "    @classmethod\n"
        "    def make(cls) -> Public: ...\n"
        "    class Inner:\n"
        "        def deep(self): ...\n"
        "class _Hidden:\n"
        "    def method(self, a): ...\n"
    )
    assert _unannotated(source, "m.py") == [
        "m.py:3 no_param ['a']",
        "m.py:4 no_return [] (return)",
        "m.py:5 no_vararg ['a']",
        "m.py:6 no_posonly ['a']",
        "m.py:9 Public.method ['a']",
        "m.py:13 Public.Inner.deep [] (return)",
    ]


def test_layer_contracts_are_kept():
    """``lint-imports`` (the layers apps > reporting > stats > matching > checks | samples > engine > io > schema
    > core, and no import circles at any depth) reports both contracts kept."""
    pytest.importorskip("importlinter")
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert "Contracts: 2 kept, 0 broken." in r.stdout, r.stdout[-3000:] + r.stderr[-2000:]
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]


# Third-party packages a front end brings (Jupyter, widgets, Voila, plotly, Spark): none of them at import time.
FRONT_END_PACKAGES = (
    "IPython",
    "ipykernel",
    "ipywidgets",
    "anywidget",
    "jupyter_client",
    "jupyter_core",
    "jupyter_server",
    "jupyterlab",
    "nbclient",
    "nbconvert",
    "nbformat",
    "notebook",
    "papermill",
    "voila",
    "plotly",
    "pyspark",
    "py4j",
)


def test_importing_the_library_loads_no_front_end():
    """``import xueji_lib`` loads no module of ``xueji_lib.apps`` (the command line, the dashboards, JupyterLab)
    and no Jupyter, widget, plotly or Spark package. ``xueji_lib.reporting`` is not in this list: the public API
    (``xueji_lib/__init__.py``) names ``write_validation_outputs`` and ``run_report``/``REPORTS``/``ReportRun``,
    so ``reporting.outputs`` and ``reporting.report`` are imported with it (they import nothing heavy at import
    time, which the third-party part of this test checks)."""
    code = "import sys, xueji_lib; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    loaded = out.split()
    apps = [m for m in loaded if m == "xueji_lib.apps" or m.startswith("xueji_lib.apps.")]
    assert not apps, f"import xueji_lib loads the front ends: {apps}"
    heavy = sorted({m.split(".")[0] for m in loaded} & set(FRONT_END_PACKAGES))
    assert not heavy, f"import xueji_lib loads {heavy}"
