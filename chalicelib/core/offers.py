"""Offers and coupons: one-time rewards a customer holds on the card and the POS redeems.

An owner defines offers in `mechanics.offers` (a reward: points, a percentage off or a free item;
conditions: minimum total, products, days and hours; how long an issued one is valid; optionally a
rule that issues it by itself). An issued offer is a `HeldOffer` kept on the card's item (so a receipt
still reads one item); a receipt redeems one by its id, once; refunding the whole receipt gives it
back. Pure.

SEAM (issue 16): the hook signatures below are what core/ledger.py calls; part H2 owns this module.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from chalicelib.core.kinds.base import ReceiptLine, Sale
from chalicelib.errors import RuleViolation

if TYPE_CHECKING:
    from chalicelib.core.mechanics import Mechanics
    from chalicelib.core.products import Pricing


@dataclass(frozen=True)
class OfferDef:
    id: str


@dataclass(frozen=True)
class HeldOffer:
    """An offer issued to a card."""

    held_id: str  # unique on the card; what the POS sends as `offer_id`
    offer: str  # the OfferDef id
    issued_on: str
    expires_on: str | None
    used_by: str | None = None  # the receipt that redeemed it

    def to_json(self) -> dict[str, Any]:
        return {"held_id": self.held_id, "offer": self.offer, "issued_on": self.issued_on,
                "expires_on": self.expires_on, "used_by": self.used_by}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeldOffer:
        return cls(data["held_id"], data["offer"], data["issued_on"], data.get("expires_on"), data.get("used_by"))


@dataclass(frozen=True)
class Taken:
    """What redeeming an offer on a receipt does."""

    offers: tuple[HeldOffer, ...]  # the card's offers after it
    used: HeldOffer | None = None
    points: int = 0  # bonus points the offer gives with this receipt (refunded pro rata with it)
    discount: int = 0  # minor units off this receipt the POS applies (a percentage offer)
    detail: dict[str, Any] | None = None  # what the receipt's answer says of it (`offer`)


def parse(raw: object, prefix: str) -> tuple[OfferDef, ...]:
    return ()


def to_json(offers: tuple[OfferDef, ...]) -> list[dict[str, Any]]:
    return []


def take(held: tuple[HeldOffer, ...], mechanics: Mechanics, sale: Sale, pricing: Pricing,
         held_id: str | None) -> Taken:
    """Redeem offer `held_id` on this sale, or RuleViolation (offer_not_found, offer_used, offer_expired,
    offer_not_applicable) naming `offer_id`. None: nothing redeemed."""
    if held_id is None:
        return Taken(held)
    raise RuleViolation("This card holds no such offer.", code="offer_not_found", field="offer_id")


def give_back(held: tuple[HeldOffer, ...], held_id: str | None, receipt_ref: str) -> tuple[HeldOffer, ...]:
    """A fully refunded receipt's offer is the card's again (if it is still valid)."""
    return held


def tally(counts: dict[str, int], lines: Sequence[ReceiptLine]) -> dict[str, int]:
    """Units bought by SKU (what a favourite-product offer reads), kept small."""
    return counts


def auto_issue(held: tuple[HeldOffer, ...], mechanics: Mechanics, counts: dict[str, int], today: date,
               seed: str) -> tuple[HeldOffer, ...]:
    """Offers the program's rules issue by themselves after a sale (a favourite product); `seed` makes
    their held ids unique. Returns the card's offers with the new ones."""
    return held


def issue(held: tuple[HeldOffer, ...], mechanics: Mechanics, offer_id: str, today: date,
          held_id: str) -> tuple[HeldOffer, ...]:
    """Offer `offer_id` issued to the card (by an admin, a campaign or a completed challenge)."""
    return held
