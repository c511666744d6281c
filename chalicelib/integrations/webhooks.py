"""What the shops' and tills' webhook providers share (Square, Shopify, Evotor): HMAC checks in constant
time, the age of an event, money in the provider's units, finding the customer's card, and the answer to
an event that means nothing for points.

An event that is genuine but is no sale or refund (a payment not yet completed, a topic we do not
follow) must still be answered 2xx, or the platform retries it for a day and may switch the webhook off.
The seam (integrations/base.py) has no "nothing to do" result, so such an event raises `Ignored`, an
AppError whose status is 200: the answer is `200 {"error": {"code": "ignored", "message": ...}}`, and
nothing is written."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib import log
from chalicelib.commands.pos import MAX_LINES, MAX_QTY
from chalicelib.config import settings
from chalicelib.core import card_number, locations
from chalicelib.core import phone as phones
from chalicelib.core import validation as v
from chalicelib.errors import AppError, InvalidInput, Unauthorized
from chalicelib.store import cards as card_store
from chalicelib.store.records import Program

# ISO 4217 currencies without minor units (Shopify and Evotor send amounts in major units).
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                          "VND", "VUV", "XAF", "XOF", "XPF"})
THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
MAX_SKU, MAX_NAME = 64, 200  # what a receipt's line may say (commands/pos.py `_lines`)
_AMOUNT = re.compile(r"\d{1,13}(?:\.\d{1,3})?")
_CARD_IN_TEXT = re.compile(r"(?<!\d)(\d[\d -]{10,18}\d)(?!\d)")


class Ignored(AppError):
    """A genuine event that changes no points: answered 200 so that the platform does not retry it."""

    status = 200
    code = "ignored"


def program_in(path: str) -> str | None:
    """The `program` of a webhook URL's query string (`/integrations/square/events?program=<id>`)."""
    for pair in path.partition("?")[2].split("&"):
        name, _, value = pair.partition("=")
        if name == "program":
            return value
    return None


def our_id(provider: str, their_id: str) -> str:
    """`provider:id` within our 64 characters; a longer id (Square's refund ids run to 80) by its hash."""
    ours = f"{provider}:{their_id}"
    return ours if len(ours) <= 64 else f"{provider}:h{hashlib.sha256(their_id.encode()).hexdigest()[:48]}"


def _refuse_constant(name: str) -> object:
    raise ValueError(name)


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 20:
        raise ValueError("number too long")
    return int(text)


def parse_json(raw: bytes) -> Any:
    """A provider's signed body. Platforms' ids outgrow JSON's safe integers (Shopify's order ids are 64-bit:
    820982911946154508), which our strict parser refuses for callers' bodies; here integers of up to 20
    digits are kept exactly, fractions are Decimal (never a float), NaN and Infinity are refused."""
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_bounded_int, parse_float=Decimal,
                          parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput("The body is not JSON this provider sends.", code="invalid_json") from None


def hmac_base64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def check_signature(presented: str | None, expected: str) -> None:
    if not presented:
        raise Unauthorized("The signature header is missing.", code="missing_signature")
    if not hmac.compare_digest(presented.strip().encode(), expected.encode()):
        raise Unauthorized("The signature does not match.", code="bad_signature")


def check_age(moment: datetime | None, now: datetime) -> None:
    """A signed event older than WEBHOOK_MAX_AGE (48 h: longer than Square's and Shopify's own retries)
    is refused, so a captured delivery cannot be replayed later. Within the window a replay finds the
    first answer (the receipt id is the provider's), so it changes nothing either."""
    if moment is None:
        return
    age = (now - moment).total_seconds()
    if age > settings().webhook_max_age or age < -300:
        raise Unauthorized("The event is too old (or from the future).", code="stale_event")


def parse_time(text: object) -> datetime | None:
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def created_at(moment: datetime | None, now: datetime) -> str | None:
    """The sale's time for the receipt's business day, when it is one the receipt reader accepts."""
    if moment is None or moment > now or (now - moment).days > 366:
        return None
    return moment.astimezone(UTC).isoformat()


def exponent(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


def minor_units(amount: object, currency: str, field: str) -> int:
    """'123.45' (a string or a JSON number, in major units) -> 12345, exactly: no float arithmetic."""
    text = str(amount) if isinstance(amount, (str, int, Decimal)) and not isinstance(amount, bool) else ""
    if not _AMOUNT.fullmatch(text):
        raise InvalidInput(f"'{field}' is not an amount of money.", code="invalid_amount", field=field)
    try:
        value = Decimal(text).scaleb(exponent(currency))
    except InvalidOperation:
        raise InvalidInput(f"'{field}' is not an amount of money.", code="invalid_amount", field=field) from None
    if value != value.to_integral_value():
        raise InvalidInput(f"'{field}' has more decimals than {currency} has.", code="invalid_amount", field=field)
    return int(value)


def quantity(raw: object, field: str) -> int | float:
    """A line's quantity as a provider writes it (a JSON number, Square's decimal string): a count, or a
    weight, within the receipt's 0..MAX_QTY; anything else is 400 naming the line's field."""
    text = str(raw) if isinstance(raw, (str, int, float, Decimal)) and not isinstance(raw, bool) else ""
    try:
        value = Decimal(text) if len(text) <= 20 else Decimal("NaN")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value > MAX_QTY:
        raise InvalidInput(f"'{field}' must be a quantity from 0 to {MAX_QTY}.", code="invalid_value", field=field)
    return int(value) if value == value.to_integral_value() else float(value)


def line_items(holder: dict[str, Any], name: str) -> list[Any]:
    """A payload's list of lines, at most a receipt's MAX_LINES (more is 400 too_many naming the field)."""
    return v.read_list(holder, name, max_items=MAX_LINES)


def line(sku: object, name: object, qty: int | float, amount: int, *, sku_fallback: object = None) -> dict[str, Any]:
    """One of a receipt's `lines` in the shape `/pos/receipts` reads (commands/pos.py `_lines`), from what a
    provider sent: the SKU when it is a non-empty string of at most 64 characters (else `sku_fallback`, else
    none: a longer code would be cut into another product's), the name cut to 200 characters. The amount
    is minor units, what the customer paid for the line; the caller checks it."""
    def text(value: object, limit: int) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return value.strip()[:limit] or None if isinstance(value, str) else None

    code = text(sku, 1000)
    if code is None or len(code) > MAX_SKU:
        code = text(sku_fallback, 1000)
        code = code if code is not None and len(code) <= MAX_SKU else None
    return {"sku": code, "name": text(name, MAX_NAME), "qty": qty, "amount": amount}


def location_of(program: Program, provider: str, their_store: object) -> dict[str, str]:
    """The receipt body's `location_id` for a sale the provider made at `their_store`: the open location
    whose `external_ids` name it, else nothing (the sale counts under "unassigned")."""
    location_id = locations.of_provider(program.locations, provider, their_store)
    return {"location_id": location_id} if location_id is not None else {}


def card_number_in(text: object) -> str | None:
    """A card number (12 digits with a valid check digit) typed into a note or a reference field."""
    if not isinstance(text, str):
        return None
    for match in _CARD_IN_TEXT.finditer(text[:500]):
        number = card_number.normalise(match.group(1))
        if number:
            return number
    return None


def card_of(program: Program, *, number: str | None = None, phone: object = None) -> str | None:
    """The number of the program's card the event names: by its card number, else by the customer's phone
    (an alias read, and the card itself for its number). A number that is no card of this program does not
    fail the event: the sale is kept without a card, as a receipt with no customer is."""
    if number:
        card_id = card_store.card_id_by_number(number)
        card = card_store.get(card_id) if card_id else None
        if card is not None and card.program_id == program.program_id:
            return number
        log.info("webhook_card_unknown", program_id=program.program_id)
    if isinstance(phone, str) and phone.strip():
        try:
            normalised = phones.normalise(phone, program.country)
        except AppError:
            return None
        card_id = card_store.card_id_by_phone(program.program_id, normalised)
        card = card_store.get(card_id) if card_id else None
        if card is not None and card.program_id == program.program_id:
            return str(card.number)
    return None
