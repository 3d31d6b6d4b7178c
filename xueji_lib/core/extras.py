"""The optional parts of xueji and the pip extra that installs each one.

``pip install xueji_lib`` gives the library (reading, checking, matching on DuckDB, writing files,
photos); the reports, the dashboards, JupyterLab and Spark each come with an extra. A command that needs a
part that is not installed stops with one Chinese line naming the extra to install (``MissingExtraError``,
a ``XuejiError`` and an ``ImportError``), before it reads or runs anything. Checking does not import the
modules, so it costs nothing where they are installed.

    >>> from xueji_lib.core.extras import missing_modules, require_extra
    >>> missing_modules("spark")                      # doctest: +SKIP
    ['pyspark']
    >>> require_extra("spark")                        # doctest: +SKIP
    Traceback (most recent call last):
    MissingExtraError: 缺少可选组件 spark（Spark 计算引擎）：没有安装 pyspark。请先安装：pip install "xueji_lib[spark]"
"""

from __future__ import annotations

import importlib.util

from .errors import XuejiError

__all__ = ["EXTRAS", "MissingExtraError", "missing_modules", "require_extra", "install_hint"]

# extra → (what it is for, the top-level modules that part of xueji imports); pyproject.toml's
# [project.optional-dependencies] installs them (the lab extra also brings the reports and dashboard ones:
# its notebooks are those)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "reports": ("报告：xueji report、xueji schedule", ("papermill", "nbconvert", "nbformat", "ipykernel", "plotly")),
    "dashboard": ("看板：xueji dashboard", ("voila", "ipywidgets", "anywidget", "plotly", "ipykernel")),
    "lab": ("JupyterLab：xueji lab", ("jupyterlab", "ipykernel")),
    "spark": ("Spark 计算引擎", ("pyspark",)),
}


class MissingExtraError(XuejiError, ImportError):
    """An optional part of xueji is not installed; the message names the pip extra that installs it."""

    def __init__(self, extra: str, modules: list[str]):
        self.extra = extra
        self.modules = list(modules)
        super().__init__(
            f"缺少可选组件 {extra}（{EXTRAS[extra][0]}）：没有安装 {'、'.join(self.modules)}。"
            f"请先安装：{install_hint(extra)}"
        )


def install_hint(extra: str) -> str:
    """The pip command that installs ``extra``: ``pip install "xueji_lib[reports]"``."""
    return f'pip install "xueji_lib[{extra}]"'


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (found without importing them)."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}")
    missing = []
    for module in EXTRAS[extra][1]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a broken or half-removed installation
            found = False
        if not found:
            missing.append(module)
    return missing


def require_extra(extra: str) -> None:
    """Raise MissingExtraError when a module of ``extra`` ("reports", "dashboard", "lab", "spark") is missing."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtraError(extra, missing)
