"""Messages to customers on their wallet cards: the pass's notice field (its change is announced on the
lock screen by Apple's changeMessage, after the push) and a Google message (TEXT_AND_NOTIFY within
Google's quota). Quiet hours delay a message to their end; a weekly cap skips marketing ones; every
message is recorded with its outcome."""
from datetime import datetime, timezone

from pynamodb.exceptions import TransactWriteError

from chalicelib.core import mechanics as mech
from chalicelib.core import messaging
from chalicelib.store import aliases, occasions
from chalicelib.store import campaigns as campaign_store
from chalicelib.store import cards as card_store
from chalicelib.store import db
from chalicelib.store.models import Card, Message, OutboxItem
from chalicelib.store.outbox import WALLET
from chalicelib.usecases import clock


def _record(card: Card, kind: str, outcome: str, text: str, now: datetime, reason: str | None = None) -> Message:
    return Message(card.card_id, f"{db.iso(now)}#{kind}", program_id=card.program_id, kind=kind, channel="wallet",
                   outcome=outcome, reason=reason, text=text, created_at=db.iso(now))


ALL_CHANNELS = ("wallet", "email", "telegram")


def notify(program, card: Card, kind: str, texts: dict, now: datetime, service: bool = False,
           campaign_id: str | None = None, channels=ALL_CHANNELS, once: str | None = None) -> str:
    """Send (or delay, or skip) one message; returns the outcome. The wallet notice is written at once;
    email and Telegram go out from the outbox (retried with backoff; their records say how it went).
    `once`: a claim written with the message, so a second call for the same message (a delivery retried
    after its write went through) sends nothing and answers 'sent'."""
    mechanics = mech.from_stored(program.mechanics)
    zone = clock.zone(program.timezone)
    local = now.astimezone(zone)
    text = (texts.get(card.locale) or texts.get("ru") or next(iter(texts.values())))[:300]
    sent = [datetime.fromtimestamp(int(t), timezone.utc).astimezone(zone) for t in (card.messages_sent or [])]
    verdict = messaging.decide(local, sent, quiet=mechanics.quiet_hours, max_per_week=mechanics.max_messages_per_week,
                               service=service)
    if verdict.action == "skip":
        _record(card, kind, "skipped", text, now, verdict.reason).save()
        return "skipped"
    if verdict.action == "delay":
        due = verdict.not_before.astimezone(timezone.utc)
        with db.transaction() as tx:
            tx.save(OutboxItem(WALLET, occasions.notice_key(card.card_id, kind, now), card_id=card.card_id,
                               program_id=program.program_id, pass_version=int(card.pass_version),
                               due_at=db.micros(due), attempts=0, created_at=db.iso(now),
                               payload={"kind": kind, "texts": texts, "service": service,
                                        "campaign_id": campaign_id, "channels": list(channels)}))
            tx.save(_record(card, kind, "queued", text, now, verdict.reason))
        return "queued"
    for _ in range(3):
        card.messages_sent = [int(t.timestamp()) for t in sent if (local - t).days < 7] + [int(now.timestamp())]
        others = _channel_items(program, card, kind, text, now, campaign_id, channels)
        try:
            if "wallet" not in channels:
                with db.transaction() as tx:
                    tx.save(card)  # the weekly count, under the version read
                    for item in others:
                        tx.save(item)
                    if once:
                        aliases.claim_in(tx, once, card.card_id, now)
                return "sent" if others else "skipped"
            card.notice = text
            card_store.save_shown_change(card, now, claim=once, extra=[
                _record(card, kind, "sent", text, now),
                *others,
                *([OutboxItem(WALLET, f"gnotice#{card.card_id}#{kind}#{db.micros(now)}", card_id=card.card_id,
                              program_id=program.program_id, pass_version=int(card.pass_version),
                              due_at=db.micros(now), attempts=0, created_at=db.iso(now),
                              payload={"header": program.name[:35], "body": text})]
                  if card.google_state in ("created", "saved") else [])])
            return "sent"
        except TransactWriteError as error:
            if not db.is_condition_failure(error):
                raise
            if once and aliases.exists(once):
                return "sent"  # an earlier attempt at this very message went through
            card = card_store.get(card.card_id, consistent=True)
    raise RuntimeError("the card kept changing")


def _channel_items(program, card: Card, kind: str, text: str, now: datetime, campaign_id: str | None,
                   wanted=ALL_CHANNELS) -> list:
    """Outbox items for the other channels asked for that the customer opted into: email (marketing
    consent and an address) and Telegram (a linked chat; linking is the consent)."""
    channels = []
    if "email" in wanted and (card.consents or {}).get("email") and card.email:
        channels.append("email")
    if "telegram" in wanted and card.telegram_chat_id:
        channels.append("telegram")
    return [OutboxItem(WALLET, f"{channel}#{card.card_id}#{kind}#{db.micros(now)}", card_id=card.card_id,
                       program_id=program.program_id, pass_version=int(card.pass_version), due_at=db.micros(now),
                       attempts=0, created_at=db.iso(now),
                       payload={"kind": kind, "text": text, "campaign_id": campaign_id})
            for channel in channels]


def deliver(item: OutboxItem, program, card: Card, now: datetime) -> bool:
    """Send one email or Telegram message from the outbox: True when sent, False when the customer
    opted out meanwhile (unsubscribed, unlinked the chat). Raises on failure (the outbox retries)."""
    channel = item.item_key.split("#", 1)[0]
    text = item.payload["text"]
    if channel == "email":
        from chalicelib import rendering
        from chalicelib.channels import email
        from chalicelib.usecases import cards as card_views

        if not (card.consents or {}).get("email") or not card.email:
            return False  # unsubscribed meanwhile
        locale = card.locale if card.locale in ("ru", "en") else "ru"
        unsubscribe = card_views.unsubscribe_url(card)
        html = rendering.render_text("email.html", locale, program_name=program.name, brand=program.branding,
                                     text=text, card_url=card_views.links(card)["card_url"],
                                     unsubscribe_url=unsubscribe)
        email.send(card.email, program.name, f"{text}\n\n{unsubscribe}", html, unsubscribe)
        return True
    from chalicelib.channels import telegram

    if not card.telegram_chat_id:
        return False  # the chat was unlinked meanwhile
    telegram.send_message(int(card.telegram_chat_id), text)
    return True


def record_delivery(item: OutboxItem, card: Card, now: datetime, outcome: str, reason: str | None = None) -> None:
    """The final word on an email or Telegram message: its record ('sent'; 'skipped' when the customer
    opted out meanwhile; 'failed'; 'unknown' when the service never answered), and the campaign's
    count: delivered for 'sent', failed for 'failed' and 'unknown', none for 'skipped'."""
    channel = item.item_key.split("#", 1)[0]
    payload = item.payload or {}
    record = _record(card, payload.get("kind", "message"), outcome, payload.get("text", ""), now, reason)
    record.channel = channel
    record.message_key += f"#{channel}"
    record.save()
    if payload.get("campaign_id") and outcome != "skipped":
        counter = "delivered" if outcome == "sent" else "failed"
        campaign_store.add_counts(card.program_id, payload["campaign_id"], {counter: 1})


def retried(item: OutboxItem) -> None:
    """A parked (failed) message an admin sent back to the queue is no longer counted as failed."""
    payload = item.payload or {}
    if item.item_key.startswith(("email#", "telegram#")) and payload.get("campaign_id"):
        campaign_store.add_counts(item.program_id, payload["campaign_id"], {"failed": -1})
