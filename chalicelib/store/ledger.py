"""The ledger's commit: the only place that builds operation records (`Receipt` items) and ledger entries,
and writes a `Plan` (store/plans.py) as one DynamoDB transaction:

- the operation's record, conditioned on its key being new (the idempotency key);
- each changed card, conditioned on the version it was read at (PynamoDB's version attribute), with its
  ledger entries, listed at `entry_stamp`, and, when what the wallet shows changed, the `pass_changed`
  outbox items (Apple and Google learn of it from there), and its queued messages;
- a refund's update of its receipt, conditioned on the receipt's version (two refunds of one receipt
  cannot both pass);
- the day's analytics counters (store/analytics.py), in this operation's shard.

One TransactWriteItems per operation: with the card read before it and the POS key's rate counter, a
card receipt costs 3 DynamoDB requests (benchmarks/receipts.py). `commit` answers `Applied`,
`Replayed` (the record exists: a twin won, answer as it did) or `Stale` (a card or the receipt changed,
or DynamoDB said "not now": decide again on fresh data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pynamodb.exceptions import TransactWriteError

from chalicelib.core import experiments as experiment_rules
from chalicelib.store import analytics as analytics_store
from chalicelib.store import cards as card_store
from chalicelib.store import db, occasions, outbox
from chalicelib.store import experiments as experiment_store
from chalicelib.store.models import Card, LedgerEntry, Receipt
from chalicelib.store.plans import CardChange, LedgerCard, OperationRecord, Plan


@dataclass(frozen=True)
class Applied:
    cards: tuple[LedgerCard, ...]  # each changed card as written (its new state and version)


@dataclass(frozen=True)
class Replayed:
    record: OperationRecord  # the operation was done before (or by a twin just now): its first answer


@dataclass(frozen=True)
class Stale:
    crowded: bool  # DynamoDB said "not now" (a conflict in flight, throttling) rather than "changed"
    reasons: tuple[str, ...] = ()


Committed = Applied | Replayed | Stale


class LedgerStore(Protocol):
    """What the ledger path reads and writes: DynamoDB (`DYNAMO`) or the in-memory twin (store/memory.py)."""

    def card(self, card_id: str, consistent: bool = True) -> LedgerCard | None: ...
    def card_id_by_number(self, number: str) -> str | None: ...
    def record(self, program_id: str, record_key: str) -> OperationRecord | None: ...
    def commit(self, plan: Plan, now: datetime) -> Committed: ...


def ledger_card(item: Card) -> LedgerCard:
    """A card item as the ledger sees it; the item rides along for the commit."""
    return LedgerCard(card_id=item.card_id, program_id=item.program_id, number=item.number, status=item.status,
                      state=card_store.state_of(item), version=int(item.version or 0), referred_by=item.referred_by,
                      name=item.name, trials=experiment_rules.trials_of(item.trials), item=item)


def operation_record(item: Receipt) -> OperationRecord:
    return OperationRecord(program_id=item.program_id, record_key=item.receipt_key, kind=item.kind,
                           body_hash=item.body_hash, response=item.response, card_id=item.card_id,
                           total=int(item.total), earned=int(item.earned), redeemed=int(item.redeemed),
                           refunded_amount=int(item.refunded_amount), points_reversed=int(item.points_reversed),
                           points_returned=int(item.points_returned), business_day=item.business_day,
                           paid=None if item.paid is None else int(item.paid), version=int(item.version or 0),
                           location_id=item.location_id,
                           item=item)


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


class DynamoLedger:
    def card(self, card_id: str, consistent: bool = True) -> LedgerCard | None:
        """The card, read strongly consistently unless a look-up that writes nothing says otherwise."""
        item = card_store.get(card_id, consistent=consistent)
        return ledger_card(item) if item is not None else None

    def card_id_by_number(self, number: str) -> str | None:
        return card_store.card_id_by_number(number)  # cached: a number never moves to another card

    def record(self, program_id: str, record_key: str) -> OperationRecord | None:
        try:
            return operation_record(Receipt.get(program_id, record_key, consistent_read=True))
        except Receipt.DoesNotExist:
            return None

    def commit(self, plan: Plan, now: datetime) -> Committed:
        stamp = db.iso(now)
        new = plan.record
        record = Receipt(plan.program_id, new.record_key, created_key=f"{stamp}#{new.record_key}", kind=new.kind,
                         body_hash=new.request_hash, response=new.response, card_id=new.card_id, created_at=stamp,
                         **new.fields)
        writes = [_card_writes(plan, change, now) for change in plan.changes]
        try:
            with db.transaction() as tx:
                tx.save(record, condition=Receipt.receipt_key.does_not_exist())
                for card, entries, others in writes:
                    tx.save(card)  # conditioned on the version read
                    for entry in entries:
                        tx.save(entry, condition=LedgerEntry.entry_key.does_not_exist())
                    for item in others:
                        tx.save(item)
                if plan.refunded is not None:
                    tx.save(_refunded_receipt(plan))  # conditioned on its version
                analytics_store.add_counts(tx, plan.program_id, plan.counts, new.record_key)
                if plan.location_id is not None:
                    analytics_store.add_counts(tx, analytics_store.scope(plan.program_id, plan.location_id),
                                               plan.counts, new.record_key)
                experiment_store.enrol_with(tx, plan.enrolments, now)
                experiment_store.append_events(tx, plan.trial_events)
        except TransactWriteError as error:
            reasons = db.cancellation_reasons(error)
            crowded = db.is_crowded(error)
            if "ConditionalCheckFailed" not in reasons and not crowded:
                raise
            previous = self.record(plan.program_id, new.record_key)
            if previous is not None:
                return Replayed(previous)
            return Stale(crowded, tuple(reasons))
        return Applied(tuple(ledger_card(card) for card, _, _ in writes))


def _card_writes(plan: Plan, change: CardChange, now: datetime) -> tuple[Card, list[LedgerEntry], list[Any]]:
    """The card item with its new state, its ledger entries and its outbox items (not yet written)."""
    card: Card = change.card.item
    others: list[Any] = []
    if card_store.put_state(card, change.outcome.state, now, plan.first_tier, plan.ranks_locations):
        others.extend(outbox.pass_changed(card, now))
    if change.trials is not None:
        card.trials = [trial.to_json() for trial in change.trials] or None
    for message in change.messages:  # after put_state: the message names the pass version it comes with
        others.extend(occasions.pending_message(card, message.kind, message.texts, now, message.due,
                                                service=message.service, reason=message.reason))
    at = entry_stamp(card, now) if change.outcome.entries else None
    entries = [LedgerEntry(card.card_id, f"{at}#{change.entry_tag}#{index:02d}", program_id=plan.program_id,
                           merchant_id=plan.merchant_id, kind=entry.kind, source=entry.source, amount=entry.amount,
                           balance_after=entry.balance_after, cause_type=change.cause_type, cause_id=change.cause_id,
                           actor=change.actor, reason=(entry.note if change.notes else None) or change.reason,
                           idempotency_key=change.idempotency_key, created_at=at)
               for index, entry in enumerate(change.outcome.entries)]
    return card, entries, others


def _refunded_receipt(plan: Plan) -> Receipt:
    assert plan.refunded is not None
    refunded = plan.refunded
    item: Receipt = refunded.receipt.item
    item.refunded_amount = refunded.refunded_amount
    item.points_reversed = refunded.points_reversed
    item.points_returned = refunded.points_returned
    return item


DYNAMO: LedgerStore = DynamoLedger()
