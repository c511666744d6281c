"""Page weight and Largest Contentful Paint of the pages people open, in Debian's Chromium (Playwright)
against the real local stack at a phone's viewport.

Goals (issue 14): at most 150 KB of compressed JS and CSS on the first load of any console page, LCP
under 1.5 s on the local stack. Weights are the gzip (level 6) sizes of each script and stylesheet the
page loaded (what a browser receives through API Gateway's compression or a CDN); the HTML document is
printed apart. LCP is read from the browser's own PerformanceObserver, the median of `--runs` cold loads
(a fresh context each: no cache).

    .venv/bin/python benchmarks/pages.py [--runs 5]
"""
import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE  # noqa: E402
from tests.e2e.stack import Stack, enroll, request  # noqa: E402

BUDGET_BYTES = 150 * 1024
LCP_GOAL_MS = 1500
LCP_SCRIPT = """() => new Promise(resolve => {
  new PerformanceObserver(list => { const all = list.getEntries(); resolve(all[all.length - 1].startTime); })
    .observe({type: 'largest-contentful-paint', buffered: true});
  setTimeout(() => resolve(-1), 3000);
})"""


def load(page: Page, url: str) -> tuple[float, int, int]:
    """LCP in ms, compressed bytes of scripts and styles, compressed bytes of the HTML document."""
    bodies: list[tuple[str, bytes]] = []
    page.on("response", lambda response: bodies.append((response.request.resource_type, response.body()))
            if response.ok and response.request.resource_type in ("script", "stylesheet", "document") else None)
    page.goto(url, wait_until="networkidle")
    lcp = float(page.evaluate(LCP_SCRIPT))
    assets = sum(len(gzip.compress(body, 6)) for kind, body in bodies if kind in ("script", "stylesheet"))
    document = sum(len(gzip.compress(body, 6)) for kind, body in bodies if kind == "document")
    return lcp, assets, document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    stack = Stack(Path(tempfile.mkdtemp(prefix="pages-bench-")))
    demo = stack.start()
    try:
        card = enroll(demo, "Bench Reader", "+79160009999")
        pages = {"join page": demo["join_url"], "card page": card["card_url"]}
        if request("GET", f"{stack.api}/console")[0] == 200:
            pages["console (sign-in)"] = f"{stack.api}/console"
        rows = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for name, url in pages.items():
                lcps, assets, document = [], 0, 0
                for _ in range(runs):
                    context = browser.new_context(viewport=PHONE, locale="ru-RU")
                    lcp, assets, document = load(context.new_page(), url)
                    lcps.append(lcp)
                    context.close()
                rows.append((name, statistics.median(lcps), assets, document))
            browser.close()
    finally:
        stack.stop()
    print(f"{'page':<20} {'LCP ms (median)':>16} {'JS+CSS gz KB':>13} {'HTML gz KB':>11}")
    for name, lcp, assets, document in rows:
        print(f"{name:<20} {lcp:>16.0f} {assets / 1024:>13.1f} {document / 1024:>11.1f}")
    worst_lcp = max(row[1] for row in rows)
    worst_assets = max(row[2] for row in rows)
    print(json.dumps({"worst_lcp_ms": round(worst_lcp), "lcp_goal_ms": LCP_GOAL_MS,
                      "worst_js_css_gz_bytes": worst_assets, "budget_bytes": BUDGET_BYTES,
                      "within_goals": worst_lcp < LCP_GOAL_MS and worst_assets <= BUDGET_BYTES}))


if __name__ == "__main__":
    main()
