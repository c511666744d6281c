"""Bonuses for actions: completing the profile, answering a survey, the first purchase; each once
per card. Pure.

SEAM (issue 16): part H3 owns this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACTIONS = ("profile_completed", "survey_answered", "first_purchase")


@dataclass(frozen=True)
class ActionBonuses:
    profile_completed: int = 0
    survey_answered: int = 0
    first_purchase: int = 0


def parse(raw: object, prefix: str, base: ActionBonuses) -> ActionBonuses:
    return base


def to_json(bonuses: ActionBonuses) -> dict[str, Any]:
    return {"profile_completed": bonuses.profile_completed, "survey_answered": bonuses.survey_answered,
            "first_purchase": bonuses.first_purchase}
