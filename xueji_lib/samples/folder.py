"""Where the sample files are: the source checkout's ``data_samples/``, or, when xueji was installed with pip,
a copy written once into this user's cache folder (``write_samples`` is deterministic: the same files).

    >>> from xueji_lib.samples import sample_folder
    >>> folder = sample_folder()
    >>> sorted(p.name for p in (folder / "hei").glob("10_*.dbf"))
    ['10_录取名单.dbf', '10_新生状态.dbf', '10_注册上报.dbf']
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..core.version import __version__

__all__ = ["SAMPLES_ENV", "sample_folder", "checkout_samples", "user_samples_folder"]

SAMPLES_ENV = "XUEJI_SAMPLES"  # a folder holding the samples, used instead (never written)
# the files whose presence says a samples folder is complete (README.md is the last one write_samples moves in)
_MARKERS = ("hei/10_注册上报.dbf", "hei/10_录取名单.dbf", "k12/学生名单_2026春.xlsx", "planted.csv", "README.md")


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in _MARKERS)


def checkout_samples() -> Path | None:
    """The ``data_samples/`` folder of the source checkout this package is imported from, else None (an
    installed package: site-packages has no pyproject.toml beside it)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "xueji_lib").is_dir() and (root / "data_samples").is_dir():
        return root / "data_samples"
    return None


def user_samples_folder() -> Path:
    """This user's folder for the samples of this version of xueji: under ``$XDG_CACHE_HOME`` (default
    ``~/.cache``) on Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "xueji" / f"samples-{__version__}"


def sample_folder() -> Path:
    """The folder of the synthetic sample files (``hei/``, ``k12/``, ``planted.csv``): the folder named by the
    environment variable ``XUEJI_SAMPLES`` when it is set; else the source checkout's ``data_samples/``; else
    (xueji installed with pip) this user's cache folder, where the samples are written the first time (a few
    seconds) and reused after. A folder that should hold the samples and does not is a FileNotFoundError
    whose Chinese message says how to make them.
    """
    named = os.environ.get(SAMPLES_ENV)
    if named:
        folder = Path(named).expanduser().resolve()
        if not _complete(folder):
            raise FileNotFoundError(
                f"找不到样例数据 {folder}（环境变量 {SAMPLES_ENV} 指定的文件夹）：请用 "
                f"xueji samples --out {folder} 生成样例文件（源代码目录中用 make samples），"
                f"或取消 {SAMPLES_ENV}"
            )
        return folder
    checkout = checkout_samples()
    if checkout is not None:
        if not _complete(checkout):
            raise FileNotFoundError(f"找不到样例数据 {checkout}：样例文件不全，请在源代码目录中运行 make samples")
        return checkout
    folder = user_samples_folder()
    if not _complete(folder):
        _write_once(folder)
    return folder


def _write_once(folder: Path) -> None:
    """Write the samples into a temporary folder beside ``folder``, then rename it into place; when another
    process got there first, its folder is kept."""
    from .synth import write_samples

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    except OSError as exc:
        raise FileNotFoundError(
            f"找不到样例数据，也无法在 {folder.parent} 中生成（{exc.strerror}）："
            f"请设置环境变量 {SAMPLES_ENV} 指向一个文件夹，"
            f"并用 xueji samples --out 该文件夹 生成样例文件"
        ) from exc
    try:
        write_samples(tmp)
        if folder.is_dir() and not _complete(folder):  # left half-written by an interrupted run
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not _complete(folder):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
