"""What a card records about its channels: its consent records (core/consents.py), the linked Telegram
chat, the Google Wallet object's state and its recent notifying messages. Each is one UpdateItem, never
touching the points; a consent change is conditioned on the card's version (read again and redone when
the card changed meanwhile), so two changes at once never lose one another."""
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from pynamodb.exceptions import UpdateError

from chalicelib.core import consents as consent_rules
from chalicelib.store import cards as card_store
from chalicelib.store import db
from chalicelib.store.models import Alias, Card

_ATTEMPTS = 5  # a consent change redone after the card changed meanwhile (a sale, a message counted)

Records = list[dict[str, object]]
Change = Callable[[Records], Records | None]


def telegram_alias(chat_id: int) -> str:
    return f"tg#{chat_id}"


def consent_records(card: Card) -> Records:
    """The card's consents as records, oldest first (an older card's `consents` and linked chat read as
    'legacy' records: core/consents.history). An erased member's card has none (store/erasure.py blanks the
    records; its `consent_at` stays and is no consent of anyone's)."""
    if card.status == "erased":
        return []
    return consent_rules.history(card.consent_records, card.consents, card.consent_at,
                                 telegram_linked=bool(card.telegram_chat_id))


def has_consent(card: Card, channel: str) -> bool:
    """The card's marketing consent for this channel stands."""
    return consent_rules.is_given(consent_records(card), "marketing", channel)


def change_consents(card: Card, change: Change, extra: Sequence[Any] = (), condition: Any = None) -> Card | None:
    """Write `change(records)` (None: nothing to change) as the card's records, with `consents` kept as their
    summary and the `extra` update actions, under the card's version (and `condition`). A card changed
    meanwhile is read again and the change made anew; returns the card as written (None: it is gone, or
    `condition` no longer holds)."""
    for _ in range(_ATTEMPTS):
        records = change(consent_records(card))
        if records is None and not extra:
            return card
        actions = list(extra)
        if records is not None:
            actions += [Card.consent_records.set(records), Card.consents.set(consent_rules.summary(records))]
        where = Card.card_id.exists() if condition is None else Card.card_id.exists() & condition
        try:
            card.update(actions=actions, condition=where)
            return card
        except UpdateError as error:
            if not db.is_condition_failure(error):
                raise
        fresh = card_store.get(card.card_id, consistent=True)
        if fresh is None or (condition is not None and fresh.version == card.version):
            return None  # gone, or the version held and so `condition` failed
        card = fresh
    raise RuntimeError("the card kept changing")


def give_consent(card: Card, purpose: str, channel: str | None, text: str, now: datetime, *, via: str) -> Card:
    """The member gave this consent now (a new record unless the same words stand already)."""
    return change_consents(card, lambda records: consent_rules.give(records, purpose, channel, text, now,
                                                                    via=via)) or card


def withdraw_consent(card: Card, purpose: str, channel: str | None, now: datetime, via: str) -> Card:
    """The member withdrew this consent now (nothing is written when none stands)."""
    return change_consents(card, lambda records: consent_rules.withdraw(records, purpose, channel, now, via)) or card


def withdraw_email_consent(card: Card, now: datetime, via: str = "unsubscribe_link") -> Card:
    """The customer unsubscribed from marketing emails (the wallet card needs no consent)."""
    return withdraw_consent(card, "marketing", "email", now, via)


def link_telegram(card: Card, chat_id: int, now: datetime, consent: tuple[str, str] | None = None) -> Card:
    """The chat speaks for this card from now on (a chat links one card; linking again moves it: the card it
    linked before stops getting this chat's messages, its Telegram consent ends ('relinked') and its page
    offers the link again). `consent`: the words the member was shown about the bot's messages and the way
    they came (telegram_bot, telegram_app), recorded as the card's Telegram marketing consent."""
    before = card_of_chat(chat_id)
    Alias(telegram_alias(chat_id), owner_id=card.card_id, program_id=card.program_id, created_at=db.iso(now)).save()

    def given(records: Records) -> Records | None:
        if consent is None:
            return None
        return consent_rules.give(records, "marketing", "telegram", consent[0], now, via=consent[1])

    card = change_consents(card, given, extra=[Card.telegram_chat_id.set(chat_id)]) or card
    if before is not None and before.card_id != card.card_id:
        # the old card was linked to another chat meanwhile: keep that (the condition fails, nothing is written)
        change_consents(before, lambda records: consent_rules.withdraw(records, "marketing", "telegram", now,
                                                                       "relinked"),
                        extra=[Card.telegram_chat_id.remove()], condition=Card.telegram_chat_id == chat_id)
    return card


def card_of_chat(chat_id: int) -> Card | None:
    """The card a Telegram chat linked, if any."""
    try:
        card_id = Alias.get(telegram_alias(chat_id)).owner_id
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
