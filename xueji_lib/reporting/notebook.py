"""What the report notebooks (``xueji_lib/notebooks/*.ipynb``) call from inside their kernel: load their inputs,
tell the run their record counts (for the manifest), and shape result objects for display. They compute
nothing new.

    >>> from xueji_lib.reporting import notebook as rp
    >>> o = rp.load_roster("data_samples/k12/学生名单_2025秋.xlsx", progress=False)
    >>> rp.count(o), rp.columns(o)[:3]
    (1442, ['XXBSM', 'XXMC', 'XJH'])

Every parameter, file name and data value a notebook writes into Markdown goes through ``md_text`` first: the
reader sees the text as typed, and nothing in it is read as HTML or Markdown (issue 14: no script, link or
image from a parameter).

    >>> rp.md_text("<script>alert(1)</script> [x](javascript:alert(1))")
    '&lt;script&gt;alert&#40;1&#41;&lt;&#47;script&gt; &#91;x&#93;&#40;javascript&#58;alert&#40;1&#41;&#41;'
"""

from __future__ import annotations

import json
import os
import re
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

__all__ = [
    "COUNTS_FILE",
    "md_text",
    "md_file_link",
    "record_counts",
    "load_input",
    "load_roster",
    "count",
    "columns",
    "status_by",
    "status_chart",
    "input_counts",
    "NOT_GIVEN",
    "plotly_html",
]

NOT_GIVEN = "未提供"  # an optional input that was not given, as a report's 读入文件 table says it

COUNTS_FILE = "_counts.json"  # where ``record_counts`` leaves the input counts for the run's manifest

# ASCII punctuation that HTML or Markdown (CommonMark, GFM, the math and URL plugins of nbconvert and
# JupyterLab) can read as syntax anywhere in a line: written as character references, which both read as the
# literal character and never as syntax. "." "-" "=" "%" "," "?" "@" are left as they are (readable text),
# except where they could open a block at the start of the value (a list, a heading underline).
_MD_ESCAPE = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    **{ch: f"&#{ord(ch)};" for ch in "'\\`*_{}[]()#+!|~:$^/;"},
}
_MD_SPECIAL = re.compile("[" + re.escape("".join(_MD_ESCAPE)) + "]")
_MD_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")  # line breaks, tabs, control characters
_MD_LINE_START = re.compile(r"^( +)|^(\d{1,9})([.)])|^[-=.]")  # indent: code; "1." "3)" "-": a list; "=": underline


def md_text(value: object) -> str:
    """``value`` (a parameter, a file name, a value from the data) as literal text inside a notebook's Markdown:
    HTML and Markdown syntax in it (tags, links, images, emphasis, code, math) is written so that it reads as
    the characters typed and nothing else; line breaks and control characters become one space, so the
    value stays inside the line it is put in. None is the empty string.

    >>> md_text("**示例大学** <b>")
    '&#42;&#42;示例大学&#42;&#42; &lt;b&gt;'
    """
    if value is None:
        return ""
    text = _MD_BREAKS.sub(" ", str(value))
    text = _MD_SPECIAL.sub(lambda m: _MD_ESCAPE[m.group()], text)
    return _MD_LINE_START.sub(_line_start, text)


def _line_start(m: re.Match) -> str:
    if m.group(1):
        return "&#32;" * len(m.group(1))
    digits, mark = m.group(2), m.group(3) or m.group()
    return f"{digits or ''}&#{ord(mark)};"


def md_file_link(path: str | os.PathLike) -> str:
    """A Markdown link to a file in the report's folder, shown by its name: ``[名字](名字)`` with the name as
    literal text and the target percent-encoded (":" too), so it is always relative, never a scheme such as
    ``javascript:``.

    >>> md_file_link("out/资格有误.dbf")
    '[资格有误.dbf](%E8%B5%84%E6%A0%BC%E6%9C%89%E8%AF%AF.dbf)'
    """
    from urllib.parse import quote

    name = Path(path).name
    return f"[{md_text(name)}]({quote(name, safe='')})"


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


def status_chart(table: pd.DataFrame, title: str = "注册上报核对结果（按专业）") -> go.Figure:
    """``status_by``'s table as a stacked bar chart (one bar per 专业, one colour per 核对结果), drawn by
    ``display.figure``: more than 30 专业 → the 30 largest, the title giving the sums of the rest; horizontal
    bars from 13 专业 on, so every name stays readable."""
    from ..core.result import ChartSpec
    from .display import figure

    spec = ChartSpec(
        title,
        [str(v) for v in table.index],
        {str(c): table[c].astype("int64").tolist() for c in table.columns},
        barmode="stack",
        category_title=str(table.index.name or ""),
        value_title="人数",
        legend="核对结果",
    )
    return figure(spec)


def input_counts(**inputs: object) -> pd.DataFrame:
    """文件 | 记录数, one row per input (its Chinese name → the loaded input, a converted folder, or None):
    the record count, or 未提供 for an input not given (never <NA> or nan).

    >>> rp.input_counts(本期名单=pd.DataFrame({"XM": ["张三", "李四"]}), 上期名单=None).values.tolist()
    [['本期名单', 2], ['上期名单', '未提供']]
    """
    return pd.DataFrame(
        {
            "文件": list(inputs),
            "记录数": pd.Series([NOT_GIVEN if v is None else count(v) for v in inputs.values()], dtype=object),
        }
    )


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
