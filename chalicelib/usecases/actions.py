"""Bonuses for actions a customer takes outside the till: completing the profile, answering a survey
(the first purchase's is the receipt's own: core/ledger.py). Each is given once per card, through the
ledger like any other bonus: the record `action#<action>#<card_id>` makes a second attempt a replay."""
from datetime import datetime
from typing import TypedDict

from chalicelib import log
from chalicelib.core import clock
from chalicelib.core import mechanics as mech
from chalicelib.errors import RuleViolation
from chalicelib.store.records import Card, Program
from chalicelib.usecases.ledger import GiveBonus, apply


class ActionBonus(TypedDict):
    """A bonus as an answer lists it (the receipt's `bonuses` have the same shape)."""

    source: str  # "action"
    id: str  # the action
    points: int
    balance: int  # the card's balance with it


def reward(program: Program, card: Card, action: str, now: datetime) -> ActionBonus | None:
    """Give `action`'s bonus to the card if the program has one and the card has not had it: the bonus
    given now, or None (no bonus for it, a blocked card, or given before)."""
    points = mech.from_stored(program.mechanics).actions.points_for(action)
    if not points:
        return None
    key = f"action#{action}#{card.card_id}"
    bonus = GiveBonus(card_id=card.card_id, record_key=key, kind="action", request={"card": card.card_id,
                                                                                    "action": action},
                      cause_type="action", cause_id=action, source="action", points=points,
                      day=clock.local_day(now, program.timezone), lot_id=action[:3], ref=action, active_only=True)
    try:  # the ledger reads the card itself: a repeat's failed attempt would leave a preloaded item changed
        result = apply(bonus, program, now)
    except RuleViolation:  # a blocked card earns nothing
        return None
    if result.replay:
        return None
    log.info("action_rewarded", program_id=program.program_id, card_id=card.card_id, action=action, points=points)
    return {"source": "action", "id": action, "points": points, "balance": int(result.response["balance"])}
