"""MoySklad LoyaltyAPI 1.0 requests (the Касса МойСклад calls us), read once at the edge into typed commands.

MoySklad's own units and formats are turned into ours here and nowhere else:
- money: prices are roubles with two decimals (`123.45`); we count kopecks (integers). A position's amount is
  `price x quantity` rounded half up to the kopeck; quantities have three decimals (a weight: `0.35`);
- dates: `"YYYY-MM-DD HH:MM:SS"` without a zone (the program's local time);
- a customer is named by MoySklad's `meta.id`, or by what we gave the till in a search: our id (a GUID made
  from the card number, `customer_guid`), the card number (`discountCardNumber`) or the phone.
Unknown members are let through, not refused: MoySklad adds fields to its requests over time (CHANGELOG), and
a till that is refused a sale for a field we do not know would stop selling. What we read is checked with the
strict readers of core/validation (types, lengths, bounds), and a refusal names MoySklad's field."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from chalicelib.core import card_number
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

MAX_POSITIONS = 500
MAX_PRICE = Decimal(10**10)  # roubles: ten billion, far above any till's price
MAX_QUANTITY = Decimal(1_000_000)
MAX_POINTS = 10**12
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # MoySklad's `moment`, `birthDate`, `expireDate`
_GUID_PREFIX = "4c4f5941-4c54-4000-8000-"  # 'LOYALT' in hex: our customer id is this and the card number
_MS_ID = r"[A-Za-z0-9._:\-]{1,48}"  # MoySklad's ids are GUIDs; 48 keeps 'moysklad-return:<id>' within 64
KOPECKS = Decimal(100)


def customer_guid(number: str) -> str:
    """Our customer id as MoySklad wants it (a GUID): made from the 12-digit card number, so it needs no table."""
    return _GUID_PREFIX + number


def number_of_guid(guid: str) -> str | None:
    if guid.lower().startswith(_GUID_PREFIX) and card_number.normalise(guid[len(_GUID_PREFIX):]):
        return guid[len(_GUID_PREFIX):]
    return None


def rubles(kopecks: Decimal | int) -> float:
    """Kopecks as MoySklad's roubles with two decimals (a JSON number)."""
    return float((Decimal(kopecks) / KOPECKS).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _decimal(data: dict[str, Any], name: str, prefix: str, *, required: bool, maximum: Decimal,
             places: int) -> Decimal | None:
    field = f"{prefix}.{name}" if prefix else name
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"'{field}' is required.", code="required", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"'{field}' must be a number.", code="invalid_type", field=field)
    try:
        number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise InvalidInput(f"'{field}' is not a number we can read.", code="invalid_number", field=field) from None
    if number < 0 or number > maximum:
        raise InvalidInput(f"'{field}' must be from 0 to {maximum}.", code="out_of_range", field=field)
    return number


def _points(data: dict[str, Any], name: str, prefix: str = "") -> int:
    """Points MoySklad sends as a number; whole points only (`150` or `150.0`)."""
    number = _decimal(data, name, prefix, required=False, maximum=Decimal(MAX_POINTS), places=3)
    if number is None:
        return 0
    if number != number.to_integral_value():
        field = f"{prefix}.{name}" if prefix else name
        raise InvalidInput(f"'{field}' must be a whole number of points.", code="invalid_value", field=field)
    return int(number)


def _object(data: dict[str, Any], name: str, prefix: str = "", *, required: bool = False) -> dict[str, Any]:
    value = v.read_object(data, name, prefix=prefix)
    if value is None:
        if required:
            field = f"{prefix}.{name}" if prefix else name
            raise InvalidInput(f"'{field}' is required.", code="required", field=field)
        return {}
    return value


def _meta_id(data: dict[str, Any], prefix: str, *, required: bool = False) -> str | None:
    meta = _object(data, "meta", prefix, required=required)
    raw = v.read_str(meta, "id", prefix=f"{prefix}.meta" if prefix else "meta", max_len=100)
    if not raw:
        if required:
            field = f"{prefix}.meta.id" if prefix else "meta.id"
            raise InvalidInput(f"'{field}' is required.", code="required", field=field)
        return None
    return raw


def _ms_id(raw: str | None, field: str) -> str | None:
    """A MoySklad document id we put into our receipt and refund ids."""
    if raw is None:
        return None
    if not re.fullmatch(_MS_ID, raw):
        raise InvalidInput(f"'{field}' must be a MoySklad id (a GUID).", code="invalid_format", field=field)
    return raw


def _store_id(data: dict[str, Any]) -> str | None:
    store = _object(data, "retailStore")
    return _meta_id(store, "retailStore") if store else None


def read_moment(raw: str | None, field: str) -> datetime | None:
    """MoySklad's `"YYYY-MM-DD HH:MM:SS"` (no zone: local time), or None when absent."""
    if not raw:
        return None
    try:
        return datetime.strptime(raw, DATE_FORMAT)
    except ValueError:
        raise InvalidInput(f"'{field}' must be a date as 'YYYY-MM-DD HH:MM:SS'.", code="invalid_format",
                           field=field) from None


# --- customers ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Agent:
    """A customer as the till names one: MoySklad's id and whatever else it knows."""

    meta_id: str | None
    card_number: str | None  # `discountCardNumber`, normalised when it is one of our card numbers
    phone: str | None  # as typed; normalised with the program's country by the use case
    name: str | None
    email: str | None
    birthday: str | None  # YYYY-MM-DD

    @classmethod
    def parse(cls, data: dict[str, Any], prefix: str = "") -> Agent:
        raw_number = v.read_str(data, "discountCardNumber", prefix=prefix, max_len=64)
        names = [v.read_str(data, part, prefix=prefix, max_len=100)
                 for part in ("legalLastName", "legalFirstName", "legalMiddleName")]
        name = v.read_str(data, "name", prefix=prefix, max_len=100) or " ".join(n for n in names if n) or None
        birth = read_moment(v.read_str(data, "birthDate", prefix=prefix, max_len=40),
                            f"{prefix}.birthDate" if prefix else "birthDate")
        v.read_str(data, "sex", prefix=prefix, max_len=10, choices=("MALE", "FEMALE"))
        return cls(meta_id=_meta_id(data, prefix),
                   card_number=card_number.normalise(raw_number) if raw_number else None,
                   phone=v.read_str(data, "phone", prefix=prefix, max_len=40),
                   name=name[:100] if name else None,
                   email=v.read_str(data, "email", prefix=prefix, max_len=254),
                   birthday=birth.date().isoformat() if birth else None)


@dataclass(frozen=True)
class NewCustomer:
    """POST /counterparty: a customer the cashier registers at the till."""

    store_id: str | None
    agent: Agent
    status_check: str  # UNCHECKED | CHECKED | IGNORE

    @classmethod
    def parse(cls, data: dict[str, Any]) -> NewCustomer:
        status = v.read_str(data, "statusCheck", max_len=20, choices=("UNCHECKED", "CHECKED", "IGNORE"))
        v.read_str(data, "syncId", max_len=100)
        return cls(_store_id(data), Agent.parse(data), status or "UNCHECKED")


@dataclass(frozen=True)
class CustomerCode:
    """POST /counterparty/verify: text a code to the customer being registered (the till checks it)."""

    store_id: str | None
    agent: Agent

    @classmethod
    def parse(cls, data: dict[str, Any]) -> CustomerCode:
        return cls(_store_id(data), Agent.parse(data))


@dataclass(frozen=True)
class Search:
    """GET /counterparty?search=…&retailStoreId=…"""

    search: str
    store_id: str

    @classmethod
    def parse(cls, params: dict[str, str]) -> Search:
        store = v.read_str(params, "retailStoreId", required=True, max_len=100)
        return cls(v.read_str(params, "search", max_len=100) or "", store)


@dataclass(frozen=True)
class CustomerDetail:
    """POST /counterparty/detail: one customer's balance."""

    store_id: str | None
    agent: Agent

    @classmethod
    def parse(cls, data: dict[str, Any]) -> CustomerDetail:
        _object(data, "meta", required=True)
        return cls(_store_id(data), Agent.parse(data))


@dataclass(frozen=True)
class SpendingCode:
    """POST /retaildemand/verify: text the customer a code before points are spent."""

    store_id: str | None
    counterparty_id: str
    phone: str | None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> SpendingCode:
        return cls(_store_id(data), v.read_str(data, "counterpartyId", required=True, max_len=100),
                   v.read_str(data, "phone", max_len=40))


@dataclass(frozen=True)
class GiftCardQuery:
    """GET /giftcard?name=…&retailStoreId=…"""

    name: str
    store_id: str

    @classmethod
    def parse(cls, params: dict[str, str]) -> GiftCardQuery:
        store = v.read_str(params, "retailStoreId", required=True, max_len=100)
        return cls(v.read_str(params, "name", required=True, max_len=100), store)


# --- receipts -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Position:
    """One position of a receipt: `raw` is the position as sent (answered back with our discount)."""

    raw: dict[str, Any]
    assortment_id: str | None
    quantity: Decimal
    price: int  # kopecks per unit
    discounted_price: int | None  # kopecks per unit, as the till charged (sale and return)

    @property
    def amount(self) -> int:
        """The position at its full price, in kopecks."""
        return half_up(self.price * self.quantity)

    @property
    def paid(self) -> int:
        """The position as charged (after discounts), in kopecks."""
        return half_up((self.price if self.discounted_price is None else self.discounted_price) * self.quantity)


def _positions(data: dict[str, Any]) -> tuple[Position, ...]:
    positions = []
    for index, raw in enumerate(v.read_list(data, "positions", max_items=MAX_POSITIONS)):
        p = f"positions[{index}]"
        item = v.require_object(raw, p)
        assortment = _object(item, "assortment", p)
        assortment_id = _meta_id(assortment, f"{p}.assortment") if assortment else None
        quantity = _decimal(item, "quantity", p, required=True, maximum=MAX_QUANTITY, places=3)
        price = _decimal(item, "price", p, required=True, maximum=MAX_PRICE, places=2)
        discounted = _decimal(item, "discountedPrice", p, required=False, maximum=MAX_PRICE, places=2)
        _decimal(item, "discountPercent", p, required=False, maximum=Decimal(100), places=2)
        v.read_list(item, "sn", prefix=p, max_items=10_000)
        assert quantity is not None and price is not None  # required
        positions.append(Position(item, (assortment_id or "")[:64] or None, quantity, int(price * KOPECKS),
                                  None if discounted is None else int(discounted * KOPECKS)))
    return tuple(positions)


def _document_id(data: dict[str, Any], kind: str, store_id: str | None) -> str:
    """The sale's or return's MoySklad id (`meta.id`). The documentation's examples send it empty; then the
    document is named by what identifies it at the till (its store, number and moment), so a resend of the
    same document is still the same id."""
    raw = _ms_id(_meta_id(data, ""), "meta.id")
    if raw:
        return raw
    name = v.read_str(data, "name", max_len=100) or ""
    moment = v.read_str(data, "moment", max_len=40) or ""
    if not name and not moment:
        raise InvalidInput(f"The {kind} needs 'meta.id' (or its 'name' and 'moment').", code="required",
                           field="meta.id")
    digest = hashlib.sha256(f"{store_id}\n{name}\n{moment}".encode()).hexdigest()[:32]
    return f"h-{digest}"


@dataclass(frozen=True)
class Recalc:
    """POST /retaildemand/recalc: the receipt before discounts; we answer it with ours applied."""

    store_id: str | None
    agent: Agent
    positions: tuple[Position, ...]
    spending: bool  # bonusProgram.transactionType SPENDING
    preferred: int | None  # preferredBonusToSpend: points the customer wants to spend (None: as many as allowed)

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Recalc:
        bonus = _object(data, "bonusProgram")
        kind = v.read_str(bonus, "transactionType", prefix="bonusProgram", max_len=10,
                          choices=("EARNING", "SPENDING")) or "EARNING"
        preferred = None if data.get("preferredBonusToSpend") is None else _points(data, "preferredBonusToSpend")
        return cls(_store_id(data), Agent.parse(_object(data, "agent", required=True), "agent"), _positions(data),
                   kind == "SPENDING" or bool(preferred), preferred)


@dataclass(frozen=True)
class Sale:
    """POST /retaildemand: the sale as the till closed it."""

    sale_id: str
    store_id: str | None
    moment: datetime | None
    agent: Agent | None
    positions: tuple[Position, ...]
    spend: int  # bonusProgram.bonusValueToSpend
    earn: int  # bonusProgram.bonusValueToEarn (what we told the till; we compute it again)

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Sale:
        store_id = _store_id(data)
        sale_id = _document_id(data, "sale", store_id)
        moment = read_moment(v.read_str(data, "moment", max_len=40), "moment")
        agent = _object(data, "agent")
        bonus = _object(data, "bonusProgram")
        for name in ("cashSum", "noCashSum"):
            _decimal(data, name, "", required=False, maximum=MAX_PRICE * KOPECKS, places=2)
        for index, card in enumerate(v.read_list(data, "giftCards", max_items=100)):
            v.require_object(card, f"giftCards[{index}]")
        return cls(sale_id, store_id, moment, Agent.parse(agent, "agent") if agent else None, _positions(data),
                   _points(bonus, "bonusValueToSpend", "bonusProgram"),
                   _points(bonus, "bonusValueToEarn", "bonusProgram"))

    @property
    def receipt_id(self) -> str:
        return f"moysklad:{self.sale_id}"


@dataclass(frozen=True)
class Return:
    """POST /retailsalesreturn: goods given back; no points in it (we reverse them from the linked sale)."""

    return_id: str
    sale_id: str | None
    store_id: str | None
    positions: tuple[Position, ...]

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Return:
        store_id = _store_id(data)
        return_id = _document_id(data, "return", store_id)
        demand = _object(data, "demand")
        sale_id = _ms_id(_meta_id(demand, "demand"), "demand.meta.id") if demand else None
        _object(data, "agent")
        read_moment(v.read_str(data, "moment", max_len=40), "moment")
        for name in ("cashSum", "noCashSum"):
            _decimal(data, name, "", required=False, maximum=MAX_PRICE * KOPECKS, places=2)
        return cls(return_id, sale_id, store_id, _positions(data))

    @property
    def refund_id(self) -> str:
        return f"moysklad-return:{self.return_id}"

    @property
    def receipt_id(self) -> str | None:
        return None if self.sale_id is None else f"moysklad:{self.sale_id}"


def birthday_of(agent: Agent, today: date) -> str | None:
    """A birthday we can keep: a real past date (the documentation's example, 2023-07-14, is one)."""
    if agent.birthday is None:
        return None
    day = date.fromisoformat(agent.birthday)
    return agent.birthday if day <= today and day.year >= today.year - 120 else None


@dataclass(frozen=True)
class NewConnection:
    """POST /admin/programs/{id}/integrations/moysklad: `label` (which account or shop), `verify_spending`
    (the till asks the customer for a texted code before points are spent)."""

    label: str | None
    verify_spending: bool

    @classmethod
    def parse(cls, data: dict[str, Any]) -> NewConnection:
        v.reject_unknown(data, {"label", "verify_spending"})
        return cls(v.read_str(data, "label", max_len=80), v.read_bool(data, "verify_spending", default=False))
