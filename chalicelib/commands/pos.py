"""The POS routes' commands: a receipt, a refund, a quote, a card number. Parsing that needs the
program (its currency, the business day in its time zone) happens in `parse(body, program, now)`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.commands import body_hash
from chalicelib.core import card_number, clock
from chalicelib.core import validation as v
from chalicelib.core.kinds import ReceiptLine
from chalicelib.errors import InvalidInput, RuleViolation

MAX_TOTAL = 10**12
MAX_RECEIPT_AGE_DAYS = 366  # a till that was offline uploads late, but not from another year (or year 1)
MAX_LINES = 500
MAX_QTY = 1_000_000


class ProgramTerms(Protocol):
    """What parsing reads of the program a command is for."""

    @property
    def currency(self) -> str: ...
    @property
    def timezone(self) -> str: ...


def card_number_of(raw: object, field: str = "card") -> str:
    """A card number as typed at a till, normalised, or 400 invalid_card_number naming `field`."""
    number = card_number.normalise(raw) if isinstance(raw, str) else None
    if number is None:
        raise InvalidInput("Not a card number: 12 digits with a valid check digit.", code="invalid_card_number",
                           field=field)
    return number


def _required_int(data: dict[str, Any], name: str, minimum: int, prefix: str = "") -> int:
    value = v.read_int(data, name, prefix=prefix, required=True, minimum=minimum, maximum=MAX_TOTAL)
    assert value is not None  # required=True never answers None (H4 adds the typed overload)
    return value


def _required_id(data: dict[str, Any], name: str) -> str:
    value = v.read_str(data, name, required=True, max_len=64, pattern=v.ID_PATTERN, strip=False)
    assert value is not None
    return value


def _lines(data: dict[str, Any]) -> tuple[ReceiptLine, ...] | None:
    if data.get("lines") is None:
        return None
    clean = []
    for index, raw in enumerate(v.read_list(data, "lines", max_items=MAX_LINES)):
        p = f"lines[{index}]"
        line = v.require_object(raw, p)
        v.reject_unknown(line, {"sku", "name", "qty", "amount", "category"}, p)
        qty = line.get("qty", 1)
        if isinstance(qty, bool) or not isinstance(qty, (int, float)) or qty < 0 or qty > MAX_QTY:
            raise InvalidInput(f"'{p}.qty' must be a number from 0 to {MAX_QTY}.", code="invalid_value",
                               field=f"{p}.qty")
        sku = v.read_str(line, "sku", prefix=p, max_len=64)
        name = v.read_str(line, "name", prefix=p, max_len=200)
        category = v.read_str(line, "category", prefix=p, max_len=64)
        clean.append(ReceiptLine(sku, name, qty, _required_int(line, "amount", -MAX_TOTAL, prefix=p), category))
    return tuple(clean)


def _currency(program: ProgramTerms, data: dict[str, Any]) -> str:
    currency = v.read_str(data, "currency", pattern=r"[A-Z]{3}", max_len=3) or program.currency
    if currency != program.currency:
        raise RuleViolation(f"This program counts money in {program.currency}.", code="currency_mismatch",
                            field="currency")
    return currency


def _sale_moment(program: ProgramTerms, data: dict[str, Any], now: datetime) -> tuple[str, str | None]:
    """The program-local day the sale happened at the till (`created_at`), today without one, and its
    program-local "HH:MM" when the till sent it (offers valid at some days and hours read the sale's)."""
    raw = v.read_str(data, "created_at", max_len=40)
    if raw is None:
        return clock.local_day(now, program.timezone).isoformat(), None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("'created_at' must be an ISO-8601 time with an offset.", code="invalid_format",
                           field="created_at") from None
    if moment.tzinfo is None:
        raise InvalidInput("'created_at' needs an offset (e.g. +03:00 or Z).", code="invalid_format",
                           field="created_at")
    if (moment - now).total_seconds() > 300:
        raise InvalidInput("'created_at' is in the future.", code="invalid_value", field="created_at")
    if (now - moment).days > MAX_RECEIPT_AGE_DAYS:
        raise InvalidInput(f"'created_at' is more than {MAX_RECEIPT_AGE_DAYS} days ago.", code="invalid_value",
                           field="created_at")
    local = moment.astimezone(clock.zone(program.timezone))
    return clock.local_day(moment, program.timezone).isoformat(), local.strftime("%H:%M")


@dataclass(frozen=True)
class RecordReceipt:
    """POST /pos/receipts. `card` is the normalised card number, or None for a sale without a card."""

    receipt_id: str
    total: int
    redeem: int
    currency: str
    business_day: str
    card: str | None
    lines: tuple[ReceiptLine, ...] | None
    request_hash: str
    rewards: int = 0  # a stamp card's full cards redeemed with this receipt
    offer_id: str | None = None  # a held offer redeemed with this receipt
    local_time: str | None = None  # "HH:MM" program-local of `created_at`; None when the till sent none
    location_id: str | None = None  # the location it was sold at (core/locations.py); None: unknown
    actor: str | None = None  # the cashier (staff id) whose till page recorded it; None: a POS system

    @classmethod
    def parse(cls, data: dict[str, Any], program: ProgramTerms, now: datetime) -> RecordReceipt:
        v.reject_unknown(data, {"receipt_id", "card", "total", "currency", "lines", "redeem", "created_at", "rewards",
                                "offer_id", "location_id"})
        receipt_id = _required_id(data, "receipt_id")
        total = _required_int(data, "total", 0)
        redeem = v.read_int(data, "redeem", minimum=0, maximum=MAX_TOTAL, default=0) or 0
        rewards = v.read_int(data, "rewards", minimum=0, maximum=1000, default=0) or 0
        offer_id = v.read_str(data, "offer_id", max_len=64, pattern=v.ID_PATTERN, strip=False)
        # where it was sold, named by a whole-program key (a central POS of several locations); a location's
        # key's own location is set by the use case (usecases/pos.at_location), which checks this one
        location_id = v.read_str(data, "location_id", max_len=64, pattern=v.ID_PATTERN, strip=False)
        lines = _lines(data)
        currency = _currency(program, data)
        business_day, local_time = _sale_moment(program, data, now)
        raw_card = data.get("card")
        if raw_card is None and redeem:
            raise RuleViolation("Points can be redeemed only with a card.", code="redeem_without_card", field="redeem")
        if raw_card is None and (rewards or offer_id):
            raise RuleViolation("Rewards and offers can be redeemed only with a card.", code="redeem_without_card",
                                field="rewards" if rewards else "offer_id")
        card = None if raw_card is None else card_number_of(raw_card)
        return cls(receipt_id, total, redeem, currency, business_day, card, lines, body_hash(data), rewards, offer_id,
                   local_time, location_id)

    @property
    def record_key(self) -> str:
        return f"receipt#{self.receipt_id}"

    def record_fields(self) -> dict[str, Any]:
        lines = None if self.lines is None else [line.to_json() for line in self.lines]
        fields = {"total": self.total, "currency": self.currency, "lines": lines, "business_day": self.business_day}
        if self.location_id is not None:
            fields["location_id"] = self.location_id
        if self.actor is not None:
            fields["actor"] = self.actor
        return fields


@dataclass(frozen=True)
class RecordRefund:
    """POST /pos/refunds: `amount` more of receipt `receipt_id` given back."""

    refund_id: str
    receipt_id: str
    amount: int
    request_hash: str
    actor: str | None = None  # the cashier (staff id) whose till page recorded it; None: a POS system

    @classmethod
    def parse(cls, data: dict[str, Any]) -> RecordRefund:
        v.reject_unknown(data, {"refund_id", "receipt_id", "amount"})
        refund_id = _required_id(data, "refund_id")
        receipt_id = _required_id(data, "receipt_id")
        return cls(refund_id, receipt_id, _required_int(data, "amount", 1), body_hash(data))

    @property
    def record_key(self) -> str:
        return f"refund#{self.refund_id}"


@dataclass(frozen=True)
class Quote:
    """POST /pos/quote: what a receipt of `total` would earn and may redeem with card `card`."""

    card: str
    total: int
    lines: tuple[ReceiptLine, ...] = ()  # handed to the program's kind, as a receipt's are

    @classmethod
    def parse(cls, data: dict[str, Any], program: ProgramTerms) -> Quote:
        v.reject_unknown(data, {"card", "total", "lines", "currency"})
        total = _required_int(data, "total", 0)
        lines = _lines(data)
        _currency(program, data)
        return cls(card_number_of(data.get("card")), total, lines or ())


@dataclass(frozen=True)
class LookUpCard:
    """GET /pos/cards/{number}."""

    number: str

    @classmethod
    def parse(cls, raw: object) -> LookUpCard:
        return cls(card_number_of(raw, "card_number"))
