"""The POS API as a till sees it: signatures, lookups, quotes, receipts and refunds."""
import json
import time
from datetime import UTC

import pytest

from chalicelib.usecases import pos as pos_cases
from tests.conftest import PosClient, bearer, body, enroll


def _card(client, merchant, card_id):
    card = body(client.http.get(f"/admin/cards/{card_id}", headers=bearer(merchant)))
    entries = body(client.http.get(f"/admin/cards/{card_id}/ledger?limit=200", headers=bearer(merchant)))["items"]
    assert card["balance"] == sum(e["amount"] for e in entries) == sum(lot["remaining"] for lot in card["lots"])
    return card, entries


# --- signatures ----------------------------------------------------------------------------------

def test_signature_rules(client, program, pos):
    card = enroll(client)
    path = f"/pos/cards/{card['card_number']}"
    assert pos.get(path).status_code == 200
    now = int(time.time())
    for sign, code in ((dict(timestamp=now - 301), "stale_timestamp"), (dict(timestamp=now + 301), "stale_timestamp"),
                       (dict(secret="sk_" + "x" * 96), "bad_signature"), (dict(key_id="pk_unknown"), "unknown_key")):
        response = pos.get(path, **sign)
        assert response.status_code == 401 and body(response)["error"]["code"] == code
    assert pos.get(path, timestamp=now - 299).status_code == 200
    missing = client.http.get(path)
    assert missing.status_code == 401 and body(missing)["error"]["code"] == "missing_signature"


def test_a_signature_cannot_be_replayed_elsewhere_or_on_another_body(client, program, pos):
    card = enroll(client)
    data = json.dumps({"card": card["card_number"], "total": 1000}).encode()
    headers = pos.headers("POST", "/pos/quote", data)
    moved = client.http.post("/pos/receipts", headers=headers, body=data)
    assert moved.status_code == 401 and body(moved)["error"]["code"] == "bad_signature"
    changed = client.http.post("/pos/quote", headers=headers, body=data.replace(b"1000", b"9000"))
    assert changed.status_code == 401
    upper = dict(headers, **{"X-Loyalty-Signature": headers["X-Loyalty-Signature"].upper()})
    assert client.http.post("/pos/quote", headers=upper, body=data).status_code == 200


def test_revoked_key_stops_working(client, merchant, program, pos):
    assert pos.post("/pos/quote", {"card": "100000000008", "total": 1}).status_code != 401  # cached, warm
    client.http.delete(f"/admin/programs/{program['id']}/pos-keys/{pos.key_id}", headers=bearer(merchant))
    response = pos.post("/pos/quote", {"card": "100000000008", "total": 1})
    assert response.status_code == 401 and body(response)["error"]["code"] == "unknown_key"


def test_a_key_sees_only_its_programs_cards(client, merchant, program, pos):
    other = body(client.http.post("/admin/programs", headers=bearer(merchant),
                                  body=json.dumps({"name": "Other", "slug": "other"})))
    foreign = enroll(client, slug="other", phone="+79160000005")
    assert pos.get(f"/pos/cards/{foreign['card_number']}").status_code == 404
    assert other["id"] != program["id"]


def test_lookup_errors(client, program, pos):
    card = enroll(client)
    bad_digit = card["card_number"][:-1] + str((int(card["card_number"][-1]) + 1) % 10)
    assert body(pos.get(f"/pos/cards/{bad_digit}"))["error"]["code"] == "invalid_card_number"
    unknown = "100000000008"  # well formed (valid check digit), no such card
    assert pos.get(f"/pos/cards/{unknown}").status_code == 404


# --- receipts ------------------------------------------------------------------------------------

def test_quote_caps_and_writes_nothing(client, merchant, program, pos):
    card = enroll(client)
    answer = body(pos.post("/pos/quote", {"card": card["card_number"], "total": 20000}))
    assert answer["max_redeem"] == 60  # 30% of 200.00 roubles, 1 point = 1 rouble
    assert answer["earn"] == 10 and answer["available"] == 100
    big = body(pos.post("/pos/quote", {"card": card["card_number"], "total": 1000000}))
    assert big["max_redeem"] == 100  # never above what the card holds
    assert len(_card(client, merchant, card["card_id"])[1]) == 1


def test_earning_redeeming_and_idempotent_replays(client, merchant, program, pos):
    card = enroll(client)
    receipt = {"receipt_id": "r-1", "card": card["card_number"], "total": 99999, "redeem": 30,
               "lines": [{"sku": "A1", "name": "Latte", "qty": 1, "amount": 99999}]}
    first = pos.post("/pos/receipts", receipt)
    assert first.status_code == 200 and "Idempotent-Replay" not in first.headers
    answer = body(first)
    assert answer["redeemed"] == 30 and answer["earned"] == (99999 - 3000) * 500 // 10000 // 100 == 48
    assert answer["balance"] == 100 - 30 + 48
    again = pos.post("/pos/receipts", receipt)
    assert again.headers["Idempotent-Replay"] == "true" and body(again) == answer
    conflict = pos.post("/pos/receipts", {**receipt, "total": 5})
    assert conflict.status_code == 409 and body(conflict)["error"]["code"] == "receipt_conflict"
    card_after, entries = _card(client, merchant, card["card_id"])
    assert card_after["balance"] == 118 and [e["kind"] for e in entries] == ["earn", "redeem", "bonus"]


@pytest.mark.parametrize("redeem, code", [(101, "redeem_not_allowed"), (61, "redeem_not_allowed")])
def test_refused_redemptions_write_nothing(client, merchant, program, pos, redeem, code):
    card = enroll(client)
    refused = pos.post("/pos/receipts", {"receipt_id": "r-x", "card": card["card_number"], "total": 20000 if
                                         redeem == 61 else 1000000, "redeem": redeem})
    assert refused.status_code == 422 and body(refused)["error"]["code"] == code
    assert _card(client, merchant, card["card_id"])[0]["balance"] == 100
    # the same receipt id is still free: nothing was recorded
    assert pos.post("/pos/receipts", {"receipt_id": "r-x", "card": card["card_number"], "total": 100}
                    ).status_code == 200


@pytest.mark.parametrize("data, status, code", [
    ({"receipt_id": "a", "card": None, "total": 100, "redeem": 5}, 422, "redeem_without_card"),
    ({"receipt_id": "a", "card": None, "total": -1}, 400, "out_of_range"),
    ({"receipt_id": "a", "card": None, "total": 100, "currency": "USD"}, 422, "currency_mismatch"),
    ({"receipt_id": "a", "card": None, "total": 100, "tip": 5}, 400, "unknown_field"),
    ({"receipt_id": "bad id!", "card": None, "total": 100}, 400, "invalid_format"),
    ({"receipt_id": "a", "card": None, "total": "100"}, 400, "invalid_type"),
])
def test_bad_receipts(client, program, pos, data, status, code):
    response = pos.post("/pos/receipts", data)
    assert response.status_code == status and body(response)["error"]["code"] == code


def test_anonymous_receipt_is_stored(client, program, pos):
    from chalicelib.store.models import Receipt

    answer = body(pos.post("/pos/receipts", {"receipt_id": "anon-1", "card": None, "total": 5000,
                                             "lines": [{"sku": "B", "name": "Bun", "qty": 2, "amount": 5000}]}))
    assert answer["card"] is None and answer["earned"] == 0
    stored = Receipt.get(program["id"], "receipt#anon-1")
    assert stored.total == 5000 and stored.lines[0]["sku"] == "B"


def test_tier_upgrade_applies_from_the_next_receipt(client, program, pos):
    card = enroll(client)
    first = body(pos.post("/pos/receipts", {"receipt_id": "t1", "card": card["card_number"], "total": 1000000}))
    assert first["earned"] == 500 and first["tier"] == "gold"
    second = body(pos.post("/pos/receipts", {"receipt_id": "t2", "card": card["card_number"], "total": 100000}))
    assert second["earned"] == 100  # 10% now


def test_referrer_is_rewarded_on_the_friends_first_purchase_only(client, merchant, program, pos):
    referrer = enroll(client)
    code = body(client.http.get(f"/admin/cards/{referrer['card_id']}", headers=bearer(merchant)))["ref_code"]
    friend = enroll(client, phone="+79160000007", ref=code)
    pos.post("/pos/receipts", {"receipt_id": "f1", "card": friend["card_number"], "total": 10000})
    pos.post("/pos/receipts", {"receipt_id": "f2", "card": friend["card_number"], "total": 10000})
    card, entries = _card(client, merchant, referrer["card_id"])
    assert card["balance"] == 100 + 200 and [e["source"] for e in entries].count("referral") == 1


def test_pending_points_count_in_balance_not_available(client, merchant, pos):
    created = body(client.http.post("/admin/programs", headers=bearer(merchant), body=json.dumps(
        {"name": "Pending", "slug": "pending", "mechanics": {"pending_days": 3, "welcome_bonus": 0}})))
    key = body(client.http.post(f"/admin/programs/{created['id']}/pos-keys", headers=bearer(merchant), body="{}"))
    till = PosClient(client, key["key_id"], key["secret"])
    card = enroll(client, slug="pending", phone="+79160000008")
    answer = body(till.post("/pos/receipts", {"receipt_id": "p1", "card": card["card_number"], "total": 100000}))
    assert answer["balance"] == 50 and answer["available"] == 0
    assert body(till.get(f"/pos/cards/{card['card_number']}"))["available"] == 0


# --- refunds -------------------------------------------------------------------------------------

def _receipt(pos, card, receipt_id="r1", total=100000, redeem=0):
    return body(pos.post("/pos/receipts", {"receipt_id": receipt_id, "card": card["card_number"], "total": total,
                                           "redeem": redeem}))


def test_partial_refunds_reverse_pro_rata_and_add_up(client, merchant, program, pos):
    card = enroll(client)
    bought = _receipt(pos, card, total=100000, redeem=30)  # earns (100000-3000)*5% = 48
    assert bought["earned"] == 48
    half = body(pos.post("/pos/refunds", {"refund_id": "f1", "receipt_id": "r1", "amount": 50000}))
    assert half["points_reversed"] == 24 and half["points_returned"] == 15
    rest = body(pos.post("/pos/refunds", {"refund_id": "f2", "receipt_id": "r1", "amount": 50000}))
    assert rest["points_reversed"] == 24 and rest["points_returned"] == 15
    assert _card(client, merchant, card["card_id"])[0]["balance"] == 100  # as before the purchase
    over = pos.post("/pos/refunds", {"refund_id": "f3", "receipt_id": "r1", "amount": 1})
    assert over.status_code == 422 and body(over)["error"]["code"] == "refund_exceeds_receipt"


def test_refund_idempotency_and_unknown_receipts(client, program, pos):
    card = enroll(client)
    _receipt(pos, card)
    refund = {"refund_id": "f1", "receipt_id": "r1", "amount": 1000}
    first = pos.post("/pos/refunds", refund)
    again = pos.post("/pos/refunds", refund)
    assert again.headers["Idempotent-Replay"] == "true" and body(again) == body(first)
    assert pos.post("/pos/refunds", {**refund, "amount": 2000}).status_code == 409
    missing = pos.post("/pos/refunds", {"refund_id": "f9", "receipt_id": "nope", "amount": 1})
    assert missing.status_code == 404 and body(missing)["error"]["code"] == "receipt_not_found"


def test_refund_after_the_points_were_spent_records_a_shortfall(client, merchant, program, pos):
    card = enroll(client)
    _receipt(pos, card, receipt_id="r1", total=200000)  # +100 earned -> 200
    _receipt(pos, card, receipt_id="r2", total=1000000, redeem=200)  # spends all 200, earns 490
    refund = body(pos.post("/pos/refunds", {"refund_id": "f1", "receipt_id": "r1", "amount": 200000}))
    assert refund["points_reversed"] == 100 and "shortfall" not in refund  # taken from other points
    assert _card(client, merchant, card["card_id"])[0]["balance"] == 490 - 100

    spender = enroll(client, phone="+79160000009")
    _receipt(pos, spender, receipt_id="s1", total=200000)  # 100 welcome + 100 earned
    client.http.post(f"/admin/cards/{spender['card_id']}/adjustments", headers=bearer(merchant), body=json.dumps(
        {"amount": -170, "reason": "spent elsewhere", "idempotency_key": "spent"}))  # 30 left
    refund = body(pos.post("/pos/refunds", {"refund_id": "g1", "receipt_id": "s1", "amount": 200000}))
    # all 100 are taken back: the 30 left now, the 70 already spent are owed
    assert refund["points_reversed"] == 100 and refund["shortfall"] == 70 and refund["balance"] == 0
    state, entries = _card(client, merchant, spender["card_id"])
    assert state["balance"] == 0 and state["owed"] == 70 and entries[0]["reason"] == "shortfall 70"
    # the owed points come out of the next points the card receives
    bought = body(pos.post("/pos/receipts", {"receipt_id": "s2", "card": spender["card_number"], "total": 200000}))
    assert bought["earned"] == 100 and bought["settled"] == 70 and bought["balance"] == 30
    state, entries = _card(client, merchant, spender["card_id"])
    assert state["owed"] == 0 and [(e["kind"], e["amount"]) for e in entries[:2]] == [("refund_reverse", -70),
                                                                                       ("earn", 100)]


def _till(client, merchant, slug, mechanics):
    created = body(client.http.post("/admin/programs", headers=bearer(merchant), body=json.dumps(
        {"name": slug.title(), "slug": slug, "mechanics": mechanics})))
    key = body(client.http.post(f"/admin/programs/{created['id']}/pos-keys", headers=bearer(merchant), body="{}"))
    return created, PosClient(client, key["key_id"], key["secret"])


def test_refunds_commute_the_reported_case(client, merchant):
    """Welcome 500, earn 500 on receipt A, spend 1,000 on receipt B: refunding A then B and B then A
    both leave the 500 the card had before the purchases, with 500 points reversed either way."""
    _, till = _till(client, merchant, "commute", {"welcome_bonus": 500, "redeem_cap_percent": 100,
                                                  "pending_days": 0})
    finals = []
    for n, order in enumerate((("A", "B"), ("B", "A"))):
        card = enroll(client, slug="commute", phone=f"+7916000002{n}")
        ids = {"A": f"a{n}", "B": f"b{n}"}
        earned = body(till.post("/pos/receipts", {"receipt_id": ids["A"], "card": card["card_number"],
                                                  "total": 1000000}))
        spent = body(till.post("/pos/receipts", {"receipt_id": ids["B"], "card": card["card_number"],
                                                 "total": 100000, "redeem": 1000}))
        assert (earned["earned"], spent["redeemed"], spent["balance"]) == (500, 1000, 0)
        answers = [body(till.post("/pos/refunds", {"refund_id": f"f{n}{which}", "receipt_id": ids[which],
                                                   "amount": 1000000 if which == "A" else 100000}))
                   for which in order]
        state, entries = _card(client, merchant, card["card_id"])
        assert entries[0]["balance_after"] == state["balance"] == answers[-1]["balance"]
        reversed_in_ledger = -sum(e["amount"] for e in entries if e["kind"] == "refund_reverse")
        finals.append((state["balance"], state["owed"], reversed_in_ledger,
                       sum(a["points_reversed"] for a in answers), sum(a["points_returned"] for a in answers)))
    assert finals[0] == finals[1] == (500, 0, 500, 500, 1000)


def test_the_newest_ledger_entry_is_the_last_change_applied(client, merchant, program, pos):
    """Two receipts racing: the one whose request started first commits second. The ledger lists in the
    order they were applied, so its newest entry's balance_after is the card's balance."""
    from datetime import datetime, timedelta

    from chalicelib.store import programs as program_store

    card = enroll(client)
    stored = program_store.get(program["id"])
    started = datetime.now(UTC) + timedelta(seconds=5)
    pos_cases.post_receipt(stored, {"receipt_id": "late", "card": card["card_number"], "total": 100000},
                           started + timedelta(seconds=1))
    pos_cases.post_receipt(stored, {"receipt_id": "early", "card": card["card_number"], "total": 300000,
                                    "redeem": 50}, started)
    state, entries = _card(client, merchant, card["card_id"])
    assert state["balance"] == 100 + 50 - 50 + 147  # welcome, late earns 50, early spends 50, earns 147
    assert entries[0]["balance_after"] == state["balance"]
    assert [e["cause"]["id"] for e in entries[:3]] == ["early", "early", "late"]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)


def test_refund_of_an_anonymous_receipt(client, program, pos):
    pos.post("/pos/receipts", {"receipt_id": "a1", "card": None, "total": 1000})
    answer = body(pos.post("/pos/refunds", {"refund_id": "af", "receipt_id": "a1", "amount": 1000}))
    assert answer["points_reversed"] == 0 and answer["balance"] is None


def test_admin_adjustments(client, merchant, program):
    card = enroll(client)
    path = f"/admin/cards/{card['card_id']}/adjustments"
    data = {"amount": 50, "reason": "coffee machine broke", "idempotency_key": "adj-1"}
    first = client.http.post(path, headers=bearer(merchant, "manager"), body=json.dumps(data))
    assert first.status_code == 201 and body(first)["balance"] == 150 and body(first)["actor"] == "test-manager"
    again = client.http.post(path, headers=bearer(merchant, "manager"), body=json.dumps(data))
    assert again.status_code == 200 and again.headers["Idempotent-Replay"] == "true"
    too_much = client.http.post(path, headers=bearer(merchant), body=json.dumps(
        {"amount": -151, "reason": "x", "idempotency_key": "adj-2"}))
    assert too_much.status_code == 422 and body(too_much)["error"]["code"] == "insufficient_balance"
    assert client.http.post(path, headers=bearer(merchant, "analyst"), body=json.dumps(data)).status_code == 403
    _, entries = _card(client, merchant, card["card_id"])
    assert entries[0]["kind"] == "adjust" and entries[0]["reason"] == "coffee machine broke"
    assert entries[0]["actor"] == "test-manager"


def test_a_transaction_conflict_is_waited_out_and_applied_once(client, merchant, program, pos, monkeypatch):
    """DynamoDB cancels a transaction that meets another one on an item (say, the day's counter shard);
    the receipt backs off a moment and goes through, once."""
    from pynamodb.connection.base import Connection
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    from chalicelib.store import db

    card = enroll(client)
    real, conflicts, naps = Connection.transact_write_items, [2], []

    def crowded(self, *args, **kwargs):
        if conflicts[0]:
            conflicts[0] -= 1
            cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                                       "TransactWriteItems",
                                       cancellation_reasons=[None, CancellationReason(code="TransactionConflict")])
            raise TransactWriteError("conflict", cause=cause)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "transact_write_items", crowded)
    monkeypatch.setattr(db.time, "sleep", naps.append)
    answer = pos.post("/pos/receipts", {"receipt_id": "crowded", "card": card["card_number"], "total": 100000})
    assert answer.status_code == 200, answer.body
    assert len(naps) == 2 and all(0 <= nap <= 0.02 for nap in naps)
    entries = body(client.http.get(f"/admin/cards/{card['card_id']}/ledger", headers=bearer(merchant)))["items"]
    assert [e["kind"] for e in entries].count("earn") == 1


# --- POS providers through the generic route -----------------------------------------------------------

class ToyTill:
    """A made-up POS system: a shared token in a header, sales as {"id", "card", "sum"}."""

    name = "toy"

    def __init__(self, program_id):
        self.program_id = program_id

    def authenticate(self, delivery, now):
        from chalicelib.errors import Unauthorized
        from chalicelib.store import programs as program_store

        if delivery.headers.get("x-toy-token") != "let-me-in":
            raise Unauthorized("Unknown till.", code="bad_signature")
        return program_store.get(self.program_id)

    def command(self, delivery, program, now):
        from chalicelib.commands.pos import RecordReceipt

        sale = json.loads(delivery.body)
        return RecordReceipt.parse({"receipt_id": sale["id"], "card": sale["card"], "total": sale["sum"]}, program, now)


def test_a_new_pos_provider_is_one_class_and_one_registration(client, merchant, program):
    from chalicelib import integrations

    card = enroll(client)
    integrations.register(ToyTill(program["id"]))
    try:
        sale = json.dumps({"id": "toy-1", "card": card["card_number"], "sum": 100000})
        headers = {"Content-Type": "application/json", "X-Toy-Token": "let-me-in"}
        first = client.http.post("/integrations/toy/events", headers=headers, body=sale)
        assert first.status_code == 200, first.body
        assert body(first)["earned"] == 50 and body(first)["balance"] == 150
        again = client.http.post("/integrations/toy/events", headers=headers, body=sale)
        assert again.headers["Idempotent-Replay"] == "true" and body(again) == body(first)
        stranger = client.http.post("/integrations/toy/events", body=sale,
                                                 headers={**headers, "X-Toy-Token": "guess"})
        assert stranger.status_code == 401 and body(stranger)["error"]["code"] == "bad_signature"
    finally:
        integrations.PROVIDERS.pop("toy")
    gone = client.http.post("/integrations/toy/events", headers=headers, body=sale)
    assert gone.status_code == 404 and body(gone)["error"]["code"] == "unknown_provider"


def test_the_signed_webhook_is_the_pos_api_by_another_door(client, program, pos):
    card = enroll(client)
    receipt = {"receipt_id": "w-1", "card": card["card_number"], "total": 100000}
    webhook = PosClient(client, pos.key_id, pos.secret)
    first = webhook.post("/integrations/signed/events", {"type": "receipt", "data": receipt})
    assert first.status_code == 200 and body(first)["earned"] == 50, first.body
    same = pos.post("/pos/receipts", receipt)  # one receipt, whichever door it came through
    assert same.headers["Idempotent-Replay"] == "true" and body(same) == body(first)
    refund = webhook.post("/integrations/signed/events", {"type": "refund", "data": {
        "refund_id": "w-f1", "receipt_id": "w-1", "amount": 100000}})
    assert refund.status_code == 200 and body(refund)["points_reversed"] == 50
    unsigned = client.http.post("/integrations/signed/events", body=json.dumps({"type": "receipt"}),
                                             headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and body(unsigned)["error"]["code"] == "missing_signature"
    odd = webhook.post("/integrations/signed/events", {"type": "payout", "data": {}})
    assert odd.status_code == 400 and body(odd)["error"]["field"] == "type"
