"""`points`: a share of the money paid, at the tier's rate, in points worth `point_value` each."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.core.kinds.base import Phrase, ReceiptLine
from chalicelib.core.percent import WHOLE, percent

if TYPE_CHECKING:  # see base.py
    from chalicelib.core.mechanics import Mechanics, Tier


class Points:
    name = "points"

    def earn(self, mechanics: Mechanics, tier: Tier, paid: int, lines: Sequence[ReceiptLine]) -> int:
        """Rounded down to whole points; the lines do not matter to this kind."""
        return paid * tier.earn_bp // WHOLE // mechanics.point_value

    def earn_phrase(self, mechanics: Mechanics, tier: Tier) -> Phrase:
        return Phrase("rules_earn_points", {"earn": percent(tier.earn_bp)})


POINTS = Points()
