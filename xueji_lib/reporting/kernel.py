"""Where the notebooks that ship with xueji are, and the Jupyter kernel that runs them (``xueji``: this
interpreter, registered in this environment where papermill and JupyterLab find it).

    >>> from xueji_lib.reporting.kernel import NOTEBOOK_DIR, ensure_kernelspec
    >>> sorted(p.name for p in NOTEBOOK_DIR.glob("*报告.ipynb"))[:1]
    ['学籍变动报告.ipynb']
"""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path

__all__ = ["KERNEL_NAME", "KERNEL_DISPLAY_NAME", "NOTEBOOK_DIR", "DASHBOARD_DIR", "ensure_kernelspec", "kernelspec_ok"]

# package data: the report notebooks and notebooks/dashboards/ (the Voila pages) install with the package
NOTEBOOK_DIR = Path(str(files("xueji_lib") / "notebooks"))
DASHBOARD_DIR = NOTEBOOK_DIR / "dashboards"
KERNEL_NAME = "xueji"
KERNEL_DISPLAY_NAME = "Python (xueji)"


def _same_environment(executable: str) -> bool:
    """Whether a kernelspec's interpreter is this one: a bare ``python`` (jupyter_client substitutes the
    running interpreter) or an interpreter in this environment's bin directory (symlinks not followed:
    every venv's python resolves to the same base interpreter)."""
    if os.sep not in executable and "/" not in executable:
        return Path(executable).name in {
            "python",
            f"python{sys.version_info[0]}",
            f"python{sys.version_info[0]}.{sys.version_info[1]}",
        }
    return Path(os.path.abspath(executable)).parent == Path(os.path.abspath(sys.executable)).parent


def kernelspec_ok(name: str = KERNEL_NAME) -> bool:
    """Whether kernel ``name`` is registered where Jupyter looks and starts this interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return False
    return bool(spec.argv) and _same_environment(spec.argv[0])


def ensure_kernelspec() -> str:
    """The name of a kernel that runs this interpreter: ``xueji``, registered in ``sys.prefix`` when it is
    missing there (``make setup`` registers it with ``python -m ipykernel install --sys-prefix --name
    xueji``). Where the prefix cannot be written, a ``python3`` kernel of this interpreter if there is one."""
    if kernelspec_ok(KERNEL_NAME):
        return KERNEL_NAME
    from ipykernel.kernelspec import install

    try:
        install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=sys.prefix)
    except OSError:
        if kernelspec_ok("python3"):
            return "python3"
        raise
    return KERNEL_NAME
