"""A member's data, as one JSON document (issue 19): profile, consents with their texts and
times, card, lots, ledger, receipts, messages, wallet registrations (device ids hashed), Telegram link.
The owner downloads it; the member asks for it from the card page and gets a link at the contact they
enrolled with.

No secrets go into the document: not the card link's key, not the Apple authentication token, not a
push token; Apple device ids and the Telegram chat id only as the first 16 hex digits of their SHA-256.
The document is bounded (see LEDGER_CAP and the others below; `truncated` says what was left out): at
most about 3.5 MB of JSON, within what a Lambda may answer (6 MB).

The member's link: a random token (only a salted hash is kept, store/member_data.py), good for
LINK_USES downloads within LINK_SECONDS; asking again replaces it. At most ASKS_PER_DAY asks per card
per UTC day (SMS cost; nobody is flooded). DynamoDB requests of an ask: 1 UpdateItem (the limit), 1
PutItem (the link)."""
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib import log, rendering
from chalicelib.channels import email, sms, telegram
from chalicelib.config import settings
from chalicelib.core import clock, texts
from chalicelib.core import locations as places_of
from chalicelib.core import mechanics as mech
from chalicelib.errors import AppError, Forbidden, NotFound, RateLimited, RuleViolation
from chalicelib.store import card_channels, member_data, ratelimits
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Program, Receipt
from chalicelib.usecases import audit
from chalicelib.usecases import cards as card_views

FORMAT = "loyalty-member-export/1"
LEDGER_CAP = 5_000  # the newest ledger entries kept (about 1.5 MB); older ones: truncated.ledger
MESSAGES_CAP = 1_000  # the newest message records (about 0.4 MB)
RECEIPTS_CAP = 1_000  # receipts and refunds named by the ledger entries kept, the newest
LINES_CAP = 5_000  # receipt lines in all (about 0.8 MB); receipts past it keep their totals, lines null

LINK_SECONDS = 24 * 3600  # the member's link works for a day
LINK_USES = 3  # downloads per link (a download broken off on a phone can be tried again)
ASKS_PER_DAY = 3  # links sent per card per UTC day
DAY = 24 * 3600
MAX_TOKEN = 64  # a token we issue is 32 characters; a longer one is no link, without a lookup


class LinkNotSent(AppError):
    status = 503
    code = "link_not_sent"


def export(card_id: str, *, merchant_id: str, now: datetime) -> dict[str, object]:
    """Everything held about the member of `card_id` (a card of `merchant_id`'s; else NotFound)."""
    card = card_views.for_merchant(merchant_id, card_id)
    return document(card, _program_of(card), now)


def _program_of(card: Card) -> Program:
    program = program_store.get(card.program_id)
    if program is None:
        raise NotFound("No such card.")
    return program


def short_hash(value: object) -> str:
    """The first 16 hex digits of SHA-256 of `value`: tells two devices apart, names neither."""
    return hashlib.sha256(str(value).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def filename(card: Card) -> str:
    return f"member-{card.number or card.card_id}.json"


def document(card: Card, program: Program, now: datetime) -> dict[str, object]:
    """The export of `card` (see the README's "A member's data: the export" for each section)."""
    mechanics = mech.from_stored(program.mechanics)
    entries, ledger_cut = member_data.ledger(card.card_id, LEDGER_CAP)
    records, messages_cut = member_data.messages(card.card_id, MESSAGES_CAP)
    receipts, receipts_cut, lines_cut = _receipts(card.card_id)
    perks = card.perks if isinstance(card.perks, dict) else {}
    today = clock.local_day(now, program.timezone).isoformat()
    return {
        "format": FORMAT,
        "exported_at": now.astimezone(UTC).isoformat(timespec="microseconds"),
        "program": {"id": program.program_id, "name": program.name},
        "profile": {"name": card.name or None, "phone": card.phone or None, "email": card.email or None,
                    "birthday": card.birthday or None,
                    "locale": card.locale, "created_at": card.created_at},
        "consents": card_channels.consent_records(card),
        "card": _card(card, program, mechanics, today, perks),
        "lots": [{"lot_id": lot.lot_id, "source": lot.source, "points": lot.points, "remaining": lot.remaining,
                  "earned_on": lot.earned_on, "available_on": lot.available_on, "expires_on": lot.expires_on}
                 for lot in card_store.lots_of(card)],
        "ledger": [card_views.ledger_view(entry) for entry in entries],
        "receipts": receipts,
        "messages": [{"at": record.created_at, "kind": record.kind, "channel": record.channel,
                      "outcome": record.outcome, "reason": record.reason, "text": record.text} for record in records],
        "wallet": {"apple_devices": [{"device": short_hash(device.device_id), "registered_at": device.created_at,
                                      "updated_at": device.updated_at}
                                     for device in member_data.apple_devices(card.card_id)],
                   "google": {"state": card.google_state, "error": card.google_error},
                   "notice": card.notice},
        "telegram": {"linked": card.telegram_chat_id is not None,
                     "chat": short_hash(int(card.telegram_chat_id)) if card.telegram_chat_id is not None else None},
        "experiments": [{"experiment_id": trial.experiment.experiment_id, "subject": trial.experiment.subject,
                         "name": trial.experiment.name, "variant": trial.assignment.variant,
                         "exposed_on": trial.assignment.exposed_on, "bonus": int(trial.assignment.bonus or 0)}
                        for trial in member_data.trials(program.program_id, card.card_id)],
        "surveys": [{"survey_id": member_data.survey_id_of(item), "kind": item.kind, "score": int(item.score),
                     "day": item.day, "answered_at": item.answered_at, "comment": item.comment}
                    for item in member_data.survey_answers(program.program_id, card.card_id)],
        "offers": _offers(perks, mechanics),
        "referrals": {"code": card.ref_code or None, "referred_by": member_data.referrer_number(card),
                      "friends_rewarded": sum(1 for entry in entries
                                              if (entry.cause_id or "").startswith("referral#"))},
        "truncated": {"ledger": ledger_cut, "messages": messages_cut, "receipts": receipts_cut, "lines": lines_cut},
    }


def _card(card: Card, program: Program, mechanics: mech.Mechanics, today: str,
          perks: Mapping[str, Any]) -> dict[str, object]:
    stats = card.stats if isinstance(card.stats, dict) else {}
    known = {place.location_id: place.name for place in places_of.from_stored(program.locations)}
    home = stats.get("home")
    return {"card_id": card.card_id, "number": card.number or None, "status": card.status, "tier": card.tier,
            "tier_name": mechanics.tier(card.tier).name, "balance": int(card.balance),
            "available": sum(lot.remaining for lot in card_store.lots_of(card)
                             if lot.available_on <= today and (not lot.expires_on or lot.expires_on > today)),
            "owed": int(card.owed or 0), "created_at": card.created_at, "last_visit_on": card.last_visit_on,
            "erased_at": card.erased_at,
            "home_location": {"id": home, "name": known.get(home)} if isinstance(home, str) and home else None,
            "stats": stats, "challenges": list(perks.get("challenges") or []),
            "products": dict(perks.get("products") or {}), "surveyed_on": perks.get("surveyed_on")}


def _offers(perks: Mapping[str, Any], mechanics: mech.Mechanics) -> list[dict[str, object]]:
    names = {offer.id: offer.name for offer in mechanics.offers}
    return [{**held, "name": names.get(str(held.get("offer")))} for held in perks.get("offers") or []
            if isinstance(held, dict)]


def _receipts(card_id: str) -> tuple[list[dict[str, object]], bool, bool]:
    """The card's receipts and refunds, newest RECEIPTS_CAP of them, lines within LINES_CAP."""
    found, receipts_cut = member_data.receipts(card_id, RECEIPTS_CAP)
    lines_left, lines_cut = LINES_CAP, False
    shown: list[dict[str, object]] = []
    for item in reversed(found):  # the newest keep their lines first
        lines = item.lines if isinstance(item.lines, list) else None
        if lines is not None and len(lines) > lines_left:
            lines, lines_cut = None, True
        lines_left -= len(lines or [])
        shown.append(_receipt(item, lines))
    return shown[::-1], receipts_cut, lines_cut


def _receipt(item: Receipt, lines: list[Any] | None) -> dict[str, object]:
    kind, _, receipt_id = item.receipt_key.partition("#")
    answer = item.response if isinstance(item.response, dict) else {}
    return {"id": receipt_id, "kind": kind, "created_at": item.created_at, "business_day": item.business_day,
            "receipt_id": answer.get("receipt_id") if kind == "refund" else receipt_id,
            "total": int(item.total or 0), "paid": int(item.paid) if item.paid is not None else None,
            "currency": item.currency, "lines": lines, "earned": int(item.earned or 0),
            "redeemed": int(item.redeemed or 0), "refunded_amount": int(item.refunded_amount or 0),
            "points_reversed": int(item.points_reversed or 0), "points_returned": int(item.points_returned or 0),
            "location_id": item.location_id}


# --- the member's own request ------------------------------------------------------------------------

@dataclass(frozen=True)
class Sent:
    """Where the link went: the channel and the contact, masked ("a***@mail.ru", "+7 *** ***-45-67")."""

    channel: str
    to: str


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.startswith("+7") and len(digits) == 11:  # noqa: PLR2004 (a Russian number: +7 and ten digits)
        return f"+7 *** ***-{digits[-4:-2]}-{digits[-2:]}"
    return f"+*** ***-{digits[-4:-2]}-{digits[-2:]}"


def link_url(card: Card, token: str) -> str:
    return f"{settings().public_base_url}/c/{card.card_id}/data.json?t={token}"


def ask(card: Card, program: Program, now: datetime, locale: str) -> Sent:
    """Send the member a one-time link to their data, at the contact they enrolled with: the e-mail if the
    card has one, else an SMS to the phone, else the linked Telegram chat. Refused for a card that is not
    active (403 card_blocked; an erased card is no card: 404), after ASKS_PER_DAY asks of the day (429),
    and for a card with no contact at all (422 no_contact)."""
    if card.erased_at or card.status == "erased":
        raise NotFound("No such card.")
    if card.status != "active":
        raise Forbidden(texts.text("data_refused", locale), code="card_blocked")
    if not (card.email or card.phone or card.telegram_chat_id is not None):
        raise RuleViolation(texts.text("data_no_contact", locale), code="no_contact")
    try:
        ratelimits.take("export", card.card_id, ASKS_PER_DAY, now.timestamp(), window=DAY)
    except RateLimited as error:
        error.message = texts.text("data_limited", locale)
        raise
    token = secrets.token_urlsafe(24)
    member_data.issue_link(card.card_id, token, now, LINK_SECONDS, LINK_USES)
    sent = _send(card, program, link_url(card, token), texts.language(card.locale))
    log.info("member_export_link_sent", program_id=card.program_id, card_id=card.card_id, channel=sent.channel)
    return sent


def _send(card: Card, program: Program, url: str, lang: str) -> Sent:
    try:
        if card.email:
            body = texts.text("data_email_text", lang, program=program.name, url=url)
            unsubscribe_url = card_views.unsubscribe_url(card)
            letter = rendering.render_text("email.html", lang, program_name=program.name, brand=program.branding,
                                           text=body, card_url=card_views.links(card)["card_url"],
                                           unsubscribe_url=unsubscribe_url)
            email.send(str(card.email), texts.text("data_email_subject", lang, program=program.name), body, letter,
                       unsubscribe_url)
            return Sent("email", mask_email(str(card.email)))
        if card.phone:
            sms.send(str(card.phone), texts.text("data_sms", lang, program=program.name, url=url))
            return Sent("sms", mask_phone(str(card.phone)))
        telegram.send_message(int(card.telegram_chat_id or 0),
                              texts.text("data_email_text", lang, program=program.name, url=url))
        return Sent("telegram", texts.text("data_to_telegram", lang))
    except Exception as error:  # noqa: BLE001 - any channel's failure: the member is told to try again
        log.warning("member_export_link_failed", program_id=card.program_id, card_id=card.card_id,
                    error_type=type(error).__name__)
        raise LinkNotSent(texts.text("data_not_sent", lang)) from None


def download(card_id: str, token: str | None, now: datetime) -> tuple[Card, dict[str, object]]:
    """The card and the document behind the member's link, if `token` is the card's live link (one download
    is then used up); else NotFound, alike for a wrong card, a forged, expired, replaced or used-up token,
    and a card blocked or erased since. The download is audited (actor 'member')."""
    card = card_store.get(card_id) if card_id and len(card_id) <= card_views.MAX_ID else None
    if card is None or not token or len(token) > MAX_TOKEN or card.erased_at or card.status != "active" \
            or not member_data.use_link(card.card_id, token, now):
        raise NotFound("No such link.")
    exported = document(card, _program_of(card), now)
    audit.record(card.merchant_id, actor="member", action="member.export", now=now, program_id=card.program_id,
                 target_type="card", target_id=card.card_id)
    log.info("member_export_downloaded", program_id=card.program_id, card_id=card.card_id)
    return card, exported
