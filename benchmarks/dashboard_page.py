"""Benchmark: the enterprise dashboard page complete in headless Chromium.

Target (issue: the platform): with the demo data loaded, the enterprise dashboard page complete in
< 1.5 s in headless Chromium.  "Complete" is measured in the browser from the start of the
navigation (``performance.timeOrigin``) until the load event has fired and every chart of the page
(``[data-chart]``: trends, the water balance as a Sankey diagram) has drawn (``data-ready="true"``).

The script builds a demo park in a temporary data directory (default 3 enterprises, 30 days; the
full ``./scripts/demo`` park is ``--enterprises 6 --days 365``) or uses an existing one
(``--data-dir``, e.g. the one ``./scripts/demo`` filled), creates the demo users, starts
``shuixiao serve`` as a subprocess and drives Debian's Chromium with Playwright through its
executable path (``SHUIXIAO_CHROMIUM``, default /usr/bin/chromium; no browser is downloaded).  The
enterprise manager logs in and opens its dashboard ``--views`` times: the first view after a write
computes the month's assessment (cold), the later ones find it kept for the data version (warm).
Baseline in the same run and browser: the login page, which has the same stylesheet and scripts but
no data.

    python benchmarks/dashboard_page.py [--enterprises 3] [--days 30] [--views 5] [--data-dir DIR] [--no-record]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from _machine import record
from _server import serve
from playwright.sync_api import Page, sync_playwright

from shuixiao.config import Settings
from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo
from shuixiao.service.demo_users import ensure_demo_users
from shuixiao.storage import Store

COMPLETE = (
    "() => document.readyState === 'complete' && performance.getEntriesByType('navigation')[0].loadEventEnd > 0"
    " && [...document.querySelectorAll('[data-chart]')].every(e => e.dataset.ready === 'true')"
)


def _complete(page: Page, url: str) -> tuple[float, int]:
    """Open ``url``; return the time until the page is complete [s] and its number of charts."""
    page.goto(url, wait_until="commit")
    page.wait_for_function(COMPLETE, timeout=60_000, polling=10)
    elapsed = page.evaluate(
        "() => Math.max(performance.now(), performance.getEntriesByType('navigation')[0].loadEventEnd)"
    )
    charts = page.evaluate("() => document.querySelectorAll('[data-chart]').length")
    return float(elapsed) / 1000, int(charts)


def _touch(data: Path) -> None:
    """Commit a write (a new data version), so that the next view computes its assessment afresh."""
    with Store.open(Settings(data_dir=data).database_url) as store:
        with store.transaction("starting a new data version", write=True) as connection:
            connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS benchmark_touch (n INTEGER)")
            connection.exec_driver_sql("DROP TABLE benchmark_touch")


def _run(data: Path, views: int, workers: int, chromium: str) -> tuple[dict[str, list[float]], int, str]:
    settings = Settings(data_dir=data)
    with Store.open(settings.database_url) as store:
        store.upgrade()
        accounts = ensure_demo_users(store, data)
        manager = next(u for u in accounts.users if u.role == "enterprise_manager")
        enterprise = manager.scope.split(":", 1)[1]
    times: dict[str, list[float]] = {"login": [], "cold": [], "warm": []}
    charts = 0
    with serve(data, workers) as server, sync_playwright() as playwright:
        base = server.base
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/login", wait_until="load")  # warm the browser's cache of static files
        page.fill("#login", manager.login)
        page.fill("#password", manager.password)
        with page.expect_navigation(wait_until="load"):
            page.click("form.form button[type=submit]")
        url = f"{base}/enterprises/{enterprise}"
        _complete(page, url)  # first view of the process: imports, template compilation
        for _ in range(views):
            _touch(data)
            seconds, charts = _complete(page, url)
            times["cold"].append(seconds)
            times["warm"].append(_complete(page, url)[0])
            login_page = context.new_page()
            times["login"].append(_complete(login_page, f"{base}/login")[0])
            login_page.close()
        browser.close()
    return times, charts, enterprise


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=3)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--views", type=int, default=5, help="cold and warm views each")
    parser.add_argument("--workers", type=int, default=2, help="server processes of shuixiao serve")
    parser.add_argument(
        "--data-dir", type=Path, help="use this data directory (with the demo) instead of building one"
    )
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    chromium = os.environ.get("SHUIXIAO_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        raise SystemExit(f"no Chromium at {chromium}: apt-get install chromium, or set SHUIXIAO_CHROMIUM")

    if args.data_dir is not None:
        with Store.open(Settings(data_dir=args.data_dir).database_url) as store:
            enterprises = store.list_enterprises()
            with store.transaction("counting readings") as connection:
                readings = connection.exec_driver_sql("SELECT count(*) FROM readings").scalar_one()
        data_note = (
            f"the demo park of a data directory (as `./scripts/demo` fills it): {len(enterprises)} enterprises, "
            f"{sum(e.n_meters for e in enterprises)} meters, {readings:,} readings (SQLite)"
        )
        times, charts, enterprise = _run(args.data_dir, args.views, args.workers, chromium)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            with Store.open(Settings(data_dir=data).database_url) as store:
                store.upgrade()
                built = build_demo(
                    store, DemoConfig(enterprises=args.enterprises, days=args.days), data / "demo"
                )
            data_note = (
                f"demo: {built.enterprises} enterprises, {built.meters} meters, {args.days} days, 900 s interval: "
                f"{built.readings:,} readings (SQLite)"
            )
            times, charts, enterprise = _run(data, args.views, args.workers, chromium)

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.0f} | {max(values) * 1000:.0f}"

    login = statistics.median(times["login"])
    worst = max(times["cold"] + times["warm"])
    verdict = "met" if worst < 1.5 else "NOT met"
    lines = [
        f"- {data_note}; `shuixiao serve --workers {args.workers}`; headless Chromium "
        f"({chromium}) through Playwright, 1280×900, zh-CN",
        f"- page: `/enterprises/{enterprise}` as its enterprise manager, {charts} charts; complete = load event "
        "and every chart drawn, timed in the browser from the start of the navigation",
        "- cold: the first view after a write (the month's assessment computed); warm: the next view (kept for "
        f"the data version); {args.views} views each",
        "",
        "  | page | median ms | worst ms | ratio to the login page (median) |",
        "  |---|---|---|---|",
        f"  | login page (baseline, same run) | {cell(times['login'])} | 1.00 |",
        f"  | enterprise dashboard, cold | {cell(times['cold'])} | {statistics.median(times['cold']) / login:.1f} |",
        f"  | enterprise dashboard, warm | {cell(times['warm'])} | {statistics.median(times['warm']) / login:.1f} |",
        "",
        f"- worst enterprise page: {worst * 1000:.0f} ms (target < 1500 ms: {verdict})",
        f"- load average when done: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores shared)",
    ]
    if args.no_record:
        print("\n".join(lines))
    else:
        print(record("dashboard_page", lines))


if __name__ == "__main__":
    main()
