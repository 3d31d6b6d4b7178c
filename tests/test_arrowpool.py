"""core.arrowpool: jemalloc only for the duration of a call, where pyarrow has it and nothing chose a pool; the
pool before is back afterwards, also after an exception and with nested or concurrent calls."""

import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from xueji_lib.core.arrowpool import retaining_pool

ROOT = Path(__file__).resolve().parent.parent


def _has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
        return True
    except (NotImplementedError, pa.ArrowException):
        return False


def test_the_pool_before_is_back_after_the_call_and_after_an_error():
    before = pa.default_memory_pool().backend_name
    with retaining_pool():
        inside = pa.default_memory_pool().backend_name
        with retaining_pool():  # nested: the outer call restores
            assert pa.default_memory_pool().backend_name == inside
        assert pa.default_memory_pool().backend_name == inside
    assert pa.default_memory_pool().backend_name == before
    with pytest.raises(RuntimeError), retaining_pool():
        raise RuntimeError("x")
    assert pa.default_memory_pool().backend_name == before
    if before == "mimalloc" and _has_jemalloc():
        assert inside == "jemalloc"
    else:
        assert inside == before


def test_concurrent_calls_restore_once_all_have_ended():
    before = pa.default_memory_pool().backend_name
    gate = threading.Barrier(3)

    def work():
        with retaining_pool():
            gate.wait()
            pa.array(["一", "二"] * 1000)
            gate.wait()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert pa.default_memory_pool().backend_name == before


def test_a_pool_chosen_by_the_environment_is_left_alone():
    code = (
        "import pyarrow as pa, xueji_lib as xj\n"
        "from xueji_lib.core.arrowpool import retaining_pool\n"
        "with retaining_pool():\n    print(pa.default_memory_pool().backend_name)\n"
        "df = xj.read_dbf('data_samples/hei/10_注册上报.dbf')\nprint(len(df))"
    )
    env = {"ARROW_DEFAULT_MEMORY_POOL": "system", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    ).stdout
    assert out.split() == ["system", "995"]
