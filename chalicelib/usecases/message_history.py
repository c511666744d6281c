"""What a card was sent, as an admin reads it on the card's page: every message's record (birthday,
win-back, expiry warning, campaign…), on which channel, and what became of it."""
from typing import TypedDict

from chalicelib.store import messages as message_store
from chalicelib.store.records import Card


class MessageView(TypedDict):
    """A message a card was sent (the API's CardMessage)."""

    kind: str  # birthday, winback, expiry_warning, campaign, …
    channel: str  # wallet (the card's notice, Apple and Google), email, telegram, sms
    status: str  # sent, queued (quiet hours), skipped (why in `reason`), failed, unknown
    reason: str | None
    text: str | None  # the words sent (an e-mail's body text; its subject is the program's name); None for
    # a role that may not read campaign texts (api/admin_reads.py)
    sent_at: str


def page(card: Card, limit: int, cursor: str | None) -> tuple[list[MessageView], str | None]:
    records, next_cursor = message_store.card_page(card.card_id, limit, cursor)
    return [{"kind": m.kind, "channel": m.channel, "status": m.outcome, "reason": m.reason, "text": m.text,
             "sent_at": m.created_at} for m in records], next_cursor
