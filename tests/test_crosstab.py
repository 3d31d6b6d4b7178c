"""Issue 17 §3: cross-tab statistics (margins add up to the record count), the 异动报表 (the term balance holds
per school on the sample terms; every gap listed) and the 核查执行统计 (who has reported, who has not, who has
errors; by county and city), on the committed samples and on synthetic variations of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.schema.codes import load_code_table
from xueji_lib.stats.changes_report import BALANCE_COLUMNS, changes_report
from xueji_lib.stats.coverage import CoverageInputError, coverage, read_schools
from xueji_lib.stats.crosstab import (
    CrosstabInputError,
    crosstab,
    crosstab_dimensions,
    higher_ed_crosstabs,
    k12_crosstabs,
    margins_check,
)

ROOT = Path(__file__).resolve().parent.parent
K12 = ROOT / "data_samples" / "k12"
OLD, NEW, CHANGES = K12 / "学生名单_2025秋.xlsx", K12 / "学生名单_2026春.xlsx", K12 / "学籍异动_2026春.xlsx"
CHECK = K12 / "核查_2026秋"


@pytest.fixture(scope="module")
def roster():
    return xj.read_table(NEW, "k12_student")


@pytest.fixture(scope="module")
def k12(roster):
    return k12_crosstabs(roster)


@pytest.fixture(scope="module")
def report():
    return changes_report(OLD, NEW, CHANGES)


# ------------------------------------------------------------------------------------------ cross tables


def test_every_k12_table_adds_up_to_the_record_count(k12, roster):
    assert list(k12.tables) == [
        "学校×年级",
        "民族×学校",
        "年龄×年级",
        "超龄低龄（按年级）",
        "户籍×学校",
        "特殊群体（按学校）",
    ]
    assert k12.total == len(roster) == 1437
    assert k12.conserved
    assert k12.checks["一致"].all() and (k12.checks["行合计"] == 1437).all() and (k12.checks["列合计"] == 1437).all()
    for title, t in k12.tables.items():
        assert t.iloc[-1].iloc[0] == "合计", title
    assert "行合计 = 列合计 = 记录数：全部一致" in k12.summary()


def test_school_by_grade_counts_pupils_and_girls(k12, roster):
    t = k12.table("学校×年级").set_index("学校")
    girls = roster["XB"].astype(str).isin(["2", "女"])  # one school writes 女, the others the code 2
    assert t.loc["合计", "合计·人数"] == 1437 and t.loc["合计", "合计·其中女"] == int(girls.sum()) == 699
    for (school, nj), part in roster.groupby(["XXMC", "NJ"]):
        grade = load_code_table("nj").labels_by_code()[str(nj)]
        assert t.loc[school, f"{grade}·人数"] == len(part)
        assert t.loc[school, f"{grade}·其中女"] == int(part["XB"].astype(str).isin(["2", "女"]).sum())
    # schools in the order of their 学校标识码; grades in code order
    assert list(t.index[:-1]) == list(roster.drop_duplicates("XXBSM").sort_values("XXBSM")["XXMC"])
    assert [c for c in t.columns if c.endswith("·人数")][:2] == ["小学一年级·人数", "小学二年级·人数"]


def test_nation_by_school_and_residence_by_school(k12, roster):
    nation = k12.table("民族×学校").set_index("民族")
    assert nation.loc["汉族", "合计"] == int(roster["MZ"].astype(str).isin(["01", "汉族"]).sum())
    assert nation.loc["合计"].drop("合计").sum() == 1437
    assert any(x.startswith("其他（") for x in nation.index)  # a code the table does not know is shown, not dropped
    res = k12.table("户籍×学校").set_index("学校")
    hk = roster["HKSZDXZQH"].astype(str).str.slice(0, 6)
    assert res.loc["合计", "本县"] == int((hk == "430121").sum())
    assert res.loc["合计", "外县"] == int((hk.str.startswith("43") & (hk != "430121")).sum())
    assert res.loc["合计", "外省"] == int((~hk.str.startswith("43")).sum())
    assert any("430121" in n for n in k12.notes)  # the county it took as 本县 is said


def test_age_by_grade_marks_under_age_as_the_check_does(k12, roster):
    ages = k12.table("年龄×年级").set_index("年龄")
    assert ages.loc["6岁", "小学一年级"] > 100 and ages.loc["合计", "合计"] == 1437
    flags = k12.table("超龄低龄（按年级）").set_index("年级")
    under = xj.validate(roster).findings.query("rule == 'AGE_GRADE_UNDER'")
    assert flags.loc["小学一年级", "低龄"] == len(under) == 1
    assert flags.loc["小学一年级", "标准年龄"] == "6岁" and flags.loc["高中三年级", "标准年龄"] == "17岁"


def test_special_groups_by_school(k12, roster):
    t = k12.table("特殊群体（按学校）").set_index("学校")
    assert t.loc["合计", "人数"] == 1437
    assert t.loc["合计", "留守儿童"] == int(roster["SFLSET"].astype(str).isin(["1", "2"]).sum())
    assert t.loc["合计", "随迁子女"] == int((roster["SFSQZN"].astype(str) == "1").sum())
    assert t.loc["合计", "孤儿"] == 0 and t.loc["合计", "随班就读"] == 0


def test_empty_and_mixed_values_are_counted_not_dropped(roster):
    df = roster.copy()
    df.loc[df.index[:5], "NJ"] = ""  # 5 pupils without a grade
    df.loc[df.index[5:8], "XB"] = "女"  # labels among codes
    df.loc[df.index[8:10], "HKSZDXZQH"] = "110101"  # 北京：外省
    t = crosstab(df, "学校", "年级", female=True)
    assert "未填·人数" in t.columns and int(t.iloc[-1]["未填·人数"]) == 5
    assert int(t.iloc[-1]["合计·人数"]) == len(df)
    assert margins_check(t, len(df))["一致"]
    r = crosstab(df, "户籍", "学校", county="430121").set_index("户籍")
    assert r.loc["外省", "合计"] == int((~roster["HKSZDXZQH"].astype(str).str.startswith("43")).sum()) + 2


def test_margins_check_catches_a_table_that_does_not_add_up(k12):
    t = k12.table("民族×学校").copy()
    assert margins_check(t, 1437)["一致"]
    t.loc[0, "示范县第一小学"] += 1
    assert not margins_check(t, 1437)["一致"]
    assert not margins_check(k12.table("民族×学校"), 1438)["一致"]


def test_unknown_dimension_and_missing_field_are_clear_chinese_errors(roster):
    with pytest.raises(CrosstabInputError, match="不认识的统计维度“星座”"):
        crosstab(roster, "学校", "星座")
    with pytest.raises(CrosstabInputError, match="名单中没有专业字段"):
        crosstab(roster, "学校", "专业")
    dims = crosstab_dimensions(roster)
    assert {"学校", "年级", "班级", "民族", "年龄", "户籍", "随班就读"} <= set(dims) and "专业" not in dims


def test_higher_ed_faculty_major_level_with_women_and_minorities(tmp_path):
    reg = xj.read_dbf(ROOT / "data_samples" / "hei" / "10_注册上报.dbf")
    res = higher_ed_crosstabs(reg)
    assert res.conserved and res.total == len(reg) == 995
    t = res.table("院系×专业×层次")
    assert list(t.columns) == ["院系", "专业", "层次", "人数", "女生", "少数民族"]
    last = t.iloc[-1]
    assert last["人数"] == 995 and last["女生"] == int((reg["XB"] == "女").sum())
    mz = load_code_table("mz")
    labels = reg["MZ"].map(lambda v: mz.match(v)[0].label if mz.match(v)[0] is not None else None)
    assert last["少数民族"] == int((labels.notna() & (labels != "汉族")).sum())
    one = t[(t["专业"] == "软件工程") & (t["层次"] == "本科")].iloc[0]
    part = reg[(reg["ZYMC"] == "软件工程") & (reg["CC"] == "本科")]
    assert (one["院系"], one["人数"], one["女生"]) == (part["FY"].iloc[0], len(part), int((part["XB"] == "女").sum()))
    # the same table from a folder converted by dbf_to_parquet: the engine reads the folder itself
    folder = tmp_path / "reg"
    xj.dbf_to_parquet(ROOT / "data_samples" / "hei" / "10_注册上报.dbf", folder)
    pd.testing.assert_frame_equal(crosstab(folder, "院系", "层次"), res.table("院系×层次"))


def test_crosstab_workbook_has_the_check_and_every_table(k12, tmp_path):
    files = k12.save(tmp_path)
    wb = openpyxl.load_workbook(files["workbook"], read_only=True)
    assert {"合计核对", "学校×年级", "户籍×学校"} <= set(wb.sheetnames)
    rows = list(wb["合计核对"].iter_rows(values_only=True))
    assert any("学校×年级" in [str(v) for v in r] for r in rows)


# ------------------------------------------------------------------------------------------- 异动报表


def test_term_balance_holds_per_school_on_the_sample_terms(report):
    bal = report.table("学期平衡（按学校）")
    assert list(bal.columns) == BALANCE_COLUMNS and report.balanced
    body = bal.iloc[:-1]
    lhs = body["期初"] + body["转入"] + body["新增"] - body["转出"] - body["减少"]
    assert (lhs == body["期末"]).all()
    old, new = xj.read_table(OLD, "k12_student"), xj.read_table(NEW, "k12_student")
    assert dict(zip(body["学校"], body["期初"])) == old.groupby("XXMC").size().to_dict()
    assert dict(zip(body["学校"], body["期末"])) == new.groupby("XXMC").size().to_dict()
    assert (body["名单增减"] == body["异动名单已说明"] + body["未说明"]).all()
    total = bal.iloc[-1]
    assert (total["期初"], total["期末"]) == (1442, 1437)
    s = bal.set_index("学校")
    # 王昊骏 moved 青松小学 → 第一小学 with 转出 + 转入 records: 转出 at one, 转入 at the other, both explained
    assert s.loc["示范县青松小学", "转出"] == 2 and s.loc["示范县青松小学", "未说明"] == 0
    assert s.loc["示范县第一小学", "转入"] == 2
    assert s.loc["示范县第一初级中学", "未说明"] == -3  # three pupils gone without a change record


def test_every_gap_is_listed(report):
    gaps = report.gaps
    lost = gaps[gaps["原因"].str.startswith("疑似流失")]
    unexplained = report.compare_result.unexplained_removals()
    assert len(lost) == len(unexplained) == 5
    assert set(lost["姓名"]) == set(unexplained["XM"])
    assert gaps.iloc[: len(lost)]["原因"].str.startswith("疑似流失").all()  # 疑似流失 first
    assert "重复学籍" in set(gaps["原因"]) and "来源不明（无异动记录）" in set(gaps["原因"])
    # the net 未说明 of each school is exactly what its listed records add up to
    bal = report.table("学期平衡（按学校）").iloc[:-1].set_index("学校")
    rec = gaps[gaps["增减"] != ""]
    sign = np.where(rec["增减"].isin(["转入", "新增"]), 1, -1)
    net = pd.Series(sign, index=rec.index).groupby(rec["学校"]).sum()
    for school, row in bal.iterrows():
        assert row["未说明"] == int(net.get(school, 0)), school
    assert (gaps["学籍号"].str.contains(r"\*")).all()  # masked


def test_change_list_by_type_school_and_month(report):
    t = report.table("异动按学校和类别").set_index("学校")
    assert t.loc["合计", "合计"] == 11 and t.loc["合计", "转出"] == 3 and t.loc["合计", "转入"] == 4
    assert t.loc["示范县青松小学", "转出"] == 2
    m = report.table("异动按月份和类别").set_index("月份")
    assert list(m.index) == ["2025年12月", "2026年01月", "合计"] and m.loc["2025年12月", "合计"] == 7
    sm = report.table("异动按学校、月份和类别")
    assert int(sm.iloc[-1]["合计"]) == 11 and margins_check(t.reset_index(), 11)["一致"]
    assert "异动名单 11 条" in report.summary() and "各校都平衡" in report.summary()


def test_balance_without_change_list_and_with_an_unrecorded_transfer():
    old, new = xj.read_table(OLD, "k12_student"), xj.read_table(NEW, "k12_student").copy()
    i = new.index[new["XXMC"] == "示范县星河小学"][0]
    new.loc[i, ["XXMC", "XXBSM"]] = ["示范县第二小学", "2143012902"]  # moved school, no change record
    rep = changes_report(old, new, None, old_name="2025秋", new_name="2026春")
    assert rep.balanced and "异动按学校和类别" not in rep.tables
    s = rep.table("学期平衡（按学校）").set_index("学校")
    assert s.loc["示范县星河小学", "转出"] == 1 and s.loc["示范县第二小学", "转入"] >= 1
    assert s.loc["合计", "异动名单已说明"] == 0 and s.loc["合计", "未说明"] == -5
    assert "转出未登记异动" in set(rep.gaps["原因"]) and "转入未登记异动" in set(rep.gaps["原因"])


def test_changes_report_workbook(report, tmp_path):
    files = report.save(tmp_path)
    wb = openpyxl.load_workbook(files["workbook"], read_only=True)
    assert {"学期平衡（按学校）", "平衡差异明细", "异动按学校和类别"} <= set(wb.sheetnames)
    rows = list(wb["平衡差异明细"].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    ids = [r[header.index("学籍号")] for r in rows[1:] if r[header.index("学籍号")]]
    assert ids and all("*" in str(v) for v in ids)  # masked in the workbook as on screen
    assert any("疑似流失" in str(r[header.index("原因")]) for r in rows[1:])


# ---------------------------------------------------------------------------------------- 核查执行统计


def _schools_file(tmp_path) -> Path:
    schools = pd.DataFrame(
        {
            "学校标识码": ["2143012911", "2143012912", "2143012901", "2143012902", "2143010201"],
            "学校名称": ["示范县第三小学", "示范县实验中学", "示范县第一小学", "示范县第二小学", "芙蓉区示范小学"],
            "区县": ["430121", "长沙县", "430121", "430121", "430102"],
        }
    )
    path = tmp_path / "应报学校.xlsx"
    xj.write_excel({"学校": schools}, path)
    return path


def test_schools_file_is_read_with_county_and_city(tmp_path):
    s = read_schools(_schools_file(tmp_path))
    assert list(s.columns) == ["学校标识码", "学校名称", "区县", "区县代码", "地市"]
    assert s["区县代码"].tolist() == ["430121"] * 4 + ["430102"]  # 长沙县 by name, the rest by code
    assert set(s["地市"]) == {"长沙市"} and s["区县"].iloc[-1] == "芙蓉区"
    bad = tmp_path / "缺列.xlsx"
    xj.write_excel({"学校": pd.DataFrame({"学校标识码": ["2143012911"], "学校名称": ["第三小学"]})}, bad)
    with pytest.raises(CoverageInputError, match="缺少 区县"):
        read_schools(bad)


def test_coverage_of_the_sample_check_round(tmp_path):
    res = coverage(_schools_file(tmp_path), CHECK)
    by = res.table("按学校").set_index("学校标识码")
    third = xj.validate(xj.read_table(CHECK / "示范县第三小学.xlsx", "k12_student"))
    middle = xj.validate(xj.read_table(CHECK / "示范县实验中学.xlsx", "k12_student"))
    # the record whose 学校标识码 lacks a digit counts for 第三小学 by its name
    assert by.loc["2143012911", "上报记录数"] == third.total == 128
    assert by.loc["2143012911", "有误记录数"] == third.failed_count
    assert by.loc["2143012912", "上报记录数"] == middle.total == 121
    assert by.loc["2143012912", "有误记录数"] == middle.failed_count
    assert res.table("按学校").iloc[-1]["上报记录数"] == 249 == res.total and res.conserved
    assert set(res.table("未上报学校")["学校名称"]) == {"示范县第一小学", "示范县第二小学", "芙蓉区示范小学"}
    assert set(res.table("有误学校")["学校标识码"]) == {"2143012911", "2143012912"}
    county = res.table("按区县").set_index("区县")
    assert county.loc["长沙县", ["学校数", "已上报", "未上报"]].tolist() == [4, 2, 2]
    assert county.loc["芙蓉区", "上报率（%）"] == 0.0 and county.loc["长沙县", "上报率（%）"] == 50.0
    city = res.table("按地市").set_index("地市")
    assert city.loc["长沙市", "学校数"] == 5 and city.loc["合计", "上报记录数"] == 249
    assert res.counts["not_reported"] == 3 and "应报学校 5 所，已上报 2 所，未上报 3 所" in res.summary()
    files = res.save(tmp_path / "out")
    assert "未上报学校" in openpyxl.load_workbook(files["workbook"], read_only=True).sheetnames


def test_records_of_a_school_not_in_the_list_are_still_counted(tmp_path, roster):
    part = roster[roster["XXMC"].isin(["示范县第一小学", "示范县星河小学"])]
    res = coverage(_schools_file(tmp_path), {"第一小学和星河小学": part}, validate=False)
    by = res.table("按学校").set_index("学校标识码")
    assert by.loc["2143012901", "上报记录数"] == int((part["XXMC"] == "示范县第一小学").sum())
    assert by.loc["名单外学校", "上报记录数"] == int((part["XXMC"] == "示范县星河小学").sum())
    assert res.conserved and res.table("按学校").iloc[-1]["上报记录数"] == len(part)
    assert "不在应报学校名单中" in res.summary()


def test_birth_dates_stored_as_dates_give_the_same_ages(roster, k12):
    """A roster converted from a DBF holds 出生日期 as dates, not YYYYMMDD text: the same 年龄×年级."""
    df = roster.copy()
    df["CSRQ"] = pd.to_datetime(df["CSRQ"].astype(str), format="%Y%m%d", errors="coerce")
    pd.testing.assert_frame_equal(crosstab(df, "年龄", "年级"), k12.table("年龄×年级"))


# ------------------------------------------------------------------------------------------ in the reports


@pytest.mark.notebook
def test_stats_report_has_the_cross_tables_and_the_coverage(tmp_path, roster):
    """The 学籍统计报告 (a real papermill run) with a schools file: the cross tables with the 合计核对 and the
    核查执行统计 in the HTML and in tables.xlsx, the same figures as the library's."""
    from xueji_lib.reporting.report import run_report

    schools = roster.drop_duplicates("XXBSM")[["XXBSM", "XXMC"]].rename(
        columns={"XXBSM": "学校标识码", "XXMC": "学校名称"}
    )
    schools = pd.concat(
        [schools, pd.DataFrame({"学校标识码": ["2143012999"], "学校名称": ["示范县未报小学"]})], ignore_index=True
    ).assign(区县="430121")
    path = tmp_path / "应报学校.xlsx"
    xj.write_excel({"学校": schools}, path)
    run = run_report("学籍统计报告", out_root=tmp_path / "out", roster=str(NEW), kind="k12", schools=str(path))
    html = run.html.read_text("utf-8")
    assert "交叉统计" in html and "行合计 = 列合计 = 记录数：全部一致" in html
    assert "核查执行统计：应报学校 9 所，已上报 8 所，未上报 1 所" in html and "示范县未报小学" in html
    wb = openpyxl.load_workbook(run.tables, read_only=True)
    assert {"合计核对", "学校×年级", "户籍×学校", "核查_按学校", "核查_未上报学校", "核查_按区县"} <= set(wb.sheetnames)
    got = list(wb["户籍×学校"].iter_rows(values_only=True))
    expected = k12_crosstabs(roster, schools=path).table("户籍×学校")
    assert got[-1][1:] == tuple(int(v) for v in expected.iloc[-1].iloc[1:])


# ------------------------------------------------------------------------------------------ the 统计 page


@pytest.fixture(scope="module")
def stats_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("stats") / "data"
    (data / "k12").mkdir(parents=True)
    (data / "hei").mkdir()
    shutil.copy(NEW, data / "k12")
    shutil.copy(ROOT / "data_samples" / "hei" / "10_注册上报.dbf", data / "hei")
    return data


def test_stats_page_counts_what_the_user_picks(stats_data, k12):
    from xueji_lib.apps.catalog import Catalog
    from xueji_lib.apps.stats_page import CrosstabPage

    cat = Catalog(stats_data).refresh()
    page = CrosstabPage(cat)
    page.dataset.value = "k12/学生名单_2026春.xlsx"
    assert (page.rows.value, page.columns.value) == ("学校", "年级")
    assert "户籍" in [v for _, v in page.columns.options] and "三者一致" in page.check_html.value
    page.rows.value, page.columns.value = "学校", "户籍"
    pd.testing.assert_frame_equal(page.table, k12.table("户籍×学校"))
    assert "行合计 1,437，列合计 1,437，记录数 1,437——三者一致" in page.check_html.value
    page.female.value = True
    assert "合计·其中女" in page.table.columns and "其中女" in page.table_html.value
    page.columns.value = "学校"
    assert "同一个字段" in page.message.value and page.table is None
    page.columns.value = ""
    assert list(page.table.columns) == ["学校", "人数", "其中女"]
    page.export()
    assert 'download="统计_学生名单_2026春_学校.xlsx"' in page.download.value
    page.dataset.value = "hei/10_注册上报.dbf"
    assert (page.rows.value, page.columns.value) == ("院系", "层次") and "记录数 995" in page.check_html.value
    page.start({"ds": "k12/学生名单_2026春.xlsx", "rows": "民族", "cols": "学校"})
    pd.testing.assert_frame_equal(page.table, k12.table("民族×学校"))


@pytest.mark.browser
@pytest.mark.notebook
def test_stats_page_in_the_browser(stats_data, tmp_path, k12):
    from xueji_lib.reporting.kernel import DASHBOARD_DIR

    from .browser import ARGS, CHROMIUM, need_browser, only_local
    from .dashboard_server import DashboardServer

    sync_api = need_browser()
    notebooks = tmp_path / "dashboards"
    notebooks.mkdir()
    shutil.copy(DASHBOARD_DIR / "统计.ipynb", notebooks)
    outside: list[str] = []
    timeout = 60_000
    with DashboardServer(stats_data, tmp_path / "server.log", notebooks=notebooks) as server:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page = ctx.new_page()
            only_local(page, (server.base,), outside)
            page.goto(server.url("统计", ds="k12/学生名单_2026春.xlsx"), timeout=timeout)
            page.get_by_text("学校×年级：行合计 1,437，列合计 1,437，记录数 1,437——三者一致").wait_for(timeout=timeout)
            page.locator(".widget-dropdown", has_text="列").locator("select").select_option(label="户籍")
            page.get_by_text("学校×户籍：行合计 1,437").wait_for(timeout=timeout)
            local = int(k12.table("户籍×学校").iloc[-1]["本县"])
            assert str(local) in page.locator("table.xj-table", has_text="本县").inner_text()
            page.get_by_role("button", name="下载 Excel").click()
            link = page.locator("a.xj-download")
            link.wait_for(timeout=timeout)
            with page.expect_download(timeout=timeout) as dl:
                link.click()
            path = tmp_path / dl.value.suggested_filename
            dl.value.save_as(path)
            assert path.name == "统计_学生名单_2026春_学校×户籍.xlsx"
            rows = list(openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
            assert rows[0][:4] == ("学校", "本县", "外县", "外省") and rows[-1][1] == local
            page.close(run_before_unload=True)
            ctx.close()
            browser.close()
        log = server.log_text()
    assert not outside and "Traceback" not in log
