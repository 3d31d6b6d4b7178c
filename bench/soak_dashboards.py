"""Soak run of the dashboards (make bench, group "dashboard"): `xueji dashboard` over a data folder, then N
page loads of each dashboard one after another in Debian's chromium (Playwright), each page closed before
the next opens (its kernel is shut down and the pool refilled: the worst case for preheating). First
render = from navigation start until the page's first control is visible (学生查询: the search box;
名单对比: the 开始对比 button); a load that does not render within --timeout seconds is a hang. Peak MB is
the largest resident size of the server and its kernels together, sampled every 0.5 s. Prints one JSON
line per dashboard.

    .venv/bin/python bench/soak_dashboards.py --data data_samples --loads 100
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser import ARGS, CHROMIUM  # noqa: E402
from tests.dashboard_server import DashboardServer  # noqa: E402

MARKERS = {"学生查询": "input[placeholder*='姓名']", "名单对比": "button:has-text('开始对比')"}


class TreeMemory(threading.Thread):
    """The peak of the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root, self.peak, self.stop = psutil.Process(pid), 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            self.stop.wait(0.5)


def soak(
    data: Path, loads: int, timeout: float, pause: float = 0.0, pool_size: int = 1, pages=("学生查询", "名单对比")
) -> list[dict]:
    from playwright.sync_api import sync_playwright

    out = []
    with tempfile.TemporaryDirectory(prefix="xueji-soak-") as tmp:
        with DashboardServer(data, Path(tmp) / "server.log", pool_size=pool_size) as server:
            mem = TreeMemory(server.proc.pid)
            mem.start()
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                ctx = browser.new_context()
                outside: list[str] = []
                for name in pages:
                    times, hangs = [], 0
                    for _ in range(loads):
                        page = ctx.new_page()
                        page.route(
                            "**/*",
                            lambda r: (
                                r.continue_()
                                if r.request.url.startswith(server.base) or r.request.url.startswith("data:")
                                else (outside.append(r.request.url), r.abort())
                            ),
                        )
                        t0 = time.perf_counter()
                        try:
                            page.goto(server.url(name), timeout=timeout * 1000)
                            page.locator(MARKERS[name]).first.wait_for(timeout=timeout * 1000)
                            times.append(time.perf_counter() - t0)
                        except Exception:  # noqa: BLE001 - a page that never renders is what we count
                            hangs += 1
                        page.close(run_before_unload=True)  # as a user closing the tab: Voila shuts the kernel down
                        time.sleep(pause)
                    out.append(
                        {
                            "page": name,
                            "loads": loads,
                            "rendered": len(times),
                            "hangs": hangs,
                            "median_s": statistics.median(times) if times else None,
                            "max_s": max(times) if times else None,
                            "peak_mb": mem.peak / 2**20,
                            "outside_requests": len(outside),
                            "pause_s": pause,
                            "pool_size": pool_size,
                        }
                    )
                browser.close()
            mem.stop.set()
    return out


def _chromium_pids() -> list[int]:
    out = []
    for p in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "chrom" in p.name():
                out.append(p.pid)
    return out


def kernels_and_rss(pid: int) -> tuple[int, float]:
    """(kernels, MB): the kernels the server runs and the summed RSS of the server and all its descendants."""
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    kernels = 0
    rss = 0
    for p in procs:
        try:
            rss += p.memory_info().rss
            kernels += "ipykernel" in " ".join(p.cmdline())
        except psutil.Error:
            pass
    return kernels, rss / 2**20


def settle(server, want_kernels: int, base_mb: float, limit: float, used: int = 1) -> dict:
    """Seconds until the server is back to ``want_kernels`` kernels with the ``used`` ones replaced by preheated
    ones, and its RSS within 10 % (or 50 MB) of ``base_mb`` — sampled every second for at most ``limit`` seconds."""
    t0, preheated0 = time.perf_counter(), server.log_text().count(" is preheated")
    need = min(used, want_kernels)
    kernels = mb = 0
    back_kernels = back_rss = None
    while time.perf_counter() - t0 < limit:
        kernels, mb = kernels_and_rss(server.proc.pid)
        now = time.perf_counter() - t0
        if (
            back_kernels is None
            and kernels == want_kernels
            and server.log_text().count(" is preheated") >= preheated0 + need
        ):
            back_kernels = now
        if back_kernels is None and kernels == want_kernels and now > 15:  # nothing was used: nothing to reheat
            back_kernels = now
        if back_kernels is not None and back_rss is None and mb <= max(base_mb * 1.10, base_mb + 50):
            back_rss = now
        if back_kernels is not None and back_rss is not None:
            break
        time.sleep(1.0)
    return {"kernels_after": kernels, "mb_after": round(mb), "kernels_back_s": back_kernels, "rss_back_s": back_rss}


def burst(data: Path, users: int, pool_size: int, timeout: float, abandon: int = 6) -> list[dict]:
    """An office's morning on ``xueji dashboard --pool-size pool_size``: ``users`` people open the two pages at
    once (half each), first as first-time visitors (a fresh browser profile each: nothing cached), then as
    returning ones (each profile has visited once before); after each round the pages are closed and the
    server is watched until its kernels are back to the pool and its memory back to where it started. Then
    ``abandon`` pages are left the ways that used to leak a kernel: closed before they rendered, and gone
    without the unload event (the browser killed). Served = from a user's navigation to the page's first
    control visible."""
    from playwright.sync_api import sync_playwright

    pages = ("学生查询", "名单对比")
    rows = []
    with tempfile.TemporaryDirectory(prefix="xueji-soak-") as tmp:
        with DashboardServer(data, Path(tmp) / "server.log", pool_size=pool_size) as server:
            time.sleep(3)
            base_kernels, base_mb = kernels_and_rss(server.proc.pid)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                contexts = [browser.new_context() for _ in range(users)]
                for label, warm in (("first visit", False), ("returning", True)):
                    if warm:  # each user's own browser has been here before
                        for i, ctx in enumerate(contexts):
                            page = ctx.new_page()
                            name = pages[i % 2]
                            page.goto(server.url(name), timeout=timeout * 1000)
                            page.locator(MARKERS[name]).first.wait_for(timeout=timeout * 1000)
                            page.close(run_before_unload=True)
                        settle(server, base_kernels, base_mb, 120, used=users)
                    opened = []
                    for i, ctx in enumerate(contexts):
                        page, name = ctx.new_page(), pages[i % 2]
                        opened.append((page, name, time.perf_counter()))
                        page.goto(server.url(name), wait_until="commit", timeout=timeout * 1000)
                    served, hangs = [], 0
                    for page, name, t0 in opened:
                        try:
                            page.locator(MARKERS[name]).first.wait_for(timeout=timeout * 1000)
                            served.append(time.perf_counter() - t0)
                        except Exception:  # noqa: BLE001 - a page that never renders is what we count
                            hangs += 1
                    peak_kernels, peak_mb = kernels_and_rss(server.proc.pid)
                    for page, _, _ in opened:
                        page.close(run_before_unload=True)
                    rows.append(
                        {
                            "round": f"{users} users at once, {label}",
                            "users": users,
                            "served": len(served),
                            "hangs": hangs,
                            "median_s": statistics.median(served) if served else None,
                            "max_s": max(served) if served else None,
                            "pool_size": pool_size,
                            "kernels_before": base_kernels,
                            "mb_before": round(base_mb),
                            "kernels_peak": peak_kernels,
                            "mb_peak": round(peak_mb),
                            **settle(server, base_kernels, base_mb, 90, used=users),
                        }
                    )
                for ctx in contexts:
                    ctx.close()
                # pages abandoned: closed before rendering, then pages whose browser is killed (no unload event)
                for i in range(abandon // 2):
                    ctx = browser.new_context()
                    page = ctx.new_page()
                    page.goto(server.url(pages[i % 2]), wait_until="commit", timeout=timeout * 1000)
                    page.close(run_before_unload=True)
                    ctx.close()
                browser.close()
                before = set(_chromium_pids())
                gone = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                for i in range(abandon - abandon // 2):
                    page = gone.new_page()
                    page.goto(server.url(pages[i % 2]), timeout=timeout * 1000)
                    page.locator(MARKERS[pages[i % 2]]).first.wait_for(timeout=timeout * 1000)
                for pid in set(_chromium_pids()) - before:  # as a crash or a power cut: no unload, no beacon
                    with contextlib.suppress(psutil.Error):
                        psutil.Process(pid).kill()
                with contextlib.suppress(Exception):
                    gone.close()
                left_kernels, left_mb = kernels_and_rss(server.proc.pid)
            rows.append(
                {
                    "round": f"{abandon} pages abandoned (closed before rendering, or the browser killed)",
                    "users": abandon,
                    "pool_size": pool_size,
                    "kernels_before": base_kernels,
                    "mb_before": round(base_mb),
                    "kernels_peak": left_kernels,
                    "mb_peak": round(left_mb),
                    **settle(server, base_kernels, base_mb, 150, used=abandon),
                }
            )
    return rows


def search_in_page(data: Path, queries: list[str], timeout: float = 60.0) -> dict:
    """The 学生查询 page over ``data`` in the browser: each query typed and sent with Enter, timed until the
    page shows the new hit count and the student's card (what a clerk waits for)."""
    from playwright.sync_api import sync_playwright

    times = []
    with tempfile.TemporaryDirectory(prefix="xueji-soak-") as tmp:
        with DashboardServer(data, Path(tmp) / "server.log") as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page()
            page.goto(server.url("学生查询"), timeout=timeout * 1000)
            box = page.locator(MARKERS["学生查询"])
            box.wait_for(timeout=timeout * 1000)
            for q in queries:
                box.fill("没有这个人")
                box.press("Enter")
                page.get_by_text("找到 0 条记录").wait_for(timeout=timeout * 1000)
                box.fill(q)
                t0 = time.perf_counter()
                box.press("Enter")
                page.locator(".xj-card").wait_for(timeout=timeout * 1000)
                times.append(time.perf_counter() - t0)
            page.close(run_before_unload=True)
            browser.close()
    return {"queries": len(queries), "median_s": statistics.median(times), "max_s": max(times)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / "data_samples"))
    ap.add_argument("--loads", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--pause", type=float, default=0.0, help="seconds between a page's close and the next load")
    ap.add_argument(
        "--pool-size", type=int, default=1, help="preheated kernels per dashboard (xueji dashboard --pool-size)"
    )
    ap.add_argument("--search", nargs="*", help="instead of the soak: time these searches in the 学生查询 page")
    ap.add_argument(
        "--burst", type=int, metavar="USERS", help="instead of the soak: USERS people opening the pages at once"
    )
    args = ap.parse_args(argv)
    # bench.py ends a run with SIGTERM: exit through SystemExit, so that `with` blocks stop what this process
    # started (the Voila server and its kernels, the browser) and temporary folders are removed
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    if args.burst:
        for row in burst(Path(args.data), args.burst, args.pool_size, args.timeout):
            print(json.dumps(row, ensure_ascii=False), flush=True)
        return 0
    if args.search:
        print(json.dumps(search_in_page(Path(args.data), args.search, args.timeout), ensure_ascii=False))
        return 0
    for row in soak(Path(args.data), args.loads, args.timeout, args.pause, args.pool_size):
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
