"""Which operation a pair of lists gets — the one dispatch the dashboards' catalogue and the 名单对比 page
share: admission ↔ registration → ``reconcile``, one roster ↔ a later one → ``compare``, one stage's
graduates ↔ the next stage's intake → ``handoff``.

    >>> from xueji_lib.matching.pairs import PAIR_KINDS, run_pair
    >>> PAIR_KINDS
    ('reconcile', 'compare', 'handoff')
    >>> res = run_pair("compare", old, new, changes, names=("2025秋", "2026春"))   # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..core.errors import XuejiError

if TYPE_CHECKING:
    import pandas as pd

    from ..io.source import ListSource
    from .compare_result import CompareResult, HandoffResult
    from .reconcile import ReconcileResult

__all__ = ["PAIR_KINDS", "PAIR_ROLES", "PAIR_ZH", "run_pair", "changes_layout_of"]

PAIR_KINDS = ("reconcile", "compare", "handoff")
# what the left, right and extra list of a pair are, per kind (the keys of a pair in xueji.yml)
PAIR_ROLES = {
    "reconcile": ("admission", "registration", "states"),
    "compare": ("old", "new", "changes"),
    "handoff": ("graduates", "intake", None),
}
PAIR_ZH = {"reconcile": "录取↔注册核对", "compare": "名单对比", "handoff": "毕业生↔新生去向"}


def changes_layout_of(changes: Any) -> str:
    """The layout of a change list by its columns: "hei_changes" (a university's 学籍异动: 学号 or 考生号, no
    学籍号) or "k12_changes" (the default, also when there is no list).

        >>> changes_layout_of(pd.DataFrame(columns=["XH", "XM", "YDLB", "YDRQ"])), changes_layout_of(None)
        ('hei_changes', 'k12_changes')
    """
    if changes is None:
        return "k12_changes"
    from ..io.source import ListSource

    cols = {str(c).strip().upper() for c in ListSource.of(changes).columns}
    return "hei_changes" if cols & {"XH", "KSH"} and "XJH" not in cols else "k12_changes"


def run_pair(
    kind: str,
    left: pd.DataFrame | ListSource | str | os.PathLike,
    right: pd.DataFrame | ListSource | str | os.PathLike,
    extra: pd.DataFrame | None = None,
    *,
    names: tuple[str, str] | None = None,
    year: int | None = None,
    category: str | None = None,
) -> ReconcileResult | CompareResult | HandoffResult:
    """The library's result for a pair of lists of ``kind`` (one of ``PAIR_KINDS``; ``PAIR_ROLES`` says what
    ``left``, ``right`` and ``extra`` are): ``reconcile(left, right, year=…, category=…, states=extra)``,
    ``compare(left, right, changes=extra)`` (a university's change list read with hei_changes:
    ``changes_layout_of``) or ``handoff(left, right)`` (which takes no third list: ``extra``
    is not used). ``names``: how the two lists are called in the result's sentences (compare and handoff;
    default: the functions' own). Another ``kind`` raises ``XuejiError``.

        >>> res = run_pair("reconcile", adm, reg, states, year=2026, category="10")   # doctest: +SKIP
        >>> res = run_pair("handoff", graduates, intake, names=("毕业生_2026", "新生_2026秋"))   # doctest: +SKIP
    """
    if kind == "reconcile":
        from .reconcile import reconcile

        return reconcile(left, right, year=year, category=category, states=extra)
    if kind == "compare":
        from .compare import compare

        return compare(
            left,
            right,
            changes=extra,
            changes_layout=changes_layout_of(extra),
            **({"old_name": names[0], "new_name": names[1]} if names else {}),
        )
    if kind == "handoff":
        from .handoff import handoff

        return handoff(left, right, **({"graduates_name": names[0], "intake_name": names[1]} if names else {}))
    raise XuejiError(f"不认识的对比方式 {kind!r}：只能是 " + "、".join(f"{k}（{PAIR_ZH[k]}）" for k in PAIR_KINDS))
