"""Offers held on a card (core/offers.py): definitions, every condition, expiry, used once, given back by
a full refund, the favourite-product rule, and the most a card holds."""
from dataclasses import replace
from datetime import date, timedelta

import pytest

from chalicelib.core import ledger, offers
from chalicelib.core import mechanics as mech
from chalicelib.core.kinds.base import ReceiptLine, Sale
from chalicelib.core.ledger import CardState
from chalicelib.core.offers import HeldOffer
from chalicelib.core.products import PricedLine, Pricing
from chalicelib.errors import AppError, InvalidInput, RuleViolation

TUESDAY = date(2027, 3, 2)
DEFS = [
    {"id": "dessert", "name": {"ru": "Десерт в подарок", "en": "A free dessert"},
     "reward": {"type": "free_item", "item": {"ru": "Чизкейк", "en": "Cheesecake"}, "sku": "cake"},
     "conditions": {"min_total": 50_000}},
    {"id": "coffee10", "name": "10% on coffee", "reward": {"type": "percent", "percent": 10},
     "conditions": {"categories": ["coffee"], "skus": ["beans"]}},
    {"id": "tuesday", "name": "Tuesday bonus", "reward": {"type": "points", "points": 100},
     "conditions": {"days": ["tue"], "hours": ["08:00", "11:00"]}, "valid_days": 7},
    {"id": "night", "name": "Night owl", "reward": {"type": "points", "points": 5},
     "conditions": {"hours": ["22:00", "02:00"]}},
    {"id": "favourite", "name": "Your favourite, free", "reward": {"type": "free_item", "item": "Your favourite"},
     "auto": {"rule": "favourite_product", "min_units": 3, "every_days": 30}},
]
RULES = mech.parse({"offers": DEFS})


def _pricing(*lines: tuple[str | None, str | None, float, int], excluded: tuple[int, ...] = ()) -> Pricing:
    priced = tuple(PricedLine(index, sku, category, qty, amount, excluded=index in excluded, net=amount)
                   for index, (sku, category, qty, amount) in enumerate(lines))
    return Pricing(priced, sum(line.amount for line in priced if not line.excluded))


def _sale(total: int, *, day: date = TUESDAY, time: str | None = "09:30", ref: str = "r1") -> Sale:
    return Sale(total=total, lines=(), today=day, sold_on=day.isoformat(), receipt_ref=ref, local_time=time)


def _held(offer_id: str, day: date = TUESDAY, **more) -> tuple[HeldOffer, ...]:
    return offers.issue((), RULES, offer_id, day, "h1", **more)


def _take(held, pricing: Pricing, **sale):
    return offers.take(held, RULES, _sale(pricing.payable, **sale), pricing, "h1")


def _refused(held, pricing: Pricing, **sale) -> str:
    with pytest.raises(RuleViolation) as refused:
        _take(held, pricing, **sale)
    assert refused.value.field == "offer_id"
    return str(refused.value.code)


# --- definitions ---------------------------------------------------------------------------------

def test_definitions_come_back_as_they_were_written():
    written = mech.to_dict(RULES)["offers"]
    assert written[1] == {"id": "coffee10", "name": "10% on coffee", "reward": {"type": "percent", "percent": 10},
                          "conditions": {"skus": ["beans"], "categories": ["coffee"]}, "valid_days": 30, "auto": None}
    assert written[4]["auto"] == {"rule": "favourite_product", "min_units": 3, "every_days": 30}
    assert mech.parse({"offers": written}) == RULES


@pytest.mark.parametrize(("offer", "field"), [
    ({"id": "x", "name": "X"}, "mechanics.offers[0].reward"),
    ({"id": "x", "name": "X", "reward": {"type": "cash"}}, "mechanics.offers[0].reward.type"),
    ({"id": "x", "name": "X", "reward": {"type": "percent", "percent": 0}}, "mechanics.offers[0].reward.percent"),
    ({"id": "x", "name": "X", "reward": {"type": "points", "points": 1}, "valid_days": 400},
     "mechanics.offers[0].valid_days"),
    ({"id": "x", "name": "X", "reward": {"type": "points", "points": 1}, "conditions": {"days": ["monday"]}},
     "mechanics.offers[0].conditions.days[0]"),
    ({"id": "x", "name": "X", "reward": {"type": "points", "points": 1}, "conditions": {"hours": ["9:00", "10:00"]}},
     "mechanics.offers[0].conditions.hours[0]"),
    ({"id": "x", "name": "X", "reward": {"type": "points", "points": 1}, "auto": {"rule": "birthday"}},
     "mechanics.offers[0].auto.rule"),
    ({"id": "x y", "name": "X", "reward": {"type": "points", "points": 1}}, "mechanics.offers[0].id"),
])
def test_a_wrong_definition_names_its_field(offer, field):
    with pytest.raises(InvalidInput) as refused:
        mech.parse({"offers": [offer]})
    assert refused.value.field == field


def test_offer_ids_are_unique_and_at_most_thirty():
    one = {"id": "x", "name": "X", "reward": {"type": "points", "points": 1}}
    with pytest.raises(InvalidInput) as twice:
        mech.parse({"offers": [one, one]})
    assert (twice.value.code, twice.value.field) == ("duplicate", "mechanics.offers[1].id")
    with pytest.raises(InvalidInput) as many:
        mech.parse({"offers": [{**one, "id": f"x{n}"} for n in range(31)]})
    assert many.value.field == "mechanics.offers"


# --- conditions and rewards ------------------------------------------------------------------------

def test_a_free_item_takes_its_unit_price_off_when_it_is_on_the_receipt():
    held = _held("dessert")
    taken = _take(held, _pricing(("latte", "coffee", 1, 30_000), ("cake", "dessert", 2, 40_000)))
    assert taken.discount == 20_000 and taken.points == 0
    assert taken.used is not None and taken.used.used_by == "r1"
    assert taken.detail is not None and taken.detail["id"] == "h1" and taken.detail["status"] == "used"
    assert taken.detail["reward"] == {"type": "free_item", "item": "Чизкейк", "sku": "cake"}
    assert _refused(held, _pricing(("latte", "coffee", 1, 60_000))) == "offer_not_applicable"  # no cake


def test_the_minimum_total_counts_payable_money_only():
    held = _held("dessert")
    lines = (("cake", None, 1, 20_000), ("cigarettes", "tobacco", 1, 40_000))
    assert _refused(held, _pricing(*lines, excluded=(1,))) == "offer_not_applicable"
    assert _take(held, _pricing(*lines)).discount == 20_000


def test_a_percentage_is_of_the_matching_payable_lines():
    held = _held("coffee10")
    pricing = _pricing(("latte", "coffee", 2, 40_000), ("beans", None, 1, 90_000), ("cake", "dessert", 1, 30_000),
                       ("espresso", "coffee", 1, 15_000), excluded=(3,))
    assert _take(held, pricing).discount == 13_000  # 10% of 40 000 + 90 000; the excluded espresso is not paid
    assert _refused(held, _pricing(("cake", "dessert", 1, 30_000))) == "offer_not_applicable"


def test_a_percentage_without_products_is_of_the_whole_payable_receipt():
    plain = mech.parse({"offers": [{"id": "all5", "name": "5%", "reward": {"type": "percent", "percent": 5.5}}]})
    held = offers.issue((), plain, "all5", TUESDAY, "h1")
    pricing = _pricing((None, None, 1, 100_000))
    assert offers.take(held, plain, _sale(100_000), pricing, "h1").discount == 5_500


def test_days_and_hours_are_the_programs_local_ones():
    held = _held("tuesday")
    lines = _pricing(("latte", "coffee", 1, 30_000))
    assert _take(held, lines).points == 100
    assert _refused(held, lines, day=TUESDAY + timedelta(days=1)) == "offer_not_applicable"  # Wednesday
    assert _refused(held, lines, time="11:00") == "offer_not_applicable"  # the end is not included
    assert _take(held, lines, time="08:00").points == 100


def test_hours_may_run_past_midnight():
    held = _held("night")
    lines = _pricing((None, None, 1, 1_000))
    assert _take(held, lines, time="23:10").points == 5
    assert _take(held, lines, time="01:59").points == 5
    assert _refused(held, lines, time="02:00") == "offer_not_applicable"
    assert _refused(held, lines, time="21:59") == "offer_not_applicable"


def test_an_offer_is_redeemed_once_and_only_while_valid():
    held = _held("tuesday")  # valid 7 days: until the next Monday
    assert held[0].expires_on == (TUESDAY + timedelta(days=6)).isoformat()
    lines = _pricing((None, None, 1, 1_000))
    used = _take(held, lines).offers
    assert _refused(used, lines) == "offer_used"
    assert _refused(held, lines, day=TUESDAY + timedelta(days=7)) == "offer_expired"  # a Tuesday, a day too late
    night = _held("night")  # valid 30 days, the last one included
    assert _take(night, lines, day=TUESDAY + timedelta(days=29), time="23:00").points == 5
    assert _refused(night, lines, day=TUESDAY + timedelta(days=30), time="23:00") == "offer_expired"
    with pytest.raises(RuleViolation) as unknown:
        offers.take(held, RULES, _sale(1_000), lines, "h2")
    assert unknown.value.code == "offer_not_found"
    assert offers.take(held, RULES, _sale(1_000), lines, None).offers == held  # nothing asked: nothing taken


def test_an_offer_whose_definition_was_deleted_cannot_be_redeemed():
    held = _held("tuesday")
    fewer = replace(RULES, offers=tuple(o for o in RULES.offers if o.id != "tuesday"))
    with pytest.raises(RuleViolation) as gone:
        offers.take(held, fewer, _sale(1_000), _pricing((None, None, 1, 1_000)), "h1")
    assert gone.value.code == "offer_not_found"


# --- refunds ---------------------------------------------------------------------------------------

def test_only_the_receipt_that_used_an_offer_gives_it_back():
    used = _take(_held("tuesday"), _pricing((None, None, 1, 1_000))).offers
    assert offers.give_back(used, "h1", "another") == used
    back = offers.give_back(used, "h1", "r1")
    assert back[0].status(TUESDAY) == "live" and back[0].used_by is None
    assert offers.give_back(back, "h1", "r1") == back  # a second refund: nothing more


def test_a_full_refund_in_the_ledger_gives_the_offer_back_and_a_partial_one_does_not():
    state = CardState(balance=0, lots=(), tier="base", offers=_held("tuesday"))
    sold = ledger.receipt(state, RULES, total=10_000, redeem=0, today=TUESDAY, lot_id="l1", receipt_ref="r1",
                          offer_id="h1", local_time="09:00")
    assert sold.state.offers[0].used_by == "r1" and sold.details["offer"]["points"] == 100
    totals = ledger.ReceiptTotals(total=10_000, earned=sold.earned, redeemed=0, offer_id="h1")
    part = ledger.refund(sold.state, RULES, totals, amount=4_000, today=TUESDAY, lot_id="x1", receipt_ref="r1")
    assert part.state.offers[0].used_by == "r1"
    rest = ledger.refund(part.state, RULES, replace(totals, refunded=4_000, reversed=-part.earned), amount=6_000,
                         today=TUESDAY, lot_id="x2", receipt_ref="r1")
    assert rest.state.offers[0].status(TUESDAY) == "live"
    assert rest.state.balance == 0  # the offer's points went back with the receipt


# --- issuing ---------------------------------------------------------------------------------------

def test_a_card_holds_at_most_twenty_live_offers():
    held: tuple[HeldOffer, ...] = ()
    for n in range(offers.MAX_HELD):
        held = offers.issue(held, RULES, "tuesday", TUESDAY, f"h{n}", strict=True)
    with pytest.raises(AppError) as full:
        offers.issue(held, RULES, "tuesday", TUESDAY, "h99", strict=True)
    assert (full.value.status, full.value.code) == (409, "too_many_offers")
    assert offers.issue(held, RULES, "tuesday", TUESDAY, "h99") == held  # a rule's issue passes over a full card
    used = offers.take(held, RULES, _sale(1_000), _pricing((None, None, 1, 1_000)), "h0").offers
    assert len(offers.issue(used, RULES, "tuesday", TUESDAY, "h99", strict=True)) == offers.MAX_HELD + 1


def test_an_unknown_definition_is_not_issued():
    with pytest.raises(AppError) as unknown:
        offers.issue((), RULES, "nope", TUESDAY, "h1", strict=True)
    assert (unknown.value.status, unknown.value.code) == (404, "offer_not_found")
    assert offers.issue((), RULES, "nope", TUESDAY, "h1") == ()


def test_used_and_expired_offers_are_dropped_ninety_days_later():
    held = offers.take(_held("tuesday"), RULES, _sale(1_000), _pricing((None, None, 1, 1_000)), "h1").offers
    held = offers.issue(held, RULES, "dessert", TUESDAY, "h2")  # expires in 30 days, unused
    later = TUESDAY + timedelta(days=offers.KEEP_DAYS)
    assert [o.held_id for o in offers.issue(held, RULES, "night", later, "h3")] == ["h1", "h2", "h3"]
    much_later = TUESDAY + timedelta(days=offers.KEEP_DAYS + 30)
    assert [o.held_id for o in offers.issue(held, RULES, "night", much_later, "h3")] == ["h3"]


def test_units_are_counted_by_sku_and_kept_small():
    counts = offers.tally({}, [ReceiptLine("latte", "Latte", 2, 40_000), ReceiptLine("apples", "Apples", 0.35, 5_000),
                               ReceiptLine("latte", "Latte", 1, 20_000), ReceiptLine(None, "Bag", 1, 500),
                               ReceiptLine("promo", "Discount", 1, -1_000)])
    assert counts == {"latte": 3, "apples": 1}
    many = offers.tally(counts, [ReceiptLine(f"s{n:02d}", None, 1, 100) for n in range(40)])
    assert len(many) == offers.MAX_SKUS and many["latte"] == 3 and many["apples"] == 1


def test_a_favourite_product_gets_its_personal_offer_once_a_period():
    assert offers.auto_issue((), RULES, {"latte": 2}, TUESDAY, "r1") == ((), {"latte": 2})  # not yet 3 units
    held, counts = offers.auto_issue((), RULES, {"latte": 4, "cake": 5, "tea": 5}, TUESDAY, "r1")
    assert [(o.offer, o.sku) for o in held] == [("favourite", "cake")]  # the most bought; ties by SKU
    assert counts == {"latte": 4, "cake": 2, "tea": 5}  # the cake counts again from what is left over 3
    assert offers.auto_issue(held, RULES, {"cake": 9}, TUESDAY + timedelta(days=29), "r2") == (held, {"cake": 9})
    again, _ = offers.auto_issue(held, RULES, {"cake": 9}, TUESDAY + timedelta(days=30), "r3")
    assert len(again) == 2 and again[1].held_id == "r3a4"
    # the personal offer is for its product: that product free when it is on the receipt
    lines = _pricing(("latte", None, 1, 30_000), ("cake", None, 1, 25_000))
    assert offers.take(held, RULES, _sale(55_000), lines, held[0].held_id).discount == 25_000
    with pytest.raises(RuleViolation) as elsewhere:
        offers.take(held, RULES, _sale(30_000), _pricing(("latte", None, 1, 30_000)), held[0].held_id)
    assert elsewhere.value.code == "offer_not_applicable"


def test_a_receipt_counts_units_and_issues_the_favourite_offer():
    state = CardState(balance=0, lots=(), tier="base", products={"latte": 2})
    sold = ledger.receipt(state, RULES, total=20_000, redeem=0, today=TUESDAY, lot_id="l1", receipt_ref="r1",
                          lines=[ReceiptLine("latte", "Latte", 1, 20_000)], local_time="09:00")
    assert sold.state.products == {}  # the three lattes gave their offer: the count starts again
    assert [(o.offer, o.sku, o.held_id) for o in sold.state.offers] == [("favourite", "latte", "l1a4")]


# --- what people see ---------------------------------------------------------------------------------

def test_views_say_name_reward_validity_and_status_in_the_readers_language():
    held = _held("dessert")[0]
    assert offers.view(held, RULES, "en", TUESDAY) == {
        "id": "h1", "offer": "dessert", "name": "A free dessert", "valid_until": "2027-03-31", "status": "live",
        "reward": {"type": "free_item", "item": "Cheesecake", "sku": "cake"}}
    assert offers.view(held, RULES, None, TUESDAY)["name"] == "Десерт в подарок"
    assert offers.view(held, RULES, "en", date(2027, 4, 1))["status"] == "expired"


def test_a_quote_lists_live_offers_with_whether_each_applies():
    held = _held("dessert") + offers.issue((), RULES, "coffee10", TUESDAY, "h2")
    held = held + offers.issue((), RULES, "night", TUESDAY - timedelta(days=40), "h3")  # expired
    pricing = _pricing(("latte", "coffee", 1, 30_000))
    shown = offers.live(held, RULES, _sale(30_000), pricing, TUESDAY)
    assert [(o["id"], o["applicable"]) for o in shown] == [("h1", False), ("h2", True)]


def test_a_free_item_comes_off_its_own_line_so_the_rest_earns_in_full():
    """Beans at 10% and a latte an offer pays for: the beans, paid in full, earn their 40 points; the
    latte, paid by nobody, earns nothing (the discount used to come off both lines pro rata)."""
    program = mech.parse({"point_value": 100, "tiers": [{"id": "b", "name": "B", "threshold": 0, "earn_percent": 5}],
                          "products": [{"id": "beans", "categories": ["beans"], "earn_percent": 10}],
                          "offers": [{"id": "latte", "name": "A free latte",
                                      "reward": {"type": "free_item", "item": "Latte", "sku": "LATTE"}}]})
    state = CardState(balance=0, lots=(), tier="b", offers=(HeldOffer("h1", "latte", "2027-03-01", "2027-04-01"),))
    lines = [ReceiptLine("BEANS", None, 1, 40000, "beans"), ReceiptLine("LATTE", None, 1, 25000, "coffee")]
    sold = ledger.receipt(state, program, total=65000, redeem=0, today=TUESDAY, lot_id="r", receipt_ref="R",
                          lines=lines, offer_id="h1")
    assert sold.details["discount"] == 25000 and sold.paid == 40000
    assert sold.earned == 40 and [line["earn"] for line in sold.details["lines"]] == [40, 0]


def test_a_percentage_offer_on_some_products_comes_off_those_lines_only():
    program = mech.parse({"point_value": 1, "tiers": [{"id": "b", "name": "B", "threshold": 0, "earn_percent": 10}],
                          "products": [{"id": "cake", "categories": ["cake"], "earn_percent": 20}],
                          "offers": [{"id": "half", "name": "Half price coffee",
                                      "reward": {"type": "percent", "percent": 50},
                                      "conditions": {"categories": ["coffee"]}}]})
    state = CardState(balance=0, lots=(), tier="b", offers=(HeldOffer("h1", "half", "2027-03-01", "2027-04-01"),))
    lines = [ReceiptLine("CAKE", None, 1, 1000, "cake"), ReceiptLine("LATTE", None, 1, 1000, "coffee")]
    sold = ledger.receipt(state, program, total=2000, redeem=0, today=TUESDAY, lot_id="r", receipt_ref="R",
                          lines=lines, offer_id="h1")
    # the cake paid 1000 at 20% (200), the latte 500 at 10% (50)
    assert sold.details["discount"] == 500 and [line["earn"] for line in sold.details["lines"]] == [200, 50]


def test_a_stamp_is_not_given_for_a_coffee_an_offer_paid_for():
    program = mech.parse({"kind": "stamps", "tiers": [{"id": "b", "name": "B", "threshold": 0}],
                          "stamps": {"per_reward": 9, "categories": ["coffee"], "reward": "A free coffee"},
                          "offers": [{"id": "latte", "name": "A free latte",
                                      "reward": {"type": "free_item", "item": "Latte", "sku": "LATTE"}}]})
    state = CardState(balance=0, lots=(), tier="b", offers=(HeldOffer("h1", "latte", "2027-03-01", "2027-04-01"),))
    latte = ReceiptLine("LATTE", None, 1, 25000, "coffee")
    free = ledger.receipt(state, program, total=25000, redeem=0, today=TUESDAY, lot_id="r", receipt_ref="R",
                          lines=[latte], offer_id="h1")
    assert (free.paid, free.earned) == (0, 0)
    paid = ledger.receipt(free.state, program, total=50000, redeem=0, today=TUESDAY, lot_id="s", receipt_ref="S",
                          lines=[latte, ReceiptLine("FLAT", None, 1, 25000, "coffee")])
    assert paid.earned == 2  # coffees paid for earn as before


def test_a_favourite_bought_once_gives_one_personal_offer_not_one_every_period():
    """Five lattes once, then only bread rolls for a year: one free latte, not one every 60 days."""
    program = mech.parse({"tiers": [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5}],
                          "offers": [{"id": "fav", "name": "Your favourite free", "reward": {"type": "free_item",
                                                                                             "item": "fav"},
                                      "auto": {"rule": "favourite_product", "min_units": 5, "every_days": 60}}]})
    state = CardState(balance=0, lots=(), tier="base")
    state = ledger.receipt(state, program, total=1000, redeem=0, today=TUESDAY, lot_id="r0", receipt_ref="R0",
                           lines=[ReceiptLine("LATTE", None, 5, 1000)]).state
    issued = {(item.held_id, item.sku) for item in state.offers}
    for n in range(1, 7):
        day = TUESDAY + timedelta(days=60 * n)
        state = ledger.receipt(state, program, total=100, redeem=0, today=day, lot_id=f"r{n}", receipt_ref=f"R{n}",
                               lines=[ReceiptLine("ROLL", None, 1, 100)]).state
        issued |= {(item.held_id, item.sku) for item in state.offers}
    assert [sku for _, sku in issued].count("LATTE") == 1 and "LATTE" not in state.products
