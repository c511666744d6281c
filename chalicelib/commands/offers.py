"""POST and DELETE /admin/cards/{card_id}/offers: an admin issues an offer to a card or takes one back."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.commands import body_hash
from chalicelib.core import validation as v


@dataclass(frozen=True)
class IssueOffer:
    """Offer definition `offer` issued to card `card_id`, once per `idempotency_key` and card. `notify`:
    whether the card's holder gets the `offer_issued` message (a campaign sends its own text instead);
    `strict`: whether an unknown offer or a full card is refused (an admin) or the card is skipped (a
    campaign reaching many cards)."""

    card_id: str
    offer: str
    idempotency_key: str
    actor: str | None
    request_hash: str
    cause_type: str = "admin"
    notify: bool = True
    strict: bool = True

    @classmethod
    def parse(cls, data: dict[str, Any], card_id: str, actor: str) -> IssueOffer:
        v.reject_unknown(data, {"offer", "idempotency_key"})
        offer = v.read_str(data, "offer", required=True, max_len=40, pattern=v.ID_PATTERN, strip=False)
        key = v.read_str(data, "idempotency_key", required=True, max_len=64, pattern=v.ID_PATTERN, strip=False)
        return cls(card_id, offer, key, actor, body_hash({**data, "card": card_id}))

    @property
    def record_key(self) -> str:
        return f"offer#{self.card_id}#{self.idempotency_key}"


@dataclass(frozen=True)
class WithdrawOffer:
    """Held offer `held_id` taken off card `card_id` (used or not); repeating it answers as the first time."""

    card_id: str
    held_id: str
    actor: str | None

    @property
    def request_hash(self) -> str:
        return body_hash({"card": self.card_id, "held_id": self.held_id})

    @property
    def record_key(self) -> str:
        return f"offer_withdrawal#{self.card_id}#{self.held_id}"
