"""The package's YAML data (layouts, code tables, rules) read with libyaml's loader when PyYAML has it (its wheels
for Windows and Linux do): about 6× faster than the pure-Python SafeLoader, which a first command otherwise pays
for inside its own timing; the same safe subset and the same values (tests/test_layouts_codes.py)."""

from __future__ import annotations

from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)`` through libyaml when available.

    >>> safe_load("a: [1, 二]")
    {'a': [1, '二']}
    """
    return yaml.load(text, Loader=LOADER)  # noqa: S506 — a safe loader (CSafeLoader or SafeLoader)
