"""What a mechanic kind is: how a receipt earns and what the pages and passes say about it.

A kind is one object registered in `chalicelib/core/kinds/__init__.py`; `Mechanics.kind` names it.
Pure, like the rest of core: no store, no clock.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # mechanics imports the registry to validate `kind`: at run time the names suffice
    from chalicelib.core.mechanics import Mechanics, Tier


@dataclass(frozen=True)
class ReceiptLine:
    """One line of a receipt as the POS sent it (validated at the edge)."""

    sku: str | None
    name: str | None
    qty: float  # a count, or a weight (0.35 kg)
    amount: int  # minor units; negative for a discount line

    def to_json(self) -> dict[str, Any]:
        """As the receipt's record keeps it."""
        return {"sku": self.sku, "name": self.name, "qty": self.qty, "amount": self.amount}


@dataclass(frozen=True)
class Phrase:
    """A text from the catalogue (core/texts.py) by its key, with the values it is formatted with."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


class Kind(Protocol):
    """How one kind of program turns a receipt into points, and how it says so to customers."""

    name: str  # what `mechanics.kind` holds

    def earn(self, mechanics: Mechanics, tier: Tier, paid: int, lines: Sequence[ReceiptLine]) -> int:
        """Points for a receipt of which `paid` minor units were paid in money (not points), at `tier`
        (the tier held when buying). `lines` are the receipt's lines, empty when the POS sent none."""
        ...

    def earn_phrase(self, mechanics: Mechanics, tier: Tier) -> Phrase:
        """The first line of the program's rules (card page, Apple pass, Google object): how one earns."""
        ...
