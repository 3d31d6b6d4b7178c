"""How a result reads to a person: the one place that turns a result object into tables, a chart, HTML and
text for a notebook, a report or a dashboard. Rendering only: every number comes from the object itself
(``counts``, ``to_dict()``, its frames); nothing is computed anew.

    >>> import xueji_lib as xj
    >>> from xueji_lib import display as xd
    >>> res = xj.reconcile(adm, reg, year=2026, states=states)     # doctest: +SKIP
    >>> xd.summary_frame(res)          # 名单 | 结果 | 记录数, each side ending in 合计 = its record count  # doctest: +SKIP
    >>> xd.list_frames(res)["资格有误"]  # the first 10 rows, Chinese headers, personal fields masked  # doctest: +SKIP
    >>> xd.chart(res)                  # a plotly Figure (JupyterLab draws it through plotly's mimetype)  # doctest: +SKIP
    >>> html = xd.to_html(res)         # summary + lists + a plotly div, no plotly.js, no outside host  # doctest: +SKIP
    >>> print(res)                     # == xd.to_text(res) == res.summary()                            # doctest: +SKIP

Every result (``core.result.Result``: ValidationResult, ReconcileResult, CompareResult, HandoffResult,
StatsResult, PhotoResult, LoadReport) declares its summary table, its lists and its chart's data; this module
only renders those declarations and knows no result class. A result's ``_repr_html_`` is
``core.render.result_html`` (= ``to_html(result, chart=False)``), so a result as the last expression of a
notebook cell shows its summary and lists.

Charts and where they draw. A notebook output is one MIME bundle, and the front end shows one type from it:
JupyterLab 4 ranks plotly's ``application/vnd.plotly.v1+json`` above ``text/html``, so tables and a chart
cannot share one output. A plotly div without plotly.js draws nothing in a fresh JupyterLab 4 session:
plotly.js lives inside the jupyterlab-plotly renderer, which sets ``window.Plotly`` only once it has drawn a
plotly output (seen in JupyterLab 4.6 with plotly 7.1 — a side effect, not an interface to rely on); and
scripts in HTML outputs only run in trusted notebooks. Hence:

- notebooks (JupyterLab 4): the result's own display is HTML tables only (no script, renders anywhere,
  also when the notebook is reopened untrusted or viewed on a code host); put ``xd.chart(res)`` in its own
  cell: the Figure is drawn by plotly's mimetype renderer — nothing fetched, nothing inlined.
- reports exported by nbconvert (``xueji_lib.reporting.report``): the report notebook shows ``xd.chart(res)`` through
  ``report.plotly_html`` (plotly.js inlined once per chart), because nbconvert's HTML cannot use the
  mimetype renderer and the report must work offline.
- HTML pages that already load plotly.js (a Voila dashboard, a report page): ``to_html(res)`` embeds the chart
  as a plotly div with ``include_plotlyjs=False``. Its script draws when ``window.Plotly`` is present — also
  when plotly.js is inlined later in the page (it waits for the page's load event) — and otherwise leaves a
  one-line note where the chart would be. It never refers to another host.

Masking: columns holding personal fields (身份证号, 学籍号, phone, address: every field code
``privacy.DEFAULT_PERSONAL`` covers, and the ``key`` column when the key field is one of them) are masked with
``xueji_lib.core.privacy`` unless ``unmask=True``. Sentences (reasons, messages) are masked by the function that
wrote them (validate, check_photos always; reconcile holds no personal values; compare/handoff unless called
with ``unmask=True``). For a compare/handoff result computed with ``unmask=True`` the sentences are masked
here too (ID-shaped numbers, mobile numbers, the values after a personal field's name). ``unmask=True`` here
cannot show what the result itself holds only masked.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import pandas as pd

from ..core.labels import TOTAL
from ..core.render import SCROLL_ROWS as SCROLL_ROWS_
from ..core.render import STYLE, result_html, table_html
from ..core.result import ChartSpec, Result

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["summary_frame", "list_frames", "chart", "table", "to_html", "to_text", "school_frame"]

CHART_HEIGHT = 450
TOP_N = 30  # a chart of more categories (1,005 schools) shows the 30 largest; the title gives the rest's sums
HORIZONTAL_FROM = 13  # a chart of this many categories or more lays its bars out horizontally (names readable)
MAX_ROWS = 50_000  # a report table of more rows shows this many; the workbook holds them all
_COUNTER = {"学校": "所", "毕业学校": "所", "专业": "个", "院系": "个"}  # 其余 975 所学校, 其余 40 个专业


def _result(result) -> Result:
    if not isinstance(result, Result):
        raise TypeError(
            f"不能显示 {type(result).__name__}：display 只认识 xueji_lib 的结果对象"
            "（ValidationResult、ReconcileResult、CompareResult、HandoffResult、StatsResult、PhotoResult、"
            "LoadReport）"
        )
    return result


def summary_frame(result: Result) -> pd.DataFrame:
    """The counts that add up, with Chinese labels: the result's own ``summary_frame()``. Reconcile, compare,
    handoff and photos: 名单 | 结果 | 记录数 (数量), each list ending in 合计 = its record count. Validation:
    项目 | 说明 | 记录数 | 处数, per rule, per severity, then 通过校验 + 有误 = 合计. Statistics: 项目 | 数值 | 说明.

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> xd.summary_frame(res).head(3).values.tolist()
    [['注册上报', '一致', 986], ['注册上报', '关键字段不一致', 5], ['注册上报', '录取数据中没有', 1]]
    """
    return _result(result).summary_frame()


def school_frame(result: Result) -> pd.DataFrame:
    """按学校的变动 of a CompareResult (its ``school_frame()``): one row per school (学校标识码, 学校): 上期人数,
    本期人数, 增减, 减少, 其中疑似流失, 新增, 其中来源不明, 调动, 信息变化, 重复; last row 合计.

    >>> res = xj.compare(xj.read_table("data_samples/k12/学生名单_2025秋.xlsx", "k12_student"), xj.read_table("data_samples/k12/学生名单_2026春.xlsx", "k12_student"),
    ...                  changes=xj.read_table("data_samples/k12/学籍异动_2026春.xlsx", "k12_changes"))
    >>> xd.school_frame(res).tail(1)[["学校", "上期人数", "本期人数", "增减", "其中疑似流失"]].values.tolist()
    [['合计', 1442, 1437, -5, 5]]
    """
    if not hasattr(result, "school_frame"):
        raise TypeError("school_frame 只用于名单对比结果（CompareResult）")
    return result.school_frame()


def list_frames(result: Result, rows: int = 10, unmask: bool = False) -> dict[str, pd.DataFrame]:
    """The first ``rows`` rows of each list the result declares for short views (资格有误, 未注册, 问题明细, 疑似流失,
    …), under the declared Chinese headers; personal fields masked unless ``unmask``. Each frame's
    ``attrs["total"]`` is the number of rows of the whole list.

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> lists = xd.list_frames(res, rows=5)
    >>> list(lists), lists["资格有误"].attrs["total"], len(lists["资格有误"])
    (['资格有误', '未注册'], 9, 5)
    """
    return _result(result).list_frames(rows, unmask)


def chart(result: Result) -> go.Figure | None:
    """The result's standard chart (its ``chart_spec()``) as a plotly Figure, or None: reconcile — records per
    result on each side; compare — changes per school; handoff — graduates per school and result; validation —
    findings per rule (the 15 most frequent); statistics — the first table; photos — problems per rule. Chinese
    titles. A chart of more than 30 categories (1,005 schools) shows the 30 largest, its title giving the sums
    of the rest (其余 975 所学校合计：…); 13 or more categories are drawn as horizontal bars. Never shown here (as a cell's last expression JupyterLab draws it through plotly's mimetype).

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> fig = xd.chart(res)           # in JupyterLab: the last expression of its own cell
    >>> fig.layout.title.text
    '核对结果：各结果的记录数（注册上报、录取数据）'
    """
    spec = _result(result).chart_spec()
    return None if spec is None else figure(spec)


def top_categories(spec: ChartSpec, n: int = TOP_N) -> ChartSpec:
    """``spec`` with at most ``n`` categories: when it has more (1,005 schools), the ``n`` with the largest sum
    over the series, largest first; the title says how many there are and gives the sums of the others
    (其余 975 所学校合计：…) on a second line — as words, not as one more bar, which would dwarf the bars of
    single schools. A spec of ``n`` categories or fewer is returned as it is.

    >>> s = ChartSpec("各校人数", [f"学校{i}" for i in range(40)], {"人数": list(range(40))}, category_title="学校")
    >>> t = top_categories(s, 5)
    >>> t.categories, t.series["人数"]
    (['学校39', '学校38', '学校37', '学校36', '学校35'], [39, 38, 37, 36, 35])
    >>> t.title
    '各校人数（共 40 所学校，图中为合计最多的 5 所）<br><sup>其余 35 所学校合计：人数 595</sup>'
    """
    cats = list(spec.categories)
    if len(cats) <= n:
        return spec
    series = {k: [int(v) for v in vals] for k, vals in spec.series.items()}
    sums = [sum(vals[i] for vals in series.values()) for i in range(len(cats))]
    order = sorted(range(len(cats)), key=lambda i: (-sums[i], i))
    keep, rest = order[:n], order[n:]
    what = spec.category_title or "项"
    unit = _COUNTER.get(spec.category_title, "个" if spec.category_title else "")
    rest_sums = "，".join(f"{k} {sum(vals[i] for i in rest)}" for k, vals in series.items())
    return ChartSpec(
        f"{spec.title}（共 {len(cats)} {unit}{what}，图中为合计最多的 {n} {unit}）"
        f"<br><sup>其余 {len(rest)} {unit}{what}合计：{rest_sums}</sup>",
        [str(cats[i]) for i in keep],
        {k: [vals[i] for i in keep] for k, vals in series.items()},
        horizontal=spec.horizontal,
        barmode=spec.barmode,
        category_title=spec.category_title,
        value_title=spec.value_title,
        legend=spec.legend,
    )


def figure(spec: ChartSpec, top: int | None = TOP_N) -> go.Figure:
    """A ``ChartSpec`` as a plotly bar Figure (values as labels on the bars). More than ``top`` categories:
    the ``top`` largest, the rest summed in the title (``top_categories``); 13 categories or more: horizontal bars,
    the figure as tall as its bars need, so every name stays readable."""
    import plotly.graph_objects as go

    if top:
        spec = top_categories(spec, top)
    n = len(spec.categories)
    horizontal = spec.horizontal or n >= HORIZONTAL_FROM
    height = CHART_HEIGHT
    if horizontal and n >= HORIZONTAL_FROM:
        per = 26 if spec.barmode in ("stack", "relative", "overlay") else 8 + 12 * max(1, len(spec.series))
        height = max(CHART_HEIGHT, min(2400, 160 + per * n))
    fig = go.Figure()
    for name, values in spec.series.items():
        values = [int(v) for v in values]
        if horizontal:
            fig.add_trace(
                go.Bar(
                    y=list(spec.categories),
                    x=values,
                    name=name,
                    orientation="h",
                    text=values,
                    textposition="auto",
                    textangle=0,
                )
            )
        else:
            fig.add_trace(go.Bar(x=list(spec.categories), y=values, name=name, text=values, textposition="auto"))
    fig.update_layout(
        title=spec.title,
        barmode=spec.barmode,
        legend_title_text=spec.legend,
        height=height,
        xaxis_title=spec.category_title if not horizontal else spec.value_title,
        yaxis_title=spec.value_title if not horizontal else spec.category_title,
    )
    if "<br>" in spec.title:  # a second title line (the rest's sums): room above the plot
        fig.update_layout(margin={"t": 110})
    if horizontal:
        fig.update_yaxes(autorange="reversed", automargin=True, type="category")
    else:
        fig.update_xaxes(automargin=True, type="category")
    return fig


class Table:
    """A table as a report shows it (``table(frame)``): every row, no index, Chinese text aligned; drawn by
    its ``_repr_html_`` (a cell's last expression, or ``display(...)``). ``frame`` is the frame shown."""

    def __init__(self, frame: pd.DataFrame, html: str, note: str = "") -> None:
        self.frame, self.html, self.note = frame, html, note

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.note or f"表格：{len(self.frame)} 行 × {self.frame.shape[1]} 列"

    def __len__(self) -> int:
        return len(self.frame)


def table(
    frame: pd.DataFrame,
    workbook: str = "",
    sheet: str = "",
    *,
    unit: str = "行",
    max_rows: int = MAX_ROWS,
    empty: str = "（无）",
) -> Table:
    """``frame`` as a report table: all its rows (up to ``max_rows``), no index column (a named index, as a
    crosstab's, becomes the first column), text left and numbers right, 姓名 and other short values on one
    line; missing values empty (never nan / <NA> / None). A table of more than 25 rows sits in a box that
    scrolls with its header row in view (plain CSS: works offline) under a line saying how many rows it has
    and, given ``workbook`` (and ``sheet``), where the complete table is. An empty frame: ``empty``.

    >>> t = xd.table(pd.DataFrame({"学校": [f"学校{i}" for i in range(100)], "人数": range(100)}), "tables.xlsx", "按学校")
    >>> t.note
    '共 100 行，表格可上下滚动；完整表格见 tables.xlsx（工作表“按学校”）。'
    >>> "rows ×" in t._repr_html_(), t._repr_html_().count("<tr>")
    (False, 101)
    """
    from html import escape

    if len(frame) == 0:
        note = empty
        return Table(frame, f'<div class="xueji-result">{STYLE}<p class="xueji-count">{escape(empty)}</p></div>', note)
    body = frame
    has_total = any(str(v) == TOTAL for v in frame.iloc[-1, :3].tolist())
    n = len(frame) - int(has_total)
    where = ""
    if workbook:
        where = f"完整表格见 {workbook}" + (f"（工作表“{sheet}”）" if sheet else "") + "。"
    note = ""
    if len(frame) > max_rows:
        body = frame.iloc[:max_rows]
        note = f"共 {n} {unit}{'（另有合计行）' if has_total else ''}，下表为前 {max_rows} {unit}；" + (
            where or "完整表格见本报告的表格文件。"
        )
    elif len(frame) > SCROLL_ROWS_:
        note = f"共 {n} {unit}{'（另有合计行）' if has_total else ''}，表格可上下滚动；" + (where or "")
        note = note.rstrip("；") + ("" if where else "。")
    parts = ['<div class="xueji-result">', STYLE]
    if note:
        parts.append(f'<p class="xueji-count">{escape(note)}</p>')
    parts.append(table_html(body))
    parts.append("</div>")
    return Table(frame, "\n".join(parts), note)


def to_text(result: Result) -> str:
    """The summary as plain text: the object's own ``summary()`` (what ``print(result)`` prints).

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> print(xd.to_text(res).splitlines()[1])
    注册上报 995 条 = 一致 986 + 关键字段不一致 5 + 录取数据中没有 1 + 考生号重复 2 + 缺考生号 1
    """
    return _result(result).summary()


def _chart_html(fig, height: int | None = None) -> str:
    """A plotly div without plotly.js (as ``include_plotlyjs=False``): drawn when the page has ``window.Plotly``
    (now, or by its load event when plotly.js comes later in the page); otherwise a note stays in its place."""
    import plotly.io as pio

    height = height or fig.layout.height or CHART_HEIGHT
    uid = "xueji-chart-" + uuid.uuid4().hex[:12]
    spec = pio.to_json(fig, validate=False, pretty=False).replace("</", "<\\/").replace("<!--", "<\\!--")
    config = json.dumps({"displaylogo": False, "responsive": True})
    return f"""<div class="xueji-chart">
<div id="{uid}" class="plotly-graph-div" style="width:100%;"></div>
<p id="{uid}-note" class="xueji-chart-note">（图表：本页没有载入 plotly.js，无法绘制。在 JupyterLab 中请运行
xueji_lib.reporting.display.chart(结果) 显示图表。）</p>
<script type="text/javascript">(function () {{
  var id = "{uid}", fig = {spec}, done = false;
  function draw() {{
    var el = document.getElementById(id);
    if (done || !el || !window.Plotly) return false;
    done = true;
    el.style.height = "{int(height)}px";
    window.Plotly.newPlot(el, fig.data, fig.layout, {config});
    var note = document.getElementById(id + "-note");
    if (note && note.parentNode) note.parentNode.removeChild(note);
    return true;
  }}
  if (!draw()) {{
    if (document.readyState !== "complete") window.addEventListener("load", draw);
    var tries = 0, timer = setInterval(function () {{ if (draw() || ++tries > 50) clearInterval(timer); }}, 100);
  }}
}})();</script>
</div>"""


def to_html(result: Result, rows: int = 10, unmask: bool = False, chart: bool = True) -> str:
    """A self-contained HTML fragment: the title, the summary table, the summary lines, the first ``rows`` rows
    of each list (with how many rows the list has), and — when ``chart`` and the result has one — the chart as
    a plotly div without plotly.js (drawn on pages that load plotly.js; see the module docstring). No reference
    to any other host. Personal fields masked unless ``unmask``.

    >>> res = xj.reconcile(xj.read_dbf("data_samples/hei/10_录取名单.dbf"), xj.read_dbf("data_samples/hei/10_注册上报.dbf"), year=2026, category="10")
    >>> page = xd.to_html(res, chart=False)
    >>> page.startswith('<div class="xueji-result">'), "http" in page
    (True, False)
    """
    res = _result(result)
    fig = globals()["chart"](res) if chart else None
    return result_html(res, rows=rows, unmask=unmask, chart_html=_chart_html(fig) if fig is not None else "")
