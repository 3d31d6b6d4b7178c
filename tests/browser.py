"""The real browser of the browser tests: Debian's chromium driven by Playwright (``executable_path``;
`playwright install` cannot download anything here). Under CI (CI=true, set by .ci/run) a missing browser
fails the test instead of skipping it."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need_browser():
    """playwright.sync_api, or skip (fail under CI) when chromium or playwright is missing."""
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing (Debian: apt-get install chromium fonts-noto-cjk; .ci/run does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return pytest.importorskip("playwright.sync_api")


def only_local(page, allowed_prefixes: tuple[str, ...], outside: list[str]) -> None:
    """Abort and record every request of ``page`` that does not start with one of ``allowed_prefixes``
    (data: URLs are in-page and always allowed); websockets to elsewhere are recorded too."""

    def route(r):
        url = r.request.url
        if url.startswith(allowed_prefixes) or url.startswith("data:"):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    page.on(
        "websocket",
        lambda ws: (
            None
            if ws.url.startswith(tuple(p.replace("http", "ws", 1) for p in allowed_prefixes))
            else outside.append(ws.url)
        ),
    )
