"""Consent records (issue 19, item 3): every way in records the words the member was shown, with their
version, time and way (join page, Mini App, bot link, MoySklad, web form, import); the unsubscribe link,
the bot's /stop and the profile page withdraw them, recorded the same way; a campaign sent afterwards
skips the withdrawn channel and its message record says why; older cards read as 'legacy'."""
import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlparse

import pytest

from chalicelib.channels import telegram_standin
from chalicelib.core import consents
from chalicelib.store import cards as card_store
from chalicelib.store.models import Alias, Card, Message
from chalicelib.usecases import cards as card_views
from chalicelib.usecases import telegram_bot
from tests.conftest import TELEGRAM_SECRET, TELEGRAM_TOKEN, bearer, body, enroll, ses_sent

CHAT = 777002
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
BRANDING = {"terms": {"ru": "Правила кофейни: cafe.test/rules", "en": "The cafe's terms: cafe.test/rules"}}


def _card(client, merchant, card_id, role="owner"):
    return client.http.get(f"/admin/cards/{card_id}", headers=bearer(merchant, role))


def _consents(client, merchant, card_id):
    answer = _card(client, merchant, card_id)
    assert answer.status_code == 200, answer.body
    return body(answer)["consents"]


def _shape(records):
    return [(r["purpose"], r["channel"], r["given_via"], r["withdrawn_via"]) for r in records]


def _terms(client, merchant, program):
    answer = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                               body=json.dumps({"branding": BRANDING}))
    assert answer.status_code == 200, answer.body


def _campaign(client, merchant, program, text):
    """A campaign to every member, sent now whatever the hour (quiet hours off, nobody held out), and the
    outbox delivered."""
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns

    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                      body=json.dumps({"mechanics": {"messaging": {"quiet_hours": None, "max_per_week": 100}}}))
    created = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                               body=json.dumps({"name": text, "texts": {"ru": text, "en": text},
                                                "audience": {"kind": "all"}, "holdout_percent": 0}))
    assert created.status_code == 201, created.body
    sent = client.http.post(f"/admin/programs/{program['id']}/campaigns/{body(created)['id']}/send",
                            headers=bearer(merchant))
    assert sent.status_code == 200, sent.body
    now = datetime.now(UTC)
    for hours in (0, 1):
        outbox.deliver(now + timedelta(hours=hours), push=lambda token: apns.PushResult(200))


def _records(card_id, text):
    return {(m.channel, m.outcome, m.reason) for m in Message.query(card_id) if m.text == text}


def _bot(client, text, chat=CHAT, language="en"):
    update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": chat, "type": "private"},
                                          "from": {"id": chat, "language_code": language}, "text": text}}
    answer = client.http.post("/telegram/webhook", body=json.dumps(update),
                              headers={**JSON, "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert answer.status_code == 200, answer.body


def _link_in_the_bot(client, card_id, chat=CHAT, language="en"):
    payload = telegram_bot.deep_link(card_store.get(card_id)).split("start=", 1)[1]
    _bot(client, f"/start {payload}", chat, language)


# --- the ways in ------------------------------------------------------------------------------------------


def test_the_join_page_records_the_terms_as_shown_and_email_only_when_ticked(client, merchant, program):
    _terms(client, merchant, program)
    plain = enroll(client, email="boris@example.com", locale="en")
    records = _consents(client, merchant, plain["card_id"])
    assert _shape(records) == [("terms", None, "join_page", None)]
    words = "I agree to the program's terms and to the processing of my personal data — The cafe's terms: " \
            "cafe.test/rules"
    assert records[0]["text"] == words and records[0]["version"] == consents.version(words)
    assert records[0]["given_at"] == card_store.get(plain["card_id"]).consent_at and records[0]["withdrawn_at"] is None
    page = client.http.get("/join/coffee?lang=en").body.decode()
    assert "The cafe&#39;s terms: cafe.test/rules" in page or "The cafe's terms: cafe.test/rules" in page

    form = urlencode({"name": "Вера", "phone": "9160000003", "consent": "on", "email": "v@example.com",
                      "marketing_consent": "on", "locale": "ru"})
    assert client.http.post("/join/coffee", headers=FORM, body=form).status_code == 303
    ticked = card_store.card_id_by_phone(program["id"], "+79160000003")
    records = _consents(client, merchant, ticked)
    assert _shape(records) == [("terms", None, "join_page", None), ("marketing", "email", "join_page", None)]
    assert records[0]["text"].endswith("— Правила кофейни: cafe.test/rules")  # in the language of the page
    assert records[1]["text"] == "Присылать мне предложения по эл. почте"
    assert card_store.get(ticked).consents == {"email": True}  # the summary older readers see


def test_the_mini_app_records_the_terms_and_the_bots_messages_with_the_words_it_showed(client, merchant, program,
                                                                                       telegram_bot):
    init = telegram_standin.signed_init_data(TELEGRAM_TOKEN, {"id": 5550009, "first_name": "Olga",
                                                              "language_code": "en"}, time.time())
    contact = telegram_standin.signed_contact(TELEGRAM_TOKEN, 5550009, "79165550009", "Olga", time.time())
    shown = body(client.http.post("/tg/app/session", headers=JSON,
                                  body=json.dumps({"init_data": init, "program": "coffee"})))["program"]
    joined = client.http.post("/tg/app/join", headers=JSON, body=json.dumps(
        {"init_data": init, "program": "coffee", "contact": contact, "consent": True}))
    assert joined.status_code == 201, joined.body
    card_id = card_store.card_id_by_phone(program["id"], "+79165550009")
    records = _consents(client, merchant, card_id)
    assert _shape(records) == [("terms", None, "telegram_app", None), ("marketing", "telegram", "telegram_app", None)]
    assert records[0]["text"] == shown["consent"] and records[1]["text"] == shown["telegram_consent"]
    assert "/stop" in shown["telegram_consent"] and records[1]["version"] == consents.version(shown["telegram_consent"])


def test_linking_in_the_bot_records_the_words_the_bot_says(client, merchant, program, telegram_bot):
    card = enroll(client)
    _link_in_the_bot(client, card["card_id"])
    said = telegram_bot[-1]["text"]
    records = _consents(client, merchant, card["card_id"])
    assert _shape(records) == [("terms", None, "join_page", None), ("marketing", "telegram", "telegram_bot", None)]
    assert "card is linked" in said and said.endswith(records[1]["text"])
    assert records[1]["text"] == "The bot will send Coffee Club's offers and news here. To stop them, send /stop."
    _link_in_the_bot(client, card["card_id"])  # the same link again: the same words stand, nothing new
    assert len(_consents(client, merchant, card["card_id"])) == 2


def test_moysklad_tilda_and_an_import_record_their_way_in(client, merchant, program, monkeypatch):
    from chalicelib.channels import sms
    from tests.integrations.conftest import connect
    from tests.integrations.test_imports import upload
    from tests.integrations.test_moysklad_contract import DOC_CREATE, Till
    from tests.integrations.test_moysklad_contract import connect as connect_moysklad

    monkeypatch.setattr(sms, "send", lambda phone, text: "1")
    created = connect_moysklad(client, merchant, program)
    till = Till(client, created["base_url"], created["token"])
    assert till.post("/counterparty", DOC_CREATE).status_code == 201
    by_till = card_store.card_id_by_phone(program["id"], "+75551234568")

    hook = connect(client, merchant, program["id"], "tilda")
    url = hook["webhook_url"].removeprefix("https://loyalty.test")
    assert client.http.post(url, headers=FORM, body=urlencode({"Name": "Мария", "Phone": "+79165554433"})).body == b"ok"
    by_form = card_store.card_id_by_phone(program["id"], "+79165554433")

    checked = body(upload(client, merchant, program["id"], "name;phone\nБорис;+79161000002\n".encode()))
    started = client.http.post(f"/admin/programs/{program['id']}/imports/{checked['import_id']}/start",
                               headers=bearer(merchant), body="")
    assert started.status_code == 200, started.body
    by_import = card_store.card_id_by_phone(program["id"], "+79161000002")

    for card_id, via in ((by_till, "moysklad"), (by_form, "web_form"), (by_import, "import")):
        records = _consents(client, merchant, card_id)
        assert _shape(records) == [("terms", None, via, None)], via  # none of them asked for marketing
        assert records[0]["version"] == consents.version(records[0]["text"])
    assert "Перенесено владельцем программы" in _consents(client, merchant, by_import)[0]["text"]
    assert _consents(client, merchant, by_form)[0]["text"].startswith("Я согласен(на) с правилами программы")


# --- withdrawn, and the send that follows ------------------------------------------------------------------


def test_the_unsubscribe_link_is_recorded_and_the_next_campaign_skips_email_saying_why(client, merchant, program,
                                                                                        ses):
    card = enroll(client, email="anna@example.com", marketing_consent=True)
    url = urlparse(card_views.unsubscribe_url(card_store.get(card["card_id"])))
    unsubscribed = client.http.post(f"{url.path}?{url.query}", headers=FORM, body="List-Unsubscribe=One-Click")
    assert unsubscribed.status_code == 200
    records = _consents(client, merchant, card["card_id"])
    assert _shape(records) == [("terms", None, "join_page", None), ("marketing", "email", "join_page",
                                                                     "unsubscribe_link")]
    assert records[1]["withdrawn_at"] > records[1]["given_at"]
    _campaign(client, merchant, program, "Cake day")
    assert ses_sent() == []
    assert _records(card["card_id"], "Cake day") == {("wallet", "sent", None), ("email", "skipped", "no_consent")}


def test_stop_in_the_bot_is_recorded_answered_and_respected_then_start_brings_them_back(client, merchant, program,
                                                                                         telegram_bot):
    card = enroll(client)
    _link_in_the_bot(client, card["card_id"])
    _bot(client, "/stop")
    assert "will not come here any more" in telegram_bot[-1]["text"] and "/start" in telegram_bot[-1]["text"]
    stopped = _consents(client, merchant, card["card_id"])
    assert _shape(stopped) == [("terms", None, "join_page", None), ("marketing", "telegram", "telegram_bot",
                                                                     "telegram_bot")]
    assert card_store.get(card["card_id"]).telegram_chat_id == CHAT  # still linked: balance and code answer
    _bot(client, "/balance")
    assert telegram_bot[-1]["text"].startswith("Coffee Club: 100 points")

    _campaign(client, merchant, program, "Cake day")
    assert "Cake day" not in [m.get("text") for m in telegram_bot]
    assert _records(card["card_id"], "Cake day") == {("wallet", "sent", None), ("telegram", "skipped", "no_consent")}

    _bot(client, "/start")
    assert telegram_bot[-1]["text"] == stopped[1]["text"]  # the words the new record keeps
    again = _consents(client, merchant, card["card_id"])
    assert again[:2] == stopped and _shape(again[2:]) == [("marketing", "telegram", "telegram_bot", None)]
    _campaign(client, merchant, program, "Pie day")
    assert [m["text"] for m in telegram_bot if m.get("text") == "Pie day"] == ["Pie day"]


def test_the_russian_word_stops_too(client, merchant, program, telegram_bot):
    card = enroll(client)
    _link_in_the_bot(client, card["card_id"], language="ru")
    _bot(client, "Стоп", language="ru")
    assert telegram_bot[-1]["text"].startswith("Готово: предложения и новости «Coffee Club» сюда больше не придут")
    assert _consents(client, merchant, card["card_id"])[1]["withdrawn_via"] == "telegram_bot"
    _bot(client, "/stop", language="ru")  # nothing stands: nothing more is written, the answer is the same
    assert len(_consents(client, merchant, card["card_id"])) == 2


def test_the_profile_page_gives_the_email_consent_again_and_takes_it_back(client, merchant, program, ses):
    card = enroll(client, email="anna@example.com", marketing_consent=True)
    stored = card_store.get(card["card_id"])
    url = urlparse(card_views.unsubscribe_url(stored))
    client.http.post(f"{url.path}?{url.query}", headers=FORM, body="")
    profile = f"/c/{card['card_id']}/profile?k={stored.access_key}"
    page = client.http.get(profile + "&lang=en").body.decode()
    assert 'name="marketing_consent"' in page and "Email me offers" in page and " checked" not in page

    answer = client.http.post(profile, headers=JSON, body=json.dumps({"marketing_consent": True, "locale": "en"}))
    assert answer.status_code == 200, answer.body
    assert body(answer)["marketing_consent"] is True
    records = _consents(client, merchant, card["card_id"])
    assert _shape(records) == [("terms", None, "join_page", None),
                               ("marketing", "email", "join_page", "unsubscribe_link"),
                               ("marketing", "email", "profile", None)]
    assert records[2]["text"] == "Email me offers" and records[1]["given_at"] < records[2]["given_at"]
    _campaign(client, merchant, program, "Cake day")
    assert [m.destinations["ToAddresses"] for m in ses_sent()] == [["anna@example.com"]]

    # the page's form, the box left unticked: withdrawn through the profile
    form = urlencode({"locale": "en", "email": "anna@example.com", "marketing_shown": "1"})
    assert client.http.post(profile, headers=FORM, body=form).status_code == 303
    assert _shape(_consents(client, merchant, card["card_id"]))[-1] == ("marketing", "email", "profile", "profile")
    # a form without the box (another page's) changes nothing
    assert client.http.post(profile, headers=FORM, body=urlencode({"birthday": "1990-05-01"})).status_code == 303
    assert len(_consents(client, merchant, card["card_id"])) == 3


def test_offers_by_email_need_an_address(client, merchant, program):
    card = enroll(client)
    key = card_store.get(card["card_id"]).access_key
    answer = client.http.post(f"/c/{card['card_id']}/profile?k={key}", headers=JSON,
                              body=json.dumps({"marketing_consent": True}))
    assert answer.status_code == 400
    assert (body(answer)["error"]["code"], body(answer)["error"]["field"]) == ("email_required", "marketing_consent")
    wrong = client.http.post(f"/c/{card['card_id']}/profile?k={key}", headers=JSON,
                             body=json.dumps({"marketing_consent": "perhaps", "email": "a@example.com"}))
    assert wrong.status_code == 400 and body(wrong)["error"]["field"] == "marketing_consent"
    assert _shape(_consents(client, merchant, card["card_id"])) == [("terms", None, "join_page", None)]


# --- older cards, and who sees them -----------------------------------------------------------------------


def test_an_older_card_reads_as_legacy_and_keeps_getting_what_it_agreed_to(client, merchant, program, ses,
                                                                             telegram_bot):
    card = enroll(client, email="old@example.com", marketing_consent=True)
    # as cards were before records were kept: a linked chat (its alias too), `consents`, no records
    Card(card["card_id"]).update(actions=[Card.consent_records.remove(), Card.telegram_chat_id.set(CHAT)],
                                 add_version_condition=False)
    Alias(f"tg#{CHAT}", owner_id=card["card_id"], program_id=program["id"], created_at="2025-01-01").save()
    legacy = _consents(client, merchant, card["card_id"])
    assert [(r["purpose"], r["channel"], r["version"]) for r in legacy] == [
        ("terms", None, "legacy"), ("marketing", "email", "legacy"), ("marketing", "telegram", "legacy")]
    _campaign(client, merchant, program, "Cake day")
    assert len(ses_sent()) == 1 and "Cake day" in [m.get("text") for m in telegram_bot]

    _bot(client, "/stop")  # the first change writes the legacy records out, then the withdrawal
    stored = card_store.get(card["card_id"])
    assert stored.consent_records is not None and len(stored.consent_records) == 3
    assert [r["withdrawn_via"] for r in stored.consent_records] == [None, None, "telegram_bot"]
    assert stored.consents == {"email": True, "telegram": False}


@pytest.mark.parametrize("role", ["analyst"])
def test_consents_are_shown_to_roles_that_see_contacts_only(client, merchant, other_merchant, program, role):
    card = enroll(client)
    assert "consents" in body(_card(client, merchant, card["card_id"], "manager"))
    assert "consents" not in body(_card(client, merchant, card["card_id"], role))
    assert _card(client, other_merchant, card["card_id"]).status_code == 404


def test_two_consent_changes_from_stale_reads_both_land(client, merchant, program):
    """Each change is written under the card's version: one made from a copy read before another change
    reads the card again and is made anew, so neither is lost (and a sale meanwhile is kept too)."""
    from chalicelib.store import card_channels

    card = enroll(client, email="anna@example.com", marketing_consent=True)
    first, second = card_store.get(card["card_id"]), card_store.get(card["card_id"])
    now = datetime.now(UTC)
    card_channels.withdraw_email_consent(first, now)
    card_channels.link_telegram(second, CHAT, now + timedelta(seconds=1),
                                consent=("The bot sends offers", "telegram_bot"))
    stored = card_store.get(card["card_id"], consistent=True)
    assert _shape(stored.consent_records) == [("terms", None, "join_page", None),
                                              ("marketing", "email", "join_page", "unsubscribe_link"),
                                              ("marketing", "telegram", "telegram_bot", None)]
    assert stored.consents == {"email": False, "telegram": True} and stored.telegram_chat_id == CHAT
    assert stored.balance == 100


def test_an_erased_members_card_shows_no_consent(client, merchant, program):
    """Erasing a member removes their consent records ("What goes": marketing consents and their records);
    the card keeps `consent_at`, which must not read back as a 'legacy' terms record of someone gone."""
    card = enroll(client, email="anna@example.com", marketing_consent=True)
    number = body(_card(client, merchant, card["card_id"]))["number"]
    erased = client.http.post(f"/admin/cards/{card['card_id']}/erase", headers=bearer(merchant),
                              body=json.dumps({"confirm": number}))
    assert erased.status_code == 200, erased.body
    assert _consents(client, merchant, card["card_id"]) == []
