"""The harness itself: a broken page must fail a browser test, or the other browser tests prove nothing."""
import pytest

from tests.browser.conftest import Watched, check_axe


def test_a_script_error_and_a_console_error_are_caught(browser):
    watched = Watched()
    context = browser.new_context()
    page = context.new_page()
    page.on("pageerror", watched.exception)
    page.on("console", watched.console)
    page.set_content("<html lang=en><title>t</title><body><script>console.error('refused');"
                     "undefined_function()</script></body></html>")
    page.wait_for_timeout(100)
    context.close()
    assert any("refused" in problem for problem in watched.problems)
    assert any("undefined_function" in problem for problem in watched.problems)


def test_axe_fails_a_page_with_a_serious_violation(open_page):
    page = open_page()
    page.set_content("<html lang=en><title>t</title><main><h1>Form</h1><input type=text></main></html>")
    with pytest.raises(AssertionError, match="label"):
        check_axe(page)
