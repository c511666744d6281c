"""Messages to customers: the wallet card's notice (its change is announced on the lock screen by
Apple's changeMessage, after the push, and by a Google message within Google's quota) and the channels
that send from the outbox (email, Telegram, any registered in chalicelib/channels/registry.py). Quiet
hours delay a message to their end; a weekly cap skips marketing ones; every message is recorded with
its outcome."""
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from chalicelib.channels import Letter, Recipient
from chalicelib.channels import registry as channels
from chalicelib.core import clock, messaging
from chalicelib.core import consents as consent_rules
from chalicelib.core import mechanics as mech
from chalicelib.store import aliases, card_channels, messages
from chalicelib.store import campaigns as campaign_store
from chalicelib.store import cards as card_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import cards as card_views
from chalicelib.usecases import survey_links


def notify(program: Program, card: Any, kind: str, texts: Mapping[str, str], now: datetime, *, service: bool = False,
           campaign_id: str | None = None, channel_names: Sequence[str] | None = None,
           once: str | None = None) -> str:
    """Send (or delay, or skip) one message; returns the outcome. The wallet notice is written at once;
    the other channels' messages go out from the outbox (retried with backoff; their records say how it
    went). `channel_names`: the channels asked for (None: all offered). `once`: a claim written with the
    message, so a second call for the same message (a delivery retried after its write went through)
    sends nothing and answers 'sent'."""
    wanted = tuple(channel_names) if channel_names else channels.offered()
    mechanics = mech.from_stored(program.mechanics)
    zone = clock.zone(program.timezone)
    local = now.astimezone(zone)
    text = messages.text_for(texts, card.locale)
    sent = [datetime.fromtimestamp(int(t), UTC).astimezone(zone) for t in (card.messages_sent or [])]
    verdict = messaging.decide(local, sent, quiet=mechanics.quiet_hours, max_per_week=mechanics.max_messages_per_week,
                               service=service)
    if verdict.action == "skip":
        messages.save_record(card, kind, "skipped", text, now, reason=verdict.reason)
        return "skipped"
    if verdict.action == "delay" and verdict.not_before is not None:
        messages.delay(card, kind, text, now, verdict.not_before.astimezone(UTC),
                       payload={"kind": kind, "texts": dict(texts), "service": service, "campaign_id": campaign_id,
                        "channels": list(wanted)}, reason=verdict.reason)
        return "queued"
    on_card = any(channel.with_card for name in wanted if (channel := channels.get(name)) is not None)
    for _ in range(3):
        card.messages_sent = [int(t.timestamp()) for t in sent if (local - t).days < 7] + [int(now.timestamp())]
        others = _channel_items(card, kind, text, now, campaign_id, wanted=wanted)
        if on_card:
            if messages.show_on_card(card, kind, text, program.name, now, others=others, once=once,
                                     shown=_for_the_customer(card, kind, text)):
                _unconsented(card, kind, text, now, wanted)
                return "sent"
        elif messages.count_and_queue(card, others, once, now):
            _unconsented(card, kind, text, now, wanted)
            return "sent" if others else "skipped"
        if once and aliases.exists(once):
            return "sent"  # an earlier attempt at this very message went through
        card = card_store.get(card.card_id, consistent=True)
        if card is None:  # deleted meanwhile: nobody left to tell
            return "skipped"
    raise RuntimeError("the card kept changing")


def recipient(card: Card) -> Recipient:
    """The card's customer as the channels see them. Their consents are the card's consent records as
    they stand now (core/consents.current): the one source of truth for every channel's `reaches`."""
    consents = consent_rules.current(card_channels.consent_records(card))
    return Recipient(card.card_id, card.locale, consents, card.email, card.phone,
                     int(card.telegram_chat_id) if card.telegram_chat_id else None,
                     card_views.links(card)["card_url"], card_views.unsubscribe_url(card))


def _channel_items(card: Card, kind: str, text: str, now: datetime, campaign_id: str | None,
                   *, wanted: Sequence[str]) -> list[Any]:
    """Outbox items for the channels asked for that send from the outbox and that the customer can be
    reached on and agreed to be (email: an address and a standing e-mail consent record; Telegram: a
    linked chat and a standing Telegram consent record)."""
    customer = recipient(card)
    return [messages.channel_item(channel.name, card, kind, text, now, campaign_id=campaign_id)
            for channel in channels.outboxed(tuple(wanted)) if channel.reaches(customer)]


def _unconsented(card: Card, kind: str, text: str, now: datetime, wanted: Sequence[str]) -> None:
    """A 'skipped' record (reason `no_consent`) for each channel asked for whose consent the customer
    withdrew while it still has their address (an e-mail, a linked chat): the card's messages say why it
    did not go there. A channel never consented to records nothing, so these writes come only for the
    members who withdrew, not for every member without a consent."""
    customer = recipient(card)
    for channel in channels.outboxed(tuple(wanted)):
        if customer.consents.get(channel.name) is False and \
                channel.reaches(replace(customer, consents={channel.name: True})):
            messages.save_record(card, kind, "skipped", text, now, reason="no_consent", channel=channel.name)


def deliver(item: Any, program: Program, card: Card, now: datetime) -> bool:
    """Send one message of a channel from the outbox: True when sent, False when the customer opted out
    meanwhile (unsubscribed, unlinked the chat). Raises on failure (the outbox retries or parks it)."""
    channel = channels.of_item(item.item_key)
    if channel is None:
        raise ValueError(f"no channel sends outbox item {item.item_key.split('#', 1)[0]!r}")
    customer = recipient(card)
    if not channel.reaches(customer):
        return False
    payload = item.payload or {}
    kind = payload.get("kind", "message")
    channel.send(customer, Letter(kind, _for_the_customer(card, kind, payload["text"]), program.name,
                                  program.branding or {}))
    return True


def _for_the_customer(card: Card, kind: str, text: str) -> str:
    """The text as its customer gets it: a survey's link is signed for this card only in what is sent
    (usecases/survey_links.py); records, the outbox and the console keep the unsigned text, which answers
    nothing, so staff reading a card's messages cannot answer for the customer."""
    return survey_links.sign_links(card, text) if kind == "survey" else text


def record_delivery(item: Any, card: Card, now: datetime, outcome: str, reason: str | None = None) -> None:
    """The final word on a message sent from the outbox: its record ('sent'; 'skipped' when the customer
    opted out meanwhile; 'failed'; 'unknown' when the service never answered), and the campaign's
    count: delivered for 'sent', failed for 'failed' and 'unknown', none for 'skipped'."""
    channel = item.item_key.split("#", 1)[0]
    payload = item.payload or {}
    messages.save_record(card, payload.get("kind", "message"), outcome, payload.get("text", ""), now, reason=reason,
                         channel=channel)
    if payload.get("campaign_id") and outcome != "skipped":
        counter = "delivered" if outcome == "sent" else "failed"
        campaign_store.add_counts(card.program_id, payload["campaign_id"], {counter: 1})


def retried(item: Any) -> None:
    """A parked (failed) message an admin sent back to the queue is no longer counted as failed."""
    payload = item.payload or {}
    if channels.of_item(item.item_key) is not None and payload.get("campaign_id"):
        campaign_store.add_counts(item.program_id, payload["campaign_id"], {"failed": -1})
