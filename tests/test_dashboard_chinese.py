"""Issue 15 §7 — Chinese where a clerk reads, on the dashboard's side, without a server: the 名单对比 page's
变化字段 filter offers the fields' Chinese names and filters the same records as by code; the server's own
pages (login, logout, home, error pages) are the package's Chinese templates, with none of Jupyter's English.
The pages as a browser meets them: tests/test_dashboard_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from xueji_lib import compare
from xueji_lib.apps.catalog import load_dataset
from xueji_lib.apps.dashboard import (
    QUIET,
    changed_field_options,
    changed_field_words,
    field_names,
    records_frame,
    with_changed_field,
)
from xueji_lib.apps.voila_main import TEMPLATE_DIR, error_page
from xueji_lib.schema.layouts import load_layout

K12 = Path(__file__).resolve().parent.parent / "data_samples" / "k12"
ENGLISH = ("Password", "Token", "Log in", "Jupyter", "Setup", "Not Found", "Forbidden", "does not exist", "error")


@pytest.fixture(scope="module")
def compared():
    old, _ = load_dataset(K12 / "学生名单_2025秋.xlsx")
    new, _ = load_dataset(K12 / "学生名单_2026春.xlsx")
    changes, _ = load_dataset(K12 / "学籍异动_2026春.xlsx")
    res = compare(old, new, changes=changes)
    records = records_frame("compare", res, old, new)
    return res, records[~records["status"].isin(QUIET)]


def test_the_changed_field_filter_offers_chinese_names(compared):
    res, diff = compared
    lay = load_layout("k12_student")
    names = field_names(res)
    options = changed_field_options(diff, names)
    codes = {c for v in diff["变化字段"] for c in str(v).split(",") if c}
    assert codes  # the samples have changed fields (LXDH, SFZJH, XXBSM, XXMC, JTDZ, BJ)
    assert options[0] == ("全部", "")
    assert {label for label, _ in options[1:]} == {lay.field(c).name for c in codes}
    assert {value for _, value in options[1:]} == codes  # the values stay codes: what the table is filtered on
    assert all(re.search(r"[\u4e00-\u9fff]", label) and label not in codes for label, _ in options)
    # in the layout's order (学校标识码 before 班级 before 联系电话)
    order = {c: i for i, c in enumerate(lay.codes)}
    assert [v for _, v in options[1:]] == sorted(codes, key=order.__getitem__)


def test_filtering_by_a_name_keeps_the_same_records(compared):
    res, diff = compared
    names = field_names(res)
    for label, code in changed_field_options(diff, names)[1:]:
        by_code = diff[diff["变化字段"].astype("str").str.split(",").map(lambda xs, c=code: c in xs)]
        picked = with_changed_field(diff, code)
        assert picked.index.equals(by_code.index) and len(picked) > 0
        words = changed_field_words(picked["变化字段"], names)
        assert all(label in w.split("、") for w in words)
    assert with_changed_field(diff, "").index.equals(diff.index)
    assert changed_field_words(diff["变化字段"], names).str.contains(r"\b[A-Z]{2,}\b").sum() == 0


def test_a_code_no_layout_knows_stays_a_code():
    import pandas as pd

    assert changed_field_words(pd.Series(["XJH,ZZZ", ""]), {"XJH": "学籍号"}).tolist() == ["学籍号、ZZZ", ""]


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True)


def test_the_login_page_template_is_chinese_and_keeps_the_form():
    html = (
        _env()
        .get_template("login.html")
        .render(
            login_available=True,
            base_url="/",
            next="%2F",
            xsrf_form_html=lambda: '<input type="hidden" name="_xsrf" value="x">',
            message={"error": "Invalid credentials"},
        )
    )
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)>.*?</\1>", " ", html, flags=re.S))
    assert "登录学籍看板" in text and "访问令牌" in text and "访问令牌不对" in text
    assert [w for w in ENGLISH if w.lower() in text.lower()] == [], text
    # jupyter_server's form, unchanged: POST to login with the _xsrf field and the token in "password"
    assert 'action="/login?next=%2F" method="post"' in html and 'name="_xsrf"' in html
    assert 'type="password" name="password"' in html
    assert "new_password" not in html  # no password set-up


@pytest.mark.parametrize("status, words", [(404, "找不到这个页面"), (403, "不允许访问"), (500, "看板内部出错")])
def test_error_pages_are_chinese(status, words):
    html = error_page({"jinja2_env": _env(), "base_url": "/"}, status)
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)>.*?</\1>", " ", html, flags=re.S))
    assert f"{status}：{words}" in text and "回到看板首页" in text
    assert [w for w in ENGLISH if w.lower() in text.lower()] == [], text


def test_the_templates_are_chinese_pages():
    for path in TEMPLATE_DIR.glob("*.html"):
        text = path.read_text("utf-8")
        visible = re.sub(r"\{#.*?#\}|<(script|style)>.*?</\1>|<[^>]+>|\{[{%].*?[%}]\}", " ", text, flags=re.S)
        assert [w for w in ENGLISH if w.lower() in visible.lower()] == [], (path.name, visible)
        assert "http://" not in text and "https://" not in text  # nothing from any other address
