"""Words every layer uses the same way (one place each)."""

__all__ = ["TOTAL"]

TOTAL = "合计"  # the last row of every table whose rows add up, and of every count summary
