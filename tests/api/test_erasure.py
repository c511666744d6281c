"""POST /admin/cards/{card_id}/erase: the owner erases a member, typing the card's number to confirm. Afterwards
the card is 'erased' with no personal field, nothing the member or staff use finds the person (the card list,
the customer search by name, phone or number, the till's look-up, the card link, its profile page, the bot),
the Apple pass is served voided with nothing personal and its device is let go once told, a second call
answers the same, and the rules of the house hold: owner only, another merchant's card 404, bad input a clear
error that erases nothing."""
import io
import json
import zipfile
from urllib.parse import quote

import pytest

from chalicelib.jobs import outbox
from chalicelib.store import cards as card_store
from chalicelib.store.models import DeviceRegistration, LedgerEntry, Message
from chalicelib.wallet import apns
from infra import template
from tests.api.test_surveys import CHAT, _link_telegram
from tests.conftest import TELEGRAM_SECRET, bearer, body, enroll
from tests.infra.test_least_privilege import _allowed, calls  # noqa: F401 (fixture)
from tests.wallet.test_apple_pass import PASS_TYPE_ID, certs, wallet  # noqa: F401 (fixtures)

NAME, PHONE, EMAIL = "Vasilisa Stiraeva", "+79165550101", "vasilisa@example.com"


def _erase(client, merchant, card_id, confirm=None, role="owner", raw=None):
    data = raw if raw is not None else json.dumps({} if confirm is None else {"confirm": confirm})
    return client.http.post(f"/admin/cards/{card_id}/erase", headers=bearer(merchant, role), body=data)


def _card(client, merchant, card_id):
    return client.http.get(f"/admin/cards/{card_id}", headers=bearer(merchant))


@pytest.fixture
def member(client, program):
    return enroll(client, name=NAME, phone=PHONE, email=EMAIL, birthday="1990-01-02")


def test_the_owner_erases_and_the_card_shows_no_one(client, merchant, program, pos, member):
    pos.post("/pos/receipts", {"receipt_id": "e-1", "card": member["card_number"], "total": 40000})
    before = body(_card(client, merchant, member["card_id"]))
    number = member["card_number"]
    spaced = " ".join(number[i:i + 4] for i in range(0, len(number), 4))

    erased = _erase(client, merchant, member["card_id"], spaced)  # typed as printed, with spaces
    assert erased.status_code == 200, erased.body
    answer = body(erased)
    assert answer["card_id"] == member["card_id"] and answer["status"] == "erased" and answer["erased_at"]
    assert answer["removed"]["aliases"] == 4  # number, phone, referral code, e-mail recovery

    view = body(_card(client, merchant, member["card_id"]))
    assert view["status"] == "erased" and view["erased_at"] == answer["erased_at"]
    for field in ("name", "number", "phone", "email", "birthday", "ref_code", "card_url", "apple_pass_url",
                  "google_save_url"):
        assert view[field] is None, field
    # what the business keeps: the balance, the tier, the stats, the ledger adding up to the balance
    assert (view["balance"], view["tier"], view["stats"]) == (before["balance"], before["tier"], before["stats"])
    entries = list(LedgerEntry.query(member["card_id"]))
    assert sum(int(entry.amount) for entry in entries) == view["balance"] == int(entries[-1].balance_after)

    again = _erase(client, merchant, member["card_id"], "anything at all")  # idempotent: the same answer
    assert again.status_code == 200 and body(again) == answer
    assert _erase(client, merchant, member["card_id"], raw='{"confirm": 12}').status_code == 200


def test_nothing_finds_the_person_afterwards(client, merchant, program, pos, member):
    page = member["card_url"].replace("https://loyalty.test", "")
    assert client.http.get(page).status_code == 200
    assert _erase(client, merchant, member["card_id"], member["card_number"]).status_code == 200

    listed = body(client.http.get(f"/admin/programs/{program['id']}/cards", headers=bearer(merchant)))["items"]
    assert [(row["id"], row["name"], row["number"], row["status"]) for row in listed] == [
        (member["card_id"], None, None, "erased")]
    for query in (NAME, "Vasilisa", PHONE, "8 916 555-01-01", member["card_number"]):
        found = client.http.get(f"/admin/programs/{program['id']}/customers?q={quote(query, safe='')}",
                                headers=bearer(merchant))
        assert found.status_code == 200 and body(found)["items"] == [], query
    by_search = client.http.get(f"/admin/programs/{program['id']}/cards?q={quote(PHONE, safe='')}",
                                headers=bearer(merchant))
    assert by_search.status_code in (200, 404) and NAME not in by_search.body.decode()

    # the till: the old number is an unknown card; a receipt naming it is refused like any unknown number
    assert pos.get(f"/pos/cards/{member['card_number']}").status_code == 404
    refused = pos.post("/pos/receipts", {"receipt_id": "e-2", "card": member["card_number"], "total": 1000})
    assert refused.status_code == 404 and body(refused)["error"]["code"] == "card_not_found"
    assert pos.post("/pos/receipts", {"receipt_id": "e-3", "total": 1000}).status_code == 200  # a non-member sale

    # the member's own links: the card page, its pass, its profile page
    assert client.http.get(page).status_code == 404
    assert client.http.get(member["apple_pass_url"].replace("https://loyalty.test", "")).status_code == 404
    profile = page.replace("?k=", "/profile?k=")
    assert client.http.get(profile).status_code == 404

    # joining again with the same phone is a new member, not the erased one
    again = enroll(client, name="Someone New", phone=PHONE)
    assert again["card_id"] != member["card_id"] and again["balance"] == 100


def test_the_bot_forgets_the_chat(client, merchant, program, telegram_bot, member):
    _link_telegram(client, member)
    assert card_store.get(member["card_id"]).telegram_chat_id == CHAT
    assert _erase(client, merchant, member["card_id"], member["card_number"]).status_code == 200
    update = {"update_id": 2, "message": {"message_id": 2, "chat": {"id": CHAT, "type": "private"},
                                          "from": {"id": CHAT, "language_code": "en"}, "text": "/balance"}}
    client.http.post("/telegram/webhook", body=json.dumps(update),
                     headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert "Open the bot from the link" in telegram_bot[-1]["text"]  # not linked any more
    assert card_store.get(member["card_id"]).telegram_chat_id is None


def test_a_blocked_card_can_be_erased_and_an_erased_one_cannot_be_edited(client, merchant, program, member):
    blocked = client.http.patch(f"/admin/cards/{member['card_id']}", headers=bearer(merchant),
                                body=json.dumps({"status": "blocked"}))
    assert blocked.status_code == 200
    assert _erase(client, merchant, member["card_id"], member["card_number"]).status_code == 200
    for edit in ({"status": "active"}, {"name": "Back Again"}):
        refused = client.http.patch(f"/admin/cards/{member['card_id']}", headers=bearer(merchant),
                                    body=json.dumps(edit))
        assert refused.status_code == 409 and body(refused)["error"]["code"] == "card_erased"
    assert body(_card(client, merchant, member["card_id"]))["status"] == "erased"


def test_only_the_owner_of_this_merchant_erases_and_bad_input_erases_nothing(client, merchant, other_merchant,
                                                                             program, member):
    card_id, number = member["card_id"], member["card_number"]
    for role in ("manager", "analyst", "cashier"):
        refused = _erase(client, merchant, card_id, number, role=role)
        assert refused.status_code == 403 and body(refused)["error"]["code"] == "forbidden", role
    foreign = _erase(client, other_merchant, card_id, number)
    assert foreign.status_code == 404
    assert _erase(client, merchant, "c_nosuchcard", number).status_code == 404
    for confirm, code in ((None, "confirm_mismatch"), ("", "confirm_mismatch"), (number[:-1], "confirm_mismatch"),
                          ("Vasilisa", "confirm_mismatch")):
        wrong = _erase(client, merchant, card_id, confirm)
        assert wrong.status_code == 422, (confirm, wrong.body)
        assert body(wrong)["error"]["code"] == code and body(wrong)["error"]["field"] == "confirm"
    for raw in ("", "[1]", "{", json.dumps({"confirm": number, "also": 1}), json.dumps({"confirm": 5})):
        bad = _erase(client, merchant, card_id, raw=raw)
        assert 400 <= bad.status_code < 500 and "error" in body(bad), raw
    too_long = _erase(client, merchant, card_id, "9" * 65)
    assert too_long.status_code in (400, 422) and body(too_long)["error"]["field"] == "confirm"
    view = body(_card(client, merchant, card_id))
    assert view["status"] == "active" and view["name"] == NAME and view["phone"] == PHONE  # nothing erased


def test_the_erasure_needs_no_more_than_the_roles_allow(client, merchant, program, pos, member, calls):  # noqa: F811
    pos.post("/pos/receipts", {"receipt_id": "p-1", "card": member["card_number"], "total": 40000})
    calls.clear()
    assert _erase(client, merchant, member["card_id"], member["card_number"]).status_code == 200
    assert _allowed("api", calls) == []
    assert any(index == "by_card" for _, _, index in calls)  # the receipts by their card, not a scan
    assert not [call for call in calls if call[0] == "Scan"]
    calls.clear()
    outbox.deliver(push=lambda token: apns.PushResult(200))
    assert _allowed("outbox", calls) == []
    assert "dynamodb:Query@by_card" in template.ERASE["receipts"]


def _download(client, card_id, token):
    return client.http.get(f"/passkit/v1/passes/{PASS_TYPE_ID}/{card_id}",
                           headers={"Authorization": f"ApplePass {token}"})


def test_the_apple_pass_is_voided_and_its_device_let_go_once_told(client, merchant, program, wallet, member):  # noqa: F811
    card_id = member["card_id"]
    token = card_store.get(card_id).auth_token
    device, push_token = "devicevasilisa01", "pushtoken-vasilisa-77"
    path = f"/passkit/v1/devices/{device}/registrations/{PASS_TYPE_ID}/{card_id}"
    auth = {"Authorization": f"ApplePass {token}", "Content-Type": "application/json"}
    assert client.http.post(path, headers=auth, body=json.dumps({"pushToken": push_token})).status_code == 201
    listed = body(client.http.get(f"/passkit/v1/devices/{device}/registrations/{PASS_TYPE_ID}"))
    outbox.deliver(push=lambda token: apns.PushResult(200))

    assert _erase(client, merchant, card_id, member["card_number"]).status_code == 200
    pushed = []
    outbox.deliver(push=lambda token: pushed.append(token) or apns.PushResult(200))
    assert pushed == [push_token]  # the device is told the pass changed
    assert [r.push_token for r in DeviceRegistration.query(device)] == [""]  # and the token is not kept

    changed = client.http.get(f"/passkit/v1/devices/{device}/registrations/{PASS_TYPE_ID}"
                              f"?passesUpdatedSince={listed['lastUpdated']}")
    assert changed.status_code == 200 and body(changed)["serialNumbers"] == [card_id]
    served = _download(client, card_id, token)
    assert served.status_code == 200
    with zipfile.ZipFile(io.BytesIO(served.body)) as archive:
        document = json.loads(archive.read("pass.json"))
    assert document["voided"] is True and "barcodes" not in document
    text = json.dumps(document, ensure_ascii=False)
    for value in (NAME, member["card_number"], PHONE, EMAIL, "?k="):
        assert value not in text
    # the device asks again with the tag it was given: nothing new, and its registration goes
    told = body(changed)["lastUpdated"]
    assert client.http.get(f"/passkit/v1/devices/{device}/registrations/{PASS_TYPE_ID}"
                           f"?passesUpdatedSince={told}").status_code == 204
    assert list(DeviceRegistration.query(device)) == []
    # a device registering the erased pass again keeps no token
    assert client.http.post(path, headers=auth, body=json.dumps({"pushToken": "another-token-1"})).status_code == 200
    assert list(DeviceRegistration.query(device)) == []


def test_messages_and_their_outbox_items_go(client, merchant, program, member):
    created = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                               body=json.dumps({"name": "Hi", "texts": {"ru": "Привет", "en": "Hi"}}))
    campaign = body(created)
    assert client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                            headers=bearer(merchant)).status_code == 200
    assert list(Message.query(member["card_id"]))
    answer = body(_erase(client, merchant, member["card_id"], member["card_number"]))
    assert answer["removed"]["messages"] >= 1 and answer["removed"]["outbox_items"] >= 1
    assert list(Message.query(member["card_id"])) == []
    messages = client.http.get(f"/admin/cards/{member['card_id']}/messages", headers=bearer(merchant))
    assert messages.status_code == 200 and body(messages)["items"] == []
