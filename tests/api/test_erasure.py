"""POST /admin/cards/{card_id}/erase: the owner erases a member, typing the card's number to confirm. Afterwards
the card is 'erased' with no personal field, nothing the member or staff use finds the person (the card list,
the customer search by name, phone or number, the till's look-up, the card link, its profile page, the bot),
the Apple pass is served voided with nothing personal and its device is let go once told, a second call
answers the same, and the rules of the house hold: owner only, another merchant's card 404, bad input a clear
error that erases nothing."""
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest

from chalicelib.jobs import outbox
from chalicelib.store import cards as card_store
from chalicelib.store.models import DeviceRegistration, LedgerEntry, Message, Receipt
from chalicelib.usecases import erasure
from chalicelib.usecases import telegram_bot as telegram_bot_cases
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
    assert client.http.post(f"/admin/cards/{member['card_id']}/adjustments", headers=bearer(merchant), body=json.dumps(
        {"amount": 15, "reason": "Vasya phoned, her cat", "idempotency_key": "r-1"})).status_code == 201
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
    # an admin's free-text reason may name the member: replaced in the ledger and in the stored answer
    ledger = body(client.http.get(f"/admin/cards/{member['card_id']}/ledger", headers=bearer(merchant)))["items"]
    assert [entry["reason"] for entry in ledger if entry["kind"] == "adjust"] == ["[erased]"]
    records = [r for r in Receipt.query(program["id"]) if r.card_id == member["card_id"]]
    assert len(records) == 2 and "Vasya" not in json.dumps([r.response for r in records], ensure_ascii=False)
    assert number not in json.dumps([r.response for r in records])

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
    card_store._number_cache[member["card_number"]] = member["card_id"]  # another container's warm cache
    assert pos.get(f"/pos/cards/{member['card_number']}").status_code == 404
    cached = pos.post("/pos/receipts", {"receipt_id": "e-4", "card": member["card_number"], "total": 1000})
    assert cached.status_code == 404 and body(cached)["error"]["code"] == "card_not_found"

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
    old_link = telegram_bot_cases.deep_link(card_store.get(member["card_id"])).split("start=", 1)[1]
    assert _erase(client, merchant, member["card_id"], member["card_number"]).status_code == 200

    def say(text):
        update = {"update_id": 2, "message": {"message_id": 2, "chat": {"id": CHAT, "type": "private"},
                                              "from": {"id": CHAT, "language_code": "en"}, "text": text}}
        client.http.post("/telegram/webhook", body=json.dumps(update), headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
        return telegram_bot[-1]["text"]

    assert "Open the bot from the link" in say("/balance")  # not linked any more
    assert say(f"/start {old_link}") == "This link is out of date or wrong."  # the old link links nothing
    assert card_store.get(member["card_id"]).telegram_chat_id is None


def test_a_blocked_card_can_be_erased_and_an_erased_one_cannot_be_edited(client, merchant, program, member):
    blocked = client.http.patch(f"/admin/cards/{member['card_id']}", headers=bearer(merchant),
                                body=json.dumps({"status": "blocked"}))
    assert blocked.status_code == 200
    assert _erase(client, merchant, member["card_id"], member["card_number"]).status_code == 200
    adjusted = client.http.post(f"/admin/cards/{member['card_id']}/adjustments", headers=bearer(merchant),
                                body=json.dumps({"amount": 10, "reason": "Vasilisa asked", "idempotency_key": "x1"}))
    assert adjusted.status_code == 409 and body(adjusted)["error"]["code"] == "card_erased"
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


def test_a_device_that_never_comes_back_is_let_go_after_30_days(client, merchant, program, wallet, member):  # noqa: F811
    card_id = member["card_id"]
    token = card_store.get(card_id).auth_token
    path = f"/passkit/v1/devices/silentdevice01/registrations/{PASS_TYPE_ID}/{card_id}"
    assert client.http.post(path, headers={"Authorization": f"ApplePass {token}", "Content-Type": "application/json"},
                            body=json.dumps({"pushToken": "silent-token-01"})).status_code == 201
    assert _erase(client, merchant, card_id, member["card_number"]).status_code == 200
    outbox.deliver(push=lambda token: apns.PushResult(200))
    assert [r.push_token for r in DeviceRegistration.query("silentdevice01")] == [""]  # kept, without its token
    outbox.deliver(datetime.now(UTC) + timedelta(days=29), push=lambda token: apns.PushResult(200))
    assert len(list(DeviceRegistration.query("silentdevice01"))) == 1
    counts = outbox.deliver(datetime.now(UTC) + timedelta(days=30, minutes=1), push=lambda token: apns.PushResult(200))
    assert counts["forgotten"] == 1 and list(DeviceRegistration.query("silentdevice01")) == []


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


def test_an_imported_members_row_is_blanked_in_the_import(client, merchant, program):
    from tests.integrations.test_imports import upload

    csv = ("name;phone;email;birthday;card number;balance;expires on;tier;total spend\n"
           "Ivan Importov;8 916 200-00-01;ivan@example.com;12.03.1990;;1500;2099-12-31;;\n"
           "Zero Balance;8 916 200-00-02;;;;0;;;\n"
           "Someone Else;8 916 200-00-03;;;;5;;;\n")
    checked = body(upload(client, merchant, program["id"], csv.encode()))
    assert client.http.post(f"/admin/programs/{program['id']}/imports/{checked['import_id']}/start",
                            headers=bearer(merchant), body="").status_code == 200
    cards = body(client.http.get(f"/admin/programs/{program['id']}/cards", headers=bearer(merchant)))["items"]
    report_path = f"/admin/programs/{program['id']}/imports/{checked['import_id']}"
    for name, phone in (("Ivan Importov", "+79162000001"), ("Zero Balance", "+79162000002")):
        card = next(row for row in cards if row["name"] == name)
        answer = body(_erase(client, merchant, card["id"], card["number"]))
        assert answer["removed"]["import_rows"] == 1, name
        from chalicelib.store import imports as import_store

        rows = [row for chunk in import_store.chunks(program["id"], checked["import_id"]) for row in chunk.members]
        text = json.dumps(rows, ensure_ascii=False)
        assert name not in text and phone not in text and card["number"] not in text
        assert "Someone Else" in text  # the other rows stay as they were
    view = client.http.get(report_path, headers=bearer(merchant))
    assert view.status_code == 200 and body(view)["imported"] == 3


def test_an_erased_cards_points_still_expire_on_their_day_and_no_one_is_warned(aws):
    from tests.store.test_triggers import _enroll, _program, _run

    program = _program()
    card = _enroll(program, name=NAME, phone=PHONE)
    expiry = date.fromisoformat(card_store.lots_of(card)[0].expires_on)
    erasure.erase(card.card_id, merchant_id="m_1", actor="system:retention", now=datetime.now(UTC))
    assert _run("expire_points", expiry - timedelta(days=7))["warned"] == 0  # no warning to an erased member
    assert list(Message.query(card.card_id)) == []
    burned = _run("expire_points", expiry)
    assert burned["points_expired"] == 100  # the points outstanding come down as they would have
    after = card_store.get(card.card_id, consistent=True)
    assert after.balance == 0 and after.status == "erased" and after.name == ""
    assert sum(int(entry.amount) for entry in LedgerEntry.query(card.card_id)) == 0


def test_the_phones_one_time_code_and_its_rate_counters_go(client, merchant, program, member):
    from chalicelib.store import codes, ratelimits
    from chalicelib.store.models import Guard

    now = datetime.now(UTC)
    codes.issue(program["id"], PHONE, "123456", now, 600)  # a code asked for at enrolment, still live
    ratelimits.take("code", f"{program['id']}#{PHONE}", 5, now.timestamp())
    ratelimits.take("recover", f"{program['id']}#{EMAIL}", 5, now.timestamp())
    ratelimits.take("join", f"{program['id']}#203.0.113.9", 5, now.timestamp())  # an address: not hers
    assert len(list(Guard.scan())) >= 4
    answer = body(_erase(client, merchant, member["card_id"], member["card_number"]))
    assert answer["removed"]["guards"] == 3
    assert not codes.redeem(program["id"], PHONE, "123456", now, 5)  # the code is gone
    left = [item.guard_key for item in Guard.scan()]
    assert any(key.startswith("join#") for key in left) and not any(key.startswith(("code#", "recover#"))
                                                                     for key in left)


def test_moysklads_id_for_the_member_leads_nowhere_and_finds_their_new_card(client, merchant, program):
    """MoySklad's till names a customer by its own counterparty id once it has named them by number or phone:
    that id must not lead back to the erased member, and once the member joins again and the till names the new
    card, the id alone finds the new card (not `customer_not_found` for ever)."""
    from chalicelib.store.models import Alias
    from tests.integrations.test_moysklad_contract import DOC_AGENT, STORE, Till, connect

    created = connect(client, merchant, program)
    till = Till(client, created["base_url"], created["token"])
    agent_id = DOC_AGENT["meta"]["id"]
    by_id = {"retailStore": STORE, "meta": {"href": "", "id": agent_id}}
    card = enroll(client, name=NAME, phone=PHONE)
    named = {"retailStore": STORE, **DOC_AGENT, "discountCardNumber": card["card_number"], "phone": PHONE}
    assert till.post("/counterparty/detail", named).status_code == 200
    assert till.post("/counterparty/detail", by_id).status_code == 200  # known by MoySklad's id alone now

    assert _erase(client, merchant, card["card_id"], card["card_number"]).status_code == 200
    left = [item.alias for item in Alias.scan() if agent_id in item.alias or item.owner_id == agent_id]
    assert left == []  # nothing maps MoySklad's id for the person to the erased card
    assert till.post("/counterparty/detail", by_id).status_code == 404

    again = enroll(client, name=NAME, phone=PHONE)
    assert till.post("/counterparty/detail", {**named, "discountCardNumber": again["card_number"]}).status_code == 200
    found = till.post("/counterparty/detail", by_id)
    assert found.status_code == 200, found.body  # the new card, by MoySklad's id alone
    assert body(found) == {"bonusProgram": {"agentBonusBalance": 100}}


def test_an_imported_members_row_is_found_by_its_card_in_one_chunk_and_a_joined_member_in_none(
        client, merchant, program, monkeypatch):
    """Erasing reads only what holds the member: an imported member's row is blanked in its own chunk of the
    file's checked rows (not every chunk of a large file); a member who joined on the page is in no import, so no
    import's rows are read or worked through for them."""
    from chalicelib.store import imports as import_store
    from chalicelib.usecases import imports as import_cases
    from tests.integrations.test_imports import upload

    monkeypatch.setattr(import_cases, "CHUNK_ROWS", 2)  # a file of several chunks
    rows = "".join(f"Member Number{n};8 916 300-00-{n:02d};;;;{n};2099-12-31;;\n" for n in range(1, 8))
    csv = "name;phone;email;birthday;card number;balance;expires on;tier;total spend\n" + rows
    checked = body(upload(client, merchant, program["id"], csv.encode()))
    assert client.http.post(f"/admin/programs/{program['id']}/imports/{checked['import_id']}/start",
                            headers=bearer(merchant), body="").status_code == 200
    assert len(import_store.chunks(program["id"], checked["import_id"])) == 4
    joined = enroll(client, name=NAME, phone=PHONE)
    cards = body(client.http.get(f"/admin/programs/{program['id']}/cards?limit=100", headers=bearer(merchant)))["items"]
    fifth = next(row for row in cards if row["name"] == "Member Number5")

    read: list[str] = []
    real_query, real_get = import_store.ChunkItem.query, import_store.ChunkItem.get
    hashed: list[int] = []
    real_hash = import_cases.member_card_id
    monkeypatch.setattr(import_store.ChunkItem, "query", lambda *a, **k: read.append("query") or real_query(*a, **k))
    monkeypatch.setattr(import_store.ChunkItem, "get", lambda *a, **k: read.append("get") or real_get(*a, **k))
    monkeypatch.setattr(import_cases, "member_card_id", lambda *a: hashed.append(1) or real_hash(*a))

    assert body(_erase(client, merchant, joined["card_id"], joined["card_number"]))["removed"]["import_rows"] == 0
    assert (read, hashed) == ([], [])  # the page's member: no import looked through
    answer = body(_erase(client, merchant, fifth["id"], fifth["number"]))
    assert answer["removed"]["import_rows"] == 1 and read == ["get"]  # its one chunk
    monkeypatch.undo()
    text = json.dumps([chunk.members for chunk in import_store.chunks(program["id"], checked["import_id"])])
    assert "Number5" not in text and "+79163000005" not in text and fifth["number"] not in text
    assert all(f"Number{n}" in text for n in (1, 2, 3, 4, 6, 7))  # the other rows stay
