"""The customer pages on a 390 x 844 phone, as the audits saw them: what must be on the first screen,
errors a person can act on, and the lost-link form."""
import json

import pytest

from tests.browser.conftest import ANDROID_UA, IPHONE_UA, above_the_fold
from tests.e2e.stack import enroll


@pytest.fixture
def form_page(open_page):
    """A refused form post answers the page again with its status (400, 409, 429: the contract); the
    harness expects Chromium's "Failed to load resource" line for such a document."""
    return open_page()


@pytest.mark.parametrize("locale, button", [("ru-RU", "Получить карту"), ("en-GB", "Get my card")])
def test_the_join_button_and_the_welcome_bonus_are_on_the_first_screen(stack, open_page, axe, locale, button):
    page = open_page(locale=locale)
    page.goto(stack.demo["join_url"])
    assert page.get_by_role("button", name=button).is_visible()
    assert above_the_fold(page, "button[type=submit]"), "the join button is below the fold"
    assert above_the_fold(page, ".bonus"), "the welcome bonus is below the fold"
    axe(page)


def test_an_empty_form_tells_every_fault_at_its_field_in_english(stack, form_page, axe):
    page = form_page  # the browser prefers Russian; the page was switched to English
    page.goto(stack.demo["join_url"] + "?lang=en")
    page.fill("#email", "anna@")
    page.get_by_role("button", name="Get my card").click()
    page.wait_for_selector("#form-errors")
    assert page.locator("#name").get_attribute("aria-invalid") == "true"
    assert page.locator("#name-error").inner_text() == "Enter your name."
    assert page.locator("#consent").get_attribute("aria-describedby") == "consent-error"
    assert "tick your consent" in page.locator("#consent-error").inner_text()
    assert page.locator("#form-errors li").count() == 4  # name, phone, email, consent
    assert page.input_value("#email") == "anna@"
    assert "'name'" not in page.inner_text("body")
    page.locator("#form-errors a[href='#phone']").click()
    assert page.evaluate("location.hash") == "#phone"
    axe(page)


@pytest.mark.parametrize("agent, shown, hidden", [(IPHONE_UA, "Apple", "Google"), (ANDROID_UA, "Google", "Apple")])
def test_the_wallet_button_of_the_phone_comes_right_after_the_balance(stack, open_page, axe, agent, shown, hidden):
    phone = f"+7916555{0 if shown == 'Apple' else 1:04d}"
    card = enroll(stack.demo, "Anna", phone)
    page = open_page(locale="en-GB", user_agent=agent)
    page.goto(card["card_url"] + "&lang=en")
    wallet = page.locator(".wallets a", has_text=shown)
    assert wallet.is_visible() and page.locator(".wallets a", has_text=hidden).count() == 0
    assert above_the_fold(page, ".wallets a"), "the wallet button is below the fold"
    axe(page)


def test_a_member_asks_for_the_link_again_and_sees_the_same_words_as_anyone(stack, open_page, axe):
    enroll(stack.demo, "Boris", "+79165550002")
    page = open_page(locale="en-GB")
    page.goto(stack.demo["join_url"])
    page.fill("#contact", "+7 916 555-00-02")
    page.get_by_role("button", name="Send my card link").click()
    notice = page.locator(".recover [role=status]")
    assert "If you are a member" in notice.inner_text()
    assert "/c/" not in page.content()
    axe(page)
    sms_log = (stack.local_dir / "logs" / "sms.log")
    assert "79165550002" in sms_log.read_text() and "/c/" in sms_log.read_text()
    stranger = open_page(locale="en-GB")
    stranger.goto(stack.demo["join_url"])
    stranger.fill("#contact", "+7 916 555-99-99")
    stranger.get_by_role("button", name="Send my card link").click()
    assert stranger.locator(".recover [role=status]").inner_text() == notice.inner_text()
    assert "79165559999" not in json.dumps(sms_log.read_text())
