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
    args = ap.parse_args(argv)
    # bench.py ends a run with SIGTERM: exit through SystemExit, so that `with` blocks stop what this process
    # started (the Voila server and its kernels, the browser) and temporary folders are removed
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    if args.search:
        print(json.dumps(search_in_page(Path(args.data), args.search, args.timeout), ensure_ascii=False))
        return 0
    for row in soak(Path(args.data), args.loads, args.timeout, args.pause, args.pool_size):
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
