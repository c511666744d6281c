"""`cashback`: money back, a share of the money paid at the tier's rate, kept as points worth
`point_value` each (so the same arithmetic as `points`; it is told to customers as money back)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.kinds.base import Phrase
from chalicelib.core.kinds.points import Points
from chalicelib.core.percent import percent

if TYPE_CHECKING:  # see base.py
    from chalicelib.core.mechanics import Mechanics, Tier


class Cashback(Points):
    """Earns as `points` (the money back rounded down to whole points); only its words differ."""

    name = "cashback"

    def earn_phrase(self, mechanics: Mechanics, tier: Tier) -> Phrase:
        return Phrase("rules_earn_cashback", {"earn": percent(tier.earn_bp)})


CASHBACK = Cashback()
