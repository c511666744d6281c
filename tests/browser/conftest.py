"""Browser tests: Playwright drives Debian's Chromium, headless, against the real local stack.

`make test` installs Chromium from Debian's `chromium` package when it is missing (Playwright's own
browser download does not work here and is never used): `CHROMIUM` names another binary. One local
stack serves the whole session (it takes seconds to start); each test gets a fresh browser context, so
no cookie, storage or token leaks from one test to the next.

Every page a test opens is watched: a console error, an uncaught exception or a refused resource (a CSP
violation is reported as a console error) fails the test when it ends. `axe(page)` runs axe-core on the
page as it is and fails on any serious or critical violation.
"""
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Response,
    ViewportSize,
    sync_playwright,
)

from tests.e2e.stack import Stack

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this closed
# network refuses, and those refusals land in the console as errors that are not ours.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions"]
PHONE: ViewportSize = {"width": 390, "height": 844}  # an iPhone 12-15's CSS viewport: the audits' phone
ANDROID_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/156.0.0.0 Mobile Safari/537.36")
IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/18.0 Mobile/15E148 Safari/604.1")
SERIOUS = ("serious", "critical")


class RunningStack(Stack):
    demo: dict[str, Any]  # its .local/demo.json


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The local stack (`make dev`'s), on free ports; `stack.demo` is its `.local/demo.json`."""
    running = RunningStack(tmp_path_factory.mktemp("browser-stack"))
    running.demo = running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """One Playwright driver for the whole run: the sync API allows one per thread, so a test that needs a
    Chromium of its own (other flags: a fake camera) launches it from this one."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"No Chromium at {CHROMIUM}: `make test` installs Debian's chromium package "
                    "(or set CHROMIUM to a Chromium binary).")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield launched
    launched.close()


# An answer the page asked for and the test meant to be refused (a form post's 400, an API call's 409) is
# logged by Chromium as "Failed to load resource: ... status of 4xx". Those lines are expected for
# documents and fetches; a script, style, image or font that fails is still a problem.
_EXPECTED_REFUSALS = ("document", "fetch", "xhr")
_FAILED_LOAD = "Failed to load resource: the server responded with a status of 4"


@dataclass
class Watched:
    """What went wrong on the pages of one test, outside what the test itself checks."""
    errors: list[tuple[str, str]] = field(default_factory=list)  # console errors: (text, url)
    exceptions: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # URLs of documents and fetches answered 4xx

    @property
    def problems(self) -> list[str]:
        """Read when the test ends: by then every refusal's answer has been seen, whatever order the
        browser reported the answer and its console line in."""
        return [*(f"console error: {text} ({url})" for text, url in self.errors
                  if not (text.startswith(_FAILED_LOAD) and url in self.refused)), *self.exceptions]

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append((message.text, message.location.get("url", "")))

    def response(self, response: Response) -> None:
        if 400 <= response.status < 500 and response.request.resource_type in _EXPECTED_REFUSALS:
            self.refused.add(response.url)

    def exception(self, error: Error) -> None:
        self.exceptions.append(f"uncaught exception: {error}")

    def watch(self, page: Page) -> None:
        page.on("response", self.response)
        page.on("console", self.console)
        page.on("pageerror", self.exception)


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """`open_page(locale="ru-RU", viewport=PHONE, user_agent=None)`: a page in a fresh context, watched.
    The test fails at its end if any page it opened logged an error."""
    watched = Watched()
    contexts = []

    def make(locale: str = "ru-RU", viewport: ViewportSize | None = None, user_agent: str | None = None,
             **options: Any) -> Page:
        context = browser.new_context(locale=locale, viewport=viewport or PHONE, user_agent=user_agent,
                                      device_scale_factor=2, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        watched.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not watched.problems, "\n".join(watched.problems)


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    """A Russian phone-sized page (the product's first audience)."""
    return open_page()


_axe = Axe()


def check_axe(page: Page) -> dict[str, Any]:
    """Run axe-core on the page as it is now; fail on any serious or critical violation. Returns axe's
    whole answer (minor and moderate findings included) for tests that want to look further."""
    results = _axe.run(page)
    bad = [violation for violation in results.response["violations"] if violation.get("impact") in SERIOUS]
    assert not bad, f"axe found serious or critical violations on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes'][:3]]}" for v in bad)
    return results.response


@pytest.fixture
def axe() -> Callable[[Page], dict[str, Any]]:
    """`axe(page)` in a test: see check_axe."""
    return check_axe


def above_the_fold(page: Page, selector: str) -> bool:
    """Whether the element's whole box is inside the first screen, without scrolling."""
    box = page.locator(selector).first.bounding_box()
    viewport = page.viewport_size or PHONE
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
