"""A member's data, as one JSON document (issue 19, part EXPORT): profile, consents with their texts and
times, card, lots, ledger, receipts, messages, wallet registrations (device ids hashed), Telegram link.
The owner downloads it; the member asks for it from the card page and gets a link at the contact they
enrolled with."""
from datetime import datetime


def export(card_id: str, *, merchant_id: str, now: datetime) -> dict[str, object]:
    """Everything held about the member of `card_id` (a card of `merchant_id`'s; else NotFound)."""
    raise NotImplementedError("part EXPORT")
