"""Stamp cards, discount cards and product rules through the signed POS routes, as a cafe's till uses them."""
import json

import pytest

from chalicelib.usecases import pos as pos_cases
from tests.conftest import PosClient, bearer, body, enroll

LATTE = {"sku": "LATTE", "name": "Latte", "qty": 1, "amount": 25000, "category": "coffee"}
CIGARETTES = {"sku": "CIG-20", "name": "Cigarettes", "qty": 1, "amount": 20000, "category": "tobacco"}
TOBACCO_EXCLUDED = [{"id": "tobacco", "categories": ["tobacco"], "exclude": True}]


def _program(client, merchant, slug, mechanics):
    """A program of its own kind with a POS key: (its view, a signing client)."""
    response = client.http.post("/admin/programs", headers=bearer(merchant),
                                body=json.dumps({"name": slug.title(), "slug": slug, "mechanics": mechanics}))
    assert response.status_code == 201, response.body
    program = body(response)
    pos_cases.forget_cached()
    key = body(client.http.post(f"/admin/programs/{program['id']}/pos-keys", headers=bearer(merchant), body="{}"))
    return program, PosClient(client, key["key_id"], key["secret"])


def _ledger_explains(client, merchant, card_id):
    card = body(client.http.get(f"/admin/cards/{card_id}", headers=bearer(merchant)))
    entries = body(client.http.get(f"/admin/cards/{card_id}/ledger?limit=200", headers=bearer(merchant)))["items"]
    assert card["balance"] == sum(e["amount"] for e in entries) == sum(lot["remaining"] for lot in card["lots"])
    return card, entries


def _refused(response, code, field):
    assert response.status_code == 422, response.body
    error = body(response)["error"]
    assert (error["code"], error.get("field")) == (code, field)


@pytest.fixture
def cafe(client, merchant):
    return _program(client, merchant, "stamps", {
        "kind": "stamps", "products": TOBACCO_EXCLUDED,
        "stamps": {"per_reward": 9, "categories": ["coffee"],
                   "reward": {"ru": "Кофе в подарок", "en": "A free coffee"}},
    })


def test_a_nine_plus_one_stamp_card_with_a_tobacco_exclusion(client, merchant, cafe):
    program, pos = cafe
    card = enroll(client, slug="stamps")
    number = card["card_number"]
    quote = body(pos.post("/pos/quote", {"card": number, "total": 70000,
                                         "lines": [dict(LATTE, qty=2, amount=50000), CIGARETTES]}))
    assert quote["kind"] == "stamps" and quote["stamps_earn"] == quote["earn"] == 2
    assert (quote["stamps"], quote["per_reward"], quote["rewards_available"], quote["max_redeem"]) == (0, 9, 0, 0)
    assert quote["lines"] == [{"index": 0, "earn": 2, "payable": True, "rule": None},
                              {"index": 1, "earn": 0, "payable": False, "rule": "tobacco"}]
    assert quote["payable"] == 50000 and quote["offers"] == []

    first = body(pos.post("/pos/receipts", {"receipt_id": "s1", "card": number, "total": 70000,
                                            "lines": [dict(LATTE, qty=2, amount=50000), CIGARETTES]}))
    assert (first["earned"], first["stamps"], first["rewards_available"], first["rewards_redeemed"]) == (2, 2, 0, 0)
    for index in range(7):  # seven more lattes, one a day's visit each
        sold = body(pos.post("/pos/receipts", {"receipt_id": f"s{index + 2}", "card": number, "total": 25000,
                                               "lines": [LATTE]}))
    assert (sold["stamps"], sold["rewards_available"]) == (9, 1)

    refused = pos.post("/pos/receipts", {"receipt_id": "p1", "card": number, "total": 25000, "redeem": 1})
    _refused(refused, "redeem_not_allowed", "redeem")
    tenth = body(pos.post("/pos/receipts", {"receipt_id": "s10", "card": number, "total": 0, "rewards": 1,
                                            "lines": [dict(LATTE, amount=0)]}))
    assert (tenth["redeemed"], tenth["rewards_redeemed"], tenth["stamps"], tenth["earned"]) == (9, 1, 0, 0)
    again = pos.post("/pos/receipts", {"receipt_id": "s11", "card": number, "total": 0, "rewards": 1})
    _refused(again, "rewards_not_available", "rewards")
    replay = body(pos.post("/pos/receipts", {"receipt_id": "s10", "card": number, "total": 0, "rewards": 1,
                                             "lines": [dict(LATTE, amount=0)]}))
    assert replay == tenth  # the same receipt again: the same answer, nothing redeemed twice

    view, entries = _ledger_explains(client, merchant, card["card_id"])
    assert view["balance"] == 0
    assert [(e["kind"], e["amount"]) for e in entries if e["kind"] == "redeem"] == [("redeem", -9)]

    locked = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                               body=json.dumps({"mechanics": {"kind": "points"}}))
    assert locked.status_code == 409 and body(locked)["error"]["code"] == "kind_locked"


def test_refunding_a_stamp_receipt_takes_its_stamps_back(client, merchant, cafe):
    _, pos = cafe
    number = enroll(client, slug="stamps")["card_number"]
    pos.post("/pos/receipts", {"receipt_id": "s1", "card": number, "total": 75000, "lines": [dict(LATTE, qty=3,
                                                                                                   amount=75000)]})
    refund = body(pos.post("/pos/refunds", {"refund_id": "f1", "receipt_id": "s1", "amount": 25000}))
    assert (refund["points_reversed"], refund["balance"]) == (1, 2)


def test_rewards_and_redeem_are_refused_where_the_kind_has_none(client, merchant, program, pos):
    number = enroll(client)["card_number"]
    _refused(pos.post("/pos/receipts", {"receipt_id": "r1", "card": number, "total": 1000, "rewards": 1}),
             "rewards_not_allowed", "rewards")


def test_a_discount_card_quotes_and_applies_its_tiers_discount(client, merchant):
    program, pos = _program(client, merchant, "club", {
        "kind": "discount", "products": TOBACCO_EXCLUDED,
        "tiers": [{"id": "base", "name": "Base", "threshold": 0, "discount_percent": 5},
                  {"id": "gold", "name": "Gold", "threshold": 100000, "discount_percent": 10}]})
    number = enroll(client, slug="club")["card_number"]
    sale = {"card": number, "total": 125000, "lines": [dict(LATTE, qty=4, amount=100000), CIGARETTES,
                                                       dict(LATTE, amount=5000, sku="SUGAR", category=None)]}
    quote = body(pos.post("/pos/quote", sale))
    assert (quote["kind"], quote["discount_percent"], quote["discount"], quote["paid"]) == ("discount", 5, 5250,
                                                                                            119750)
    assert (quote["earn"], quote["max_redeem"], quote["payable"]) == (0, 0, 105000)
    sold = body(pos.post("/pos/receipts", {"receipt_id": "d1", **sale}))
    assert (sold["discount"], sold["paid"], sold["earned"], sold["balance"], sold["tier"]) == (5250, 119750, 0, 0,
                                                                                               "gold")
    after = body(pos.post("/pos/quote", {"card": number, "total": 10000}))
    assert (after["discount_percent"], after["discount"], after["paid"]) == (10, 1000, 9000)
    _refused(pos.post("/pos/receipts", {"receipt_id": "d2", "card": number, "total": 1000, "redeem": 1}),
             "redeem_not_allowed", "redeem")


def test_product_rules_price_a_points_receipt_line_by_line(client, merchant, program, pos):
    patched = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant), body=json.dumps(
        {"mechanics": {"products": TOBACCO_EXCLUDED + [{"id": "beans", "skus": ["BEANS"], "multiplier": 2}]}}))
    assert patched.status_code == 200, patched.body
    pos_cases.forget_cached()
    number = enroll(client)["card_number"]  # 100 welcome points; 5% at the base tier; 30% of a receipt
    lines = [CIGARETTES, {"sku": "BEANS", "qty": 1, "amount": 40000}, LATTE]
    quote = body(pos.post("/pos/quote", {"card": number, "total": 85000, "lines": lines}))
    assert quote["payable"] == 65000 and quote["max_redeem"] == 100  # 30% of 650.00 = 195; the card holds 100
    assert [line["earn"] for line in quote["lines"]] == [0, 40, 12] and quote["earn"] == 52
    sold = body(pos.post("/pos/receipts", {"receipt_id": "p1", "card": number, "total": 85000, "lines": lines,
                                           "redeem": 100}))
    # 100.00 paid with points comes off the payable 650.00 pro rata: 550.00 left, 400/650 of it beans x2
    assert sold["earned"] == quote["earn_with_max_redeem"] == 44 and sold["lines"][0]["earn"] == 0
    assert sum(line["earn"] for line in sold["lines"]) == sold["earned"]
    refused = pos.post("/pos/receipts", {"receipt_id": "p2", "card": number, "total": 20000, "lines": [CIGARETTES],
                                         "redeem": 1})
    _refused(refused, "redeem_not_allowed", "redeem")  # tobacco alone: nothing points may pay for
    plain = body(pos.post("/pos/receipts", {"receipt_id": "p3", "card": number, "total": 20000}))
    assert plain["earned"] == 10 and "lines" not in plain and "payable" not in plain  # no lines: as before


def test_a_program_without_cards_may_change_its_kind(client, merchant):
    program, _ = _program(client, merchant, "fresh", {})
    path = f"/admin/programs/{program['id']}"
    missing = client.http.patch(path, headers=bearer(merchant), body=json.dumps({"mechanics": {"kind": "stamps"}}))
    assert missing.status_code == 400 and body(missing)["error"]["field"] == "mechanics.stamps"
    changed = client.http.patch(path, headers=bearer(merchant), body=json.dumps(
        {"mechanics": {"kind": "stamps", "stamps": {"per_reward": 6, "per": "receipt", "reward": "A donut"}}}))
    assert changed.status_code == 200, changed.body
    assert body(changed)["mechanics"]["stamps"]["per_reward"] == 6


ODD_SALES = [
    {"total": 0, "lines": []},
    {"total": 0, "lines": [{"sku": "A", "qty": 0, "amount": 0}]},
    {"total": 100, "lines": [{"sku": "A", "qty": 0.0001, "amount": -1000000000000}]},
    {"total": 1000000000000, "lines": [{"sku": "A", "qty": 1000000, "amount": 1000000000000}] * 3},
    {"total": 5, "lines": [{"sku": "A", "qty": 3, "amount": 1},
                           {"sku": None, "category": "coffee", "qty": 2.5, "amount": 7}]},
    {"total": 5, "rewards": 1000},
    {"total": 5, "offer_id": "x" * 64},
]


def test_odd_receipts_of_every_kind_never_fail_with_5xx_nor_their_refunds(client, merchant):
    """A reviewer's hostile receipts (zero totals, negative and huge lines, too many rewards, an unknown offer)
    on a stamp card, a 100% discount card and a x10 points rule: answered or refused, never a 5xx."""
    for slug, mechanics in (
        ("stampsx", {"kind": "stamps", "stamps": {"per_reward": 2, "per": "item", "reward": "x"},
                     "products": [{"id": "a", "skus": ["A"], "exclude": True}]}),
        ("discx", {"kind": "discount", "tiers": [{"id": "b", "name": "B", "threshold": 0, "discount_percent": 100}]}),
        ("pointsx", {"products": [{"id": "a", "skus": ["A"], "multiplier": 10}], "redeem_cap_percent": 100}),
    ):
        _, till = _program(client, merchant, slug, mechanics)
        card = enroll(client, slug=slug)
        for n, extra in enumerate(ODD_SALES):
            priced = {key: value for key, value in extra.items() if key in ("total", "lines")}
            assert till.post("/pos/quote", {"card": card["card_number"], **priced}).status_code < 500
            sold = till.post("/pos/receipts", {"receipt_id": f"{slug}{n}", "card": card["card_number"], **extra})
            assert sold.status_code < 500, sold.body
            if sold.status_code == 200 and extra["total"]:
                refund = till.post("/pos/refunds", {"refund_id": f"f{slug}{n}", "receipt_id": f"{slug}{n}",
                                                    "amount": extra["total"]})
                assert refund.status_code < 500, refund.body
