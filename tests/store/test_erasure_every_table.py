"""Erasing a member, checked over every table and every index: a member with everything (joined with an e-mail,
a birthday and marketing consent; bought, refunded; an adjustment whose reason names her; a campaign message;
an experiment assignment; a survey answer with a comment; an Apple device, a Telegram chat, a Google object)
is erased, the outbox delivers the voiding push and the expired Google object, and then every item of every
table in ALL_MODELS, and of every index of each, is scanned (a test may scan) for any of her personal values.
A table added to ALL_MODELS later is scanned the same way without a change here."""
import json
from datetime import UTC, date, datetime, time, timedelta

import boto3
import pytest

from chalicelib.jobs import outbox, triggers
from chalicelib.store import cards as card_store
from chalicelib.store.models import ALL_MODELS, Card, DeviceRegistration, LedgerEntry, Receipt
from chalicelib.usecases import telegram_bot
from chalicelib.wallet import apns
from tests.api.test_surveys import SURVEY, _link_telegram, _post, _set_mechanics, _token, _waiting_surveys
from tests.conftest import TELEGRAM_SECRET, bearer, body, enroll
from tests.wallet.test_apple_pass import PASS_TYPE_ID, certs, wallet  # noqa: F401 (fixtures)
from tests.wallet.test_google import ISSUER, standin  # noqa: F401 (fixture)

NAME, PHONE, EMAIL, BIRTHDAY = "Zinaida Erasova", "+79161234567", "zinaida.erasova@example.com", "1987-03-14"
PUSH_TOKEN, DEVICE = "pushtoken-of-zinaida-0042", "device0042zinaida"
PUSHED: list[str] = []
CHAT = 987650123456  # long enough that no timestamp or amount holds it by chance


def _link_telegram(client, card):
    payload = telegram_bot.deep_link(card_store.get(card["card_id"])).split("start=", 1)[1]
    update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": CHAT, "type": "private"},
                                          "from": {"id": CHAT, "language_code": "ru"}, "text": f"/start {payload}"}}
    response = client.http.post("/telegram/webhook", body=json.dumps(update), headers={
        "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert response.status_code == 200 and card_store.get(card["card_id"]).telegram_chat_id == CHAT


def _push(token):
    PUSHED.append(token)
    return apns.PushResult(200)


def _deliver(at=None):
    for _ in range(2):  # a waiting notice, then the channels' messages it queued
        outbox.deliver(at, push=_push)


def _summary(client, merchant, program):
    today = datetime.now(UTC).date()
    query = f"from={(today - timedelta(days=3)).isoformat()}&to={(today + timedelta(days=1)).isoformat()}"
    summary = body(client.http.get(f"/admin/programs/{program['id']}/analytics/summary?{query}",
                                   headers=bearer(merchant)))
    summary.pop("items_read")  # what the summary cost to read, not what it says
    return summary


@pytest.fixture
def member(client, merchant, program, pos, ses, telegram_bot, wallet, standin):  # noqa: F811 (fixtures)
    """A member with something in every table that can hold her data; returns what identifies her."""
    _set_mechanics(client, merchant, program, survey=SURVEY, messaging={"quiet_hours": None}, birthday={"bonus": 50})
    card = enroll(client, name=NAME, phone=PHONE, email=EMAIL, birthday=BIRTHDAY, marketing_consent=True)
    stored = card_store.get(card["card_id"])
    access_key = stored.access_key
    # Apple: a device registers for her pass; Google: the save link inserts her object; Telegram: her chat
    registered = client.http.post(f"/passkit/v1/devices/{DEVICE}/registrations/{PASS_TYPE_ID}/{card['card_id']}",
                                  headers={"Authorization": f"ApplePass {stored.auth_token}",
                                           "Content-Type": "application/json"},
                                  body=json.dumps({"pushToken": PUSH_TOKEN}))
    assert registered.status_code == 201
    assert client.http.get(card["google_save_url"].replace("https://loyalty.test", "")).status_code in (200, 302)
    _link_telegram(client, card)
    # a sale, a refund, an adjustment naming her
    assert pos.post("/pos/receipts", {"receipt_id": "zr-1", "card": card["card_number"], "total": 50000}
                    ).status_code == 200
    assert pos.post("/pos/refunds", {"refund_id": "zf-1", "receipt_id": "zr-1", "amount": 10000}).status_code == 200
    adjusted = client.http.post(f"/admin/cards/{card['card_id']}/adjustments", headers=bearer(merchant),
                                body=json.dumps({"amount": 30, "reason": f"Sorry {NAME}, {PHONE} called",
                                                 "idempotency_key": "adj-1"}))
    assert adjusted.status_code == 201, adjusted.body
    # the survey the sale asked, answered with a comment naming her
    waiting = _waiting_surveys(card["card_id"])
    due = datetime.fromtimestamp(int(waiting[0].due_at) / 1_000_000, UTC)
    _deliver(due + timedelta(seconds=1))
    sent = [m for m in telegram_bot if "/survey/" in m.get("text", "")]
    token = _token(sent[0]["text"])
    assert _post(client, token, score="9").status_code == 200
    assert _post(client, token, comment="Zinaida+Erasova+loves+it").status_code == 200
    # a campaign with a holdout (her assignment) that reaches her (her message)
    created = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant), body=json.dumps(
        {"name": "Spring", "texts": {"ru": "Весна!", "en": "Spring!"}, "bonus": 5, "holdout_percent": 1}))
    assert created.status_code == 201, created.body
    campaign = body(created)
    assert client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                            headers=bearer(merchant)).status_code == 200
    _deliver()
    # her birthday greeting, by name
    day = date(datetime.now(UTC).year + 1, 3, 14)
    assert triggers.birthdays(day, now=datetime.combine(day, time(9), tzinfo=UTC))["gifts"] == 1
    return {"card": card, "access_key": access_key, "auth_token": stored.auth_token}


def _values(member):
    number = member["card"]["card_number"]
    return {"name": NAME, "first name": "Zinaida", "surname": "Erasova", "phone": PHONE, "phone digits": PHONE[1:],
            "local phone": PHONE[2:], "e-mail": EMAIL, "e-mail name": "zinaida.erasova", "birthday": BIRTHDAY,
            "card number": number, "push token": PUSH_TOKEN, "telegram chat": str(CHAT),
            "access key": member["access_key"]}


def _scan(table, index=None):
    dynamodb = boto3.client("dynamodb", region_name="eu-central-1")
    request = {"TableName": table, **({"IndexName": index} if index else {})}
    while True:
        page = dynamodb.scan(**request)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _leftovers(values):
    """(table, index, what, item) for every item of every table and index that holds one of `values`."""
    dynamodb = boto3.client("dynamodb", region_name="eu-central-1")
    found, scanned = [], []
    for model in ALL_MODELS:
        table = model.Meta.table_name
        described = dynamodb.describe_table(TableName=table)["Table"]
        indexes = [None, *(index["IndexName"] for index in described.get("GlobalSecondaryIndexes", []))]
        for index in indexes:
            scanned.append((table, index))
            for item in _scan(table, index):
                text = json.dumps(item, ensure_ascii=False)
                found += [(table, index, what, text[:300]) for what, value in values.items() if value in text]
    return found, scanned


def test_erasing_leaves_no_personal_value_in_any_table_or_index(client, merchant, program, member, standin):  # noqa: F811
    card_id = member["card"]["card_id"]
    values = _values(member)
    before, _ = _leftovers(values)
    tables_holding = {table for table, *_ in before}
    # the member really is in every kind of table the erasure must clean (else this test proves nothing)
    for name in ("cards", "aliases", "ledger", "receipts", "messages", "devices", "assignments"):
        assert any(table.endswith(name) for table in tables_holding), (name, sorted(tables_holding))
    summary_before = _summary(client, merchant, program)
    dynamodb = boto3.client("dynamodb", region_name="eu-central-1")
    tables_before = set(dynamodb.list_tables()["TableNames"])

    erased = client.http.post(f"/admin/cards/{card_id}/erase", headers=bearer(merchant),
                              body=json.dumps({"confirm": member["card"]["card_number"]}))
    assert erased.status_code == 200, erased.body
    report = body(erased)
    assert report["status"] == "erased" and report["erased_at"]
    assert report["removed"]["aliases"] == 5  # number, phone, referral code, e-mail recovery, Telegram chat
    assert report["removed"]["messages"] >= 2 and report["removed"]["receipts"] == 2
    assert report["removed"]["ledger_reasons"] == 1 and report["removed"]["survey_comments"] == 1
    assert report["removed"]["assignments"] == 1

    PUSHED.clear()
    _deliver()  # the outbox: the push that voids the Apple pass, the Google object expired
    assert PUSHED == [PUSH_TOKEN]

    found, scanned = _leftovers(values)
    assert found == []
    every_table = {model.Meta.table_name for model in ALL_MODELS}
    assert {table for table, _ in scanned} == every_table
    assert any(index for _, index in scanned)  # the indexes too
    assert tables_before == every_table  # the app's tables are exactly ALL_MODELS' (tables.create_tables)

    # what the business keeps: the receipts' amounts, the ledger adding up, the analytics unchanged
    stored = Card.get(card_id)
    entries = list(LedgerEntry.query(card_id))
    assert sum(int(entry.amount) for entry in entries) == int(stored.balance) == int(entries[-1].balance_after)
    assert {int(receipt.total) for receipt in Receipt.query(program["id"])
            if receipt.receipt_key.startswith("receipt#")} == {50000}
    assert _summary(client, merchant, program) == summary_before
    # the wallets: the device stays registered without a token until it is told; Google's copy is expired
    assert [(r.device_id, r.push_token) for r in DeviceRegistration.query(DEVICE)] == [(DEVICE, "")]
    google = standin["state"].resources["loyaltyObject"][f"{ISSUER}.{card_id}"]
    assert google["state"] == "EXPIRED"
    assert not [what for what, value in values.items() if value in json.dumps(google, ensure_ascii=False)]
