"""Issue 15 §6: a result saved without ``sources`` (as the reports save it) names the files it was made from —
the 新生注册核对报告's own 核对结果.xlsx said 新生状态名单：未提供 although the states were given, and its
summary.json had empty ``inputs``."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

import xueji_lib as xj

HEI = Path(__file__).resolve().parent.parent / "data_samples" / "hei"
K12 = Path(__file__).resolve().parent.parent / "data_samples" / "k12"


def _summary(files) -> dict:
    ws = openpyxl.load_workbook(files["workbook"], read_only=True).worksheets[0]
    return {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True) if r and r[0]}


def test_reconcile_saved_without_sources_names_its_three_files(tmp_path):
    adm, reg = xj.read_dbf(HEI / "10_录取名单.dbf"), xj.read_dbf(HEI / "10_注册上报.dbf")
    states = xj.read_dbf(HEI / "10_新生状态.dbf")
    files = xj.reconcile(adm, reg, year=2026, category="10", states=states).save(tmp_path)
    inputs = json.loads(Path(files["summary"]).read_text("utf-8"))["inputs"]
    assert {k: Path(v).name for k, v in inputs.items()} == {
        "admission": "10_录取名单.dbf",
        "registration": "10_注册上报.dbf",
        "states": "10_新生状态.dbf",
    }
    sheet = _summary(files)
    assert Path(sheet["新生状态名单"]).name == "10_新生状态.dbf" and "未提供" not in str(sheet["新生状态名单"])
    # given names still win (the command line passes the paths as typed)
    files = xj.reconcile(adm, reg, year=2026, category="10").save(tmp_path / "b", sources={"admission": "录取.dbf"})
    sheet = _summary(files)
    assert sheet["录取数据"] == "录取.dbf" and str(sheet["新生状态名单"]).startswith("未提供")


def test_compare_saved_without_sources_names_its_files(tmp_path):
    old = xj.read_table(K12 / "学生名单_2025秋.xlsx", layout="k12_student")
    new = xj.read_table(K12 / "学生名单_2026春.xlsx", layout="k12_student")
    changes = xj.read_table(K12 / "学籍异动_2026春.xlsx", layout="k12_changes")
    files = xj.compare(old, new, changes=changes).save(tmp_path)
    inputs = json.loads(Path(files["summary"]).read_text("utf-8"))["inputs"]
    assert {k: Path(v).name for k, v in inputs.items()} == {
        "old": "学生名单_2025秋.xlsx",
        "new": "学生名单_2026春.xlsx",
        "changes": "学籍异动_2026春.xlsx",
    }
