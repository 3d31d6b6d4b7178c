"""Parameterised report notebooks, run by papermill, exported to offline HTML.

    >>> from xueji_lib.reporting.report import run_report
    >>> run = run_report("新生注册核对报告", admission="data_samples/hei/10_录取名单.dbf",
    ...                  registration="data_samples/hei/10_注册上报.dbf", year=2026)   # doctest: +SKIP
    >>> run.html                                                                      # doctest: +SKIP

A run lands in ``reports/<name>/<YYYYMMDD-HHMMSS>-<run id>/``: report.html (no code, plotly.js inlined,
no request to any other host), report.ipynb (the executed record), tables.xlsx and manifest.json. The
folder is built under a temporary name and renamed into place only when the run succeeds; a failed run
is kept as ``…-failed`` with the executed notebook (papermill's error cell) and its manifest.

Beside this module: ``reporting.index`` writes the run index (``write_index``, also importable from here),
``reporting.notebook`` holds what the report notebooks call from inside their kernel (``load_roster``,
``record_counts``, ``plotly_html``, …).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..core.errors import XuejiError
from ..core.extras import require_extra
from ..core.progress import PROGRESS_METADATA, Progress, ProgressArg
from ..schema.params import check_category, check_year
from .index import write_index
from .kernel import NOTEBOOK_DIR
from .notebook import COUNTS_FILE
from .notebook import load_roster as load_roster  # re-exported: tests/test_progress.py imports it from here

__all__ = [
    "REPORTS",
    "ReportSpec",
    "ReportParam",
    "ReportRun",
    "ReportParameterError",
    "ReportRunError",
    "check_parameters",
    "describe_parameters",
    "run_report",
    "write_index",
    "SAMPLE_RUNS",
    "sample_parameters",
]


class ReportParameterError(XuejiError, ValueError):
    """A report parameter is unknown, missing, of the wrong type, or names a file that cannot be read."""


class ReportRunError(XuejiError, RuntimeError):
    """The report notebook failed while running; ``folder`` keeps the executed notebook with the error."""

    def __init__(self, message: str, folder: Path | None = None, step: str | None = None) -> None:
        self.folder = folder
        self.step = step
        super().__init__(message)


@dataclass(frozen=True)
class ReportParam:
    name: str
    type: str  # "str", "int" or "path"
    required: bool = False
    default: object = None
    description: str = ""
    choices: tuple = ()  # allowed values of a "str" parameter (empty: any)
    check: Callable | None = None  # the library's check of the value (schema.params), as the CLI applies it
    label: str = ""  # the parameter's Chinese name, as the run index shows it (录取年份)
    applies: Callable | None = None  # params → whether the parameter counts for this run (None: always)
    words: Callable | None = None  # value → how the run index shows it (10 → 10 普通本专科); None: as given


@dataclass(frozen=True)
class ReportSpec:
    name: str
    notebook: Path
    params: tuple[ReportParam, ...]
    description: str = ""

    def param(self, name: str) -> ReportParam | None:
        return next((p for p in self.params if p.name == name), None)


def _category_words(code: object) -> str:
    """学历类别 10 → "10 普通本专科" (the code table's name; the code alone when it has none)."""
    from ..schema.codes import load_code_table

    name = load_code_table("xllb").labels_by_code().get(str(code), "")
    return f"{code} {name}".strip()


_KIND_WORDS = {"k12": "中小学", "higher_ed": "高等学校"}


def _higher_ed(params: dict) -> bool:
    return params.get("kind") == "higher_ed"


REPORTS: dict[str, ReportSpec] = {
    "新生注册核对报告": ReportSpec(
        name="新生注册核对报告",
        notebook=NOTEBOOK_DIR / "新生注册核对报告.ipynb",
        description="录取数据与新生注册上报核对：校验汇总、核对汇总、资格有误名单、未注册名单、按专业图表和统计表",
        params=(
            ReportParam(
                "admission", "path", True, None, "录取数据文件（学信网下载的录取名单，DBF/Excel/CSV）", label="录取数据"
            ),
            ReportParam("registration", "path", True, None, "新生注册上报文件（DBF/Excel/CSV）", label="注册上报"),
            ReportParam(
                "states",
                "path",
                False,
                None,
                "新生状态名单（报到入学/保留/放弃/取消入学资格），可不给",
                label="新生状态名单",
            ),
            ReportParam(
                "year",
                "int",
                False,
                None,
                "录取年份，如 2026（文件中没有 LQNF 字段时用）",
                check=check_year,
                label="录取年份",
            ),
            ReportParam(
                "category",
                "str",
                False,
                "10",
                "学历类别：10 普通本专科、20 研究生、50 成人本专科、70 网络教育",
                check=check_category,
                label="学历类别",
                words=_category_words,
            ),
            ReportParam("school_code", "str", False, "", "院校代码，如 00123（按文字保留前导零）", label="院校代码"),
            ReportParam("school_name", "str", False, "", "院校名称，用于报告标题", label="院校名称"),
        ),
    ),
    "学籍统计报告": ReportSpec(
        name="学籍统计报告",
        notebook=NOTEBOOK_DIR / "学籍统计报告.ipynb",
        description="学籍统计：中小学按学校/年级/班级/性别/民族/留守/随迁/户口性质，高等学校按院系/专业/层次/性别/民族/"
        "生源省份/年龄和各专业注册率；给出上期名单时列出增减",
        params=(
            ReportParam(
                "roster",
                "path",
                True,
                None,
                "本期名单（中小学学生名单 Excel/CSV，或高等学校注册上报 DBF；大名单可给 xueji parquet 转换的文件夹）",
                label="本期名单",
            ),
            ReportParam(
                "kind",
                "str",
                False,
                "k12",
                "名单类别：k12 中小学、higher_ed 高等学校",
                choices=("k12", "higher_ed"),
                label="名单类别",
                words=lambda v: _KIND_WORDS.get(str(v), str(v)),
            ),
            ReportParam(
                "previous",
                "path",
                False,
                None,
                "上期名单（同一类别，也可以是转换的文件夹），给出时各表列出上期人数和增减",
                label="上期名单",
            ),
            ReportParam(
                "admission",
                "path",
                False,
                None,
                "录取数据（仅高等学校，用于各专业注册率），可不给",
                label="录取数据",
                applies=_higher_ed,
            ),
            ReportParam(
                "year",
                "int",
                False,
                None,
                "年份（高等学校：录取年份，用于计算年龄）",
                check=check_year,
                label="年份",
                applies=_higher_ed,
            ),
            ReportParam(
                "category",
                "str",
                False,
                "10",
                "学历类别（仅高等学校）：10 普通本专科、50 成人本专科等",
                check=check_category,
                label="学历类别",
                applies=_higher_ed,
                words=_category_words,
            ),
            ReportParam(
                "schools",
                "path",
                False,
                None,
                "应报学校名单（仅中小学；学校标识码、学校名称、区县），给出时加上核查执行统计，户籍按各校所在区县分本县/外县/外省",
                label="应报学校名单",
                applies=lambda params: not _higher_ed(params),
            ),
            ReportParam("title", "str", False, "", "单位名称，用于报告标题", label="单位名称"),
        ),
    ),
    "学籍变动报告": ReportSpec(
        name="学籍变动报告",
        notebook=NOTEBOOK_DIR / "学籍变动报告.ipynb",
        description="两期学生名单对比：新增、减少、调动、信息变化，按学校的疑似流失（没有异动记录的减少）跟进名单",
        params=(
            ReportParam(
                "old",
                "path",
                True,
                None,
                "上期学生名单（Excel/CSV/DBF，或 xueji parquet 转换的文件夹）",
                label="上期名单",
            ),
            ReportParam(
                "new",
                "path",
                True,
                None,
                "本期学生名单（Excel/CSV/DBF，或 xueji parquet 转换的文件夹）",
                label="本期名单",
            ),
            ReportParam(
                "changes", "path", False, None, "学籍异动名单（可不给；不给时无法判断减少的原因）", label="学籍异动名单"
            ),
            ReportParam(
                "key",
                "str",
                False,
                "",
                "对应学生的字段：XJH 学籍号或 SFZJH 身份证件号；空为自动",
                label="对应字段",
                words=lambda v: {"XJH": "学籍号（XJH）", "SFZJH": "身份证件号（SFZJH）"}.get(str(v), str(v)),
            ),
            ReportParam(
                "ignore",
                "str",
                False,
                "",
                "不比较的字段代码，逗号分隔，如 NJ（跨学年对比时年级都会变）",
                label="不比较的字段",
            ),
            ReportParam("title", "str", False, "", "单位名称，用于报告标题", label="单位名称"),
        ),
    ),
}


def describe_parameters(name: str, params: dict) -> list[tuple[str, str]]:
    """(Chinese name, value as words) of each parameter of a run of report ``name`` that applies to it and
    was given or has a value: files by their name, 学历类别 with its name, none of a 高等学校 parameter for a
    中小学 run. ``run_report`` writes them into the manifest (``shown_parameters``), and the run index shows
    them. A report not known here: its parameters as they are.

    >>> describe_parameters("学籍统计报告", {"roster": "/data/学生名单_2026春.xlsx", "kind": "k12", "category": "10"})
    [('本期名单', '学生名单_2026春.xlsx'), ('名单类别', '中小学')]
    """
    spec = REPORTS.get(name)
    if spec is None:
        return [(str(k), str(v)) for k, v in params.items() if v not in (None, "")]
    out = []
    for p in spec.params:
        value = params.get(p.name)
        if value is None or value == "" or (p.applies is not None and not p.applies(params)):
            continue
        if p.type == "path":
            shown = Path(str(value)).name
        elif p.words is not None:
            shown = p.words(value)
        else:
            shown = str(value)
        out.append((p.label or p.name, shown))
    return out


# The three reports on the synthetic samples (``xueji samples``): what ``xueji report --samples`` and
# ``make report`` run — an admission/registration reconciliation of the university's upload, the statistics of the
# K-12 spring roster against the autumn one, and the roster changes with the 学籍异动 list. A path parameter is
# relative to the samples folder.
SAMPLE_RUNS: dict[str, dict[str, str]] = {
    "新生注册核对报告": {
        "admission": "hei/10_录取名单.dbf",
        "registration": "hei/10_注册上报.dbf",
        "states": "hei/10_新生状态.dbf",
        "year": "2026",
        "category": "10",
        "school_code": "19999",
        "school_name": "华夏示范大学",
    },
    "学籍统计报告": {
        "roster": "k12/学生名单_2026春.xlsx",
        "previous": "k12/学生名单_2025秋.xlsx",
        "kind": "k12",
        "title": "示范县教育局",
    },
    "学籍变动报告": {
        "old": "k12/学生名单_2025秋.xlsx",
        "new": "k12/学生名单_2026春.xlsx",
        "changes": "k12/学籍异动_2026春.xlsx",
        "title": "示范县教育局",
    },
}


def sample_parameters(name: str, folder: str | os.PathLike) -> dict[str, str]:
    """Report ``name``'s parameters on the samples in ``folder`` (``SAMPLE_RUNS``, paths made absolute).

    >>> p = xj.reporting.report.sample_parameters("学籍变动报告", "data_samples")
    >>> Path(p["changes"]).name, p["title"]
    ('学籍异动_2026春.xlsx', '示范县教育局')
    """
    spec = _spec(name)
    paths = {p.name for p in spec.params if p.type == "path"}
    return {k: (str(Path(folder, v).resolve()) if k in paths else v) for k, v in SAMPLE_RUNS[name].items()}


# ------------------------------------------------------------------------------------------ parameters


def _spec(name: str) -> ReportSpec:
    try:
        return REPORTS[name]
    except KeyError:
        raise ReportParameterError(f"没有名为“{name}”的报告；已有的报告：{'、'.join(REPORTS)}") from None


def check_parameters(name: str, params: dict) -> dict:
    """Check ``params`` against report ``name``'s spec; return the full parameter set (defaults filled in,
    ints converted, paths absolute). Raises ReportParameterError with a Chinese message.

    >>> p = xj.check_parameters("学籍统计报告", {"roster": "data_samples/k12/学生名单_2026春.xlsx"})
    >>> p["kind"], p["previous"], p["roster"].endswith("学生名单_2026春.xlsx")
    ('k12', None, True)
    >>> try:
    ...     xj.check_parameters("学籍统计报告", {"roster": "data_samples/k12/学生名单_2026春.xlsx", "kind": "大学"})
    ... except xj.XuejiError as exc:
    ...     print(exc)
    报告“学籍统计报告”的参数 kind（名单类别：k12 中小学、higher_ed 高等学校）只能是 k12、higher_ed，给的是 '大学'
    """
    spec = _spec(name)
    unknown = [k for k in params if spec.param(k) is None]
    if unknown:
        known = "、".join(f"{p.name}（{p.description}）" for p in spec.params)
        raise ReportParameterError(f"报告“{name}”没有参数 {'、'.join(unknown)}；可用的参数：{known}")
    out = {}
    for p in spec.params:
        value = params.get(p.name)
        if value is None or (isinstance(value, str) and value.strip() == "" and p.type != "str"):
            if p.required:
                raise ReportParameterError(f"报告“{name}”缺少必需的参数 {p.name}（{p.description}）")
            out[p.name] = p.default
            continue
        out[p.name] = _convert(name, p, value)
        if p.check is not None:  # the same check as the command line's (录取年份, 学历类别)
            try:
                out[p.name] = p.check(out[p.name])
            except XuejiError as exc:
                raise ReportParameterError(f"报告“{name}”的参数 {p.name}：{exc}") from None
    return out


def _convert(report: str, p: ReportParam, value):
    where = f"报告“{report}”的参数 {p.name}（{p.description}）"
    if p.type == "int":
        if isinstance(value, bool):
            raise ReportParameterError(f"{where}应为整数，给的是 {value!r}")
        if isinstance(value, int):
            return value
        text = str(value).strip() if isinstance(value, str) else None
        if text is None or not re.fullmatch(r"-?\d+", text):
            raise ReportParameterError(f"{where}应为整数，给的是 {value!r}")
        return int(text)
    if p.type == "str":
        if not isinstance(value, str):
            raise ReportParameterError(
                f'{where}应为文字（如 "00123"，前导零会保留），给的是 {type(value).__name__} '
                f"{value!r}：请加引号写成文字"
            )
        if p.choices and value not in p.choices:
            raise ReportParameterError(f"{where}只能是 {'、'.join(p.choices)}，给的是 {value!r}")
        return value
    if p.type == "path":
        if not isinstance(value, (str, os.PathLike)):
            raise ReportParameterError(f"{where}应为文件路径，给的是 {value!r}")
        path = Path(value).expanduser()
        if not path.exists():
            raise ReportParameterError(f"{where}：文件 {path} 不存在")
        from ..io.parquet import is_parquet_folder

        if is_parquet_folder(path):  # converted by xueji parquet: complete and up to date, or said now
            from ..io.parquet import ParquetConversionError, parquet_parts

            try:
                parquet_parts(path)
            except ParquetConversionError as exc:
                raise ReportParameterError(f"{where}：{exc}") from None
            return str(path.resolve())
        if not path.is_file():
            raise ReportParameterError(f"{where}：{path} 不是文件")
        try:
            with open(path, "rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise ReportParameterError(f"{where}：文件 {path} 无法读取（{exc.strerror or exc}）") from exc
        return str(path.resolve())
    raise ReportParameterError(f"{where}：参数类型 {p.type} 未知")  # pragma: no cover


# ------------------------------------------------------------------------------------------------ run


@dataclass(frozen=True)
class ReportRun:
    """A finished run: ``folder`` and its files, ``manifest`` (the dict written to manifest.json).

    >>> run = xj.run_report("学籍统计报告", roster="学生名单_2026春.xlsx", kind="k12")   # doctest: +SKIP
    >>> run.folder, run.html, run.tables, run.notebook                                    # doctest: +SKIP
    >>> run.manifest["inputs"]["roster"]["sha256"]                                        # doctest: +SKIP
    """

    name: str
    run_id: str
    folder: Path
    manifest: dict = field(default_factory=dict)

    @property
    def html(self) -> Path:
        return self.folder / "report.html"

    @property
    def notebook(self) -> Path:
        return self.folder / "report.ipynb"

    @property
    def tables(self) -> Path:
        return self.folder / "tables.xlsx"


def _sha256(path: str) -> str:
    """Of the file; of a folder converted by xueji parquet, of its manifest (which records the source DBF's
    size and time and every part's size)."""
    if os.path.isdir(path):
        path = os.path.join(path, "_conversion.json")
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("xueji", "pandas", "papermill", "nbconvert", "plotly"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    if out.get("xueji") is None:
        from ..core.version import __version__

        out["xueji"] = __version__
    return out


def _kernel_name() -> str:
    """The ``xueji`` kernel (this interpreter), registered in this environment by ``make setup``, or here
    when it is missing; the report notebooks name it in their metadata too."""
    from .kernel import ensure_kernelspec

    return ensure_kernelspec()


def _failed_step(nb) -> tuple[int | None, str]:
    """(cell number, step title) of the first cell with an error output; the title is the nearest heading above."""
    title = ""
    code_no = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#+\s*(.+)$", cell.source, re.M)
            if m:
                title = m.group(1).strip()
        elif cell.cell_type == "code":
            code_no += 1
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                return code_no, title
    return None, title


def _step_headings(notebook: Path) -> dict:
    """Source of each code cell → the nearest markdown heading above it (for progress lines)."""
    import nbformat

    out, title = {}, ""
    for cell in nbformat.read(str(notebook), as_version=4).cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#+\s*(.+)$", cell.source, re.M)
            if m:
                title = m.group(1).strip()
        elif cell.cell_type == "code" and title:
            out.setdefault(cell.source, title)
    return out


def _progress_hook(notebook: Path, say):
    """An nbclient ``on_cell_start`` hook that calls ``say(title)`` for each new step heading, once."""
    try:
        headings = _step_headings(notebook)
    except Exception:  # progress is a nicety: never let it break a run
        return None
    seen = []

    def hook(cell=None, cell_index=None, **_):
        title = headings.get(getattr(cell, "source", None))
        if title and (not seen or seen[-1] != title):
            seen.append(title)
            say(title)

    return hook


def _step_titles(notebook: Path) -> list[str]:
    """The step headings of a report notebook in order (the steps its progress display counts)."""
    try:
        return list(dict.fromkeys(_step_headings(notebook).values()))
    except Exception:  # progress is a nicety: never let it break a run
        return []


def run_report(
    name: str, out_root: str | os.PathLike = "reports", progress: ProgressArg = False, **params: object
) -> ReportRun:
    """Check the parameters, run report ``name`` with papermill, export the HTML, write the manifest.

    Raises ReportParameterError before anything runs, ReportRunError when the notebook fails (the
    executed notebook stays in ``<out_root>/<name>/<stamp>-<id>-failed/``). ``progress`` (False/None:
    silent; True: notebook or stderr; a callable ``(label, done, total)``) is told each stage and each
    notebook step (its headings).

    >>> run = xj.run_report("学籍变动报告", old="学生名单_2025秋.xlsx", new="学生名单_2026春.xlsx",
    ...                     changes="学籍异动_2026春.xlsx")                        # doctest: +SKIP
    >>> run.html, run.tables, run.manifest["inputs"]                            # doctest: +SKIP
    """
    require_extra("reports")  # papermill, nbconvert, the kernel: pip install "xueji_lib[reports]"
    spec = _spec(name)
    steps = ["检查参数", "启动内核", *_step_titles(spec.notebook), "导出 HTML", "写清单"] if progress else []
    with Progress(progress or None, f"报告“{name}”", steps=steps) as task:
        return _run_report(spec, out_root, task, params)


def _run_report(spec: ReportSpec, out_root, task: Progress, params: dict) -> ReportRun:
    name = spec.name
    progress = not task.silent
    say = task.step
    say("检查参数")
    checked = check_parameters(name, params)
    import papermill as pm

    run_id = secrets.token_hex(3)
    started = datetime.now(UTC).astimezone()
    stamp = started.strftime("%Y%m%d-%H%M%S")
    base = Path(out_root) / name
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".{stamp}-{run_id}.tmp"
    tmp.mkdir()
    final = base / f"{stamp}-{run_id}"
    t0 = time.perf_counter()
    inputs = {
        p.name: {"path": checked[p.name], "sha256": _sha256(checked[p.name])}
        for p in spec.params
        if p.type == "path" and checked[p.name]
    }
    manifest = {
        "report": name,
        "run_id": run_id,
        "parameters": checked,
        "shown_parameters": [list(x) for x in describe_parameters(name, checked)],  # what the run index shows
        "inputs": inputs,
        "versions": _versions(),
        "started": started.isoformat(timespec="seconds"),
    }
    nb_path = tmp / "report.ipynb"
    hook = _progress_hook(spec.notebook, say) if progress else None
    say("启动内核")
    try:
        pm.execute_notebook(
            str(spec.notebook),
            str(nb_path),
            parameters={**checked, "out_dir": str(tmp.resolve())},
            kernel_name=_kernel_name(),
            progress_bar=False,
            cwd=str(tmp),
            language="python",
            **({"on_cell_start": hook} if hook else {}),
        )
    except Exception as exc:  # papermill's execution error, or a kernel that died
        folder = base / f"{stamp}-{run_id}-failed"
        for extra in tmp.iterdir():  # keep only the executed notebook: nothing that looks like a result
            if extra.name != "report.ipynb":
                extra.unlink() if extra.is_file() else shutil.rmtree(extra)
        step, title = (None, "")
        if nb_path.exists():
            import nbformat

            step, title = _failed_step(nbformat.read(nb_path, as_version=4))
        detail = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}".rstrip("。. ")
        where = (f"第 {step} 个代码单元" if step else "执行") + (f"（步骤“{title}”）" if title else "")
        message = (
            f"报告“{name}”运行失败：{where}出错：{detail}。"
            f"输入：{'、'.join(k + '=' + str(v['path']) for k, v in inputs.items())}。"
            f"已执行的笔记本（含错误单元）保存在 {folder / 'report.ipynb'}"
        )
        _finish_manifest(manifest, t0, "failed", tmp, error=message)
        os.replace(tmp, folder)
        _index_quietly(out_root)
        raise ReportRunError(message, folder=folder, step=title or None) from None
    try:
        say("导出 HTML")
        export_html(
            nb_path,
            tmp / "report.html",
            title=f"{name} {checked.get('school_name') or checked.get('title') or ''}".strip(),
        )
        say("写清单")
        _finish_manifest(manifest, t0, "succeeded", tmp)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _index_quietly(out_root)
        raise
    _index_quietly(out_root)
    return ReportRun(name=name, run_id=run_id, folder=final, manifest=manifest)


def _index_quietly(out_root) -> None:
    """write_index after a run; a failure to write the index is reported, never hides the run's own outcome."""
    try:
        write_index(out_root)
    except Exception as exc:  # pragma: no cover - disk full, permissions
        print(f"注意：报告索引页 {Path(out_root) / 'index.html'} 未能更新：{exc}", file=sys.stderr)


def _finish_manifest(manifest: dict, t0: float, outcome: str, folder: Path, error: str | None = None) -> None:
    counts_path = folder / COUNTS_FILE
    if counts_path.exists():
        counts = json.loads(counts_path.read_text("utf-8"))
        counts_path.unlink()
        manifest["kernel_python"] = counts.pop("_python", None)
        for key, n in counts.items():
            if key in manifest["inputs"]:
                manifest["inputs"][key]["records"] = n
    ended = datetime.now(UTC).astimezone()
    manifest.update(
        ended=ended.isoformat(timespec="seconds"), duration_seconds=round(time.perf_counter() - t0, 2), outcome=outcome
    )
    if error:
        manifest["error"] = error
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")


_OUTSIDE = re.compile(
    r"""<(script|link)\b[^>]*\b(?:src|href)\s*=\s*["']https?://[^"']*["'][^>]*>(?:\s*</script>)?""", re.I
)

_MERMAID = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?https?://[^\"']*mermaid(?:(?!</script>).)*?</script>", re.S)
_LINK = re.compile(r"""((?:src|href)\s*=\s*["'])https?://[^"']*""", re.I)


def export_html(nb_path: str | os.PathLike, html_path: str | os.PathLike, title: str = "") -> Path:
    """The executed notebook as standalone HTML: no code cells, no prompts, no script or stylesheet from
    another host (nbconvert's require.js / MathJax CDN tags are removed)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(nb_path), as_version=4)
    if title:
        nb.metadata["title"] = title
    for cell in nb.cells:  # progress bars shown while the report ran are not part of the report
        if cell.get("outputs"):
            cell.outputs = [
                o
                for o in cell.outputs
                if not all(o.get("metadata", {}).get(k) == v for k, v in PROGRESS_METADATA.items())
            ]
    exporter = HTMLExporter(
        template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb)
    body = _OUTSIDE.sub("", body)  # require.js / MathJax from a CDN
    body = _MERMAID.sub("", body)  # nbconvert's loader that imports mermaid from a CDN when a diagram is present
    body = _LINK.sub(r"\1#", body)  # links inside the inlined plotly.js (logo, map attributions): never followed
    Path(html_path).write_text(body, "utf-8")
    return Path(html_path)
