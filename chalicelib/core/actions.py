"""Bonuses for actions: completing the profile, answering a survey, the first purchase; each once
per card. Pure.

Each is a number of points in `mechanics.actions` (0: no bonus). The first purchase's is given by the
receipt itself (core/ledger.py `receipt`, on the card's first receipt ever: a refund does not make the
next one first again); the others by usecases/actions.py, once per card by the ledger record
`action#<action>#<card_id>`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.core import validation as v

ACTIONS = ("profile_completed", "survey_answered", "first_purchase")
MAX_POINTS = 10_000_000


@dataclass(frozen=True)
class ActionBonuses:
    profile_completed: int = 0
    survey_answered: int = 0
    first_purchase: int = 0

    def points_for(self, action: str) -> int:
        if action not in ACTIONS:
            raise ValueError(f"no such action: {action}")
        return int(getattr(self, action))


def parse(raw: object, prefix: str, base: ActionBonuses) -> ActionBonuses:
    """`mechanics.actions` over `base`: an action not sent keeps its points (PATCH); null: no bonuses."""
    if raw is None:
        return ActionBonuses()
    data = v.require_object(raw, prefix)
    v.reject_unknown(data, ACTIONS, prefix)
    changed = {action: v.read_int(data, action, prefix=prefix, minimum=0, maximum=MAX_POINTS,
                                  default=base.points_for(action)) for action in ACTIONS}
    return replace(base, **changed)


def to_json(bonuses: ActionBonuses) -> dict[str, Any]:
    return {"profile_completed": bonuses.profile_completed, "survey_answered": bonuses.survey_answered,
            "first_purchase": bonuses.first_purchase}
