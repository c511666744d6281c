"""The one write path for a balance: every change of a card's points (receipt, refund, bonus,
adjustment, expiry) goes through `apply`, which writes the operation's record, the ledger entries
and the card (with its lots) in one DynamoDB transaction, conditioned on the record being new (the
idempotency key) and on the card not having changed since it was read (its version). A conflict with
a concurrent writer is retried on fresh data; a repeated operation returns its first answer. Contention
that outlasts the retries is a retryable refusal (`errors.TryAgain`: 409 or 503 with Retry-After), never
a 500, and writes nothing."""
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from pynamodb.exceptions import TransactWriteError

from chalicelib import log
from chalicelib.core import analytics as numbers
from chalicelib.core import mechanics as mech
from chalicelib.errors import AppError, Conflict, NotFound, TryAgain
from chalicelib.store import cards as card_store
from chalicelib.store import analytics as analytics_store
from chalicelib.store import db, outbox
from chalicelib.store.models import Card, LedgerEntry, Receipt
from chalicelib.usecases import clock

ATTEMPTS = 6


def body_hash(data) -> str:
    """The same request, however its JSON was spaced or ordered."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Operation:
    """What is being done, once: its record key within the program and who or what caused it."""

    program_id: str
    record_key: str  # 'receipt#<id>', 'refund#<id>', 'adjustment#<key>', 'bonus#<key>'
    kind: str
    request_hash: str
    cause_type: str  # receipt, refund, rule, admin, job
    cause_id: str
    actor: str | None = None
    reason: str | None = None
    record_fields: dict = field(default_factory=dict)  # extra attributes of the record (totals, lines…)
    money: Callable | None = None  # (outcome, card) -> the sale's or refund's analytics counters
    money_day: str | None = None  # the business day they count on (default: today)


@dataclass
class Result:
    response: dict
    replay: bool = False
    record: Receipt | None = None
    card: Card | None = None


def entry_stamp(card: Card, now: datetime) -> str:
    """The time a change applied to `card` is listed at: `now`, or just after the card's newest entry
    if that is later, so the ledger lists in the order changes were applied (a request that started
    first but committed second lists second, its `balance_after` the balance). Kept on the card, which
    the same transaction writes under its version, so no two changes can take the same place."""
    stamp = db.iso(now)
    last = card.ledger_at or card.created_at
    if last and stamp <= last:
        stamp = db.iso(datetime.fromisoformat(last) + timedelta(microseconds=1))
    card.ledger_at = stamp
    return stamp


def existing(program_id: str, record_key: str) -> Receipt | None:
    try:
        return Receipt.get(program_id, record_key, consistent_read=True)
    except Receipt.DoesNotExist:
        return None


def replay(op: Operation, record: Receipt) -> Result:
    if record.body_hash != op.request_hash:
        raise Conflict("This id was already used for a different request.", code=f"{op.kind}_conflict")
    return Result(record.response, replay=True, record=record)


def apply(program, card_id: str | None, op: Operation, now: datetime,
          decide: Callable, respond: Callable, extra: Callable | None = None, preloaded: Card | None = None) -> Result:
    """Run `decide(state, card) -> Outcome` on the card's current state and write it all at once.
    `respond(outcome, card) -> dict` makes the answer stored for replays; `extra(outcome, card, tx)`
    may add more writes to the same transaction (another card, the receipt a refund belongs to) and
    returns the ledger entries it wrote, if any. The day's analytics counters are added in the same
    transaction: the points of every entry, and the money of `op.money`.
    `preloaded`: a copy of the card already read (say, from an index) for the first attempt; if it is
    stale the version condition fails and the card is read again."""
    # No read of the record first: a repeat is caught by the transaction's condition on it (or by a rule
    # the first run changed the state for), and only then is the record read to answer as before.
    stamp = db.iso(now)
    today = clock.local_day(now, program.timezone).isoformat()
    first_tier = mech.from_stored(program.mechanics).tiers[0].id
    crowded = False
    for attempt in range(ATTEMPTS):
        card = None
        if card_id is not None:
            card = preloaded if attempt == 0 and preloaded is not None else card_store.get(card_id, consistent=True)
            if card is None or card.program_id != program.program_id:
                raise NotFound("No such card.", code="card_not_found", field="card")
        try:
            outcome = decide(card_store.state_of(card) if card else None, card)
        except AppError:
            previous = existing(program.program_id, op.record_key)
            if previous is not None:
                return replay(op, previous)
            raise
        response = respond(outcome, card)
        record = Receipt(program.program_id, op.record_key, created_key=f"{stamp}#{op.record_key}", kind=op.kind,
                         body_hash=op.request_hash, response=response, card_id=card_id, created_at=stamp,
                         **op.record_fields)
        entries, announce = [], []
        if card is not None:
            if card_store.put_state(card, outcome.state, now, first_tier):
                announce = outbox.pass_changed(card, now)  # Apple and Google learn of it from here
            suffix = hashlib.sha256(op.record_key.encode()).hexdigest()[:8]
            at = entry_stamp(card, now) if outcome.entries else None
            for index, entry in enumerate(outcome.entries):
                entries.append(LedgerEntry(
                    card.card_id, f"{at}#{suffix}#{index:02d}", program_id=program.program_id,
                    merchant_id=program.merchant_id, kind=entry.kind, source=entry.source, amount=entry.amount,
                    balance_after=entry.balance_after, cause_type=op.cause_type, cause_id=op.cause_id,
                    actor=op.actor, reason=entry.note or op.reason, idempotency_key=op.record_key, created_at=at))
        try:
            with db.transaction() as tx:
                tx.save(record, condition=Receipt.receipt_key.does_not_exist())
                if card is not None:
                    tx.save(card)  # conditioned on the version read above
                for entry in entries:
                    tx.save(entry, condition=LedgerEntry.entry_key.does_not_exist())
                for item in announce:
                    tx.save(item)
                extra_entries = (extra(outcome, card, tx) or []) if extra is not None else []
                analytics_store.add_counts(tx, program.program_id, _counts(op, outcome, card, extra_entries, today),
                                           op.record_key)
        except TransactWriteError as error:
            reasons = db.cancellation_reasons(error)
            crowded = db.is_crowded(error)
            if "ConditionalCheckFailed" not in reasons and not crowded:
                raise
            previous = existing(program.program_id, op.record_key)
            if previous is not None:  # a concurrent twin won: answer as it did
                return replay(op, previous)
            log.info("ledger_retry", attempt=attempt + 1, record=op.kind, reasons=",".join(reasons))
            if crowded or attempt:  # a second race on the card: let the other writers pass first
                db.back_off(attempt)
            continue  # the card changed under us: decide again on fresh data
        return Result(response, record=record, card=card)
    # Nothing was written: the same request (the same idempotency key) goes through once it is sent again.
    log.warning("ledger_gave_up", record=op.kind, crowded=crowded)
    if crowded:
        raise TryAgain("The card is busy with other changes; try again in a moment.")
    raise TryAgain("The card kept changing while this was applied; try again.", status=409)


def _counts(op: Operation, outcome, card, extra_entries, today: str) -> dict:
    by_day = {today: numbers.points_counts([*outcome.entries, *extra_entries])}
    if op.money is not None:
        day = op.money_day or today
        by_day[day] = numbers.merge(by_day.get(day, {}), op.money(outcome, card))
    return by_day
