"""Challenges: "visit 3 times in 14 days: +300", spend goals, a product bought N times, streaks.

Defined in `mechanics.challenges`; each card's progress is kept on its item (`Progress`) and moved
by its receipts; a completion gives its reward once, through the ledger (a bonus lot) or as an offer.
Pure.

SEAM (issue 16): part H3 owns this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.core.kinds.base import Sale

if TYPE_CHECKING:
    from chalicelib.core.mechanics import Mechanics
    from chalicelib.core.products import Pricing


@dataclass(frozen=True)
class Challenge:
    id: str


@dataclass(frozen=True)
class Progress:
    """A card's progress in one challenge."""

    challenge: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"challenge": self.challenge, **self.data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Progress:
        rest = {key: value for key, value in data.items() if key != "challenge"}
        return cls(data["challenge"], rest)


@dataclass(frozen=True)
class Reward:
    """What a completed challenge gives: points (a bonus lot, source `challenge`) or an offer."""

    challenge: str
    points: int = 0
    offer: str | None = None  # an OfferDef id to issue


@dataclass(frozen=True)
class Step:
    progress: tuple[Progress, ...]
    rewards: tuple[Reward, ...] = ()


def parse(raw: object, prefix: str) -> tuple[Challenge, ...]:
    return ()


def to_json(challenges: tuple[Challenge, ...]) -> list[dict[str, Any]]:
    return []


def advance(progress: tuple[Progress, ...], mechanics: Mechanics, sale: Sale, pricing: Pricing, paid: int) -> Step:
    """This sale's effect on the card's challenges (`paid`: the money paid, points excluded)."""
    return Step(progress)
