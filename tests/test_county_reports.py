"""Reports at county size (issue 15 §8, §7 part): a roster of 1,005 schools, made by the package's own
generator (samples.scale.make_roster_pair, schools spread to 1,005), run through the 学籍变动报告 by papermill
once. Every table is complete (all 1,005 schools, no pandas "…" or "N rows × M columns", no index column),
no <NA> / nan / None anywhere, the per-school chart shows at most 30 schools with the rest summed in words,
年级 reads in words, the run index shows only the parameters that apply (no 学历类别 for a K-12 run), and —
in a real browser — 姓名 stays on one line and a long table scrolls under a header that stays in view."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.reporting import display as xd
from xueji_lib.reporting.index import write_index
from xueji_lib.reporting.report import check_parameters, describe_parameters

SCHOOLS = 1005
GRADE_CODES = re.compile(r"^(1[1-6]|2[1-3]|3[1-3])$")
PANDAS_LEFTOVERS = re.compile(r"rows ×|rows x \d|…|&lt;NA&gt;|<NA>|\bNaN\b|\bnan\b|\bNone\b|\bNaT\b")


def school_name(i: int) -> str:
    return f"合成县第{i + 1:04d}学校"


def county_frames(n: int = 12_000, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Two terms of a county roster and their change list: make_roster_pair's pupils, each put in one of
    1,005 schools by their 学籍号 (the same school in both terms and in the change list)."""
    from xueji_lib.samples.scale import make_roster_pair

    old, new, changes = make_roster_pair(n, seed=seed)
    ids = np.sort(pd.unique(pd.concat([old["XJH"], new["XJH"]]).astype(str).to_numpy()))
    school = {x: i % SCHOOLS for i, x in enumerate(ids)}
    for f in (old, new, changes):
        s = f["XJH"].astype(str).map(school).to_numpy()
        f["XXBSM"] = [f"21430{i:05d}" for i in s]
        f["XXMC"] = [school_name(i) for i in s]
    return old, new, changes


class Tables(HTMLParser):
    """Every <table> of a page: its header cells and its body rows (cell texts), and each table's class."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._where = ""

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"class": dict(attrs).get("class", ""), "head": [], "rows": []})
        elif tag in ("thead", "tbody"):
            self._where = tag
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            t = self.tables[-1]
            if self._where == "thead" and not t["head"]:
                t["head"] = self._row
            else:
                t["rows"].append(self._row)
            self._row = None


def tables_of(html: str) -> list[dict]:
    p = Tables()
    p.feed(html)
    return p.tables


def page_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def table_with(tables: list[dict], *head: str) -> dict:
    return next(t for t in tables if all(h in t["head"] for h in head))


# ------------------------------------------------------------------------------ the library, no kernel


@pytest.fixture(scope="module")
def county():
    return county_frames()


@pytest.fixture(scope="module")
def county_stats(county):
    old, new, _ = county
    return xj.k12_stats(new, previous=old)


def test_generated_roster_is_county_size(county):
    old, new, changes = county
    assert old["XXMC"].nunique() == SCHOOLS and new["XXMC"].nunique() == SCHOOLS
    assert set(changes["XXMC"]) <= set(old["XXMC"]) | set(new["XXMC"])


def test_stats_table_complete_without_index(county_stats):
    schools = county_stats.table("按学校")
    assert len(schools) == SCHOOLS + 1
    html = xd.table(schools, "tables.xlsx", "按学校")._repr_html_()
    (t,) = tables_of(html)
    assert t["head"] == list(schools.columns)  # no index column before 学校
    assert [r[0] for r in t["rows"]] == schools["学校"].tolist()  # every school, then 合计
    assert {school_name(i) for i in range(SCHOOLS)} <= {r[0] for r in t["rows"]}
    assert "共 1005 行（另有合计行）" in html and "完整表格见 tables.xlsx（工作表“按学校”）" in html
    assert 'class="xueji-scroll"' in html and not PANDAS_LEFTOVERS.search(page_text(html))


def test_grades_read_in_words(county_stats):
    grades = county_stats.table("按年级")["年级"].tolist()
    assert grades[:-1] == xj.load_code_table("nj").labels() and grades[-1] == "合计"
    assert not any(GRADE_CODES.match(g) for g in grades)
    klass = county_stats.table("按班级")
    assert not klass["年级"].str.fullmatch(GRADE_CODES.pattern[1:-1]).any()


def test_chart_shows_top_schools_and_sums_the_rest(county_stats, county):
    fig = xd.chart(county_stats)
    cats = list(fig.data[0].y)  # horizontal bars: one per school, names on the axis
    assert 1 <= len(cats) <= 31 and len(set(cats)) == len(cats)
    title = fig.layout.title.text
    assert "共 1005 所学校" in title and "其余 975 所学校合计" in title
    shown = sum(int(v) for v in fig.data[0].x)
    rest = int(re.search(r"人数 (\d+)", title).group(1))
    assert shown + rest == county_stats.total  # nothing lost: the 30 shown plus the rest's sum
    old, new, changes = county
    res = xj.compare(old, new, changes=changes)
    fig = xd.chart(res)
    assert len(fig.data[0].y) <= 31 and "其余" in fig.layout.title.text
    assert fig.layout.height >= 30 * 40  # tall enough for 30 schools' bars


def test_missing_values_are_empty_cells():
    frame = pd.DataFrame(
        {
            "文件": ["本期名单", "上期名单"],
            "记录数": pd.array([5, None], dtype="Int64"),
            "说明": [None, "nan"],
            "比例": [np.nan, 1.5],
        }
    )
    html = xd.table(frame)._repr_html_()
    assert not PANDAS_LEFTOVERS.search(page_text(html))
    (t,) = tables_of(html)
    assert t["rows"] == [["本期名单", "5", "", ""], ["上期名单", "", "", "1.50"]]
    from xueji_lib.reporting.notebook import input_counts

    assert input_counts(本期名单=frame, 上期名单=None)["记录数"].tolist() == [2, "未提供"]


def test_named_index_becomes_a_column_and_short_text_never_wraps():
    crosstab = pd.DataFrame({"一致": [3, 4]}, index=pd.Index(["数学", "物理"], name="专业"))
    (t,) = tables_of(xd.table(crosstab)._repr_html_())
    assert t["head"] == ["专业", "一致"] and t["rows"] == [["数学", "3"], ["物理", "4"]]
    (t,) = tables_of(xd.table(pd.DataFrame({"x": [1]}, index=[7]))._repr_html_())
    assert t["head"] == ["x"]  # a bare index is not shown
    style = xd.table(crosstab)._repr_html_()
    assert "white-space: nowrap" in style and "table-layout: auto" in style  # jupyterlab's is fixed


# --------------------------------------------------------------------------------- the run index


def _fake_run(root: Path, report: str, params: dict, stamp: str) -> None:
    folder = root / report / f"{stamp}-abcdef"
    folder.mkdir(parents=True)
    checked = check_parameters(report, params)
    inputs = {k: {"path": v} for k, v in checked.items() if isinstance(v, str) and Path(v).is_file()}
    shown = [list(x) for x in describe_parameters(report, checked)]  # as run_report writes it
    manifest = {"report": report, "parameters": checked, "shown_parameters": shown, "inputs": inputs}
    manifest["outcome"] = "succeeded"
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    (folder / "report.html").write_text("<html></html>", "utf-8")


def test_index_shows_only_parameters_that_apply(tmp_path):
    samples = Path(__file__).resolve().parent.parent / "data_samples"
    roster = str(samples / "k12" / "学生名单_2026春.xlsx")
    _fake_run(tmp_path, "学籍统计报告", {"roster": roster, "kind": "k12"}, "20260301-080000")
    page = write_index(tmp_path).read_text("utf-8")
    assert "本期名单：学生名单_2026春.xlsx" in page and "名单类别：中小学" in page
    for word in ("category", "学历类别", "roster =", "kind", "10 普通本专科"):
        assert word not in page, word
    reg = str(samples / "hei" / "10_注册上报.dbf")
    _fake_run(tmp_path, "学籍统计报告", {"roster": reg, "kind": "higher_ed", "year": 2026}, "20260302-080000")
    page = write_index(tmp_path).read_text("utf-8")
    assert "名单类别：高等学校" in page and "学历类别：10 普通本专科" in page and "年份：2026" in page
    assert describe_parameters("学籍统计报告", {"roster": roster, "kind": "k12", "category": "10", "year": 2026}) == [
        ("本期名单", "学生名单_2026春.xlsx"),
        ("名单类别", "中小学"),
    ]


# ------------------------------------------------------------------- one county-size report, for real


@pytest.fixture(scope="module")
def county_run(county, tmp_path_factory):
    from xueji_lib.reporting.report import run_report
    from xueji_lib.samples.write import _write_csv

    old, new, changes = county
    d = tmp_path_factory.mktemp("county")
    _write_csv(d / "上期名单.csv", old, "k12_student", encoding="utf-8")
    _write_csv(d / "本期名单.csv", new, "k12_student", encoding="utf-8")
    _write_csv(d / "学籍异动.csv", changes, "k12_changes", encoding="utf-8")
    run = run_report(
        "学籍变动报告",
        out_root=d / "reports",
        old=str(d / "上期名单.csv"),
        new=str(d / "本期名单.csv"),
        changes=str(d / "学籍异动.csv"),
        title="合成县教育局",
    )
    return run, run.html.read_text("utf-8")


@pytest.mark.notebook
def test_county_report_lists_every_school(county_run, county):
    run, html = county_run
    tables = tables_of(html)
    schools = table_with(tables, "学校标识码", "学校", "上期人数", "本期人数")
    names = [r[1] for r in schools["rows"]]
    assert len(names) == SCHOOLS + 1 and names[-1] == "合计"
    assert set(names[:-1]) == {school_name(i) for i in range(SCHOOLS)}
    assert "共 1005 行（另有合计行），表格可上下滚动；完整表格见 tables.xlsx（工作表“按学校”）" in page_text(html)
    import openpyxl

    wb = openpyxl.load_workbook(run.tables, read_only=True)
    assert len(list(wb["按学校"].iter_rows())) == SCHOOLS + 2  # header, 1,005 schools, 合计


@pytest.mark.notebook
def test_county_report_has_no_pandas_artefacts(county_run):
    _, html = county_run
    text = page_text(html)
    assert not PANDAS_LEFTOVERS.search(text), PANDAS_LEFTOVERS.search(text).group()
    assert not re.search(r"\b[G]?\d{17}[\dXx]\b", text)  # 身份证件号 and 学籍号 stay masked
    assert 'class="dataframe"' not in html  # every table is xueji's: no index column
    tables = tables_of(html)
    assert tables and all(t["class"] == "xueji-table" for t in tables)
    assert all(t["head"] and t["head"][0] for t in tables)  # no empty corner cell of an index
    assert all(len(r) == len(t["head"]) for t in tables for r in t["rows"])


@pytest.mark.notebook
def test_county_report_chart_and_grades(county_run):
    _, html = county_run
    plots = [
        (json.loads(data), json.loads(layout))
        for data, layout in re.findall(
            r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*(\{.*?\}),\s*\{\"displaylogo\"", html, flags=re.S
        )
    ]
    traces, layout = next((d, lay) for d, lay in plots if "各校学籍变动" in lay["title"]["text"])
    title = layout["title"]["text"]
    assert "共 1005 所学校，图中为合计最多的 30 所" in title and "其余 975 所学校合计" in title
    assert [tr["name"] for tr in traces] == ["减少", "其中疑似流失", "新增", "调动"]
    assert all(1 <= len(tr["y"]) <= 31 for tr in traces)  # horizontal bars, one per school shown
    tables = tables_of(html)
    listed = [t for t in tables if "年级" in t["head"]]
    assert listed
    for t in listed:
        j = t["head"].index("年级")
        grades = [r[j] for r in t["rows"] if r[j]]
        assert grades and not [g for g in grades if GRADE_CODES.match(g)]
        assert all(re.fullmatch(r"(小学|初中|高中)[一二三四五六]年级", g) for g in grades)


@pytest.mark.notebook
def test_county_report_index_in_chinese(county_run):
    run, _ = county_run
    page = (run.folder.parent.parent / "index.html").read_text("utf-8")
    assert (
        "上期名单：上期名单.csv" in page and "学籍异动名单：学籍异动.csv" in page and "单位名称：合成县教育局" in page
    )
    assert "old =" not in page and "category" not in page


@pytest.mark.browser
@pytest.mark.notebook
def test_county_report_in_a_browser(county_run):
    """姓名 on one line in every list, the 按学校 box scrolls and its header stays in view."""
    from .browser import ARGS, CHROMIUM, need_browser

    sync_api = need_browser()
    run, _ = county_run
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
            page.goto(run.html.as_uri(), wait_until="load", timeout=30_000)
            got = page.evaluate(
                """() => {
                const out = {names: [], scroll: null};
                for (const t of document.querySelectorAll("table.xueji-table")) {
                  const heads = [...t.querySelectorAll("thead th")].map(th => th.textContent.trim());
                  const j = heads.indexOf("姓名");
                  if (j < 0) continue;
                  for (const tr of [...t.querySelectorAll("tbody tr")].slice(0, 5)) {
                    const td = tr.children[j];
                    const lh = parseFloat(getComputedStyle(td).lineHeight) || 20;
                    out.names.push([td.textContent, td.getBoundingClientRect().height, lh]);
                  }
                }
                const box = document.querySelector(".xueji-scroll");
                const th = box.querySelector("thead th");
                const top0 = th.getBoundingClientRect().top - box.getBoundingClientRect().top;
                box.scrollTop = 2000;
                const top1 = th.getBoundingClientRect().top - box.getBoundingClientRect().top;
                out.scroll = [box.scrollHeight, box.clientHeight, box.scrollTop, top0, top1];
                return out;
              }"""
            )
        finally:
            browser.close()
    assert got["names"], "a list with 姓名 is shown"
    for name, height, line in got["names"]:
        assert len(name) >= 2 and height < 1.8 * line + 12, (name, height, line)  # one line, not one per character
    full, seen, top, head0, head1 = got["scroll"]
    assert full > seen and top > 0  # the 1,006 rows scroll inside the box
    assert abs(head1 - head0) < 2  # the header row stays at the top of the box
