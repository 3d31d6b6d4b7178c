"""Issue 17 §2 — 组合查询: conditions on any field of a list (等于 / 属于 / 包含 / 范围 / 为空 / 不为空, 年龄), AND-ed,
with flags from the checks (校验有误, 疑似重复, 疑似流失, 无身份证号, 无照片), compiled to SQL with bound values and run
in DuckDB over the catalogue's Parquet; the counts against pandas over the same files, hostile values as
literals, the export workbook read back (masked; unmasked only when asked, and audited), saved queries (owner-only)
and the page driven in the real Voila server by chromium."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from xueji_lib.apps.catalog import Catalog, load_dataset
from xueji_lib.apps.dashboard import AuditLog, QueryPage, SavedQueries
from xueji_lib.core.ids import make_ids
from xueji_lib.engine.query import AGE, Condition, Query, QueryError, QueryTable, parse_date, query_workbook
from xueji_lib.reporting.kernel import DASHBOARD_DIR

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data_samples"
K12_OLD, K12_NEW, HEI_REG = "k12/学生名单_2025秋.xlsx", "k12/学生名单_2026春.xlsx", "hei/10_注册上报.dbf"


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    data = tmp_path_factory.mktemp("q") / "data"
    shutil.copytree(SAMPLES, data)
    return Catalog(data).refresh()


def _frame(cat, ds):
    return load_dataset(cat.folder / ds)[0]


def _ids(df):
    return df["SFZJH"].astype("str").fillna("").str.strip().str.upper()


# ---------------------------------------------------------------------------------------------- conditions
def test_each_operation_counts_what_pandas_counts_on_the_roster(cat):
    df = _frame(cat, K12_NEW)
    t = cat.query_table(K12_NEW)
    text = {c: df[c].astype("str").fillna("").str.strip() for c in ("XB", "NJ", "XM", "CSRQ", "LXDH", "XXMC")}
    male = text["XB"].isin(["1", "男"])  # a school that writes 男 and the others 1: the same students
    assert 0 < (text["XB"] == "男").sum() < male.sum()
    assert t.count(Query((Condition("XB", "eq", ("1",)),))) == male.sum()
    assert t.count(Query((Condition("XB", "eq", ("男",)),))) == male.sum()
    grades = text["NJ"].isin(["11", "12"])
    both = Query((Condition("XB", "eq", ("1",)), Condition("NJ", "in", ("11", "12"))))
    assert t.count(both) == (male & grades).sum() > 0
    assert (
        t.count(Query((Condition("XM", "contains", ("丽",)),))) == text["XM"].str.contains("丽", regex=False).sum() > 0
    )
    assert (
        t.count(Query((Condition("XXMC", "contains", ("小学",)), Condition("XB", "eq", ("2",)))))
        == (text["XXMC"].str.contains("小学", regex=False) & text["XB"].isin(["2", "女"])).sum()
    )
    born = text["CSRQ"]
    assert (
        t.count(Query((Condition("CSRQ", "range", ("2015", "2016-06")),)))
        == ((born >= "20150101") & (born <= "20160630")).sum()
        > 0
    )
    assert t.count(Query((Condition("CSRQ", "range", ("", "2012")),))) == ((born != "") & (born <= "20121231")).sum()
    empty = text["LXDH"] == ""
    assert t.count(Query((Condition("LXDH", "empty"),))) == empty.sum()
    assert t.count(Query((Condition("LXDH", "not_empty"),))) == (~empty).sum()
    # 年龄 in whole years on a given day, from 出生日期
    birth = pd.to_datetime(born, format="%Y%m%d", errors="coerce")
    on = pd.Timestamp("2026-08-31")
    age = on.year - birth.dt.year - ((birth.dt.month > 8) | ((birth.dt.month == 8) & (birth.dt.day > 31))).astype(int)
    q = Query((Condition(AGE, "range", ("7", "9")),), as_of="2026-08-31")
    assert t.count(q) == ((age >= 7) & (age <= 9)).sum() > 0
    assert t.count(Query((Condition(AGE, "eq", ("12",)),), as_of="2026-08-31")) == (age == 12).sum() > 0
    # the page: in list order, the fields asked for, row numbers 1…
    page = t.page(both, 0, 5, ["XM", "NJ"])
    assert page.columns.tolist() == ["_row", "XM", "NJ"] and page["_row"].is_monotonic_increasing
    assert set(page["NJ"]) <= {"11", "12"} and len(page) == 5
    assert page["_row"].tolist() == (np.flatnonzero((male & grades).to_numpy()) + 1)[:5].tolist()
    t.close()


def test_fields_ops_and_values_read_as_the_clerk_knows_them(cat):
    t = cat.query_table(HEI_REG)
    names = dict((c, n) for n, c in t.fields())
    assert names["KSH"] == "考生号（KSH）" and names[AGE] == "年龄"
    assert "range" in t.ops("CSRQ") and "range" in t.ops("RXRQ") and "range" not in t.ops("XM")
    values = {v: (label, n) for v, label, n in t.values("XB")}
    reg = _frame(cat, HEI_REG)
    assert values["男"][1] == (reg["XB"] == "男").sum()
    assert "2" not in values or values["2"][0] == "2（女）"
    assert t.describe(Query((Condition("XB", "eq", ("男",)), Condition("CSRQ", "range", ("2007", ""))))) == [
        "性别 等于 男",
        "出生日期 从 2007 到 （不限）",
    ]
    t.close()


def test_hostile_values_are_literals_and_fields_a_whitelist():
    ids = make_ids([430121] * 6, ["20100101"] * 6, [11, 12, 13, 14, 15, 16])
    df = pd.DataFrame(
        {
            "XM": ["100%_满分", "王_五", "'; DROP TABLE t; --", "O'Brien", "反斜杠\\", "张三"],
            "XB": ["1", "2", "1", "2", "1", "1"],
            "SFZJH": ids,
        }
    )
    t = QueryTable(df, layout="k12_student")
    count = lambda op, v: t.count(Query((Condition("XM", op, (v,)),)))  # noqa: E731
    assert count("contains", "%_") == 1  # not LIKE: % and _ are the characters themselves
    assert count("contains", "_") == 2
    assert count("contains", "%") == 1
    assert count("eq", "'; DROP TABLE t; --") == 1
    assert count("contains", "'") == 2
    assert count("contains", "\\") == 1
    assert count("eq", "x' OR '1'='1") == 0
    assert t.count(Query()) == 6, "the table is still there"
    for field in ('XM" FROM t; DROP TABLE t; --', "nope", "_row"):
        with pytest.raises(QueryError, match="没有字段"):
            t.count(Query((Condition(field, "eq", ("1",)),)))
    with pytest.raises(QueryError, match="不能用"):
        t.count(Query((Condition("XM", "range", ("1", "2")),)))
    with pytest.raises(QueryError, match="不是日期"):
        t.count(Query((Condition(AGE, "eq", ("10",)),), as_of="明天"))
    with pytest.raises(QueryError, match="标记"):
        t.count(Query(flags=("errors; DROP",)))
    with pytest.raises(QueryError, match="校验发现"):
        t.count(Query(flags=("errors",)))  # a frame given without findings
    t.close()


def test_dates_a_clerk_types():
    assert parse_date("2008") == dt.date(2008, 1, 1) and parse_date("2008", end=True) == dt.date(2008, 12, 31)
    assert parse_date("2008-02", end=True) == dt.date(2008, 2, 29) and parse_date("200805") == dt.date(2008, 5, 1)
    assert (
        parse_date("2008/5/20") == parse_date("20080520") == parse_date("２００８年５月２０日") == dt.date(2008, 5, 20)
    )
    for bad in ("20085", "2008-13-01", "abc", "2008-02-30"):
        with pytest.raises(QueryError):
            parse_date(bad)


# ---------------------------------------------------------------------------------------------- flags
def test_flags_from_the_checks_on_the_samples(cat):
    planted = pd.read_csv(SAMPLES / "planted.csv", dtype=str)
    old = cat.query_table(K12_OLD)
    assert [f for _zh, f in old.flags()] == ["errors", "duplicate", "dropout", "no_id", "no_photo"]
    dropout = old.page(Query(flags=("dropout",)), 0, 100, [])["_row"].tolist()
    expect = planted[(planted["file"] == K12_OLD) & (planted["expected"] == "compare:removed_unexplained")]
    assert dropout == sorted(expect["row"].astype(int)) and len(dropout) == 5
    # 校验有误: records with an error finding; 疑似重复: duplicate findings or 重复 in the comparison
    f = cat.findings(K12_NEW)
    new = cat.query_table(K12_NEW)
    err = set(f.loc[f["severity"] == "error", "row"].dropna().astype(int))
    assert set(new.page(Query(flags=("errors",)), 0, 10_000, [])["_row"]) == err
    st = cat.statuses
    dup = set(
        f.loc[f["rule"].isin(["SFZH_DUPLICATE", "XJH_DUPLICATE", "DUP_NAME_SEX_BIRTH"]), "row"].astype(int)
    ) | set(st.loc[(st["dataset"] == K12_NEW) & (st["status"] == "duplicate_key"), "row"].astype(int))
    assert set(new.page(Query(flags=("duplicate",)), 0, 10_000, [])["_row"]) == dup and dup
    assert "dropout" in new.unavailable  # the newer roster of the pair has no removals
    df = _frame(cat, K12_NEW)
    assert new.count(Query(flags=("no_id",))) >= (_ids(df) == "").sum() > 0
    # 无照片 (hei): the photo folder names students by 身份证号; flags and conditions AND-ed
    reg = _frame(cat, HEI_REG)
    stems = {p.stem.upper() for p in (cat.folder / "hei" / "photos").rglob("*") if p.is_file()}
    has = reg["SFZH"].astype("str").str.upper().isin(stems)
    hei = cat.query_table(HEI_REG)
    assert hei.count(Query(flags=("no_photo",))) == (~has).sum() < len(reg)
    in_class = reg["BH"].astype("str") == "软件2601"
    q = Query((Condition("BH", "eq", ("软件2601",)),), flags=("no_photo",))
    assert hei.count(q) == (in_class & ~has).sum() < in_class.sum()
    for t in (old, new, hei):
        t.close()


# ---------------------------------------------------------------------------------------------- export
def test_export_workbook_masked_by_default(cat, tmp_path):
    t = cat.query_table(K12_NEW)
    q = Query((Condition("XB", "eq", ("2",)), Condition("NJ", "in", ("21", "22"))))
    recs = t.records(q)
    n = t.count(q)
    assert len(recs) == n > 0
    df = _frame(cat, K12_NEW)
    for unmask in (False, True):
        path = query_workbook(
            recs,
            tmp_path / f"out{unmask}.xlsx",
            layout=t.layout,
            conditions=t.describe(q),
            title=K12_NEW,
            total=t.total,
            file_rows=cat.file_rows(K12_NEW),
            unmask=unmask,
        )
        wb = openpyxl.load_workbook(path, read_only=True)
        assert wb.sheetnames == ["查询条件", "查询结果"]
        cond = [r for r in wb["查询条件"].iter_rows(values_only=True)]
        assert ("条件", "性别 等于 2") in cond and ("符合条件", f"{n} 条（名单共 {t.total} 条）") in cond
        rows = list(wb["查询结果"].iter_rows(values_only=True))
        head, body = rows[0], rows[1:]
        assert head[0] == "行号" and "身份证件号" in head and "姓名" in head and len(body) == n
        # 行号 is the Excel row (header on row 1): the record at data row r is on row r + 1
        assert [r[0] for r in body] == [int(x) + 1 for x in recs["_row"]]
        ids = {str(r[head.index("身份证件号")]) for r in body if r[head.index("身份证件号")]}
        full = set(_ids(df.iloc[recs["_row"].to_numpy() - 1]))
        if unmask:
            assert ids == full - {""}
        else:
            assert not ids & full and all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", i) for i in ids)
            assert ("个人信息", "已遮蔽（身份证号、电话、地址只显示部分）") in cond
        wb.close()
    t.close()


# ---------------------------------------------------------------------------------------------- the page, saved queries
def test_page_saves_reopens_and_audits_without_values(cat, tmp_path):
    log = tmp_path / "audit.jsonl"
    page = QueryPage(cat, AuditLog(log, page="组合查询"))
    page.dataset.value = K12_NEW
    df = _frame(cat, K12_NEW)
    someone = str(_ids(df)[df.index[10]])
    r = page.add_condition()
    r.field.value = "SFZJH"
    r.text.value = someone
    assert page.count == 1
    r.field.value = "NJ"
    r.op.value = "in"
    r.many.value = ("31", "32")
    r2 = page.add_condition()
    r2.field.value = "XB"
    r2.text.value = "女"
    expect = (df["NJ"].isin(["31", "32"]) & df["XB"].isin(["2", "女"])).sum()
    assert page.count == expect > 20
    assert "第 1 页，共" in page.page_label.value
    page.turn(1)
    assert "第 2 页" in page.page_label.value and "xj-table" in page.table_html.value
    assert not any(i in page.table_html.value for i in _ids(df) if i), "the table is masked"
    page.export()
    assert "下载 组合查询_学生名单_2026春_" in page.download.value and "已遮蔽" in page.download.value
    page.unmask.value = True
    page.export()
    assert "_未遮蔽.xlsx" in page.download.value
    page.save_name.value = "  高中女生  "
    page.save()
    assert "已保存查询“高中女生”" in page.saved_note.value
    saved = cat.cache_dir / "queries.json"
    assert os.stat(saved).st_mode & 0o777 == 0o600
    assert json.loads(saved.read_text("utf-8"))["高中女生"]["dataset"] == K12_NEW
    again = QueryPage(cat, AuditLog(log, page="组合查询")).start({"saved": "高中女生"})
    assert again.dataset.value == K12_NEW and again.count == expect and len(again.rows) == 2
    assert [r.op.value for r in again.rows] == ["in", "eq"] and again.rows[0].many.value == ("31", "32")
    again.save_name.value = ""
    again.save()
    assert "请先给查询起个名字" in again.saved_note.value
    again.saved_pick.value = "高中女生"
    again.delete_saved()
    assert "高中女生" not in SavedQueries(cat.cache_dir).all()
    entries = [json.loads(x) for x in log.read_text("utf-8").splitlines()]
    actions = [e["action"] for e in entries]
    assert {"query", "export", "save_query", "open_query", "delete_query"} <= set(actions)
    exports = [e for e in entries if e["action"] == "export"]
    assert [e["masked"] for e in exports] == [True, False] and exports[0]["records"] == expect
    text = log.read_text("utf-8")
    assert someone not in text and "高中女生" not in text and "女" not in text.replace("组合查询", "")


def test_bad_input_on_the_page_is_a_message(cat, tmp_path):
    page = QueryPage(cat, AuditLog(tmp_path / "a.jsonl", page="组合查询"))
    page.dataset.value = HEI_REG
    r = page.add_condition()
    r.field.value = "CSRQ"
    r.op.value = "range"
    r.low.value = "二〇〇八"
    assert "不是日期" in page.message.value and page.count_html.value == ""
    r.low.value = "2007"
    assert page.message.value == "" and page.count > 0
    page.dataset.value = K12_OLD
    assert page.rows == [] and page.count == 1442
    from traitlets import TraitError

    with pytest.raises(TraitError):
        page.dataset.value = "../../etc/passwd"  # not an option of the menu


# ---------------------------------------------------------------------------------------------- the browser
@pytest.mark.browser
@pytest.mark.notebook
def test_the_page_in_the_browser(tmp_path):
    from .browser import ARGS, CHROMIUM, need_browser, only_local
    from .dashboard_server import DashboardServer

    sync_api = need_browser()
    data = tmp_path / "data"
    shutil.copytree(SAMPLES, data)
    notebooks = tmp_path / "dashboards"
    notebooks.mkdir()
    shutil.copy(DASHBOARD_DIR / "组合查询.ipynb", notebooks)
    df, _ = load_dataset(data / K12_NEW)
    girls = df["XB"].isin(["2", "女"])
    primary = df["NJ"].isin(["11", "12", "13"])
    expect = int((girls & primary).sum())
    cat = Catalog(data).refresh()
    label = cat.datasets[K12_NEW].label
    t = cat.query_table(K12_NEW)
    grade = {
        v: f"{shown}（{n} 条）" for v, shown, n in t.values("NJ")
    }  # how the 属于 list reads: 11（小学一年级）（…条）
    t.close()
    outside: list[str] = []
    timeout = 60_000
    with DashboardServer(data, tmp_path / "server.log", notebooks=notebooks) as server:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page = ctx.new_page()
            only_local(page, (server.base,), outside)
            page.goto(server.url("组合查询"), timeout=timeout)
            page.get_by_text("符合条件：").wait_for(timeout=timeout)
            page.locator(".widget-dropdown", has_text="名单").locator("select").first.select_option(label=label)
            page.get_by_text("符合条件：1,437 条").wait_for(timeout=timeout)
            page.get_by_role("button", name="添加条件").click()
            row = page.locator(".xj-q-row").nth(0)
            row.locator(".xj-q-field select").select_option(label="性别（XB）")
            # the kernel has taken the field when the value box offers its values (then a value typed is kept)
            row.locator(".xj-q-value datalist option[value='女']").wait_for(state="attached", timeout=timeout)
            row.locator(".xj-q-value input").fill("女")
            row.locator(".xj-q-value input").press("Tab")  # Enter picks from the value list: leaving the box sends it
            page.get_by_text(f"符合条件：{int(girls.sum()):,} 条").wait_for(timeout=timeout)
            page.get_by_role("button", name="添加条件").click()
            row = page.locator(".xj-q-row").nth(1)
            row.locator(".xj-q-field select").select_option(label="年级（NJ）")
            row.locator(".xj-q-values option", has_text=grade["11"]).wait_for(state="attached", timeout=timeout)
            row.locator(".xj-q-op select").select_option(label="属于")
            row.locator(".xj-q-values select").select_option(label=[grade[g] for g in ("11", "12", "13")])
            page.get_by_text(f"符合条件：{expect:,} 条").wait_for(timeout=timeout)
            pages = -(-expect // 20)
            page.get_by_text(f"第 1 页，共 {pages} 页").wait_for(timeout=timeout)
            page.get_by_role("button", name="下一页").click()
            page.get_by_text(f"第 2 页，共 {pages} 页").wait_for(timeout=timeout)
            body = page.locator("body").inner_text()
            assert not any(i in body for i in _ids(df) if len(i) == 18), "the table is masked"
            page.get_by_role("button", name="导出 Excel").click()
            link = page.locator("a.xj-download")
            link.wait_for(timeout=timeout)
            with page.expect_download(timeout=timeout) as dl:
                link.click()
            path = tmp_path / dl.value.suggested_filename
            dl.value.save_as(path)
            assert path.name == f"组合查询_学生名单_2026春_{expect}条.xlsx"
            wb = openpyxl.load_workbook(path, read_only=True)
            rows = list(wb["查询结果"].iter_rows(values_only=True))
            assert len(rows) - 1 == expect
            cells = {str(c) for r in rows for c in r if c is not None}
            assert not cells & set(_ids(df)) and any("********" in c for c in cells)
            wb.close()
            page.get_by_placeholder("给当前查询起个名字").fill("低年级女生")
            page.get_by_role("button", name="保存查询").click()
            page.get_by_text("已保存查询“低年级女生”").wait_for(timeout=timeout)
            page.close(run_before_unload=True)
            again = ctx.new_page()
            only_local(again, (server.base,), outside)
            again.goto(server.url("组合查询"), timeout=timeout)
            again.get_by_text("符合条件：").wait_for(timeout=timeout)
            again.locator(".widget-dropdown", has_text="已保存").locator("select").select_option(label="低年级女生")
            again.get_by_role("button", name="打开").click()
            again.get_by_text("已打开查询“低年级女生”").wait_for(timeout=timeout)
            again.get_by_text(f"符合条件：{expect:,} 条").wait_for(timeout=timeout)
            assert again.locator(".xj-q-row").count() == 2
            again.close(run_before_unload=True)
            ctx.close()
            browser.close()
        log = server.log_text()
    assert not outside
    assert "Traceback" not in log and not any(i in log for i in _ids(df) if i)
    audit = (data / ".xueji_cache" / "audit.jsonl").read_text("utf-8")
    assert '"action": "export"' in audit and '"masked": true' in audit and "低年级女生" not in audit
