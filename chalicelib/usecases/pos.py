"""What a POS system does: authenticate, look a card up, ask for a quote, post receipts and refunds."""
from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypedDict, cast

from chalicelib import auth, log
from chalicelib.commands import body_hash
from chalicelib.commands.pos import MAX_TOTAL, LookUpCard, Quote, RecordReceipt, RecordRefund
from chalicelib.core import ledger
from chalicelib.core import lots as lot_rules
from chalicelib.core import mechanics as mech
from chalicelib.core import offers as offer_rules
from chalicelib.core import validation as v
from chalicelib.core.kinds.base import Sale
from chalicelib.errors import NotFound, RuleViolation, Unauthorized
from chalicelib.store import pos_keys as key_store
from chalicelib.store import programs as program_store
from chalicelib.store import records
from chalicelib.store.ledger import DYNAMO, LedgerStore
from chalicelib.store.plans import LedgerCard
from chalicelib.store.records import Program
from chalicelib.usecases import locations as location_cases
from chalicelib.usecases.decisions import local_time, today_of
from chalicelib.usecases.ledger import Result, apply, replay

# MAX_TOTAL: the contract's bound on money, which the API description states (api/openapi.py).
__all__ = ["KEY_CACHE_SECONDS", "MAX_TOTAL", "PosCardView", "QuoteAnswer", "Result", "Signed", "at_location",
           "authenticate", "authenticate_key", "find_card", "forget_cached", "key_location", "look_up",
           "post_receipt", "post_refund", "quote", "quote_for", "record_receipt", "record_refund", "revoke_key"]

KEY_CACHE_SECONDS = 60  # a revoked key stops working within this time on warm containers


class PosCardView(TypedDict):
    """GET /pos/cards/{number}: the card as a till shows it (the API's PosCard)."""

    card_number: str
    name: str | None
    balance: int
    available: int
    tier: str
    tier_name: str | None
    status: str


class QuoteAnswer(TypedDict):
    """POST /pos/quote: what a receipt would earn and may redeem (the API's Quote)."""

    card_number: str
    balance: int
    available: int
    max_redeem: int
    earn: int
    earn_with_max_redeem: int
    tier: str
    kind: str  # the program's kind: points, cashback, stamps or discount


_key_cache: dict[str, tuple[float, Any]] = {}
_program_cache: dict[str, tuple[float, records.Program | None]] = {}  # frozen: safe to share across requests


# --- authentication ------------------------------------------------------------------------------

def _cached(cache: dict[str, tuple[float, Any]], key: str, load: Callable[[str], Any]) -> Any:
    hit = cache.get(key)
    if hit and time.monotonic() - hit[0] < KEY_CACHE_SECONDS:
        return hit[1]
    value = load(key)
    cache[key] = (time.monotonic(), value)
    return value


def forget_cached() -> None:
    _key_cache.clear()
    _program_cache.clear()


def revoke_key(program_id: str, key_id: str, now: datetime) -> Any:
    """Revoke a POS key: refused at once by this process, within KEY_CACHE_SECONDS by warm others."""
    key = key_store.revoke(program_id, key_id, now)
    _key_cache.pop(key_id, None)
    return key


@dataclass(frozen=True)
class Signed:
    """A signed POS request's program, and the location of its key (None: a whole-program key)."""

    program: records.Program
    location_id: str | None = None


def authenticate(headers: Mapping[str, str], method: str, path: str, body: bytes, now: datetime) -> records.Program:
    """The program a signed POS request acts for, or Unauthorized with the contract's code."""
    return authenticate_key(headers, method, path, body, now).program


def authenticate_key(headers: Mapping[str, str], method: str, path: str, body: bytes, now: datetime) -> Signed:
    """The program a signed POS request acts for and its key's location, or Unauthorized with the contract's code."""
    key_id = headers.get("x-loyalty-key")
    timestamp = headers.get("x-loyalty-timestamp")
    signature = headers.get("x-loyalty-signature")
    if not key_id or not timestamp or not signature:
        raise Unauthorized("Sign the request: X-Loyalty-Key, X-Loyalty-Timestamp and X-Loyalty-Signature.",
                           code="missing_signature")
    if not re.fullmatch(r"\d{1,12}", timestamp) or abs(now.timestamp() - int(timestamp)) > auth.POS_WINDOW_SECONDS:
        raise Unauthorized("The timestamp is more than 300 s away from our clock.", code="stale_timestamp")
    key = _cached(_key_cache, key_id, key_store.get) if re.fullmatch(v.ID_PATTERN, key_id) else None
    if key is None or key.status != "active":
        raise Unauthorized("Unknown or revoked POS key.", code="unknown_key")
    expected = auth.pos_signature(key.secret_hash, timestamp, method, path, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise Unauthorized("The signature does not match the request.", code="bad_signature")
    program: records.Program | None = _cached(_program_cache, key.program_id, program_store.get)
    if program is None:
        raise Unauthorized("Unknown or revoked POS key.", code="unknown_key")
    log.bind(program_id=program.program_id, pos_key_id=key.key_id)
    return Signed(program, key.location_id)


def key_location(key_id: str) -> str | None:
    """The location of a key `authenticate_key` has just let through (from the same cache: no second read)."""
    key = _cached(_key_cache, key_id, key_store.get)
    return key.location_id if key is not None else None


def at_location(command: RecordReceipt, program: Program, key_location: str | None,
                store: LedgerStore = DYNAMO) -> RecordReceipt:
    """The receipt with its location: a location's key's own (a body naming another one is 422
    location_mismatch), else the open location a whole-program key's body names (422 unknown_location).
    A key's location is part of what the receipt id stands for (`request_hash`): the same body from
    another location's key is another sale, so it is a 409 receipt_conflict, never the first one's answer
    (receipt ids are unique per program, whichever store sends them). A receipt recorded before its
    location closed still replays (a till's retry after the owner closed the store gets its first answer)."""
    if key_location is not None:
        if command.location_id is not None and command.location_id != key_location:
            raise RuleViolation("This POS key belongs to another location.", code="location_mismatch",
                                field="location_id")
        if command.location_id is None:  # the body did not name it: the hash must
            command = replace(command, request_hash=body_hash({"request": command.request_hash,
                                                               "location_id": key_location}))
        return replace(command, location_id=key_location)
    if command.location_id is not None and location_cases.open_or_none(program, command.location_id) is None \
            and store.record(program.program_id, command.record_key) is None:
        location_cases.open_location(program, command.location_id)  # 422 unknown_location
    return command


# --- reading -------------------------------------------------------------------------------------

def find_card(program: Program, number: str, field: str = "card", store: LedgerStore = DYNAMO) -> LedgerCard:
    """The program's card with this (normalised) number, or 404 card_not_found naming `field`."""
    card_id = store.card_id_by_number(number)
    card = store.card(card_id, consistent=False) if card_id else None  # a look-up: writes nothing
    # an erased member's card (usecases/erasure.py) is no card, even where a warm cache still knows its number
    if card is None or card.program_id != program.program_id or card.status == "erased":
        raise NotFound("No card with this number in this program.", code="card_not_found", field=field)
    return card


def look_up(command: LookUpCard, program: Program, now: datetime, store: LedgerStore = DYNAMO) -> PosCardView:
    """GET /pos/cards/{number}: the card as a till shows it, as of today (expired points burned)."""
    card = find_card(program, command.number, "card_number", store)
    mechanics = mech.from_stored(program.mechanics)
    today = today_of(program, now)
    state = ledger.expire(card.state, today).state
    return {"card_number": card.number, "name": card.name, "balance": state.balance,
            "available": lot_rules.available(state.lots, today.isoformat()), "tier": state.tier,
            "tier_name": mechanics.tier(state.tier).name, "status": card.status}


def quote_for(command: Quote, program: Program, now: datetime, store: LedgerStore = DYNAMO) -> QuoteAnswer:
    """POST /pos/quote: what a receipt would earn and may redeem; nothing is written. The product rules
    price its lines as a receipt's (`lines`, `payable`); a stamps program adds its stamps and rewards, a
    discount program its discount; `offers` lists the card's live offers."""
    card = find_card(program, command.card, "card", store)
    mechanics = mech.from_stored(program.mechanics)
    today = today_of(program, now)
    day = today.isoformat()
    state = ledger.expire(card.state, today).state
    active = card.status == "active"
    sale = Sale(total=command.total, lines=command.lines, today=today, sold_on=day, receipt_ref="",
                local_time=local_time(program, now))
    sold = ledger.earning(mechanics, state.tier, sale)
    most = ledger.max_redeem(mechanics, state, command.total, day, sold.pricing.payable) if active else 0
    paying = ledger.earning(mechanics, state.tier, sale, redeem=most, pricing=sold.pricing)
    answer: QuoteAnswer = {
        "card_number": card.number, "balance": state.balance, "available": lot_rules.available(state.lots, day),
        "max_redeem": most, "earn": sold.earned if active else 0,
        "earn_with_max_redeem": paying.earned if active else 0, "tier": state.tier, "kind": mechanics.kind}
    extra: dict[str, Any] = {}
    if active:
        extra.update(ledger.sale_fields(mechanics, state.tier, sold))
    if mechanics.kind == "stamps":
        extra.update(ledger.stamps_fields(mechanics, state, day), stamps_earn=sold.earned if active else 0)
    extra["offers"] = offer_rules.live(state.offers, mechanics, sale, sold.pricing, today) if active else []
    return cast("QuoteAnswer", {**answer, **extra})


# --- receipts and refunds --------------------------------------------------------------------------

def record_receipt(command: RecordReceipt, program: Program, now: datetime, store: LedgerStore = DYNAMO) -> Result:
    """A sale: points earned and redeemed on the card (if any), once per receipt id."""
    card_id = None
    if command.card is not None:
        card_id = store.card_id_by_number(command.card)  # cached: a number never moves to another card
        if card_id is None:
            raise NotFound("No card with this number in this program.", code="card_not_found", field="card")
    return apply(command, program, now, store, card_id=card_id)


def record_refund(command: RecordRefund, program: Program, now: datetime, store: LedgerStore = DYNAMO) -> Result:
    """Part or all of a receipt given back: its points taken back and given back in proportion."""
    previous = store.record(program.program_id, command.record_key)
    if previous is not None:
        return replay(command, previous)  # the same answer, or 409 for another body
    return apply(command, program, now, store)


# --- the same from a parsed JSON body (scripts, tests and the demo history call these) ---------------

def quote(program: Program, data: dict[str, Any], now: datetime) -> QuoteAnswer:
    return quote_for(Quote.parse(data, program), program, now)


def post_receipt(program: Program, data: dict[str, Any], now: datetime) -> Result:
    return record_receipt(at_location(RecordReceipt.parse(data, program, now), program, None), program, now)


def post_refund(program: Program, data: dict[str, Any], now: datetime) -> Result:
    return record_refund(RecordRefund.parse(data), program, now)
