"""The cashier's till (issue 18): a card looked up, quoted, sold to and refunded from the console, "signed
by the platform on their behalf": the POS API's own use cases (usecases/pos.py) run for the program of the
till's location, the receipt carrying the location and the staff member (`actor`), with the POS API's
idempotency (a receipt id once per program; the same id again with the same body is the first answer).

Who stands at which till: a cashier at the open locations their staff record lists (any other location,
or another merchant's, is 404 as if it did not exist); owners and managers at every open location of their
merchant's programs, and at a program without locations (`location_id` null, `program_id` named).

DynamoDB requests a till call adds to the POS path's: the merchant's programs (one Query), a cashier's
staff record (one GetItem), and the rate counter of the staff member (one UpdateItem, plus one per card
number that is no card of the program: a cashier cannot probe numbers for free)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any, TypedDict, cast

from chalicelib import auth, log
from chalicelib.commands.pos import LookUpCard, Quote, RecordReceipt, RecordRefund
from chalicelib.commands.staff import CASHIER
from chalicelib.commands.till import TillPlace, TillRequest, read_quote
from chalicelib.core import clock, ledger
from chalicelib.core import locations as places
from chalicelib.core import mechanics as mech
from chalicelib.core.kinds.base import Sale
from chalicelib.core.locations import Location
from chalicelib.errors import NotFound
from chalicelib.store import db, listings
from chalicelib.store import programs as program_store
from chalicelib.store import staff as staff_store
from chalicelib.store.ledger import DYNAMO
from chalicelib.store.records import Program
from chalicelib.usecases import audit, guards, pos
from chalicelib.usecases.decisions import local_time, today_of
from chalicelib.usecases.ledger import Result

MAX_PROGRAMS = 100  # a merchant's programs read in one Query: far above a chain's brands


@dataclass(frozen=True)
class Place:
    """An open location of one of the merchant's programs."""

    program: Program
    location: Location


@dataclass(frozen=True)
class Till:
    """Where a till request acts, and for whom."""

    program: Program
    location_id: str | None
    actor: str  # the staff member's id (the token's subject)
    rate_key: str  # what their requests and card-number misses are counted under


class TillLocation(TypedDict):
    id: str
    name: str
    address: str | None
    program_id: str
    program_name: str
    currency: str
    kind: str


class TillProgram(TypedDict):
    program_id: str
    program_name: str
    currency: str
    kind: str


class TillView(TypedDict):
    """GET /admin/till: where the caller may sell."""

    locations: list[TillLocation]
    programs_without_locations: list[TillProgram]


class TillReceipt(TypedDict):
    receipt_id: str
    card_last4: str | None  # the card's last four digits: enough to pick a refund, not to spend the card
    total: int
    redeemed: int
    earned: int
    refunded_amount: int
    created_at: str
    actor: str | None


def _programs(merchant_id: str) -> list[Program]:
    if not merchant_id:
        return []
    found, _ = program_store.list_for_merchant(merchant_id, MAX_PROGRAMS, None)
    return found


def open_locations(merchant_id: str, programs: list[Program] | None = None) -> list[Place]:
    """Every open location of the merchant's programs, in the programs' and then the owner's order."""
    return [Place(program, location) for program in (programs if programs is not None else _programs(merchant_id))
            for location in places.from_stored(program.locations) if location.open]


def _allowed(principal: auth.Principal) -> tuple[list[Place], list[Program]]:
    """The open locations the caller may sell at, and (owners and managers) the programs without locations."""
    principal.require("till:write")
    merchant_id = principal.merchant_id or ""
    programs = _programs(merchant_id)
    every = open_locations(merchant_id, programs)
    if principal.role != CASHIER:
        return every, [program for program in programs if not program.locations]
    member = staff_store.get(merchant_id, principal.subject)
    mine = set(member.locations or ()) if member is not None and member.role == CASHIER else set()
    return [place for place in every if place.location.location_id in mine], []


def view(principal: auth.Principal) -> TillView:
    located, bare = _allowed(principal)
    locations: list[TillLocation] = []
    for place in located:
        locations.append({"id": place.location.location_id, "name": place.location.name,
                          "address": place.location.address, "program_id": place.program.program_id,
                          "program_name": place.program.name, "currency": place.program.currency,
                          "kind": mech.from_stored(place.program.mechanics).kind})
    return {"locations": locations,
            "programs_without_locations": [{"program_id": program.program_id, "program_name": program.name,
                                            "currency": program.currency,
                                            "kind": mech.from_stored(program.mechanics).kind} for program in bare]}


def till_for(principal: auth.Principal, place: TillPlace, now: datetime) -> Till:
    """The till at `place` if the caller may stand there (else 404, as if it did not exist), its request
    counted against the caller's rate limit."""
    located, bare = _allowed(principal)
    program: Program | None = None
    if place.location_id is not None:
        found = next((p for p in located if p.location.location_id == place.location_id
                      and place.program_id in (None, p.program.program_id)), None)
        program = found.program if found is not None else None
    else:
        program = next((p for p in bare if p.program_id == place.program_id), None)
    if program is None:
        raise NotFound("No such location.", code="location_not_found", field="location_id")
    till = Till(program, place.location_id, principal.subject, f"staff#{principal.merchant_id}#{principal.subject}")
    guards.before_pos_request(program, till.rate_key, now)
    log.bind(program_id=program.program_id, location_id=place.location_id)
    audit.note(program_id=program.program_id)  # a sale or refund at the till is filed under its program
    return till


def _counting_misses(till: Till, now: datetime, error: NotFound) -> NotFound:
    if error.code == "card_not_found":
        guards.pos_lookup_missed(till.rate_key, now)
    return error


def look_up(till: Till, number: str, now: datetime) -> pos.PosCardView:
    """GET /admin/till/cards/{number}: `number` as typed (spaces, dashes) or as scanned (the pass's QR
    holds the card number)."""
    command = LookUpCard.parse(number)
    try:
        return pos.look_up(command, till.program, now)
    except NotFound as error:
        raise _counting_misses(till, now, error) from None


class TillQuote(pos.QuoteAnswer, total=False):
    earn_with_redeem: int  # what the receipt earns paid with the `redeem` asked (only when it was)


def quote(till: Till, request: TillRequest, now: datetime) -> TillQuote:
    """POST /admin/till/quote: the POS quote, and with `redeem` (the points the customer spends) the earn of
    that receipt (`earn_with_redeem`, what the till's hint says). `redeem` is checked as a receipt's is:
    at most the quote's max_redeem, at least the program's minimum (else 422 naming "redeem")."""
    rest, redeem = read_quote(request)
    command = Quote.parse(rest, till.program)
    try:
        answer = pos.quote_for(command, till.program, now)
    except NotFound as error:
        raise _counting_misses(till, now, error) from None
    if redeem is None:
        return cast("TillQuote", answer)
    mechanics = mech.from_stored(till.program.mechanics)
    ledger.check_redeem_amount(mechanics, redeem, answer["max_redeem"])  # the receipt's own rule
    earned = answer["earn"]
    if redeem:  # a card that may spend is active (an inactive one's max_redeem is 0)
        today = today_of(till.program, now)
        sale = Sale(total=command.total, lines=command.lines, today=today, sold_on=today.isoformat(), receipt_ref="",
                    local_time=local_time(till.program, now))
        earned = ledger.earning(mechanics, answer["tier"], sale, redeem=redeem).earned
    return cast("TillQuote", {**answer, "earn_with_redeem": earned})


def sell(till: Till, request: TillRequest, now: datetime) -> Result:
    """POST /admin/till/receipts: the POS receipt, at the till's location, by the staff member."""
    command = replace(RecordReceipt.parse(request.rest, till.program, now), location_id=till.location_id,
                      actor=till.actor, request_hash=request.request_hash)
    try:
        return pos.record_receipt(command, till.program, now)
    except NotFound as error:
        raise _counting_misses(till, now, error) from None


def refund(till: Till, request: TillRequest, now: datetime) -> Result:
    """POST /admin/till/refunds: only a receipt sold at this till's location (else 404 receipt_not_found)."""
    command = replace(RecordRefund.parse(request.rest), actor=till.actor, request_hash=request.request_hash)
    sold = DYNAMO.record(till.program.program_id, f"receipt#{command.receipt_id}")
    if sold is None or sold.location_id != till.location_id:
        raise NotFound("No receipt with this id at this location.", code="receipt_not_found", field="receipt_id")
    return pos.record_refund(command, till.program, now)


def _day_start(till: Till, now: datetime) -> str:
    """The start of today where the till is (its location's time zone, else the program's), as UTC ISO."""
    location = places.find(places.from_stored(till.program.locations), till.location_id)
    zone = clock.zone((location.timezone if location is not None else None) or till.program.timezone)
    today = now.astimezone(zone).date()
    return db.iso(datetime.combine(today, time(), tzinfo=zone))


def _last4(number: object) -> str | None:
    return number[-4:] if isinstance(number, str) and number else None


def receipts(till: Till, limit: int, now: datetime) -> dict[str, Any]:
    """GET /admin/till/receipts: today's receipts at the till's location, newest first (what a cashier picks
    a refund from). Reads the program's receipts since the local midnight (the `by_time` index), at most
    listings.TILL_BUDGET of them."""
    def here(item: Any) -> bool:
        return item.kind == "receipt" and item.location_id == till.location_id

    items: list[TillReceipt] = [
        {"receipt_id": item.receipt_key.partition("#")[2], "card_last4": _last4((item.response or {}).get("card")),
         "total": int(item.total), "redeemed": int(item.redeemed), "earned": int(item.earned),
         "refunded_amount": int(item.refunded_amount), "created_at": item.created_at, "actor": item.actor}
        for item in listings.receipts_since(till.program.program_id, _day_start(till, now), here, limit)]
    return {"items": items}
