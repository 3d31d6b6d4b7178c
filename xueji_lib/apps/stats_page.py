"""The 统计 dashboard page (issue 17 §3): pick a list of the data folder, a row field and a column field (学校,
年级, 民族, 年龄, 户籍 …), optionally 其中女; the two-way table with its margins checked (行合计 = 列合计 = 记录数)
and the table as a workbook. The notebook ``notebooks/dashboards/统计.ipynb`` only calls
``CrosstabPage.from_environment()`` and ``start``; the counting is ``stats.crosstab.crosstab`` (in the engine).
Tables hold counts only: nothing personal is shown or exported.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..core.errors import XuejiError
from ..stats.crosstab import crosstab, crosstab_dimensions, margins_check
from .catalog import Catalog
from .dashboard import CSS, _widgets, catalog_from_environment, catalog_html, download_html, note_html, table_html

__all__ = ["CrosstabPage"]

NO_COLUMNS = "（不分列）"
DEFAULT_ROWS, DEFAULT_COLUMNS = ("学校", "院系"), ("年级", "层次")


class CrosstabPage:
    """统计: a list, a row field, a column field, 其中女; the table, its 合计核对 line, the workbook."""

    def __init__(self, cat: Catalog):
        w = _widgets()
        self.cat = cat
        self.table = None
        self.dataset = w.Dropdown(
            description="名单", options=[(d.label, d.id) for d in cat.datasets.values()], layout=w.Layout(width="720px")
        )
        self.rows = w.Dropdown(description="行", options=[], layout=w.Layout(width="240px"))
        self.columns = w.Dropdown(description="列", options=[], layout=w.Layout(width="240px"))
        self.female = w.Checkbox(value=False, description="分列“其中女”", indent=False)
        self.message = w.HTML()
        self.check_html = w.HTML()
        self.table_html = w.HTML()
        self.export_button = w.Button(description="下载 Excel", button_style="primary", icon="download")
        self.download = w.HTML()
        self._quiet = False
        self.dataset.observe(lambda ch: self.choose(ch["new"]), names="value")
        for box in (self.rows, self.columns, self.female):
            box.observe(lambda ch: self.refresh(), names="value")
        self.export_button.on_click(lambda _b: self.export())
        catalog_box = w.Accordion(children=[w.HTML(CSS + catalog_html(cat))], titles=("数据目录中的名单",))
        catalog_box.selected_index = None
        self.view = w.VBox(
            [
                w.HTML(CSS + "<h2>统计</h2>"),
                catalog_box,
                self.dataset,
                w.HBox([self.rows, self.columns, self.female]),
                self.message,
                self.check_html,
                self.table_html,
                w.HBox([self.export_button]),
                self.download,
            ]
        )
        if self.dataset.value is not None:
            self.choose(self.dataset.value)

    @classmethod
    def from_environment(cls) -> CrosstabPage:
        return cls(catalog_from_environment())

    def start(self, params: dict) -> CrosstabPage:
        """``?ds=…&rows=学校&cols=年级&female=1`` opens with that table."""
        self._quiet = True
        try:
            if params.get("ds") in dict((v, k) for k, v in self.dataset.options):
                self.dataset.value = params["ds"]
            names = [v for _, v in self.rows.options]
            if params.get("rows") in names:
                self.rows.value = params["rows"]
            if params.get("cols") in [v for _, v in self.columns.options]:
                self.columns.value = params["cols"]
            self.female.value = params.get("female", "") in ("1", "true", "是")
        finally:
            self._quiet = False
        self.refresh()
        return self

    def choose(self, ds: str | None) -> None:
        """A list picked: the fields it can be counted by become the menus' choices."""
        self.download.value = ""
        if ds is None:
            return
        self._quiet = True
        try:
            dims = crosstab_dimensions(self.cat.frame(ds))
            self.rows.options = [(d, d) for d in dims]
            self.columns.options = [(NO_COLUMNS, "")] + [(d, d) for d in dims]
            self.rows.value = next((d for d in DEFAULT_ROWS if d in dims), dims[0] if dims else None)
            self.columns.value = next((d for d in DEFAULT_COLUMNS if d in dims), "")
        finally:
            self._quiet = False
        self.refresh()

    def refresh(self) -> None:
        """Count the table for the fields chosen (in the engine) and show it with its 合计核对."""
        if self._quiet or self.dataset.value is None or not self.rows.value:
            return
        self.download.value = ""
        rows, cols = self.rows.value, self.columns.value or None
        if cols == rows:
            self.message.value = note_html("行和列选了同一个字段，请换一个列字段", error=True)
            self.table_html.value = self.check_html.value = ""
            self.table = None
            return
        frame = self.cat.frame(self.dataset.value)
        try:
            t = crosstab(frame, rows, cols, female=bool(self.female.value))
        except XuejiError as exc:
            self.message.value = note_html(str(exc), error=True)
            self.table_html.value = self.check_html.value = ""
            self.table = None
            return
        check = margins_check(t, len(frame))
        self.table = t
        self.message.value = ""
        self.check_html.value = note_html(
            f"{rows}{'×' + cols if cols else ''}：行合计 {check['行合计']:,}，列合计 {check['列合计']:,}，"
            f"记录数 {check['记录数']:,}——" + ("三者一致" if check["一致"] else "不一致，请检查"),
            error=not check["一致"],
        )
        self.table_html.value = table_html(t, limit=200)

    def export(self) -> None:
        """The table as a workbook (counts only)."""
        from ..io.excel_writer import write_excel

        if self.table is None:
            self.download.value = note_html("还没有统计表", error=True)
            return
        title = f"{self.rows.value}×{self.columns.value}" if self.columns.value else self.rows.value
        name = f"统计_{Path(self.dataset.value).stem}_{title}.xlsx"
        with tempfile.TemporaryDirectory(prefix="xueji-dl-") as tmp:
            path = Path(tmp, "out.xlsx")
            write_excel({title[:31]: self.table}, path)
            data = path.read_bytes()
        self.download.value = download_html(name, data)
