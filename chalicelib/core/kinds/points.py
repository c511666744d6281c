"""`points`: a share of the money paid, at the tier's rate, in points worth `point_value` each."""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from chalicelib.core.kinds.base import Phrase
from chalicelib.core.kinds.earning import points_earned
from chalicelib.core.percent import percent

if TYPE_CHECKING:  # see base.py
    from chalicelib.core.mechanics import Mechanics, Tier
    from chalicelib.core.products import Pricing


class Points:
    name = "points"
    spends_points = True

    def earn(self, mechanics: Mechanics, tier: Tier, pricing: Pricing, paid: Sequence[Fraction]) -> tuple[int, ...]:
        """Each line's money paid at its rate (the tier's, or a product rule's), rounded down once to whole
        points: without lines, paid * earn_bp // 10000 // point_value."""
        return points_earned(pricing, paid, mechanics.point_value)

    def discount(self, mechanics: Mechanics, tier: Tier, pricing: Pricing) -> int:
        return 0

    def earn_phrase(self, mechanics: Mechanics, tier: Tier) -> Phrase:
        return Phrase("rules_earn_points", {"earn": percent(tier.earn_bp)})


POINTS = Points()
