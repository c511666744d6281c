"""POST /admin/cards/{card_id}/adjustments: a manual change of a card's points by an admin."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.commands import body_hash
from chalicelib.core import validation as v

MAX_ADJUSTMENT = 10_000_000


@dataclass(frozen=True)
class AdjustBalance:
    """`amount` points (signed) on card `card_id`, with a reason, once per `idempotency_key` and card."""

    card_id: str
    amount: int
    reason: str
    idempotency_key: str
    actor: str
    request_hash: str

    @classmethod
    def parse(cls, data: dict[str, Any], card_id: str, actor: str) -> AdjustBalance:
        v.reject_unknown(data, {"amount", "reason", "idempotency_key"})
        amount = v.read_int(data, "amount", required=True, minimum=-MAX_ADJUSTMENT, maximum=MAX_ADJUSTMENT)
        reason = v.read_str(data, "reason", required=True, max_len=500)
        key = v.read_str(data, "idempotency_key", required=True, max_len=64, pattern=v.ID_PATTERN, strip=False)
        assert amount is not None and reason is not None and key is not None  # required=True
        return cls(card_id, amount, reason, key, actor, body_hash({**data, "card": card_id}))

    @property
    def record_key(self) -> str:
        return f"adjustment#{self.card_id}#{self.idempotency_key}"
