"""The standard statistics tables."""
