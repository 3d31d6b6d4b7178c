"""The CJK font the printed forms embed: a subset of Noto Sans CJK SC (SIL Open Font License 1.1, ``OFL.txt``
beside this file), so a PDF prints the same on a machine with no Chinese font installed.

``FONT_PATH`` is the TrueType file; ``python -m xueji_lib.reporting.fonts.build`` rebuilds it from the
Noto Sans CJK collection (what it covers and why: ``build.py``).
"""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).parent
FONT_FILE = "NotoSansCJKsc-Xueji.ttf"
FONT_PATH = FONT_DIR / FONT_FILE
LICENSE_PATH = FONT_DIR / "OFL.txt"

__all__ = ["FONT_DIR", "FONT_FILE", "FONT_PATH", "LICENSE_PATH"]
