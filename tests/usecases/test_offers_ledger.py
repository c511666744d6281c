"""Offers through the ledger's one write path, on the in-memory twin and on moto alike (conftest.py):
issued once per key, redeemed once whatever the order or the race, given back by a full refund only."""
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.commands.offers import IssueOffer, WithdrawOffer
from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.core import mechanics as mech
from chalicelib.errors import AppError, Conflict, RuleViolation
from chalicelib.store.ledger import Committed
from chalicelib.store.plans import LedgerCard, OperationRecord, Plan
from chalicelib.usecases import pos
from chalicelib.usecases.ledger import apply
from tests.usecases.conftest import MECHANICS, NOW

OFFERS = [
    {"id": "bonus100", "name": "100 points with a purchase", "reward": {"type": "points", "points": 100}},
    {"id": "favourite", "name": "Your favourite, free", "reward": {"type": "free_item", "item": "Your favourite"},
     "auto": {"rule": "favourite_product", "min_units": 3, "every_days": 30}},
    {"id": "off10", "name": "10% off", "reward": {"type": "percent", "percent": 10},
     "conditions": {"min_total": 50_000}},
]


@pytest.fixture
def offering(world):
    """The world's program with offers defined."""
    world.program = replace(world.program, mechanics=mech.to_dict(mech.parse({**MECHANICS, "offers": OFFERS})))
    return world


def _issue(world, card: LedgerCard, offer: str, key: str = "k1"):
    command = IssueOffer.parse({"offer": offer, "idempotency_key": key}, card.card_id, "ann")
    return apply(command, world.program, world.moment(), world.store)


def _receipt(world, receipt_id: str, card: LedgerCard, total: int, store=None, **more):
    now = world.moment()
    body = {"receipt_id": receipt_id, "card": card.number, "total": total, **more}
    return pos.record_receipt(RecordReceipt.parse(body, world.program, now), world.program, now, store or world.store)


def _refund(world, refund_id: str, receipt_id: str, amount: int):
    command = RecordRefund.parse({"refund_id": refund_id, "receipt_id": receipt_id, "amount": amount})
    return pos.record_refund(command, world.program, world.moment(), world.store)


def _offers(world, card: LedgerCard):
    fresh = world.store.card(card.card_id)
    assert fresh is not None
    return fresh.state.offers


def test_an_offer_is_issued_once_per_key_with_no_ledger_entry(offering):
    world = offering
    card = world.new_card()
    before = world.entries(card.card_id)
    issued = _issue(world, card, "bonus100")
    assert issued.response["offer"] == "bonus100" and issued.response["status"] == "live"
    assert issued.response["valid_until"] == (NOW.date() + timedelta(days=29)).isoformat()
    again = _issue(world, card, "bonus100")
    assert again.replay and again.response == issued.response
    assert [held.held_id for held in _offers(world, card)] == [issued.response["id"]]
    assert world.entries(card.card_id) == before  # the balance did not move: no entry
    with pytest.raises(Conflict) as other_body:
        _issue(world, card, "off10")
    assert other_body.value.code == "offer_conflict"


def test_issuing_tells_the_holder(offering):
    world = offering
    if not hasattr(world, "memory"):
        pytest.skip("the queued message is the in-memory twin's to show; moto writes it to the outbox")
    card = world.new_card()
    _issue(world, card, "bonus100")
    (message,) = world.memory.messages[card.card_id]
    assert message.kind == "offer_issued" and not message.service
    assert "100 points with a purchase" in message.texts["en"] and "100 баллов в подарок" in message.texts["ru"]


def test_a_favourite_product_offer_arrives_with_the_receipt_that_earns_it(offering):
    world = offering
    card = world.new_card()
    latte = {"sku": "latte", "name": "Latte", "qty": 2, "amount": 40_000}
    _receipt(world, "r1", card, 40_000, lines=[latte])
    assert _offers(world, card) == ()
    _receipt(world, "r2", card, 20_000, lines=[{**latte, "qty": 1, "amount": 20_000}])
    (held,) = _offers(world, card)
    assert (held.offer, held.sku) == ("favourite", "latte")
    if hasattr(world, "memory"):
        assert [message.kind for message in world.memory.messages[card.card_id]] == ["offer_issued"]


def test_unknown_offers_and_full_cards_are_refused(offering):
    world = offering
    card = world.new_card()
    with pytest.raises(AppError) as unknown:
        _issue(world, card, "nope")
    assert (unknown.value.status, unknown.value.code) == (404, "offer_not_found")
    for n in range(20):
        _issue(world, card, "bonus100", key=f"k{n}")
    with pytest.raises(AppError) as full:
        _issue(world, card, "bonus100", key="k20")
    assert (full.value.status, full.value.code) == (409, "too_many_offers")


def test_an_offer_is_redeemed_once(offering):
    world = offering
    card = world.new_card()
    held = _issue(world, card, "bonus100").response["id"]
    first = _receipt(world, "r1", card, 10_000, offer_id=held)
    assert first.response["offer"]["id"] == held and first.response["offer"]["points"] == 100
    assert first.response["earned"] == 5 + 100 and first.response["balance"] == 105
    assert _receipt(world, "r1", card, 10_000, offer_id=held).replay  # the same receipt again: its answer
    with pytest.raises(RuleViolation) as second:
        _receipt(world, "r2", card, 10_000, offer_id=held)
    assert (second.value.code, second.value.field) == ("offer_used", "offer_id")


def test_a_percentage_offer_answers_its_discount(offering):
    world = offering
    card = world.new_card()
    held = _issue(world, card, "off10").response["id"]
    with pytest.raises(RuleViolation) as small:
        _receipt(world, "r0", card, 40_000, offer_id=held)
    assert small.value.code == "offer_not_applicable"
    sold = _receipt(world, "r1", card, 60_000, offer_id=held)
    assert sold.response["discount"] == 6_000 and sold.response["offer"]["discount"] == 6_000


class Twin:
    """A store where a second receipt with the same offer commits just before this one's first commit,
    both having read the same card: what two tills racing with one coupon come to."""

    def __init__(self, world, card: LedgerCard, held: str) -> None:
        self.world, self.card_, self.held, self.inner = world, card, held, world.store
        self.outcomes: list[str] = []

    def card(self, card_id: str, consistent: bool = True) -> LedgerCard | None:
        return self.inner.card(card_id, consistent)

    def card_id_by_number(self, number: str) -> str | None:
        return self.inner.card_id_by_number(number)

    def record(self, program_id: str, record_key: str) -> OperationRecord | None:
        return self.inner.record(program_id, record_key)

    def commit(self, plan: Plan, now) -> Committed:
        if not self.outcomes:
            _receipt(self.world, "twin", self.card_, 10_000, offer_id=self.held)
        committed = self.inner.commit(plan, now)
        self.outcomes.append(type(committed).__name__)
        return committed


def test_two_receipts_racing_with_one_offer_redeem_it_once(offering):
    world = offering
    card = world.new_card()
    held = _issue(world, card, "bonus100").response["id"]
    racing = Twin(world, card, held)
    with pytest.raises(RuleViolation) as lost:
        _receipt(world, "r1", card, 10_000, store=racing, offer_id=held)
    assert lost.value.code == "offer_used" and racing.outcomes == ["Stale"]
    assert world.store.record(world.program.program_id, "receipt#r1") is None  # nothing of the loser written
    (used,) = _offers(world, card)
    assert used.used_by == "twin"
    assert world.store.card(card.card_id).state.balance == 105  # one bonus, one purchase


def test_a_full_refund_gives_the_offer_back_once(offering):
    world = offering
    card = world.new_card()
    held = _issue(world, card, "bonus100").response["id"]
    _receipt(world, "r1", card, 10_000, offer_id=held)
    _refund(world, "f1", "r1", 4_000)
    assert _offers(world, card)[0].used_by == "r1"  # a partial refund: the offer stays used
    rest = _refund(world, "f2", "r1", 6_000)
    assert rest.response["balance"] == 0 and rest.response["points_reversed"] == 105 - 42
    assert _offers(world, card)[0].used_by is None
    with pytest.raises(RuleViolation) as again:
        _refund(world, "f3", "r1", 1)  # nothing left to refund: the offer is not given back twice
    assert again.value.code == "refund_exceeds_receipt"
    second = _receipt(world, "r2", card, 10_000, offer_id=held)  # the customer uses it again
    assert second.response["offer"]["id"] == held
    assert _offers(world, card)[0].used_by == "r2"


def test_an_admin_takes_an_offer_back_once(offering):
    world = offering
    card = world.new_card()
    held = _issue(world, card, "bonus100").response["id"]
    command = WithdrawOffer(card.card_id, held, "ann")
    assert not apply(command, world.program, world.moment(), world.store).replay
    assert _offers(world, card) == ()
    assert apply(command, world.program, world.moment(), world.store).replay  # a repeated DELETE: as before
    with pytest.raises(AppError) as unknown:
        apply(WithdrawOffer(card.card_id, "nope", "ann"), world.program, world.moment(), world.store)
    assert (unknown.value.status, unknown.value.code) == (404, "offer_not_found")
    with pytest.raises(RuleViolation) as gone:
        _receipt(world, "r1", card, 10_000, offer_id=held)
    assert gone.value.code == "offer_not_found"


def test_a_campaigns_offer_passes_over_a_full_or_blocked_card_without_stopping(offering):
    world = offering
    full, blocked = world.new_card(), world.new_card()
    for n in range(20):
        _issue(world, full, "bonus100", key=f"k{n}")
    passed_over = [full]
    if hasattr(world, "memory"):  # (blocking a card on moto is the admin API's; the twin is enough here)
        world.memory.cards[blocked.card_id] = replace(world.memory.cards[blocked.card_id], status="blocked")
        passed_over.append(blocked)
    for card in passed_over:
        command = IssueOffer(card.card_id, "off10", "campaign.cp1", None, "h", cause_type="campaign", notify=False,
                             strict=False)
        assert apply(command, world.program, world.moment(), world.store).response == {"id": None}
    assert len(_offers(world, full)) == 20
    if hasattr(world, "memory"):
        assert _offers(world, blocked) == () and world.memory.messages.get(blocked.card_id, []) == []


def test_two_campaigns_run_together_give_one_card_two_offers_each_redeemed_apart(offering):
    """Campaigns due together are sent with one moment: their offers still get ids of their own, and
    redeeming one leaves the other live."""
    world = offering
    card = world.new_card()
    now = world.moment()
    for campaign, offer in (("cp1", "bonus100"), ("cp2", "off10")):
        apply(IssueOffer(card.card_id, offer, f"campaign.{campaign}", None, "h" + campaign, cause_type="campaign",
                         notify=False, strict=False), world.program, now, world.store)
    held = _offers(world, card)
    assert len({item.held_id for item in held}) == 2, held
    _receipt(world, "r1", card, 1000, offer_id=held[0].held_id)
    after = _offers(world, card)
    assert [(item.offer, item.used_by) for item in after] == [("bonus100", "r1"), ("off10", None)]


def test_an_offers_days_and_hours_are_those_of_the_sale_not_of_its_upload(world):
    """A Sunday-evening offer: a sale on Sunday at 21:30 sent by an offline till on Monday at noon gets it;
    one at Sunday noon, or one happening now (Monday), does not."""
    evening = {"id": "evening", "name": "Sunday evenings", "reward": {"type": "percent", "percent": 20},
               "conditions": {"days": ["sun"], "hours": ["20:00", "23:00"]}}
    world.program = replace(world.program, mechanics=mech.to_dict(mech.parse({**MECHANICS, "offers": [evening]})))
    card = world.new_card()
    for n, created_at in enumerate(("2027-02-28T12:00:00+03:00", None, "2027-02-28T18:30:00Z")):
        issued = _issue(world, card, "evening", key=f"k{n}").response["id"]
        sale = {"offer_id": issued, **({"created_at": created_at} if created_at else {})}
        if n < 2:
            with pytest.raises(RuleViolation) as refused:
                _receipt(world, f"r{n}", card, 1000, **sale)
            assert refused.value.code == "offer_not_applicable"
        else:  # 18:30 UTC is 21:30 in Moscow, on Sunday
            assert _receipt(world, f"r{n}", card, 1000, **sale).response["discount"] == 200
