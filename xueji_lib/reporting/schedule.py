"""Scheduled report runs: ``xueji schedule 每周报表.yml`` runs a list of reports from a YAML file.

    - report: 新生注册核对报告
      out: reports                      # optional; relative to the YAML file's folder (default: reports)
      params:
        admission: data/*录取名单*.dbf    # a glob: the newest matching file (by mtime; ties by name)
        registration: data/*注册上报*.dbf
        year: 2026
        school_code: "00123"            # quoted: stays text

Relative paths and globs are resolved against the YAML file's folder, globs at run time. The whole file
is checked (report names, parameter names, required parameters, value types) before anything runs; then
the runs execute in order, a failing run is reported and the others still run.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import XuejiError
from ..core.extras import require_extra
from .report import REPORTS, ReportParameterError, _convert

__all__ = ["ScheduleError", "ScheduleRun", "ScheduleOutcome", "load_schedule", "run_schedule"]

_GLOB_CHARS = set("*?[")


class ScheduleError(XuejiError, ValueError):
    """The schedule file cannot be read or is not a valid list of runs (nothing was run)."""


@dataclass(frozen=True)
class ScheduleRun:
    position: int  # 1-based position in the file
    report: str
    params: dict
    out: Path


@dataclass
class ScheduleOutcome:
    position: int
    report: str
    ok: bool
    folder: Path | None = None
    error: str | None = None
    params: dict = field(default_factory=dict)  # the parameters as run (globs resolved)

    @property
    def label(self) -> str:
        return "成功" if self.ok else "失败"


def load_schedule(path: str | os.PathLike) -> list[ScheduleRun]:
    """Read and check the schedule file; raise ScheduleError listing every problem by the run's position."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ScheduleError(f"定时运行文件 {path} 不存在") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleError(f"定时运行文件 {path} 无法读取（{exc}）") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScheduleError(f"定时运行文件 {path} 不是有效的 YAML：{exc}") from None
    if not isinstance(data, list) or not data:
        raise ScheduleError(
            f"定时运行文件 {path} 应为一个运行列表（每项以“- report: 报告名”开头），"
            f"读到的是 {'空文件' if data is None else type(data).__name__}"
        )
    base = path.resolve().parent
    problems, runs = [], []
    for i, item in enumerate(data, 1):
        where = f"第 {i} 项"
        if not isinstance(item, dict):
            problems.append(f"{where}应为包含 report、params 的项，读到的是 {item!r}")
            continue
        extra = [k for k in item if k not in ("report", "out", "params")]
        if extra:
            problems.append(f"{where}有未知的键 {'、'.join(map(str, extra))}（可用：report、out、params）")
        name = item.get("report")
        if name not in REPORTS:
            problems.append(
                f"{where}：没有名为“{name}”的报告；已有的报告：{'、'.join(REPORTS)}"
                if name
                else f"{where}缺少 report（报告名）"
            )
            continue
        params = item.get("params") or {}
        if not isinstance(params, dict):
            problems.append(f"{where}（{name}）：params 应为“参数名: 值”的列表")
            continue
        spec = REPORTS[name]
        for key, value in params.items():
            p = spec.param(key)
            if p is None:
                problems.append(
                    f"{where}（{name}）：没有参数 {key}；可用的参数：{'、'.join(q.name for q in spec.params)}"
                )
            elif value is None:
                continue
            elif p.type == "path":
                if not isinstance(value, str):
                    problems.append(f"{where}（{name}）：参数 {key} 应为文件路径或通配符，给的是 {value!r}")
            else:
                try:
                    _convert(name, p, value)
                except ReportParameterError as exc:
                    problems.append(f"{where}：{exc}")
        for p in spec.params:
            if p.required and params.get(p.name) in (None, ""):
                problems.append(f"{where}（{name}）：缺少必需的参数 {p.name}（{p.description}）")
        out = item.get("out") or "reports"
        if not isinstance(out, str):
            problems.append(f"{where}（{name}）：out 应为目录路径，给的是 {out!r}")
            continue
        runs.append(ScheduleRun(position=i, report=name, params=dict(params), out=base / Path(out).expanduser()))
    if problems:
        raise ScheduleError(
            f"定时运行文件 {path} 有 {len(problems)} 处问题，未运行任何报告：\n  " + "\n  ".join(problems)
        )
    return runs


def _resolve_path(value: str, base: Path, report: str, key: str) -> str:
    """A path parameter: relative to ``base``; a glob becomes the newest matching file (mtime, then name)."""
    pattern = Path(value).expanduser()
    pattern = pattern if pattern.is_absolute() else base / pattern
    if not (_GLOB_CHARS & set(value)):
        return str(pattern)
    matches = [Path(m) for m in glob.glob(str(pattern)) if os.path.isfile(m)]
    if not matches:
        raise ReportParameterError(f"报告“{report}”的参数 {key}：通配符 {pattern} 没有匹配到任何文件")
    return str(max(matches, key=lambda m: (m.stat().st_mtime, m.name)))


def run_schedule(
    path: str | os.PathLike, echo: Callable[[str], object] | None = None, progress: bool = False
) -> list[ScheduleOutcome]:
    """Check the schedule file (ScheduleError if it is invalid, before anything runs), then run each report
    in order. A failing run is recorded and the next one still runs. ``echo(str)`` gets a line as each run
    starts and ends; ``progress=True`` passes on to run_report (stage lines on stderr).

    >>> from xueji_lib.reporting.schedule import run_schedule
    >>> for outcome in run_schedule("每周报表.yml", echo=print):          # doctest: +SKIP
    ...     print(outcome.label, outcome.folder or outcome.error)
    """
    from .report import run_report

    require_extra("reports")  # before anything runs, not once per report
    path = Path(path)
    runs = load_schedule(path)
    base = path.resolve().parent
    outcomes = []
    for run in runs:
        if echo:
            echo(f"[{run.position}/{len(runs)}] 运行报告“{run.report}”……")
        resolved = {}
        try:
            for key, value in run.params.items():
                p = REPORTS[run.report].param(key)
                resolved[key] = _resolve_path(value, base, run.report, key) if p.type == "path" and value else value
            result = run_report(run.report, out_root=run.out, progress=progress, **resolved)
            outcomes.append(ScheduleOutcome(run.position, run.report, True, folder=result.folder, params=resolved))
        except XuejiError as exc:
            folder = getattr(exc, "folder", None)
            outcomes.append(
                ScheduleOutcome(run.position, run.report, False, folder=folder, error=str(exc), params=resolved)
            )
        except Exception as exc:  # an unexpected failure of one run never stops the others
            outcomes.append(
                ScheduleOutcome(run.position, run.report, False, error=f"{type(exc).__name__}: {exc}", params=resolved)
            )
        if echo:
            o = outcomes[-1]
            echo(f"[{o.position}/{len(runs)}] {o.label}：{o.folder or o.error}")
    return outcomes
