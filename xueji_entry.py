"""The ``xueji`` command's entry point ([project.scripts] in pyproject.toml): Ctrl+C or SIGTERM while the command
is still starting ends it as ``xueji_lib.apps.cli.main`` ends an interrupted command — one Chinese line on
stderr, exit 130 / 143, no traceback.

Importing ``xueji_lib`` (pandas, pyarrow, DuckDB …) takes most of a second, and ``cli.main`` installs its
handlers only after that. So this module stays outside the package (importing any ``xueji_lib`` module runs
``xueji_lib/__init__.py`` first, which imports pandas) and imports nothing but the standard library: it sets
the handlers, then imports the command line and runs it. Nothing is written while starting, so the handler
ends the process at once (``os._exit``): no half-imported module is left to clean up after.
"""

from __future__ import annotations

import os
import signal
import sys

__all__ = ["main", "INTERRUPTED"]

INTERRUPTED = "已中断，未写出任何文件。"  # what cli.main says when nothing was written (tests/test_interrupted.py)
_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n))


def _on_signal_while_starting(signum: int, frame: object) -> None:
    try:
        os.write(2, f"\n{INTERRUPTED}\n".encode(sys.stderr.encoding or "utf-8", "replace"))
    finally:
        os._exit(128 + int(signum))


def main() -> int:
    """Run the ``xueji`` command (``xueji_lib.apps.cli.main``); a signal while it is imported ends it at once."""
    previous = {sig: signal.signal(sig, _on_signal_while_starting) for sig in _SIGNALS}
    from xueji_lib.apps.cli import exit_code_kept
    from xueji_lib.apps.cli import main as run

    # The command sets its own handlers for its run, first thing (the servers, lab and dashboard, keep these).
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    return exit_code_kept(run())  # a signal after the command returned: its exit code all the same


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
