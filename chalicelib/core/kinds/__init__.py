"""The mechanic kinds a program may have (`mechanics.kind`), one registration line each.

A new kind is a module here with an object that has the `Kind` protocol's `name`, `spends_points`,
`earn`, `discount` and `earn_phrase` (see base.py), one line in `REGISTERED` below, and its phrase in
each language of the catalogue (core/texts.py). The README's "Mechanic kinds" says what else a kind may need.
"""
from chalicelib.core.kinds.base import Kind, Phrase, ReceiptLine
from chalicelib.core.kinds.cashback import CASHBACK
from chalicelib.core.kinds.discount import DISCOUNT
from chalicelib.core.kinds.points import POINTS
from chalicelib.core.kinds.stamps import STAMPS

__all__ = ["KINDS", "Kind", "Phrase", "ReceiptLine", "kind_named"]

REGISTERED: tuple[Kind, ...] = (
    POINTS,
    CASHBACK,
    STAMPS,
    DISCOUNT,
)
KINDS: dict[str, Kind] = {kind.name: kind for kind in REGISTERED}


def kind_named(name: str) -> Kind:
    """The kind a program's mechanics name (validated when they were saved)."""
    return KINDS[name]
