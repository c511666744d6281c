"""`discount`: a club card. No points: the tier's `discount_percent` off the payable money of every
receipt (lines a product rule excludes get none), rounded down to whole minor units; tiers count the
money paid after the discount."""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from chalicelib.core.kinds.base import Phrase
from chalicelib.core.percent import WHOLE, percent

if TYPE_CHECKING:  # see base.py
    from chalicelib.core.mechanics import Mechanics, Tier
    from chalicelib.core.products import Pricing


class Discount:
    name = "discount"
    spends_points = False

    def earn(self, mechanics: Mechanics, tier: Tier, pricing: Pricing, paid: Sequence[Fraction]) -> tuple[int, ...]:
        return tuple(0 for _ in pricing.lines)

    def discount(self, mechanics: Mechanics, tier: Tier, pricing: Pricing) -> int:
        return pricing.payable * tier.discount_bp // WHOLE

    def earn_phrase(self, mechanics: Mechanics, tier: Tier) -> Phrase:
        return Phrase("rules_earn_discount", {"discount": percent(tier.discount_bp)})


DISCOUNT = Discount()
