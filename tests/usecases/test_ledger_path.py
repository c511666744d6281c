"""Receipts, redemptions, refunds, replays, adjustments, the referral bonus, expiry and a stale card,
each through the use cases, on the in-memory twin and on moto alike (see conftest.py)."""
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.commands.adjustments import AdjustBalance
from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.errors import Conflict, RuleViolation
from chalicelib.store.ledger import Committed, LedgerStore
from chalicelib.store.plans import LedgerCard, OperationRecord, Plan
from chalicelib.usecases import adjustments, pos
from chalicelib.usecases.ledger import BurnExpired, apply
from tests.usecases.conftest import NOW


def _receipt(world, receipt_id: str, card: LedgerCard | None, total: int, **more) -> pos.Result:
    body = {"receipt_id": receipt_id, "total": total, **more}
    if card is not None:
        body["card"] = card.number
    now = world.moment()
    return pos.record_receipt(RecordReceipt.parse(body, world.program, now), world.program, now, world.store)


def _refund(world, refund_id: str, receipt_id: str, amount: int) -> pos.Result:
    command = RecordRefund.parse({"refund_id": refund_id, "receipt_id": receipt_id, "amount": amount})
    return pos.record_refund(command, world.program, world.moment(), world.store)


def _adjust(world, card: LedgerCard, amount: int, key: str, store: LedgerStore | None = None) -> pos.Result:
    command = AdjustBalance.parse({"amount": amount, "reason": "goodwill", "idempotency_key": key}, card.card_id, "ann")
    return adjustments.adjust_balance(command, world.program, world.moment(), store or world.store)


def _balance(world, card: LedgerCard) -> int:
    fresh = world.store.card(card.card_id)
    assert fresh is not None
    return fresh.state.balance


def test_a_receipt_earns_points_and_is_recorded(world):
    card = world.new_card()
    result = _receipt(world, "r1", card, 120_000)
    assert not result.replay
    assert result.response == {"receipt_id": "r1", "card": card.number, "earned": 60, "redeemed": 0, "balance": 60,
                               "available": 60, "tier": result.response["tier"]}
    assert _balance(world, card) == 60 and world.entries(card.card_id) == [("earn", 60)]
    record = world.store.record(world.program.program_id, "receipt#r1")
    assert record is not None and (record.total, record.earned, record.card_id) == (120_000, 60, card.card_id)


def test_a_sale_without_a_card_is_recorded_with_no_points(world):
    result = _receipt(world, "anon", None, 30_000)
    assert result.response["card"] is None and result.response["earned"] == 0 and result.card is None
    assert world.store.record(world.program.program_id, "receipt#anon") is not None


def test_points_pay_for_part_of_a_receipt(world):
    card = world.new_card()
    _adjust(world, card, 500, "seed")
    result = _receipt(world, "r1", card, 100_000, redeem=200)
    # 200 points pay 20 000; 80 000 earn 40 points
    assert (result.response["redeemed"], result.response["earned"], result.response["balance"]) == (200, 40, 340)
    assert world.entries(card.card_id) == [("adjust", 500), ("redeem", -200), ("earn", 40)]
    with pytest.raises(RuleViolation) as refused:
        _receipt(world, "r2", card, 10_000, redeem=300)  # above half of the receipt
    assert refused.value.code == "redeem_not_allowed"


def test_partial_refunds_add_up_to_a_full_one(world):
    card = world.new_card()
    _receipt(world, "r1", card, 100_000)  # 50 points
    first = _refund(world, "f1", "r1", 30_000)
    assert first.response["points_reversed"] == 15 and first.response["balance"] == 35
    rest = _refund(world, "f2", "r1", 70_000)
    assert rest.response["points_reversed"] == 35 and rest.response["balance"] == 0
    receipt = world.store.record(world.program.program_id, "receipt#r1")
    assert receipt is not None and (receipt.refunded_amount, receipt.points_reversed) == (100_000, 50)
    with pytest.raises(RuleViolation) as refused:
        _refund(world, "f3", "r1", 1)
    assert refused.value.code == "refund_exceeds_receipt"


def test_a_refund_of_spent_points_leaves_them_owed(world):
    card = world.new_card()
    _receipt(world, "r1", card, 100_000)  # 50
    _adjust(world, card, -50, "spent")
    result = _refund(world, "f1", "r1", 100_000)
    assert result.response["shortfall"] == 50 and result.response["balance"] == 0
    settled = _adjust(world, card, 80, "later")
    assert settled.response["settled"] == 50 and settled.response["balance"] == 30


def test_a_replay_answers_as_before_and_another_body_is_a_conflict(world):
    card = world.new_card()
    first = _receipt(world, "r1", card, 120_000)
    again = _receipt(world, "r1", card, 120_000)
    assert again.replay and again.response == first.response
    assert _balance(world, card) == 60 and len(world.entries(card.card_id)) == 1
    with pytest.raises(Conflict) as conflict:
        _receipt(world, "r1", card, 99_000)
    assert conflict.value.code == "receipt_conflict"
    refund = _refund(world, "f1", "r1", 1_000)
    assert _refund(world, "f1", "r1", 1_000).response == refund.response
    with pytest.raises(Conflict) as conflict:
        _refund(world, "f1", "r1", 2_000)
    assert conflict.value.code == "refund_conflict"


def test_an_adjustment_is_once_per_key_and_cannot_overdraw(world):
    card = world.new_card()
    result = _adjust(world, card, 40, "a1")
    assert result.response == {"card_id": card.card_id, "amount": 40, "reason": "goodwill", "idempotency_key": "a1",
                               "balance": 40, "actor": "ann"}
    assert _adjust(world, card, 40, "a1").replay and _balance(world, card) == 40
    with pytest.raises(RuleViolation) as refused:
        _adjust(world, card, -41, "a2")
    assert refused.value.code == "insufficient_balance"
    with pytest.raises(Conflict) as conflict:
        _adjust(world, card, 41, "a1")
    assert conflict.value.code == "adjustment_conflict"


def test_the_referrer_gets_a_bonus_on_the_first_purchase_only(world):
    referrer = world.new_card()
    friend = world.new_card(referrer=referrer)
    _receipt(world, "r1", friend, 10_000)
    assert _balance(world, referrer) == 50 and world.entries(referrer.card_id) == [("bonus", 50)]
    _receipt(world, "r2", friend, 10_000)
    assert _balance(world, referrer) == 50


def test_expired_points_burn_once(world):
    card = world.new_card()
    _adjust(world, card, 70, "a1")
    later = NOW + timedelta(days=31)
    command = BurnExpired(card.card_id, f"expire#{card.card_id}#x", later.date())
    burned = apply(command, world.program, later, world.store)
    assert burned.response == {"balance": 0} and world.entries(card.card_id)[-1] == ("expire", -70)
    assert apply(command, world.program, later, world.store).replay


class Interloper:
    """A store where another writer changes the card just before the first commit of this request."""

    def __init__(self, world, card: LedgerCard) -> None:
        self.world, self.card_id, self.inner = world, card.card_id, world.store
        self.outcomes: list[str] = []

    def card(self, card_id: str, consistent: bool = True) -> LedgerCard | None:
        return self.inner.card(card_id, consistent)

    def card_id_by_number(self, number: str) -> str | None:
        return self.inner.card_id_by_number(number)

    def record(self, program_id: str, record_key: str) -> OperationRecord | None:
        return self.inner.record(program_id, record_key)

    def commit(self, plan: Plan, now) -> Committed:
        if not self.outcomes:
            card = self.inner.card(self.card_id)
            _adjust(self.world, replace(card), 7, "meanwhile", self.inner)
        committed = self.inner.commit(plan, now)
        self.outcomes.append(type(committed).__name__)
        return committed


def test_a_card_changed_meanwhile_is_decided_again_on_fresh_data(world):
    card = world.new_card()
    _adjust(world, card, 100, "a1")
    store = Interloper(world, card)
    command = RecordReceipt.parse({"receipt_id": "r1", "card": card.number, "total": 100_000, "redeem": 50},
                                  world.program, NOW)
    result = pos.record_receipt(command, world.program, NOW + timedelta(minutes=1), store)
    assert store.outcomes == ["Stale", "Applied"]
    assert result.response["balance"] == 100 + 7 - 50 + 47 == _balance(world, card)


def test_a_receipts_lines_reach_the_programs_kind(world, monkeypatch):
    """Product rules (issue 16) live in a mechanic kind: the lines the POS sent are what it decides on."""
    from chalicelib.core.kinds.points import Points

    seen = []
    original = Points.earn

    def earn(self, mechanics, tier, pricing, off):  # the lines arrive priced (core/products.py)
        seen.append([(one.sku, one.qty, one.amount) for one in pricing.lines if one.index is not None])
        return original(self, mechanics, tier, pricing, off)

    monkeypatch.setattr(Points, "earn", earn)
    card = world.new_card()
    line = {"sku": "LATTE", "name": "Латте", "qty": 2, "amount": 50_000}
    _receipt(world, "r1", card, 100_000, lines=[line])
    assert seen == [[("LATTE", 2, 50_000)]]
