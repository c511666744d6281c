"""NPS and CSI surveys after a purchase: whether a sale asks one, and the scores' arithmetic. Pure.

SEAM (issue 16): part H4 owns this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.core.kinds.base import Sale

if TYPE_CHECKING:
    from chalicelib.core.mechanics import Mechanics


@dataclass(frozen=True)
class SurveySettings:
    kind: str = "nps"


def parse(raw: object, prefix: str) -> SurveySettings | None:
    return None


def to_json(settings: SurveySettings | None) -> dict[str, Any] | None:
    return None


def due(surveyed_on: str | None, mechanics: Mechanics, sale: Sale) -> bool:
    """Whether this sale asks its card a survey (sampling and at most one per period)."""
    return False
