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


def money_paid(pricing: Pricing, off: int, offer_off: Sequence[int] = ()) -> tuple[Fraction, ...]:
    """Each line's money paid in money: its share less what an offer took off that very line (`offer_off`,
    per priced line: a free item is off its own line, a percentage off the lines it covers), then less
    `off` minor units paid otherwise (points, a discount card), taken pro rata from what the offer left of
    the payable lines. Excluded lines are paid in full."""
    taken = tuple(offer_off) or (0,) * len(pricing.lines)
    left = [max(0, line.net - own) if line.payable else 0 for line, own in zip(pricing.lines, taken, strict=True)]
    payable = sum(left)
    rest = payable - min(off, payable)
    return tuple(Fraction(line.net) if not line.payable else Fraction(own * rest, payable) if payable else Fraction(0)
                 for line, own in zip(pricing.lines, left, strict=True))


def points_earned(pricing: Pricing, paid: Sequence[Fraction], point_value: int) -> tuple[int, ...]:
    """Points per line at each line's rate of its money `paid`, rounded down once for the receipt."""
    return spread([money * line.rate / (WHOLE * point_value) for money, line in zip(paid, pricing.lines, strict=True)])


