"""The card inside Telegram in real Chromium, through the local Telegram stand-in's client page (the
`make dev` flow): a newcomer writes /start J<slug> to the bot, which sets the chat's menu button; the
menu button opens the Mini App in a frame with signed initData; the newcomer shares the contact with
Telegram's request (no typing), sees the new card with its QR code; the bot's chat has the card linked.
A CSP refusal (the script's origin, the frame's ancestors) is a console error, which fails the test."""
import json
import secrets
import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.e2e.stack import request

WEBHOOK_SECRET = "local-webhook-secret"  # the local stage's (config.py)


def _to_bot(stack, user_id: int, text: str, lang: str) -> None:
    update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": user_id, "type": "private"},
                                          "from": {"id": user_id, "language_code": lang}, "text": text}}
    status, _, _ = request("POST", f"{stack.api}/telegram/webhook", json.dumps(update).encode(),
                           {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert status == 200


def _sent_to(stack, user_id: int) -> list[dict]:
    _, _, raw = request("GET", f"http://127.0.0.1:{stack.telegram_port}/standin/sent")
    return [sent for sent in json.loads(raw)["sent"] if sent.get("chat_id") == user_id]


@pytest.mark.parametrize("lang, width, share, ready", [
    ("en", 320, "Share my number and get the card", "Your card is ready!"),
    ("ru", 420, "Поделиться номером и получить карту", "Карта готова!")])
def test_a_newcomer_joins_inside_telegram_with_the_shared_contact(stack, open_page, lang, width, share, ready):
    user_id = 700_000_000 + secrets.randbelow(100_000_000)
    phone = "7916" + str(secrets.randbelow(9_000_000) + 1_000_000)
    slug = stack.demo["slug"]
    _to_bot(stack, user_id, f"/start J{slug}", lang)  # the bot sets this chat's menu button to the Mini App

    page = open_page(viewport={"width": width, "height": 740})
    query = urllib.parse.urlencode({"user_id": user_id, "first_name": "Ivan", "phone": phone, "lang": lang})
    page.goto(f"http://127.0.0.1:{stack.telegram_port}/standin/client?{query}")
    page.locator("#menu-button").click()
    app = page.frame_locator("#frame")
    expect(app.get_by_role("button", name=share)).to_be_visible()
    frame = page.frame(url=lambda url: "/tg/app" in url)
    assert frame is not None
    alone = open_page(viewport={"width": width, "height": 740})  # the Mini App by itself, for axe-core
    alone.goto(frame.url)
    expect(alone.get_by_role("button", name=share)).to_be_visible()
    check_axe(alone)

    app.locator("#consent").check()
    app.get_by_role("button", name=share).click()
    expect(page.locator("#ask")).to_be_visible()
    page.locator("#share").click()  # the client's "share your phone number?" dialog

    expect(app.get_by_text(ready)).to_be_visible()
    number = app.locator("#card-number").inner_text()
    assert len(number.replace(" ", "")) >= 8
    qr = app.locator("#qr img")
    expect(qr).to_be_visible()
    qr_width = qr.evaluate("img => img.complete && img.getBoundingClientRect().width")
    assert 150 <= qr_width <= width, qr_width  # drawn, and within the phone's width
    assert qr.evaluate("img => img.naturalWidth") > 0  # the picture decoded (a broken image has a box too)
    balance = app.locator("#balance").inner_text().split()[0]
    assert frame.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling on a phone

    _to_bot(stack, user_id, "/balance", lang)  # the bot's chat has the card linked
    text = _sent_to(stack, user_id)[-1]["text"]
    assert f": {balance} " in text, text

    alone.reload()
    expect(alone.locator("#card-number")).to_have_text(number)
    check_axe(alone)

    page.locator("#close-app").click()  # opening it again shows the card straight away
    page.locator("#menu-button").click()
    expect(app.locator("#card-number")).to_have_text(number)


def test_the_mini_app_page_outside_telegram_says_where_to_open_it(stack, page, axe):
    page.goto(f"{stack.api}/tg/app?program={stack.demo['slug']}")
    expect(page.get_by_text("Откройте карту из бота в Telegram.")).to_be_visible()
    check_axe(page)
