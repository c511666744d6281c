"""The cashier's till (issue 18): a cashier sees nothing but the till, sells and refunds only at their
locations; the receipt carries the location and the cashier, with the POS API's idempotency."""
import json
from datetime import UTC, datetime

import pytest

from chalicelib.core import card_number
from chalicelib.core.locations import Location
from chalicelib.store import programs as program_store
from chalicelib.store import staff as staff_store
from chalicelib.store.models import Receipt
from chalicelib.store.staff import Member
from tests.conftest import bearer, body, enroll


def _locations(program_id, *locations):
    program = program_store.get(program_id)
    return program_store.save_changes(program, {"locations": [place.to_json() for place in locations]},
                                      datetime.now(UTC))


def _cashier(merchant, *location_ids, staff_id="test-cashier"):
    """A cashier's staff record (the built-in issuer's cashier token's subject is `test-cashier`)."""
    stamp = datetime.now(UTC).isoformat()
    staff_store.insert(Member(merchant_id=merchant, staff_id=staff_id, username=f"{staff_id}@example.com",
                              email=f"{staff_id}@example.com", name=None, role="cashier", status="active",
                              language="en", created_at=stamp, created_by=None, updated_at=stamp,
                              locations=tuple(location_ids)))
    return bearer(merchant, "cashier")


@pytest.fixture
def chain(client, merchant, program):
    """A two-location program, a cashier at location 2 and a member's card (100 welcome points)."""
    _locations(program["id"], Location("loc-1", "Tverskaya", address="Tverskaya 1"),
               Location("loc-2", "Arbat", address="Arbat 2"), Location("loc-0", "Old", status="closed"))
    card = enroll(client)
    return {"program": program["id"], "card": card["card_number"], "cashier": _cashier(merchant, "loc-2")}


def _post(client, path, headers, data):
    return client.http.post(path, headers=headers, body=json.dumps(data))


def _sale(receipt_id="r-1", location="loc-2", **extra):
    return {"location_id": location, "receipt_id": receipt_id, "card": extra.pop("card", None), "total": 100000,
            **extra}


# --- roles ----------------------------------------------------------------------------------------

def test_a_cashier_holds_the_till_alone(client, merchant, chain):
    cashier = chain["cashier"]
    me = body(client.http.get("/admin/me", headers=cashier))
    assert me["permissions"] == ["till:write"]
    program = chain["program"]
    for path in ("/admin/programs", f"/admin/programs/{program}", f"/admin/programs/{program}/cards",
                 f"/admin/programs/{program}/analytics/summary", f"/admin/programs/{program}/campaigns"):
        assert client.http.get(path, headers=cashier).status_code == 403, path
    assert client.http.get("/admin/till", headers=bearer(merchant, "analyst")).status_code == 403
    assert client.http.get("/admin/till").status_code == 401


def test_the_till_lists_where_each_role_may_sell(client, merchant, chain):
    mine = body(client.http.get("/admin/till", headers=chain["cashier"]))
    assert mine == {"locations": [{"id": "loc-2", "name": "Arbat", "address": "Arbat 2", "program_id": chain["program"],
                                   "program_name": "Coffee Club", "currency": "RUB", "kind": "points"}],
                    "programs_without_locations": []}
    owners = body(client.http.get("/admin/till", headers=bearer(merchant, "manager")))
    assert [place["id"] for place in owners["locations"]] == ["loc-1", "loc-2"]  # the closed one is not a till


# --- selling ---------------------------------------------------------------------------------------

def test_a_cashier_at_location_2_sells_there_and_not_at_location_1(client, merchant, chain):
    cashier, number = chain["cashier"], chain["card"]
    looked = client.http.get(f"/admin/till/cards/{number}?location_id=loc-1", headers=cashier)
    assert looked.status_code == 404 and body(looked)["error"]["code"] == "location_not_found"
    refused = _post(client, "/admin/till/receipts", cashier, _sale(location="loc-1", card=number))
    assert refused.status_code == 404
    spaced = " ".join(number[i:i + 4] for i in range(0, 12, 4))
    card = body(client.http.get(f"/admin/till/cards/{spaced}?location_id=loc-2", headers=cashier))
    assert (card["card_number"], card["balance"], card["name"]) == (number, 100, "Anna")
    quote = body(_post(client, "/admin/till/quote", cashier, {"location_id": "loc-2", "card": number, "total": 100000}))
    assert quote["max_redeem"] == 100 and quote["earn"] > 0
    sold = _post(client, "/admin/till/receipts", cashier, _sale(card=number, redeem=100))
    assert sold.status_code == 200, sold.body
    answer = body(sold)
    assert answer["redeemed"] == 100 and answer["balance"] == answer["earned"]
    item = Receipt.get(chain["program"], "receipt#r-1")
    assert (item.location_id, item.actor) == ("loc-2", "test-cashier")
    assert client.http.get(f"/admin/till/cards/{number}?location_id=loc-2",
                           headers=cashier).status_code == 200


def test_a_repeat_replays_and_another_body_under_the_same_id_conflicts(client, merchant, chain):
    cashier, number = chain["cashier"], chain["card"]
    first = _post(client, "/admin/till/receipts", cashier, _sale(card=number))
    again = _post(client, "/admin/till/receipts", cashier, _sale(card=number))
    assert again.status_code == 200 and again.headers.get("Idempotent-Replay") == "true"
    assert body(again) == body(first)
    other = _post(client, "/admin/till/receipts", cashier, _sale(card=number, total=200000))
    assert other.status_code == 409 and body(other)["error"]["code"] == "receipt_conflict"
    elsewhere = _post(client, "/admin/till/receipts", bearer(merchant), _sale(location="loc-1", card=number))
    assert elsewhere.status_code == 409  # the same id at another location is another sale, not this one
    card = body(client.http.get(f"/admin/till/cards/{number}?location_id=loc-2", headers=cashier))
    assert card["balance"] == 100 + body(first)["earned"]  # sold once


def test_bad_card_numbers_are_400_and_misses_are_counted_per_staff_member(client, merchant, chain):
    program = program_store.get(chain["program"])
    program_store.save_changes(program, {"limits": {"pos_lookup_misses_per_key": 2}}, datetime.now(UTC))
    cashier = chain["cashier"]
    bad = client.http.get("/admin/till/cards/123?location_id=loc-2", headers=cashier)
    assert bad.status_code == 400 and body(bad)["error"]["code"] == "invalid_card_number"
    stranger = next(number for number in (card_number.from_random("1000000000" + d) for d in "12")
                    if number != chain["card"])
    for _ in range(2):
        missed = client.http.get(f"/admin/till/cards/{stranger}?location_id=loc-2", headers=cashier)
        assert missed.status_code == 404 and body(missed)["error"]["code"] == "card_not_found"
    limited = client.http.get(f"/admin/till/cards/{chain['card']}?location_id=loc-2", headers=cashier)
    assert limited.status_code == 429
    owner = client.http.get(f"/admin/till/cards/{chain['card']}?location_id=loc-2", headers=bearer(merchant))
    assert owner.status_code == 200  # another staff member's counter


@pytest.mark.parametrize("data, status, field", [
    ({"receipt_id": "x", "total": 1}, 400, "location_id"),
    ({"location_id": "loc-2", "receipt_id": "x", "total": -1}, 400, "total"),
    ({"location_id": "loc-2", "receipt_id": "x", "total": 1, "actor": "someone"}, 400, "actor"),
    ({"location_id": ["loc-2"], "receipt_id": "x", "total": 1}, 400, "location_id"),
    ({"location_id": "loc-2", "receipt_id": "x", "total": 1, "card": "1234"}, 400, "card"),
    ({"location_id": "loc-9", "receipt_id": "x", "total": 1}, 404, "location_id"),
    ({"location_id": "loc-0", "receipt_id": "x", "total": 1}, 404, "location_id"),
])
def test_bad_sales_name_the_field(client, merchant, chain, data, status, field):
    answer = _post(client, "/admin/till/receipts", chain["cashier"], data)
    assert answer.status_code == status and body(answer)["error"]["field"] == field


# --- refunds -----------------------------------------------------------------------------------------

def test_a_cashier_refunds_only_receipts_of_their_location(client, merchant, chain):
    cashier, number = chain["cashier"], chain["card"]
    owner = bearer(merchant)
    assert _post(client, "/admin/till/receipts", owner, _sale("r-at-1", "loc-1", card=number)).status_code == 200
    assert _post(client, "/admin/till/receipts", cashier, _sale("r-at-2", card=number)).status_code == 200
    listed = body(client.http.get("/admin/till/receipts?location_id=loc-2", headers=cashier))["items"]
    # the card's last four digits: enough to pick the refund, not to spend the card with (a full number is)
    assert [(item["receipt_id"], item["card_last4"], item["total"], item["actor"]) for item in listed] == [
        ("r-at-2", number[-4:], 100000, "test-cashier")]
    assert number not in json.dumps(listed)
    theirs = _post(client, "/admin/till/refunds", cashier,
                   {"location_id": "loc-2", "refund_id": "x-1", "receipt_id": "r-at-1", "amount": 100000})
    assert theirs.status_code == 404 and body(theirs)["error"]["code"] == "receipt_not_found"
    refund = {"location_id": "loc-2", "refund_id": "x-2", "receipt_id": "r-at-2", "amount": 100000}
    mine = _post(client, "/admin/till/refunds", cashier, refund)
    assert mine.status_code == 200, mine.body
    assert body(mine)["points_reversed"] > 0
    assert Receipt.get(chain["program"], "refund#x-2").actor == "test-cashier"
    again = _post(client, "/admin/till/refunds", cashier, refund)
    assert again.headers.get("Idempotent-Replay") == "true"
    listed = body(client.http.get("/admin/till/receipts?location_id=loc-2", headers=cashier))["items"]
    assert listed[0]["refunded_amount"] == 100000
    owners = body(client.http.get("/admin/till/receipts?location_id=loc-1", headers=owner))["items"]
    assert [item["receipt_id"] for item in owners] == ["r-at-1"]


# --- who stands where ---------------------------------------------------------------------------------

def test_a_cashier_whose_locations_closed_signs_in_to_an_empty_till(client, merchant, chain):
    _locations(chain["program"], Location("loc-1", "Tverskaya"), Location("loc-2", "Arbat", status="closed"))
    assert client.http.get("/admin/me", headers=chain["cashier"]).status_code == 200
    assert body(client.http.get("/admin/till", headers=chain["cashier"]))["locations"] == []
    assert _post(client, "/admin/till/receipts", chain["cashier"], _sale()).status_code == 404


def test_another_merchants_location_does_not_exist(client, merchant, other_merchant, chain):
    intruder = bearer(other_merchant)
    assert body(client.http.get("/admin/till", headers=intruder)) == {"locations": [],
                                                                     "programs_without_locations": []}
    answer = _post(client, "/admin/till/receipts", intruder, _sale(card=chain["card"]))
    assert answer.status_code == 404
    listed = client.http.get("/admin/till/receipts?location_id=loc-2", headers=intruder)
    assert listed.status_code == 404


def test_owners_sell_at_a_program_without_locations_and_cashiers_do_not(client, merchant, program):
    number = enroll(client)["card_number"]
    owner = bearer(merchant, "manager")
    till = body(client.http.get("/admin/till", headers=owner))
    assert till["locations"] == [] and [p["program_id"] for p in till["programs_without_locations"]] == [program["id"]]
    sold = _post(client, "/admin/till/receipts", owner,
                 {"program_id": program["id"], "receipt_id": "r-bare", "card": number, "total": 5000})
    assert sold.status_code == 200, sold.body
    item = Receipt.get(program["id"], "receipt#r-bare")
    assert (item.location_id, item.actor) == (None, "test-manager")
    cashier = _cashier(merchant, "loc-1")
    refused = _post(client, "/admin/till/receipts", cashier,
                    {"program_id": program["id"], "receipt_id": "r-bare-2", "total": 5000})
    assert refused.status_code == 404


def test_a_till_quote_answers_the_earn_for_the_points_spent(client, merchant, chain):
    """The till's hint: the earn of the receipt paid with the points the customer spends (fewer points earned
    on the money they pay for), checked as a receipt's redeem is."""
    cashier, number = chain["cashier"], chain["card"]
    ask = {"location_id": "loc-2", "card": number, "total": 100000}
    plain = body(_post(client, "/admin/till/quote", cashier, ask))
    assert "earn_with_redeem" not in plain
    half = body(_post(client, "/admin/till/quote", cashier, {**ask, "redeem": 50}))
    full = body(_post(client, "/admin/till/quote", cashier, {**ask, "redeem": 100}))
    none = body(_post(client, "/admin/till/quote", cashier, {**ask, "redeem": 0}))
    assert none["earn_with_redeem"] == plain["earn"]
    assert full["earn_with_redeem"] == plain["earn_with_max_redeem"] < half["earn_with_redeem"] < plain["earn"]
    sold = body(_post(client, "/admin/till/receipts", cashier, _sale(card=number, redeem=50)))
    assert sold["earned"] == half["earn_with_redeem"]  # the hint is what the receipt earns
    fresh = enroll(client, phone="+79160000002")["card_number"]  # 100 points: at most 100
    for redeem, status in ((101, 422), (-1, 400), ("50", 400), (10**13, 400)):
        answer = _post(client, "/admin/till/quote", cashier, {**ask, "card": fresh, "redeem": redeem})
        assert answer.status_code == status, (redeem, answer.body)
        assert body(answer)["error"]["field"] == "redeem"


def test_the_card_names_its_home_location_and_its_receipts_per_location(client, merchant, chain):
    """GET /admin/cards/{id}: the home a first purchase at a location gives, by name, and the receipts at each."""
    cashier, number = chain["cashier"], chain["card"]
    found = body(client.http.get(f"/admin/programs/{chain['program']}/cards?q={number}", headers=bearer(merchant)))
    card_id = found["items"][0]["id"]
    before = body(client.http.get(f"/admin/cards/{card_id}", headers=bearer(merchant)))
    assert before["home_location"] is None and before["places"] == []
    for receipt_id in ("r-a", "r-b"):
        assert _post(client, "/admin/till/receipts", cashier, _sale(receipt_id, card=number)).status_code == 200
    assert _post(client, "/admin/till/receipts", bearer(merchant), _sale("r-c", location="loc-1",
                                                                          card=number)).status_code == 200
    card = body(client.http.get(f"/admin/cards/{card_id}", headers=bearer(merchant)))
    assert card["home_location"] == {"id": "loc-2", "name": "Arbat", "status": "open"}
    assert card["places"] == [{"id": "loc-2", "name": "Arbat", "receipts": 2},
                              {"id": "loc-1", "name": "Tverskaya", "receipts": 1}]
