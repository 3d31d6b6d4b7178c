"""Fixtures shared by several test modules."""

import os

import pytest

from tests.spark_cluster import spark_cluster  # noqa: F401  (session-scoped: one Spark cluster per test run)


@pytest.fixture(autouse=True, scope="session")
def _check_history_elsewhere(tmp_path_factory):
    """Every xueji validate / reconcile / compare / photos run records itself in the check history (default
    ./reports): the tests' runs go to a folder of their own, never into the checkout's reports/."""
    folder = tmp_path_factory.mktemp("history")
    old = os.environ.get("XUEJI_HISTORY")
    os.environ["XUEJI_HISTORY"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("XUEJI_HISTORY", None)
    else:
        os.environ["XUEJI_HISTORY"] = old
