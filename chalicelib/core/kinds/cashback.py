"""`cashback`: money back, a share of the money paid at the tier's rate, kept as points worth
`point_value` each (so the same arithmetic as `points`; it is told to customers as money back)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.core.kinds.base import Phrase, ReceiptLine
from chalicelib.core.percent import WHOLE, percent

if TYPE_CHECKING:  # see base.py
    from chalicelib.core.mechanics import Mechanics, Tier


class Cashback:
    name = "cashback"

    def earn(self, mechanics: Mechanics, tier: Tier, paid: int, lines: Sequence[ReceiptLine]) -> int:
        """The money back (minor units, rounded down) in whole points, rounded down."""
        money_back = paid * tier.earn_bp // WHOLE
        return money_back // mechanics.point_value

    def earn_phrase(self, mechanics: Mechanics, tier: Tier) -> Phrase:
        return Phrase("rules_earn_cashback", {"earn": percent(tier.earn_bp)})


CASHBACK = Cashback()
