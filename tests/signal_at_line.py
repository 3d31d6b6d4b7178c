"""Run ``xueji ARGS`` in this process and send it SIGTERM the ``K``-th time its main thread runs a line of the
standard library's threading, queue or concurrent.futures code (``K`` = 0: never) — where waiting for threads
and worker processes holds locks, and where a signal handler that raises (the command line's does) must never
land. Prints ``lines=N`` (how many such lines ran) on stderr at the end; exits with the command's code.

    python tests/signal_at_line.py K parquet big.dbf --out pq --workers 2
"""

from __future__ import annotations

import os
import signal
import sys
import threading

WATCHED = ("/threading.py", "/queue.py", "/concurrent/futures/")


def main() -> int:
    at = int(sys.argv[1])
    seen = [0]

    def local(frame, event, arg):
        if event == "line":
            seen[0] += 1
            if seen[0] == at:
                os.kill(os.getpid(), signal.SIGTERM)
        return local

    def tracer(frame, event, arg):
        name = frame.f_code.co_filename.replace("\\", "/")
        return local if any(w in name for w in WATCHED) else None

    from xueji_lib.apps import cli

    main_thread = threading.main_thread()
    assert threading.current_thread() is main_thread
    sys.settrace(tracer)  # this thread only: the worker threads run untraced
    try:
        rc = cli.main(sys.argv[2:])
    finally:
        sys.settrace(None)
    print(f"lines={seen[0]}", file=sys.stderr, flush=True)
    return cli.exit_code_kept(rc)


if __name__ == "__main__":
    sys.exit(main())
