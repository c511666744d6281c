"""Property tests of the points rules over random histories of receipts, redemptions, refunds,
bonuses, adjustments and expiry: the ledger explains every point and nothing goes negative."""
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core import ledger
from chalicelib.core import lots as lot_rules
from chalicelib.core import mechanics as mech
from chalicelib.core.kinds import ReceiptLine
from chalicelib.core.kinds.base import Sale
from chalicelib.errors import RuleViolation

MECHANICS = mech.parse({
    "tiers": [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5},
              {"id": "silver", "name": "Silver", "threshold": 300000, "earn_percent": 7.5},
              {"id": "gold", "name": "Gold", "threshold": 1000000, "earn_percent": 10}],
    "redeem_cap_percent": 50, "pending_days": 2, "lifetime_days": 30, "lifetime_by_source": {"welcome": 5},
    "point_value": 100,
})
START = date(2026, 1, 1)

receipt_op = st.tuples(st.just("receipt"), st.integers(0, 500000), st.floats(0, 1))
refund_op = st.tuples(st.just("refund"), st.integers(0, 20), st.floats(0.01, 1))
bonus_op = st.tuples(st.just("bonus"), st.integers(1, 500), st.sampled_from(["welcome", "birthday", "campaign"]))
adjust_op = st.tuples(st.just("adjust"), st.integers(-400, 400), st.none())
day_op = st.tuples(st.just("days"), st.integers(1, 20), st.none())
history = st.lists(st.one_of(receipt_op, refund_op, bonus_op, adjust_op, day_op), max_size=40)


@dataclass
class ReceiptBook:
    totals: ledger.ReceiptTotals
    ref: str


def _apply_refund(receipt: ReceiptBook, outcome: ledger.Outcome, amount: int) -> None:
    t = receipt.totals
    receipt.totals = ledger.ReceiptTotals(t.total, t.earned, t.redeemed, t.refunded + amount,
                                          t.reversed - outcome.earned,
                                          t.returned - outcome.redeemed, t.business_day)


@settings(max_examples=300, deadline=None)
@given(history)
def test_balance_equals_lots_equals_ledger_and_never_negative(ops):
    state = ledger.CardState(balance=0, lots=(), tier="base")
    today = START
    ledger_sum = 0
    receipts: list[ReceiptBook] = []
    for index, (kind, a, b) in enumerate(ops):
        try:
            if kind == "days":
                today += timedelta(days=a)
                outcome = ledger.expire(state, today)
            elif kind == "receipt":
                most = ledger.max_redeem(MECHANICS, state, a, today.isoformat())
                redeem = int(most * b)
                outcome = ledger.receipt(state, MECHANICS, total=a, redeem=redeem, today=today,
                                         lot_id=f"l{index}", receipt_ref=f"r{index}")
                assert outcome.redeemed == redeem
                receipts.append(ReceiptBook(ledger.ReceiptTotals(a, outcome.earned, redeem,
                                                                 business_day=today.isoformat()), f"r{index}"))
            elif kind == "refund":
                if not receipts:
                    continue
                receipt = receipts[a % len(receipts)]
                left = receipt.totals.total - receipt.totals.refunded
                amount = max(1, int(left * b))
                if left <= 0:
                    continue
                outcome = ledger.refund(state, MECHANICS, receipt.totals, amount=amount, today=today,
                                        lot_id=f"x{index}", receipt_ref=receipt.ref)
                _apply_refund(receipt, outcome, amount)
                # a refund never takes back more than its receipt gave, nor returns more than it spent
                assert 0 <= receipt.totals.reversed <= receipt.totals.earned
                assert 0 <= receipt.totals.returned <= receipt.totals.redeemed
            elif kind == "bonus":
                outcome = ledger.bonus(state, MECHANICS, source=b, points=a, today=today, lot_id=f"b{index}")
            else:
                outcome = ledger.adjust(state, MECHANICS, amount=a, today=today, lot_id=f"a{index}")
        except RuleViolation:
            continue  # refused operations change nothing
        state = outcome.state
        ledger_sum += sum(entry.amount for entry in outcome.entries)
        assert state.balance == lot_rules.balance(state.lots) == ledger_sum
        assert state.balance >= 0 and all(lot.remaining > 0 for lot in state.lots)
        assert state.owed >= 0 and (state.owed == 0 or state.balance == 0)  # owed points come out of the next ones
        for entry in outcome.entries:
            assert entry.balance_after >= 0
        if outcome.entries:
            assert outcome.entries[-1].balance_after == state.balance


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**9), st.integers(0, 10**5), st.integers(0, 10**5),
       st.lists(st.floats(0.01, 1), min_size=1, max_size=8))
def test_partial_refunds_add_up_to_a_full_refund(total, earned, redeemed, shares):
    full = ledger.refund_points(ledger.ReceiptTotals(total, earned, redeemed), total)
    totals = ledger.ReceiptTotals(total, earned, redeemed)
    reversed_sum = returned_sum = 0
    for share in shares:
        left = totals.total - totals.refunded
        if left == 0:
            break
        amount = max(1, min(left, int(total * share)))
        reverse, give_back = ledger.refund_points(totals, amount)
        assert reverse >= 0 and give_back >= 0
        reversed_sum, returned_sum = reversed_sum + reverse, returned_sum + give_back
        totals = ledger.ReceiptTotals(total, earned, redeemed, totals.refunded + amount, reversed_sum, returned_sum)
    if totals.refunded < total:
        reverse, give_back = ledger.refund_points(totals, total - totals.refunded)
        reversed_sum, returned_sum = reversed_sum + reverse, returned_sum + give_back
    assert (reversed_sum, returned_sum) == full == (earned, redeemed)


def test_redemption_drains_soonest_expiring_first_and_skips_pending():
    state = ledger.CardState(balance=0, lots=(), tier="base")
    state = ledger.bonus(state, MECHANICS, source="campaign", points=100, today=START, lot_id="late").state
    state = ledger.bonus(state, MECHANICS, source="welcome", points=100, today=START, lot_id="soon").state
    outcome = ledger.receipt(state, MECHANICS, total=100000, redeem=150, today=START, lot_id="p",
                             receipt_ref="r1")
    remaining = {lot.lot_id: lot.remaining for lot in outcome.state.lots}
    assert "soon" not in remaining and remaining["late"] == 50
    assert remaining["p"] == (100000 - 15000) * 500 // 10000 // 100  # earned on the money part, pending
    assert lot_rules.available(outcome.state.lots, START.isoformat()) == 50


def test_redeeming_above_cap_or_balance_is_refused():
    state = ledger.bonus(ledger.CardState(0, (), "base"), MECHANICS, source="campaign", points=1000, today=START,
                         lot_id="a").state
    for total, redeem in ((10000, 51), (1000000, 1001)):
        try:
            ledger.receipt(state, MECHANICS, total=total, redeem=redeem, today=START, lot_id="x", receipt_ref="r")
        except RuleViolation as refused:
            assert refused.status == 422 and refused.field == "redeem"
        else:
            raise AssertionError("accepted a redemption over the limit")


def test_expired_lots_burn_on_their_day_in_the_ledger():
    state = ledger.bonus(ledger.CardState(0, (), "base"), MECHANICS, source="welcome", points=80, today=START,
                         lot_id="w").state
    assert ledger.expire(state, START + timedelta(days=4)).entries == ()
    burned = ledger.expire(state, START + timedelta(days=5))
    assert [(e.kind, e.amount, e.balance_after) for e in burned.entries] == [("expire", -80, 0)]


def test_tier_upgrades_at_once_and_applies_from_the_next_receipt():
    state = ledger.CardState(0, (), "base")
    first = ledger.receipt(state, MECHANICS, total=300000, redeem=0, today=START, lot_id="a", receipt_ref="r1")
    assert first.earned == 150 and first.state.tier == "silver"
    second = ledger.receipt(first.state, MECHANICS, total=100000, redeem=0, today=START, lot_id="b",
                            receipt_ref="r2")
    assert second.earned == 75
    # a refund lowers the spend but does not downgrade: that waits for the scheduled review
    refunded = ledger.refund(second.state, MECHANICS, ledger.ReceiptTotals(300000, 150, 0,
                             business_day=START.isoformat()), amount=300000, today=START, lot_id="c",
                             receipt_ref="r1")
    assert refunded.state.tier == "silver"
    assert ledger.scheduled_tier(refunded.state, MECHANICS, START) == "base"


# --- refunds commute -----------------------------------------------------------------------------

NOW_MECHANICS = mech.parse({"redeem_cap_percent": 100, "pending_days": 0, "lifetime_days": 30, "point_value": 100})
spend_op = st.tuples(st.just("receipt"), st.integers(0, 500000), st.sampled_from([0.0, 0.3, 1.0]))
prefix_op = st.one_of(receipt_op, spend_op, bonus_op, st.tuples(st.just("days"), st.integers(1, 3), st.none()))
refund_request = st.tuples(st.integers(0, 20), st.sampled_from([1.0, 1.0, 0.5, 0.3, 0.01, 0.99]))


def _history(mechanics, ops, start=START):
    """Apply a history of receipts, bonuses and days; (state, receipts, the day it ends on, ledger sum)."""
    state, today, receipts, ledger_sum = ledger.CardState(balance=0, lots=(), tier="base"), start, [], 0
    for index, (kind, a, b) in enumerate(ops):
        if kind == "days":
            today += timedelta(days=a)
            outcome = ledger.expire(state, today)
        elif kind == "bonus":
            outcome = ledger.bonus(state, mechanics, source=b, points=a, today=today, lot_id=f"b{index}")
        else:
            redeem = int(ledger.max_redeem(mechanics, state, a, today.isoformat()) * b)
            outcome = ledger.receipt(state, mechanics, total=a, redeem=redeem, today=today, lot_id=f"l{index}",
                                     receipt_ref=f"r{index}")
            receipts.append(ReceiptBook(ledger.ReceiptTotals(a, outcome.earned, redeem,
                                                             business_day=today.isoformat()), f"r{index}"))
        state = outcome.state
        ledger_sum += sum(entry.amount for entry in outcome.entries)
    return state, receipts, today, ledger_sum


def _amounts(receipts, requests):
    """Refunds as (receipt index, amount), partial or full, never more than is left of a receipt: so
    every order of them is accepted."""
    left = [book.totals.total for book in receipts]
    plan = []
    for which, share in requests:
        index = which % len(receipts)
        amount = left[index] if share == 1.0 else max(1, int(left[index] * share))
        if left[index] and amount:
            left[index] -= amount
            plan.append((index, amount))
    return plan


def _refund_all(mechanics, state, receipts, plan, today, ledger_sum):
    """Apply the refunds in this order, checking at every step that the ledger explains every point;
    (final state, points reversed in the ledger, points reversed and returned by the answers)."""
    books = [ReceiptBook(book.totals, book.ref) for book in receipts]
    in_ledger = answered_reversed = answered_returned = 0
    for step, (index, amount) in enumerate(plan):
        book = books[index]
        outcome = ledger.refund(state, mechanics, book.totals, amount=amount, today=today, lot_id=f"x{step}",
                                receipt_ref=book.ref)
        _apply_refund(book, outcome, amount)
        state = outcome.state
        ledger_sum += sum(entry.amount for entry in outcome.entries)
        in_ledger -= sum(entry.amount for entry in outcome.entries if entry.kind == "refund_reverse")
        answered_reversed, answered_returned = answered_reversed - outcome.earned, answered_returned - outcome.redeemed
        assert state.balance == lot_rules.balance(state.lots) == ledger_sum >= 0
        assert state.owed >= 0 and (state.owed == 0 or state.balance == 0)  # owed only when nothing is left
        assert all(entry.balance_after >= 0 for entry in outcome.entries)
        if outcome.entries:
            assert outcome.entries[-1].balance_after == state.balance
    return state, in_ledger, answered_reversed, answered_returned


@pytest.mark.parametrize("mechanics", [MECHANICS, NOW_MECHANICS], ids=["pending-and-expiry", "spendable-at-once"])
@settings(max_examples=300, deadline=None)
@given(st.lists(prefix_op, min_size=1, max_size=15), st.lists(refund_request, min_size=1, max_size=10),
       st.randoms(use_true_random=False))
def test_any_order_of_refunds_ends_in_the_same_balance_and_the_same_points_reversed(mechanics, ops, requests, rng):
    """Receipts that earn and spend, bonuses and days; then refunds (partial and full) applied in several
    random orders: the same balance, the same points owed, the same points reversed (in the ledger and in
    the answers) and returned, whatever the order."""
    state, receipts, today, ledger_sum = _history(mechanics, ops)
    if not receipts:
        return
    plan = _amounts(receipts, requests)
    results = set()
    for _ in range(4):
        order = list(plan)
        rng.shuffle(order)
        final, in_ledger, reversed_points, returned_points = _refund_all(mechanics, state, receipts, order, today,
                                                                         ledger_sum)
        results.add((final.balance, final.owed, in_ledger, reversed_points, returned_points))
    assert len(results) == 1, results


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 2000), min_size=1, max_size=3), st.lists(spend_op, min_size=1, max_size=10),
       st.lists(refund_request, max_size=10), st.randoms(use_true_random=False))
def test_refunding_every_receipt_restores_the_card_as_it_was_before_them(bonuses, purchases, requests, rng):
    """Bonuses, then purchases that earn and spend (the bonuses too); refund every purchase in full, in
    pieces, in any order: the card holds its bonuses again and owes nothing."""
    ops = [("bonus", points, "campaign") for points in bonuses] + purchases
    state, receipts, today, ledger_sum = _history(NOW_MECHANICS, ops)
    plan = _amounts(receipts, requests)
    left = {index: book.totals.total - sum(a for i, a in plan if i == index) for index, book in enumerate(receipts)}
    plan += [(index, amount) for index, amount in left.items() if amount]  # the rest of every receipt
    rng.shuffle(plan)
    final, *_ = _refund_all(NOW_MECHANICS, state, receipts, plan, today, ledger_sum)
    assert final.balance == sum(bonuses) and final.owed == 0


def _reported_case():
    """Welcome 500; receipt A earns 500; receipt B is paid with 1,000 points."""
    state = ledger.bonus(ledger.CardState(0, (), "base"), NOW_MECHANICS, source="welcome", points=500, today=START,
                         lot_id="w").state
    earned = ledger.receipt(state, NOW_MECHANICS, total=1000000, redeem=0, today=START, lot_id="a", receipt_ref="A")
    spent = ledger.receipt(earned.state, NOW_MECHANICS, total=100000, redeem=1000, today=START, lot_id="b",
                           receipt_ref="B")
    assert (earned.earned, spent.redeemed, spent.state.balance) == (500, 1000, 0)
    return spent.state, {"A": ledger.ReceiptTotals(1000000, 500, 0), "B": ledger.ReceiptTotals(100000, 0, 1000)}


def test_the_reported_case_refund_a_then_b_equals_b_then_a():
    state, totals = _reported_case()
    first = ledger.refund(state, NOW_MECHANICS, totals["A"], amount=1000000, today=START, lot_id="x1",
                          receipt_ref="A")
    assert (first.earned, first.shortfall, first.state.balance, first.state.owed) == (-500, 500, 0, 500)
    assert [(e.kind, e.amount, e.note) for e in first.entries] == [("refund_reverse", 0, "shortfall 500")]
    second = ledger.refund(first.state, NOW_MECHANICS, totals["B"], amount=100000, today=START, lot_id="x2",
                           receipt_ref="B")
    assert (second.redeemed, second.settled, second.state.balance, second.state.owed) == (-1000, 500, 500, 0)
    other = ledger.refund(state, NOW_MECHANICS, totals["B"], amount=100000, today=START, lot_id="x1", receipt_ref="B")
    other = ledger.refund(other.state, NOW_MECHANICS, totals["A"], amount=1000000, today=START, lot_id="x2",
                          receipt_ref="A")
    assert (other.earned, other.shortfall, other.state.balance, other.state.owed) == (-500, 0, 500, 0)


def test_owed_points_are_settled_from_the_next_points_the_card_receives():
    state, totals = _reported_case()
    owing = ledger.refund(state, NOW_MECHANICS, totals["A"], amount=1000000, today=START, lot_id="x",
                          receipt_ref="A").state
    bought = ledger.receipt(owing, NOW_MECHANICS, total=400000, redeem=0, today=START, lot_id="c", receipt_ref="C")
    assert (bought.earned, bought.settled, bought.state.balance, bought.state.owed) == (200, 200, 0, 300)
    assert [(e.kind, e.amount, e.balance_after) for e in bought.entries] == [("earn", 200, 200),
                                                                             ("refund_reverse", -200, 0)]
    gift = ledger.bonus(bought.state, NOW_MECHANICS, source="campaign", points=1000, today=START, lot_id="g")
    assert (gift.settled, gift.state.balance, gift.state.owed) == (300, 700, 0)
    assert lot_rules.balance(gift.state.lots) == 700


# --- receipts with lines: product rules and stamp cards ------------------------------------------------

PRODUCT_RULES = [
    {"id": "tobacco", "categories": ["tobacco"], "exclude": True},
    {"id": "beans", "skus": ["BEANS-1"], "earn_percent": 12.5},
    {"id": "croissant-week", "skus": ["CRO"], "multiplier": 1.5, "from": "2026-01-05", "until": "2026-01-11"},
    {"id": "pastry", "categories": ["pastry"], "multiplier": 0.5},
]
LINES_POINTS = mech.parse({"redeem_cap_percent": 70, "pending_days": 0, "lifetime_days": 365, "point_value": 100,
                           "products": PRODUCT_RULES})
LINES_STAMPS = mech.parse({"kind": "stamps", "pending_days": 0, "lifetime_days": 365, "products": PRODUCT_RULES,
                           "stamps": {"per_reward": 4, "categories": ["coffee", "pastry", "tobacco"],
                                      "reward": "Coffee"}})
a_line = st.builds(ReceiptLine, st.sampled_from(["LATTE", "CIG", "CRO", "BEANS-1", None]), st.none(),
                   st.sampled_from([1, 2, 0.35, 3]), st.integers(-3000, 60000),
                   st.sampled_from(["coffee", "tobacco", "pastry", None]))
sale_op = st.tuples(st.lists(a_line, max_size=6), st.sampled_from([0.7, 1.0, 1.0, 1.3]), st.floats(0, 1),
                    st.integers(0, 3))


def _sell_with_lines(mechanics, state, index, today, lines, scale, share):
    """A receipt of these lines (its total a share of theirs: a discount, or an unlisted remainder), paying
    a share of what may be paid: points for points, full stamp cards for stamps."""
    total = max(0, int(sum(line.amount for line in lines if line.amount > 0) * scale)) if lines else 25000
    sold = ledger.earning(mechanics, state.tier, Sale(total, tuple(lines), today, today.isoformat(), "q"))
    redeem = int(ledger.max_redeem(mechanics, state, total, today.isoformat(), sold.pricing.payable) * share)
    rewards = int(ledger.rewards_available(mechanics, state, today.isoformat()) * share)
    outcome = ledger.receipt(state, mechanics, total=total, redeem=redeem, today=today, lot_id=f"l{index}",
                             receipt_ref=f"r{index}", lines=lines, rewards=rewards)
    details = outcome.details
    if lines:  # every line answered; excluded ones earn nothing; the lines add up to the receipt
        assert [item["index"] for item in details["lines"] if item["index"] is not None] == list(range(len(lines)))
        assert all(item["earn"] == 0 for item in details["lines"] if not item["payable"])
        assert sum(item["earn"] for item in details["lines"]) == outcome.earned
    assert redeem * mechanics.point_value <= sold.pricing.payable  # points never pay for excluded lines
    assert outcome.paid == total - redeem * mechanics.point_value
    if mechanics.kind == "stamps":
        held = ledger.rewards_available(mechanics, outcome.state, today.isoformat())
        assert details["rewards_redeemed"] == rewards and details["rewards_available"] == held
        with pytest.raises(RuleViolation):  # no more full cards than the card holds: never redeemed twice
            ledger.receipt(outcome.state, mechanics, total=0, redeem=0, today=today, lot_id="again",
                           receipt_ref="again", rewards=held + 1)
    return outcome, ledger.ReceiptTotals(total, outcome.earned, outcome.redeemed, business_day=today.isoformat())


@pytest.mark.parametrize("mechanics", [LINES_POINTS, LINES_STAMPS], ids=["points-with-product-rules", "stamps"])
@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 30), max_size=2), st.lists(sale_op, min_size=1, max_size=10),
       st.lists(refund_request, max_size=8), st.randoms(use_true_random=False))
def test_receipts_with_lines_keep_the_ledger_exact_and_refunds_restore_the_card(mechanics, bonuses, sales,
                                                                                 requests, rng):
    """Random receipts with lines under product rules (exclusions, own rates, multipliers, a dated
    promotion), paid partly with points or full stamp cards, over several days; then every receipt refunded
    in pieces in any order: balance == lots == ledger at every step, and the card holds its bonuses again."""
    state, today, ledger_sum, receipts = ledger.CardState(balance=0, lots=(), tier="base"), START, 0, []
    for index, points in enumerate(bonuses):
        outcome = ledger.bonus(state, mechanics, source="campaign", points=points, today=today, lot_id=f"b{index}")
        state, ledger_sum = outcome.state, ledger_sum + points
    for index, (lines, scale, share, days) in enumerate(sales):
        today += timedelta(days=days)
        outcome, totals = _sell_with_lines(mechanics, state, index, today, lines, scale, share)
        state = outcome.state
        ledger_sum += sum(entry.amount for entry in outcome.entries)
        assert state.balance == lot_rules.balance(state.lots) == ledger_sum >= 0
        receipts.append(ReceiptBook(totals, f"r{index}"))
    plan = _amounts(receipts, requests)
    left = {index: book.totals.total - sum(a for i, a in plan if i == index) for index, book in enumerate(receipts)}
    plan += [(index, amount) for index, amount in left.items() if amount]
    rng.shuffle(plan)
    final, *_ = _refund_all(mechanics, state, receipts, plan, today, ledger_sum)
    if all(book.totals.total for book in receipts):  # a receipt of 0 cannot be refunded: its stamps stay
        assert final.balance == sum(bonuses) and final.owed == 0


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**9), st.floats(0, 1), st.floats(0, 1), st.integers(1, 100),
       st.lists(st.floats(0.01, 1), min_size=1, max_size=8))
def test_partial_refunds_give_back_exactly_the_money_paid(total, discount_share, points_share, point_value, shares):  # noqa: PLR0913 (hypothesis' draws)
    """A receipt of `total` less a discount (an offer, a discount card) and points: its refunds, in any
    parts, give back exactly the money paid, never more than refunded; without a discount, as before."""
    discount = int(total * discount_share)
    redeemed = int((total - discount) * points_share) // point_value
    paid = total - discount - redeemed * point_value
    totals = ledger.ReceiptTotals(total, 0, redeemed, paid=paid)
    given_back = 0
    for share in [*shares, 1.0]:
        left = totals.total - totals.refunded
        if left == 0:
            break
        amount = max(1, min(left, int(total * share)))
        _, returned = ledger.refund_points(totals, amount)
        money = ledger.refund_money(totals, amount, redeemed * point_value, returned * point_value)
        assert money <= amount
        if not discount:
            assert money == amount - returned * point_value  # as before a receipt kept its money paid
        given_back += money
        totals = replace(totals, refunded=totals.refunded + amount, returned=totals.returned + returned)
    assert given_back == paid


def test_a_refund_of_a_discounted_receipt_takes_the_money_paid_off_spend_and_revenue():
    discount = mech.parse({"kind": "discount", "tiers": [{"id": "b", "name": "B", "threshold": 0,
                                                          "discount_percent": 10}]})
    state = ledger.CardState(balance=0, lots=(), tier="b")
    sold = ledger.receipt(state, discount, total=1000, redeem=0, today=START, lot_id="p", receipt_ref="r1")
    assert sold.paid == 900 and sold.state.revenue == 900
    totals = ledger.ReceiptTotals(1000, 0, 0, business_day=START.isoformat(), paid=sold.paid)
    back = ledger.refund(sold.state, discount, totals, amount=1000, today=START, lot_id="x", receipt_ref="r1")
    assert back.paid == 900 and back.state.revenue == 0 and back.state.spend[START.isoformat()] == 0
