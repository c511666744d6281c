"""Messages to customers on their wallet cards: the pass's notice field (its change is announced on the
lock screen by Apple's changeMessage, after the push) and a Google message (TEXT_AND_NOTIFY within
Google's quota). Quiet hours delay a message to their end; a weekly cap skips marketing ones; every
message is recorded with its outcome."""
from datetime import datetime, timezone

from pynamodb.exceptions import TransactWriteError

from chalicelib.core import mechanics as mech
from chalicelib.core import messaging
from chalicelib.store import cards as card_store
from chalicelib.store import db
from chalicelib.store.models import Card, Message, OutboxItem
from chalicelib.store.outbox import WALLET
from chalicelib.usecases import clock


def _record(card: Card, kind: str, outcome: str, text: str, now: datetime, reason: str | None = None) -> Message:
    return Message(card.card_id, f"{db.iso(now)}#{kind}", program_id=card.program_id, kind=kind, channel="wallet",
                   outcome=outcome, reason=reason, text=text, created_at=db.iso(now))


def notify(program, card: Card, kind: str, texts: dict, now: datetime, service: bool = False) -> str:
    """Send (or delay, or skip) one message; returns the outcome."""
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
            tx.save(OutboxItem(WALLET, f"notice#{card.card_id}#{kind}", card_id=card.card_id,
                               program_id=program.program_id, pass_version=int(card.pass_version),
                               due_at=db.micros(due), attempts=0, created_at=db.iso(now),
                               payload={"kind": kind, "texts": texts, "service": service}))
            tx.save(_record(card, kind, "queued", text, now, verdict.reason))
        return "queued"
    for _ in range(3):
        card.notice = text
        card.messages_sent = [int(t.timestamp()) for t in sent if (local - t).days < 7] + [int(now.timestamp())]
        try:
            card_store.save_shown_change(card, now, extra=[
                _record(card, kind, "sent", text, now),
                *([_email(program, card, kind, text, now)] if (card.consents or {}).get("email") and card.email
                  else []),
                *([_telegram(card, kind, text, now)] if card.telegram_chat_id else []),
                *([OutboxItem(WALLET, f"gnotice#{card.card_id}#{kind}", card_id=card.card_id,
                              program_id=program.program_id, pass_version=int(card.pass_version),
                              due_at=db.micros(now), attempts=0, created_at=db.iso(now),
                              payload={"header": program.name[:35], "body": text})]
                  if card.google_state in ("created", "saved") else [])])
            return "sent"
        except TransactWriteError as error:
            if not db.is_condition_failure(error):
                raise
            card = card_store.get(card.card_id, consistent=True)
    raise RuntimeError("the card kept changing")


def _email(program, card: Card, kind: str, text: str, now: datetime) -> Message:
    """The same message by email (marketing consent given, address known); its record says how it went."""
    from chalicelib import log
    from chalicelib import rendering
    from chalicelib.channels import email
    from chalicelib.usecases import cards as card_views

    locale = card.locale if card.locale in ("ru", "en") else "ru"
    unsubscribe = card_views.unsubscribe_url(card)
    html = rendering.render_text("email.html", locale, program_name=program.name, brand=program.branding, text=text,
                             card_url=card_views.links(card)["card_url"], unsubscribe_url=unsubscribe)
    try:
        email.send(card.email, program.name, f"{text}\n\n{unsubscribe}", html, unsubscribe)
        outcome, reason = "sent", None
    except Exception as error:  # noqa: BLE001 - a failed email never blocks the wallet message
        log.warning("email_failed", card_id=card.card_id, error_type=type(error).__name__)
        outcome, reason = "failed", type(error).__name__
    record = _record(card, kind, outcome, text, now, reason)
    record.channel = "email"
    record.message_key += "#email"
    return record


def _telegram(card: Card, kind: str, text: str, now: datetime) -> Message:
    """The same message in the Telegram chat the customer linked (linking the card is the consent)."""
    from chalicelib import log
    from chalicelib.channels import telegram

    try:
        telegram.send_message(int(card.telegram_chat_id), text)
        outcome, reason = "sent", None
    except Exception as error:  # noqa: BLE001 - never blocks the wallet message
        log.warning("telegram_failed", card_id=card.card_id, error_type=type(error).__name__)
        outcome, reason = "failed", type(error).__name__
    record = _record(card, kind, outcome, text, now, reason)
    record.channel = "telegram"
    record.message_key += "#telegram"
    return record
