"""Issue 17 §4: every xueji validate / reconcile / compare / photos run leaves its manifest in the history root
and appears in reports/index.html, with the counts per school over runs (数据有误 / 资格有误 / 疑似流失)."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

import xueji_lib as xj
from xueji_lib.apps.cli import main
from xueji_lib.io.loading import load_list
from xueji_lib.reporting.history import history_root
from xueji_lib.reporting.index import write_index

ROOT = Path(__file__).resolve().parents[1]
K12 = ROOT / "data_samples" / "k12"
HEI = ROOT / "data_samples" / "hei"
OLD, NEW, CHANGES = K12 / "学生名单_2025秋.xlsx", K12 / "学生名单_2026春.xlsx", K12 / "学籍异动_2026春.xlsx"
FIXED_SCHOOL = "示范县第一小学"


class _Tables(HTMLParser):
    """The history tables of index.html: {metric: {"runs": [run folder…], "rows": {school: [cell text…]}}}."""

    def __init__(self):
        super().__init__()
        self.tables, self.cur, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-metric" in a:
            self.cur = self.tables.setdefault(a["data-metric"], {"runs": [], "rows": {}})
        elif self.cur is not None and tag == "th" and "data-run" in a:
            self.cur["runs"].append(a["data-run"])
        elif self.cur is not None and tag == "tr" and "data-school" in a:
            self.row = self.cur["rows"].setdefault(a["data-school"], [])
        elif self.row is not None and tag == "td":
            self.cell = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr":
            self.row = None
        elif tag == "table":
            self.cur = None


def _tables(page: str) -> dict:
    p = _Tables()
    p.feed(page)
    return p.tables


def _run(*argv) -> int:
    return main([str(a) for a in argv])


def _without_failures_of(src: Path, dest: Path, school: str) -> None:
    """A copy of the roster whose failing records of ``school`` were deleted (the school fixed its errors)."""
    df = load_list(src).data
    res = xj.validate(df, "k12_student")
    rows = [i for i in range(len(df)) if res.failed[i] and df["XXMC"].iloc[i] == school]
    assert rows
    wb = openpyxl.load_workbook(src)
    ws = wb.active
    for i in sorted(rows, reverse=True):
        ws.delete_rows(i + 2)  # header on row 1
    wb.save(dest)


def _failed_by_school(path: Path) -> dict:
    df = load_list(path).data
    res = xj.validate(df, "k12_student")
    out = {}
    for school, failed in zip(df["XXMC"], res.failed):
        out[school] = out.get(school, 0) + int(failed)
    return out


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    root = tmp / "历史 reports"
    fixed = tmp / "学生名单_2026春_已改.xlsx"
    _without_failures_of(NEW, fixed, FIXED_SCHOOL)
    runs = [
        ("validate", OLD, "--out", tmp / "校验"),
        ("validate", NEW, "--out", tmp / "校验"),
        ("validate", fixed, "--out", tmp / "校验"),
        ("compare", OLD, NEW, "--out", tmp / "对比_无异动"),
        ("compare", OLD, NEW, "--changes", CHANGES, "--out", tmp / "对比"),
        ("reconcile", "--admission", HEI / "10_录取名单.dbf", "--registration", HEI / "10_注册上报.dbf")
        + ("--year", "2026", "--category", "10", "--out", tmp / "核对"),
        ("photos", HEI / "10_注册上报.dbf", HEI / "photos", "--where", "BH=软件2601,软件2602", "--out", tmp / "照片"),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XUEJI_HISTORY", str(root))
        codes = [_run(*r) for r in runs]
    manifests = sorted(root.glob("*/*/manifest.json"), key=lambda p: (json.loads(p.read_text("utf-8"))["started"], p))
    return {
        "tmp": tmp,
        "root": root,
        "fixed": fixed,
        "codes": codes,
        "manifests": [json.loads(p.read_text("utf-8")) for p in manifests],
        "folders": [p.parent for p in manifests],
        "page": (root / "index.html").read_text("utf-8"),
    }


def test_every_check_run_writes_its_manifest(history):
    assert history["codes"] == [0] * 7
    ms = history["manifests"]
    assert [m["command"] for m in ms] == ["validate"] * 3 + ["compare"] * 2 + ["reconcile", "photos"]
    assert {f.parent.name for f in history["folders"]} == {"上传前校验", "名单对比", "录取注册核对", "照片核对"}
    for m in ms:
        assert m["kind"] == "check" and m["outcome"] == "succeeded"
        assert m["versions"]["xueji"] and m["duration_seconds"] > 0
        for entry in m["inputs"].values():
            path = Path(entry["path"])
            if path.is_file():
                assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    v = ms[1]
    assert v["shown_parameters"] == [["校验文件", "学生名单_2026春.xlsx"]]
    assert v["inputs"]["file"]["records"] == 1437
    assert dict(map(tuple, v["counts"])) == {"记录": 1437, "校验通过": 1421, "数据有误": 16}
    r = ms[5]
    assert ["录取年份", "2026"] in r["shown_parameters"] and ["学历类别", "10 普通本专科"] in r["shown_parameters"]
    assert r["inputs"]["admission"]["records"] == 1000 and r["inputs"]["registration"]["records"] == 995
    p = ms[6]
    assert ["核对范围", "BH=软件2601,软件2602"] in p["shown_parameters"] and p["inputs"]["roster"]["records"] == 64
    assert p["inputs"]["folder"]["files"] == 64 and dict(map(tuple, p["counts"]))["照片有问题"] == 5


def test_counts_per_school_come_from_the_runs(history):
    ms, tmp = history["manifests"], history["tmp"]
    for m, path in zip(ms[:3], (OLD, NEW, history["fixed"])):
        assert m["by_school"]["metric"] == "数据有误" and m["by_school"]["counts"] == _failed_by_school(path)
    assert ms[2]["by_school"]["counts"][FIXED_SCHOOL] == 0 < ms[1]["by_school"]["counts"][FIXED_SCHOOL]
    # 疑似流失: compare's summary.json lost_by_school (file names) by school name, 0 for the other schools
    summary = json.loads((tmp / "对比" / "summary.json").read_text("utf-8"))
    lost = {re.sub(r"^\d{10}_|\.xlsx$", "", k): v for k, v in summary["lost_by_school"].items()}
    counts = ms[4]["by_school"]["counts"]
    assert {k: v for k, v in counts.items() if v} == lost and sum(counts.values()) == 5 and len(counts) == 8
    assert sum(ms[3]["by_school"]["counts"].values()) > 5  # without the change list more removals are unexplained
    # 资格有误 per 分院: the registration records the platform would reject
    reg = xj.read_dbf(HEI / "10_注册上报.dbf")
    bad = xj.reconcile(xj.read_dbf(HEI / "10_录取名单.dbf"), reg, year=2026, category="10").qualification_errors()
    want = {}
    for fy in reg["FY"].iloc[bad["row"].astype(int) - 1]:
        want[fy] = want.get(fy, 0) + 1
    got = ms[5]["by_school"]["counts"]
    assert ms[5]["by_school"]["field"] == "FY" and {k: v for k, v in got.items() if v} == want
    assert sum(got.values()) == len(bad) == 9


def test_index_lists_each_run_with_parameters_and_outcome(history):
    page = history["page"]
    assert "共 7 次运行" in page and page.count("成功") >= 7
    for words in (
        "校验文件：学生名单_2025秋.xlsx",
        "校验文件：学生名单_2026春_已改.xlsx",
        "学籍异动名单：学籍异动_2026春.xlsx",
        "注册上报：10_注册上报.dbf",
        "照片目录：photos",
        "上传前校验（xueji validate）",
        "录取与注册核对（xueji reconcile）",
        "数据有误 16",
        "资格有误 9",
        "疑似流失 5",
        "照片有问题 5",
    ):
        assert words in page, words
    # each run links its output folder; the validate runs wrote the same folder: the older two say it changed
    assert page.count((history["tmp"] / "校验").resolve().as_uri() + "/") == 3
    assert page.count("已被之后的运行更新") == 2
    assert not re.search(r"""(src|href)\s*=\s*["']https?://""", page) and "<script" not in page


def test_chart_data_per_school_over_runs(history):
    tables, ms, folders = _tables(history["page"]), history["manifests"], history["folders"]
    assert set(tables) == {"数据有误", "资格有误", "疑似流失"}
    v = tables["数据有误"]
    assert v["runs"] == [f.name for f in folders[:3]]  # oldest first
    for school, cells in v["rows"].items():
        assert cells[:3] == [str(m["by_school"]["counts"][school]) for m in ms[:3]], school
    assert v["rows"][FIXED_SCHOOL][3] == f"减少 {ms[1]['by_school']['counts'][FIXED_SCHOOL]}"
    lost = tables["疑似流失"]
    assert lost["runs"] == [f.name for f in folders[3:5]]
    assert lost["rows"]["示范县第一初级中学"][:2] == [str(ms[3]["by_school"]["counts"]["示范县第一初级中学"]), "3"]
    assert tables["资格有误"]["rows"]["经济管理学院"][0] == str(ms[5]["by_school"]["counts"]["经济管理学院"])
    assert history["page"].count('<svg class="chart"') == 3  # inline SVG: nothing fetched, no script


def test_no_personal_value_in_the_history(history):
    texts = [history["page"], *(json.dumps(m, ensure_ascii=False) for m in history["manifests"])]
    ids = set(load_list(NEW).data["SFZJH"].dropna().astype(str)) | set(xj.read_dbf(HEI / "10_注册上报.dbf")["SFZH"])
    names = set(xj.read_dbf(HEI / "10_注册上报.dbf")["XM"]) | set(load_list(NEW).data["XM"].dropna())
    for text in texts:
        assert not re.search(r"\d{17}[\dXx]", text)
        assert not [i for i in ids if len(i) > 8 and i in text]
        assert not [n for n in names if len(n) >= 3 and n in text]


def test_hostile_and_broken_manifests_are_never_trusted(tmp_path):
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    good = tmp_path / "上传前校验" / "20260301-080000-aaaaaa"
    bad = tmp_path / "上传前校验" / "20260302-080000-bbbbbb"
    broken = tmp_path / "名单对比" / "20260303-080000-cccccc"
    for f in (good, bad, broken):
        f.mkdir(parents=True)
    base = {"kind": "check", "command": "validate", "started": "2026-03-01T08:00:00+08:00", "outcome": "succeeded"}
    (good / "manifest.json").write_text(
        json.dumps(
            {
                **base,
                "shown_parameters": [["校验文件", hostile]],
                "counts": [[hostile, 3]],
                "output": {"folder": "javascript:alert(1)"},
                "by_school": {"metric": "数据有误", "counts": {hostile: 3, "示范县第一小学": 1}},
            }
        ),
        "utf-8",
    )
    (bad / "manifest.json").write_text(
        json.dumps(
            {
                **base,
                "started": "2026-03-02T08:00:00+08:00",
                "counts": "很多",
                "by_school": {"metric": "数据有误", "counts": {"示范县第一小学": "<b>9</b>"}},
            }
        ),
        "utf-8",
    )
    (broken / "manifest.json").write_text("{ not json", "utf-8")
    page = write_index(tmp_path).read_text("utf-8")
    assert "<script>" not in page and "<img" not in page and "javascript:" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tables = _tables(page)
    assert list(tables) == ["数据有误"] and len(tables["数据有误"]["runs"]) == 1  # the bad counts are not charted
    assert tables["数据有误"]["rows"]["示范县第一小学"][0] == "1" and "<b>9</b>" not in page
    assert "未知" in page and "计数：未知" in page and "（结果目录未知）" in page
    assert "共 3 次运行" in page


def test_history_off_or_unwritable_never_fails_the_check(tmp_path, monkeypatch, capsys):
    assert history_root({"XUEJI_HISTORY": "不记录"}) is None
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XUEJI_HISTORY", "off")
    assert _run("validate", NEW, "--out", tmp_path / "v") == 0
    assert not (tmp_path / "reports").exists()
    blocker = tmp_path / "不是目录"
    blocker.write_text("x", "utf-8")
    monkeypatch.setenv("XUEJI_HISTORY", str(blocker))
    assert _run("validate", NEW, "--out", tmp_path / "v") == 0
    err = capsys.readouterr().err
    assert "检查历史" in err and "未能更新" in err and "Traceback" not in err
    monkeypatch.delenv("XUEJI_HISTORY")
    assert _run("validate", NEW, "--out", tmp_path / "v") == 0  # the default: ./reports
    assert len(list((tmp_path / "reports" / "上传前校验").glob("*/manifest.json"))) == 1
    assert "共 1 次运行" in (tmp_path / "reports" / "index.html").read_text("utf-8")


def test_runs_within_one_second_keep_the_order_they_ran(history, tmp_path):
    """A check's start time is written to the millisecond, so two runs in the same second (a script, a schedule,
    a fast validate) are charted oldest first even when their folder names (second + random id) sort the other
    way."""
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", m["started"]) for m in history["manifests"]
    )
    first = tmp_path / "上传前校验" / "20260301-080000-ffffff"
    second = tmp_path / "上传前校验" / "20260301-080000-000000"
    for folder, started, count in (
        (first, "2026-03-01T08:00:00.120+08:00", 5),
        (second, "2026-03-01T08:00:00.870+08:00", 0),
    ):
        folder.mkdir(parents=True)
        manifest = {"kind": "check", "command": "validate", "started": started, "outcome": "succeeded"}
        manifest["by_school"] = {"metric": "数据有误", "counts": {"示范县第一小学": count}}
        (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    tables = _tables(write_index(tmp_path).read_text("utf-8"))
    assert tables["数据有误"]["rows"]["示范县第一小学"][:2] == ["5", "0"]
