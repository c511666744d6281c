"""The one write path for a balance: every change of a card's points (receipt, refund, bonus,
adjustment, expiry) and of the offers it holds (issued, withdrawn) goes through `apply`, which reads
the cards the operation is about, has the pure `decide_*` of usecases/decisions.py turn command and
state into a `Plan`, and has the store write the plan
(store/ledger.py): the operation's record, the ledger entries and the card (with its lots) in one
DynamoDB transaction, conditioned on the record being new (the idempotency key) and on the card not
having changed since it was read (its version). Ledger entries are listed in the order changes were
applied (`store.ledger.entry_stamp`); when what the wallet shows changes, the `pass_changed` outbox
items are written in the same transaction, and so are the day's analytics counters (the points of
every entry, the money of a sale or refund), so a counter changes exactly when the points do.

A conflict with a concurrent writer is retried on fresh data (`Stale`: decide again); a repeated
operation returns its first answer (`Replayed`, or a rule refusal when the record exists), or
409 `<kind>_conflict` for another body under the same key. Contention that outlasts the retries is a
retryable refusal (`errors.TryAgain`: 409 or 503 with Retry-After), never a 500, and writes nothing.

DynamoDB requests per card receipt: the card's GetItem and one TransactWriteItems (with the POS key's
rate counter, 3: benchmarks/receipts.py). No read of the record first: a repeat is caught by the
transaction's condition on it (or by a rule the first run changed the state for), and only then is the
record read to answer as before."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import log
from chalicelib.commands import body_hash
from chalicelib.commands.adjustments import AdjustBalance
from chalicelib.commands.offers import IssueOffer, WithdrawOffer
from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.core import mechanics as mech
from chalicelib.errors import AppError, Conflict, NotFound, TryAgain
from chalicelib.store import db
from chalicelib.store.ledger import DYNAMO, Applied, LedgerStore, Replayed, ledger_card
from chalicelib.store.plans import LedgerCard, OperationRecord, Plan
from chalicelib.store.records import Program
from chalicelib.usecases import decisions
from chalicelib.usecases.decisions import BurnExpired, GiveBonus, queued_message

ATTEMPTS = 6

LedgerCommand = RecordReceipt | RecordRefund | AdjustBalance | GiveBonus | BurnExpired | IssueOffer | WithdrawOffer

# What the jobs and campaigns give through the ledger, importable from here with the loop that runs it.
__all__ = ["ATTEMPTS", "BurnExpired", "GiveBonus", "LedgerCommand", "Result", "body_hash", "apply", "ledger_card",
           "queued_message", "replay"]


@dataclass(frozen=True)
class Result:
    response: dict[str, Any]
    replay: bool = False
    card: LedgerCard | None = None  # the operation's card as written (None for a replay or a sale without one)


@dataclass(frozen=True)
class _Reading:
    """What an attempt read before deciding."""

    card: LedgerCard | None = None
    referrer: LedgerCard | None = None
    receipt: OperationRecord | None = None


def request_hash(command: LedgerCommand) -> str:
    if isinstance(command, GiveBonus):
        return body_hash(command.request)
    if isinstance(command, BurnExpired):
        return body_hash({"card": command.card_id, "day": command.record_key})
    return command.request_hash


def replay(command: LedgerCommand, record: OperationRecord) -> Result:
    """The first answer again, or 409 when the same key came with another body."""
    if record.body_hash != request_hash(command):
        kind = command.record_key.partition("#")[0]
        raise Conflict("This id was already used for a different request.", code=f"{kind}_conflict")
    return Result(record.response, replay=True)


def apply(command: LedgerCommand, program: Program, now: datetime, store: LedgerStore = DYNAMO, *,
          card_id: str | None = None, preloaded: LedgerCard | None = None) -> Result:
    """Decide `command` on the current state and write it all at once (see the module's docstring).
    `card_id`: the card of a receipt (resolved from its number by the caller). `preloaded`: the card
    already read (say, from an index) for the first attempt; if it is stale the version condition fails
    and the card is read again."""
    crowded = False
    for attempt in range(ATTEMPTS):
        reading = _read(command, program, store, card_id, preloaded if attempt == 0 else None)
        try:
            plan = _decide(command, program, reading, now)
        except AppError:
            previous = store.record(program.program_id, command.record_key)
            if previous is not None:
                return replay(command, previous)
            raise
        committed = store.commit(plan, now)
        if isinstance(committed, Applied):
            return Result(plan.record.response, card=committed.cards[0] if committed.cards else None)
        if isinstance(committed, Replayed):  # a concurrent twin won: answer as it did
            return replay(command, committed.record)
        crowded = committed.crowded
        log.info("ledger_retry", attempt=attempt + 1, record=plan.record.kind, reasons=",".join(committed.reasons))
        if crowded or attempt:  # a second race on the card: let the other writers pass first
            db.back_off(attempt)
    # Nothing was written: the same request (the same idempotency key) goes through once it is sent again.
    log.warning("ledger_gave_up", record=command.record_key.partition("#")[0], crowded=crowded)
    if crowded:
        raise TryAgain("The card is busy with other changes; try again in a moment.")
    raise TryAgain("The card kept changing while this was applied; try again.", status=409)


def _card(store: LedgerStore, program: Program, card_id: str, preloaded: LedgerCard | None) -> LedgerCard:
    card: LedgerCard | None = preloaded if preloaded is not None else store.card(card_id)
    if card is None or card.program_id != program.program_id:
        raise NotFound("No such card.", code="card_not_found", field="card")
    return card


def _read(command: LedgerCommand, program: Program, store: LedgerStore, card_id: str | None,
          preloaded: LedgerCard | None) -> _Reading:
    """The cards (and the refunded receipt) an attempt decides on, read afresh on every attempt."""
    if isinstance(command, RecordReceipt):
        if card_id is None:
            return _Reading()
        card = _card(store, program, card_id, preloaded)
        mechanics = mech.from_stored(program.mechanics)
        referrer = store.card(card.referred_by) if card.referred_by and decisions.first_referred_purchase(
            card, mechanics) else None
        return _Reading(card, referrer)
    if isinstance(command, RecordRefund):
        receipt = store.record(program.program_id, f"receipt#{command.receipt_id}")  # fresh: partial refunds race
        if receipt is None:
            raise NotFound("No receipt with this id in this program.", code="receipt_not_found", field="receipt_id")
        refunded_card = _card(store, program, receipt.card_id, preloaded) if receipt.card_id is not None else None
        return _Reading(refunded_card, receipt=receipt)
    return _Reading(_card(store, program, command.card_id, preloaded))


def _decide(command: LedgerCommand, program: Program, reading: _Reading, now: datetime) -> Plan:  # noqa: PLR0911 (one decision per command)
    if isinstance(command, RecordReceipt):
        return decisions.decide_receipt(command, program, reading.card, reading.referrer, now)
    if isinstance(command, RecordRefund):
        assert reading.receipt is not None
        return decisions.decide_refund(command, program, reading.receipt, reading.card, now)
    assert reading.card is not None
    if isinstance(command, AdjustBalance):
        return decisions.decide_adjustment(command, program, reading.card, now)
    if isinstance(command, GiveBonus):
        return decisions.decide_bonus(command, program, reading.card, request_hash(command), now)
    if isinstance(command, IssueOffer):
        return decisions.decide_issue_offer(command, program, reading.card, now)
    if isinstance(command, WithdrawOffer):
        return decisions.decide_withdraw_offer(command, program, reading.card, now)
    return decisions.decide_expiry(command, program, reading.card, request_hash(command), now)
