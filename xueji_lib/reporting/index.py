"""The run index: ``<out_root>/index.html``, one standalone Chinese page listing every report run under
``out_root`` (newest first) from the runs' manifest.json files. ``run_report`` rewrites it after every run.

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

__all__ = ["write_index", "OUTCOME_ZH"]

_RUN_FOLDER = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}(?:-failed)?")
OUTCOME_ZH = {"succeeded": "成功", "failed": "失败"}


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
        date = started.replace("T", " ")[:19] if "T" in started else started
        params = m.get("parameters") if isinstance(m.get("parameters"), dict) else {}
        inputs = m.get("inputs") if isinstance(m.get("inputs"), dict) else {}
        shown = "<br>".join(f"{escape(k)}：{escape(v)}" for k, v in _described(m, params, inputs))
        secs = m.get("duration_seconds")
        label = OUTCOME_ZH.get(outcome, "未知")
        err = f'<div class="err">{escape(str(m["error"]))}</div>' if m.get("error") else ""
        rows.append(
            f'<tr class="{escape(outcome)}"><td>{escape(date)}</td><td>{escape(report)}</td>'
            f'<td>{shown or "（无）"}</td><td class="o">{label}{err}</td>'
            f"<td>{f'{secs:.1f} 秒' if isinstance(secs, (int, float)) else ''}</td>"
            f'<td><a href="{escape(_href(rel))}/{target}">{"打开报告" if target == "report.html" else "执行记录"}</a>'
            f"</td></tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="6">还没有报告。</td></tr>'
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>报告索引</title>
<style>
body {{ font-family: "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ccc; padding: .4em .7em; vertical-align: top; }}
th {{ background: #f0f0f0; }} tr.failed td.o {{ color: #b00; font-weight: bold; }}
tr.succeeded td.o {{ color: #070; }} .err {{ font-weight: normal; font-size: 85%; max-width: 40em; }}
</style></head><body>
<h1>报告索引</h1>
<p>共 {len(runs)} 次运行（最新的在前）。更新时间：{datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")}</p>
<table><thead><tr><th>运行时间</th><th>报告</th><th>参数</th><th>结果</th><th>用时</th><th>链接</th></tr></thead>
<tbody>
{body}
</tbody></table></body></html>
"""
    return write_atomic_text(root / "index.html", page)
