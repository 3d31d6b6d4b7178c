"""Fixtures shared by several test modules."""

import os

import pytest

from tests.spark_cluster import spark_cluster  # noqa: F401  (session-scoped: one Spark cluster per test run)


@pytest.fixture(autouse=True, scope="session")
def _check_history_elsewhere(tmp_path_factory):
    """Every xueji validate / reconcile / compare / photos run records itself in the check history (default
    ./reports): the tests' runs record nothing (never into the checkout's reports/, and no index rewritten after
    each of some hundred runs); tests/test_check_history.py points it at a folder of its own."""
    folder = tmp_path_factory.mktemp("history")
    old = os.environ.get("XUEJI_HISTORY")
    os.environ["XUEJI_HISTORY"] = "off"  # test_check_history sets its own folder where it records
    yield folder
    if old is None:
        os.environ.pop("XUEJI_HISTORY", None)
    else:
        os.environ["XUEJI_HISTORY"] = old


@pytest.fixture
def engines_connected(monkeypatch):
    """The engines connected while a test runs (what ``engine_for`` was given, in order): work that should need
    no engine (two frames in memory, small joins) asserts it stays empty."""
    from xueji_lib.engine import engines

    connected = []
    real = engines.engine_for

    def counting(engine):
        connected.append(engine)
        return real(engine)

    monkeypatch.setattr(engines, "engine_for", counting)
    return connected
