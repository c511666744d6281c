"""Google Wallet for our cards: the save link, object updates from the outbox, class updates when a
program's branding changes, notices within Google's quota, and save/delete callbacks."""
from datetime import datetime
from typing import Literal, NotRequired, TypedDict

from chalicelib import log
from chalicelib.commands.google import Callback
from chalicelib.config import settings
from chalicelib.errors import AppError
from chalicelib.store import aliases, card_channels
from chalicelib.store.records import Card, Program
from chalicelib.wallet import google


class CallbackAnswer(TypedDict):
    """What a save/delete callback is answered: recorded (with Google's event type) or a duplicate nonce."""

    status: Literal["recorded", "duplicate"]
    event: NotRequired[str | None]


_classes_synced: dict[str, str] = {}  # program_id -> updated_at of the branding last sent (warm cache)


class WalletUnavailable(AppError):
    status = 503
    code = "google_wallet_unavailable"


class CardBlocked(AppError):
    status = 403
    code = "card_blocked"


def _client() -> google.WalletClient:
    try:
        return google.client()
    except google.NotConfigured as error:
        raise WalletUnavailable(str(error)) from None


def sync_class(program: Program, force: bool = False) -> None:
    wallet = _client()
    if not force and _classes_synced.get(program.program_id) == program.updated_at:
        return
    wallet.upsert("loyaltyClass", google.loyalty_class(wallet.issuer_id, program))
    _classes_synced[program.program_id] = program.updated_at


def save_url(card: Card, program: Program, now: datetime) -> str:
    """Insert (or refresh) the card's object, then a short JWT that only references it. A blocked
    card gets none: it is not to be added to a wallet."""
    if card.status != "active":
        raise CardBlocked("This card is blocked; it cannot be added to Google Wallet.")
    wallet = _client()
    try:
        sync_class(program)
        wallet.upsert("loyaltyObject", google.loyalty_object(wallet.issuer_id, card, program))
    except (google.GoogleError, ValueError) as error:  # ValueError: stored text the wire's JSON refuses
        if isinstance(error, google.GoogleError):
            google.log_error(error, card_id=card.card_id)
        else:
            log.error("google_wallet_unsendable", card_id=card.card_id, error=type(error).__name__)
        raise WalletUnavailable("Google Wallet did not accept the card just now; try again in a minute.") from None
    if card.google_state is None:
        card_channels.mark_google_created(card)
    token = wallet.save_jwt(google.object_id(wallet.issuer_id, card), google.class_id(wallet.issuer_id, program),
                            [settings().public_base_url], now=now.timestamp())
    return google.SAVE_URL + token


def sync_object(card: Card, program: Program) -> None:
    """PATCH the object with the card's current state (balance, tier, status): the outbox calls this."""
    wallet = _client()
    wallet.upsert("loyaltyObject", google.loyalty_object(wallet.issuer_id, card, program))


def notice(card: Card, header: str, body: str, now: datetime, message_id: str | None = None) -> str | None:
    """A message on the back of the pass; it notifies the phone while the 24-hour quota allows. Under
    the same `message_id` (the outbox's, the same for every attempt) it is added once; None for a
    repeat."""
    wallet = _client()
    recent = card_channels.google_notices_since(card, now.timestamp() - 86400)
    notify = len(recent) < google.NOTIFY_PER_DAY
    kind = wallet.add_message(google.object_id(wallet.issuer_id, card),
                              {"header": header[:35], "body": body[:500],
                               "id": message_id or f"m{int(now.timestamp() * 1_000_000)}"}, notify)
    if kind == "TEXT_AND_NOTIFY":
        recent.append(int(now.timestamp()))
    card_channels.set_google_notices(card, recent)
    return kind


def callback(received: Callback, now: datetime) -> CallbackAnswer:
    """A verified save/delete callback: records whether the card is in a Google wallet (once per nonce)."""
    s = settings()
    event = google.verify_callback(received.signed(), google.root_keys(), s.google_issuer_id or "",
                                   int(now.timestamp() * 1000))
    nonce = str(event.get("nonce", ""))[:128]
    if not nonce or not aliases.claim(f"gnonce#{nonce}", "google", now):
        return {"status": "duplicate"}
    object_id = str(event.get("objectId", ""))
    prefix = f"{s.google_issuer_id}."
    card_id = object_id[len(prefix):] if object_id.startswith(prefix) else ""
    event_type = event.get("eventType")
    state = {"save": "saved", "del": "deleted"}.get(event_type) if isinstance(event_type, str) else None
    if card_id and state:
        card_channels.set_google_state(card_id, state)  # False: an object of a card we no longer have
    log.info("google_callback", card_id=card_id or None, event_type=event.get("eventType"))
    return {"status": "recorded", "event": event.get("eventType")}
