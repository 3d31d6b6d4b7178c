"""Writing a file safely: the whole file goes under a temporary name beside the target, then one rename puts
it in place — a reader never sees half a file, and an interrupted run leaves the old file (or none), never a
torn one. The file ends with the permissions a normal new file gets (``0o666`` less the umask); on any
exception, KeyboardInterrupt included, the temporary file is removed and the exception goes on. No fsync.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "名单.txt"
    >>> _ = write_atomic(path, lambda fh: fh.write("张三".encode("utf-8")))
    >>> path.read_text("utf-8"), [p.name for p in path.parent.iterdir()]
    ('张三', ['名单.txt'])
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import XuejiError

__all__ = [
    "write_atomic",
    "write_atomic_text",
    "atomic_path",
    "publish",
    "output_set",
    "OutputSet",
    "OutputFolderError",
    "check_output_folder",
    "signals_deferred",
    "safe_file_name",
]


def publish(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Give the temporary file ``tmp`` the permissions a normal new file gets (``mkstemp`` makes it 0600),
    then rename it to ``path``, replacing a file of that name."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike, *, prefix: str | None = None, suffix: str = ".tmp", busy_message: str | None = None
) -> Iterator[Path]:
    """A temporary file beside ``path`` (``.{name}.<random>{suffix}``, or ``{prefix}<random>{suffix}``; created
    empty) for a writer that takes a file name (xlsxwriter, pyarrow). When the block ends without an error
    the file is published to ``path`` (``publish``); on any exception it is removed.

    ``busy_message``: if the rename is refused (PermissionError: on Windows, ``path`` is open in Excel or
    WPS), raise ``PermissionError(busy_message)`` instead.

        >>> with atomic_path("out/名单.parquet") as tmp:          # doctest: +SKIP
        ...     pq.write_table(table, tmp)
    """
    path = Path(path)
    tmp = None
    try:
        with signals_deferred():  # made and named here at once: no signal between the file and its removal below
            fd, tmp = tempfile.mkstemp(
                prefix=f".{path.name}." if prefix is None else prefix, suffix=suffix, dir=path.parent
            )
            os.close(fd)
        yield Path(tmp)
        try:
            publish(tmp, path)
        except PermissionError as exc:
            if busy_message is None:
                raise
            raise PermissionError(busy_message) from exc
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike, write: Callable[[BinaryIO], object], *, suffix: str = ".tmp") -> Path:
    """``write(binary file)`` into a temporary file beside ``path``, then rename it into place
    (``atomic_path``). Returns ``path``."""
    path = Path(path)
    with atomic_path(path, suffix=suffix) as tmp, open(tmp, "wb") as fh:
        write(fh)
    return path


def write_atomic_text(
    path: str | os.PathLike, text: str, encoding: str = "utf-8", *, newline: str | None = None, suffix: str = ".tmp"
) -> Path:
    """``text`` written as ``Path.write_text`` writes it (``newline=None``: each "\\n" becomes the platform's line
    ending; ``newline=""`` writes it as is), atomically (``atomic_path``). Returns ``path``."""
    path = Path(path)
    with atomic_path(path, suffix=suffix) as tmp, open(tmp, "w", encoding=encoding, newline=newline) as fh:
        fh.write(text)
    return path


# ---------------------------------------------------------------------------------------- a set of outputs


class OutputFolderError(XuejiError, OSError):
    """The output folder cannot be used (a file of that name, read-only, no room): the message says which and why."""


_CONTROL_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n))


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM held back for the block (main thread): a signal that arrives meanwhile is noted and
    handed to the handler in force once the block ends (the default action for SIGTERM), so the few renames
    that publish a set of files are never cut in the middle. (Handlers, not the signal mask: any thread may
    receive a signal, and Python runs its handler in the main thread all the same.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    old = {sig: signal.signal(sig, lambda signum, frame: pending.append(signum)) for sig in _CONTROL_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if pending:
            handler = old[pending[0]]
            if callable(handler):
                handler(pending[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(pending[0])


# Windows refuses to replace, rename or delete a file another program holds open without sharing (Excel, WPS)
_OPEN_FILES_BLOCK = os.name == "nt"


def _try_open(path: Path) -> None:
    """Open ``path`` for writing and close it again, changing nothing (PermissionError: held open elsewhere)."""
    with open(path, "r+b"):
        pass


def _why(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "没有写入权限，或其中的文件正被其他程序（如 Excel、WPS）打开"
    if exc.errno == errno.ENOSPC:
        return "磁盘已满"
    if exc.errno == errno.EROFS:
        return "所在的文件系统是只读的"
    return exc.strerror or str(exc)


def check_output_folder(out: str | os.PathLike) -> Path:
    """``out`` as an absolute path, after checking that it can be an output folder: not an existing file, and
    writable if it exists. Raises ``OutputFolderError`` with a Chinese message naming the folder."""
    out = Path(os.path.abspath(out))
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"输出目录 {out} 是一个已有的文件，不是目录：请用 --out 指定一个目录（不存在时会创建）")
    for part in out.parents:  # a file in the way higher up: mkdir would fail with NotADirectoryError
        if part.exists():
            if not part.is_dir():
                raise OutputFolderError(f"无法建立输出目录 {out}：{part} 是一个文件，不是目录")
            if not out.exists() and not os.access(part, os.W_OK | os.X_OK):
                raise OutputFolderError(f"无法建立输出目录 {out}：{part} 没有写入权限")
            break
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise OutputFolderError(f"无法写入输出目录 {out}：没有写入权限（目录是只读的）；请用 --out 指定另一个目录")
    return out


def _is_ours(name: str, names: frozenset[str]) -> bool:
    """An output of the run (by name), or a temporary file an interrupted writer of one left behind."""
    return name in names or any(name.startswith(f".{n}.") or name.startswith(f".~{Path(n).stem}.") for n in names)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a))


class OutputSet:
    """Where a run writes its set of files: ``staging`` (a fresh folder), published to ``out`` by
    ``commit``. See ``output_set``."""

    def __init__(self, out: Path, names: frozenset[str]):
        self.out, self.names = out, names
        self.had_files = out.is_dir() and any(_is_ours(p.name, names) for p in out.iterdir())
        self.committed = False
        umask = os.umask(0)
        os.umask(umask)
        self._mode = (out.stat().st_mode & 0o7777) if out.is_dir() else 0o777 & ~umask
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.xueji-", dir=out.parent))
            self._sibling = True
        except OSError as exc:
            if not out.is_dir():
                raise OutputFolderError(f"无法建立输出目录 {out}：{_why(exc)}") from None
            try:  # the folder is writable but its parent is not: stage inside it
                self.staging = Path(tempfile.mkdtemp(prefix=".xueji-", dir=out))
            except OSError as exc2:
                raise OutputFolderError(f"无法写入输出目录 {out}：{_why(exc2)}") from None
            self._sibling = False

    def _whole_folder(self) -> bool:
        """May ``out`` be replaced as a whole: it holds nothing but a run's outputs, and it is not the working
        folder (or above it), which a shell may be sitting in."""
        if not self._sibling:
            return False
        cwd = Path.cwd().resolve()
        if cwd == self.out.resolve() or self.out.resolve() in cwd.parents:
            return False
        return all(_is_ours(p.name, self.names) for p in self.out.iterdir())

    def _busy(self) -> list[Path]:
        """The previous run's files here that another program holds open so that they cannot be replaced: on
        Windows, a workbook open in Excel or WPS (opened without sharing, it cannot be written, renamed or
        deleted). Found before anything moves, so that a refused rename never leaves half a set."""
        busy: list[Path] = []
        if not _OPEN_FILES_BLOCK or not self.out.is_dir():  # POSIX: an open file is renamed over as any other
            return busy
        for top in self.out.iterdir():
            if not _is_ours(top.name, self.names) or top.is_symlink():
                continue
            for p in [top] if top.is_file() else [q for q in top.rglob("*") if q.is_file() and not q.is_symlink()]:
                try:
                    _try_open(p)
                except PermissionError:
                    busy.append(p)
                except OSError:
                    pass
        return busy

    def commit(self) -> None:
        """Publish the staged files as one set (SIGINT/SIGTERM held back meanwhile). A previous output another
        program holds open (Excel, WPS) is said by name, and nothing is replaced."""
        busy = self._busy()
        if busy:
            more = f"（另有 {len(busy) - 1} 个文件也是）" if len(busy) > 1 else ""
            raise OutputFolderError(
                f"无法把结果写入输出目录 {self.out}：其中的 {busy[0].relative_to(self.out)} 正被其他程序打开"
                f"（如 Excel、WPS）{more}。请关闭后重新运行；原有文件未改动"
            )
        with signals_deferred():
            try:
                os.chmod(self.staging, self._mode)
                if not self.out.exists():
                    os.rename(self.staging, self.out)
                elif self._whole_folder():
                    if _exchange(self.staging, self.out):
                        shutil.rmtree(self.staging, ignore_errors=True)  # now the previous run
                    else:
                        old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old-", dir=self.out.parent))
                        os.rename(self.out, old / "run")
                        os.rename(self.staging, self.out)
                        shutil.rmtree(old, ignore_errors=True)
                else:
                    self._merge()
            except OSError as exc:
                raise OutputFolderError(f"无法把结果写入输出目录 {self.out}：{_why(exc)}") from None
            self.committed = True

    def _merge(self) -> None:
        """``out`` holds other files too: move each staged entry into place, then drop the outputs of an
        earlier run that this one did not write (all while signals wait)."""
        new = {p.name for p in self.staging.iterdir()}
        trash = Path(tempfile.mkdtemp(prefix=".xueji-old-", dir=self.out))
        try:
            for name in sorted(new):
                target = self.out / name
                if target.is_dir() and not target.is_symlink():
                    os.rename(target, trash / name)
                os.replace(self.staging / name, target)
            for p in self.out.iterdir():
                if p.name not in new and p != trash and p != self.staging and _is_ours(p.name, self.names):
                    if p.is_dir() and not p.is_symlink():
                        os.rename(p, trash / p.name)
                    else:
                        p.unlink()
        finally:
            shutil.rmtree(trash, ignore_errors=True)
            shutil.rmtree(self.staging, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def final(self, path: str | os.PathLike) -> Path:
        """Where a staged ``path`` is once committed."""
        return self.out / Path(path).relative_to(self.staging)


@contextlib.contextmanager
def output_set(out: str | os.PathLike, names: Iterable[str]) -> Iterator[OutputSet]:
    """Write a run's files as one set: ``with output_set(out, names) as run: result.save(run.staging)``.
    The files go into a fresh folder beside ``out``; when the block ends without an error they replace the
    previous run at once (the folder is swapped in; when ``out`` also holds other files, each output is
    renamed into place with signals held back and outputs of the previous run not written again are
    removed). On any exception (Ctrl-C, SIGTERM) the fresh folder is removed and ``out`` keeps the previous
    run untouched. ``names``: every file name a run may write into ``out`` (what counts as the previous
    run). Raises ``OutputFolderError`` when ``out`` is a file, read-only, or cannot be made.

        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp()) / "结果"
        >>> with output_set(out, ["a.txt"]) as run:
        ...     _ = (run.staging / "a.txt").write_text("1")
        >>> sorted(p.name for p in out.iterdir()), run.committed
        (['a.txt'], True)
    """
    out = check_output_folder(out)
    run = None
    try:
        # the fresh folder made and named at once: a signal just after mkdtemp (the moment the folder appears)
        # is taken once ``run`` holds it, so that it is removed below
        with signals_deferred():
            run = OutputSet(out, frozenset(names))
        yield run
        run.commit()
    finally:
        if run is not None:
            run.discard()


def safe_file_name(text: str, empty: str = "未命名") -> str:
    """``text`` usable as a file name on Windows and Linux (a school's name as the name of its own list): no
    \\ / : * ? " < > | or control characters, not ending in a dot or blank, at most 80 characters, and not one of
    the names Windows keeps for devices (CON, PRN, AUX, NUL, COM1–9, LPT1–9, with or without an extension: a file
    named ``NUL.xlsx`` cannot be created there, so it gets a leading underscore); ``empty`` when nothing is left.

        >>> safe_file_name("示范县第一小学/分校 ")
        '示范县第一小学_分校'
        >>> safe_file_name("con"), safe_file_name("NUL.学校"), safe_file_name("COM1 ")
        ('_con', '_NUL.学校', '_COM1')
    """
    out = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", str(text)).strip(" .")[:80].rstrip(" .")
    if _WINDOWS_DEVICE.match(out):
        out = "_" + out
    return out or empty


# Names Windows reserves for devices, alone or before an extension (CON, NUL.txt, com1.xlsx); case does not matter.
_WINDOWS_DEVICE = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³])(\.|$)", re.IGNORECASE)
