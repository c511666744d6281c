"""Concurrency over real HTTP against the local stack: the same receipt posted by many threads at
once applies once, and simultaneous redemptions never overdraw a card."""
import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.stack import Stack, enroll, request

THREADS = 12


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = Stack(tmp_path_factory.mktemp("stack"))
    demo = running.start()
    yield running, demo
    assert running.stop() == 0


def _signed(demo, path, data):
    raw = json.dumps(data).encode()
    ts = str(int(time.time()))
    signature = hmac.new(demo["pos_secret"].encode(), f"{ts}.POST.{path}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Loyalty-Key": demo["pos_key_id"], "X-Loyalty-Timestamp": ts,
                 "X-Loyalty-Signature": signature}


def _post(stack_, demo, path, data):
    raw, headers = _signed(demo, path, data)
    return request("POST", f"{stack_.api}{path}", raw, headers)


def _enroll(stack_, demo, phone):
    return enroll(demo, "Load", phone)


def _card(stack_, demo, card_id):
    auth = {"Authorization": f"Bearer {demo['admin_token']}"}
    status, _, card = request("GET", f"{stack_.api}/admin/cards/{card_id}", headers=auth)
    assert status == 200
    status, _, entries = request("GET", f"{stack_.api}/admin/cards/{card_id}/ledger?limit=200", headers=auth)
    return json.loads(card), json.loads(entries)["items"]


def test_the_same_receipt_from_many_threads_applies_once(stack):
    stack_, demo = stack
    card = _enroll(stack_, demo, "+79161110001")
    receipt = {"receipt_id": "burst-1", "card": card["card_number"], "total": 200000}
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda _: _post(stack_, demo, "/pos/receipts", receipt), range(THREADS)))
    assert all(status == 200 for status, _, _ in answers), [a[0] for a in answers]
    bodies = {json.loads(raw)["earned"] for _, _, raw in answers}
    assert bodies == {100}  # 5% of 2000.00 roubles, once
    fresh = [headers for _, headers, _ in answers if headers.get("Idempotent-Replay") != "true"]
    assert len(fresh) == 1
    state, entries = _card(stack_, demo, card["card_id"])
    assert state["balance"] == 100 + 100
    assert [e["kind"] for e in entries].count("earn") == 1


def test_simultaneous_redemptions_never_overdraw(stack):
    stack_, demo = stack
    card = _enroll(stack_, demo, "+79161110002")  # 100 welcome points, spendable at once
    auth = {"Authorization": f"Bearer {demo['admin_token']}", "Content-Type": "application/json"}
    status, _, _ = request("POST", f"{stack_.api}/admin/cards/{card['card_id']}/adjustments",
                           json.dumps({"amount": 900, "reason": "load test", "idempotency_key": "load-1"}).encode(),
                           auth)
    assert status == 201

    def redeem(index):
        return _post(stack_, demo, "/pos/receipts", {"receipt_id": f"spend-{index}", "card": card["card_number"],
                                                     "total": 1000000, "redeem": 300})

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(redeem, range(THREADS)))
    statuses = [status for status, _, _ in answers]
    accepted = statuses.count(200)
    assert accepted == 3, statuses  # 1000 points pay for three redemptions of 300, never four
    assert set(statuses) <= {200, 422, 409}
    state, entries = _card(stack_, demo, card["card_id"])
    assert state["available"] == 1000 - 3 * 300
    assert state["balance"] == sum(e["amount"] for e in entries) >= 0
