"""A new member's card, written with its aliases, its bonus entries and the day's counters at once."""
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import TransactWriteError

from chalicelib.core import consents as consent_rules
from chalicelib.core import lots as lot_rules
from chalicelib.core.lots import Lot
from chalicelib.store import cards as card_store
from chalicelib.store import db
from chalicelib.store.models import Card, LedgerEntry


class Crowded(Exception):
    """DynamoDB kept saying "not now" (conflicts with other joins, throttling): nothing was written."""


@dataclass(frozen=True)
class BonusEntry:
    """A bonus the newcomer gets on joining (welcome, referral), as its ledger entry."""

    source: str
    amount: int
    balance_after: int
    kind: str = "bonus"  # core.analytics.points_counts reads `kind` and `amount`


@dataclass(frozen=True)
class Newcomer:
    """Everything a new card holds, decided by the enrollment use case; the store adds the keys."""

    card_id: str
    program_id: str
    merchant_id: str
    number: str
    name: str
    phone: str
    email: str | None
    birthday: str | None
    locale: str
    email_consent: bool
    ref_code: str
    referred_by: str | None
    access_key: str
    auth_token: str
    tier: str
    lots: tuple[Lot, ...]
    bonuses: tuple[BonusEntry, ...]
    home: str | None = None  # the location it joined at (an open one of the program); None: none
    consent_records: tuple[dict[str, object], ...] = ()  # the consents given in joining (core/consents.py)


def insert(newcomer: Newcomer, now: datetime, counts: dict[str, dict[str, int]]) -> Card:
    """Write the card, its aliases and bonus entries and the program's `counts` ({day: counters}), all or
    nothing. A taken alias raises `cards.AliasTaken` naming it; lasting contention raises `Crowded`. A card
    that joined at a location adds the same counters to the location's partition (analytics.scope)."""
    card, entries = _items(newcomer, now)
    try:
        return card_store.insert(card, entries, now, counts=counts, location_id=newcomer.home)
    except TransactWriteError as error:  # card_store.insert already waited out a few conflicts
        if db.is_crowded(error):
            raise Crowded(newcomer.program_id) from None
        raise


def _items(newcomer: Newcomer, now: datetime) -> tuple[Card, list[LedgerEntry]]:
    stamp = db.iso(now)
    program_id, card_id = newcomer.program_id, newcomer.card_id
    entries = [LedgerEntry(card_id, f"{stamp}#{index:02d}", program_id=program_id,
                           merchant_id=newcomer.merchant_id, kind=bonus.kind, source=bonus.source,
                           amount=bonus.amount, balance_after=bonus.balance_after, cause_type="rule",
                           cause_id=bonus.source, idempotency_key=f"{bonus.source}#{card_id}", created_at=stamp)
               for index, bonus in enumerate(newcomer.bonuses)]
    expiry = lot_rules.next_expiry(list(newcomer.lots))
    card = Card(
        card_id,
        program_id=program_id,
        merchant_id=newcomer.merchant_id,
        created_key=f"{stamp}#{card_id}",
        number=newcomer.number,
        name=newcomer.name,
        phone=newcomer.phone,
        email=newcomer.email,
        birthday=newcomer.birthday,
        locale=newcomer.locale,
        consent_at=stamp,
        consents={"email": newcomer.email_consent, **consent_rules.current(newcomer.consent_records)},
        consent_records=[dict(item) for item in newcomer.consent_records],
        ref_code=newcomer.ref_code,
        referred_by=newcomer.referred_by,
        access_key=newcomer.access_key,
        auth_token=newcomer.auth_token,
        balance=newcomer.bonuses[-1].balance_after if newcomer.bonuses else 0,
        tier=newcomer.tier,
        lots=[card_store.to_attribute(lot) for lot in newcomer.lots],
        stats={"home": newcomer.home, "places": {}} if newcomer.home else {},
        pass_version=1,
        pass_changed_at=db.micros(now),
        created_at=stamp,
        expiry_key=f"{program_id}#{expiry}" if expiry else None,
        birthday_key=f"{program_id}#{newcomer.birthday[5:]}" if newcomer.birthday else None,
    )
    return card, entries
