"""``reporting.notebook.md_text``: any value put into a report's Markdown reads as the text typed — through
nbconvert's renderer (the exported HTML) and a CommonMark one (JupyterLab) — and never as a tag, a link, an
image, emphasis or a new block. The browser test (test_report_hostile.py) checks the same in real reports."""

from __future__ import annotations

import html
import re

import pytest

from xueji_lib.reporting.notebook import md_file_link, md_text

VALUES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![i](javascript:alert(1))",
    "<javascript:alert(1)>",
    "javascript:alert(1) https://evil.example/x www.evil.example",
    '" onmouseover="alert(1)',
    "**粗体** __粗__ _斜体_ `代码` ~~删~~ $x$ $$y$$ \\(z\\) &amp; &lt;b&gt; &#60;",
    "[r]\n\n[r]: javascript:alert(1)",
    "1. 列表",
    "- 列表",
    "# 标题",
    "===",
    "    缩进\t的\r\n代码",
    "| a | b |\n|---|---|",
    "示范大学（00123） 2026-01 12.5% a@b.c",
]


def _renderers():
    out = []
    nbconvert = pytest.importorskip("nbconvert.filters.markdown_mistune")
    out.append(nbconvert.markdown2html_mistune)
    try:
        from markdown_it import MarkdownIt

        out.append(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render)
    except ImportError:  # pragma: no cover - markdown-it-py comes with Jupyter
        pass
    return out


@pytest.mark.parametrize("value", VALUES)
def test_value_reads_as_typed(value):
    for render in _renderers():
        for line in (md_text(value), f"- {md_text(value)}", f"### {md_text(value)}", f"**院校**：{md_text(value)}"):
            out = render(line)
            tags = set(re.findall(r"</?([a-zA-Z0-9]+)", out))
            assert tags <= {"p", "ul", "li", "h3", "strong", "a"}, (line, out)
            assert "href" not in out or 'class="anchor-link"' in out, out  # only nbconvert's own heading anchor
            text = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r'<a class="anchor-link".*?</a>', "", out)))
            assert " ".join(value.split()) in " ".join(text.split()), (line, out)


def test_plain_text_is_unchanged_where_it_can_be():
    assert md_text("华夏示范大学 19999") == "华夏示范大学 19999"
    assert md_text(None) == "" and md_text("") == "" and md_text(2026) == "2026"


def test_file_link_is_relative_and_literal():
    link = md_file_link("/tmp/out/javascript:alert(1)[x].dbf")
    assert link == "[javascript&#58;alert&#40;1&#41;&#91;x&#93;.dbf](javascript%3Aalert%281%29%5Bx%5D.dbf)"
