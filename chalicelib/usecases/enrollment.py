"""A customer joins a program: a card with its number, links, welcome and referral bonuses."""
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import TransactWriteError

from chalicelib.core import analytics as numbers
from chalicelib.core import card_number, lots
from chalicelib.core import enrollment as rules
from chalicelib.core import mechanics as mech
from chalicelib.errors import Conflict, InvalidInput, NotFound, TryAgain
from chalicelib import log
from chalicelib.store import cards as card_store
from chalicelib.store import db, ids
from chalicelib.store.models import Card, LedgerEntry
from chalicelib.usecases import clock

_ATTEMPTS = 3  # a fresh number or referral code after a (vanishingly rare) collision


@dataclass(frozen=True)
class Bonus:
    source: str
    points: int


def enroll(program, data, now: datetime, locale: str) -> Card:
    if program.status != "active":
        raise NotFound("This program is not taking new members.")
    today = clock.local_day(now, program.timezone)
    form = rules.parse(data, country=program.country, today=today)
    mechanics = mech.from_stored(program.mechanics)
    referrer_id = None
    if form.ref:
        referrer_id = card_store.card_id_by_ref(program.program_id, form.ref)
        if referrer_id is None:
            raise InvalidInput("That referral code is not known: check it or leave it empty.",
                               code="unknown_referral", field="ref")
    bonuses = [Bonus("welcome", mechanics.welcome_bonus)]
    if referrer_id:
        bonuses.append(Bonus("referral", mechanics.referred_bonus))
    for _ in range(_ATTEMPTS):
        card, entries = _new_card(program, form, mechanics, [b for b in bonuses if b.points > 0], referrer_id,
                                  form.locale or locale, now, today)
        try:
            counts = numbers.merge({"new_members": 1}, numbers.points_counts(entries))
            card_store.insert(card, entries, now, counts={today.isoformat(): counts})
        except card_store.AliasTaken as taken:
            if taken.alias.startswith("phone#"):
                raise Conflict("This phone number already has a card in this program. Open the link you "
                               "received when you joined, or ask the staff to find your card.",
                               code="already_enrolled", field="phone") from None
            continue
        except TransactWriteError as error:  # the store already waited out a few conflicts
            if not db.is_crowded(error):
                raise
            log.warning("enrollment_crowded", program_id=program.program_id)
            raise TryAgain("Many people are joining right now; try again in a moment.") from None
        log.info("card_enrolled", program_id=program.program_id, card_id=card.card_id,
                 referred=bool(referrer_id), bonus_points=card.balance)
        return card
    raise RuntimeError("could not allocate a unique card number")


def _new_card(program, form, mechanics, bonuses, referrer_id, locale, now, today):
    card_id = ids.new_id("c", 16)
    stamp = db.iso(now)
    new_lots, entries, balance = [], [], 0
    for index, bonus in enumerate(bonuses):
        lot = lots.accrue(mechanics, lot_id=f"{card_id[-6:]}{index}", source=bonus.source, points=bonus.points,
                          today=today, ref=bonus.source)
        new_lots.append(lot)
        balance += bonus.points
        entries.append(LedgerEntry(
            card_id, f"{stamp}#{index:02d}", program_id=program.program_id, merchant_id=program.merchant_id,
            kind="bonus", source=bonus.source, amount=bonus.points, balance_after=balance, cause_type="rule",
            cause_id=bonus.source, idempotency_key=f"{bonus.source}#{card_id}", created_at=stamp))
    card = Card(
        card_id,
        program_id=program.program_id,
        merchant_id=program.merchant_id,
        created_key=f"{stamp}#{card_id}",
        number=card_number.from_random(ids.random_digits(card_number.LENGTH - 1)),
        name=form.name,
        phone=form.phone,
        email=form.email,
        birthday=form.birthday,
        locale=locale,
        consent_at=stamp,
        consents={"email": form.email_consent},
        ref_code=ids.new_ref_code(),
        referred_by=referrer_id,
        access_key=ids.new_secret(16),
        auth_token=ids.new_secret(24),
        balance=balance,
        tier=mechanics.tiers[0].id,
        lots=[card_store.to_attribute(lot) for lot in new_lots],
        stats={},
        pass_version=1,
        pass_changed_at=db.micros(now),
        created_at=stamp,
        expiry_key=_day_key(program.program_id, lots.next_expiry(new_lots)),
        birthday_key=_day_key(program.program_id, form.birthday[5:] if form.birthday else None),
    )
    return card, entries


def _day_key(program_id: str, day: str | None) -> str | None:
    return f"{program_id}#{day}" if day else None
