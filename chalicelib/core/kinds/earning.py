"""Money and points of priced lines (core/products.py), exactly: what a kind earns per line, rounded
down once for the receipt and shared by largest remainder so the lines add up to the receipt."""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from chalicelib.core.percent import WHOLE

if TYPE_CHECKING:  # products prices with `spread`: at run time the priced lines' fields suffice
    from chalicelib.core.products import Pricing


def spread(exact: Sequence[Fraction]) -> tuple[int, ...]:
    """Whole numbers adding up to floor(sum(exact)): each value rounded down, the rest given one by one to
    the largest remainders (the first line on a tie)."""
    floors = [value.numerator // value.denominator for value in exact]
    left = int(sum(exact, Fraction(0))) - sum(floors)
    order = sorted(range(len(exact)), key=lambda index: (-(exact[index] - floors[index]), index))
    for index in order[:left]:
        floors[index] += 1
    return tuple(floors)


def money_paid(pricing: Pricing, off: int) -> tuple[Fraction, ...]:
    """Each line's money paid in money when `off` minor units of the payable lines were paid otherwise
    (points, a discount): taken from the payable lines pro rata; excluded lines are paid in full."""
    payable = pricing.payable
    return tuple(Fraction(line.net) if not line.payable or not payable
                 else Fraction(line.net * (payable - min(off, payable)), payable) for line in pricing.lines)


def points_earned(pricing: Pricing, off: int, point_value: int) -> tuple[int, ...]:
    """Points per line at each line's rate of its money paid, rounded down once for the receipt."""
    paid = money_paid(pricing, off)
    return spread([money * line.rate / (WHOLE * point_value) for money, line in zip(paid, pricing.lines, strict=True)])


