"""MoySklad LoyaltyAPI 1.0: what each request of the Касса МойСклад means in our terms.

- a connection (`connect`) is a program's token for one MoySklad account; `authenticate` maps a request's
  connection id and token to the program, comparing the token's hash in constant time;
- customers are our cards: a search finds a card by number or phone, a creation enrols (with a texted code
  first when the program confirms phones), `detail` is the balance;
- `recalc` is a quote answered as MoySklad wants it (per-position discounts for the points spent); the sale
  is a receipt and a return a refund, through usecases/pos and the one ledger path (usecases/ledger.apply),
  idempotent on MoySklad's document ids; a return carries no points, so it is measured against its sale.
Nothing here writes points itself."""
from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from chalicelib import log
from chalicelib.commands import moysklad as ms
from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.core import card_number, texts
from chalicelib.core import enrollment as enrollment_rules
from chalicelib.core import ledger as ledger_rules
from chalicelib.core import limits as limit_rules
from chalicelib.core import mechanics as mech
from chalicelib.core import phone as phones
from chalicelib.core.kinds import ReceiptLine
from chalicelib.core.kinds.base import Sale
from chalicelib.errors import AppError, Conflict, InvalidInput, NotFound, RateLimited, Unauthorized
from chalicelib.store import cards as card_store
from chalicelib.store import connections as connection_store
from chalicelib.store import ids, ratelimits
from chalicelib.store import programs as program_store
from chalicelib.store.connections import Connection
from chalicelib.store.ledger import DYNAMO, LedgerStore
from chalicelib.store.plans import LedgerCard
from chalicelib.store.records import Card, Program
from chalicelib.usecases import enrollment, guards, pos
from chalicelib.usecases import locations as location_cases
from chalicelib.usecases.decisions import today_of
from chalicelib.usecases.ledger import Result

PROVIDER = "moysklad"
TOKEN_HEADER = "lognex-discount-api-auth-token"
CACHE_SECONDS = 60  # a revoked connection stops working within this time on warm containers
CODE_REPEAT_SECONDS = 60  # `timeForRepeat`: when the till may ask for another code
MAX_MOMENT_AGE_DAYS = 366  # as a /pos receipt's created_at
_CONNECTION_ID = r"[A-Za-z0-9_\-]{1,40}"
_NO_HASH = hashlib.sha256(b"no connection").hexdigest()  # compared against when the id is unknown: same time


class VerificationNeeded(AppError):
    """412: MoySklad's answer that the customer must confirm with a code (its code 28001)."""

    status = 412
    code = "verification_needed"


@dataclass(frozen=True)
class Session:
    """A request that proved its token: the connection and the program it acts for."""

    connection: Connection
    program: Program

    @property
    def verify_spending(self) -> bool:
        return self.connection.verify_spending == "yes"


class ConnectionView(TypedDict):
    connection_id: str
    program_id: str
    label: str | None
    base_url: str
    verify_spending: bool
    status: str
    created_at: str
    revoked_at: str | None
    location_id: str | None  # the location its sales are made at; None: the whole program


# --- connections (the admin API) ------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def base_url(public_base_url: str, connection_id: str) -> str:
    """What the owner pastes into MoySklad's settings: every request's path is relative to it."""
    return f"{public_base_url}/moysklad/{connection_id}"


def view(connection: Connection, public_base_url: str) -> ConnectionView:
    return {"connection_id": connection.connection_id, "program_id": connection.program_id,
            "label": connection.label, "base_url": base_url(public_base_url, connection.connection_id),
            "verify_spending": connection.verify_spending == "yes", "status": connection.status,
            "created_at": connection.created_at, "revoked_at": connection.revoked_at,
            "location_id": connection.location_id}


def connect(program: Program, *, label: str | None, verify_spending: bool, created_by: str | None,  # noqa: PLR0913 (keywords)
            now: datetime, location_id: str | None = None) -> tuple[Connection, str]:
    """A new connection and its token (shown once: only its hash is kept). `location_id`: the open location
    its sales are made at (422 unknown_location otherwise); None: the whole program."""
    location_id = location_cases.open_location(program, location_id)
    token = f"mst_{ids.new_secret()}"
    connection = connection_store.create(provider=PROVIDER, program_id=program.program_id,
                                         merchant_id=program.merchant_id, token_hash=token_hash(token), label=label,
                                         verify_spending=verify_spending, created_by=created_by, now=now,
                                         location_id=location_id)
    log.info("moysklad_connected", program_id=program.program_id, connection_id=connection.connection_id)
    return connection, token


def connections(program: Program, limit: int, cursor: str | None) -> tuple[list[Connection], str | None]:
    return connection_store.list_for_program(program.program_id, PROVIDER, limit, cursor)


def disconnect(program: Program, connection_id: str, now: datetime) -> Connection:
    if not re.fullmatch(_CONNECTION_ID, connection_id):
        raise NotFound("No such connection.", code="connection_not_found")
    connection = connection_store.revoke(program.program_id, PROVIDER, connection_id, now)
    _connections.pop(connection_id, None)
    log.info("moysklad_disconnected", program_id=program.program_id, connection_id=connection_id)
    return connection


# --- authentication --------------------------------------------------------------------------------

_connections: dict[str, tuple[float, Connection | None]] = {}
_programs: dict[str, tuple[float, Program | None]] = {}


def forget_cached() -> None:
    _connections.clear()
    _programs.clear()
    _remembered.clear()


def _cached_connection(connection_id: str) -> Connection | None:
    hit = _connections.get(connection_id)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    connection = connection_store.get(connection_id)
    _connections[connection_id] = (time.monotonic(), connection)
    return connection


def _cached_program(program_id: str) -> Program | None:
    hit = _programs.get(program_id)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    program = program_store.get(program_id)
    _programs[program_id] = (time.monotonic(), program)
    return program


def authenticate(connection_id: str, token: str | None, now: datetime) -> Session:
    """The connection a till's request acts for, or 401. The token is compared by its SHA-256 in constant
    time; an unknown id, a revoked connection and a wrong token are the same answer. Then the request is
    counted against the connection's budget (the program's `pos_requests_per_key`, as a POS key's)."""
    if not token:
        raise Unauthorized("Send the token in the Lognex-Discount-API-Auth-Token header.", code="missing_token")
    connection = _cached_connection(connection_id) if re.fullmatch(_CONNECTION_ID, connection_id) else None
    expected = connection.token_hash if connection is not None else _NO_HASH
    matches = hmac.compare_digest(expected, token_hash(token))
    if connection is None or not matches or connection.status != "active" or connection.provider != PROVIDER:
        raise Unauthorized("Unknown or revoked token.", code="unknown_token")
    program = _cached_program(connection.program_id)
    if program is None:
        raise Unauthorized("Unknown or revoked token.", code="unknown_token")
    log.bind(program_id=program.program_id, connection_id=connection.connection_id)
    limits = guards.limits_of(program)
    ratelimits.take("pos", f"moysklad#{connection.connection_id}", limits.pos_requests_per_key, now.timestamp(),
                    misses=limits.pos_lookup_misses_per_key)
    return Session(connection, program)


def _missed(session: Session, now: datetime) -> None:
    """A customer the till named is none of the program's: counted like a POS key's look-up miss."""
    ratelimits.miss("pos", f"moysklad#{session.connection.connection_id}", now.timestamp())


# --- customers ----------------------------------------------------------------------------------------

def _phone(program: Program, raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return phones.normalise(raw, program.country)
    except InvalidInput:
        return None


def _card_id(program: Program, agent: ms.Agent, store: LedgerStore) -> str | None:
    """The card a till's customer is: by our id (a GUID of the card number) in `meta.id`, then the card
    number, then the phone, then MoySklad's own `meta.id` as remembered (`remember`)."""
    number = (ms.number_of_guid(agent.meta_id) if agent.meta_id else None) or agent.card_number
    card_id = store.card_id_by_number(number) if number else None
    if card_id is None:
        phone = _phone(program, agent.phone)
        card_id = card_store.card_id_by_phone(program.program_id, phone) if phone else None
    if card_id is None and agent.meta_id and ms.number_of_guid(agent.meta_id) is None:
        card_id = connection_store.remembered_customer(program.program_id, agent.meta_id[:100])
    return card_id


_remembered: set[tuple[str, str, str]] = set()
_REMEMBERED_MAX = 100_000  # ids a warm container knows are kept (about 15 MB at most)


def _remember(program: Program, agent: ms.Agent | None, card_id: str, now: datetime) -> None:
    """After a request that succeeded: MoySklad's id for a card found by its number or phone, kept so that a
    request naming the customer by MoySklad's id alone finds them (the other fields are optional there)."""
    if agent is None or not agent.meta_id or ms.number_of_guid(agent.meta_id) is not None:
        return
    if agent.card_number is None and agent.phone is None:
        return  # found by the remembered id itself
    key = (program.program_id, agent.meta_id[:100], card_id)  # the card: a member erased and joined again is new
    if key in _remembered:
        return  # written once, never changed: a warm container skips the write
    connection_store.remember_customer(program.program_id, agent.meta_id[:100], card_id, now)
    if len(_remembered) > _REMEMBERED_MAX:
        _remembered.clear()
    _remembered.add(key)


def _ledger_card(session: Session, agent: ms.Agent, now: datetime, store: LedgerStore) -> LedgerCard:
    card_id = _card_id(session.program, agent, store)
    card = store.card(card_id, consistent=False) if card_id else None
    # an erased member (usecases/erasure.py) is no customer, though MoySklad may still know its id
    if card is None or card.program_id != session.program.program_id or card.status == "erased":
        _missed(session, now)
        raise NotFound("No such customer in this loyalty program.", code="customer_not_found", field="agent")
    return card


def _row(card: Card) -> dict[str, Any]:
    row: dict[str, Any] = {"id": ms.customer_guid(card.number), "name": card.name or card.number,
                           "discountCardNumber": card.number, "phone": card.phone}
    if card.email:
        row["email"] = card.email
    if card.birthday:
        row["birthDate"] = f"{card.birthday} 00:00:00"
    return row


def search(session: Session, command: ms.Search, now: datetime) -> dict[str, Any]:
    """GET /counterparty: the card whose number (or our id) or phone is the search string. A name or an
    e-mail finds nothing (we keep no index of them): the answer is then an empty list, as for no match."""
    program, text = session.program, command.search.strip()
    if not text:
        return {"rows": []}
    number = ms.number_of_guid(text) or card_number.normalise(text)
    card_id = card_store.card_id_by_number(number) if number else None
    if card_id is None:
        phone = _phone(program, text)
        card_id = card_store.card_id_by_phone(program.program_id, phone) if phone else None
    card = card_store.get(card_id) if card_id else None
    if card is None or card.program_id != program.program_id:
        _missed(session, now)
        return {"rows": []}
    return {"rows": [_row(card)]}


def detail(session: Session, command: ms.CustomerDetail, now: datetime, store: LedgerStore = DYNAMO) -> dict[str, Any]:
    """POST /counterparty/detail: the balance as of today (expired points burned)."""
    card = _ledger_card(session, command.agent, now, store)
    state = ledger_rules.expire(card.state, today_of(session.program, now)).state
    _remember(session.program, command.agent, card.card_id, now)
    return {"bonusProgram": {"agentBonusBalance": state.balance}}


def create_customer(session: Session, command: ms.NewCustomer, now: datetime) -> str | None:
    """POST /counterparty: enrol the customer (consent collected by the cashier). With the program's phone
    confirmation on, an UNCHECKED customer gets 412/28001 first (the till then asks /counterparty/verify for
    a code and sends the customer again as CHECKED). Returns the card id, or None when nothing was created
    (a phone already enrolled is that member: the till finds them by search; an IGNORE'd customer of a
    program that confirms phones stays MoySklad's only)."""
    program, agent = session.program, command.agent
    confirm = guards.limits_of(program).phone_confirmation
    if confirm and command.status_check == "UNCHECKED":
        raise VerificationNeeded("The customer must confirm their phone with a code.", field="statusCheck")
    if confirm and command.status_check == "IGNORE":
        log.info("moysklad_customer_not_enrolled", reason="verification_ignored")
        return None
    if not agent.phone:
        raise InvalidInput("A phone number is required to join the program.", code="required", field="phone")
    email = agent.email if agent.email and re.fullmatch(enrollment_rules.EMAIL_PATTERN, agent.email) else None
    form: dict[str, object] = {"name": agent.name or "—", "phone": agent.phone, "consent": True, "locale": "ru"}
    if email:
        form["email"] = email
    birthday = ms.birthday_of(agent, today_of(program, now))
    if birthday:
        form["birthday"] = birthday
    try:
        card = enrollment.enroll(program, form, now, "ru", via="moysklad")
    except Conflict as error:
        if error.code == "already_enrolled":
            log.info("moysklad_customer_known")
            return None
        raise
    return card.card_id


def _send_code(program: Program, phone: str, now: datetime) -> dict[str, Any]:
    """Text a one-time code and give it to the till, which compares what the customer reads out with it
    (that is MoySklad's protocol: the code travels back to the till)."""
    from chalicelib.channels import sms  # lazy: +27 ms on import app (measured for guards.send_code); few programs text

    try:
        ratelimits.take("code", f"{program.program_id}#{phone}", limit_rules.CODES_PER_PHONE, now.timestamp())
    except RateLimited as error:
        error.message = "A code was sent to this number several times already: use the last one or try later."
        raise
    code = ids.random_digits(limit_rules.CODE_DIGITS, first_nonzero=False)
    try:
        sms.send(phone, texts.text("code_sms", "ru", program=program.name, code=code))
    except sms.SmsError as error:
        log.error("code_not_sent", program_id=program.program_id, reason=str(error))
        raise guards.CodeNotSent("The text message could not be sent just now: try again in a minute.") from None
    log.info("moysklad_code_sent", program_id=program.program_id)
    masked = phone[:-4] + "**" + phone[-2:]
    return {"verificationCode": code, "timeForRepeat": CODE_REPEAT_SECONDS,
            "messageForCashier": f"Код отправлен покупателю на номер {masked}"}


def customer_code(session: Session, command: ms.CustomerCode, now: datetime) -> dict[str, Any]:
    """POST /counterparty/verify: the code that confirms a new customer's phone."""
    phone = _phone(session.program, command.agent.phone)
    if phone is None:
        raise InvalidInput("A valid phone number is required to send a code.", code="invalid_phone", field="phone")
    return _send_code(session.program, phone, now)


def spending_code(session: Session, command: ms.SpendingCode, now: datetime) -> dict[str, Any]:
    """POST /retaildemand/verify: a code texted to the phone the card was enrolled with (never to a number the
    till sends), so only the card's holder can let points be spent."""
    agent = ms.Agent(command.counterparty_id, None, command.phone, None, None, None)
    card_id = _card_id(session.program, agent, DYNAMO)
    card = card_store.get(card_id) if card_id else None
    if card is None or card.program_id != session.program.program_id or card.status == "erased":
        _missed(session, now)
        raise NotFound("No such customer in this loyalty program.", code="customer_not_found",
                       field="counterpartyId")
    return _send_code(session.program, card.phone, now)


def gift_card(session: Session, command: ms.GiftCardQuery) -> dict[str, Any]:
    """GET /giftcard: we sell no gift cards, so every number is INVALID (MoySklad's status for a certificate
    that cannot be sold or used 'for any reason'); the id is a stable GUID of the program and the number."""
    guid = uuid.uuid5(uuid.NAMESPACE_URL, f"moysklad-giftcard:{session.program.program_id}:{command.name}")
    return {"name": command.name, "id": str(guid), "status": "INVALID"}


# --- receipts -------------------------------------------------------------------------------------------

def _shares(amounts: list[int], discount: int) -> list[int]:
    """`discount` kopecks split over positions in proportion to their amounts, by largest remainder: the
    shares add up to it exactly."""
    total = sum(amounts)
    if not total or not discount:
        return [0] * len(amounts)
    shares = [amount * discount // total for amount in amounts]
    order = sorted(range(len(amounts)), key=lambda i: (-(amounts[i] * discount % total), i))
    for i in order[:discount - sum(shares)]:
        shares[i] += 1
    return shares


def _priced(position: ms.Position, quantity: Decimal, unit_discount: int, serials: list[Any] | None) -> dict[str, Any]:
    price = position.price
    discounted = max(0, price - unit_discount)
    answer = dict(position.raw)
    answer["quantity"] = float(quantity)
    answer["price"] = ms.rubles(price)
    answer["discountedPrice"] = ms.rubles(discounted)
    percent = Decimal(price - discounted) * 100 / price if price else Decimal(0)
    answer["discountPercent"] = float(percent.quantize(Decimal("0.01")))
    if serials is not None:
        answer["sn"] = serials
    return answer


def _discounted(position: ms.Position, share: int) -> list[dict[str, Any]]:
    """The position with `share` kopecks off. A whole quantity whose share does not divide evenly is split in
    two positions (MoySklad allows that, serial numbers split with their units) so the discount is exact to
    the kopeck; a weighed position's unit discount is rounded to the kopeck (it may then differ from its
    share by under a kopeck per unit of weight)."""
    quantity = position.quantity
    if share == 0:
        return [_priced(position, quantity, 0, None)]
    if quantity != quantity.to_integral_value() or quantity == 0:
        unit = min(position.price, ms.half_up(Decimal(share) / quantity)) if quantity else 0
        return [_priced(position, quantity, unit, None)]
    units = int(quantity)
    base, extra = divmod(share, units)
    if extra == 0:
        return [_priced(position, quantity, base, None)]
    raw_sn = position.raw.get("sn")
    serials = raw_sn if isinstance(raw_sn, list) and len(raw_sn) == units else None
    return [_priced(position, Decimal(extra), base + 1, serials[:extra] if serials else None),
            _priced(position, Decimal(units - extra), base, serials[extra:] if serials else None)]


def _lines(positions: tuple[ms.Position, ...], paid: bool) -> list[ReceiptLine]:
    return [ReceiptLine(p.assortment_id, None, float(p.quantity), p.paid if paid else p.amount) for p in positions]


def recalc(session: Session, command: ms.Recalc, raw_agent: dict[str, Any], now: datetime,
           store: LedgerStore = DYNAMO) -> dict[str, Any]:
    """POST /retaildemand/recalc: the receipt with our discount (the points spent) spread over its positions,
    and what the customer holds, spends and earns. Writes nothing (a quote)."""
    program = session.program
    card = _ledger_card(session, command.agent, now, store)
    mechanics = mech.from_stored(program.mechanics)
    today = today_of(program, now)
    state = ledger_rules.expire(card.state, today).state
    total = sum(p.amount for p in command.positions)
    active = card.status == "active"
    lines = _lines(command.positions, paid=False)
    # Priced first: points pay for payable positions only (a product rule may exclude tobacco by its SKU),
    # so the cap is a share of their money and the points' discount is spread over them alone.
    sale = Sale(total=total, lines=tuple(lines), today=today, sold_on=today.isoformat(), receipt_ref="")
    pricing = ledger_rules.earning(mechanics, state.tier, sale).pricing
    most = ledger_rules.max_redeem(mechanics, state, total, today.isoformat(), pricing.payable) if active else 0
    spend = 0
    if command.spending:
        spend = most if command.preferred is None else min(most, command.preferred)
        if spend < mechanics.min_redeem_points:
            spend = 0
    earn = ledger_rules.earn_for(mechanics, state.tier, total, spend, lines, today=today) if active else 0
    payable = {line.index for line in pricing.lines if line.payable}
    shares = _shares([p.amount if index in payable else 0 for index, p in enumerate(command.positions)],
                     spend * mechanics.point_value)
    positions = [answer for position, share in zip(command.positions, shares, strict=True)
                 for answer in _discounted(position, share)]
    after = state.balance - spend + earn
    _remember(program, command.agent, card.card_id, now)
    extra = f"Баллы: списано {spend}, начислено {earn}. Баланс после покупки: {after}."
    return {"agent": raw_agent, "positions": positions,
            "bonusProgram": {"transactionType": "SPENDING" if command.spending else "EARNING",
                             "agentBonusBalance": state.balance, "bonusValueToSpend": spend,
                             "bonusValueToEarn": earn, "agentBonusBalanceAfter": after,
                             "paidByBonusPoints": ms.rubles(spend * mechanics.point_value),
                             "receiptExtraInfo": extra},
            "needVerification": bool(session.verify_spending and spend > 0)}


def _created_at(program: Program, moment: datetime | None, now: datetime) -> str | None:
    """The sale's moment (program-local) as a /pos created_at, when it is one a receipt may carry."""
    if moment is None:
        return None
    local = moment.replace(tzinfo=ZoneInfo(program.timezone))
    if local > now + timedelta(minutes=5) or now - local > timedelta(days=MAX_MOMENT_AGE_DAYS):
        log.info("moysklad_moment_ignored")  # the sale counts today: a till clock off, or the docs' 2016 example
        return None
    return local.isoformat()


def record_sale(session: Session, command: ms.Sale, now: datetime, store: LedgerStore = DYNAMO) -> Result:
    """POST /retaildemand: a receipt `moysklad:<sale id>`. The total is what the positions were charged plus
    the points' value (`bonusValueToSpend` x point value), so points are earned on the money part, as on
    /pos/receipts; the same sale again is a replay and changes nothing. A customer who is not one of ours
    makes an anonymous receipt (kept for analytics); spending points without one is refused."""
    program = session.program
    number, card = None, None
    if command.agent is not None:
        card_id = _card_id(program, command.agent, store)
        card = store.card(card_id, consistent=False) if card_id else None
        if card is not None and card.program_id == program.program_id:
            number = card.number
    mechanics = mech.from_stored(program.mechanics)
    total = sum(p.paid for p in command.positions) + command.spend * mechanics.point_value
    lines = [{"qty": float(p.quantity), "amount": p.paid} | ({"sku": p.assortment_id} if p.assortment_id else {})
             for p in command.positions]
    data: dict[str, Any] = {"receipt_id": command.receipt_id, "card": number, "total": total,
                            "redeem": command.spend, "lines": lines}
    created_at = _created_at(program, command.moment, now)
    if created_at:
        data["created_at"] = created_at
    receipt = pos.at_location(RecordReceipt.parse(data, program, now), program, session.connection.location_id,
                              store)
    result = pos.record_receipt(receipt, program, now, store)
    if card is not None and number is not None:
        _remember(program, command.agent, card.card_id, now)
    return result


def record_return(session: Session, command: ms.Return, now: datetime,
                  store: LedgerStore = DYNAMO) -> Result | None:
    """POST /retailsalesreturn: the linked sale's points given back in proportion to the money returned
    (the positions as charged, over the sale's money part); returning what is left of a sale is exact. None
    when there is nothing to reverse: no linked sale, a sale we never saw, one already fully returned."""
    program = session.program
    previous = store.record(program.program_id, f"refund#{command.refund_id}")
    if previous is not None:
        return Result(previous.response, replay=True)  # the same return again: it was measured the first time
    if command.receipt_id is None:
        log.info("moysklad_return_unlinked")
        return None
    sale = store.record(program.program_id, f"receipt#{command.receipt_id}")
    if sale is None:
        log.info("moysklad_return_unknown_sale")
        return None
    remaining = sale.total - sale.refunded_amount
    if remaining <= 0:
        return None
    mechanics = mech.from_stored(program.mechanics)
    sale_paid = sale.total - sale.redeemed * mechanics.point_value
    returned = sum(p.paid for p in command.positions)
    if sale_paid > 0:
        amount = ms.half_up(Decimal(sale.total) * returned / sale_paid)
    else:  # paid wholly with points: measured by the positions' full prices
        amount = sum(p.amount for p in command.positions)
    if amount >= remaining - len(command.positions):  # what is left of the sale (rounding by the kopeck)
        amount = remaining
    if amount <= 0:
        return None
    refund = RecordRefund.parse({"refund_id": command.refund_id, "receipt_id": command.receipt_id, "amount": amount})
    return pos.record_refund(refund, program, now, store)
