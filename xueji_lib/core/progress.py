"""Progress of long operations: one mechanism for the notebook and the command line.

    >>> import xueji_lib as xj
    >>> df = xj.read_dbf("注册上报.dbf", progress=True)       # doctest: +SKIP
    >>> res = xj.reconcile(adm, reg, progress=lambda label, done, total: print(label, done, total))  # doctest: +SKIP
    核对：准备 0 5
    核对：按考生号匹配 1 5
    …
    核对：完成 5 5

Every function that can take long accepts ``progress``:

- ``None`` or ``False`` (the default): silent.
- ``True``: shown where the user is. Inside a Jupyter kernel (Lab, Notebook, papermill, Voila) one
  display per operation, updated in place (an HTML ``<progress>`` bar, plain text for other
  front-ends); elsewhere on stderr: on a terminal one line rewritten in place and erased when the
  operation ends (stdout stays as it was); in a log (not a terminal) one line per step, and within a step
  at most one line every few seconds and 10 %. On stderr an operation that ends within its first second
  prints nothing, so small files stay quiet. ``XUEJI_PROGRESS=0`` turns ``progress=True`` off;
  ``XUEJI_PROGRESS_DELAY`` sets that one second.
- a callable: called as ``callback(label, done, total)`` on every report: ``label`` a Chinese step text
  (读取 注册上报.dbf, 核对：按考生号匹配 …), ``done`` an int that never decreases within an operation,
  ``total`` an int or None (unknown). An exception raised by the callback stops the operation.

Operations report per block of records or per stage, never per row, so the cost is nil; the library's
operations report on the thread that called them (read_dbf's two reader threads never call the sink), so
a notebook display lands in the cell that runs them.

Inside a library function:

    task = Progress(progress, f"读取 {path.name}", total=nrec)    # reports (label, 0, nrec)
    task.update(done)                                           # per block; or task.advance(n)
    task.close()                                                # ends the display / erases the line

    task = Progress(progress, "核对", steps=("准备", "匹配", "解释"))
    task.step("准备"); …; task.step("匹配"); …; task.finish()    # (核对：准备, 0, 3) … (核对：完成, 3, 3)
"""

from __future__ import annotations

import html
import os
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from typing import TextIO

__all__ = [
    "Progress",
    "ProgressArg",
    "Sink",
    "StderrSink",
    "NotebookSink",
    "resolve_sink",
    "in_jupyter",
    "format_progress",
    "PROGRESS_METADATA",
]

ProgressArg = None | bool | str | Callable[[str, int, int | None], object]

#: Metadata on every notebook progress output, so that exports (report.html) can leave them out.
PROGRESS_METADATA = {"xueji_progress": True}

_OFF = {"0", "off", "no", "false", "none"}


def in_jupyter() -> bool:
    """True inside a Jupyter kernel (ipykernel's ZMQ shell: Lab, Notebook, papermill, Voila), False in a
    plain interpreter, IPython in a terminal or a script. Imports nothing that is not already loaded."""
    ipy = sys.modules.get("IPython")
    if ipy is None or "ipykernel" not in sys.modules:
        return False
    try:
        shell = ipy.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython install
        return False
    return shell is not None and any(c.__name__ == "ZMQInteractiveShell" for c in type(shell).__mro__)


def resolve_sink(progress: ProgressArg) -> Callable[[str, int, int | None], object] | None:
    """The callable that receives ``(label, done, total)`` for ``progress``, or None for silence."""
    if progress is None or progress is False:
        return None
    if progress is True:
        if os.environ.get("XUEJI_PROGRESS", "").strip().lower() in _OFF:
            return None
        return NotebookSink() if in_jupyter() else StderrSink()
    if isinstance(progress, str):
        choice = progress.strip().lower()
        if choice == "notebook":
            return NotebookSink()
        if choice == "stderr":
            return StderrSink()
        raise ValueError(f'progress={progress!r}：只能是 None、True、"notebook"、"stderr" 或一个函数')
    if callable(progress):
        return progress
    raise TypeError(f"progress 应为 None、True 或一个函数 (label, done, total)，给的是 {type(progress).__name__}")


def format_progress(label: str, done: int, total: int | None, elapsed: float | None = None) -> str:
    """One line of text for a report: ``读取 a.dbf：450,000/1,000,000（45%）``; a short count (the stages
    of an operation) as ``核对：匹配（2/5）``; ``用时 2.1 秒`` once done reaches total."""
    if total is None:
        text = f"{label}：{done:,}" if done else f"{label}……"
    elif total <= 100:  # stages, or a tiny file: the count says it all
        text = f"{label}（{done}/{total}）"
    else:
        pct = 100 * done // total if total else 100
        text = f"{label}：{done:,}/{total:,}（{pct}%）"
    if elapsed is not None and (total is None or done >= total):
        text += f"，用时 {elapsed:.1f} 秒"
    return text


class Sink:
    """Base of the built-in displays: called with ``(label, done, total)``; ``end(ok)`` when the operation
    ends (``ok`` False when it stopped on an error). A sink may be used for several operations in turn."""

    def __call__(self, label: str, done: int, total: int | None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def end(self, ok: bool = True) -> None:
        pass


def _delay_default() -> float:
    try:
        return max(0.0, float(os.environ.get("XUEJI_PROGRESS_DELAY", "1")))
    except ValueError:
        return 1.0


class StderrSink(Sink):
    """Progress on stderr (or ``stream``). On a terminal: one line rewritten in place at most ten times a
    second and erased at the end. Otherwise (a log, a pipe): a line when a step starts or an operation
    completes, and within a step at most one line every ``interval`` seconds and 10 %. Nothing at all
    for an operation that ends within ``delay`` seconds."""

    def __init__(self, stream=None, *, tty: bool | None = None, delay: float | None = None, interval: float = 5.0):
        self._stream = stream
        self._tty = tty
        self.delay = _delay_default() if delay is None else delay
        self.interval = interval
        self._reset()

    def _reset(self) -> None:
        self._start = None
        self._shown = False
        self._last_t = 0.0
        self._last_label = None
        self._last_done = None
        self._broken = False
        self._width = 0

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    @property
    def tty(self) -> bool:
        if self._tty is None:
            try:
                self._tty = bool(self.stream.isatty())
            except (AttributeError, ValueError):
                self._tty = False
        return self._tty

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError, UnicodeError, AttributeError):
            self._broken = True  # progress never breaks the operation it reports on

    def _erase(self, line: str) -> str:
        """What clears the rest of the line after ``line``: the ANSI code, or on Windows (whose older consoles
        print it literally) spaces over what the last line covered."""
        if os.name != "nt":
            return "\x1b[K"
        width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        pad = " " * max(0, self._width - width)
        self._width = width
        return pad

    def __call__(self, label: str, done: int, total: int | None) -> None:
        if self._broken:
            return
        now = time.monotonic()
        if self._start is None:
            self._start = now
        elapsed = now - self._start
        if elapsed < self.delay:
            return
        final = total is not None and done >= total
        if self.tty:
            if label == self._last_label and (done == self._last_done or (not final and now - self._last_t < 0.1)):
                return
            line = format_progress(label, done, total)
            if total:
                filled = min(20, 20 * done // total)
                line = f"[{'#' * filled}{'.' * (20 - filled)}] {line}"
            self._write("\r" + line + self._erase(line))
        else:
            new_step = label != self._last_label
            completed = final and done != self._last_done
            due = (
                now - self._last_t >= self.interval
                and done != self._last_done
                and (total is None or self._last_done is None or done - self._last_done >= total / 10)
            )
            if not (new_step or completed or due):
                return
            self._write(format_progress(label, done, total, elapsed if final else None) + "\n")
        self._shown = True
        self._last_t, self._last_label, self._last_done = now, label, done

    def end(self, ok: bool = True) -> None:
        if self._shown and self.tty and not self._broken:
            self._write("\r" + self._erase("") + "\r")  # erase: the command's stdout stays as it was
        self._reset()


class NotebookSink(Sink):
    """Progress in a Jupyter notebook: one output per operation, created at its first report and updated
    in place (``display_id``) at most every ``interval`` seconds, then showing the outcome and time. The
    outputs carry ``PROGRESS_METADATA`` so that report exports can drop them."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self._reset()

    def _reset(self) -> None:
        self._handle = None
        self._start = 0.0
        self._last_t = 0.0
        self._last = ("", 0, None)
        self._broken = False

    @staticmethod
    def _bundle(label, done, total, elapsed=None, failed=False) -> dict:
        text = format_progress(label, done, total, elapsed)
        if failed:
            text += "（未完成）"
        if total is None:
            bar = '<progress style="width:16em;vertical-align:middle"></progress>'
        else:
            value, top = (done, total) if total > 0 else (1, 1)
            bar = (
                f'<progress value="{min(value, top)}" max="{top}" style="width:16em;vertical-align:middle"></progress>'
            )
        colour = "#b00" if failed else "inherit"
        return {
            "text/plain": text,
            "text/html": f'<div class="xueji-progress" style="font-size:90%;color:{colour}">{bar} '
            f"<span>{html.escape(text)}</span></div>",
        }

    def _show(self, bundle: dict) -> None:
        try:
            if self._handle is None:
                from IPython.display import display

                self._handle = display(bundle, raw=True, metadata=dict(PROGRESS_METADATA), display_id=True)
            else:
                self._handle.update(bundle, raw=True, metadata=dict(PROGRESS_METADATA))
        except Exception:  # pragma: no cover - no IPython, a closed kernel channel
            self._broken = True

    def __call__(self, label: str, done: int, total: int | None) -> None:
        if self._broken:
            return
        now = time.monotonic()
        if self._handle is None:
            self._start = now
        elif (
            label == self._last[0] and now - self._last_t < self.interval and not (total is not None and done >= total)
        ):
            self._last = (label, done, total)
            return
        self._last = (label, done, total)
        self._last_t = now
        self._show(self._bundle(label, done, total))

    def end(self, ok: bool = True) -> None:
        if self._handle is not None and not self._broken:
            label, done, total = self._last
            self._show(self._bundle(label, done, total, time.monotonic() - self._start, failed=not ok))
        self._reset()


class Progress:
    """The progress of one operation, reported to the sink that ``progress`` names (see the module text).

    ``Progress(progress, label, total=N)`` for a count (records, rows), ``update(done)`` / ``advance(n)``
    as blocks finish; ``Progress(progress, title, steps=(...))`` for stages, ``step(name)`` as each
    starts (label ``title：name``, done = the stage's position). ``finish()`` reports done = total and
    ends; ``close()`` ends (as failed when the count had not reached total). Also a context manager.
    Thread-safe; silent and nearly free when ``progress`` is None.

    >>> from xueji_lib.core.progress import Progress
    >>> with Progress(lambda label, done, total: print(label, done, total), "核对", steps=("准备", "匹配")) as task:
    ...     task.step("准备")
    ...     task.step("匹配")
    核对：准备 0 2
    核对：匹配 1 2
    核对：完成 2 2
    """

    __slots__ = ("label", "total", "done", "steps", "_sink", "_lock", "_closed", "_current")

    def __init__(
        self, progress: ProgressArg, label: str, total: int | None = None, *, steps: Iterable[str] | None = None
    ):
        self._sink = resolve_sink(progress)
        self.label = label
        self.steps = tuple(steps) if steps is not None else None
        self.total = len(self.steps) if self.steps is not None else total
        self.done = 0
        self._closed = False
        self._current = label
        self._lock = threading.Lock() if self._sink is not None else None
        if self._sink is not None and self.steps is None:
            self._emit(label)

    @property
    def silent(self) -> bool:
        return self._sink is None

    def _emit(self, label: str) -> None:
        self._current = label
        self._sink(label, self.done, self.total)

    def update(self, done: int, label: str | None = None) -> None:
        """Report ``done`` (never below what was reported before) and, optionally, a new label."""
        if self._sink is None:
            return
        with self._lock:
            self.done = max(self.done, int(done))
            self._emit(label if label is not None else self._current)

    def advance(self, n: int = 1) -> None:
        """Add ``n`` to done (safe to call from several threads)."""
        if self._sink is None:
            return
        with self._lock:
            self.done += int(n)
            self._emit(self._current)

    def step(self, name: str) -> None:
        """A stage starts: label ``title：name``, done = how many stages came before it."""
        if self._sink is None:
            return
        with self._lock:
            if self.steps is not None and name in self.steps:
                self.done = max(self.done, self.steps.index(name))
            self._emit(f"{self.label}：{name}")

    def finish(self) -> None:
        """Report completion (done = total; a staged operation's label ends in 完成) and end."""
        if self._sink is None or self._closed:
            return
        with self._lock:
            if self.total is None:
                self.total = self.done  # an unknown total is known at the end
            self.done = max(self.done, self.total)
            self._emit(f"{self.label}：完成" if self.steps is not None else self.label)
        self.close()

    def close(self, ok: bool | None = None) -> None:
        """End the display (idempotent). ``ok`` defaults to: done reached total (or total unknown)."""
        if self._sink is None or self._closed:
            return
        self._closed = True
        if ok is None:
            ok = self.total is None or self.done >= self.total
        end = getattr(self._sink, "end", None) if isinstance(self._sink, Sink) else None
        if end is not None:
            end(ok)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.close(ok=False)
