"""The Voila dashboards: 学生查询 (lookup) and 名单对比 (comparison), and what they share.

The notebooks in ``notebooks/dashboards/`` only call ``LookupPage.from_environment()`` /
``ComparePage.from_environment()`` and display the page. Everything a page shows is computed by the
library (catalog, compare, reconcile, display); this module turns it into widgets and keeps the audit log.

Safety: a page user can set any widget value, so a widget value is never evaluated, never used as a path
and never put into a query. Datasets are chosen from the catalogue (a whitelist: dropdown values are
catalogue ids, checked against it again on use); uploaded files are written under fixed names in a private
temporary folder. Personal fields are masked unless the user ticks 显示完整个人信息, which is logged.

Configuration comes from the environment set by ``xueji dashboard`` (the one way they are started):
XUEJI_DATA_DIR, XUEJI_CACHE_DIR, XUEJI_PHOTO_DIR, XUEJI_AUDIT_LOG.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import html
import json
import os
import shutil
import tempfile
import time
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import pandas as pd

from ..core.errors import XuejiError
from ..core.extras import require_extra
from ..matching.pairs import run_pair
from ..reporting.kernel import DASHBOARD_DIR
from .catalog import PAIR_ZH, Catalog, StudentCard, load_dataset

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import plotly.graph_objects as go

    from ..core.result import Result
    from ..matching.compare import CompareResult, HandoffResult
    from ..matching.reconcile import ReconcileResult

MAX_HITS = 200
MAX_TABLE_ROWS = 500
UPLOAD_SUFFIXES = (".dbf", ".xlsx", ".xlsm", ".csv")
# what one page may use: its kernel's memory (POSIX: RLIMIT_DATA, set when the page starts) and an upload's
# size and cells; ``xueji dashboard --kernel-memory/--upload-max-mb/--upload-max-cells`` change them
KERNEL_MEMORY_ENV, UPLOAD_MB_ENV, UPLOAD_CELLS_ENV = (
    "XUEJI_KERNEL_MEMORY_MB",
    "XUEJI_UPLOAD_MAX_MB",
    "XUEJI_UPLOAD_MAX_CELLS",
)
UPLOAD_MAX_MB, UPLOAD_MAX_CELLS = 100, 20_000_000
# a used preheated kernel is replaced once no page has been opened for this long (voila_main.wait_quiet): a
# burst of users is served by the pool, not slowed by refills starting beside it
POOL_REFILL_QUIET_S = 10
# the JupyterLab front-end extensions a dashboard page loads: Voila's widget manager, the widgets it builds on,
# anywidget (plotly's FigureWidget)
FRONTEND_EXTENSIONS = ("@voila-dashboards/widgets-manager8", "@jupyter-widgets/jupyterlab-manager", "anywidget")
CSS = """
<style>
.xj-table { border-collapse: collapse; font-size: 13px; margin: 4px 0 10px 0; }
.xj-table th, .xj-table td { border: 1px solid #ccd; padding: 2px 8px; text-align: left; vertical-align: top; }
.xj-table th { background: #eef2f7; }
.xj-note { color: #555; font-size: 13px; }
.xj-error { color: #b00020; font-weight: bold; }
.xj-card h3 { margin: 8px 0 4px 0; }
.xj-count { font-size: 20px; font-weight: bold; }
</style>
"""


# ---------------------------------------------------------------------------------------------- environment
def catalog_from_environment() -> Catalog:
    """The catalogue of the data folder ``xueji dashboard`` was started on, brought up to date when files
    were added or changed since (a preheated kernel does this before anyone opens the page)."""
    folder = os.environ.get("XUEJI_DATA_DIR")
    if not folder:
        raise XuejiError("没有设置数据目录：请用 xueji dashboard --data 目录 启动看板")
    limit_kernel_memory()  # before anything is loaded: the page's kernel keeps to its share of the machine
    return Catalog(
        folder, os.environ.get("XUEJI_CACHE_DIR") or None, photos=os.environ.get("XUEJI_PHOTO_DIR") or None
    ).open(refresh=True)


def default_kernel_memory_mb() -> int:
    """A page's memory ceiling when none is given: a quarter of the machine's memory, between 1.5 and 8 GB."""
    import psutil

    return int(min(max(psutil.virtual_memory().total / 4 / 2**20, 1536), 8192))


def limit_kernel_memory() -> int | None:
    """Hold this kernel to ``XUEJI_KERNEL_MEMORY_MB`` (its data segment: what pandas, numpy and Arrow allocate):
    beyond it an allocation fails with MemoryError, which the page reports, instead of the machine swapping and
    every other user's page with it. POSIX only (Windows has no such limit for a process; there the upload
    limits stand alone). Returns the ceiling in MB, or None when none is set."""
    mb = _env_int(KERNEL_MEMORY_ENV)
    if not mb or os.name != "posix":
        return None
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    want = mb * 2**20
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or soft > want:
        resource.setrlimit(resource.RLIMIT_DATA, (want, hard))
    return mb


def _env_int(name: str, default: int | None = None) -> int | None:
    try:
        value = int(os.environ.get(name) or 0)
    except ValueError:
        return default
    return value if value > 0 else default


def memory_message() -> str:
    """What a page says when its kernel reached its memory ceiling."""
    mb = _env_int(KERNEL_MEMORY_ENV)
    limit = f"（{mb:,} MB）" if mb else ""
    return (
        f"内存不足：这次操作需要的内存超过了看板给每个页面的上限{limit}，已停止，看板和其他人的页面不受影响。"
        "请换小一些的文件，或在命令行用 xueji compare 处理大名单；确需在看板中处理时，请管理员用 "
        "xueji dashboard --kernel-memory 调高上限。"
    )


def check_upload(path: Path, label: str) -> None:
    """An uploaded file within the page's limits — its size, and what its header or zip directory says it holds
    (DBF: records × fields; xlsx: the unpacked size of its sheets) — before it is read; XuejiError naming the
    upload and the limit otherwise."""
    import zipfile

    max_mb = _env_int(UPLOAD_MB_ENV, UPLOAD_MAX_MB)
    max_cells = _env_int(UPLOAD_CELLS_ENV, UPLOAD_MAX_CELLS)
    size = path.stat().st_size
    hint = "请在命令行用 xueji compare 处理，或请管理员用 xueji dashboard --upload-max-mb / --upload-max-cells 调高上限"
    if size > max_mb * 2**20:
        raise XuejiError(f"上传的{label}文件有 {size / 2**20:,.1f} MB，超过看板的上传上限 {max_mb:,} MB：{hint}")
    suffix = path.suffix.lower()
    if suffix == ".dbf":
        from ..io.dbf import inspect_dbf

        header = inspect_dbf(path)  # the reader's own header parse: a damaged header is said the reader's way
        records, fields = header.records, len(header.fields)
        if records * fields > max_cells:
            raise XuejiError(
                f"上传的{label}文件表头说有 {records:,} 条记录 × {fields} 个字段，超过看板的上限 {max_cells:,} 个单元格：{hint}"
            )
    elif suffix in (".xlsx", ".xlsm"):
        try:
            with zipfile.ZipFile(path) as z:
                unpacked = sum(i.file_size for i in z.infolist() if i.filename.startswith("xl/"))
        except (zipfile.BadZipFile, OSError, ValueError):
            return  # not a workbook: the reader says so, naming the file
        if unpacked > 20 * max_mb * 2**20:
            raise XuejiError(
                f"上传的{label}文件解压后有 {unpacked / 2**20:,.0f} MB，超过看板的上限 {20 * max_mb:,} MB：{hint}"
            )


def check_cells(frame: pd.DataFrame, label: str) -> None:
    """A loaded upload within the page's cell limit."""
    max_cells = _env_int(UPLOAD_CELLS_ENV, UPLOAD_MAX_CELLS)
    cells = len(frame) * max(len(frame.columns), 1)
    if cells > max_cells:
        raise XuejiError(
            f"上传的{label}文件有 {len(frame):,} 行 × {len(frame.columns)} 列，超过看板的上限 {max_cells:,} 个单元格："
            "请在命令行用 xueji compare 处理，或请管理员用 xueji dashboard --upload-max-cells 调高上限"
        )


def wait_for_request() -> dict:
    """With Voila's preheated kernels the page's request (query string, headers) arrives only when a user
    opens the page: wait for it, then return the query parameters (first value of each).

    What ``voila.utils.wait_for_request`` does (a websocket to the server's /voila/query/<kernel id>, whose one
    message is the request's environment), without importing ``voila`` in the kernel: that import pulls in
    jupyter_server, jsonschema and a grammar compiled at import time, about 1.2 s of CPU in every kernel —
    the largest single cost of a page's kernel, and what ten users opening pages at once wait on."""
    if os.environ.get("VOILA_PREHEAT") == "True":
        for key, value in _request_info().items():
            os.environ[str(key)] = str(value)
    qs = parse_qs(os.environ.get("QUERY_STRING", ""), keep_blank_values=False)
    return {k: v[0] for k, v in qs.items() if v}


def _request_info() -> dict:
    """The request's environment from the Voila server (blocks until a user opens the page); {} when the
    server cannot be reached (the page then runs with no query parameters, as Voila's own helper does)."""
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    env = os.environ
    base = env.get("VOILA_WS_BASE_URL") or env.get("VOILA_SERVER_URL") or "/"
    url = (
        f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{env.get('VOILA_APP_IP', '127.0.0.1')}:"
        f"{env.get('VOILA_APP_PORT', '8866')}{base}voila/query/{env.get('VOILA_KERNEL_ID', '')}"
    )
    try:
        with connect(url, open_timeout=5, max_size=2**20) as ws:
            info = json.loads(ws.recv())
    except (OSError, TimeoutError, WebSocketException, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


class AuditLog:
    """One JSON line per action: when, who, from where, which page, what — never a personal value (no search
    text, no name, no ID number: the kind of search, the hit count, the dataset and row).

    Who and from where are what the server decided (``voila_main``): the user an authenticating reverse proxy
    named (X-Remote-User) and the client it saw (X-Forwarded-For) only when the request came from a proxy
    given with ``xueji dashboard --trusted-proxy``; otherwise 令牌用户 (the shared token is all the server
    knows) and the connection's own address. The log is the owner's only (0600, its folder 0700 when made)."""

    def __init__(self, path=None, page: str = ""):
        self.path = Path(path or os.environ.get("XUEJI_AUDIT_LOG") or Path(tempfile.gettempdir(), "xueji-audit.jsonl"))
        self.page = page

    def who(self) -> dict:
        return {
            "user": _header_text(os.environ.get("HTTP_X_XUEJI_USER")) or "令牌用户",
            "client": os.environ.get("HTTP_X_XUEJI_CLIENT") or "",
            "session": (os.environ.get("VOILA_KERNEL_ID") or "")[:8],
        }

    def write(self, action: str, **details: object) -> dict:
        entry = {
            "time": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            **self.who(),
            "page": self.page,
            "action": action,
            **details,
        }
        if not self.path.parent.exists():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with open(fd, "a", encoding="utf-8") as f:
            if os.name == "posix" and os.fstat(fd).st_mode & 0o077:  # a log made before, readable by others
                with contextlib.suppress(OSError):
                    os.fchmod(fd, 0o600)
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry


def _header_text(value: str | None) -> str:
    """A header value as the server passes it (its UTF-8 bytes read as latin-1) back as text."""
    if not value:
        return ""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


# ---------------------------------------------------------------------------------------------- HTML pieces
def table_html(df: pd.DataFrame, index: bool = False, limit: int | None = None) -> str:
    """A frame as an escaped HTML table (values from files are never trusted as HTML)."""
    shown = df.head(limit) if limit else df
    out = shown.to_html(index=index, escape=True, classes="xj-table", border=0, na_rep="")
    if limit and len(df) > limit:
        out += f'<div class="xj-note">共 {len(df)} 行，只显示前 {limit} 行；完整名单请下载工作簿。</div>'
    return out


def note_html(text: str, error: bool = False) -> str:
    return f'<div class="{"xj-error" if error else "xj-note"}">{html.escape(text)}</div>'


def photo_html(path: Path | None) -> str:
    if path is None:
        return note_html("照片目录中没有这名学生的照片")
    mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<img class="xj-photo" alt="照片 {html.escape(path.name[-8:])}" src="data:{mime};base64,{data}" '
        'style="max-width:132px;max-height:176px;border:1px solid #ccd">'
    )


def datasets_frame(cat: Catalog) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "文件": d.id,
                "名单": d.kind,
                "版式": d.layout or "",
                "记录数": d.records,
                "学期/日期": d.term or d.date,
                "校验发现": d.findings,
                "读取提示": "；".join(d.warnings),
            }
            for d in cat.datasets.values()
        ],
        columns=["文件", "名单", "版式", "记录数", "学期/日期", "校验发现", "读取提示"],
    )


def catalog_html(cat: Catalog) -> str:
    parts = [
        f'<div class="xj-note">数据目录：{html.escape(str(cat.folder))}，{len(cat.datasets)} 个名单，'
        f"共 {sum(d.records for d in cat.datasets.values())} 条记录</div>",
        table_html(datasets_frame(cat)),
    ]
    if cat.pairs:
        parts.append(
            '<div class="xj-note">已配对核对：' + "；".join(html.escape(p.label) for p in cat.pairs) + "</div>"
        )
    for name, problem in cat.problems:
        parts.append(note_html(f"{name}：{problem}", error=True))
    return "".join(parts)


# ---------------------------------------------------------------------------------------------- comparison data
GROUP_FIELDS = {"reconcile": ("FY", "XSH", "YXMC", "ZYMC"), "compare": ("XXMC",), "handoff": ("XXMC",)}
GROUP_ZH = {"reconcile": "院系/专业", "compare": "学校", "handoff": "学校"}
QUIET = {"matched", "unchanged", "enrolled"}


def records_frame(
    kind: str,
    result: ReconcileResult | CompareResult | HandoffResult,
    left: pd.DataFrame,
    right: pd.DataFrame,
    unmask: bool = False,
) -> pd.DataFrame:
    """Every input record of both sides, one row each: the result's declared list 全部记录 (名单, 行号, 分组
    (学校 or 院系), 姓名, 证件号 (masked), status, 结果, 说明, 变化字段) — what the comparison page counts, charts,
    filters and lists. ``left``/``right``: the two inputs (the records the rows point to)."""
    from dataclasses import replace

    sides = {"reconcile": ("admission", "registration"), "handoff": ("graduates", "intake")}.get(kind, ("old", "new"))
    res = replace(result, inputs={**result.inputs, sides[0]: left, sides[1]: right})
    return res.list("全部记录").frame(unmask=unmask)


def field_names(result: ReconcileResult | CompareResult | HandoffResult) -> dict[str, str]:
    """Field code → the field's Chinese name (学籍号, 年级 …) by the layout the result's inputs were read with
    (``k12_student`` when none is named): what 变化字段 shows. A code the layout does not have stays a code."""
    from ..schema.layouts import load_layout

    inputs = getattr(result, "inputs", None) or {}
    name = inputs.get("layout", "k12_student")
    try:
        lay = load_layout(name) if name is not None else None
    except (XuejiError, KeyError, OSError, ValueError):
        lay = None
    return {f.code: f.name for f in lay.fields} if lay is not None else {}


def changed_field_options(records: pd.DataFrame, names: dict[str, str]) -> list[tuple[str, str]]:
    """The 变化字段 filter's options: (the field's Chinese name, its code) for every field that changed in the
    rows of ``records`` (``变化字段``: comma-separated codes), in the layout's order, after ("全部", "")."""
    codes = {f for v in records["变化字段"] for f in str(v).split(",") if f}
    order = {c: i for i, c in enumerate(names)}
    ranked = sorted(codes, key=lambda c: (order.get(c, len(order)), c))
    return [("全部", "")] + [(names.get(c, c), c) for c in ranked]


def changed_field_words(values: pd.Series, names: dict[str, str]) -> pd.Series:
    """The 变化字段 column (comma-separated codes) as the fields' Chinese names, joined by 、."""
    return values.map(lambda v: "、".join(names.get(c, c) for c in str(v).split(",") if c))


def with_changed_field(records: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of ``records`` whose 变化字段 (codes) include ``code``; all rows when ``code`` is empty."""
    if not code:
        return records
    return records[records["变化字段"].astype("str").str.split(",").map(lambda xs: code in xs)]


def chart_figure(records: pd.DataFrame, kind: str) -> go.FigureWidget:
    """Differences per 学校/院系 and 结果 (one bar per status, grouped by school), as a FigureWidget created
    with its data (a FigureWidget filled after creation showed nothing in Voila)."""
    import plotly.graph_objects as go

    diff = records[~records["status"].isin(QUIET)]
    ct = diff.groupby(["分组", "结果"]).size().unstack(fill_value=0) if len(diff) else pd.DataFrame()
    bars = [go.Bar(name=str(c), x=[str(x) for x in ct.index], y=[int(v) for v in ct[c]]) for c in ct.columns]
    fig = go.FigureWidget(
        data=bars,
        layout=go.Layout(
            barmode="stack",
            title=f"各{GROUP_ZH[kind]}的差异（不含一致/不变的记录）",
            height=360,
            margin=dict(l=40, r=20, t=50, b=80),
            xaxis_title=GROUP_ZH[kind],
            yaxis_title="记录数",
            font=dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"),
        ),
    )
    return fig


def figure_widget(fig: go.Figure | None) -> go.FigureWidget | None:
    """A display.chart figure as a FigureWidget created with its data (None stays None)."""
    if fig is None:
        return None
    import plotly.graph_objects as go

    return go.FigureWidget(data=fig.data, layout=fig.layout)


def guess_kind(cat: Catalog, left: str, right: str) -> str:
    a, b = cat.dataset(left).layout, cat.dataset(right).layout
    if (a, b) == ("chsi_admission", "chsi_registration"):
        return "reconcile"
    if a == "k12_student" and b == "k12_student" and "毕业" in left and "新生" in right:
        return "handoff"
    return "compare"


def workbook_bytes(
    kind: str,
    result: ReconcileResult | CompareResult | HandoffResult,
    left: pd.DataFrame,
    right: pd.DataFrame,
    extra: pd.DataFrame | None = None,
    unmask: bool = False,
) -> tuple[str, bytes]:
    """The workbook the result's ``save`` writes (as ``xueji reconcile`` / ``xueji compare`` do), as (file name,
    bytes)."""
    from ..reporting.outputs import write_compare_outputs, write_reconcile_outputs

    with tempfile.TemporaryDirectory(prefix="xueji-dl-") as tmp:
        if kind == "reconcile":
            files = write_reconcile_outputs(result, left, right, tmp, unmask=unmask)
        elif kind == "compare":
            files = write_compare_outputs(result, left, right, tmp, changes=extra, unmask=unmask)
        else:
            from dataclasses import replace

            res = replace(result, inputs={**result.inputs, "graduates": left, "intake": right})
            files = res.save(tmp, unmask=unmask)
        path = Path(files["workbook"])
        return path.name, path.read_bytes()


def lists_html(result: Result, unmask: bool = False, rows: int = MAX_TABLE_ROWS) -> str:
    """The lists the result declares for reading (资格有误, 未注册, 疑似流失 …), each under its title with how many
    records it has: the same declaration the workbook, the report and the notebook render."""
    from ..core.render import count_sentence

    parts = []
    for lst in result.lists():
        if not lst.shown:
            continue
        frame = lst.frame(rows, unmask=unmask)
        parts.append(f"<h3>{html.escape(lst.title)}</h3><p>{count_sentence(lst.total, len(frame), lst.unit)}</p>")
        if len(frame):
            parts.append(table_html(frame))
    return CSS + "".join(parts)


def download_html(name: str, data: bytes) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return (
        f'<a class="xj-download" download="{html.escape(name)}" href="data:{mime};base64,{b64}">'
        f"下载 {html.escape(name)}（{len(data) // 1024 + 1} KB）</a>"
    )


# ---------------------------------------------------------------------------------------------- pages
def _widgets():
    import ipywidgets as w

    return w


class LookupPage:
    """学生查询: search box, hits, one student's card."""

    def __init__(self, cat: Catalog, audit: AuditLog | None = None):
        w = _widgets()
        self.cat = cat
        self.audit = audit or AuditLog(page="学生查询")
        cat.load_indexes()
        self.query = w.Text(
            placeholder="姓名（可只输入一部分）、身份证号、考生号、学号或学籍号",
            layout=w.Layout(width="420px"),
            continuous_update=False,
        )
        self.button = w.Button(description="查询", button_style="primary")
        self.unmask = w.Checkbox(value=False, description="显示完整个人信息（记入审计日志）", indent=False)
        self.status = w.HTML()
        self.hits_html = w.HTML()
        self.pick = w.Dropdown(description="查看", options=[], layout=w.Layout(width="640px"))
        self.card_html = w.HTML()
        self.hits = pd.DataFrame()
        self.button.on_click(lambda _b: self.search(self.query.value))
        self.query.observe(lambda ch: self.search(ch["new"]), names="value")
        self._picking = False
        self.pick.observe(lambda ch: None if self._picking else self.show_card(), names="value")
        self.unmask.observe(self._toggle_mask, names="value")
        self.catalog_box = w.Accordion(children=[w.HTML(CSS + catalog_html(cat))], titles=("数据目录中的名单",))
        self.catalog_box.selected_index = None
        self.view = w.VBox(
            [
                w.HTML(CSS + "<h2>学生查询</h2>"),
                self.catalog_box,
                w.HBox([self.query, self.button]),
                self.unmask,
                self.status,
                self.hits_html,
                self.pick,
                self.card_html,
            ]
        )

    @classmethod
    def from_environment(cls) -> LookupPage:
        return cls(catalog_from_environment())

    def start(self, params: dict) -> LookupPage:
        """Run the search in the page's query string (``?q=…``)."""
        q = params.get("q", "")
        if q:
            self.query.value = q  # observed: runs the search
        return self

    def search(self, text: str) -> None:
        t0 = time.perf_counter()
        try:
            hits, total, how = self.cat.search(text, limit=MAX_HITS)
        except XuejiError as exc:
            self.status.value = note_html(str(exc), error=True)
            return
        self.hits = hits
        seconds = time.perf_counter() - t0
        if text.strip():
            self.audit.write("search", how=how, hits=int(total))
        shown = f"，只显示前 {len(hits)} 条，请输入更完整的信息" if total > len(hits) else ""
        self.status.value = note_html(
            f"{how}：找到 {total} 条记录{shown}（用时 {seconds:.2f} 秒）" if text.strip() else how
        )
        self._render_hits()

    def _render_hits(self, keep: int | None = None) -> None:
        """The hit table, the 查看 menu (entry ``keep`` chosen when given, else the first) and that card."""
        desc = self.cat.describe_hits(self.hits, unmask=self.unmask.value) if len(self.hits) else pd.DataFrame()
        self.hits_html.value = table_html(desc) if len(desc) else ""
        options = [
            (f"{r.姓名 or '（无姓名）'} · {r.文件} 第{r.行号}行 · 匹配{r.匹配}", i)
            for i, r in enumerate(desc.itertuples())
        ]
        # the card follows every search: the first hit's card is drawn here, whatever the menu held before
        # (a new list whose first entry has the same value 0 as the old one sends no change to show_card)
        self._picking = True
        try:
            self.pick.options = options
            self.pick.value = (keep if keep is not None and 0 <= keep < len(options) else 0) if options else None
        finally:
            self._picking = False
        self.show_card()

    def _toggle_mask(self, change) -> None:
        self.audit.write("unmask" if change["new"] else "mask")
        self._render_hits(keep=self.pick.value)  # the same student's card, masked or not

    def show_card(self) -> None:
        i = self.pick.value
        if i is None or not (0 <= int(i) < len(self.hits)):
            self.card_html.value = ""
            return
        ds, row = self.hits.iloc[int(i)]["dataset"], int(self.hits.iloc[int(i)]["row"])
        card = self.cat.card(ds, row, unmask=self.unmask.value)
        self.audit.write("view", dataset=ds, row=row, records=len(card.records), masked=card.masked)
        self.card_html.value = card_html(card)


def card_html(card: StudentCard) -> str:
    rows = card.file_rows or tuple(r for _, r in card.records)
    heads = "、".join(f"{d} 第{r}行" for (d, _), r in zip(card.records, rows))
    parts = [
        CSS,
        '<div class="xj-card">',
        f"<h3>学生卡片：出现在 {len(card.records)} 个名单中</h3>",
        note_html(heads + ("（个人信息已遮盖）" if card.masked else "（个人信息未遮盖）")),
        '<div style="display:flex;gap:16px;align-items:flex-start">',
        f"<div>{photo_html(card.photo)}</div>",
        f"<div>{table_html(card.fields, index=True)}</div></div>",
        "<h3>核对与对比结果</h3>",
        table_html(card.statuses) if len(card.statuses) else note_html("这些名单没有参与核对或对比"),
        "<h3>校验发现</h3>",
        table_html(card.findings) if len(card.findings) else note_html("校验没有发现问题"),
        "</div>",
    ]
    return "".join(parts)


class ComparePage:
    """名单对比: two datasets from the catalogue (or two uploaded files) → counts, chart, filters, table,
    workbook download."""

    def __init__(self, cat: Catalog, audit: AuditLog | None = None):
        w = _widgets()
        self.cat = cat
        self.audit = audit or AuditLog(page="名单对比")
        self._tmp = tempfile.TemporaryDirectory(prefix="xueji-upload-")
        choices = [(d.label, d.id) for d in cat.datasets.values()]
        self.source = w.ToggleButtons(options=[("数据目录中的名单", "catalog"), ("上传两个文件", "upload")])
        self.preset = w.Dropdown(
            description="已配对",
            options=[("（自己选择）", None)] + [(p.label, i) for i, p in enumerate(cat.pairs)],
            layout=w.Layout(width="720px"),
        )
        self.left = w.Dropdown(description="第一份", options=choices, layout=w.Layout(width="720px"))
        self.right = w.Dropdown(description="第二份", options=choices, layout=w.Layout(width="720px"))
        self.extra = w.Dropdown(
            description="附加名单", options=[("（无）", None)] + choices, layout=w.Layout(width="720px")
        )
        self.kind = w.Dropdown(
            description="方式", options=[(v, k) for k, v in PAIR_ZH.items()], layout=w.Layout(width="320px")
        )
        self.up_left = w.FileUpload(description="第一份文件", accept=",".join(UPLOAD_SUFFIXES), multiple=False)
        self.up_right = w.FileUpload(description="第二份文件", accept=",".join(UPLOAD_SUFFIXES), multiple=False)
        self.run_button = w.Button(description="开始对比", button_style="primary")
        self.unmask = w.Checkbox(value=False, description="显示完整个人信息（记入审计日志）", indent=False)
        self.message = w.HTML()
        self.counts_html = w.HTML()
        self.chart_box = w.VBox()
        self.f_status = w.Dropdown(description="结果", options=[("全部差异", "")])
        self.f_group = w.Dropdown(description="学校/院系", options=[("全部", "")])
        self.f_field = w.Dropdown(description="变化字段", options=[("全部", "")])
        self.table_html = w.HTML()
        self.lists_html = w.HTML()
        self.download = w.HTML()
        self.records = pd.DataFrame()
        self._field_names: dict[str, str] = {}
        self._pick_box = w.VBox([self.preset, self.left, self.right, self.extra])
        self._upload_box = w.VBox(
            [
                w.HTML(
                    note_html(
                        "上传的文件只在本次页面中使用，关闭页面即删除；单个文件不超过 100 MB，"
                        "更大的文件请放进数据目录。"
                    )
                ),
                self.up_left,
                self.up_right,
            ]
        )
        self._upload_box.layout.display = "none"
        self.source.observe(self._switch_source, names="value")
        self.preset.observe(self._apply_preset, names="value")
        for dd in (self.left, self.right):
            dd.observe(lambda ch: self._guess(), names="value")
        self.run_button.on_click(lambda _b: self.run())
        for f in (self.f_status, self.f_group, self.f_field):
            f.observe(lambda ch: self._render_table(), names="value")
        self.unmask.observe(self._toggle_mask, names="value")
        self.catalog_box = w.Accordion(children=[w.HTML(CSS + catalog_html(cat))], titles=("数据目录中的名单",))
        self.catalog_box.selected_index = None
        self.view = w.VBox(
            [
                w.HTML(CSS + "<h2>名单对比</h2>"),
                self.catalog_box,
                self.source,
                self._pick_box,
                self._upload_box,
                w.HBox([self.kind, self.run_button]),
                self.unmask,
                self.message,
                self.counts_html,
                self.chart_box,
                w.HBox([self.f_status, self.f_group, self.f_field]),
                self.table_html,
                self.lists_html,
                self.download,
            ]
        )
        if cat.pairs:
            self.preset.value = 0

    @classmethod
    def from_environment(cls) -> ComparePage:
        return cls(catalog_from_environment())

    def start(self, params: dict) -> ComparePage:
        """``?pair=N`` picks the catalogue's N-th pair (1-based) and runs it."""
        p = params.get("pair", "")
        if p.isdigit() and 1 <= int(p) <= len(self.cat.pairs):
            self.preset.value = int(p) - 1
            self.run()
        return self

    def _switch_source(self, change) -> None:
        up = change["new"] == "upload"
        self._upload_box.layout.display = "" if up else "none"
        self._pick_box.layout.display = "none" if up else ""

    def _apply_preset(self, change) -> None:
        i = change["new"]
        if i is None or not (0 <= int(i) < len(self.cat.pairs)):
            return
        pair = self.cat.pairs[int(i)]
        self.left.value, self.right.value = pair.left, pair.right
        self.extra.value = pair.extra
        self.kind.value = pair.kind

    def _guess(self) -> None:
        if self.left.value in self.cat.datasets and self.right.value in self.cat.datasets:
            self.kind.value = guess_kind(self.cat, self.left.value, self.right.value)

    def _inputs(self):
        """(left frame, right frame, extra frame or None, names, year, category) from the chosen source.
        Uploads are written as <temp folder>/left|right/<the file's base name> (extension whitelisted)."""
        if self.source.value == "upload":
            frames = []
            for up, name, side in ((self.up_left, "第一份", "left"), (self.up_right, "第二份", "right")):
                if not up.value:
                    raise XuejiError(f"请先选择{name}文件")
                item = up.value[0]
                base = PureWindowsPath(str(item["name"])).name  # the base name only, whatever the browser sent
                suffix = Path(base).suffix.lower()
                if suffix not in UPLOAD_SUFFIXES or base.startswith("."):
                    raise XuejiError(f"{name}文件的类型 {suffix or '（无扩展名）'} 不支持：只能上传 .dbf、.xlsx、.csv")
                folder = Path(self._tmp.name, side)  # fixed folder per side; the clerk's file name inside it
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                path = folder / base
                path.write_bytes(bytes(item["content"]))
                try:
                    check_upload(path, name)
                    frames.append(load_dataset(path)[0])
                    check_cells(frames[-1], name)
                except XuejiError as exc:  # the loader names the file, row and field: show the clerk's name
                    raise XuejiError(f"上传的{name}文件：" + str(exc).replace(str(folder) + os.sep, "")) from exc
            names = tuple(Path(str(u.value[0]["name"])).name for u in (self.up_left, self.up_right))
            return frames[0], frames[1], None, names, None, None
        ids = [self.left.value, self.right.value, self.extra.value]
        for v in ids:
            if v is not None and v not in self.cat.datasets:  # a value set from outside the whitelist
                raise XuejiError("所选名单不在数据目录中")
        if ids[0] is None or ids[1] is None:
            raise XuejiError("请选择两份名单")
        if ids[0] == ids[1]:
            raise XuejiError("两份名单是同一个文件，请选择不同的名单")
        pair = next((p for p in self.cat.pairs if (p.left, p.right, p.extra) == tuple(ids)), None)
        extra = self.cat.frame(ids[2]) if ids[2] else None
        return (
            self.cat.frame(ids[0]),
            self.cat.frame(ids[1]),
            extra,
            (ids[0], ids[1]),
            pair.year if pair else None,
            pair.category if pair else None,
        )

    def run(self) -> None:
        self.message.value = note_html("正在对比……")
        kind = self.kind.value
        try:
            left, right, extra, names, year, category = self._inputs()
            self.result = run_pair(kind, left, right, extra, names=names, year=year, category=category)
            self._frames = (left, right, extra)
        except XuejiError as exc:
            self.message.value = note_html(str(exc), error=True)
            return
        except MemoryError:
            self._out_of_memory()
            return
        except Exception as exc:  # noqa: BLE001 - the page must say something a clerk can act on
            if "OutOfMemory" in type(exc).__name__:  # DuckDB / Arrow reaching the ceiling
                self._out_of_memory()
                return
            self.message.value = note_html(
                f"对比没有完成：{type(exc).__name__}。请检查两份文件是否选对了（{PAIR_ZH[kind]}需要相应的名单）。",
                error=True,
            )
            return
        self._kind = kind
        self.audit.write(
            "compare",
            kind=kind,
            source=self.source.value,
            datasets=list(names) if self.source.value == "catalog" else ["上传文件", "上传文件"],
        )
        self.message.value = note_html(f"{PAIR_ZH[kind]}：{names[0]} → {names[1]}")
        try:
            self._render_all()
        except MemoryError:
            self._out_of_memory()

    def _out_of_memory(self) -> None:
        """The page's kernel reached its ceiling: what was being built is dropped and the page says so."""
        import gc

        self.result = None
        for up in (self.up_left, self.up_right):
            with contextlib.suppress(Exception):
                up.value = ()
        gc.collect()
        self.message.value = note_html(memory_message(), error=True)
        self.audit.write("out_of_memory", source=self.source.value)

    def _render_all(self) -> None:
        kind = self._kind
        left, right, extra = self._frames
        self.records = records_frame(kind, self.result, left, right, unmask=self.unmask.value)
        from ..reporting.display import chart, summary_frame

        self.counts_html.value = CSS + "<h3>各结果的记录数</h3>" + table_html(summary_frame(self.result))
        charts = [figure_widget(chart(self.result))]
        if kind == "reconcile":  # the standard chart is by status; the registry also wants it by 院系
            charts.append(chart_figure(self.records, kind))
        self.chart_box.children = [c for c in charts if c is not None]
        diff = self.records[~self.records["status"].isin(QUIET)]
        self.f_status.options = [("全部差异", "")] + [(s, s) for s in sorted(diff["结果"].unique())]
        self.f_group.options = [("全部", "")] + [(g, g) for g in sorted(diff["分组"].unique())]
        self._field_names = field_names(self.result)
        self.f_field.options = changed_field_options(diff, self._field_names)
        self._render_table()
        self.lists_html.value = lists_html(self.result, unmask=self.unmask.value)
        name, data = workbook_bytes(kind, self.result, left, right, extra, unmask=self.unmask.value)
        self.download.value = download_html(name, data)

    def _render_table(self) -> None:
        if self.records.empty:
            self.table_html.value = ""
            return
        d = self.records[~self.records["status"].isin(QUIET)]
        if self.f_status.value:
            d = d[d["结果"] == self.f_status.value]
        if self.f_group.value:
            d = d[d["分组"] == self.f_group.value]
        d = with_changed_field(d, self.f_field.value)
        shown = d.drop(columns="status").assign(变化字段=changed_field_words(d["变化字段"], self._field_names))
        self.table_html.value = f"<h3>差异记录：{len(d)} 条</h3>" + table_html(shown, limit=MAX_TABLE_ROWS)

    def _toggle_mask(self, change) -> None:
        self.audit.write("unmask" if change["new"] else "mask")
        if not self.records.empty:
            self._render_all()


# ---------------------------------------------------------------------------------------------- serving
IMAGE_ALLOWLIST = r".*\.(png|jpg|jpeg|gif|svg|ico)"


OUTSIDE_LINK = "https://cdn.jsdelivr.net/"
# template file → how many <link> tags to an outside host it has (Voila 0.5.13)
OUTSIDE_LINKS = {("lab", "index.html.j2"): 2, ("base", "page.html"): 1}


# template file → the English words a page shows while it loads, and their Chinese (Voila 0.5.13)
PAGE_WORDS_ZH = {
    ("base", "spinner.macro.html.j2"): (("Running {{nb_title}}...", "正在打开{{nb_title}}页面……"),),
    ("base", "voila_setup.macro.html.j2"): (
        ("`Executing ${cell_index} of ${cell_count}`", "`正在运行第 ${cell_index} 步，共 ${cell_count} 步`"),
        ("`Reading ${cell_index} of ${cell_count}`", "`正在读取第 ${cell_index} 步，共 ${cell_count} 步`"),
    ),
}


def offline_template(root: Path) -> Path:
    """A Voila template "xueji" under ``root`` (a Jupyter data path): Voila's lab template (page and tree
    pages included) without its <link> tags to Font Awesome on cdn.jsdelivr.net (Voila's own bundle already
    carries Font Awesome), so that a page asks nothing of any outside host, and with the words a page shows
    while it loads in Chinese (``PAGE_WORDS_ZH``). Made from the installed templates, so it follows their
    version; an error when they no longer have exactly what is removed or translated."""
    from jupyter_core.paths import jupyter_path

    out = root / "voila" / "templates" / "xueji"
    out.mkdir(parents=True, exist_ok=True)
    for (template, name), count in OUTSIDE_LINKS.items():
        src = next(
            (
                Path(p, template, name)
                for p in jupyter_path("voila", "templates")
                if Path(p, template, name).exists() and root not in Path(p).parents
            ),
            None,
        )
        if src is None:
            raise XuejiError(f"找不到 Voila 的模板 {template}/{name}：请先运行 make setup 安装看板所需的软件")
        lines = src.read_text("utf-8").splitlines(keepends=True)
        kept = [ln for ln in lines if OUTSIDE_LINK not in ln]
        if len(lines) - len(kept) != count:
            raise XuejiError(
                f"Voila 的模板 {src} 与预期不同（应有 {count} 处 {OUTSIDE_LINK} 链接）：请检查看板是否仍会访问外部网站"
            )
        (out / name).write_text("".join(kept), "utf-8")
    for (template, name), replacements in PAGE_WORDS_ZH.items():
        src = next(
            (
                Path(p, template, name)
                for p in jupyter_path("voila", "templates")
                if Path(p, template, name).exists() and root not in Path(p).parents
            ),
            None,
        )
        text = src.read_text("utf-8") if src is not None else ""
        for english, chinese in replacements:
            if english not in text:
                raise XuejiError(
                    f"Voila 的模板 {template}/{name} 与预期不同（没有“{english}”）：请检查看板页面上的英文提示"
                )
            text = text.replace(english, chinese)
        (out / name).write_text(text, "utf-8")
    (out / "conf.json").write_text(json.dumps({"base_template": "lab"}), "utf-8")
    return out


def voila_command(
    data: str | os.PathLike,
    *,
    port: int = 8866,
    token: str,
    cache_dir: str | os.PathLike | None = None,
    photos: str | os.PathLike | None = None,
    audit_log: str | os.PathLike | None = None,
    notebooks: str | os.PathLike | None = None,
    pool_size: int = 1,
    cull_idle_seconds: int = 45,
    trusted_proxies: Sequence[str] = (),
    kernel_memory_mb: int | None = None,
    upload_max_mb: int = UPLOAD_MAX_MB,
    upload_max_cells: int = UPLOAD_MAX_CELLS,
) -> tuple[list[str], dict]:
    """The Voila command line and environment of ``xueji dashboard``: 127.0.0.1 only, token required (in the
    environment, ``XUEJI_DASHBOARD_TOKEN``: a command line is readable by every local user), the port asked
    for or none (no retries), tracebacks hidden, idle kernels culled, preheated kernels, only images served
    as static files, uploads up to 100 MB. The audit log gets the user and client the server decided
    (``voila_main``): an authenticating reverse proxy's X-Remote-User / X-Forwarded-For only from one of
    ``trusted_proxies`` (addresses or networks). The cache folder is made the owner's only. Each page's kernel
    keeps to ``kernel_memory_mb`` (default: ``default_kernel_memory_mb``), an upload to ``upload_max_mb`` and
    ``upload_max_cells``."""
    import ipaddress
    import sys

    from .catalog import make_private

    require_extra("dashboard")
    for proxy in trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError as exc:
            raise XuejiError(f"--trusted-proxy {proxy}：不是 IP 地址或网段（例如 127.0.0.1 或 10.0.0.0/8）") from exc
    data = Path(data).resolve()
    cache = Path(cache_dir).resolve() if cache_dir else data / ".xueji_cache"
    make_private(cache)
    env = {
        **os.environ,
        "XUEJI_DASHBOARD_TOKEN": token,
        "XUEJI_TRUSTED_PROXIES": ",".join(trusted_proxies),
        "XUEJI_DATA_DIR": str(data),
        "XUEJI_CACHE_DIR": str(cache),
        "XUEJI_PHOTO_DIR": str(Path(photos).resolve()) if photos else "",
        "XUEJI_AUDIT_LOG": str(Path(audit_log).resolve() if audit_log else cache / "audit.jsonl"),
        KERNEL_MEMORY_ENV: str(int(kernel_memory_mb or default_kernel_memory_mb())),
        UPLOAD_MB_ENV: str(int(upload_max_mb)),
        UPLOAD_CELLS_ENV: str(int(upload_max_cells)),
    }
    for value, option in (
        (kernel_memory_mb, "--kernel-memory"),
        (upload_max_mb, "--upload-max-mb"),
        (upload_max_cells, "--upload-max-cells"),
    ):
        if value is not None and int(value) <= 0:
            raise XuejiError(f"{option} 应为正整数")
    offline_template(cache / "jupyter")
    (cache / "jupyter" / "voila.json").write_text(
        json.dumps(
            {
                # an upload reaches the kernel (which refuses it above the limit with a message) up to twice
                # the limit; a larger message closes the page's connection
                "Voila": {"tornado_settings": {"websocket_max_message_size": (2 * int(upload_max_mb) + 16) * 2**20}},
                # only the front-end extensions the pages use (widgets; plotly's FigureWidget is an anywidget):
                # every other one installed (jupyterlab-plotly alone is 4.8 MB of script) would be fetched and
                # parsed by every page load
                "VoilaConfiguration": {"extension_allowlist": list(FRONTEND_EXTENSIONS)},
            }
        ),
        "utf-8",
    )
    env["JUPYTER_PATH"] = os.pathsep.join([str(cache / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])])
    argv = [
        sys.executable,
        "-m",
        "xueji_lib.apps.voila_main",
        str(Path(notebooks or DASHBOARD_DIR)),
        "--no-browser",
        "--template=xueji",
        "--Voila.ip=127.0.0.1",
        f"--port={int(port)}",
        "--Voila.port_retries=0",
        "--show_tracebacks=False",
        "--preheat_kernel=True",
        f"--pool_size={int(pool_size)}",
        # a page's kernel whose page is gone (closed before it rendered, or the browser killed: no unload beacon)
        # has no connection left: ended after cull_idle_seconds idle, checked every 10 s. A page still open keeps
        # its connection and its kernel (cull_connected stays False); preheated pool kernels are never culled.
        f"--MappingKernelManager.cull_idle_timeout={int(cull_idle_seconds)}",
        "--MappingKernelManager.cull_interval=10",
        "--MappingKernelManager.cull_connected=False",
        f"--VoilaConfiguration.file_allowlist={IMAGE_ALLOWLIST}",
        *[f"--VoilaConfiguration.http_header_envs={h}" for h in ("X-Xueji-User", "X-Xueji-Client")],
        f"--Voila.config_file_paths={cache / 'jupyter'}",
        "--theme=light",
        f"--VoilaKernelManager.fill_delay={POOL_REFILL_QUIET_S}",  # voila_main: refills wait for a quiet moment
    ]
    make_private(cache)  # the template and config just written there too
    return argv, env


# ================================================================================ 组合查询 (issue 17 §2) — begin
# The 组合查询 page: conditions on the fields of one list (engine.query: compiled to SQL, run in DuckDB over the
# catalogue's Parquet), flags from the checks, a live count, a paged table (masked), the selected records as a
# workbook (masked unless the user ticks the audited choice) and saved queries in the cache folder (owner-only).
QUERY_PAGE_ROWS = 20
QUERY_EXPORT_MAX = 200_000  # records in one download from the page (the browser holds the workbook in memory)
SAVED_QUERIES_FILE = "queries.json"
# the columns the result table shows besides 行号 and the fields of the conditions (first present of each)
QUERY_BRIEF = (
    ("XM", "姓名"),
    ("XB", "性别"),
    ("CSRQ", "出生日期"),
    ("SFZH", "SFZJH", "ZJHM", "身份证号"),
    ("XJH", "学籍号"),
    ("KSH", "考生号"),
    ("XH", "学号"),
    ("XXMC", "YXMC", "学校名称"),
    ("ZYMC", "专业名称"),
    ("NJ", "年级"),
    ("BJ", "BH", "班级"),
)


class SavedQueries:
    """组合查询's saved queries: name → {dataset, query, saved}, in ``<cache>/queries.json`` (the owner's only, like
    the rest of the cache: the values of a query may be personal). A name is only a key in that file."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.path = self.folder / SAVED_QUERIES_FILE

    def all(self) -> dict[str, dict]:
        """Every saved query by name (an unreadable file reads as none)."""
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}

    def save(self, name: str, dataset: str, query: object) -> str:
        """Save ``query`` (an engine.query.Query) on ``dataset`` under ``name`` (replacing one of that name);
        returns the name as kept (blanks trimmed)."""
        from .catalog import _Lock, _write_text, make_private

        name = " ".join(str(name or "").split())
        if not name:
            raise XuejiError("请先给查询起个名字")
        if len(name) > 40:
            raise XuejiError("查询的名字最多 40 个字")
        make_private(self.folder)
        with _Lock(self.folder / "queries.lock"):
            data = self.all()
            data[name] = {
                "dataset": dataset,
                "query": query.to_dict(),
                "saved": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            }
            _write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1))
        return name

    def delete(self, name: str) -> None:
        """Remove the saved query ``name`` (nothing when there is none)."""
        from .catalog import _Lock, _write_text

        with _Lock(self.folder / "queries.lock"):
            data = self.all()
            if data.pop(name, None) is not None:
                _write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1))

    def get(self, name: str) -> tuple[str, object]:
        """(dataset, Query) of the saved query ``name``."""
        from ..engine.query import Query

        entry = self.all().get(name)
        if entry is None:
            raise XuejiError(f"没有名为“{name}”的已保存查询")
        return str(entry.get("dataset", "")), Query.from_dict(entry.get("query") or {})


class _ConditionRow:
    """One condition's widgets: field, operation, its value(s), 删除."""

    def __init__(self, page: QueryPage):
        w = _widgets()
        self.page = page
        self.field = w.Dropdown(description="字段", options=page.table.fields(), layout=w.Layout(width="300px"))
        self.op = w.Dropdown(description="", options=[], layout=w.Layout(width="90px"))
        self.text = w.Combobox(
            placeholder="值", ensure_option=False, continuous_update=False, layout=w.Layout(width="220px")
        )
        self.many = w.SelectMultiple(options=[], rows=5, layout=w.Layout(width="260px"))
        self.low = w.Text(placeholder="从", continuous_update=False, layout=w.Layout(width="110px"))
        self.high = w.Text(placeholder="到", continuous_update=False, layout=w.Layout(width="110px"))
        self.remove = w.Button(description="删除", layout=w.Layout(width="60px"))
        for x, cls in (
            (self.field, "xj-q-field"),
            (self.op, "xj-q-op"),
            (self.text, "xj-q-value"),
            (self.many, "xj-q-values"),
            (self.low, "xj-q-low"),
            (self.high, "xj-q-high"),
        ):
            x.add_class(cls)
        self.box = w.HBox([self.field, self.op, self.text, self.many, self.low, self.high, self.remove])
        self.box.add_class("xj-q-row")
        self._set_field()
        self.field.observe(lambda ch: (self._set_field(), page.refresh()), names="value")
        self.op.observe(lambda ch: (self._show(), page.refresh()), names="value")
        for x in (self.text, self.many, self.low, self.high):
            x.observe(lambda ch: page.refresh(), names="value")
        self.remove.on_click(lambda _b: page.remove_condition(self))

    def _set_field(self) -> None:
        from ..engine.query import OPS

        with self.page.quiet():
            code = self.field.value
            ops = self.page.table.ops(code) if code else []
            self.op.options = [(OPS[o], o) for o in ops]
            self.op.value = ops[0] if ops else None
            values = self.page.table.values(code) if code and code in self.page.table.types else []
            self.text.options = [v for v, _label, _n in values]
            self.text.value = ""
            self.many.options = [(f"{label}（{n} 条）", v) for v, label, n in values]
            self.many.value = ()
            self.low.value = self.high.value = ""
        self._show()

    def _show(self) -> None:
        op = self.op.value
        self.text.layout.display = "" if op in ("eq", "contains") else "none"
        self.many.layout.display = "" if op == "in" else "none"
        for x in (self.low, self.high):
            x.layout.display = "" if op == "range" else "none"

    def condition(self) -> object:
        from ..engine.query import Condition

        op = self.op.value
        if op in ("eq", "contains"):
            values = (self.text.value,)
        elif op == "in":
            values = tuple(self.many.value)
        elif op == "range":
            values = (self.low.value, self.high.value)
        else:
            values = ()
        return Condition(self.field.value, op, values)

    def set(self, cond: object) -> None:
        """Show ``cond`` (a saved query's condition)."""
        with self.page.quiet():
            if cond.field not in [v for _l, v in self.field.options]:
                raise XuejiError(f"名单中没有字段 {cond.field}")
            self.field.value = cond.field
            self._set_field()
            self.op.value = cond.op
            vals = list(cond.values)
            if cond.op in ("eq", "contains"):
                self.text.value = vals[0] if vals else ""
            elif cond.op == "in":
                have = {v for _l, v in self.many.options}
                self.many.options = list(self.many.options) + [(v, v) for v in vals if v not in have]
                self.many.value = tuple(vals)
            elif cond.op == "range":
                self.low.value, self.high.value = (vals + ["", ""])[:2]
        self._show()


class QueryPage:
    """组合查询: a list of the data folder, conditions on its fields combined with AND, flags from the checks; a live
    count, a paged table (masked), the records as a workbook, saved queries."""

    def __init__(self, cat: Catalog, audit: AuditLog | None = None, saved: SavedQueries | None = None):
        w = _widgets()
        self.cat = cat
        self.audit = audit or AuditLog(page="组合查询")
        self.saved = saved or SavedQueries(cat.cache_dir)
        self.table = None
        self.rows: list[_ConditionRow] = []
        self.offset = 0
        self.count = 0
        self._quiet = 0
        self.dataset = w.Dropdown(
            description="名单", options=[(d.label, d.id) for d in cat.datasets.values()], layout=w.Layout(width="720px")
        )
        self.add_button = w.Button(description="添加条件", icon="plus")
        self.conditions_box = w.VBox()
        self.flags_box = w.HBox()
        self.flags_note = w.HTML()
        self.as_of = w.Text(
            description="年龄截至",
            value=_dt.date.today().isoformat(),
            continuous_update=False,
            layout=w.Layout(width="240px"),
        )
        self.message = w.HTML()
        self.count_html = w.HTML()
        self.table_html = w.HTML()
        self.prev_button = w.Button(description="上一页")
        self.next_button = w.Button(description="下一页")
        self.page_label = w.HTML()
        self.unmask = w.Checkbox(value=False, description="导出完整个人信息（记入审计日志）", indent=False)
        self.export_button = w.Button(description="导出 Excel", button_style="primary", icon="download")
        self.download = w.HTML()
        self.save_name = w.Text(placeholder="给当前查询起个名字", layout=w.Layout(width="260px"))
        self.save_button = w.Button(description="保存查询")
        self.saved_pick = w.Dropdown(description="已保存", options=[], layout=w.Layout(width="360px"))
        self.open_button = w.Button(description="打开")
        self.delete_button = w.Button(description="删除")
        self.saved_note = w.HTML()
        self.dataset.observe(lambda ch: self.choose(ch["new"]), names="value")
        self.add_button.on_click(lambda _b: self.add_condition())
        self.as_of.observe(lambda ch: self.refresh(), names="value")
        self.prev_button.on_click(lambda _b: self.turn(-1))
        self.next_button.on_click(lambda _b: self.turn(1))
        self.export_button.on_click(lambda _b: self.export())
        self.save_button.on_click(lambda _b: self.save())
        self.open_button.on_click(lambda _b: self.open_saved(self.saved_pick.value))
        self.delete_button.on_click(lambda _b: self.delete_saved())
        self.catalog_box = w.Accordion(children=[w.HTML(CSS + catalog_html(cat))], titles=("数据目录中的名单",))
        self.catalog_box.selected_index = None
        self.view = w.VBox(
            [
                w.HTML(CSS + "<h2>组合查询</h2>"),
                self.catalog_box,
                w.HBox([self.saved_pick, self.open_button, self.delete_button]),
                self.dataset,
                self.conditions_box,
                w.HBox([self.add_button, self.as_of]),
                self.flags_box,
                self.flags_note,
                self.message,
                self.count_html,
                self.table_html,
                w.HBox([self.prev_button, self.page_label, self.next_button]),
                w.HBox([self.export_button, self.unmask]),
                self.download,
                w.HBox([self.save_name, self.save_button]),
                self.saved_note,
            ]
        )
        self._list_saved()
        if self.dataset.value is not None:
            self.choose(self.dataset.value)

    @classmethod
    def from_environment(cls) -> QueryPage:
        return cls(catalog_from_environment())

    def start(self, params: dict) -> QueryPage:
        """``?saved=<name>`` opens that saved query."""
        name = params.get("saved", "")
        if name:
            self.open_saved(name)
        return self

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Widget changes inside do not run the query (it runs once at the end of what set them)."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    # ---------------------------------------------------------------- the list and its conditions
    def choose(self, ds: str | None) -> None:
        """Open list ``ds`` (a catalogue id): its fields, its flags, no conditions."""
        if ds is None or ds not in self.cat.datasets:  # a value set from outside the whitelist
            self.message.value = note_html("所选名单不在数据目录中", error=True)
            return
        w = _widgets()
        if self.table is not None:
            self.table.close()
        try:
            self.table = self.cat.query_table(ds)
        except (XuejiError, OSError) as exc:
            self.table = None
            self.message.value = note_html(str(exc), error=True)
            return
        with self.quiet():
            self.rows = []
            self.conditions_box.children = []
            boxes = []
            for zh, flag in self.table.flags():
                cb = w.Checkbox(value=False, description=zh, indent=False, layout=w.Layout(width="120px"))
                cb.flag = flag
                cb.add_class("xj-q-flag")
                cb.observe(lambda ch: self.refresh(), names="value")
                boxes.append(cb)
            self.flags_box.children = [w.HTML("标记："), *boxes]
            from ..engine.query import FLAGS

            missing = [f"{FLAGS[f]}（需要{why}）" for f, why in self.table.unavailable.items()]
            self.flags_note.value = note_html("这份名单没有的标记：" + "；".join(missing)) if missing else ""
        self.refresh()

    def add_condition(self, cond: object | None = None) -> _ConditionRow | None:
        """A new condition row (showing ``cond`` when given)."""
        if self.table is None:
            return None
        row = _ConditionRow(self)
        self.rows.append(row)
        if cond is not None:
            row.set(cond)
        self.conditions_box.children = [r.box for r in self.rows]
        self.refresh()
        return row

    def remove_condition(self, row: _ConditionRow) -> None:
        """Drop a condition row."""
        self.rows = [r for r in self.rows if r is not row]
        self.conditions_box.children = [r.box for r in self.rows]
        self.refresh()

    def query(self) -> object:
        """The query the widgets show (engine.query.Query)."""
        from ..engine.query import Query, as_of_text

        flags = tuple(cb.flag for cb in self.flags_box.children if getattr(cb, "flag", None) and cb.value)
        return Query(tuple(r.condition() for r in self.rows), flags, as_of_text(self.as_of.value))

    # ---------------------------------------------------------------- count and table
    def refresh(self) -> None:
        """Count again and show the first page (what every change of a condition does)."""
        if self._quiet or self.table is None:
            return
        self.offset = 0
        self.download.value = ""
        try:
            query = self.query()
            self.count, seconds = self.table.timed_count(query)
        except XuejiError as exc:
            self.message.value = note_html(str(exc), error=True)
            self.count_html.value = ""
            self.table_html.value = ""
            self.page_label.value = ""
            return
        except MemoryError:
            self.message.value = note_html(memory_message(), error=True)
            return
        self.message.value = ""
        self.audit.write("query", dataset=self.dataset.value, records=int(self.count), **query.outline())
        conds = self.table.describe(query)
        self.count_html.value = (
            CSS
            + f'<div class="xj-count">符合条件：{self.count:,} 条</div>'
            + note_html(
                f"名单共 {self.table.total:,} 条；"
                + ("条件：" + "；".join(conds) if conds else "没有条件（全部记录）")
                + f"（用时 {seconds:.2f} 秒）"
            )
        )
        self._render_page(query)

    def _render_page(self, query: object) -> None:
        from ..core.privacy import mask_frame

        table = self.table
        pages = max(1, -(-self.count // QUERY_PAGE_ROWS))
        page_no = self.offset // QUERY_PAGE_ROWS + 1
        self.page_label.value = (
            f'<span class="xj-q-pages">第 {page_no} 页，共 {pages} 页（每页 {QUERY_PAGE_ROWS} 条）</span>'
        )
        self.prev_button.disabled = page_no <= 1
        self.next_button.disabled = page_no >= pages
        if not self.count:
            self.table_html.value = note_html("没有符合条件的记录")
            return
        cols = [next((c for c in group if c in table.types), None) for group in QUERY_BRIEF]
        cols = list(
            dict.fromkeys([c for c in cols if c] + [r.field.value for r in self.rows if r.field.value in table.types])
        )
        recs = table.page(query, self.offset, QUERY_PAGE_ROWS, cols)
        rows = recs["_row"].to_numpy()
        shown = mask_frame(recs.drop(columns="_row"), table.layout)  # always masked here: the export may unmask
        shown.columns = [table.field_name(c) for c in shown.columns]
        shown.insert(0, "行号", [self.cat.file_row(self.dataset.value, r) for r in rows])
        self.table_html.value = CSS + table_html(shown)

    def turn(self, step: int) -> None:
        """The next (1) or previous (-1) page."""
        if self.table is None:
            return
        new = self.offset + step * QUERY_PAGE_ROWS
        if new < 0 or new >= max(self.count, 1):
            return
        self.offset = new
        try:
            self._render_page(self.query())
        except XuejiError as exc:
            self.message.value = note_html(str(exc), error=True)

    # ---------------------------------------------------------------- export
    def export(self) -> None:
        """The selected records as a workbook to download: masked unless 导出完整个人信息 is ticked (audited)."""
        from ..engine.query import query_workbook

        if self.table is None:
            return
        ds = self.dataset.value
        try:
            query = self.query()
            n = self.table.count(query)
            if n > QUERY_EXPORT_MAX:
                raise XuejiError(
                    f"符合条件的记录有 {n:,} 条，超过看板一次导出的上限 {QUERY_EXPORT_MAX:,} 条：请加条件缩小范围（例如按学校分批导出）"
                )
            if n == 0:
                raise XuejiError("没有符合条件的记录，无需导出")
            unmask = bool(self.unmask.value)
            records = self.table.records(query)
            stem = Path(ds).stem
            name = f"组合查询_{stem}_{n}条{'_未遮蔽' if unmask else ''}.xlsx"
            with tempfile.TemporaryDirectory(prefix="xueji-dl-") as tmp:
                path = query_workbook(
                    records,
                    Path(tmp, "out.xlsx"),
                    layout=self.table.layout,
                    conditions=self.table.describe(query) or ["（没有条件：全部记录）"],
                    title=ds,
                    total=self.table.total,
                    file_rows=self.cat.file_rows(ds),
                    unmask=unmask,
                )
                data = path.read_bytes()
        except XuejiError as exc:
            self.message.value = note_html(str(exc), error=True)
            return
        except MemoryError:
            self.message.value = note_html(memory_message(), error=True)
            return
        self.audit.write("export", dataset=ds, records=int(n), masked=not unmask, **query.outline())
        self.download.value = download_html(name, data) + note_html(
            "个人信息未遮蔽：本次导出已记入审计日志，请妥善保管文件" if unmask else "身份证号、电话、地址已遮蔽"
        )

    # ---------------------------------------------------------------- saved queries
    def _list_saved(self, keep: str | None = None) -> None:
        names = sorted(self.saved.all())
        self.saved_pick.options = [("（选择已保存的查询）", None)] + [(n, n) for n in names]
        self.saved_pick.value = keep if keep in names else None

    def save(self) -> None:
        """Save the current query under the name typed."""
        if self.table is None:
            return
        try:
            name = self.saved.save(self.save_name.value, self.dataset.value, self.query())
        except XuejiError as exc:
            self.saved_note.value = note_html(str(exc), error=True)
            return
        self.audit.write("save_query", dataset=self.dataset.value)
        self._list_saved(keep=name)
        self.saved_note.value = note_html(f"已保存查询“{name}”")

    def open_saved(self, name: str | None) -> None:
        """Show the saved query ``name``: its list, conditions and flags, counted again on today's data."""
        if not name:
            return
        try:
            ds, query = self.saved.get(name)
            if ds not in self.cat.datasets:
                raise XuejiError(f"查询“{name}”所用的名单 {ds} 已不在数据目录中")
            with self.quiet():
                if self.dataset.value != ds:
                    self.dataset.value = ds  # observed: opens the list (quietly)
                else:
                    self.choose(ds)
                for c in query.conditions:
                    self.add_condition(c)
                for cb in self.flags_box.children:
                    if getattr(cb, "flag", None):
                        cb.value = cb.flag in query.flags
                if query.as_of:
                    self.as_of.value = query.as_of
        except XuejiError as exc:
            self.saved_note.value = note_html(str(exc), error=True)
            return
        self.audit.write("open_query", dataset=ds)
        self._list_saved(keep=name)
        self.saved_note.value = note_html(f"已打开查询“{name}”")
        self.refresh()

    def delete_saved(self) -> None:
        """Delete the saved query chosen."""
        name = self.saved_pick.value
        if not name:
            return
        self.saved.delete(name)
        self.audit.write("delete_query")
        self._list_saved()
        self.saved_note.value = note_html(f"已删除查询“{name}”")


# ================================================================================ 组合查询 (issue 17 §2) — end
