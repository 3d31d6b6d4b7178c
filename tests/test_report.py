"""Report notebooks run for real by papermill on the samples: HTML offline and without code, key figures
equal to the library's, tables.xlsx and manifest.json written, parameters checked before anything runs,
a failing run kept as …-failed with the error cell."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

import xueji_lib as xj
from xueji_lib.reporting.report import (
    REPORTS,
    ReportParameterError,
    ReportRunError,
    check_parameters,
    export_html,
    run_report,
)

pytestmark = pytest.mark.notebook  # papermill runs the report notebooks on a real kernel

HEI = Path(__file__).resolve().parent.parent / "data_samples" / "hei"
NAME = "新生注册核对报告"
FILES = {
    "admission": HEI / "10_录取名单.dbf",
    "registration": HEI / "10_注册上报.dbf",
    "states": HEI / "10_新生状态.dbf",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    return run_report(
        NAME,
        out_root=root,
        **{k: str(v) for k, v in FILES.items()},
        year=2026,
        category="10",
        school_code="00123",
        school_name="示例大学",
    )


@pytest.fixture(scope="module")
def html(run):
    return run.html.read_text("utf-8")


@pytest.fixture(scope="module")
def expected():
    adm, reg, states = (xj.read_dbf(FILES[k]) for k in ("admission", "registration", "states"))
    return xj.reconcile(adm, reg, year=2026, category="10", states=states).counts


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attrs = []  # (tag, attr, value) of every real element attribute

    def handle_starttag(self, tag, attrs):
        self.attrs += [(tag, k, v or "") for k, v in attrs]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<script\b.*?</script>", "", html, flags=re.S)))


def test_run_folder_and_files(run):
    assert run.folder.parent.name == NAME
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", run.folder.name)
    assert {p.name for p in run.folder.iterdir()} == {
        "report.html",
        "report.ipynb",
        "tables.xlsx",
        "manifest.json",
        "资格有误.dbf",
        "未注册.dbf",
        "核对结果.xlsx",
        "results.csv",
        "summary.json",
    }
    assert not [p for p in run.folder.parent.iterdir() if p.name.startswith(".")]  # the temp folder was renamed


def test_html_has_no_code_cells(html):
    assert not re.search(r'class="(jp-CodeMirrorEditor|jp-InputArea-editor|highlight)', html)
    for code in ("xj.read_dbf", "rp.record_counts", "import xueji_lib", "out_dir ="):
        assert code not in html
    assert "新生注册核对报告" in html and "示例大学" in html and "00123" in html


def test_html_reconcile_counts_equal_library(html, expected):
    text = _text(html)
    for side, title in (("registration", "注册上报"), ("admission", "录取数据")):
        for status, zh in (("matched", "一致"), ("key_mismatch", "关键字段不一致")):
            assert re.search(rf"{title}\s+{zh}\s+{expected[side][status]}\b", text), (side, status)
        assert re.search(rf"{title}\s+合计\s+{expected[side]['total']}\b", text)
    assert re.search(rf"注册上报\s+录取数据中没有\s+{expected['registration']['not_admitted']}\b", text)
    assert re.search(rf"录取数据\s+未注册\s+{expected['admission']['not_registered']}\b", text)
    # the 资格有误 list: every rejected registration record, ID numbers masked
    assert "考生号第 13、14 位颠倒" in text and "姓名差一个字" in text
    assert not re.search(r"\b\d{17}[\dXx]\b", text)


def test_html_chart_inlined_and_offline(html):
    assert 'class="plotly-graph-div"' in html and "Plotly.newPlot" in html
    assert len(html) > 3_000_000  # plotly.js itself is inside the page
    parser = _Tags()
    parser.feed(html)
    outside = [(t, k, v) for t, k, v in parser.attrs if k in ("src", "href") and re.match(r"(https?:)?//", v)]
    assert outside == []
    assert not re.search(r"""(src|href)\s*=\s*["']https?://""", html)
    assert "cdnjs" not in html and "unpkg.com" not in html and "require.min.js" not in html


def test_tables_xlsx(run, expected):
    wb = openpyxl.load_workbook(run.tables, read_only=True)
    assert {"校验汇总", "核对汇总", "资格有误", "未注册", "按专业核对结果", "按专业"} <= set(wb.sheetnames)
    rows = list(wb["核对汇总"].iter_rows(values_only=True))
    assert ("注册上报", "合计", expected["registration"]["total"]) in rows
    assert ("录取数据", "未注册", expected["admission"]["not_registered"]) in rows
    by_major = list(wb["按专业核对结果"].iter_rows(values_only=True))
    assert by_major[0][0] == "专业" and None not in [r[0] for r in by_major]
    assert sum(sum(r[1:]) for r in by_major[1:]) == expected["registration"]["total"]
    assert (
        len(list(wb["资格有误"].iter_rows())) - 1
        == expected["registration"]["total"] - expected["registration"]["matched"]
    )


def test_manifest(run):
    m = json.loads((run.folder / "manifest.json").read_text("utf-8"))
    assert m["outcome"] == "succeeded" and m["report"] == NAME and m["run_id"] == run.run_id
    assert m["parameters"]["school_code"] == "00123" and m["parameters"]["year"] == 2026
    assert m["inputs"]["registration"]["records"] == 995 and m["inputs"]["admission"]["records"] == 1000
    import hashlib

    assert m["inputs"]["admission"]["sha256"] == hashlib.sha256(FILES["admission"].read_bytes()).hexdigest()
    assert set(m["versions"]) >= {"xueji", "pandas", "papermill", "nbconvert"} and all(m["versions"].values())
    assert Path(m["kernel_python"]).resolve() == Path(sys.executable).resolve()  # this venv's interpreter ran it
    assert m["duration_seconds"] > 0 and m["started"] <= m["ended"]


def test_executed_notebook_kept(run):
    import nbformat

    nb = nbformat.read(run.notebook, as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


# ------------------------------------------------------------------------------------- parameters


def test_registry_and_string_parameters_stay_strings():
    spec = REPORTS[NAME]
    assert spec.notebook.exists()
    p = check_parameters(
        NAME,
        {
            "admission": str(FILES["admission"]),
            "registration": str(FILES["registration"]),
            "school_code": "00123",
            "year": "2026",
        },
    )
    assert p["school_code"] == "00123" and p["year"] == 2026 and p["states"] is None and p["category"] == "10"


@pytest.mark.parametrize(
    "params, words",
    [
        ({"admision": "x"}, ["没有参数 admision", "admission"]),
        ({"admission": str(FILES["admission"])}, ["缺少必需的参数 registration"]),
        ({"admission": str(FILES["admission"]), "registration": "/no/such/注册上报.dbf"}, ["不存在", "registration"]),
        (
            {"admission": str(FILES["admission"]), "registration": str(FILES["registration"]), "year": "二〇二六"},
            ["year", "应为整数"],
        ),
        (
            {"admission": str(FILES["admission"]), "registration": str(FILES["registration"]), "school_code": 123},
            ["school_code", "应为文字"],
        ),
        # the same checks as xueji validate / xueji reconcile --year --category (schema.params)
        (
            {"admission": str(FILES["admission"]), "registration": str(FILES["registration"]), "year": "26"},
            ["参数 year", "录取年份 26 不对", "四位年份"],
        ),
        (
            {"admission": str(FILES["admission"]), "registration": str(FILES["registration"]), "category": "30"},
            ["参数 category", "学历类别 30 不对", "10（普通本专科）", "70（网络教育）"],
        ),
    ],
)
def test_parameter_errors_before_execution(tmp_path, params, words):
    with pytest.raises(ReportParameterError) as err:
        run_report(NAME, out_root=tmp_path, **params)
    for w in words:
        assert w in str(err.value)
    assert isinstance(err.value, xj.XuejiError)
    assert list(tmp_path.iterdir()) == []  # nothing was created, nothing ran


def test_unknown_report(tmp_path):
    with pytest.raises(ReportParameterError, match="没有名为“没有这个报告”的报告"):
        run_report("没有这个报告", out_root=tmp_path)


# ------------------------------------------------------------------------------------- failures


def test_failing_run_keeps_notebook_and_no_complete_folder(tmp_path):
    bad = tmp_path / "注册上报.dbf"
    bad.write_text("这不是 DBF 文件", "utf-8")
    with pytest.raises(ReportRunError) as err:
        run_report(NAME, out_root=tmp_path / "reports", admission=str(FILES["admission"]), registration=str(bad))
    msg = str(err.value)
    assert "运行失败" in msg and "读入文件" in msg and str(bad) in msg and "FileFormatError" in msg
    folders = list((tmp_path / "reports" / NAME).iterdir())
    assert len(folders) == 1 and folders[0].name.endswith("-failed")
    assert {p.name for p in folders[0].iterdir()} == {"report.ipynb", "manifest.json"}
    nb = json.loads((folders[0] / "report.ipynb").read_text("utf-8"))
    assert any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
    m = json.loads((folders[0] / "manifest.json").read_text("utf-8"))
    assert m["outcome"] == "failed" and "读入文件" in m["error"]


def test_cli_report_errors_exit_nonzero(tmp_path):
    xueji = Path(sys.executable).with_name("xueji")
    r = subprocess.run(
        [
            str(xueji),
            "report",
            NAME,
            "--out",
            str(tmp_path),
            "-p",
            "admission",
            str(FILES["admission"]),
            "-p",
            "registration",
            str(tmp_path / "无.dbf"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "不存在" in r.stderr and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_strips_outside_hosts(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 标题")])
    src = tmp_path / "a.ipynb"
    nbformat.write(nb, src)
    out = export_html(src, tmp_path / "a.html").read_text("utf-8")
    assert "标题" in out and not re.search(r"""(src|href)\s*=\s*["']https?://""", out)


# ------------------------------------------------------------- 学籍统计报告 / 学籍变动报告 / index.html

K12 = HEI.parent / "k12"
ROSTERS = {
    "old": K12 / "学生名单_2025秋.xlsx",
    "new": K12 / "学生名单_2026春.xlsx",
    "changes": K12 / "学籍异动_2026春.xlsx",
}


@pytest.fixture(scope="module")
def k12_runs(tmp_path_factory):
    """One real run of each K-12 report into one out_root, so index.html lists both."""
    root = tmp_path_factory.mktemp("k12reports")
    stats = run_report(
        "学籍统计报告",
        out_root=root,
        roster=str(ROSTERS["new"]),
        previous=str(ROSTERS["old"]),
        kind="k12",
        title="示范县教育局",
    )
    change = run_report(
        "学籍变动报告",
        out_root=root,
        old=str(ROSTERS["old"]),
        new=str(ROSTERS["new"]),
        changes=str(ROSTERS["changes"]),
        title="示范县教育局",
    )
    return root, stats, change


@pytest.fixture(scope="module")
def k12_frames():
    from xueji_lib.reporting.notebook import load_roster

    return load_roster(ROSTERS["old"]), load_roster(ROSTERS["new"]), load_roster(ROSTERS["changes"], "k12_changes")


def _offline(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    assert [(t, k, v) for t, k, v in parser.attrs if k in ("src", "href") and re.match(r"(https?:)?//", v)] == []
    assert not re.search(r"""(src|href)\s*=\s*["']https?://""", html)
    assert 'class="plotly-graph-div"' in html and "Plotly.newPlot" in html and len(html) > 3_000_000


def test_stats_report_figures_equal_library(k12_runs, k12_frames):
    _, run, _ = k12_runs
    old, new, _ = k12_frames
    expected = xj.k12_stats(new, previous=old)
    assert {p.name for p in run.folder.iterdir()} == {"report.html", "report.ipynb", "tables.xlsx", "manifest.json"}
    html = run.html.read_text("utf-8")
    _offline(html)
    text = _text(html)
    assert "学籍统计报告" in text and "示范县教育局" in text and "import xueji_lib" not in html
    school = expected.table("按学校")
    for r in school.itertuples(index=False):
        assert re.search(rf"{r[0]}\s+{r.人数}\s+[\d.]+\s+{r.上期人数}\s+{r.增减}\b", text), r[0]
    wb = openpyxl.load_workbook(run.tables, read_only=True)
    # the standard tables first, then the cross tables (issue 17 §3): 合计核对, 学校×年级 …
    assert list(wb.sheetnames)[: len(expected.tables)] == list(expected.tables)
    assert "合计核对" in wb.sheetnames
    rows = list(wb["按年级"].iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and rows[-1][1] == expected.total == len(new)
    m = json.loads((run.folder / "manifest.json").read_text("utf-8"))
    assert m["outcome"] == "succeeded" and m["inputs"]["roster"]["records"] == len(new)
    assert m["inputs"]["previous"]["records"] == len(old)


def test_change_report_lists_unexplained_removals_per_school(k12_runs, k12_frames):
    _, _, run = k12_runs
    old, new, ch = k12_frames
    res = xj.compare(old, new, changes=ch, old_name=ROSTERS["old"].stem, new_name=ROSTERS["new"].stem)
    lost = res.unexplained_removals()
    assert len(lost) > 0  # the samples plant 疑似流失 students
    html = run.html.read_text("utf-8")
    _offline(html)
    text = _text(html)
    c = res.counts
    assert re.search(rf"上期名单（{ROSTERS['old'].stem}）\s+减少\s+{c['old']['removed']}\b", text)
    assert re.search(rf"本期名单（{ROSTERS['new'].stem}）\s+新增\s+{c['new']['added']}\b", text)
    assert f"共 {len(lost)} 名学生" in text
    for school, n in lost.groupby("XXMC").size().items():
        assert f"{school}（{n} 人）" in text
    for name in lost["XM"]:
        assert name in text
    assert not re.search(r"\b\d{17}[\dXx]\b", text) and not re.search(r"\bG\d{17}[\dXx]\b", text)
    wb = openpyxl.load_workbook(run.tables, read_only=True)
    assert {"对比汇总", "按学校", "疑似流失", "变动清单", "异动名单"} <= set(wb.sheetnames)
    assert len(list(wb["疑似流失"].iter_rows())) - 1 == len(lost)
    by_school = list(wb["按学校"].iter_rows(values_only=True))
    head = by_school[0]
    total = by_school[-1]
    assert total[1] == "合计" and total[head.index("其中疑似流失")] == len(lost)
    assert total[head.index("上期人数")] == len(old) and total[head.index("本期人数")] == len(new)


def test_index_lists_every_run(k12_runs, tmp_path):
    root, stats, change = k12_runs
    page = (root / "index.html").read_text("utf-8")
    assert "报告索引" in page and "共 2 次运行" in page
    for run in (stats, change):
        assert f'href="{run.name}/{run.folder.name}/report.html"' in page
        assert run.manifest["started"].replace("T", " ")[:19] in page
    assert "本期名单：学生名单_2026春.xlsx" in page and "学籍异动名单：学籍异动_2026春.xlsx" in page
    assert "名单类别：中小学" in page and "学历类别" not in page and "category" not in page  # K-12 runs only
    assert page.count("成功") >= 2 and not re.search(r"""(src|href)\s*=\s*["']https?://""", page)
    # a failed run is listed too (written at the end of every run, success or failure)
    bad = tmp_path / "坏名单.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(ReportRunError):
        run_report("学籍统计报告", out_root=tmp_path / "r", roster=str(bad))
    page = (tmp_path / "r" / "index.html").read_text("utf-8")
    assert "失败" in page and "report.ipynb" in page and "坏名单.xlsx" in page


def test_new_reports_registered_and_kind_checked():
    assert {"学籍统计报告", "学籍变动报告"} <= set(REPORTS) and all(s.notebook.exists() for s in REPORTS.values())
    with pytest.raises(ReportParameterError, match="只能是 k12、higher_ed"):
        check_parameters("学籍统计报告", {"roster": str(ROSTERS["new"]), "kind": "小学"})
    with pytest.raises(ReportParameterError, match="学历类别 99 不对"):
        check_parameters("学籍统计报告", {"roster": str(ROSTERS["new"]), "kind": "higher_ed", "category": "99"})
    p = check_parameters("学籍统计报告", {"roster": str(ROSTERS["new"]), "year": "2026", "category": " 50 "})
    assert p["year"] == 2026 and p["category"] == "50"
    with pytest.raises(ReportParameterError, match="缺少必需的参数 new"):
        check_parameters("学籍变动报告", {"old": str(ROSTERS["old"])})


def test_enrollment_report_writes_the_dbf_lists_and_links_them(run, html, expected):
    from dbfread import DBF

    folder = run.html.parent
    qual = list(DBF(str(folder / "资格有误.dbf"), encoding="gb18030"))
    unreg = list(DBF(str(folder / "未注册.dbf"), encoding="gb18030"))
    reg = expected["registration"]
    assert len(qual) == reg["total"] - reg["matched"] and all(r["JYJG"] for r in qual)
    assert len(unreg) == expected["admission"]["not_registered"]
    assert "资格有误.dbf</a>" in html and "未注册.dbf</a>" in html


def test_reports_over_converted_folders(k12_runs, tmp_path):
    """学籍统计报告 and 学籍变动报告 given folders converted by `xueji parquet` (nothing loaded into the kernel:
    the engine reads them) write the same tables as over the workbooks; the manifest counts the records and
    fingerprints the folder by its _conversion.json."""
    from tests.test_parquet import roster_dbfs

    _, stats_xlsx, change_xlsx = k12_runs
    r = roster_dbfs(tmp_path)
    stats = run_report(
        "学籍统计报告",
        out_root=tmp_path / "out",
        roster=str(r["2026春_folder"]),
        previous=str(r["2025秋_folder"]),
        kind="k12",
        title="示范县教育局",
    )
    change = run_report(
        "学籍变动报告",
        out_root=tmp_path / "out",
        old=str(r["2025秋_folder"]),
        new=str(r["2026春_folder"]),
        changes=str(ROSTERS["changes"]),
        title="示范县教育局",
    )

    def cells(path, rows=True):
        """Every sheet's cells; ``rows=False``: without row numbers (the workbooks name Excel rows, the folders —
        converted DBFs — record numbers: one lower, the header being row 1)."""
        wb = openpyxl.load_workbook(path, read_only=True)
        out = {}
        for ws in wb.worksheets:
            got = list(ws.iter_rows(values_only=True))
            if not rows and got:
                keep = [i for i, h in enumerate(got[0]) if not str(h or "").endswith("行号")]
                got = [
                    tuple(
                        re.sub(r"第 [\d、]+ (行|条记录)", "第 N 行", v) if isinstance(v, str) else v
                        for v in (r[i] for i in keep)
                    )
                    for r in got
                ]
            out[ws.title] = got
        return out

    assert cells(stats.tables) == cells(stats_xlsx.tables)
    assert cells(change.tables, rows=False) == cells(change_xlsx.tables, rows=False)
    lost, lost_xlsx = cells(change.tables)["疑似流失"], cells(change_xlsx.tables)["疑似流失"]
    assert [r[0] + 1 for r in lost[1:]] == [r[0] for r in lost_xlsx[1:]] and len(lost) > 1
    m = json.loads((stats.folder / "manifest.json").read_text("utf-8"))
    assert m["inputs"]["roster"]["records"] == 1437 and m["inputs"]["previous"]["records"] == 1442
    assert len(m["inputs"]["roster"]["sha256"]) == 64


def test_an_unfinished_converted_folder_is_a_parameter_error(tmp_path):
    """A folder whose conversion stopped half way is refused before the notebook runs, with what to do."""
    folder = tmp_path / "注册上报.parquet"
    xj.dbf_to_parquet(FILES["registration"], folder, records_per_part=300, workers=1)
    (folder / "part-00001.parquet").unlink()
    with pytest.raises(ReportParameterError) as err:
        run_report("学籍统计报告", out_root=tmp_path / "out", roster=str(folder), kind="higher_ed")
    assert "roster" in str(err.value) and "转换还没有完成" in str(err.value) and "xueji parquet" in str(err.value)
    assert not (tmp_path / "out").exists()


def _id_matched_terms(folder: Path) -> tuple[Path, Path]:
    """Two terms of a small roster (20 pupils of the sample) whose pairs are found by 身份证件号, not 学籍号:
    the first pupil had no 学籍号 last term, the second one's 学籍号 differs; every pupil moved up a grade."""
    old = xj.read_table(ROSTERS["old"], "k12_student").head(20).reset_index(drop=True)
    new = old.copy()
    new["NJ"] = (old["NJ"].astype(int) + 1).astype(str)
    old.loc[0, "XJH"] = ""
    new.loc[1, "XJH"] = "G" + "1" * 18
    paths = folder / "学生名单_2025秋.xlsx", folder / "学生名单_2026春.xlsx"
    xj.write_excel({"学生": old}, paths[0])
    xj.write_excel({"学生": new}, paths[1])
    return paths


def test_change_report_never_compares_the_key_as_a_field(tmp_path):
    """学籍变动报告 with ignore=NJ on rosters whose pairs match by 身份证件号: the 学籍号 is the key, never a
    compared field. A pupil without a 学籍号 last term is 不变 (the report listed 学籍号 as changed); a pupil
    whose 学籍号 differs is listed once with the key that changed (the report listed XJH,XJH) — exactly what
    xueji compare --ignore NJ writes for the same files (one rule: matching.compare.compared_fields)."""
    old, new = _id_matched_terms(tmp_path)
    run = run_report("学籍变动报告", out_root=tmp_path / "reports", old=str(old), new=str(new), ignore="NJ")
    wb = openpyxl.load_workbook(run.tables, read_only=True)
    rows = list(wb["变动清单"].iter_rows(values_only=True))
    head, listed = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    assert "变化的字段" in head
    # 行号: the Excel row (header in row 1: the second record is row 3); results.csv's row: the record's position
    assert [(r["名单"], r["行号"], r["结果"], r["变化的字段"]) for r in listed] == [("上期", 3, "信息变化", "学籍号")]
    cli = subprocess.run(
        [
            str(Path(sys.executable).with_name("xueji")),
            "compare",
            str(old),
            str(new),
            "--ignore",
            "NJ",
            "--out",
            str(tmp_path / "cli"),
        ],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr
    import pandas as pd

    got = pd.read_csv(tmp_path / "cli" / "results.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    changed = got[got["changed_fields"] != ""]
    assert sorted(zip(changed["side"], changed["row"], changed["changed_fields"])) == [
        ("new", "2", "XJH"),
        ("old", "2", "XJH"),
    ]
    assert set(got["status"]) == {"unchanged", "changed"}
