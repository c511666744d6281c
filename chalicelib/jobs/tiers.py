"""The scheduled tier review: downgrades happen on the program's schedule (monthly, quarterly,
yearly), never at a purchase. Reads only the cards above the first tier (the sparse by_tier index),
so its cost grows with the tiered members, not with the program."""
from datetime import UTC, date, datetime

from chalicelib import log
from chalicelib.core import ledger
from chalicelib.core import mechanics as mech
from chalicelib.store import cards as card_store
from chalicelib.store import db
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program


def review_due(downgrade: str, day: date) -> bool:
    if downgrade == "monthly":
        return day.day == 1
    if downgrade == "quarterly":
        return day.day == 1 and day.month in (1, 4, 7, 10)
    if downgrade == "yearly":
        return day.day == 1 and day.month == 1
    return False


def review_program(program: Program, day: date, now: datetime) -> dict[str, int]:
    mechanics = mech.from_stored(program.mechanics)
    counts = {"read": 0, "changed": 0}
    for tier in mechanics.tiers[1:]:
        for listed in card_store.cards_in_tier(program.program_id, tier.id):
            counts["read"] += 1
            card = listed
            for _ in range(3):  # a card written meanwhile is read again
                state = card_store.state_of(card)
                new_tier = ledger.scheduled_tier(state, mechanics, day)
                if new_tier == card.tier:
                    break
                card.tier = new_tier
                card_store.set_tier_key(card, mechanics.tiers[0].id)
                try:
                    card_store.save_shown_change(card, now)
                    counts["changed"] += 1
                    break
                except Exception as error:  # the card changed meanwhile: read it again
                    if not db.is_condition_failure(error):
                        raise
                    fresh = card_store.get(card.card_id, consistent=True)
                    if fresh is None:  # gone meanwhile: nothing left to show
                        break
                    card = fresh
    return counts


def run(day: date) -> dict[str, int]:
    """Review every program whose schedule falls on `day`. Running it twice changes nothing more."""
    now = datetime.now(UTC)
    totals = {"programs": 0, "read": 0, "changed": 0}
    for program in program_store.active():
        if not review_due(mech.from_stored(program.mechanics).tier_downgrade, day):
            continue
        counts = review_program(program, day, now)
        totals["programs"] += 1
        totals["read"] += counts["read"]
        totals["changed"] += counts["changed"]
    log.info("tier_review", day=day.isoformat(), **totals)
    return totals
