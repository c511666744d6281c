"""Messages to customers as DynamoDB holds them: each message's record (`messages` table, one per
message and channel, with its outcome) and the outbox items that carry a message: a notice waiting for
the end of the quiet hours (`notice#…`), a Google message (`gnotice#…`), and a message for a channel that
sends from the outbox (`<channel>#…`, see chalicelib/channels). Written together with what they announce,
so a message is never lost and never sent twice."""
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.store import aliases, db, pages
from chalicelib.store import cards as card_store
from chalicelib.store.models import Card, Message, OutboxItem
from chalicelib.store.outbox import WALLET

WALLET_CHANNEL = "wallet"  # the record of a message shown on the card itself
TEXT_MAX = 300  # characters of a message kept and sent


def text_for(texts: Mapping[str, str], locale: str) -> str:
    """The message in the customer's language (Russian, else any there is), as it is recorded and sent.
    (A rule rather than storage: it belongs with core's catalogue of customer texts once that exists.)"""
    return (texts.get(locale) or texts.get("ru") or next(iter(texts.values())))[:TEXT_MAX]


def record(card: Card, kind: str, outcome: str, text: str, now: datetime, *, reason: str | None = None,
           channel: str = WALLET_CHANNEL) -> Message:
    """A message's record (not yet written): the wallet's is keyed `<time>#<kind>`, another channel's
    `<time>#<kind>#<channel>`."""
    suffix = "" if channel == WALLET_CHANNEL else f"#{channel}"
    return Message(card.card_id, f"{db.iso(now)}#{kind}{suffix}", program_id=card.program_id, kind=kind,
                   channel=channel, outcome=outcome, reason=reason, text=text, created_at=db.iso(now))


def save_record(card: Card, kind: str, outcome: str, text: str, now: datetime, *, reason: str | None = None,
                channel: str = WALLET_CHANNEL) -> None:
    record(card, kind, outcome, text, now, reason=reason, channel=channel).save()


def notice_key(card_id: str, kind: str, now: datetime) -> str:
    """The outbox key of a message that waits to go out through `usecases.notices`."""
    return f"notice#{card_id}#{kind}#{db.micros(now)}"


def waiting_notice(card: Card, kind: str, now: datetime, due: datetime, payload: Mapping[str, Any]) -> OutboxItem:
    """A message that goes out through `usecases.notices` at `due` (keyed by its moment, so that two
    messages of one kind never overwrite each other)."""
    return OutboxItem(WALLET, notice_key(card.card_id, kind, now), card_id=card.card_id, program_id=card.program_id,
                      pass_version=int(card.pass_version), due_at=db.micros(due), attempts=0, created_at=db.iso(now),
                      payload=dict(payload))


def delay(card: Card, kind: str, text: str, now: datetime, due: datetime, *, payload: Mapping[str, Any],
          reason: str | None) -> None:
    """Queue a message until `due`, with its 'queued' record, in one transaction."""
    with db.transaction() as tx:
        tx.save(waiting_notice(card, kind, now, due, payload))
        tx.save(record(card, kind, "queued", text, now, reason=reason))


def channel_item(channel: str, card: Card, kind: str, text: str, now: datetime,
                 *, campaign_id: str | None) -> OutboxItem:
    """A message for a channel that sends from the outbox, due now."""
    return OutboxItem(WALLET, f"{channel}#{card.card_id}#{kind}#{db.micros(now)}", card_id=card.card_id,
                      program_id=card.program_id, pass_version=int(card.pass_version), due_at=db.micros(now),
                      attempts=0, created_at=db.iso(now), payload={"kind": kind, "text": text,
                                                                   "campaign_id": campaign_id})


def _google_notice(card: Card, kind: str, header: str, text: str, now: datetime) -> OutboxItem:
    return OutboxItem(WALLET, f"gnotice#{card.card_id}#{kind}#{db.micros(now)}", card_id=card.card_id,
                      program_id=card.program_id, pass_version=int(card.pass_version), due_at=db.micros(now),
                      attempts=0, created_at=db.iso(now), payload={"header": header[:35], "body": text})


def is_card_busy(error: Exception) -> bool:
    """A message's transaction met other writes to its card (crowded, or the card changed meanwhile):
    worth trying again on fresh data."""
    return isinstance(error, TransactWriteError) and (db.is_crowded(error) or db.is_condition_failure(error))


def _changed_meanwhile(error: TransactWriteError) -> bool:
    if not db.is_condition_failure(error):
        raise error
    return False


def show_on_card(card: Card, kind: str, text: str, header: str, now: datetime, *, others: Sequence[OutboxItem],  # noqa: PLR0913 (the message and how it is written)
                 once: str | None, shown: str | None = None) -> bool:
    """The message as the card's notice (the pass changes, its push is queued; a Google message too once
    the card is in Google Wallet), its 'sent' record and the other channels' items, in one transaction
    under the card's version (and the claim `once`, when given). `shown`: what the card shows when it
    differs from the recorded `text` (a survey's signed link). False when the card changed meanwhile
    or the claim was taken: nothing is written."""
    card.notice = shown or text
    google = ([_google_notice(card, kind, header, shown or text, now)] if card.google_state in ("created", "saved")
              else [])
    try:
        card_store.save_shown_change(card, now, claim=once, extra=[record(card, kind, "sent", text, now), *others,
                                                                    *google])
        return True
    except TransactWriteError as error:
        return _changed_meanwhile(error)


def count_and_queue(card: Card, others: Sequence[OutboxItem], once: str | None, now: datetime) -> bool:
    """The card's weekly message count (under the version read) with the channels' items, in one
    transaction. False when the card changed meanwhile or the claim `once` was taken."""
    try:
        with db.transaction() as tx:
            tx.save(card)
            for item in others:
                tx.save(item)
            if once:
                aliases.claim_in(tx, once, card.card_id, now)
        return True
    except TransactWriteError as error:
        return _changed_meanwhile(error)


def card_page(card_id: str, limit: int, cursor: str | None) -> tuple[list[Message], str | None]:
    """A page of the messages a card was sent (their records), newest first: the key starts with the time."""
    start = pages.decode(cursor, "card_id", card_id, "message_key", "card_id")
    result = Message.query(card_id, limit=limit, last_evaluated_key=start, scan_index_forward=False)
    items = list(result)
    return items, pages.encode(result.last_evaluated_key, "message_key", "card_id")
