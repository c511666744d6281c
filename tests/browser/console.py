"""Reusable steps for browser tests of the owner's console (console-core's and console-ops' pages).

Selectors use element names and roles, not words, so the steps work in either language; the page's
language is the browser context's (`open_page(locale="en-GB")`)."""
from playwright.sync_api import Page, expect

from tests.e2e.stack import Stack


def open_console(page: Page, stack: Stack, route: str = "#/") -> Page:
    page.goto(f"{stack.api}/console{route}")
    return page


def wait_for_page(page: Page, route: str) -> None:
    """Wait until the router has drawn `route` (the page's body is in place, its heading focused)."""
    page.wait_for_function("r => location.hash === r && document.querySelector('#main .page, #main .notice')",
                           arg=route)


def goto(page: Page, route: str) -> None:
    """Go to a console page the way a click on the navigation does (the token stays in memory)."""
    page.evaluate("r => { location.hash = r; }", route)
    wait_for_page(page, route)


def sign_in(page: Page, stack: Stack, email: str | None = None, password: str | None = None,
            route: str = "#/") -> Page:
    """Open the console and sign in (the demo owner unless told otherwise); returns once the console shows
    a signed-in page (the navigation's menu is there)."""
    console = stack.demo["console"]
    open_console(page, stack, "#/sign-in")
    page.locator("input[name=email]").fill(email or console["email"])
    page.locator("input[name=password]").fill(password or console["password"])
    page.locator("form button[type=submit]").click()
    expect(page.locator("#lc-nav-list a").first).to_be_attached()
    if route != "#/":
        goto(page, route)
    return page


def nav_routes(page: Page) -> list[str]:
    """The routes the navigation offers (what the signed-in role may open)."""
    return page.eval_on_selector_all("#lc-nav-list a", "links => links.map(a => a.getAttribute('href'))")


def submit(page: Page, scope: str = "#main form") -> None:
    page.locator(f"{scope} button[type=submit]").first.click()
