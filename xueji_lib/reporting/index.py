"""The run index: ``<out_root>/index.html``, one standalone Chinese page listing every report run under
``out_root`` (newest first) from the runs' manifest.json files. ``run_report`` rewrites it after every run, and
so does every ``xueji validate / reconcile / compare / photos`` run (``reporting.history``): their runs are
listed too, with their result counts and a link to their output folder, and above the list one chart and table
per count (数据有误 / 资格有误 / 疑似流失) per school over the runs, so a bureau sees which schools get better.
Every value on the page comes from a manifest and is escaped; a manifest that cannot be read is shown as
unknown and never charted.

    >>> from xueji_lib.reporting.index import write_index
    >>> write_index("reports")                       # doctest: +SKIP
    PosixPath('reports/index.html')
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

from ..core.files import write_atomic_text

__all__ = ["write_index", "OUTCOME_ZH", "CHECK_KINDS", "METRICS", "history_series"]

_RUN_FOLDER = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}(?:-failed)?")
OUTCOME_ZH = {"succeeded": "成功", "failed": "失败"}
# the check commands whose runs the index lists (reporting.history records them): command → (title in the
# 报告 column, the count per school charted or "", the parameter whose file names a run in the charts' tables)
CHECK_KINDS = {
    "validate": ("上传前校验（xueji validate）", "数据有误", "校验文件"),
    "reconcile": ("录取与注册核对（xueji reconcile）", "资格有误", "注册上报"),
    "compare": ("名单对比（xueji compare）", "疑似流失", "新名单"),
    "photos": ("照片核对（xueji photos）", "", "名单"),
}
METRICS = ("数据有误", "资格有误", "疑似流失")  # the per-school counts charted, in this order
_CHART_RUNS = 12  # the latest runs per chart and table
_CHART_SCHOOLS = 10  # the schools drawn in a chart (all are in its table)
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_METRIC_WORDS = {
    "数据有误": "上传前校验（xueji validate）中有错误的记录数",
    "资格有误": "录取与注册核对（xueji reconcile）中注册上报没有通过比对的记录数",
    "疑似流失": "名单对比（xueji compare）中减少了却没有异动记录的学生数",
}


def _href(rel: str) -> str:
    """A run folder's path as a relative link: the characters a URL reads as syntax (a scheme's ":", "#", "?",
    "%", "\\") percent-encoded, so a folder named like ``javascript:…`` is a folder, never a script link."""
    return "".join(f"%{ord(ch):02X}" if ch in ":#?%\\" else ch for ch in rel)


def _described(m: dict, params: dict, inputs: dict) -> list[tuple[str, str]]:
    """The parameters of one run as the index shows them: the manifest's ``shown_parameters`` (written by
    ``run_report``: only those that apply to the run, by their Chinese names, 学历类别 with its name); a
    manifest written before it had them: its parameters as they are, files by their name."""
    shown = m.get("shown_parameters")
    if isinstance(shown, list) and all(isinstance(x, list) and len(x) == 2 for x in shown):
        return [(str(k), str(v)) for k, v in shown]
    return [(str(k), Path(str(v)).name if k in inputs else str(v)) for k, v in params.items() if v not in (None, "")]


def write_index(out_root: str | os.PathLike = "reports") -> Path:
    """``<out_root>/index.html``: a standalone Chinese page listing every run folder under ``out_root``
    (newest first) with its date, report, the parameters that apply to it (in Chinese: 本期名单：学生名单.xlsx,
    名单类别：中小学; no 学历类别 for a 中小学 run) and outcome (from manifest.json), linking to
    report.html (or, for a failed run, to the executed notebook). Returns the path written.

    >>> from xueji_lib.reporting.report import write_index
    >>> write_index("reports")                       # doctest: +SKIP
    PosixPath('reports/index.html')
    """
    from html import escape

    root = Path(out_root)
    root.mkdir(parents=True, exist_ok=True)
    runs = []
    for report_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for folder in report_dir.iterdir():
            if not folder.is_dir() or not _RUN_FOLDER.fullmatch(folder.name):
                continue
            mpath = folder / "manifest.json"
            try:
                m = json.loads(mpath.read_text("utf-8"))
            except (OSError, ValueError):
                m = {}
            if not isinstance(m, dict):  # a manifest that is not a run's: shown as unknown, never trusted
                m = {}
            outcome = m.get("outcome") or ("failed" if folder.name.endswith("-failed") else "unknown")
            runs.append((str(m.get("started") or folder.name), report_dir.name, folder, m, str(outcome)))
    runs.sort(key=lambda r: (r[0], r[2].name), reverse=True)
    rows = []
    for started, report, folder, m, outcome in runs:
        rel = folder.relative_to(root).as_posix()
        target = "report.html" if (folder / "report.html").exists() else "report.ipynb"
        check = _check_command(m)
        date = started.replace("T", " ")[:19] if "T" in started else started
        params = m.get("parameters") if isinstance(m.get("parameters"), dict) else {}
        inputs = m.get("inputs") if isinstance(m.get("inputs"), dict) else {}
        shown = "<br>".join(f"{escape(k)}：{escape(v)}" for k, v in _described(m, params, inputs))
        secs = m.get("duration_seconds")
        label = OUTCOME_ZH.get(outcome, "未知")
        err = f'<div class="err">{escape(str(m["error"]))}</div>' if m.get("error") else ""
        if check:
            link = _output_link(m)
            err += _counts_html(m)
        else:
            link = (
                f'<a href="{escape(_href(rel))}/{target}">{"打开报告" if target == "report.html" else "执行记录"}</a>'
            )
        secs_ok = isinstance(secs, (int, float)) and not isinstance(secs, bool)
        rows.append(
            f'<tr class="{escape(outcome)}"><td>{escape(date)}</td><td>{escape(_check_title(check) or report)}</td>'
            f'<td>{shown or "（无）"}</td><td class="o">{label}{err}</td>'
            f"<td>{f'{secs:.1f} 秒' if secs_ok else ''}</td>"
            f"<td>{link}</td></tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="6">还没有报告。</td></tr>'
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>报告索引</title>
<style>
body {{ font-family: "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ccc; padding: .4em .7em; vertical-align: top; }}
th {{ background: #f0f0f0; }} tr.failed td.o {{ color: #b00; font-weight: bold; }}
tr.succeeded td.o {{ color: #070; }} .err {{ font-weight: normal; font-size: 85%; max-width: 40em; }}
.counts {{ color: #222; font-weight: normal; font-size: 85%; }} .gone {{ color: #888; }}
.better {{ color: #070; }} .worse {{ color: #b00; font-weight: bold; }} td.n {{ text-align: right; }}
.legend span {{ display: inline-block; margin-right: 1.2em; }} .legend i {{ display: inline-block; width: 1.6em;
 height: .35em; vertical-align: middle; margin-right: .3em; }} svg.chart text {{ font-size: 11px; fill: #333; }}
</style></head><body>
<h1>报告索引</h1>
<p>共 {len(runs)} 次运行（最新的在前）。更新时间：{datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")}</p>
{_history_html(runs)}
<h2>全部运行</h2>
<table><thead><tr><th>运行时间</th><th>报告</th><th>参数</th><th>结果</th><th>用时</th><th>链接</th></tr></thead>
<tbody>
{body}
</tbody></table></body></html>
"""
    return write_atomic_text(root / "index.html", page)


# ------------------------------------------------------------------------------------------ check runs


def _check_command(m: dict) -> str:
    """The check command a manifest records (validate / reconcile / compare / photos), or "" (a report run,
    or a manifest that says something else)."""
    command = m.get("command")
    return command if m.get("kind") == "check" and isinstance(command, str) and command in CHECK_KINDS else ""


def _check_title(command: str) -> str:
    return CHECK_KINDS[command][0] if command else ""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _counts_html(m: dict) -> str:
    """A check run's result counts (数据有误 16 · 记录 1437 …): only [text, non-negative int] pairs."""
    from html import escape

    counts = m.get("counts")
    if not isinstance(counts, list):
        return '<div class="counts">计数：未知</div>'
    parts = [
        f"{escape(str(c[0]))} {c[1]}"
        for c in counts
        if isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) and _int(c[1]) is not None
    ]
    return f'<div class="counts">{" · ".join(parts) or "计数：未知"}</div>'


def _output_link(m: dict) -> str:
    """A link to a check run's output folder (a file:// address of an absolute folder that exists: never
    another scheme); said when it is gone or was overwritten by a later run of the same command."""
    import hashlib
    from html import escape

    out = m.get("output") if isinstance(m.get("output"), dict) else {}
    folder = out.get("folder")
    if not isinstance(folder, str) or not folder or not Path(folder).is_absolute():
        return '<span class="gone">（结果目录未知）</span>'
    path = Path(folder)
    try:
        if not path.is_dir():
            return '<span class="gone">结果目录已不在</span>'
        href = path.resolve().as_uri()
        summary = path / "summary.json"
        same = summary.is_file() and hashlib.sha256(summary.read_bytes()).hexdigest() == out.get("summary_sha256")
    except (OSError, ValueError):
        return '<span class="gone">（结果目录未知）</span>'
    note = "" if same else '<div class="gone">已被之后的运行更新</div>'
    return f'<a href="{escape(href)}/">结果目录</a>{note}'


def history_series(runs: list) -> dict[str, dict]:
    """Per metric (数据有误 / 资格有误 / 疑似流失): ``{"runs": [(folder name, started, label), …] oldest first,
    "schools": {school: [count or None per run]}}`` from the check runs among ``runs`` (``write_index``'s
    (started, report, folder, manifest, outcome) tuples) whose manifest holds valid counts per school."""
    per: dict[str, list] = {k: [] for k in METRICS}
    for started, _report, folder, m, _outcome in runs:
        command = _check_command(m)
        by = m.get("by_school") if isinstance(m.get("by_school"), dict) else {}
        metric, counts = by.get("metric"), by.get("counts")
        if not command or metric != CHECK_KINDS[command][1] or metric not in per or not isinstance(counts, dict):
            continue
        clean = {str(k): _int(v) for k, v in counts.items() if isinstance(k, str)}
        if not clean or any(v is None for v in clean.values()):
            continue  # a count that is not a count: the run is listed, never charted
        shown = m.get("shown_parameters") if isinstance(m.get("shown_parameters"), list) else []
        named = [x[1] for x in shown if isinstance(x, list) and len(x) == 2 and x[0] == CHECK_KINDS[command][2]]
        first = named[0] if named else ""
        per[metric].append((str(started), folder.name, str(first), clean))
    out = {}
    for metric, items in per.items():
        if not items:
            continue
        items.sort(key=lambda r: (r[0], r[1]))
        items = items[-_CHART_RUNS:]
        schools = sorted({s for *_x, counts in items for s in counts})
        out[metric] = {
            "runs": [(name, started, label) for started, name, label, _ in items],
            "schools": {s: [counts.get(s) for *_x, counts in items] for s in schools},
        }
    return out


def _run_label(started: str) -> str:
    text = started.replace("T", " ")
    return text[5:16] if len(text) >= 16 and text[4] == "-" else text[:16]


def _history_html(runs: list) -> str:
    """The charts and tables per school over runs (empty when no check run is recorded)."""
    from html import escape

    series = history_series(runs)
    if not series:
        return ""
    parts = [
        "<h2>各校检查结果的变化</h2><p>每次运行 xueji validate / reconcile / compare 后更新：数字变小的学校在改进。</p>"
    ]
    for metric, data in series.items():
        schools, cols = data["schools"], data["runs"]
        head = "".join(
            f'<th data-run="{escape(name)}">{escape(_run_label(started))}<br><small>{escape(label)}</small></th>'
            for name, started, label in cols
        )
        body = []
        for school, values in schools.items():
            cells = "".join(f'<td class="n">{"" if v is None else v}</td>' for v in values)
            body.append(
                f'<tr data-school="{escape(school)}"><th>{escape(school)}</th>{cells}<td>{_trend(values)}</td></tr>'
            )
        totals = [sum(v for v in (vals[i] for vals in schools.values()) if v is not None) for i in range(len(cols))]
        total_cells = "".join(f'<td class="n">{t}</td>' for t in totals)
        parts.append(
            f'<h3>{escape(metric)}</h3><p class="counts">{escape(_METRIC_WORDS.get(metric, ""))}，按学校（最近 '
            f"{len(cols)} 次运行，空白为该次运行没有这所学校）。</p>"
            f"{_svg_chart(metric, data)}"
            f'<table class="history" data-metric="{escape(metric)}"><thead><tr><th>学校</th>{head}<th>最近变化</th>'
            f"</tr></thead><tbody>{''.join(body)}"
            f'<tr class="total"><th>合计</th>{total_cells}<td>{_trend(totals)}</td></tr></tbody></table>'
        )
    return "\n".join(parts)


def _trend(values: list) -> str:
    seen = [v for v in values if v is not None]
    if len(seen) < 2:
        return ""
    d = seen[-1] - seen[-2]
    if d < 0:
        return f'<span class="better">减少 {-d}</span>'
    if d > 0:
        return f'<span class="worse">增加 {d}</span>'
    return "持平"


def _svg_chart(metric: str, data: dict) -> str:
    """An inline SVG line chart (no script, nothing fetched): one line per school over the runs, the schools
    with the most in the latest runs first (at most ``_CHART_SCHOOLS``); every point has its title."""
    from html import escape

    cols, schools = data["runs"], data["schools"]
    ranked = sorted(schools, key=lambda s: [-(v or 0) for v in reversed(schools[s])] + [s])[:_CHART_SCHOOLS]
    w, h, left, right, top, bottom = 760, 260, 48, 44, 14, 46
    top_value = max([v for s in ranked for v in schools[s] if v is not None] + [1])
    raw = -(-top_value // 5)  # about five gridlines, on round numbers
    mag = 10 ** (len(str(raw)) - 1)
    step = next(k * mag for k in (1, 2, 5, 10) if k * mag >= raw)
    y_max = -(-top_value // step) * step
    n = len(cols)

    def x(i: int) -> float:
        return left + (w - left - right) * (0.5 if n == 1 else i / (n - 1))

    def y(v: float) -> float:
        return top + (h - top - bottom) * (1 - v / y_max)

    out = [
        f'<svg class="chart" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(metric)}：按学校的变化</title>'
    ]
    for k in range(0, y_max + 1, step):
        out.append(
            f'<line x1="{left}" x2="{w - right}" y1="{y(k):.1f}" y2="{y(k):.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(k) + 4:.1f}" text-anchor="end">{k}</text>'
        )
    for i, (_name, started, _label) in enumerate(cols):
        out.append(
            f'<text x="{x(i):.1f}" y="{h - bottom + 16}" text-anchor="middle">{escape(_run_label(started))}</text>'
        )
    legend = []
    for j, school in enumerate(ranked):
        color = _COLORS[j % len(_COLORS)]
        pts = [(i, v) for i, v in enumerate(schools[school]) if v is not None]
        segment: list[str] = []
        for (i, v), nxt in zip(pts, [*pts[1:], None]):
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            if nxt is None or nxt[0] != i + 1:
                if len(segment) > 1:
                    out.append(
                        f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(segment)}"/>'
                    )
                segment = []
        for i, v in pts:
            out.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(school)} {escape(_run_label(cols[i][1]))}：{v}</title></circle>"
            )
        legend.append(f'<span><i style="background:{color}"></i>{escape(school)}</span>')
    more = f"<span>（另有 {len(schools) - len(ranked)} 所见下表）</span>" if len(schools) > len(ranked) else ""
    out.append("</svg>")
    return "".join(out) + f'<div class="legend">{"".join(legend)}{more}</div>'
