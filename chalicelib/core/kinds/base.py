"""What a mechanic kind is: how a receipt earns and what the pages and passes say about it.

A kind is one object registered in `chalicelib/core/kinds/__init__.py`; `Mechanics.kind` names it.
Pure, like the rest of core: no store, no clock.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # mechanics imports the registry to validate `kind`: at run time the names suffice
    from chalicelib.core.mechanics import Mechanics, Tier
    from chalicelib.core.products import Pricing


@dataclass(frozen=True)
class ReceiptLine:
    """One line of a receipt as the POS sent it (validated at the edge)."""

    sku: str | None
    name: str | None
    qty: float  # a count, or a weight (0.35 kg)
    amount: int  # minor units; negative for a discount line
    category: str | None = None  # the POS's product group ("coffee", "tobacco"), which product rules match

    def to_json(self) -> dict[str, Any]:
        """As the receipt's record keeps it."""
        data: dict[str, Any] = {"sku": self.sku, "name": self.name, "qty": self.qty, "amount": self.amount}
        if self.category is not None:
            data["category"] = self.category
        return data


@dataclass(frozen=True)
class Sale:
    """What a receipt is, as every rule of a receipt (kinds, product rules, offers, challenges,
    surveys) reads it: the money, the lines, and when (program-local)."""

    total: int  # minor units, before points pay any of it
    lines: tuple[ReceiptLine, ...]  # empty when the POS sent none
    today: date  # the day points are earned (program-local)
    sold_on: str  # the program-local day the sale happened at the till (ISO)
    receipt_ref: str  # the POS's receipt id
    local_time: str | None = None  # "HH:MM" program-local when recorded; None when not known (a quote has it)


@dataclass(frozen=True)
class Phrase:
    """A text from the catalogue (core/texts.py) by its key, with the values it is formatted with."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


class Kind(Protocol):
    """How one kind of program turns a receipt into points (or stamps), and how it says so to customers."""

    name: str  # what `mechanics.kind` holds
    spends_points: bool  # whether points may pay for a receipt (`redeem`): points and cashback

    def earn(self, mechanics: Mechanics, tier: Tier, pricing: Pricing, paid: Sequence[Fraction]) -> tuple[int, ...]:
        """Points per priced line (core/products.py) for a receipt of which each line's money `paid` (not
        paid with points, an offer or a discount; kinds/earning.money_paid), at `tier` (the tier held when
        buying)."""
        ...

    def discount(self, mechanics: Mechanics, tier: Tier, pricing: Pricing) -> int:
        """Minor units off the receipt the program itself gives (a discount card); 0 for the others."""
        ...

    def earn_phrase(self, mechanics: Mechanics, tier: Tier) -> Phrase:
        """The first line of the program's rules (card page, Apple pass, Google object): how one earns."""
        ...
