"""The outbox delivers item by item: one failing item (any exception, any refusal) never stops the
others, is retried with backoff and parked for admins; concurrent runners deliver each message once;
a send whose answer never came is not repeated."""
import base64
import json
import os
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import config
from chalicelib.jobs import outbox
from chalicelib.store import card_channels
from chalicelib.store import cards as card_store
from chalicelib.store import outbox as outbox_store
from chalicelib.store.models import Message, OutboxItem, Program
from chalicelib.wallet import apns
from tests.conftest import PROGRAM, bearer, body, enroll, ses_sent
from tests.infra.test_least_privilege import calls  # noqa: F401 (fixture)
from tests.wallet.test_google import ISSUER, _save, standin  # noqa: F401 (fixture)

TOKEN = "42:test-token"


def _ok(token):
    return apns.PushResult(200)


def _second_program(client, merchant, slug="tea"):
    response = client.http.post("/admin/programs", headers=bearer(merchant),
                                body=json.dumps({**PROGRAM, "name": "Tea House", "slug": slug}))
    assert response.status_code == 201, response.body
    return body(response)


def _break_branding(program_id):
    """Branding saved with a lone surrogate (as older data may hold): no JSON encoder for the wire takes it."""
    stored = Program.get(program_id)
    stored.branding = {**(stored.branding or {}), "organization_name": "Caf\ud800"}
    stored.save()


def _pass_changed(card_id, now):
    touched = card_store.get(card_store.touch_pass(card_id, now).card_id, consistent=True)
    for item in outbox_store.pass_changed(touched, now):
        item.save()


def _parked(client, merchant, program_id, role="owner"):
    return client.http.get(f"/admin/programs/{program_id}/outbox?state=parked", headers=bearer(merchant, role))


def test_a_refused_google_class_does_not_hold_back_another_programs_cards(client, merchant, program, standin,
                                                                          other_merchant, capsys):
    tea = _second_program(client, merchant)
    card = enroll(client, slug="tea")
    assert _save(client, card).status_code == 302  # the card has its object at Google
    _break_branding(program["id"])
    coffee = enroll(client, phone="+79160000009")
    refused = _save(client, coffee)  # the broken program's own customers get a clear answer, not a 500
    assert refused.status_code == 503 and body(refused)["error"]["code"] == "google_wallet_unavailable"
    now = datetime.now(UTC)
    outbox_store.google_class_changed(program["id"], now - timedelta(seconds=5))  # first in the round
    _pass_changed(card["card_id"], now)

    counts = outbox.deliver(now, push=_ok)  # no exception escapes the round
    assert ("PATCH", f"/walletobjects/v1/loyaltyObject/{ISSUER}.{card['card_id']}") in standin["state"].calls
    assert counts["google"] == 1 and counts["retry"] == 1
    waiting = outbox_store.get("wallet", f"gclass#{program['id']}")
    assert int(waiting.attempts) == 1 and "UnicodeEncodeError" in waiting.last_error
    assert int(waiting.due_at) > outbox_store.db.micros(now)  # backing off

    later = now
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        later += timedelta(hours=2)
        outbox.deliver(later, push=_ok)
    assert outbox_store.get("wallet", f"gclass#{program['id']}") is None
    assert '"OutboxParked":1' in capsys.readouterr().out

    listed = _parked(client, merchant, program["id"], "manager")
    assert listed.status_code == 200
    [item] = body(listed)["items"]
    assert item["kind"] == "google_class" and item["attempts"] == outbox.MAX_ATTEMPTS
    assert "UnicodeEncodeError" in item["reason"] and item["parked_at"]
    assert body(_parked(client, merchant, tea["id"]))["items"] == []  # per program
    assert _parked(client, merchant, program["id"], "analyst").status_code == 403
    assert _parked(client, other_merchant, program["id"]).status_code == 404  # another tenant's program
    assert client.http.get(f"/admin/programs/{program['id']}/outbox?state=nonsense",
                           headers=bearer(merchant)).status_code == 400

    stored = Program.get(program["id"])  # the owner fixes the branding, then retries the parked item
    stored.branding = {**stored.branding, "organization_name": "Cafe"}
    stored.save()
    retry = f"/admin/programs/{program['id']}/outbox/{item['id']}/retry"
    assert client.http.post(retry, headers=bearer(other_merchant)).status_code == 404
    answer = client.http.post(retry, headers=bearer(merchant))
    assert answer.status_code == 202 and body(answer)["state"] == "queued"
    assert client.http.post(retry, headers=bearer(merchant)).status_code == 404  # not parked any more
    assert client.http.post(f"/admin/programs/{program['id']}/outbox/bm90LWFuLWlk!/retry",
                            headers=bearer(merchant)).status_code == 400
    assert outbox.deliver(later + timedelta(seconds=1), push=_ok)["google"] == 1
    assert standin["state"].resources["loyaltyClass"][f"{ISSUER}.{program['id']}"]["issuerName"] == "Cafe"
    assert body(_parked(client, merchant, program["id"]))["items"] == []


def test_any_exception_of_one_item_is_that_items_alone(aws, program, pos, monkeypatch):
    """A crash inside one push (say a broken registration) is retried; the other cards still get theirs."""
    from chalicelib.store import devices

    cards = [enroll(pos.client, phone=f"+7916444000{i}") for i in range(3)]
    now = datetime.now(UTC)
    for index, card in enumerate(cards):
        devices.register(f"dev{index}", "pass.dev.loyalty.local", card["card_id"], f"tok-{index}", now)
        _pass_changed(card["card_id"], now + timedelta(microseconds=index))
    pushed = []

    def push(token):
        if token == "tok-0":
            raise RuntimeError("boom")
        pushed.append(token)
        return apns.PushResult(200)

    counts = outbox.deliver(now + timedelta(seconds=1), push=push)
    assert sorted(pushed) == ["tok-1", "tok-2"] and counts["retry"] == 1
    assert [i.card_id for i in outbox_store.due(now + timedelta(hours=1))] == [cards[0]["card_id"]]


# --- exactly once ----------------------------------------------------------------------------------

@pytest.fixture
def atomic_dynamodb(monkeypatch):
    """moto in-process checks a condition and writes in separate steps, so two threads can both pass
    one condition; DynamoDB applies each request atomically. As the local stack does
    (chalicelib/local_dynamodb.py), requests to the stand-in are taken one at a time."""
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    call = DynamoHandler.call_action

    def one_at_a_time(self):
        with lock:
            return call(self)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)


def _subscribers(client, merchant, program, count):
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),  # whatever the hour now
                      body=json.dumps({"mechanics": {"messaging": {"quiet_hours": None, "max_per_week": 100}}}))
    cards = []
    for index in range(count):
        card = enroll(client, phone=f"+791655500{index:02d}", email=f"c{index}@example.com", marketing_consent=True)
        # linked in the bot: the chat and its consent record (core/consents.py), as the bot writes them
        card_channels.link_telegram(card_store.get(card["card_id"]), 9000 + index, datetime.now(UTC),
                                    consent=("The bot will send offers here.", "telegram_bot"))
        cards.append(card)
    return cards


def _campaign(client, merchant, program, text):
    created = body(client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                                    body=json.dumps({"name": text, "texts": {"ru": text}, "holdout_percent": 0,
                                                     "channels": ["email", "telegram"]})))
    sent = client.http.post(f"/admin/programs/{program['id']}/campaigns/{created['id']}/send",
                            headers=bearer(merchant))
    assert sent.status_code == 200, sent.body
    return created["id"]


def _two_runners_at_once(monkeypatch):
    """Two outbox runs (say the stream's and the minute schedule's) that both read the same due items
    before either delivers any."""
    both_read = threading.Barrier(2)
    read = outbox_store.due

    def due(now, limit=500):
        items = read(now, limit)
        both_read.wait(timeout=30)
        return items

    monkeypatch.setattr(outbox_store, "due", due)
    results, errors = [], []

    def run():
        try:
            results.append(outbox.deliver(push=_ok))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    monkeypatch.setattr(outbox_store, "due", read)
    assert not errors, errors
    return results


def test_two_runners_at_once_deliver_every_message_exactly_once(client, merchant, program, ses, telegram_bot,
                                                                atomic_dynamodb, monkeypatch):
    cards = _subscribers(client, merchant, program, 8)
    for round_ in range(5):
        emails, chats = len(ses_sent()), len(telegram_bot)
        campaign_id = _campaign(client, merchant, program, f"Round {round_}")
        results = _two_runners_at_once(monkeypatch)
        texts = [m["text"] for m in telegram_bot[chats:]]
        assert sorted(texts) == [f"Round {round_}"] * len(cards)  # each chat once
        assert len(ses_sent()) - emails == len(cards)  # each address once
        assert sorted(m.destinations["ToAddresses"][0] for m in ses_sent()[emails:]) == \
            sorted(f"c{i}@example.com" for i in range(len(cards)))
        assert sum(r.get("messages", 0) for r in results) == 2 * len(cards)
        assert sum(r.get("skipped", 0) for r in results) > 0  # they did meet
        campaign = body(client.http.get(f"/admin/programs/{program['id']}/campaigns/{campaign_id}",
                                        headers=bearer(merchant)))
        assert campaign["counts"]["delivered"] == 2 * len(cards) and campaign["counts"]["failed"] == 0
    assert outbox_store.due(datetime.now(UTC) + timedelta(days=1)) == []


def test_a_telegram_send_that_timed_out_is_not_sent_again(client, merchant, program, telegram_bot, monkeypatch):
    import httpx

    from chalicelib.channels import telegram

    cards = _subscribers(client, merchant, program, 1)
    impatient = httpx.Client(timeout=httpx.Timeout(1.0, read=0.3))  # Telegram will answer after 1 s
    monkeypatch.setattr(telegram, "_http", lambda: impatient)
    httpx.put(f"{os.environ['TELEGRAM_API_BASE']}/standin/slow", json={"seconds": 1.0, "count": 1})
    campaign_id = _campaign(client, merchant, program, "Once")
    now = datetime.now(UTC)
    for hours in (0, 1, 3, 8, 24):
        outbox.deliver(now + timedelta(hours=hours), push=_ok)
    assert [m["text"] for m in telegram_bot] == ["Once"]  # Telegram got it once, though it answered late
    records = [(m.channel, m.outcome) for m in Message.query(cards[0]["card_id"])]
    assert ("telegram", "unknown") in records and ("telegram", "sent") not in records
    campaign = body(client.http.get(f"/admin/programs/{program['id']}/campaigns/{campaign_id}",
                                    headers=bearer(merchant)))
    assert campaign["counts"]["delivered"] == 0 and campaign["counts"]["failed"] == 1
    impatient.close()


def test_an_unreachable_telegram_is_retried_and_then_parked(client, merchant, program, monkeypatch):
    """Connection refused: nothing was sent, so it is safe to try again; after MAX_ATTEMPTS the message
    is parked, recorded as failed and counted once on its campaign."""
    from chalicelib.channels import telegram

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens here
    monkeypatch.setenv("TELEGRAM_API_BASE", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    config.reset()
    telegram.credentials.cache_clear()
    cards = _subscribers(client, merchant, program, 1)
    campaign_id = _campaign(client, merchant, program, "Hello")
    now = datetime.now(UTC)
    for round_ in range(outbox.MAX_ATTEMPTS + 2):
        outbox.deliver(now + timedelta(hours=2 * round_), push=_ok)
    parked = body(_parked(client, merchant, program["id"]))["items"]
    [item] = [i for i in parked if i["kind"] == "telegram"]  # (the email failed too: no SES sender here)
    assert item["card_id"] == cards[0]["card_id"]
    assert item["campaign_id"] == campaign_id and "ConnectError" in item["reason"]
    assert base64.urlsafe_b64decode(item["id"] + "==").decode().startswith("telegram#")
    campaign = body(client.http.get(f"/admin/programs/{program['id']}/campaigns/{campaign_id}",
                                    headers=bearer(merchant)))
    assert campaign["counts"] == {**campaign["counts"], "delivered": 0, "failed": 2}
    assert [(m.channel, m.outcome) for m in Message.query(cards[0]["card_id"])].count(("telegram", "failed")) == 1
    config.reset()
    telegram.credentials.cache_clear()


def test_a_claimed_item_is_skipped_until_its_lease_expires(aws):
    now = datetime.now(UTC)
    item = OutboxItem("wallet", "pass#c1", card_id="c1", program_id="p1", pass_version=1,
                      due_at=outbox_store.db.micros(now), attempts=0, created_at=outbox_store.db.iso(now))
    item.save()
    first, second = outbox_store.get("wallet", "pass#c1"), outbox_store.get("wallet", "pass#c1")
    assert outbox_store.claim(first, "runner-a", now, 60) == "fresh"
    assert outbox_store.claim(second, "runner-b", now + timedelta(seconds=30), 60) is None
    assert outbox_store.done(first, "runner-b") is False  # only the holder finishes it
    third = outbox_store.get("wallet", "pass#c1")
    assert outbox_store.claim(third, "runner-b", now + timedelta(seconds=61), 60) == "taken_over"
    assert outbox_store.done(first, "runner-a") is False  # runner a lost it
    assert outbox_store.done(third, "runner-b") is True


def _emf(output, name):
    return [json.loads(line) for line in output.splitlines() if line.startswith("{") and f'"{name}"' in line]


def test_the_age_of_the_oldest_undelivered_item_is_a_metric(aws, capsys):
    now = datetime.now(UTC)
    for key, age in (("pass#c-old", 90), ("pass#c-new", 5)):
        OutboxItem("wallet", key, card_id=key[5:], program_id="p1", pass_version=1,
                   due_at=outbox_store.db.micros(now - timedelta(seconds=age)), attempts=0,
                   created_at=outbox_store.db.iso(now - timedelta(seconds=age))).save()
    outbox.deliver(now, push=_ok)
    [record] = _emf(capsys.readouterr().out, "OutboxOldestAgeSeconds")
    assert record["OutboxOldestAgeSeconds"] == 90.0
    assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Loyalty"
    assert record["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [{"Name": "OutboxOldestAgeSeconds", "Unit": "Seconds"}]
    outbox.deliver(now, push=_ok)  # nothing waits: the scheduled run still reports, as 0
    assert _emf(capsys.readouterr().out, "OutboxOldestAgeSeconds")[0]["OutboxOldestAgeSeconds"] == 0


def test_the_stream_leaves_parked_items_alone(aws):
    import app

    now = datetime.now(UTC)
    OutboxItem("parked#p1", "pass#c1", card_id="c1", program_id="p1", pass_version=1,
               due_at=outbox_store.db.micros(now), attempts=10, created_at=outbox_store.db.iso(now),
               parked_at=outbox_store.db.iso(now)).save()
    event = {"Records": [{"eventName": "INSERT", "dynamodb": {"Keys": {"queue": {"S": "parked#p1"},
                                                                      "item_key": {"S": "pass#c1"}}}}]}
    assert app.outbox_stream(event, None)["items"] == 0
    assert outbox_store.get("parked#p1", "pass#c1") is not None


def test_a_round_out_of_time_leaves_the_rest_to_the_next(aws, monkeypatch):
    """Services hanging up to their timeouts cannot make a round outlive its Lambda: past its time it
    takes no new item, and the next round carries on."""
    now = datetime.now(UTC)
    for index in range(3):
        OutboxItem("wallet", f"pass#c{index}", card_id=f"c{index}", program_id="p1", pass_version=1,
                   due_at=outbox_store.db.micros(now) + index, attempts=0, created_at=outbox_store.db.iso(now)).save()
    monkeypatch.setattr(outbox, "ROUND_SECONDS", 0)
    first = outbox.deliver(now + timedelta(seconds=1), push=_ok)
    assert first["items"] == 1 and first["deferred"] == 2
    assert [i.card_id for i in outbox_store.due(now + timedelta(seconds=1))] == ["c1", "c2"]


def test_parked_items_come_a_page_at_a_time(client, merchant, program):
    now = datetime.now(UTC)
    for index in range(3):
        OutboxItem(f"parked#{program['id']}", f"pass#c{index}", card_id=f"c{index}", program_id=program["id"],
                   pass_version=1, due_at=0, attempts=10, last_error="APNs 500", created_at=outbox_store.db.iso(now),
                   parked_at=outbox_store.db.iso(now)).save()
    first = body(client.http.get(f"/admin/programs/{program['id']}/outbox?limit=2", headers=bearer(merchant)))
    assert [i["card_id"] for i in first["items"]] == ["c0", "c1"] and first["next_cursor"]
    second = body(client.http.get(f"/admin/programs/{program['id']}/outbox?limit=2&cursor={first['next_cursor']}",
                                  headers=bearer(merchant)))
    assert [i["card_id"] for i in second["items"]] == ["c2"] and second["next_cursor"] is None
    assert client.http.get(f"/admin/programs/{program['id']}/outbox?cursor=%%%",
                           headers=bearer(merchant)).status_code == 400


def test_parking_and_the_parked_routes_need_nothing_their_roles_lack(client, merchant, program, monkeypatch, calls):
    """Checked like tests/infra/test_least_privilege.py: every DynamoDB call made is granted in
    infra/template.py, to the outbox function for parking, to the API for listing and retrying."""
    from chalicelib.channels import telegram
    from tests.infra.test_least_privilege import _allowed

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("TELEGRAM_API_BASE", f"http://127.0.0.1:{port}")  # nobody listens: every send fails
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    config.reset()
    telegram.credentials.cache_clear()
    _subscribers(client, merchant, program, 1)
    _campaign(client, merchant, program, "Hello")
    calls.clear()
    now = datetime.now(UTC)
    for round_ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver(now + timedelta(hours=2 * round_), push=_ok)
    assert any(operation == "DeleteItem" for operation, _, _ in calls) and _allowed("outbox", calls) == []
    calls.clear()
    items = body(_parked(client, merchant, program["id"]))["items"]
    assert items
    for item in items:
        assert client.http.post(f"/admin/programs/{program['id']}/outbox/{item['id']}/retry",
                                headers=bearer(merchant)).status_code == 202
    assert calls and _allowed("api", calls) == []
    config.reset()
    telegram.credentials.cache_clear()
