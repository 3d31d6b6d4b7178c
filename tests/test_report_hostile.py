"""Script and markup in report parameters never run (issue 14, section 3). Every string parameter of every
report, and the names of the input files, carry script and Markdown payloads; each report runs once for real
(papermill), and its HTML and the run index page open in the real browser (Debian's chromium through
Playwright, tests/browser.py). No dialog opens, no script or on* attribute from a parameter is in the DOM,
no link or image points to ``javascript:`` — and the reader still sees every parameter's text as typed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xueji_lib.reporting.report import ReportRunError, run_report

from .browser import ARGS, CHROMIUM, need_browser

pytestmark = [pytest.mark.browser, pytest.mark.notebook]  # Chromium, and reports run by papermill

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
HEI, K12 = SAMPLES / "hei", SAMPLES / "k12"

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "javascript:alert(1)",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus x='",
    "![i](javascript:alert(1))",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)">a</a>',
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "**粗体** _斜体_ `代码` ~~删~~ $x$ \\* &amp; &lt;b&gt;",
    "[r]",
]
# one string with every payload, and a reference-style link definition on a line of its own
HOSTILE = " ".join(PAYLOADS) + "\n\n[r]: javascript:alert(1)\n# 标题"
SHOWN = [*PAYLOADS, "[r]: javascript:alert(1)", "# 标题"]  # what the reader must still see, as typed
# a file name cannot hold "/", so the names carry the payloads that do without it
FILE_PAYLOAD = '<img src=x onerror=alert(1)>[x](javascript:alert(1))" onmouseover="alert(1)'


def _hostile_copy(src: Path, folder: Path, label: str) -> str:
    dest = folder / f"{label}{FILE_PAYLOAD}{src.suffix}"
    shutil.copyfile(src, dest)
    return str(dest)


# what the page itself holds: dialogs are caught separately
_INSPECT = r"""() => {
  const out = {scripts: [], handlers: [], js_links: [], images: [], frames: []};
  for (const s of document.querySelectorAll('script')) {
    const t = (s.textContent || '').trim();
    if (t.length < 200 && t.includes('alert(1)')) out.scripts.push(t);
    if (s.src && !s.src.startsWith('file:')) out.scripts.push(s.src);
  }
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value.trim().toLowerCase().replace(/[\s\u0000-\u001f]/g, '');
      if (a.name.toLowerCase().startsWith('on') && v.includes('alert')) out.handlers.push(el.tagName + ' ' + a.name);
      if (/^(href|src|action|formaction|xlink:href|data)$/i.test(a.name)) {
        let scheme = '';
        try { scheme = new URL(a.value.trim(), document.baseURI).protocol; } catch (e) { scheme = v.split(':')[0] + ':'; }
        if (['javascript:', 'vbscript:'].includes(scheme) || v.startsWith('javascript:') || v.startsWith('data:text/html'))
          out.js_links.push(el.tagName + ' ' + a.name + '=' + a.value);
      }
      if (a.name.toLowerCase() === 'srcdoc') out.js_links.push(el.tagName + ' srcdoc');
    }
  }
  for (const img of document.querySelectorAll('img')) if (img.getAttribute('src') === 'x') out.images.push(img.outerHTML);
  for (const f of document.querySelectorAll('iframe, svg[onload], object, embed')) out.frames.push(f.outerHTML.slice(0, 120));
  return out;
}"""


# hover and focus every element: an on* handler that slipped through would fire now
_PROVOKE = """() => {
  for (const el of document.querySelectorAll('body *')) {
    el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
    el.dispatchEvent(new FocusEvent('focus'));
  }
}"""


def _open(browser, html: Path) -> dict:
    dialogs: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
        page.goto(html.as_uri(), wait_until="load", timeout=20_000)
        page.wait_for_timeout(300)
        page.evaluate(_PROVOKE)
        page.wait_for_timeout(200)
        found = page.evaluate(_INSPECT)
        found["dialogs"] = dialogs
        found["text"] = " ".join(page.locator("body").inner_text().split())
        found["title"] = page.title()
    finally:
        page.close()
    return found


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    sync_api = need_browser()
    tmp = tmp_path_factory.mktemp("hostile")
    inputs = tmp / "inputs"
    inputs.mkdir()
    root = tmp / "reports"
    # a run folder the index finds under a hostile name, with a hostile manifest (the index trusts neither)
    odd = root / "javascript:alert(1)" / "20260101-000000-abcdef"
    odd.mkdir(parents=True)
    (odd / "report.html").write_text("<p>旧报告</p>", "utf-8")
    bad = {"parameters": {HOSTILE: HOSTILE, "roster": HOSTILE}, "inputs": {"roster": {}}, "error": HOSTILE}
    (odd / "manifest.json").write_text(json.dumps({**bad, "started": HOSTILE, "outcome": HOSTILE}), "utf-8")
    runs = {
        "新生注册核对报告": run_report(
            "新生注册核对报告",
            out_root=root,
            admission=_hostile_copy(HEI / "10_录取名单.dbf", inputs, "录取"),
            registration=_hostile_copy(HEI / "10_注册上报.dbf", inputs, "注册"),
            states=_hostile_copy(HEI / "10_新生状态.dbf", inputs, "状态"),
            year=2026,
            category="10",
            school_code=HOSTILE,
            school_name=HOSTILE,
        ),
        "学籍统计报告": run_report(
            "学籍统计报告",
            out_root=root,
            roster=_hostile_copy(K12 / "学生名单_2026春.xlsx", inputs, "本期"),
            previous=_hostile_copy(K12 / "学生名单_2025秋.xlsx", inputs, "上期"),
            kind="k12",
            title=HOSTILE,
        ),
        "学籍变动报告": run_report(
            "学籍变动报告",
            out_root=root,
            old=_hostile_copy(K12 / "学生名单_2025秋.xlsx", inputs, "上期"),
            new=_hostile_copy(K12 / "学生名单_2026春.xlsx", inputs, "本期"),
            changes=_hostile_copy(K12 / "学籍异动_2026春.xlsx", inputs, "异动"),
            title=HOSTILE,
        ),
    }
    # key and ignore are checked against the lists inside the run: hostile ones fail it, and the index page
    # shows the failure's message, which names them
    with pytest.raises(ReportRunError):
        run_report(
            "学籍变动报告",
            out_root=root,
            old=str(K12 / "学生名单_2025秋.xlsx"),
            new=str(K12 / "学生名单_2026春.xlsx"),
            ignore=HOSTILE.replace("\n", " "),
            title=HOSTILE,
        )
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            found = {name: _open(browser, run.html) for name, run in runs.items()}
            found["index"] = _open(browser, root / "index.html")
        finally:
            browser.close()
    return found


NAMES = ["新生注册核对报告", "学籍统计报告", "学籍变动报告", "index"]


@pytest.mark.parametrize("name", NAMES)
def test_nothing_from_a_parameter_runs(pages, name):
    page = pages[name]
    assert page["dialogs"] == []
    assert page["scripts"] == []
    assert page["handlers"] == []
    assert page["js_links"] == []
    assert page["images"] == [] and page["frames"] == []


@pytest.mark.parametrize("name", NAMES)
def test_the_reader_sees_the_parameters_as_typed(pages, name):
    text = pages[name]["text"]
    missing = [p for p in SHOWN if " ".join(p.split()) not in text]
    assert missing == []
    if name in ("学籍变动报告", "index"):  # the reports that name their input files
        assert FILE_PAYLOAD in text


@pytest.mark.parametrize("name", ["新生注册核对报告", "学籍统计报告", "学籍变动报告"])
def test_title_is_the_text(pages, name):
    assert pages[name]["title"].startswith(name)
    assert "<script>alert(1)</script>" in pages[name]["title"]
