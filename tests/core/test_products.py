"""Product rules: what each line of a receipt earns and what points may pay for."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core import challenges, ledger, products
from chalicelib.core import mechanics as mech
from chalicelib.core.kinds import ReceiptLine
from chalicelib.core.kinds.base import Sale
from chalicelib.errors import InvalidInput, RuleViolation

DAY = date(2026, 3, 10)
TIERS = [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5}]
RULES = [
    {"id": "tobacco", "categories": ["tobacco"], "exclude": True},
    {"id": "beans", "skus": ["BEANS-1"], "earn_percent": 10},
    {"id": "march-croissant", "skus": ["CRO"], "multiplier": 3, "from": "2026-03-01", "until": "2026-03-31"},
    {"id": "pastry", "categories": ["pastry"], "multiplier": 2},
]
MECHANICS = mech.parse({"tiers": TIERS, "products": RULES, "redeem_cap_percent": 50, "point_value": 100,
                        "lifetime_days": None})


def line(amount, sku=None, category=None, qty=1):
    return ReceiptLine(sku, None, qty, amount, category)


def sale(total, *lines, day=DAY):
    return Sale(total=total, lines=tuple(lines), today=day, sold_on=day.isoformat(), receipt_ref="r1")


def priced(total, *lines, day=DAY):
    return products.price(MECHANICS, MECHANICS.tiers[0], sale(total, *lines, day=day))


def test_rules_round_trip_through_admin_json():
    again = mech.parse(mech.to_dict(MECHANICS))
    assert again.products == MECHANICS.products
    assert mech.to_dict(MECHANICS)["products"][2] == {"id": "march-croissant", "skus": ["CRO"], "categories": [],
                                                      "multiplier": 3, "from": "2026-03-01", "until": "2026-03-31"}


@pytest.mark.parametrize("rules, field", [
    ([{"id": "a", "skus": ["X"], "exclude": True}, {"id": "b", "skus": ["Y"], "earn_percent": 1},
      {"id": "c", "skus": ["Z"], "multiplier": 11}], "mechanics.products[2].multiplier"),
    ([{"id": "a", "skus": ["X"], "multiplier": 0.05}], "mechanics.products[0].multiplier"),
    ([{"id": "a", "skus": ["X"], "multiplier": 1.555}], "mechanics.products[0].multiplier"),
    ([{"id": "a", "skus": ["X"], "exclude": True, "earn_percent": 3}], "mechanics.products[0].earn_percent"),
    ([{"id": "a", "skus": ["X"]}], "mechanics.products[0].exclude"),
    ([{"id": "a", "exclude": True}], "mechanics.products[0].skus"),
    ([{"id": "a", "skus": [""], "exclude": True}], "mechanics.products[0].skus[0]"),
    ([{"id": "a", "skus": ["X"], "exclude": True, "colour": 1}], "mechanics.products[0].colour"),
    ([{"id": "a", "skus": ["X"], "exclude": True}, {"id": "a", "skus": ["Y"], "exclude": True}],
     "mechanics.products[1].id"),
    ([{"id": "a", "skus": ["X"], "exclude": True, "from": "2026-03-02", "until": "2026-03-01"}],
     "mechanics.products[0].until"),
    ([{"id": "a", "skus": ["X"], "exclude": True, "from": "2026-02-30"}], "mechanics.products[0].from"),
    ([{"id": str(n), "skus": ["X"], "exclude": True} for n in range(51)], "mechanics.products"),
    ({"id": "a"}, "mechanics.products"),
])
def test_bad_rules_name_the_field(rules, field):
    with pytest.raises(InvalidInput) as refused:
        mech.parse({"products": rules})
    assert refused.value.field == field


def test_a_receipt_without_lines_is_one_whole_line_at_the_tiers_rate():
    pricing = priced(12345)
    assert pricing.payable == 12345 and not pricing.listed
    assert [(item.index, item.net, item.rate) for item in pricing.lines] == [(None, 12345, 500)]


@given(st.integers(0, 10**10), st.integers(0, 10_000), st.integers(1, 1000), st.integers(0, 10**6))
def test_without_lines_a_receipt_earns_exactly_as_before_product_rules(total, earn_bp, point_value, redeem):
    program = mech.Mechanics(point_value=point_value, tiers=(mech.Tier("base", "Base", 0, earn_bp),),
                             products=MECHANICS.products)
    redeem = min(redeem, total // point_value)
    sold = ledger.earning(program, "base", sale(total), redeem=redeem)
    assert sold.earned == (total - redeem * point_value) * earn_bp // 10_000 // point_value  # README's formula


def test_the_first_matching_rule_wins_and_excluded_lines_are_not_payable():
    pricing = priced(10000, line(3000, "BEANS-1", "tobacco"), line(2000, "CRO", "pastry"), line(5000, "MILK"))
    assert [(item.rule, item.payable) for item in pricing.lines] == [
        ("tobacco", False), ("march-croissant", True), (None, True)]
    assert pricing.payable == 7000


def test_a_promotion_does_nothing_outside_its_days():
    inside = priced(2000, line(2000, "CRO", "pastry"), day=date(2026, 3, 31))
    after = priced(2000, line(2000, "CRO", "pastry"), day=date(2026, 4, 1))
    assert inside.lines[0].rule == "march-croissant" and inside.lines[0].rate == 1500
    assert after.lines[0].rule == "pastry" and after.lines[0].rate == 1000  # the next rule that matches


def test_lines_short_of_the_total_leave_an_unlisted_remainder_at_the_tiers_rate():
    pricing = priced(10000, line(6000, "BEANS-1"))
    assert [(item.index, item.net, item.rate) for item in pricing.lines] == [(0, 6000, 1000), (None, 4000, 500)]
    sold = ledger.earning(MECHANICS, "base", sale(10000, line(6000, "BEANS-1")))
    assert sold.per_line == (6, 2) and sold.earned == 8


def test_lines_above_the_total_share_the_total_pro_rata():
    """A receipt-level discount (or a negative discount line) lowers every positive line alike."""
    pricing = priced(9000, line(5000, "A"), line(5000, "B", "tobacco"), line(-1000, "DISCOUNT"))
    assert [item.net for item in pricing.lines] == [4500, 4500, 0]
    odd = priced(100, line(100, "A"), line(100, "B"), line(100, "C"))  # 33.33 each: whole minor units add up
    assert [item.net for item in odd.lines] == [34, 33, 33]


def test_excluded_lines_earn_nothing_and_points_pay_only_for_payable_money():
    lines = (line(20000, "CIG", "tobacco"), line(10000, "LATTE"))
    state = ledger.CardState(balance=0, lots=(), tier="base")
    state = ledger.bonus(state, MECHANICS, source="campaign", points=1000, today=DAY, lot_id="b1").state
    assert ledger.max_redeem(MECHANICS, state, 30000, DAY.isoformat(), payable=10000) == 50  # 50% of 100.00
    with pytest.raises(RuleViolation) as refused:
        ledger.receipt(state, MECHANICS, total=30000, redeem=51, today=DAY, lot_id="l", receipt_ref="r",
                       lines=lines)
    assert refused.value.code == "redeem_not_allowed"
    outcome = ledger.receipt(state, MECHANICS, total=30000, redeem=50, today=DAY, lot_id="l", receipt_ref="r",
                             lines=lines)
    # 100.00 of coffee, 50.00 of it paid with points: 5% of 50.00 = 2.50 -> 2 points; tobacco earns nothing
    assert outcome.earned == 2 and outcome.paid == 25000
    assert outcome.details["lines"] == [{"index": 0, "earn": 0, "payable": False, "rule": "tobacco"},
                                        {"index": 1, "earn": 2, "payable": True, "rule": None}]
    assert outcome.details["payable"] == 10000


def test_multipliers_and_own_rates_earn_per_line_and_add_up_to_the_receipt():
    lines = (line(1990, "CRO", "pastry"), line(1990, "BUN", "pastry"), line(2990, "BEANS-1"), line(990, "TEA"))
    sold = ledger.earning(MECHANICS, "base", sale(7960, *lines))
    # exactly: 19.90*15% + 19.90*10% + 29.90*10% + 9.90*5% = 2.985 + 1.99 + 2.99 + 0.495 = 8.46 -> 8 points
    assert sold.earned == 8 and sum(sold.per_line) == 8
    assert sold.per_line == (3, 2, 3, 0)  # floors 2, 1, 2, 0; the rest to the largest remainders


def test_a_quote_earns_as_the_receipt_would():
    lines = (line(20000, "CIG", "tobacco"), line(10000, "BEANS-1"))
    assert ledger.earn_for(MECHANICS, "base", 30000, 0, lines, today=DAY) == 10
    assert ledger.earn_for(MECHANICS, "base", 30000, 0, today=DAY) == 15  # no lines: the whole at 5%


def test_excluded_lines_count_toward_no_challenge():
    """Cigarettes neither make a spend challenge's money nor a visit; a coffee beside them counts alone."""
    program = mech.parse({"tiers": TIERS, "products": [{"id": "tob", "categories": ["tobacco"], "exclude": True}],
                          "challenges": [
                              {"id": "spend", "name": "Spend 500", "goal": {"type": "spend", "target": 50000},
                               "window_days": 30, "reward": {"points": 300}},
                              {"id": "visits", "name": "Come twice", "goal": {"type": "visits", "target": 2},
                               "window_days": 30, "reward": {"points": 50}}]})
    state = ledger.CardState(balance=0, lots=(), tier="base")
    smoke = ledger.receipt(state, program, total=50000, redeem=0, today=DAY, lot_id="r", receipt_ref="R",
                           lines=[ReceiptLine("CIG", None, 2, 50000, "tobacco")])
    assert smoke.earned == 0 and smoke.state.balance == 0 and smoke.state.challenges == ()
    mixed = ledger.receipt(smoke.state, program, total=51000, redeem=0, today=DAY, lot_id="s", receipt_ref="S",
                           lines=[ReceiptLine("CIG", None, 2, 50000, "tobacco"),
                                  ReceiptLine("LATTE", None, 1, 1000, "coffee")])
    progress = {item["id"]: item["progress"] for item in challenges.views(mixed.state.challenges, program, None, DAY)}
    assert progress == {"spend": 1000, "visits": 1}
