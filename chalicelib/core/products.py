"""Product rules: how each line of a receipt earns and whether points may pay for it.

A program's `mechanics.products` is a list of rules matched against a receipt's lines by SKU or
category: a line may earn at its own rate or a multiplier of the tier's rate, earn nothing and be
unpayable with points or stamps (excluded: tobacco by law, alcohol, gift cards), or earn more for a
limited time (a promotion with `from`/`until`). `price` turns a sale into priced lines the kinds,
offers and challenges read. Receipts without lines are priced as one line of the whole total, which
earns exactly as before product rules existed. Pure: no store, no clock.

SEAM (issue 16): the data shapes and `price` are the interface the other rules use; part H1 owns
this module and fills in the rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.core.kinds.base import Sale

if TYPE_CHECKING:
    from chalicelib.core.mechanics import Mechanics, Tier


@dataclass(frozen=True)
class ProductRule:
    id: str


@dataclass(frozen=True)
class PricedLine:
    """One line of a sale with what the rules say of it."""

    index: int | None  # its place in the receipt's `lines`; None for the whole receipt (no lines sent)
    sku: str | None
    category: str | None
    qty: float
    amount: int  # minor units, as the POS sent it
    excluded: bool = False  # earns nothing; points, stamps' rewards and offers may not pay for it
    rule: str | None = None  # the id of the product rule that applied, if any


@dataclass(frozen=True)
class Pricing:
    lines: tuple[PricedLine, ...]
    payable: int  # money of the receipt points may pay for (the total minus excluded lines)


def parse(raw: object, prefix: str) -> tuple[ProductRule, ...]:
    """`mechanics.products` from admin JSON (naming the wrong field)."""
    return ()


def to_json(rules: tuple[ProductRule, ...]) -> list[dict[str, Any]]:
    return []


def price(mechanics: Mechanics, tier: Tier, sale: Sale) -> Pricing:
    """The sale's lines as the program's product rules see them."""
    whole = PricedLine(None, None, None, 1, sale.total)
    return Pricing((whole,), sale.total)
