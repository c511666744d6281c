"""What a card records about its channels: the email consent, the linked Telegram chat, the Google
Wallet object's state and its recent notifying messages. Each is one unconditional UpdateItem (or a
conditional one where the card may be gone), never touching the points."""
from datetime import datetime
from typing import Any, cast

from pynamodb.exceptions import UpdateError

from chalicelib.store import cards as card_store
from chalicelib.store import db
from chalicelib.store.models import Alias, Card


def _telegram_alias(chat_id: int) -> str:
    return f"tg#{chat_id}"


def withdraw_email_consent(card: Card) -> None:
    """The customer unsubscribed from marketing emails (the wallet card needs no consent)."""
    card.update(actions=[Card.consents.set({**(card.consents or {}), "email": False})], add_version_condition=False)


def link_telegram(card: Card, chat_id: int, now: datetime) -> None:
    """The chat speaks for this card from now on (a chat links one card; linking again moves it: the card it
    linked before stops getting this chat's messages and offers the link again on its page)."""
    before = card_of_chat(chat_id)
    Alias(_telegram_alias(chat_id), owner_id=card.card_id, program_id=card.program_id, created_at=db.iso(now)).save()
    card.update(actions=[Card.telegram_chat_id.set(chat_id)], add_version_condition=False)
    if before is not None and before.card_id != card.card_id:
        try:
            before.update(actions=[Card.telegram_chat_id.remove()], condition=Card.telegram_chat_id == chat_id,
                          add_version_condition=False)
        except UpdateError as error:
            if not db.is_condition_failure(error):  # the old card was linked to another chat meanwhile: keep it
                raise


def card_of_chat(chat_id: int) -> Card | None:
    """The card a Telegram chat linked, if any."""
    try:
        card_id = Alias.get(_telegram_alias(chat_id)).owner_id
    except Alias.DoesNotExist:
        return None
    return card_store.get(card_id)


def mark_google_created(card: Card) -> None:
    """The card's Google Wallet object exists (inserted for a save link)."""
    card.update(actions=[Card.google_state.set("created")], add_version_condition=False)


def set_google_state(card_id: str, state: str) -> bool:
    """Record Google's save or delete callback; False when there is no such card (any more)."""
    try:
        Card(card_id).update(actions=[Card.google_state.set(state)], condition=Card.card_id.exists(),
                             add_version_condition=False)
    except UpdateError as error:
        if db.is_condition_failure(error):
            return False
        raise
    return True


def google_notices_since(card: Card, since: float) -> list[int]:
    """The epoch seconds of the card's notifying Google messages after `since`."""
    sent = cast(list[int], card.google_notices or [])  # numbers, though the stubs type them as attributes
    return [int(moment) for moment in sent if int(moment) > since]


def set_google_notices(card: Card, sent: list[int]) -> None:
    """The epoch seconds of the notifying messages within Google's 24-hour quota."""
    # PynamoDB's stubs type a ListAttribute(of=NumberAttribute) as a list of attributes, not of numbers.
    card.update(actions=[Card.google_notices.set(cast(Any, sent))], add_version_condition=False)
