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
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomic", "write_atomic_text", "atomic_path", "publish"]


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}." if prefix is None else prefix, suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        try:
            publish(tmp, path)
        except PermissionError as exc:
            if busy_message is None:
                raise
            raise PermissionError(busy_message) from exc
    except BaseException:
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
