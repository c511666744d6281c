"""What a plan is made of: the data a decision (usecases/decisions.py) hands to the store
(store/ledger.py, store/memory.py) to write as one transaction. Plain frozen values, no behaviour
beyond reading them: the domain objects the ledger path's store functions return and take."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.core import ledger
from chalicelib.core.experiments import Event, Trial
from chalicelib.core.ledger import CardState, Outcome

Counts = dict[str, dict[str, int]]  # {program-local day: {counter: amount}}


@dataclass(frozen=True)
class LedgerCard:
    """A card as the ledger sees it: its points state and what the rules ask of it. `version` is the
    version it was read at (the commit is conditioned on it); `item` is the store's own copy, opaque
    to everything but the store that read it."""

    card_id: str
    program_id: str
    number: str
    status: str
    state: CardState
    version: int
    referred_by: str | None = None
    name: str | None = None
    trials: tuple[Trial, ...] = ()  # the experiments it is exposed to (core/experiments.py)
    item: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class OperationRecord:
    """A stored operation (a receipt, a refund, a bonus…): the idempotency record and, for receipts,
    the totals its refunds are measured against."""

    program_id: str
    record_key: str
    kind: str
    body_hash: str
    response: dict[str, Any]
    card_id: str | None
    total: int = 0
    earned: int = 0
    redeemed: int = 0
    refunded_amount: int = 0
    points_reversed: int = 0
    points_returned: int = 0
    business_day: str | None = None
    paid: int | None = None  # a card receipt's money paid (None: written before it was kept; the total then)
    location_id: str | None = None  # the location it was sold at (core/locations.py)
    version: int = 0  # a refund's update of this receipt is conditioned on it
    item: Any = field(default=None, compare=False, repr=False)

    def totals(self) -> ledger.ReceiptTotals:
        return ledger.ReceiptTotals(total=self.total, earned=self.earned, redeemed=self.redeemed,
                                    refunded=self.refunded_amount, reversed=self.points_reversed,
                                    returned=self.points_returned, business_day=self.business_day,
                                    paid=self.paid, offer_id=self.redeemed_offer())

    def redeemed_offer(self) -> str | None:
        """The held offer a receipt redeemed (its answer's `offer.id`), if any."""
        offer = (self.response or {}).get("offer")
        return offer.get("id") if isinstance(offer, dict) else None


@dataclass(frozen=True)
class QueuedMessage:
    """A message to the card's holder, queued in the outbox with the change it announces."""

    kind: str
    texts: dict[str, str]
    due: datetime
    service: bool
    reason: str | None = None


@dataclass(frozen=True)
class CardChange:
    """A card's new state and the ledger entries that explain it. `entry_tag` keeps this change's
    entries apart from another's at the same instant; `notes`: whether an entry's own note becomes its
    reason (else `reason`)."""

    card: LedgerCard
    outcome: Outcome
    cause_type: str
    cause_id: str
    idempotency_key: str
    entry_tag: str
    actor: str | None = None
    reason: str | None = None
    notes: bool = True
    messages: tuple[QueuedMessage, ...] = ()
    trials: tuple[Trial, ...] | None = None  # the card's experiments after the change (None: as they were)


@dataclass(frozen=True)
class TrialEvent:
    """A sale or refund of a card in an experiment, appended to its assignment with the operation."""

    experiment_id: str
    card_id: str
    event: Event
    bonus: int = 0  # points the experiment's own rules gave with it (a challenge's reward): added to its cost


@dataclass(frozen=True)
class Enrolment:
    """A card joining an experiment with this operation (a receipt that first met a held-out rule);
    written only where missing, so a retry or a second receipt changes nothing."""

    experiment_id: str
    card_id: str
    program_id: str
    number: str
    variant: str
    exposed_on: str
    location_id: str | None = None  # the card's home at exposure (core/locations.py): reports filter by it


@dataclass(frozen=True)
class RefundedReceipt:
    """A refund's update of the receipt it refunds, conditioned on the version that was read."""

    receipt: OperationRecord
    refunded_amount: int
    points_reversed: int
    points_returned: int


@dataclass(frozen=True)
class NewRecord:
    record_key: str
    kind: str
    request_hash: str
    response: dict[str, Any]
    card_id: str | None
    fields: dict[str, Any] = field(default_factory=dict)  # totals, lines, business day…


@dataclass(frozen=True)
class Plan:
    """Everything one operation writes, in one transaction, or nothing."""

    program_id: str
    merchant_id: str
    first_tier: str  # cards above it are indexed by tier
    record: NewRecord
    changes: tuple[CardChange, ...] = ()
    refunded: RefundedReceipt | None = None
    counts: Counts = field(default_factory=dict)
    trial_events: tuple[TrialEvent, ...] = ()
    enrolments: tuple[Enrolment, ...] = ()
    location_id: str | None = None  # the location whose analytics counters it adds to as well (a refund: its receipt's)
    ranks_locations: bool = False  # the program's passes name its locations, ranked by the card's visits
