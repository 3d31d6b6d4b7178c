"""The enrollment report opened in a real browser: Debian's chromium driven by Playwright (executable_path;
`playwright install` cannot download anything here), every request to anything but file:// aborted and
recorded. Checks that nothing outside was asked for, that plotly drew the charts and that the Chinese
headings are on the page; saves a screenshot. .ci/run installs chromium and fonts-noto-cjk when missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from xueji_lib.reporting.report import run_report

from .browser import ARGS, CHROMIUM, need_browser

pytestmark = [pytest.mark.browser, pytest.mark.notebook]  # Chromium, and reports run by papermill

HEI = Path(__file__).resolve().parent.parent / "data_samples" / "hei"
NAME = "新生注册核对报告"


@pytest.fixture(scope="module")
def page_result(tmp_path_factory):
    sync_api = need_browser()
    tmp = tmp_path_factory.mktemp("browser")
    run = run_report(
        NAME,
        out_root=tmp / "reports",
        admission=str(HEI / "10_录取名单.dbf"),
        registration=str(HEI / "10_注册上报.dbf"),
        states=str(HEI / "10_新生状态.dbf"),
        year=2026,
        category="10",
        school_code="19999",
        school_name="华夏示范大学",
    )
    html = run.folder / "report.html"
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", route)
            page.on("websocket", lambda ws: outside.append(ws.url))
            page.goto(html.as_uri(), wait_until="load", timeout=20_000)
            page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=10_000)
            shot = tmp / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            result = {
                "outside": list(outside),
                "plots": page.locator(".js-plotly-plot").count(),
                "svgs": page.locator(".js-plotly-plot .main-svg").count(),
                "bars": page.locator(".js-plotly-plot .trace.bars").count(),
                "bar_paths": page.locator(".js-plotly-plot .bars path").count(),
                "headings": [h.strip() for h in page.locator("h1, h2, h3").all_inner_texts()],
                "text": page.locator("body").inner_text(),
                "screenshot": shot,
            }
        finally:
            browser.close()
    return result


def test_no_request_leaves_the_machine(page_result):
    assert page_result["outside"] == []


def test_plotly_drew_the_charts(page_result):
    assert page_result["plots"] >= 1 and page_result["svgs"] >= 1
    assert page_result["bars"] >= 1 and page_result["bar_paths"] > 0


def test_chinese_headings(page_result):
    headings = " ".join(page_result["headings"])
    assert NAME in headings
    assert any("\u4e00" <= ch <= "\u9fff" for ch in headings)
    assert "华夏示范大学" in page_result["text"] and "19999" in page_result["text"]


def test_screenshot_is_a_real_png(page_result):
    data = page_result["screenshot"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000
