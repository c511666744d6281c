"""A member's data (issue 19, item 1, part EXPORT): the owner's export holds everything written about the
member, section by section, and nothing secret; only the owner may take it, and only of their own cards;
the member asks from the card page and the one-time link goes to the contact they enrolled with (e-mail,
else SMS, else Telegram), never to the browser; the link works within its day and uses, a forged or
expired one is refused; asks are limited; nothing personal reaches the logs."""
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from jsonschema import Draft202012Validator

from chalicelib.api import member_export as routes
from chalicelib.api import openapi
from chalicelib.store import cards as card_store
from chalicelib.store.models import Assignment, Experiment, Guard, LedgerEntry, Message
from chalicelib.store.surveys import SurveyItem
from chalicelib.usecases import member_export as cases
from tests.api.test_limits import address, sms  # noqa: F401 (fixtures: the SMS stand-in, the client address)
from tests.api.test_surveys import CHAT, _link_telegram
from tests.conftest import bearer, body, enroll, ses_sent
from tests.infra.test_least_privilege import _allowed, calls  # noqa: F401 (fixture: the DynamoDB calls made)

JSON_HEADERS = {"Content-Type": "application/json"}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def _h16(value):
    return hashlib.sha256(str(value).encode()).hexdigest()[:16]


def _export(client, merchant, card_id, role="owner"):
    return client.http.get(f"/admin/cards/{card_id}/export", headers=bearer(merchant, role))


def _key(card):
    return re.search(r"k=([\w-]+)", card["card_url"]).group(1)


def _ask(client, card, **fields):
    return client.http.post(f"/c/{card['card_id']}/data?k={_key(card)}", headers=JSON_HEADERS,
                            body=json.dumps(fields) if fields else "")


def _link_in(text):
    return re.search(r"https://loyalty\.test(/c/[\w-]+/data\.json\?t=[\w-]+)", text).group(1)


@pytest.fixture
def member(client, merchant, program, pos, telegram_bot):
    """A member with something in every table: referred by a friend, with an e-mail and a birthday; a
    receipt and a partial refund; a campaign's message and bonus; an Apple device; a linked Telegram chat;
    an experiment's assignment; a survey answer."""
    friend = enroll(client, phone="+79160000009", name="Friend")
    friend_code = card_store.get(friend["card_id"]).ref_code
    card = enroll(client, name="Anna Petrova", phone="+79160000001", email="anna@example.com",
                  birthday="1990-05-17", ref=friend_code)
    card_id = card["card_id"]
    assert pos.post("/pos/receipts", {"receipt_id": "r-1", "card": card["card_number"], "total": 100000,
                                      "lines": [{"sku": "latte", "name": "Latte", "qty": 2, "amount": 100000}]
                                      }).status_code == 200
    assert pos.post("/pos/refunds", {"refund_id": "f-1", "receipt_id": "r-1", "amount": 20000}).status_code == 200
    created = body(client.http.post(
        f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
        body=json.dumps({"name": "Cake", "texts": {"ru": "Торт!", "en": "Cake!"}, "holdout_percent": 0, "bonus": 7,
                         "audience": {"kind": "all"}})))
    sent = client.http.post(f"/admin/programs/{program['id']}/campaigns/{created['id']}/send", headers=bearer(merchant))
    assert sent.status_code == 200, sent.body
    token = card_store.get(card_id).auth_token
    registered = client.http.post(f"/passkit/v1/devices/device-1/registrations/pass.dev.loyalty.local/{card_id}",
                                  headers={"Authorization": f"ApplePass {token}", **JSON_HEADERS},
                                  body=json.dumps({"pushToken": "push-secret-1"}))
    assert registered.status_code == 201, registered.body
    _link_telegram(client, card)
    now = datetime.now(UTC).isoformat()
    Experiment(program["id"], "exp-1", subject="birthday", name="Birthday gift", holdout_bp=1000, variants=[],
               windows=[7], created_at=now).save()
    Assignment("exp-1", card_id, program_id=program["id"], variant="a", exposed_on="2026-11-01", bonus=30,
               created_at=now).save()
    SurveyItem(program["id"], f"survey#{card_id}#s-1", card_id=card_id, kind="nps", score=9, day="2026-11-02",
               answered_at=now, comment="Good coffee").save()
    return {"card": card, "friend": friend}


def test_the_owner_gets_every_section_as_written(client, merchant, program, member, caplog):
    card, card_id = member["card"], member["card"]["card_id"]
    stored = card_store.get(card_id)
    caplog.clear()
    response = _export(client, merchant, card_id)
    assert response.status_code == 200, response.body
    assert response.headers["Content-Disposition"] == f'attachment; filename="member-{card["card_number"]}.json"'
    doc = body(response)
    assert doc["format"] == "loyalty-member-export/1" and doc["exported_at"]
    assert doc["program"] == {"id": program["id"], "name": "Coffee Club"}
    assert doc["profile"] == {"name": "Anna Petrova", "phone": "+79160000001", "email": "anna@example.com",
                              "birthday": "1990-05-17", "locale": "ru", "created_at": stored.created_at}
    assert doc["consents"] and doc["consents"][0]["purpose"] == "terms"  # core/consents.history
    assert doc["consents"][0]["given_at"] == stored.consent_at

    shown = doc["card"]
    assert (shown["card_id"], shown["number"], shown["status"], shown["tier"]) == (
        card_id, card["card_number"], "active", "base")
    assert shown["balance"] == int(stored.balance) and shown["owed"] == int(stored.owed or 0)
    assert shown["stats"] == stored.stats and shown["stats"]["receipts"] == 1
    assert shown["created_at"] == stored.created_at and shown["last_visit_on"] == stored.last_visit_on
    assert [lot["source"] for lot in doc["lots"]] == [lot.source for lot in stored.lots]

    # the whole ledger, oldest first: welcome, referral bonus, the purchase, the refund, the campaign
    kinds = [(entry["kind"], entry["cause"]["type"]) for entry in doc["ledger"]]
    assert len(doc["ledger"]) == len(list(LedgerEntry.query(card_id)))
    assert ("earn", "receipt") in kinds and ("refund_reverse", "refund") in kinds
    assert ("bonus", "campaign") in kinds and kinds[0][0] == "bonus"
    assert doc["ledger"][-1]["balance_after"] == int(stored.balance)

    receipts = {(r["kind"], r["id"]): r for r in doc["receipts"]}
    assert set(receipts) == {("receipt", "r-1"), ("refund", "f-1")}
    assert receipts[("receipt", "r-1")]["total"] == 100000
    assert receipts[("receipt", "r-1")]["lines"][0]["sku"] == "latte"
    assert receipts[("receipt", "r-1")]["refunded_amount"] == 20000
    assert receipts[("refund", "f-1")]["receipt_id"] == "r-1"

    written = list(Message.query(card_id))
    assert [(m["kind"], m["text"]) for m in doc["messages"]] == [(m.kind, m.text) for m in written]
    assert any(m["kind"] == "campaign" and m["text"] == "Торт!" for m in doc["messages"])

    assert doc["wallet"]["apple_devices"] == [{"device": _h16("device-1"), "registered_at": doc["wallet"][
        "apple_devices"][0]["registered_at"], "updated_at": doc["wallet"]["apple_devices"][0]["updated_at"]}]
    assert doc["wallet"]["google"] == {"state": stored.google_state, "error": stored.google_error}
    assert doc["telegram"] == {"linked": True, "chat": _h16(CHAT)}
    assert doc["experiments"] == [{"experiment_id": "exp-1", "subject": "birthday", "name": "Birthday gift",
                                   "variant": "a", "exposed_on": "2026-11-01", "bonus": 30}]
    assert [(s["survey_id"], s["kind"], s["score"], s["comment"]) for s in doc["surveys"]] == [
        ("s-1", "nps", 9, "Good coffee")]
    assert doc["referrals"]["code"] == stored.ref_code
    assert doc["referrals"]["referred_by"] == member["friend"]["card_number"]
    assert doc["truncated"] == {"ledger": False, "messages": False, "receipts": False, "lines": False}
    described = openapi.document()
    Draft202012Validator({"$ref": "#/components/schemas/MemberExport", "components": described["components"]}
                         ).validate(doc)  # the shape the OpenAPI document describes

    # no secrets: not the card link's key, the Apple token, a push token or the raw ids behind the hashes
    raw = response.body.decode()
    for secret in (stored.access_key, stored.auth_token, "push-secret-1", "device-1", f'"{CHAT}"', f":{CHAT},"):
        assert secret not in raw, secret
    # nor any personal data in the logs
    for personal in ("Anna Petrova", "anna@example.com", "79160000001", "1990-05-17"):
        assert personal not in caplog.text


def test_a_sale_that_moved_no_points_is_exported_too(client, merchant, program, pos):
    """A sale too small to earn a point, with nothing spent, has no ledger entry: the receipts' by_card index
    still finds it (and its refund)."""
    card = enroll(client, name="Small Spender", phone="+79160000077")
    sale = {"receipt_id": "tiny-1", "card": card["card_number"], "total": 1}
    assert pos.post("/pos/receipts", sale).status_code == 200
    assert pos.post("/pos/refunds", {"refund_id": "tiny-f", "receipt_id": "tiny-1", "amount": 1}).status_code == 200
    assert not [e for e in LedgerEntry.query(card["card_id"]) if e.cause_id in ("tiny-1", "tiny-f")]
    doc = body(_export(client, merchant, card["card_id"]))
    assert [(r["kind"], r["id"], r["total"]) for r in doc["receipts"]] == [
        ("receipt", "tiny-1", 1), ("refund", "tiny-f", 1)]


def test_only_the_owner_exports_and_only_their_own_cards(client, merchant, other_merchant, program):
    card = enroll(client)
    for role in ("manager", "analyst", "cashier"):
        refused = _export(client, merchant, card["card_id"], role)
        assert refused.status_code == 403 and body(refused)["error"]["code"] == "forbidden"
    foreign = _export(client, other_merchant, card["card_id"])
    assert foreign.status_code == 404 and body(foreign)["error"]["code"] == "not_found"
    assert _export(client, merchant, "no-such-card").status_code == 404
    assert client.http.get(f"/admin/cards/{card['card_id']}/export").status_code == 401


def _trail(client, merchant, action):
    answer = body(client.http.get(f"/admin/audit?action={action}", headers=bearer(merchant)))
    return answer["items"]


def test_the_owners_export_is_in_the_audit_trail_with_its_card_and_program(client, merchant, program):
    card = enroll(client)
    assert _export(client, merchant, card["card_id"]).status_code == 200
    [entry] = _trail(client, merchant, "card.export")
    assert (entry["program_id"], entry["target_type"], entry["target_id"], entry["role"]) == (
        program["id"], "card", card["card_id"], "owner")


def test_a_long_ledger_is_exported_whole_up_to_the_cap(client, merchant, program, monkeypatch):
    card = enroll(client)
    for n in range(7):
        assert client.http.post(f"/admin/cards/{card['card_id']}/adjustments", headers=bearer(merchant),
                                body=json.dumps({"amount": n + 1, "reason": "r", "idempotency_key": f"k{n}"})
                                ).status_code == 201
    doc = body(_export(client, merchant, card["card_id"]))
    assert [e["amount"] for e in doc["ledger"]] == [100, 1, 2, 3, 4, 5, 6, 7]  # past one page of 50? all of it
    monkeypatch.setattr(cases, "LEDGER_CAP", 5)
    doc = body(_export(client, merchant, card["card_id"]))
    assert [e["amount"] for e in doc["ledger"]] == [3, 4, 5, 6, 7] and doc["truncated"]["ledger"] is True


# --- the member's own request -------------------------------------------------------------------------

def test_the_member_gets_a_link_by_email_and_it_downloads_the_same_document(client, merchant, program, ses, sms,  # noqa: F811
                                                                            caplog):
    card = enroll(client, phone="+79160000001", email="anna@example.com")
    page = client.http.get(card["card_url"].replace("https://loyalty.test", "")).body.decode()
    assert f'action="/c/{card["card_id"]}/data?k={_key(card)}"' in page and "Получить мои данные" in page
    caplog.clear()
    asked = _ask(client, card)
    assert asked.status_code == 202, asked.body
    answer = body(asked)
    assert (answer["channel"], answer["to"], answer["expires_in"]) == ("email", "a***@example.com", 86400)
    mails = [m for m in ses_sent() if "anna@example.com" in m.destinations["ToAddresses"]]
    assert len(mails) == 1 and sms == []
    link = _link_in(mails[0].body)
    token = link.split("t=")[1]
    assert token not in asked.body.decode() and token not in caplog.text and "anna@example.com" not in caplog.text
    stored = Guard.get(f"export#{card['card_id']}")
    assert token not in json.dumps(stored.attribute_values, default=str)  # only its hash is kept

    downloaded = client.http.get(link)
    assert downloaded.status_code == 200
    assert downloaded.headers["Content-Disposition"] == f'attachment; filename="member-{card["card_number"]}.json"'
    mine, owners = body(downloaded), body(_export(client, merchant, card["card_id"]))
    assert {k: v for k, v in mine.items() if k != "exported_at"} == \
        {k: v for k, v in owners.items() if k != "exported_at"}
    assert "anna@example.com" not in caplog.text and token not in caplog.text


def test_a_card_without_email_gets_an_sms_and_the_form_says_where_masked(client, program, sms, caplog):  # noqa: F811
    card = enroll(client, phone="+79161234567", locale="en")
    caplog.clear()
    form = urlencode({"locale": "en"})
    asked = client.http.post(f"/c/{card['card_id']}/data?k={_key(card)}", headers=FORM_HEADERS, body=form)
    assert asked.status_code == 202
    html = asked.body.decode()
    assert "+7 *** ***-45-67" in html and "24 hours" in html
    assert "79161234567" not in html and "data.json" not in html
    texts = [m["text"] for m in sms if m["to"] == "79161234567"]
    assert len(texts) == 1 and "Coffee Club: your data" in texts[0]
    assert client.http.get(_link_in(texts[0])).status_code == 200
    assert "79161234567" not in caplog.text and _link_in(texts[0]).split("t=")[1] not in caplog.text
    assert "member_export_link_sent" in caplog.text and "member_export_downloaded" in caplog.text


def test_a_card_with_only_telegram_gets_the_link_in_its_chat(client, program, telegram_bot):
    card = enroll(client)
    _link_telegram(client, card)
    stored = card_store.get(card["card_id"])
    stored.phone = ""
    stored.save()
    asked = _ask(client, card)
    assert asked.status_code == 202 and body(asked)["channel"] == "telegram"
    sent = [m for m in telegram_bot if "data.json" in m.get("text", "")]
    assert len(sent) == 1 and sent[0]["chat_id"] == CHAT
    assert client.http.get(_link_in(sent[0]["text"])).status_code == 200


def test_the_link_works_a_few_times_within_its_day_then_no_more(client, program, sms, monkeypatch):  # noqa: F811
    card = enroll(client)
    assert _ask(client, card).status_code == 202
    link = _link_in(sms[-1]["text"])
    for _ in range(cases.LINK_USES):
        assert client.http.get(link).status_code == 200
    used_up = client.http.get(link)
    assert used_up.status_code == 404 and "Попросите новую" in used_up.body.decode()

    assert _ask(client, card).status_code == 202
    link = _link_in(sms[-1]["text"])
    later = datetime.now(UTC) + timedelta(seconds=cases.LINK_SECONDS + 1)
    monkeypatch.setattr(routes, "datetime", type("Clock", (), {"now": staticmethod(lambda tz=None: later)}))
    assert client.http.get(link).status_code == 404  # expired


def test_a_forged_or_replaced_token_is_refused(client, program, sms):  # noqa: F811
    card = enroll(client)
    other = enroll(client, phone="+79160000002")
    assert _ask(client, card).status_code == 202
    first = _link_in(sms[-1]["text"])
    token = first.split("t=")[1]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.http.get(first.replace(token, forged)).status_code == 404
    assert client.http.get(first.replace(card["card_id"], other["card_id"])).status_code == 404  # another card
    assert client.http.get(f"/c/{card['card_id']}/data.json").status_code == 404
    assert client.http.get(f"/c/{card['card_id']}/data.json?t={'x' * 500}").status_code == 404
    assert _ask(client, card).status_code == 202  # a new link replaces the first
    assert client.http.get(first).status_code == 404
    assert client.http.get(_link_in(sms[-1]["text"])).status_code == 200


def test_at_most_three_asks_a_day(client, program, sms, address):  # noqa: F811
    card = enroll(client)
    for _ in range(cases.ASKS_PER_DAY):
        assert _ask(client, card).status_code == 202
    address("198.51.100.9")  # from anywhere
    limited = _ask(client, card)
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert body(limited)["error"]["code"] == "rate_limited"
    page = client.http.post(f"/c/{card['card_id']}/data?k={_key(card)}", headers=FORM_HEADERS, body="locale=en")
    assert page.status_code == 429 and "try again tomorrow" in page.body.decode()
    assert len([m for m in sms if "data.json" in m["text"]]) == cases.ASKS_PER_DAY


def test_a_blocked_card_cannot_ask_and_a_wrong_key_is_404(client, merchant, program, sms):  # noqa: F811
    card = enroll(client)
    assert client.http.post(f"/c/{card['card_id']}/data?k=wrong", headers=JSON_HEADERS, body="").status_code == 404
    assert client.http.patch(f"/admin/cards/{card['card_id']}", headers=bearer(merchant),
                             body=json.dumps({"status": "blocked"})).status_code == 200
    refused = _ask(client, card)
    assert refused.status_code == 403 and body(refused)["error"]["code"] == "card_blocked"
    assert 'id="my-data"' not in client.http.get(card["card_url"].replace("https://loyalty.test", "")).body.decode()
    assert sms == []


def test_an_erased_card_cannot_ask(client, program, sms):  # noqa: F811
    card = enroll(client)
    stored = card_store.get(card["card_id"])
    stored.status, stored.erased_at = "erased", datetime.now(UTC).isoformat()
    stored.save()
    assert _ask(client, card).status_code == 404 and sms == []


def test_bad_asks_name_the_field(client, program):
    card = enroll(client)
    assert body(_ask(client, card, locale="fr"))["error"]["field"] == "locale"
    assert body(_ask(client, card, email="x@example.com"))["error"]["field"] == "email"


def test_a_link_that_could_not_be_sent_says_so(client, program, monkeypatch):
    card = enroll(client)  # no SMS gateway configured in this test: the text fails
    failed = _ask(client, card)
    assert failed.status_code == 503 and body(failed)["error"]["code"] == "link_not_sent"


def test_the_members_download_is_audited(client, merchant, program, sms):  # noqa: F811
    card = enroll(client)
    assert _ask(client, card).status_code == 202
    assert client.http.get(_link_in(sms[-1]["text"])).status_code == 200
    [entry] = _trail(client, merchant, "member.export")
    assert (entry["actor"], entry["target_type"], entry["target_id"], entry["program_id"]) == (
        "member", "card", card["card_id"], program["id"])


def test_masks():
    assert cases.mask_email("anna@mail.ru") == "a***@mail.ru"
    assert cases.mask_phone("+79161234567") == "+7 *** ***-45-67"
    assert cases.mask_phone("+4915112345678") == "+*** ***-56-78"


def test_the_api_role_may_do_what_the_export_and_the_link_need(client, merchant, program, member, sms, calls):  # noqa: F811
    calls.clear()
    card = member["card"]
    assert _export(client, merchant, card["card_id"]).status_code == 200
    plain = enroll(client, phone="+79160000003")
    assert _ask(client, plain).status_code == 202
    assert client.http.get(_link_in(sms[-1]["text"])).status_code == 200
    assert client.http.get(f"/c/{plain['card_id']}/data.json?t=forged").status_code == 404
    assert _allowed("api", calls) == []
    assert not [call for call in calls if call[0] == "Scan"]


def test_an_erased_members_export_holds_no_one(client, merchant, program):
    """After an erasure the owner's export still answers (the amounts stay), with no personal field:
    null, as the card's view shows them, never an empty string."""
    card = enroll(client, name="Gone Person", phone="+79160000066")
    erased = client.http.post(f"/admin/cards/{card['card_id']}/erase", headers=bearer(merchant),
                              body=json.dumps({"confirm": card["card_number"]}))
    assert erased.status_code == 200, erased.body
    doc = body(_export(client, merchant, card["card_id"]))
    assert doc["profile"] == {"name": None, "phone": None, "email": None, "birthday": None,
                              "locale": doc["profile"]["locale"], "created_at": doc["profile"]["created_at"]}
    assert doc["consents"] == [] and doc["referrals"]["code"] is None
    assert doc["card"]["status"] == "erased" and doc["card"]["number"] is None
    assert "Gone Person" not in json.dumps(doc, ensure_ascii=False) and "9160000066" not in json.dumps(doc)
