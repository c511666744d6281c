"""The card inside Telegram (Mini App): the page, the session with and without a card, joining with the
contact Telegram signed (no typing, no SMS code), refusals of forged, stale or borrowed data, and a
member's phone linking their card instead of making a second one. Telegram is the local stand-in."""
import json
import time

import pytest

from chalicelib.channels import telegram_standin
from chalicelib.core import telegram_webapp
from chalicelib.store import card_channels
from chalicelib.store import cards as card_store
from chalicelib.usecases import telegram_bot
from tests.conftest import PROGRAM, TELEGRAM_SECRET, TELEGRAM_TOKEN, bearer, body, enroll

USER_ID = 5550001
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def tg(telegram_bot):
    return telegram_bot


def _init(user_id=USER_ID, lang="en", token=TELEGRAM_TOKEN, now=None, first_name="Olga"):
    user = {"id": user_id, "first_name": first_name, "last_name": "Petrova", "language_code": lang}
    return telegram_standin.signed_init_data(token, user, time.time() if now is None else now)


def _contact(user_id=USER_ID, phone="79165550001", token=TELEGRAM_TOKEN, now=None):
    return telegram_standin.signed_contact(token, user_id, phone, "Olga", time.time() if now is None else now)


def _post(client, path, data):
    return client.http.post(path, headers=JSON, body=json.dumps(data))


def _session(client, init, program="coffee"):
    data = {"init_data": init, **({"program": program} if program else {})}
    return _post(client, "/tg/app/session", data)


def _join(client, init=None, contact=None, consent=True, program="coffee"):
    return _post(client, "/tg/app/join", {"init_data": init or _init(), "program": program,
                                          "contact": contact or _contact(), "consent": consent})


def test_the_page_loads_telegrams_script_may_be_framed_by_telegram_and_holds_no_personal_data(client, tg):
    page = client.http.get("/tg/app?program=coffee")
    assert page.status_code == 200
    html = page.body.decode()
    assert '<script src="https://telegram.org/js/telegram-web-app.js"></script>' in html
    assert '<script src="/tg/app.js"></script>' in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://telegram.org;" in policy and "connect-src 'self'" in policy
    assert "frame-ancestors https://web.telegram.org http://127.0.0.1:" in policy  # Telegram's web client, the stand-in
    assert "default-src 'none'" in policy and "'unsafe-eval'" not in policy
    script = client.http.get("/tg/app.js")
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert "/tg/app/session" in script.body.decode()
    join_page = client.http.get("/join/coffee")  # the other pages keep their policy
    assert "frame-ancestors" not in join_page.headers["Content-Security-Policy"]
    assert "script-src" not in join_page.headers["Content-Security-Policy"]


def test_nothing_is_shown_without_valid_init_data(client, program, tg):
    enroll(client, phone="+79165550001")
    genuine = _init()
    tampered = genuine[:-1] + ("0" if genuine[-1] != "0" else "1")  # the last digit of the hash
    for init, code in ((None, "telegram_init_missing"), ("", "telegram_init_missing"),
                       (_init(token="42:another-bot"), "bad_init_data"), (tampered, "bad_init_data"),
                       (_init(now=time.time() - 3700), "stale_init_data"),
                       ("garbage&&==%%", "bad_init_data")):
        answer = _session(client, init)
        assert answer.status_code == 401, (init, answer.body)
        assert body(answer)["error"]["code"] == code
    wrong_type = _post(client, "/tg/app/session", {"init_data": 5})
    assert wrong_type.status_code == 400 and body(wrong_type)["error"]["field"] == "init_data"
    stray = _post(client, "/tg/app/session", {"init_data": _init(), "user_id": USER_ID})
    assert stray.status_code == 400


def test_a_newcomer_gets_the_program_to_join(client, program, tg):
    answer = _session(client, _init())
    assert answer.status_code == 200
    data = body(answer)
    assert data["card"] is None and data["locale"] == "en"
    assert data["program"]["name"] == "Coffee Club" and data["program"]["slug"] == "coffee"
    assert data["program"]["welcome_bonus"] == 100 and "I agree" in data["program"]["consent"]
    assert _session(client, _init(), program="no-such").status_code == 404
    nothing = body(_session(client, _init(), program=None))
    assert nothing == {"card": None, "program": None, "locale": "en"}


def test_join_with_the_verified_contact_makes_and_links_a_card(client, merchant, program, tg):
    joined = _join(client)
    assert joined.status_code == 201, joined.body
    data = body(joined)
    card = data["card"]
    assert data["created"] is True and card["balance"] == 100 and card["name"] == "Olga"
    assert card["tier_name"] == "Base" and card["qr_svg"].startswith("<svg")
    # the page shows it as an <img> of a data: URL: a document of its own, with its namespace and size
    assert 'xmlns="http://www.w3.org/2000/svg"' in card["qr_svg"] and 'width="' in card["qr_svg"]
    assert card["number_display"].replace(" ", "") == card["number"]
    assert [entry["amount"] for entry in card["history"]] == [100]
    stored = card_store.get(card_store.card_id_by_number(card["number"]))
    assert stored.phone == "+79165550001" and stored.telegram_chat_id == USER_ID
    assert card_channels.card_of_chat(USER_ID).card_id == stored.card_id  # the bot sees the same card

    again = body(_session(client, _init()))  # the next opening shows the card
    assert again["card"]["number"] == card["number"] and again["card"]["balance"] == 100
    assert "phone" not in json.dumps(again["card"])  # no contact data in the answer

    # the bot answers this chat with the card's balance now
    update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": USER_ID, "type": "private"},
                                          "from": {"id": USER_ID, "language_code": "en"}, "text": "/balance"}}
    client.http.post("/telegram/webhook", body=json.dumps(update),
                     headers={**JSON, "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert tg[-1]["chat_id"] == USER_ID and tg[-1]["text"].startswith("Coffee Club: 100 points")


def test_join_needs_consent_and_a_contact(client, program, tg):
    refused = _join(client, consent=False)
    assert refused.status_code == 400 and body(refused)["error"]["code"] == "consent_required"
    missing = _post(client, "/tg/app/join", {"init_data": _init(), "program": "coffee", "consent": True})
    assert missing.status_code == 400 and body(missing)["error"]["field"] == "contact"
    assert card_store.card_id_by_phone(program["id"], "+79165550001") is None


def test_forged_stale_or_borrowed_contacts_are_refused(client, program, tg):
    forged = _contact().replace("79165550001", "79165550002")
    assert body(_join(client, contact=forged))["error"]["code"] == "bad_init_data"
    someone_elses = _contact(user_id=USER_ID + 1)  # a genuine contact of another Telegram user, replayed
    answer = _join(client, contact=someone_elses)
    assert answer.status_code == 401 and body(answer)["error"]["code"] == "bad_init_data"
    old = _contact(now=time.time() - 7200)  # a contact shared long ago, replayed
    assert body(_join(client, contact=old))["error"]["code"] == "stale_init_data"
    other_bot = _contact(token="42:another-bot")
    assert body(_join(client, contact=other_bot))["error"]["code"] == "bad_init_data"
    assert body(_join(client, contact=_init()))["error"]["code"] == "bad_init_data"  # initData is no contact
    for phone in ("+79165550001", "+79165550002"):
        assert card_store.card_id_by_phone(program["id"], phone) is None


def test_a_members_phone_links_their_card_not_a_second_one(client, merchant, program, tg):
    member = enroll(client, phone="+79165550001", name="Olga P")
    joined = _join(client)
    assert joined.status_code == 200, joined.body
    data = body(joined)
    assert data["created"] is False and data["card"]["number"] == member["card_number"]
    assert card_store.get(member["card_id"]).telegram_chat_id == USER_ID
    listed = body(client.http.get(f"/admin/programs/{program['id']}/cards?limit=50", headers=bearer(merchant)))
    assert len(listed["items"]) == 1


def test_phone_confirmation_is_satisfied_by_telegrams_contact(client, merchant, program, tg):
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                      body=json.dumps({"limits": {"phone_confirmation": True}}))
    joined = _join(client)
    assert joined.status_code == 201 and body(joined)["card"]["balance"] == 100


def test_telegram_answers_only_with_its_own_data(client, program, tg):
    """Signed data stays bound to this bot: our stand-in's own signer and Telegram's recipe agree."""
    init = _init()
    assert telegram_webapp.verify_init_data(init, TELEGRAM_TOKEN, time.time(), 3600).user.id == USER_ID
    assert "signature=" in init  # the stand-in sends Bot API 8.0's field, which stays in the check


def test_the_bots_join_answer_opens_the_mini_app_and_sets_the_chats_menu_button(client, program, tg):
    update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": USER_ID, "type": "private"},
                                          "from": {"id": USER_ID, "language_code": "en"}, "text": "/start Jcoffee"}}
    client.http.post("/telegram/webhook", body=json.dumps(update),
                     headers={**JSON, "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    menu = next(sent for sent in tg if sent["method"] == "setChatMenuButton")
    assert menu["chat_id"] == USER_ID
    assert menu["menu_button"] == {"type": "web_app", "text": "Card in Telegram",
                                   "web_app": {"url": "https://loyalty.test/tg/app?program=coffee"}}
    rows = tg[-1]["reply_markup"]["inline_keyboard"]
    assert rows[1][0]["web_app"] == {"url": "https://loyalty.test/tg/app?program=coffee"}


def test_a_card_linked_from_its_page_gets_the_mini_app_as_the_chats_menu_button(client, program, tg):
    card = enroll(client, phone="+79165550003")
    payload = telegram_bot.deep_link(card_store.get(card["card_id"])).split("start=", 1)[1]
    update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": USER_ID, "type": "private"},
                                          "from": {"id": USER_ID, "language_code": "ru"}, "text": f"/start {payload}"}}
    client.http.post("/telegram/webhook", body=json.dumps(update),
                     headers={**JSON, "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    menu = [sent for sent in tg if sent["method"] == "setChatMenuButton"]
    assert menu and menu[-1]["menu_button"]["web_app"]["url"] == "https://loyalty.test/tg/app?program=coffee"
    assert menu[-1]["menu_button"]["text"] == "Карта в Telegram"
    shown = body(_session(client, _init(lang="ru")))  # and the Mini App shows that card, in Russian
    assert shown["card"]["number"] == card["card_number"] and shown["locale"] == "ru"


def test_the_cli_sets_the_bots_default_menu_button(program, tg, capsys):
    from chalicelib import cli  # lazy: the command line module sets stage defaults as it loads

    assert cli.main(["telegram-menu", "--program", "coffee", "--language", "en"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()  # the stand-in's own line, then the command's
    assert printed[-1] == "https://loyalty.test/tg/app?program=coffee"
    menu = [sent for sent in tg if sent["method"] == "setChatMenuButton"][-1]
    assert menu["chat_id"] is None  # the default button, for every chat without its own
    assert menu["menu_button"] == {"type": "web_app", "text": "Card in Telegram",
                                   "web_app": {"url": "https://loyalty.test/tg/app?program=coffee"}}
    with pytest.raises(SystemExit):
        cli.main(["telegram-menu", "--program", "no-such"])


# --- found in review: members keep their card in the Mini App ------------------------------------------

def test_a_member_still_sees_their_card_when_the_program_stops_taking_members(client, merchant, program, tg):
    """The chat's menu button opens /tg/app?program=<slug>; pausing a program stops new members only
    (enrollment: "This program is not taking new members."); the card page and the bot's /balance
    still serve its members, so the Mini App should too."""
    joined = _join(client)
    assert joined.status_code == 201
    paused = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                               body=json.dumps({"status": "paused"}))
    assert paused.status_code == 200, paused.body
    card_page = client.http.get(body(joined)["card"]["card_url"].split("loyalty.test", 1)[-1])
    assert card_page.status_code == 200  # the card page still shows the card
    answer = _session(client, _init())  # what the menu button sends: program=coffee
    assert answer.status_code == 200, answer.body
    assert body(answer)["card"]["number"] == body(joined)["card"]["number"]


def test_joining_a_second_program_moves_the_chats_link_off_the_first_card(client, merchant, program, tg):
    """README: "A chat links one card: joining a second program inside Telegram moves the link to the
    newer card." The first card keeps telegram_chat_id, so its program's messages still go to the chat
    (usecases/notices.recipient) while /balance and the Mini App show the other card, and its card page
    no longer offers to link Telegram (api/join.py: only when telegram_chat_id is unset)."""
    first = _join(client)
    assert first.status_code == 201
    tea = client.http.post("/admin/programs", headers=bearer(merchant),
                           body=json.dumps({**PROGRAM, "name": "Tea Club", "slug": "tea"}))
    assert tea.status_code == 201, tea.body
    second = _join(client, program="tea")
    assert second.status_code == 201, second.body
    first_card = card_store.get(card_store.card_id_by_number(body(first)["card"]["number"]))
    assert card_channels.card_of_chat(5550001).card_id != first_card.card_id  # the chat's link moved
    assert first_card.telegram_chat_id is None


def test_a_join_link_of_another_program_does_not_take_the_members_menu_button(client, merchant, program, tg):
    """A member whose chat links a Coffee card taps another program's t.me/<bot>?start=Jtea link (an
    ad, a friend's message) without joining: the chat's menu button now opens Tea's join offer, and
    the Mini App from the menu no longer shows the Coffee card (session with program=tea: card null)."""
    assert _join(client).status_code == 201  # the Coffee card, linked to the chat
    tea = client.http.post("/admin/programs", headers=bearer(merchant),
                           body=json.dumps({**PROGRAM, "name": "Tea Club", "slug": "tea"}))
    assert tea.status_code == 201
    update = {"update_id": 7, "message": {"message_id": 7, "chat": {"id": 5550001, "type": "private"},
                                          "from": {"id": 5550001, "language_code": "en"}, "text": "/start Jtea"}}
    client.http.post("/telegram/webhook", body=json.dumps(update),
                     headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    menus = [sent for sent in tg if sent["method"] == "setChatMenuButton" and sent.get("chat_id") == 5550001]
    url = menus[-1]["menu_button"]["web_app"]["url"] if menus else None
    program_in_menu = url.split("program=", 1)[1] if url and "program=" in url else None
    shown = body(_session(client, _init(), program=program_in_menu))
    assert shown["card"] is not None, (url, "the member's card is gone from the menu button")
