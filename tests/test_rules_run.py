"""Issue 15 §5: `xueji validate` on a university file without --category/--year skipped the 学历类别- and
year-dependent rules in silence (the planted 函授-in-普通本专科 record passed: 979 instead of 978) and the
workbook listed K-12 parameters for it. The year is read from the file where it says (LQNF, the 考生号's
first two digits), the rules that could not run are named with what to give, and a run lists the rules it ran."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl

import xueji_lib as xj

HEI = Path(__file__).resolve().parent.parent / "data_samples" / "hei"
K12 = Path(__file__).resolve().parent.parent / "data_samples" / "k12"
XUEJI = Path(sys.executable).with_name("xueji")


def test_without_category_the_rules_that_need_it_are_named_and_the_year_is_read_from_ksh():
    res = xj.validate(xj.read_dbf(HEI / "10_注册上报.dbf"))
    assert res.params == {"year": 2026} and "考生号前两位" in res.param_notes["year"]
    assert set(res.rules_skipped) == {"XXXS_CATEGORY", "CC_CATEGORY", "AGE_IMPLAUSIBLE"}
    assert all("--category" in why for why in res.rules_skipped.values())
    assert "XXXS_CATEGORY" not in res.rules_run and "SFZH_CHECKSUM" in res.rules_run
    text = res.summary()
    assert "未能运行 XXXS_CATEGORY、CC_CATEGORY、AGE_IMPLAUSIBLE" in text and "--category" in text
    # given the category, the planted 函授 record is found and nothing is skipped
    full = xj.validate(xj.read_dbf(HEI / "10_注册上报.dbf"), category="10")
    assert full.rules_skipped == {} and (full.findings["rule"] == "XXXS_CATEGORY").sum() == 1
    assert full.failed_count == res.failed_count + 1


def test_a_university_run_lists_no_k12_parameters_and_the_workbook_says_what_ran(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(XUEJI), "validate", str(HEI / "10_注册上报.dbf"), "--out", str(out)], capture_output=True, text=True
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "未能运行 XXXS_CATEGORY" in proc.stdout and "由考生号前两位推断" in proc.stdout
    ws = openpyxl.load_workbook(out / "校验结果.xlsx", read_only=True).worksheets[0]
    sheet = [r for r in ws.iter_rows(values_only=True) if r and r[0]]
    items = [r[0] for r in sheet]
    assert "一年级入学最低年龄" not in items and "年龄计算截止日（月日）" not in items
    assert any(r[0] == "未能运行的规则" and "--category" in str(r[1]) for r in sheet)
    assert any(r[0] == "运行的规则" and "SFZH_CHECKSUM" in str(r[1]) for r in sheet)
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["params"] == {"year": 2026} and "XXXS_CATEGORY" in summary["rules_skipped"]


def test_a_k12_roster_says_how_its_school_year_was_found():
    res = xj.validate(xj.read_table(K12 / "学生名单_2026春.xlsx", layout="k12_student"))
    assert set(res.params) == {"school_year", "first_grade_age", "cutoff"}
    assert "RXNY" in res.param_notes["school_year"] and res.rules_skipped == {}


def test_the_screen_names_each_rule_in_words():
    """Issue 15 §7: the validate screen listed rule codes only, and the summary tables an unfilled template
    (〈字段〉“〈值〉”在本文件中重复（〈详情〉）): each rule now reads as a sentence naming the fields it fired on."""
    res = xj.validate(xj.read_dbf(HEI / "10_注册上报.dbf"), year=2026, category="10")
    text = res.summary()
    assert "[错误] 身份证号在本文件中重复（SFZH_DUPLICATE）：4 处" in text
    assert "学制、民族不在代码表中（CODE_INVALID）" in text or "民族、学制不在代码表中（CODE_INVALID）" in text
    frame = res.summary_frame()
    assert not frame["说明"].str.contains("〈").any()
    by_rule = res.list("按规则").frame()  # the workbook's 按规则 sheet
    assert not by_rule.astype(str).apply(lambda c: c.str.contains("〈")).any().any()
    assert frame.set_index("项目").loc["[错误] SFZH_DUPLICATE", "说明"] == "身份证号在本文件中重复"


def test_skipped_rules_are_real_rules():
    from xueji_lib.schema.rules import load_rules

    k12 = xj.read_table(K12 / "学生名单_2026春.xlsx", layout="k12_student").drop(columns=["RXNY"])
    res = xj.validate(k12, layout="k12_student")
    assert set(res.rules_skipped) == {"AGE_GRADE_UNDER", "AGE_GRADE_IMPLAUSIBLE"}
    assert "--school-year" in res.rules_skipped["AGE_GRADE_UNDER"]
    hei = xj.validate(xj.read_dbf(HEI / "10_注册上报.dbf"))
    assert set(res.rules_skipped) | set(hei.rules_skipped) <= set(load_rules())


def test_school_year_option(tmp_path):
    roster = xj.read_table(K12 / "学生名单_2026春.xlsx", layout="k12_student").assign(RXNY="")  # 入学年月 left blank
    path = tmp_path / "名单.xlsx"
    xj.write_excel({"学生名单": roster}, path)
    base = [str(XUEJI), "validate", str(path), "--layout", "k12_student"]
    without = subprocess.run([*base, "--out", str(tmp_path / "a")], capture_output=True, text=True)
    assert (
        without.returncode == 0 and "未能运行 AGE_GRADE_UNDER" in without.stdout and "--school-year" in without.stdout
    )
    given = subprocess.run(
        [*base, "--school-year", "2025", "--out", str(tmp_path / "b")], capture_output=True, text=True
    )
    assert given.returncode == 0 and "未能运行" not in given.stdout and "学年（秋季学期所在年份）：2025" in given.stdout
    bad = subprocess.run([*base, "--school-year", "25", "--out", str(tmp_path / "c")], capture_output=True, text=True)
    assert bad.returncode == 2 and "--school-year 25 不对" in bad.stderr and "Traceback" not in bad.stderr
