"""core.files: the one atomic writer — whole file or nothing, a new file's permissions, no temporary left."""

from __future__ import annotations

import os

import pytest

from xueji_lib.core import files
from xueji_lib.core.files import atomic_path, write_atomic, write_atomic_text


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_write_atomic_replaces_the_file_with_a_new_files_permissions(tmp_path):
    path = tmp_path / "名单.dbf"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    assert write_atomic(path, lambda fh: fh.write(b"new")) == path
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["名单.dbf"]


@pytest.mark.parametrize("error", [ValueError("写到一半出错"), KeyboardInterrupt()])
def test_an_error_while_writing_leaves_the_old_file_and_no_temporary(tmp_path, error):
    path = tmp_path / "summary.json"
    path.write_text("旧内容", "utf-8")

    def write(fh):
        fh.write(b"half")
        raise error

    with pytest.raises(type(error)):
        write_atomic(path, write)
    assert path.read_text("utf-8") == "旧内容"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_atomic_path_names_the_temporary_beside_the_target(tmp_path):
    target = tmp_path / "part-00000.parquet"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".part-00000.parquet.") and tmp.name.endswith(".tmp")
        assert tmp.exists() and not target.exists()
        tmp.write_bytes(b"data")
    assert target.read_bytes() == b"data" and not tmp.exists()
    with atomic_path(tmp_path / "a.xlsx", prefix=".~a.", suffix=".xlsx") as tmp:
        assert tmp.name.startswith(".~a.") and tmp.name.endswith(".xlsx")


def test_a_refused_rename_says_what_the_caller_asked(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(PermissionError, match="正被 Excel 或 WPS 打开"):
        with atomic_path(tmp_path / "核对结果.xlsx", busy_message="无法写入：文件可能正被 Excel 或 WPS 打开") as tmp:
            tmp.write_bytes(b"x")
    with pytest.raises(PermissionError, match="Permission denied"):
        write_atomic(tmp_path / "b.bin", lambda fh: fh.write(b"x"))
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_text_writes_as_path_write_text(tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    text = "第一行\n第二行\n"
    write_atomic_text(a, text)
    b.write_text(text, "utf-8")
    assert a.read_bytes() == b.read_bytes()
    write_atomic_text(a, text, newline="")
    assert a.read_bytes() == text.encode("utf-8")


class _Stop(Exception):
    """What the test's SIGINT handler raises (as the command line's raises its KeyboardInterrupt)."""


@pytest.fixture
def interrupt_after(monkeypatch):
    """``interrupt_after(name)``: ``tempfile.<name>`` sends SIGINT to this process just as it returns (the moment
    a watcher sees the new file or folder), with a handler that raises ``_Stop``."""
    import signal
    import tempfile

    def raising(signum, frame):
        raise _Stop(signum)

    old = signal.signal(signal.SIGINT, raising)

    def arm(name):
        made = getattr(tempfile, name)

        def then_signal(*args, **kwargs):
            got = made(*args, **kwargs)
            signal.raise_signal(signal.SIGINT)  # its handler runs at the next line: in the caller, once returned
            return got

        monkeypatch.setattr(tempfile, name, then_signal)

    yield arm
    signal.signal(signal.SIGINT, old)


def test_a_signal_just_after_the_temporary_file_is_made_leaves_none(tmp_path, interrupt_after):
    path = tmp_path / "名单.dbf"
    interrupt_after("mkstemp")
    with pytest.raises(_Stop):
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"new")
    assert list(tmp_path.iterdir()) == []


def test_a_signal_just_after_the_staging_folder_is_made_leaves_none(tmp_path, interrupt_after):
    interrupt_after("mkdtemp")
    with pytest.raises(_Stop):
        with files.output_set(tmp_path / "结果", ["a.txt"]) as run:
            (run.staging / "a.txt").write_text("1")
    assert list(tmp_path.iterdir()) == []
