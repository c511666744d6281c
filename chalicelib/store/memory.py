"""The in-memory twin of the ledger's store (store/ledger.py): the same reads and the same commit, with
the same conditions (the record key is new, each card and the refunded receipt are unchanged since they
were read) and the same answers (`Applied`, `Replayed`, `Stale`), in dictionaries. The use-case tests
run on it in milliseconds and on moto with the same code (tests/usecases/). It also checks what the
rules promise on every commit: a balance never below zero, equal to the sum of its lots' remainders
and to the sum of the card's ledger entries."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.core import analytics as numbers
from chalicelib.store.analytics import scope as analytics_scope
from chalicelib.store.ledger import Applied, Committed, Replayed, Stale
from chalicelib.store.plans import Enrolment, LedgerCard, OperationRecord, Plan, QueuedMessage, TrialEvent

_RECORD_FIELDS = ("total", "earned", "redeemed", "business_day", "paid", "location_id")


@dataclass(frozen=True)
class EntryRow:
    """A ledger entry as the twin keeps it (the store's LedgerEntry item, without its keys)."""

    kind: str
    amount: int
    balance_after: int
    cause_type: str
    cause_id: str
    idempotency_key: str
    reason: str | None
    actor: str | None
    at: datetime


class MemoryLedger:
    def __init__(self) -> None:
        self.cards: dict[str, LedgerCard] = {}
        self.numbers: dict[str, str] = {}
        self.records: dict[tuple[str, str], OperationRecord] = {}
        self.entries: dict[str, list[EntryRow]] = {}
        self.messages: dict[str, list[QueuedMessage]] = {}
        self.counts: dict[str, dict[str, dict[str, int]]] = {}  # program -> day -> counters
        self.commits = 0  # transactions written (a replay or a stale attempt writes none)
        self.trial_events: list[TrialEvent] = []  # what the operations appended to experiments' assignments
        self.enrolments: list[Enrolment] = []

    # --- setting up ------------------------------------------------------------------------------

    def add_card(self, card: LedgerCard, now: datetime) -> LedgerCard:
        """A card as enrolment left it; its points so far as one opening entry."""
        self.cards[card.card_id] = card
        self.numbers[card.number] = card.card_id
        balance = card.state.balance
        self.entries[card.card_id] = [EntryRow("opening", balance, balance, "enrolment", card.card_id, card.card_id,
                                               None, None, now)] if balance else []
        return card

    def touch(self, card_id: str) -> None:
        """Another writer changed the card (its version moves on): what a concurrent request does."""
        card = self.cards[card_id]
        self.cards[card_id] = replace(card, version=card.version + 1)

    # --- the store's functions ---------------------------------------------------------------------

    def card(self, card_id: str, consistent: bool = True) -> LedgerCard | None:
        return self.cards.get(card_id)  # one copy: every read is consistent

    def card_id_by_number(self, number: str) -> str | None:
        return self.numbers.get(number)

    def record(self, program_id: str, record_key: str) -> OperationRecord | None:
        return self.records.get((program_id, record_key))

    def commit(self, plan: Plan, now: datetime) -> Committed:
        key = (plan.program_id, plan.record.record_key)
        if key in self.records:
            return Replayed(self.records[key])
        for change in plan.changes:
            stored = self.cards.get(change.card.card_id)
            if stored is None or stored.version != change.card.version:
                return Stale(False, ("ConditionalCheckFailed",))
        if plan.refunded is not None:
            receipt = self.records.get((plan.program_id, plan.refunded.receipt.record_key))
            if receipt is None or receipt.version != plan.refunded.receipt.version:
                return Stale(False, ("ConditionalCheckFailed",))
        return Applied(self._write(plan, now))

    def _write(self, plan: Plan, now: datetime) -> tuple[LedgerCard, ...]:
        written = []
        for change in plan.changes:
            card = replace(change.card, state=change.outcome.state, version=change.card.version + 1, item=None,
                           trials=change.card.trials if change.trials is None else change.trials)
            rows = self.entries.setdefault(card.card_id, [])
            rows.extend(EntryRow(entry.kind, entry.amount, entry.balance_after, change.cause_type, change.cause_id,
                                 change.idempotency_key, (entry.note if change.notes else None) or change.reason,
                                 change.actor, now)
                        for entry in change.outcome.entries)
            self.messages.setdefault(card.card_id, []).extend(change.messages)
            _check(card, rows)
            self.cards[card.card_id] = card
            written.append(card)
        new = plan.record
        fields: dict[str, Any] = {name: new.fields[name] for name in _RECORD_FIELDS if name in new.fields}
        self.records[(plan.program_id, new.record_key)] = OperationRecord(
            plan.program_id, new.record_key, new.kind, new.request_hash, new.response, new.card_id, **fields)
        if plan.refunded is not None:
            refunded = plan.refunded
            self.records[(plan.program_id, refunded.receipt.record_key)] = replace(
                refunded.receipt, refunded_amount=refunded.refunded_amount, points_reversed=refunded.points_reversed,
                points_returned=refunded.points_returned, version=refunded.receipt.version + 1, item=None)
        for scope in {plan.program_id, analytics_scope(plan.program_id, plan.location_id)}:
            days = self.counts.setdefault(scope, {})
            for day, counts in plan.counts.items():
                days[day] = numbers.merge(days.get(day, {}), counts)
        self.trial_events.extend(plan.trial_events)
        self.enrolments.extend(plan.enrolments)
        self.commits += 1
        return tuple(written)


def _check(card: LedgerCard, rows: list[EntryRow]) -> None:
    balance = card.state.balance
    if balance < 0 or balance != sum(lot.remaining for lot in card.state.lots):
        raise AssertionError(f"card {card.card_id}: balance {balance} is not its lots' remainders")
    if balance != sum(row.amount for row in rows):
        raise AssertionError(f"card {card.card_id}: balance {balance} is not the sum of its ledger")
