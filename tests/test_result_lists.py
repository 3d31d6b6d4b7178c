"""One result base, each list declared once: every result object has the same surface (summary, counts with a
total, conserved, params, to_dict/JSON, summary_frame, lists, chart data, _repr_html_), and the notebook view, the
workbook, the upload DBF and the dashboard table of a list all come from its one declaration (``lists()``)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import openpyxl
import pytest

import xueji_lib as xj
from xueji_lib.apps.dashboard import records_frame
from xueji_lib.core.result import ChartSpec, Result, ResultList
from xueji_lib.reporting import display as xd

ROOT = Path(__file__).resolve().parent.parent
HEI, K12 = ROOT / "data_samples" / "hei", ROOT / "data_samples" / "k12"


@pytest.fixture(scope="module")
def frames():
    return {
        "adm": xj.read_dbf(HEI / "10_录取名单.dbf"),
        "reg": xj.read_dbf(HEI / "10_注册上报.dbf"),
        "states": xj.read_dbf(HEI / "10_新生状态.dbf"),
        "old": xj.read_table(K12 / "学生名单_2025秋.xlsx", "k12_student"),
        "new": xj.read_table(K12 / "学生名单_2026春.xlsx", "k12_student"),
        "changes": xj.read_table(K12 / "学籍异动_2026春.xlsx", "k12_changes"),
        "grads": xj.read_table(K12 / "毕业生_2026.xlsx", "k12_student"),
        "intake": xj.read_table(K12 / "新生_2026秋.xlsx", "k12_student"),
    }


@pytest.fixture(scope="module")
def results(frames):
    f = frames
    return {
        "validation": xj.validate(f["reg"], year=2026, category="10"),
        "reconcile": xj.reconcile(f["adm"], f["reg"], year=2026, category="10", states=f["states"]),
        "compare": xj.compare(f["old"], f["new"], changes=f["changes"], old_name="2025秋", new_name="2026春"),
        "handoff": xj.handoff(f["grads"], f["intake"]),
        "stats": xj.k12_stats(f["new"], previous=f["old"]),
        "photos": xj.check_photos(f["reg"], HEI / "photos"),
        "load": xj.load_report(f["reg"]),
    }


def test_every_result_has_the_same_surface(results):
    for name, res in results.items():
        assert isinstance(res, Result), name
        assert res.summary() == str(res) and res.summary().strip(), name
        json.loads(res.to_json())  # JSON-able
        counts = res.counts  # the totals: the result's own, or each side's
        assert "total" in counts or all("total" in v for v in counts.values() if isinstance(v, dict)), name
        assert res.conserved is True, name
        assert isinstance(res.params, dict), name
        assert len(res.summary_frame()), name
        lists = res.lists()
        assert lists and all(isinstance(lst, ResultList) for lst in lists), name
        assert len({lst.title for lst in lists}) == len(lists), f"{name}: a list title twice"
        spec = res.chart_spec()
        assert spec is None or isinstance(spec, ChartSpec), name
        page = res._repr_html_()
        for lst in lists:
            if lst.shown:
                assert f">{lst.title}<" in page, (name, lst.title)
        assert "<script" not in page and "http" not in page


def test_display_renders_the_declarations_and_knows_no_result_class(results):
    for res in results.values():
        assert list(xd.list_frames(res)) == [lst.title for lst in res.lists() if lst.shown]
        assert xd.summary_frame(res).equals(res.summary_frame())
    source = (ROOT / "xueji_lib" / "reporting" / "display.py").read_text(encoding="utf-8")
    names = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    assert not names & {
        "ReconcileResult",
        "ValidationResult",
        "CompareResult",
        "HandoffResult",
        "StatsResult",
        "PhotoResult",
        "LoadReport",
    }
    with pytest.raises(TypeError):
        xd.to_html(object())


def test_qualification_errors_declared_once_workbook_dbf_and_dashboard_render_it(results, frames, tmp_path):
    res = results["reconcile"]
    lst = res.list("资格有误")
    assert (
        lst.total
        == len(res.qualification_errors())
        == res.counts["registration"]["total"] - res.counts["registration"]["matched"]
    )
    files = res.save(tmp_path / "out")
    # the workbook: the declared columns (workbook view) first, then the registration records' own columns
    wb = openpyxl.load_workbook(files["workbook"], read_only=True)
    rows = list(wb["资格有误"].iter_rows(values_only=True))
    declared = list(lst.frame(brief=False).columns)
    assert list(rows[0][: len(declared)]) == declared
    assert list(rows[0][len(declared) : len(declared) + 3]) == ["考生号（KSH）", "学号（XH）", "姓名（XM）"]
    assert len(rows) - 1 == lst.total
    assert [r[0] for r in rows[1:]] == lst.rows["row"].tolist()
    # the upload DBF: the same records, with their reasons in JYJG
    dbf = xj.read_dbf(files["qualification_errors"])
    assert len(dbf) == lst.total and dbf["JYJG"].str.len().gt(0).all()
    # the notebook view: the same list, short columns, personal values masked
    short = xd.list_frames(res, rows=100)["资格有误"]
    assert short.attrs["total"] == lst.total and "建议处理" in short.columns and "结果代码" not in short.columns
    # the dashboard's table: the result's declared 全部记录, one row per input record of both sides
    table = records_frame("reconcile", res, frames["adm"], frames["reg"])
    assert table.equals(res.list("全部记录").frame())
    assert len(table) == len(frames["adm"]) + len(frames["reg"])
    ids = set(frames["reg"]["SFZH"].dropna())
    assert not table["证件号"].isin(ids).any()
    assert set(table.loc[table["名单"] == "注册上报", "分组"]) <= set(frames["reg"]["FY"].dropna()) | {"（空）"}


def test_every_list_renders_in_the_workbook_of_save(results, tmp_path):
    for name in ("validation", "reconcile", "compare", "handoff", "photos", "stats"):
        res = results[name]
        files = res.save(tmp_path / name)
        wb = openpyxl.load_workbook(files["workbook"], read_only=True)
        expected = ["汇总"] + [lst.title for lst in res.lists() if lst.in_workbook]
        assert wb.sheetnames == expected, name
        for lst in res.lists():
            if lst.in_workbook:
                assert wb[lst.title].max_row - 1 == lst.total, (name, lst.title)
        summary = json.loads(Path(files["summary"]).read_text("utf-8"))
        assert summary == json.loads(json.dumps(summary)) and summary


def test_a_result_without_its_inputs_says_so(results, tmp_path):
    from dataclasses import replace

    res = replace(results["reconcile"], inputs={})
    with pytest.raises((ValueError, TypeError)):
        res.save(tmp_path / "x")


def test_a_result_with_no_files_says_so(results, tmp_path):
    with pytest.raises(xj.XuejiError, match="没有要写出的文件"):
        results["load"].save(tmp_path / "x")
