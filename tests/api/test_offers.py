"""Offers through the API: an owner defines them on the program, an admin issues one to a card (and takes
it back), the till redeems it on a signed receipt once, a full refund gives it back; another merchant
sees none of it."""
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from chalicelib.core import clock
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.ledger import DynamoLedger
from chalicelib.usecases import pos as pos_cases
from tests.api.test_pos_mechanics import _program
from tests.conftest import bearer, body, enroll

OFFERS = [
    {"id": "dessert", "name": {"ru": "Десерт в подарок", "en": "A free dessert"},
     "reward": {"type": "free_item", "item": "Cheesecake", "sku": "cake"}},
    {"id": "bonus", "name": "200 points", "reward": {"type": "points", "points": 200},
     "conditions": {"min_total": 50_000}, "valid_days": 14},
]


@pytest.fixture
def offering(client, merchant, program):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"mechanics": {"offers": OFFERS}}))
    assert response.status_code == 200, response.body
    pos_cases.forget_cached()
    return body(response)


def _issue(client, merchant, card_id, offer="bonus", key="k1", role="owner"):
    return client.http.post(f"/admin/cards/{card_id}/offers", headers=bearer(merchant, role),
                            body=json.dumps({"offer": offer, "idempotency_key": key}))


def _held(client, merchant, card_id):
    response = client.http.get(f"/admin/cards/{card_id}/offers", headers=bearer(merchant, "analyst"))
    assert response.status_code == 200
    return body(response)["items"]


def test_the_program_keeps_its_offers(offering):
    assert offering["mechanics"]["offers"][1] == {**OFFERS[1], "auto": None}


def test_an_admin_issues_an_offer_once_and_the_pass_follows(client, merchant, offering):
    card = enroll(client)
    version = card_store.get(card["card_id"]).pass_version
    issued = _issue(client, merchant, card["card_id"])
    assert issued.status_code == 201
    offer = body(issued)
    assert {k: offer[k] for k in ("offer", "name", "status", "reward")} == {
        "offer": "bonus", "name": "200 points", "status": "live", "reward": {"type": "points", "points": 200}}
    assert card_store.get(card["card_id"]).pass_version > version  # the wallet card shows the new offer
    again = _issue(client, merchant, card["card_id"])
    assert again.status_code == 200 and again.headers.get("Idempotent-Replay") == "true" and body(again) == offer
    assert _held(client, merchant, card["card_id"]) == [offer]
    unknown = _issue(client, merchant, card["card_id"], offer="nope", key="k2")
    assert unknown.status_code == 404 and body(unknown)["error"]["code"] == "offer_not_found"
    analyst = _issue(client, merchant, card["card_id"], key="k3", role="analyst")
    assert analyst.status_code == 403


def test_a_card_holds_at_most_twenty_live_offers(client, merchant, offering):
    card = enroll(client)
    for n in range(20):
        assert _issue(client, merchant, card["card_id"], key=f"k{n}").status_code == 201
    full = _issue(client, merchant, card["card_id"], key="k20")
    assert full.status_code == 409 and body(full)["error"]["code"] == "too_many_offers"


def test_the_till_redeems_an_offer_once_and_a_full_refund_gives_it_back(client, merchant, offering, pos):
    card = enroll(client)
    held = body(_issue(client, merchant, card["card_id"]))["id"]
    small = pos.post("/pos/receipts", {"receipt_id": "r0", "card": card["card_number"], "total": 40_000,
                                       "offer_id": held})
    assert small.status_code == 422 and body(small)["error"] == {
        **body(small)["error"], "code": "offer_not_applicable", "field": "offer_id"}
    sold = pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 60_000,
                                      "offer_id": held})
    assert sold.status_code == 200, sold.body
    answer = body(sold)
    assert answer["offer"]["id"] == held and answer["offer"]["points"] == 200 and answer["earned"] == 30 + 200
    used = pos.post("/pos/receipts", {"receipt_id": "r2", "card": card["card_number"], "total": 60_000,
                                      "offer_id": held})
    assert used.status_code == 422 and body(used)["error"]["code"] == "offer_used"
    assert [o["status"] for o in _held(client, merchant, card["card_id"])] == ["used"]
    refunded = pos.post("/pos/refunds", {"refund_id": "f1", "receipt_id": "r1", "amount": 60_000})
    assert refunded.status_code == 200 and body(refunded)["points_reversed"] == 230
    assert [o["status"] for o in _held(client, merchant, card["card_id"])] == ["live"]
    unknown = pos.post("/pos/receipts", {"receipt_id": "r3", "card": card["card_number"], "total": 60_000,
                                         "offer_id": "o-nope"})
    assert unknown.status_code == 422 and body(unknown)["error"]["code"] == "offer_not_found"


def test_two_tills_racing_with_one_offer_redeem_it_once(client, merchant, offering, pos, serialised_dynamodb,
                                                        monkeypatch):
    card = enroll(client)
    held = body(_issue(client, merchant, card["card_id"]))["id"]
    program = program_store.get(offering["id"])
    real, together, first = DynamoLedger.card, threading.Barrier(2), threading.local()

    def read_together(self, card_id, consistent=True):  # both tills read the card before either writes
        try:
            return real(self, card_id, consistent)
        finally:
            if not getattr(first, "done", False):
                first.done = True
                together.wait(timeout=5)

    monkeypatch.setattr(DynamoLedger, "card", read_together)

    def sell(receipt_id):
        try:
            return pos_cases.post_receipt(program, {"receipt_id": receipt_id, "card": card["card_number"],
                                                    "total": 60_000, "offer_id": held},
                                          datetime.now(UTC)).response
        except Exception as error:  # noqa: BLE001 - the loser's refusal is what is checked
            return getattr(error, "code", repr(error))

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(sell, ["t1", "t2"]))
    assert sorted(answer if isinstance(answer, str) else "sold" for answer in answers) == ["offer_used", "sold"]
    fresh = card_store.get(card["card_id"], consistent=True)
    assert fresh.balance == 100 + 30 + 200  # the welcome bonus, one purchase, the offer once


def test_an_admin_takes_an_offer_back(client, merchant, offering):
    card = enroll(client)
    held = body(_issue(client, merchant, card["card_id"]))["id"]
    path = f"/admin/cards/{card['card_id']}/offers/{held}"
    assert client.http.delete(path, headers=bearer(merchant)).status_code == 204
    assert client.http.delete(path, headers=bearer(merchant)).status_code == 204  # again: the same answer
    assert _held(client, merchant, card["card_id"]) == []
    missing = client.http.delete(f"/admin/cards/{card['card_id']}/offers/nope", headers=bearer(merchant))
    assert missing.status_code == 404 and body(missing)["error"]["code"] == "offer_not_found"


def test_another_merchants_card_is_not_found(client, merchant, other_merchant, offering):
    card = enroll(client)
    held = body(_issue(client, merchant, card["card_id"]))["id"]
    base = f"/admin/cards/{card['card_id']}/offers"
    for response in (client.http.get(base, headers=bearer(other_merchant)),
                     _issue(client, other_merchant, card["card_id"], key="k9"),
                     client.http.delete(f"{base}/{held}", headers=bearer(other_merchant))):
        assert response.status_code == 404 and body(response)["error"]["code"] == "not_found"
    assert [o["id"] for o in _held(client, merchant, card["card_id"])] == [held]


def test_a_campaign_issues_its_offer_to_every_card_once(client, merchant, offering):
    cards = [enroll(client, phone=f"+7916000000{i}") for i in range(2)]
    created = client.http.post(f"/admin/programs/{offering['id']}/campaigns", headers=bearer(merchant),
                               body=json.dumps({"name": "Dessert week", "texts": {"en": "A dessert on us"},
                                                "offer": "dessert", "holdout_percent": 0}))
    assert created.status_code == 201 and body(created)["offer"] == "dessert"
    sent = client.http.post(f"/admin/programs/{offering['id']}/campaigns/{body(created)['id']}/send",
                            headers=bearer(merchant))
    assert sent.status_code == 200 and body(sent)["offer"] == "dessert"
    for card in cards:
        assert [o["offer"] for o in _held(client, merchant, card["card_id"])] == ["dessert"]


def test_a_campaign_with_an_unknown_offer_is_refused(client, merchant, offering):
    created = client.http.post(f"/admin/programs/{offering['id']}/campaigns", headers=bearer(merchant),
                               body=json.dumps({"name": "X", "texts": {"en": "X"}, "offer": "nope"}))
    assert created.status_code == 404 and body(created)["error"]["field"] == "offer"


def test_points_pay_only_what_a_percentage_offer_leaves_to_pay(client, merchant):
    """60% off a bill of 1000 leaves 400 to pay; a cap of 50% lets points pay 200 of it, never 500."""
    offer = {"id": "off60", "name": "60% off", "reward": {"type": "percent", "percent": 60}}
    _, till = _program(client, merchant, "offpoints", {"redeem_cap_percent": 50, "point_value": 1,
                                                       "welcome_bonus": 1000, "offers": [offer]})
    card = enroll(client, slug="offpoints")
    held = body(_issue(client, merchant, card["card_id"], "off60"))["id"]
    sale = {"receipt_id": "r1", "card": card["card_number"], "total": 1000, "offer_id": held}
    too_much = till.post("/pos/receipts", {**sale, "redeem": 500})
    assert too_much.status_code == 422 and body(too_much)["error"]["code"] == "redeem_not_allowed"
    assert "200" in body(too_much)["error"]["message"]
    paid = body(till.post("/pos/receipts", {**sale, "redeem": 200}))
    assert paid["discount"] == 600 and paid["redeemed"] == 200  # 200 of the bill is paid in money


def test_refunds_of_a_discounted_receipt_give_back_only_the_money_paid(client, merchant):
    """10% off 100 000: 90 000 paid. Refunds of 33 333 + 33 333 + 33 334 take back exactly 90 000 from the
    revenue and the refunds' counter, never the 10 000 the customer did not pay."""
    offer = {"id": "off10", "name": "10% off", "reward": {"type": "percent", "percent": 10}}
    program, till = _program(client, merchant, "offrefund", {"offers": [offer]})
    card = enroll(client, slug="offrefund")
    held = body(_issue(client, merchant, card["card_id"], "off10"))["id"]
    sale = body(till.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100_000,
                                            "offer_id": held}))
    assert sale["discount"] == 10_000
    for n, amount in enumerate((33_333, 33_333, 33_334)):
        refund = till.post("/pos/refunds", {"refund_id": f"x{n}", "receipt_id": "r1", "amount": amount})
        assert refund.status_code == 200, refund.body
    today = clock.local_day(datetime.now(UTC), program["timezone"]).isoformat()  # the program's day, not UTC's
    summary = body(client.http.get(f"/admin/programs/{program['id']}/analytics/summary?from={today}&to={today}",
                                   headers=bearer(merchant)))
    assert (summary["revenue"], summary["member_revenue"], summary["receipts"]) == (0, 0, 1)
