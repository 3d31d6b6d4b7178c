"""The dashboards as a user meets them: `xueji dashboard` (Voila, preheated kernels, token) started on a
free local port over a copy of the samples, driven by Debian's chromium through Playwright. Every request
that is not to 127.0.0.1 is aborted and recorded; none may happen. Checks the lookup by each key, the
student card (fields of every file, statuses, findings, photo, masking), the query-string search, the
comparison page's counts against the library's own results (catalogue pairs, dropdowns and uploads), the
workbook download, the audit log and the server log (no personal value), token and static-file rules, and
that a failing page shows no traceback."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest

from xueji_lib import compare, reconcile
from xueji_lib.apps.catalog import Catalog, load_dataset
from xueji_lib.matching.compare import STATUS_ZH as COMPARE_ZH
from xueji_lib.matching.reconcile import STATUS_ZH as RECONCILE_ZH
from xueji_lib.reporting.kernel import DASHBOARD_DIR
from xueji_lib.schema.layouts import load_layout

from .browser import ARGS, CHROMIUM, need_browser, only_local
from .dashboard_server import DashboardServer

pytestmark = [pytest.mark.browser, pytest.mark.notebook]  # Chromium, and Voila's kernels

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data_samples"
DASHBOARDS = DASHBOARD_DIR
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    sync_api = need_browser()
    tmp = tmp_path_factory.mktemp("dash")
    data = tmp / "data"
    shutil.copytree(SAMPLES, data)
    notebooks = tmp / "dashboards"
    # the pages these tests drive (组合查询 and 统计 have servers of their own in their tests: a page is a kernel)
    shutil.copytree(DASHBOARDS, notebooks, ignore=shutil.ignore_patterns("组合查询.ipynb", "统计.ipynb"))
    photos = sorted((SAMPLES / "hei" / "photos").rglob("*.jpg"))  # in class folders
    logo = next(p for p in photos if p.stat().st_size > 5000)
    (notebooks / "logo.png").write_bytes(logo.read_bytes())
    (notebooks / "名单.csv").write_text("姓名\n张三\n", "utf-8")
    broken = nbformat.v4.new_notebook()
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    broken.cells = [
        nbformat.v4.new_code_cell("from xueji_lib.apps.dashboard import wait_for_request\nwait_for_request()"),
        nbformat.v4.new_code_cell("raise ValueError('/secret/path/名单.dbf 11010519491231002X')"),
    ]
    nbformat.write(broken, notebooks / "故障.ipynb")
    outside: list[str] = []
    with DashboardServer(data, tmp / "server.log", notebooks=notebooks) as server:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            yield {"server": server, "data": data, "ctx": ctx, "outside": outside, "tmp": tmp}
            ctx.close()
            browser.close()


def _page(env, name, **query):
    page = env["ctx"].new_page()
    only_local(page, (env["server"].base,), env["outside"])
    page.goto(env["server"].url(name, **query), timeout=TIMEOUT)
    return page


def _student(data):
    reg, _ = load_dataset(data / "hei" / "10_注册上报.dbf")
    i = int(reg.index[reg["BH"] == "软件2601"][0])
    return i + 1, reg.iloc[i]


def _search(page, text):
    box = page.get_by_placeholder(re.compile("姓名"))
    box.fill("没有这个人")
    box.press("Enter")
    page.get_by_text("找到 0 条记录").wait_for(timeout=TIMEOUT)
    box.fill(text)
    box.press("Enter")
    page.locator(".xj-card").wait_for(timeout=TIMEOUT)


@pytest.mark.parametrize("key", ["XM", "SFZH", "KSH", "XH"])
def test_lookup_by_each_key(env, key):
    row, rec = _student(env["data"])
    page = env.get("lookup") or _page(env, "学生查询")
    env["lookup"] = page
    _search(page, str(rec[key]))
    card = page.locator(".xj-card").inner_text()
    body = page.locator("body").inner_text()
    assert f"hei/10_注册上报.dbf 第{row}行" in card
    assert str(rec["XM"]) in card and str(rec["KSH"]) in card and str(rec["XH"]) in card
    assert "hei/10_录取名单.dbf" in card and "hei/10_新生状态.dbf" in card
    assert "一致" in card and "专业名称（ZYMC）" in card
    sfzh = str(rec["SFZH"])
    assert sfzh not in body, "the ID number must be masked on the page"
    assert sfzh[:6] + "********" + sfzh[-4:] in card
    src = page.locator(".xj-card img.xj-photo").get_attribute("src")
    assert src.startswith("data:image/jpeg;base64,")


def test_lookup_k12_by_xjh_and_unmask_is_logged(env):
    roster, _ = load_dataset(env["data"] / "k12" / "学生名单_2026春.xlsx")
    rec = roster.iloc[0]
    page = env.get("lookup") or _page(env, "学生查询")
    env["lookup"] = page
    _search(page, str(rec["XJH"]))
    card = page.locator(".xj-card").inner_text()
    assert "k12/学生名单_2025秋.xlsx" in card and "k12/学生名单_2026春.xlsx" in card
    assert str(rec["XM"]) in card and "不变" in card
    assert str(rec["SFZJH"]) not in page.locator("body").inner_text()
    page.get_by_text("显示完整个人信息").click()
    page.get_by_text("个人信息未遮盖").wait_for(timeout=TIMEOUT)
    assert str(rec["SFZJH"]) in page.locator(".xj-card").inner_text()
    page.get_by_text("显示完整个人信息").click()
    page.get_by_text("个人信息已遮盖").wait_for(timeout=TIMEOUT)
    assert str(rec["SFZJH"]) not in page.locator("body").inner_text()


def test_two_hits_in_a_row_each_shows_its_own_card(env):
    """Issue 15 §1: after a first hit, a second search showed the new hits over the first student's card (the
    menu's first entry had the same value 0, so no change reached the card). Two hits in a row, no miss between."""
    roster, _ = load_dataset(env["data"] / "k12" / "学生名单_2026春.xlsx")
    first, second = roster.iloc[3], roster.iloc[len(roster) // 2]
    assert first["XM"] != second["XM"]
    page = _page(env, "学生查询")
    box = page.get_by_placeholder(re.compile("姓名"))
    for rec, other in ((first, second), (second, first)):
        box.fill(str(rec["XJH"]))
        box.press("Enter")
        card = page.locator(".xj-card", has_text=str(rec["XM"]))
        card.wait_for(timeout=TIMEOUT)
        assert str(other["XM"]) not in page.locator(".xj-card").inner_text()
    page.close(run_before_unload=True)


def test_query_string_runs_the_search(env):
    row, rec = _student(env["data"])
    page = _page(env, "学生查询", q=str(rec["KSH"]))
    page.locator(".xj-card").wait_for(timeout=TIMEOUT)
    assert str(rec["XM"]) in page.locator(".xj-card").inner_text()
    page.close(run_before_unload=True)


def _counts(page) -> list[dict]:
    """The page's counts table: one {结果: 记录数} per list, in the order shown (each ends in 合计)."""
    rows = page.locator("h3:has-text('各结果的记录数') + table").evaluate(
        "t => [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    out: dict = {}
    for side, status, n in rows:
        out.setdefault(side, {})[status] = int(n)
    return list(out.values())


def _expected(result, sides, zh, totals) -> list[dict]:
    """The library's own counts per side (every status, zeros included) and the side's record count."""
    out = []
    for side in sides:
        c = {zh[s]: int(n) for s, n in result.counts[side].items() if s in zh and isinstance(n, int)}
        out.append({**c, "合计": totals[side]})
    return out


def test_comparison_of_a_catalogue_pair_equals_the_library(env):
    data = env["data"]
    cat = Catalog(data).open()
    i = next(i for i, p in enumerate(cat.pairs) if p.kind == "compare")
    page = _page(env, "名单对比", pair=str(i + 1))
    page.get_by_text("各结果的记录数").wait_for(timeout=TIMEOUT)
    old, _ = load_dataset(data / "k12" / "学生名单_2025秋.xlsx")
    new, _ = load_dataset(data / "k12" / "学生名单_2026春.xlsx")
    ch, _ = load_dataset(data / "k12" / "学籍异动_2026春.xlsx")
    res = compare(old, new, changes=ch)
    assert _counts(page) == _expected(
        res, ("old", "new", "changes"), COMPARE_ZH, {"old": len(old), "new": len(new), "changes": len(ch)}
    )
    page.locator(".js-plotly-plot .bars path").first.wait_for(state="attached", timeout=TIMEOUT)
    # issue 15 §7: the 变化字段 filter lists the fields' Chinese names (not XJH, NJ …) and filters the same records
    lay = load_layout("k12_student")
    both = pd.concat([res.old, res.new], ignore_index=True)
    both = both[~both["status"].isin(("matched", "unchanged", "enrolled"))]  # the page lists the differences
    moved = both[both["changed_fields"].fillna("").astype("str") != ""]
    codes = {c for v in moved["changed_fields"].astype("str") for c in v.split(",") if c}
    assert codes, "the samples have changed fields"
    field_select = page.locator(".widget-dropdown", has_text="变化字段").locator("select")
    options = [o.strip() for o in field_select.locator("option").all_inner_texts()]
    assert options[0] == "全部" and sorted(options[1:]) == sorted(lay.field(c).name for c in codes)
    assert not set(options) & codes
    code = sorted(codes)[0]
    field_select.select_option(label=lay.field(code).name)
    n = int(moved["changed_fields"].astype("str").str.split(",").map(lambda xs: code in xs).sum())
    page.get_by_text(f"差异记录：{n} 条").wait_for(timeout=TIMEOUT)
    shown = page.locator("h3:has-text('差异记录') + table")
    column = shown.locator("thead th").all_inner_texts().index("变化字段")
    cells = shown.locator("tbody tr").evaluate_all(f"rows => rows.map(r => r.cells[{column}].innerText.trim())")
    assert cells and all(lay.field(code).name in c for c in cells)
    assert not any(c in codes for cell in cells for c in cell.split("、"))
    field_select.select_option(label="全部")
    # filter by a status: the table shows exactly that many records
    page.locator("select").filter(has_text="全部差异").select_option(COMPARE_ZH["removed"])
    n = res.counts["old"]["removed"]
    page.get_by_text(f"差异记录：{n} 条").wait_for(timeout=TIMEOUT)
    with page.expect_download() as dl:
        page.locator("a.xj-download").click()
    path = env["tmp"] / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.name == "对比结果.xlsx"
    wb = openpyxl.load_workbook(path, read_only=True)
    assert len(wb.sheetnames) >= 2
    page.close(run_before_unload=True)


def test_reconciliation_picked_in_dropdowns_equals_the_library(env):
    data = env["data"]
    label = {d: ds.label for d, ds in Catalog(data).open().datasets.items()}
    page = _page(env, "名单对比")
    page.locator("select").filter(has_text="（自己选择）").select_option("（自己选择）")
    page.locator(".widget-dropdown", has_text="第一份").locator("select").select_option(
        label=label["hei/50_录取名单.dbf"]
    )
    page.locator(".widget-dropdown", has_text="第二份").locator("select").select_option(
        label=label["hei/50_注册上报.dbf"]
    )
    page.locator(".widget-dropdown", has_text="方式").locator("select").select_option(label="录取↔注册核对")
    page.get_by_role("button", name="开始对比").click()
    page.get_by_text("各结果的记录数").wait_for(timeout=TIMEOUT)
    adm, _ = load_dataset(data / "hei" / "50_录取名单.dbf")
    reg, _ = load_dataset(data / "hei" / "50_注册上报.dbf")
    res = reconcile(adm, reg)
    assert _counts(page) == _expected(
        res, ("registration", "admission"), RECONCILE_ZH, {"admission": len(adm), "registration": len(reg)}
    )
    page.locator(".js-plotly-plot").nth(1).wait_for(state="attached", timeout=TIMEOUT)
    assert page.locator(".js-plotly-plot").count() == 2  # by status, and by 院系
    # the result's declared lists, as the workbook and the report have them: 资格有误 with its count and headers
    qual = res.list("资格有误")
    heading = page.locator("h3", has_text="资格有误")
    heading.wait_for(timeout=TIMEOUT)
    shown = page.locator("table", has=page.locator("th", has_text="建议处理")).first
    assert [h.strip() for h in shown.locator("th").all_inner_texts()] == list(qual.frame(rows=1).columns)
    assert page.get_by_text(f"共 {qual.total} 条").count() >= 1
    # the same file twice is refused with a message
    page.locator(".widget-dropdown", has_text="第二份").locator("select").select_option(
        label=label["hei/50_录取名单.dbf"]
    )
    page.get_by_role("button", name="开始对比").click()
    page.get_by_text("两份名单是同一个文件").wait_for(timeout=TIMEOUT)
    page.close(run_before_unload=True)


def test_comparison_of_two_uploaded_files(env):
    page = _page(env, "名单对比")
    page.get_by_role("button", name="上传两个文件").click()
    for button, path in (
        ("第一份文件", SAMPLES / "k12" / "学生名单_2025秋.xlsx"),
        ("第二份文件", SAMPLES / "k12" / "学生名单_2026春_gbk.csv"),
    ):
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name=re.compile(button)).click()
        chooser.value.set_files(str(path))
        page.get_by_role("button", name=re.compile(rf"{button}.*\(1\)|\(1\)")).first.wait_for(timeout=TIMEOUT)
    page.locator(".widget-dropdown", has_text="方式").locator("select").select_option(label="名单对比")
    page.get_by_role("button", name="开始对比").click()
    page.get_by_text("各结果的记录数").wait_for(timeout=TIMEOUT)
    old, _ = load_dataset(SAMPLES / "k12" / "学生名单_2025秋.xlsx")
    new, _ = load_dataset(SAMPLES / "k12" / "学生名单_2026春_gbk.csv")
    res = compare(old, new)
    assert _counts(page) == _expected(res, ("old", "new"), COMPARE_ZH, {"old": len(old), "new": len(new)})
    # a damaged upload: the message names the clerk's file (not a temporary path) and says what is wrong
    broken = env["tmp"] / "坏名单.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=re.compile("第一份文件")).click()
    chooser.value.set_files(str(broken))
    page.get_by_role("button", name="开始对比").click()
    error = page.locator(".xj-error", has_text="上传的第一份文件")
    error.wait_for(timeout=TIMEOUT)
    assert "坏名单.xlsx" in error.inner_text() and "xueji-upload" not in error.inner_text()
    page.close(run_before_unload=True)


def test_failing_page_shows_no_traceback(env):
    page = _page(env, "故障")
    page.wait_for_load_state("networkidle", timeout=TIMEOUT)
    page.wait_for_timeout(1500)
    text = page.locator("body").inner_text()
    assert "secret" not in text and "Traceback" not in text and "11010519491231002X" not in text
    # issue 15 §7: what the clerk reads is Chinese, not Voila's "There was an error … --show_tracebacks"
    assert "页面运行到第" in text and "There was an error" not in text and "show_tracebacks" not in text
    page.close(run_before_unload=True)


def test_token_static_files_and_tree(env):
    server = env["server"]
    assert server.status("/voila/render/%E5%AD%A6%E7%94%9F%E6%9F%A5%E8%AF%A2.ipynb") in (302, 401, 403)
    assert server.status(f"/voila/files/logo.png?token={server.token}") == 200
    assert server.status(f"/voila/files/%E5%90%8D%E5%8D%95.csv?token={server.token}") in (403, 404)
    page = env["ctx"].new_page()
    only_local(page, (server.base,), env["outside"])
    page.goto(f"{server.base}/?token={server.token}", timeout=TIMEOUT)
    page.get_by_text("学生查询").first.wait_for(timeout=TIMEOUT)
    text = page.locator("body").inner_text()
    assert "学生查询" in text and "名单对比" in text
    page.screenshot(path=str(env["tmp"] / "tree.png"))
    page.close(run_before_unload=True)


ENGLISH_PAGE_WORDS = (
    "Password",
    "Token authentication",
    "Log in",
    "Jupyter",
    "Setup",
    "Select items",
    "Voilà",
    "Not Found",
    "Forbidden",
    "does not exist",
    "Proceed to",
    "login page",
)


def _english(text: str) -> list[str]:
    return [w for w in ENGLISH_PAGE_WORDS if w.lower() in text.lower()]


def test_login_home_logout_and_error_pages_are_chinese(env):
    """Issue 15 §7: every page of the server a clerk can reach — the login page (opened without the token), the
    home page listing the dashboards, the error pages, the logout page — is Chinese, with none of Jupyter's or
    Voila's English ("Setup a Password", "Token authentication is enabled", "Log in", "Select items …")."""
    server = env["server"]
    browser = env["ctx"].browser
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})  # no login cookie
    try:
        page = ctx.new_page()
        only_local(page, (server.base,), env["outside"])
        # a dashboard opened without the token: the login page
        page.goto(server.url("学生查询", token=False), timeout=TIMEOUT)
        page.locator("#password_input").wait_for(timeout=TIMEOUT)
        text = page.locator("body").inner_text()
        assert "登录学籍看板" in text and "访问令牌" in text and _english(text) == [], text
        assert page.locator("#login_submit").inner_text().strip() == "登录"
        # a wrong token: said in Chinese, still the login page
        page.fill("#password_input", "not-the-token")
        page.click("#login_submit")
        page.get_by_text("访问令牌不对").wait_for(timeout=TIMEOUT)
        assert _english(page.locator("body").inner_text()) == []
        # the right token: the page asked for
        page.fill("#password_input", server.token)
        page.click("#login_submit")
        page.get_by_placeholder(re.compile("姓名")).wait_for(timeout=TIMEOUT)
        # the home page: the dashboards, one line each, in Chinese
        page.goto(f"{server.base}/?token={server.token}", timeout=TIMEOUT)
        page.get_by_role("link", name="学生查询").wait_for(timeout=TIMEOUT)
        text = page.locator("main").inner_text()
        assert "学生查询" in text and "名单对比" in text and "按姓名、身份证号" in text and "两份名单对比" in text
        assert _english(page.locator("body").inner_text()) == [], text
        assert "token=" not in page.url  # the token is taken out of the address bar
        assert "学籍看板" in page.title()
        # error pages
        for path, words in (
            ("/voila/render/没有这个页面.ipynb", "找不到这个页面"),
            ("/没有这个地址", "找不到这个页面"),
            ("/voila/files/名单.csv", "不允许访问"),
        ):
            response = page.goto(server.base + path, timeout=TIMEOUT)
            assert response.status in (403, 404), path
            text = page.locator("body").inner_text()
            assert words in text and "回到看板首页" in text and _english(text) == [], (path, text)
        # the logout page
        page.goto(f"{server.base}/logout", timeout=TIMEOUT)
        text = page.locator("body").inner_text()
        assert "已退出" in text and _english(text) == [], text
        page.goto(f"{server.base}/", timeout=TIMEOUT)  # logged out: the login page again
        page.locator("#password_input").wait_for(timeout=TIMEOUT)
        page.close()
    finally:
        ctx.close()


def test_zz_nothing_left_the_machine_and_logs_hold_no_personal_values(env):
    """Runs last (module order): every page above asked nothing of any other host, and neither the audit
    log nor the server's own log holds a searched ID number or name."""
    assert env["outside"] == []
    row, rec = _student(env["data"])
    audit = (env["data"] / ".xueji_cache" / "audit.jsonl").read_text("utf-8")
    entries = [json.loads(x) for x in audit.splitlines()]
    actions = {e["action"] for e in entries}
    assert {"search", "view", "unmask", "mask", "compare"} <= actions
    assert all(e["user"] and e["time"] for e in entries)
    log = env["server"].log_text()
    assert "Kernel shutdown" in log and "_xsrf' argument missing" not in log  # closed pages free their kernels
    for secret in (str(rec["SFZH"]), str(rec["XM"]), str(rec["KSH"])):
        assert secret not in audit
        assert secret not in log
