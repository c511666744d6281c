"""`stamps`: a stamp per qualifying item or receipt (core/stamps.py), kept as the card's points; a full
card of `per_reward` stamps is a reward the POS redeems with `rewards`. Points never pay a receipt."""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from chalicelib.core import stamps as stamp_rules
from chalicelib.core.kinds.base import Phrase

if TYPE_CHECKING:  # see base.py
    from chalicelib.core.mechanics import Mechanics, Tier
    from chalicelib.core.products import Pricing


class Stamps:
    name = "stamps"
    spends_points = False

    def earn(self, mechanics: Mechanics, tier: Tier, pricing: Pricing, paid: Sequence[Fraction]) -> tuple[int, ...]:
        rules = mechanics.stamps
        if rules is None:  # validation requires them; a program saved otherwise earns nothing
            return tuple(0 for _ in pricing.lines)
        return stamp_rules.earned(rules, pricing, paid)

    def discount(self, mechanics: Mechanics, tier: Tier, pricing: Pricing) -> int:
        return 0

    def earn_phrase(self, mechanics: Mechanics, tier: Tier) -> Phrase:
        rules = mechanics.stamps or stamp_rules.StampRules()
        listed = rules.skus or rules.categories  # some products only: "every item" would promise too much
        key = ("rules_earn_stamps" if rules.per == "receipt" else
               "rules_earn_stamps_listed" if listed else "rules_earn_stamps_item")
        return Phrase(key, {"per_reward": rules.per_reward, "reward": rules.reward})  # picked in the reader's language


STAMPS = Stamps()
