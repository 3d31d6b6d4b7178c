"""Arrow's memory pool for the big column passes (read_dbf, validate): jemalloc where pyarrow has it.

pyarrow's default pool on Linux is mimalloc, which hands freed memory back to the system at once; the next large
buffer is then faulted in again page by page. On the 2-core VM of issue 19 most of a dirty 1M-record validation
was kernel time (12.5 s of 19 s CPU; 2.7 s with jemalloc), and read_dbf of the bench file took 3.7 s against 1.6 s
under the same load. ``retaining_pool()`` sets jemalloc for the duration of a call and restores the pool before;
arrays made meanwhile keep theirs. Nothing changes where pyarrow has no jemalloc (its Windows and macOS builds),
where the default is not mimalloc, or where ``ARROW_DEFAULT_MEMORY_POOL`` chooses a pool.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

_LOCK = threading.Lock()
_DEPTH = 0  # nested or concurrent calls: the first sets the pool, the last restores it
_PREVIOUS: pa.MemoryPool | None = None


def _jemalloc() -> pa.MemoryPool | None:
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or pa.default_memory_pool().backend_name != "mimalloc":
        return None
    try:
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowException):  # builds without jemalloc
        return None


@contextmanager
def retaining_pool() -> Iterator[None]:
    """Arrow allocations inside the block from jemalloc when available (see the module docstring).

    >>> with retaining_pool():
    ...     n = len(pa.array(["a", "b"]))
    >>> n
    2
    """
    global _DEPTH, _PREVIOUS
    with _LOCK:
        if _DEPTH == 0:
            pool = _jemalloc()
            _PREVIOUS = pa.default_memory_pool() if pool is not None else None
            if pool is not None:
                pa.set_memory_pool(pool)
        _DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0 and _PREVIOUS is not None:
                pa.set_memory_pool(_PREVIOUS)
                _PREVIOUS = None
