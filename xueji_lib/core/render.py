"""A result as HTML, from what it declares (``summary()``, ``summary_frame()``, ``lists()``): the one HTML
renderer, used by a result's ``_repr_html_`` in a notebook and by ``reporting.display.to_html`` (which adds the
chart). It knows no result class: every result reads the same way. Every value is escaped; nothing refers
to another host.

    >>> from xueji_lib.core.render import table_html
    >>> table_html(pd.DataFrame({"结果": ["一致", "合计"], "记录数": [3, 3]})).count("<tr")
    3
"""

from __future__ import annotations

import html as _html
from collections.abc import Iterable
from typing import Protocol

import pandas as pd

from .labels import TOTAL

__all__ = ["STYLE", "SCROLL_ROWS", "MISSING_TEXT", "table_html", "result_html", "count_sentence"]

STYLE = """<style>
.xueji-result table.xueji-table { border-collapse: separate; border-spacing: 0; margin: .3em 0 1em;
  font-size: 90%; table-layout: auto; width: auto; max-width: none; }
.xueji-result table.xueji-table th, .xueji-result table.xueji-table td { border: 1px solid #ccc;
  border-width: 0 1px 1px 0; padding: .2em .55em; text-align: left; vertical-align: top; white-space: nowrap;
  line-height: 1.5; max-width: none; }
.xueji-result table.xueji-table tr > :first-child { border-left-width: 1px; }
.xueji-result table.xueji-table thead th { border-top-width: 1px; }
.xueji-result table.xueji-table td.num, .xueji-result table.xueji-table th.num { text-align: right; }
.xueji-result table.xueji-table td.long { white-space: normal; min-width: 18em; max-width: 40em; }
.xueji-result table.xueji-table th { background: #f3f3f3; font-weight: bold; }
.xueji-result table.xueji-table tr.xueji-total td { font-weight: bold; }
.xueji-result .xueji-scroll { max-height: 36em; overflow: auto; display: inline-block; max-width: 100%;
  border-top: 1px solid #ccc; border-bottom: 1px solid #ccc; margin: .3em 0 1em; }
.xueji-result .xueji-scroll table.xueji-table { margin: 0; }
.xueji-result .xueji-scroll table.xueji-table thead th { position: sticky; top: 0; z-index: 1; border-top-width: 0; }
.xueji-result .xueji-count, .xueji-result .xueji-chart-note { color: #555; margin: .2em 0; }
.xueji-result ul.xueji-lines { margin: .2em 0 .8em; padding-left: 1.4em; }
</style>"""


class _ShownList(Protocol):
    """What ``result_html`` reads of a declared list (``core.result.ResultList``)."""

    @property
    def title(self) -> str: ...

    @property
    def unit(self) -> str: ...

    @property
    def shown(self) -> bool: ...

    @property
    def total(self) -> int: ...

    def frame(self, rows: int | None = None, *, unmask: bool = False) -> pd.DataFrame: ...


class Shown(Protocol):
    """What ``result_html`` reads of a result: every ``core.result.Result`` is one (``core.result`` imports this
    module, so the type is described here rather than imported)."""

    def summary(self) -> str: ...

    def summary_frame(self) -> pd.DataFrame: ...

    def lists(self) -> Iterable[_ShownList]: ...


# what pandas and Python print for a missing value: never shown to a reader (an empty cell instead)
MISSING_TEXT = frozenset({"nan", "NaN", "<NA>", "None", "NaT", "<NaT>"})
SCROLL_ROWS = 25  # a table of more rows is shown in a box that scrolls, its header row staying in view


def _cell(v) -> tuple[str, str]:
    """(text, css class) of one cell: numbers right-aligned, missing empty, long text allowed to wrap."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "", ""
    if isinstance(v, bool):
        return ("是" if v else "否"), ""
    if isinstance(v, (int, float)) or hasattr(v, "dtype"):
        if isinstance(v, float) or getattr(getattr(v, "dtype", None), "kind", "") == "f":
            return f"{float(v):.2f}", "num"
        return str(v), "num"
    text = str(v)
    if text.strip() in MISSING_TEXT:
        return "", ""
    return text, ("long" if len(text) > 24 else "")


def _numeric(col: pd.Series) -> bool:
    """A column of numbers (its header is right-aligned like its cells)."""
    if getattr(col.dtype, "kind", "") in ("i", "u", "f"):
        return True
    if col.dtype == object and len(col):
        vals = col.dropna()
        return bool(len(vals)) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
    return False


def table_html(df: pd.DataFrame, scroll: bool | None = None) -> str:
    """The frame as a plain HTML table (escaped; never the index; every row): text left-aligned and kept on one
    line, numbers right-aligned, missing values empty (never nan / <NA> / None), long text (over 24 characters)
    wrapped; rows whose first labels hold 合计 in bold. ``scroll`` (None: when the frame has more than
    ``SCROLL_ROWS`` rows) puts the table in a box of limited height that scrolls, its header row kept in view:
    plain CSS, no script, so it works in an offline HTML file."""
    frame = df
    if not isinstance(df.index, pd.RangeIndex):  # a named index (专业 of a crosstab) is a column; a bare one is not
        frame = df.reset_index(drop=not any(n is not None for n in df.index.names))
    num = [_numeric(frame.iloc[:, i]) for i in range(frame.shape[1])]
    head = "".join(
        f'<th class="num">{_html.escape(str(c))}</th>' if n else f"<th>{_html.escape(str(c))}</th>"
        for c, n in zip(frame.columns, num)
    )
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = [_cell(v) for v in row]
        total = any(t == TOTAL for t, _ in cells[:3])
        tds = "".join(
            f'<td class="{c}">{_html.escape(t)}</td>' if c else f"<td>{_html.escape(t)}</td>" for t, c in cells
        )
        body.append(f'<tr class="xueji-total">{tds}</tr>' if total else f"<tr>{tds}</tr>")
    table = (
        f'<table class="xueji-table"><thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(body) + "\n</tbody></table>"
    )
    if scroll is None:
        scroll = len(frame) > SCROLL_ROWS
    return f'<div class="xueji-scroll">{table}</div>' if scroll else table


def count_sentence(total: int, shown: int, unit: str = "条") -> str:
    """共 N 条 / 共 N 条，全部列出 / 共 N 条，下表为前 n 条。"""
    if total == 0 or not shown:
        return f"共 {total} {unit}。"
    if total <= shown:
        return f"共 {total} {unit}，全部列出。"
    return f"共 {total} {unit}，下表为前 {shown} {unit}。"


def result_html(result: Shown, rows: int = 10, unmask: bool = False, chart_html: str = "") -> str:
    """A self-contained HTML fragment: the title (the summary's first line), the summary table, the other
    summary lines, the first ``rows`` rows of each list shown in short views (with how many the list has), and
    ``chart_html`` when given. Personal values masked unless ``unmask``."""
    lines = result.summary().splitlines()
    parts = ['<div class="xueji-result">', STYLE]
    if lines:
        parts.append(f'<h4 class="xueji-title">{_html.escape(lines[0])}</h4>')
    parts.append(table_html(result.summary_frame()))
    if len(lines) > 1:
        parts.append(
            '<ul class="xueji-lines">'
            + "".join(f"<li>{_html.escape(x.strip())}</li>" for x in lines[1:] if x.strip())
            + "</ul>"
        )
    for lst in result.lists():
        if not lst.shown:
            continue
        frame = lst.frame(rows, unmask=unmask)
        count = count_sentence(lst.total, len(frame), lst.unit)
        parts.append(f'<h5 class="xueji-list">{_html.escape(lst.title)}</h5><p class="xueji-count">{count}</p>')
        if len(frame):
            parts.append(table_html(frame))
    if chart_html:
        parts.append(chart_html)
    parts.append("</div>")
    return "\n".join(parts)
