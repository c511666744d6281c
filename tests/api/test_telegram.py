"""The Telegram bot against the local Bot API stand-in: secret-checked webhook, linking a card from the
card page's deep link, balance and QR on request, the join link, and messages to linked chats."""
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import Message
from chalicelib.usecases import notices, telegram_bot
from tests.conftest import TELEGRAM_SECRET as SECRET
from tests.conftest import enroll

CHAT = 777001


@pytest.fixture
def bot(telegram_bot):
    """What the Bot API stand-in was sent (the usecase module is `telegram_bot` here)."""
    return telegram_bot


def _update(client, text, secret=SECRET, language="en"):
    update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": CHAT, "type": "private"},
                                          "from": {"id": CHAT, "language_code": language}, "text": text}}
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return client.http.post("/telegram/webhook", headers=headers, body=json.dumps(update))


def test_webhook_needs_telegrams_secret(client, bot):
    assert _update(client, "/balance", secret=None).status_code == 401
    assert _update(client, "/balance", secret="guess").status_code == 401
    assert bot == []


def test_link_from_the_card_page_then_balance_and_qr(client, program, bot):
    card = enroll(client)
    page = client.http.get(card["card_url"].replace("https://loyalty.test", "") + "&lang=en").body.decode()
    link = card_store.get(card["card_id"])
    deep = telegram_bot.deep_link(link)
    assert deep in page.replace("&amp;", "&")
    payload = deep.split("start=", 1)[1]
    assert len(payload) <= 64

    assert _update(client, "/balance").status_code == 200
    assert "Open the bot from the link" in bot[-1]["text"]  # not linked yet
    assert _update(client, f"/start {payload[:-1]}x").status_code == 200
    assert bot[-1]["text"] == "This link is out of date or wrong."
    _update(client, f"/start {payload}")
    assert "card is linked" in bot[-1]["text"] and bot[-1]["chat_id"] == CHAT
    assert card_store.get(card["card_id"]).telegram_chat_id == CHAT
    _update(client, "/balance")
    assert bot[-1]["text"] == "Coffee Club: 100 points, 100 available. Tier: Base."
    _update(client, "/qr")
    assert bot[-1]["method"] == "sendPhoto" and bot[-1]["multipart"] and bot[-1]["png"]
    _update(client, "/balance", language="ru")
    assert bot[-1]["text"].startswith("«Coffee Club»: 100 баллов")


def test_a_newcomer_gets_the_join_link(client, program, bot):
    _update(client, "/start Jcoffee")
    assert bot[-1]["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://loyalty.test/join/coffee"


def test_messages_reach_the_linked_chat(client, program, bot):
    card = enroll(client)
    payload = telegram_bot.deep_link(card_store.get(card["card_id"])).split("start=", 1)[1]
    _update(client, f"/start {payload}")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    notices.notify(program_store.get(program["id"]), card_store.get(card["card_id"], consistent=True), "campaign",
                   {"en": "Cake day!", "ru": "День торта!"}, noon)
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns

    outbox.deliver(noon, push=lambda token: apns.PushResult(200))
    assert bot[-1]["text"] == "День торта!" and bot[-1]["chat_id"] == CHAT  # the card's language is Russian
    assert ("telegram", "sent") in {(m.channel, m.outcome) for m in Message.query(card["card_id"])}
