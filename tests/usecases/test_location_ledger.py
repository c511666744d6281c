"""A receipt's location through the ledger path (issue 18), on the in-memory twin and on moto alike: the
card learns where it buys (its receipts per location, its home: the first location it bought at), the
record keeps the location and the cashier, and the analytics counters go to the program and to the location,
a refund counting at its sale's location whoever takes it back."""
from dataclasses import replace

from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.store import analytics as analytics_store
from chalicelib.store.memory import MemoryLedger
from chalicelib.usecases import pos


def _sell(world, receipt_id, card, total, location_id=None, actor=None):
    body = {"receipt_id": receipt_id, "total": total}
    if card is not None:
        body["card"] = card.number
    now = world.moment()
    command = replace(RecordReceipt.parse(body, world.program, now), location_id=location_id, actor=actor)
    return pos.record_receipt(command, world.program, now, world.store)


def _refund(world, refund_id, receipt_id, amount, actor=None):
    command = replace(RecordRefund.parse({"refund_id": refund_id, "receipt_id": receipt_id, "amount": amount}),
                      actor=actor)
    return pos.record_refund(command, world.program, world.moment(), world.store)


def _revenue(world, location_id=None):
    scope = analytics_store.scope(world.program.program_id, location_id)
    if isinstance(world.store, MemoryLedger):
        days = world.store.counts.get(scope, {})
    else:
        days = analytics_store.read_period(scope, "2000-01-01", "2999-12-31").days
    return sum(counts.get("revenue", 0) for counts in days.values())


def test_the_card_learns_its_home_and_where_it_buys(world):
    card = world.new_card()
    _sell(world, "r1", card, 10_000, "loc_arbat")
    _sell(world, "r2", card, 10_000, "loc_tverskaya")
    _sell(world, "r3", card, 10_000, "loc_tverskaya")
    _sell(world, "r4", card, 10_000)  # a till that names no location
    state = world.store.card(card.card_id).state
    assert state.home == "loc_arbat"  # the first location it bought at; later ones do not move it
    assert state.places == {"loc_arbat": 1, "loc_tverskaya": 2}
    assert state.receipts == 4


def test_the_record_keeps_the_location_and_the_cashier_and_a_refund_counts_where_it_was_sold(world):
    card = world.new_card()
    _sell(world, "r1", card, 20_000, "loc_arbat", actor="staff_1")
    _sell(world, "r2", None, 5_000, "loc_tverskaya")
    _sell(world, "r3", card, 7_000)
    record = world.store.record(world.program.program_id, "receipt#r1")
    assert record.location_id == "loc_arbat"
    _refund(world, "x1", "r1", 8_000, actor="staff_2")  # taken back at another till: counts at the sale's location
    refund = world.store.record(world.program.program_id, "refund#x1")
    assert refund.location_id == "loc_arbat"
    assert _revenue(world, "loc_arbat") == 12_000
    assert _revenue(world, "loc_tverskaya") == 5_000
    assert _revenue(world) == 12_000 + 5_000 + 7_000  # the program's counters hold every receipt once


def test_a_replayed_receipt_counts_at_its_location_once(world):
    card = world.new_card()
    first = _sell(world, "r1", card, 10_000, "loc_arbat")
    again = _sell(world, "r1", card, 10_000, "loc_arbat")
    assert again.replay and again.response == first.response
    assert _revenue(world, "loc_arbat") == 10_000
    assert world.store.card(card.card_id).state.places == {"loc_arbat": 1}
