"""What the report notebooks (``xueji_lib/notebooks/*.ipynb``) call from inside their kernel: load their inputs,
tell the run their record counts (for the manifest), and shape result objects for display. They compute
nothing new.

    >>> from xueji_lib.reporting import notebook as rp
    >>> o = rp.load_roster("data_samples/k12/学生名单_2025秋.xlsx", progress=False)
    >>> rp.count(o), rp.columns(o)[:3]
    (1442, ['XXBSM', 'XXMC', 'XJH'])
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..core.progress import ProgressArg

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from IPython.display import HTML

    from ..io.source import ListSource
    from ..matching.reconcile import ReconcileResult
    from ..schema.layouts import Layout

__all__ = ["COUNTS_FILE", "record_counts", "load_input", "load_roster", "count", "columns", "status_by", "plotly_html"]

COUNTS_FILE = "_counts.json"  # where ``record_counts`` leaves the input counts for the run's manifest


def record_counts(out_dir: str | os.PathLike, **counts: int) -> None:
    """Called by a notebook: the record count of each input (by parameter name), for the manifest."""
    path = Path(out_dir) / COUNTS_FILE
    old = json.loads(path.read_text("utf-8")) if path.exists() else {}
    new = {**old, **{k: int(v) for k, v in counts.items()}, "_python": sys.executable}
    path.write_text(json.dumps(new), "utf-8")


def load_input(path: str | os.PathLike | None, progress: ProgressArg = True) -> pd.DataFrame | None:
    """A report input by its extension: DBF with read_dbf, Excel/CSV with read_table; None stays None.
    Progress shows in the notebook while it runs (left out of the exported HTML)."""
    if not path:
        return None
    from ..io.tables import load_file

    return load_file(path, progress=progress)


def status_by(result: ReconcileResult, registration: pd.DataFrame, column: str = "ZYMC") -> pd.DataFrame:
    """Registration statuses counted per value of ``column`` (专业 by default): one row per value."""
    from ..matching.reconcile import STATUS_ZH

    reg = result.registration
    group = registration[column].iloc[reg["row"].to_numpy() - 1].astype("str").fillna("").str.strip()
    group = group.mask(group == "", "（空）").to_numpy()
    table = pd.crosstab(
        pd.Series(group, name=column), pd.Series(reg["status"].map(STATUS_ZH).to_numpy(), name="核对结果")
    )
    table.index.name = {"ZYMC": "专业", "YXMC": "院系", "XSH": "院系"}.get(column, column)
    return table


def plotly_html(fig: go.Figure) -> HTML:
    """A plotly figure as HTML with plotly.js inlined (drawn in the exported HTML, offline)."""
    from IPython.display import HTML

    return HTML(fig.to_html(include_plotlyjs=True, full_html=False, config={"displaylogo": False}))


# ------------------------------------------------------------------ 学籍统计报告 / 学籍变动报告 helpers


def load_roster(
    path: str | os.PathLike | None,
    layout: str | os.PathLike | Layout | None = "k12_student",
    progress: ProgressArg = True,
) -> pd.DataFrame | Path | None:
    """A roster input: DBF as is, Excel/CSV read with ``layout`` (中文表头 → 字段代码); None stays None; a
    folder converted by ``xueji parquet`` stays a path — compare and the statistics have the engine read it
    (nothing is loaded into the kernel). Progress shows in the notebook while it runs (left out of the
    exported HTML)."""
    if not path:
        return None
    from ..io.parquet import is_parquet_folder
    from ..io.tables import load_file

    if is_parquet_folder(path):
        return Path(path)
    return load_file(path, layout, progress=progress)


def count(data: pd.DataFrame | ListSource | str | os.PathLike | None) -> int | None:
    """Records of a loaded input or of a converted folder (None for None)."""
    if data is None:
        return None
    from ..io.source import ListSource

    return ListSource.of(data).count


def columns(data: pd.DataFrame | ListSource | str | os.PathLike) -> list:
    """Column names of a loaded input or of a converted folder."""
    from ..io.source import ListSource

    return ListSource.of(data).columns
