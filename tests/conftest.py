"""Fixtures shared by several test modules."""

from tests.spark_cluster import spark_cluster  # noqa: F401  (session-scoped: one Spark cluster per test run)
