"""Offers and coupons: one-time rewards a customer holds on the card and the POS redeems.

An owner defines offers in `mechanics.offers` (a reward: points, a percentage off or a free item;
conditions: minimum total, products, days and hours; how long an issued one is valid; optionally a
rule that issues it by itself). An issued offer is a `HeldOffer` kept on the card's item (so a receipt
still reads one item); a receipt redeems one by its id, once; refunding the whole receipt gives it
back. Pure.

A favourite-product offer (`auto.rule` "favourite_product") is personal: it is issued for the SKU the
customer bought most (`HeldOffer.sku`), and then its product condition and a free item without a SKU of
its own mean that SKU.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from chalicelib.core import program_texts
from chalicelib.core import validation as v
from chalicelib.core.kinds.base import ReceiptLine, Sale
from chalicelib.core.kinds.earning import spread
from chalicelib.core.percent import WHOLE, percent
from chalicelib.errors import Conflict, InvalidInput, NotFound, RuleViolation

if TYPE_CHECKING:
    from chalicelib.core.mechanics import Mechanics
    from chalicelib.core.products import PricedLine, Pricing

MAX_OFFERS = 30  # definitions in a program's mechanics
MAX_HELD = 20  # live offers on one card
KEEP_DAYS = 90  # a used or expired offer stays on the card this long (a refund may give it back), then goes
MAX_SKUS = 30  # SKUs whose units a card keeps count of (the most bought)
MAX_POINTS = 10_000_000
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # as `date.weekday()` numbers them
REWARDS = ("points", "percent", "free_item")
RULES = ("favourite_product",)
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]"
_NAME_LEN = 120


@dataclass(frozen=True)
class Reward:
    type: str  # points | percent | free_item
    points: int = 0
    percent_bp: int = 0  # basis points off the matching payable money
    item: program_texts.Localized | None = None  # the free item's name
    sku: str | None = None  # the free item's SKU: its unit price comes off when it is on the receipt

    def to_json(self) -> dict[str, Any]:
        if self.type == "points":
            return {"type": "points", "points": self.points}
        if self.type == "percent":
            return {"type": "percent", "percent": percent(self.percent_bp)}
        data: dict[str, Any] = {"type": "free_item", "item": self.item}
        if self.sku is not None:
            data["sku"] = self.sku
        return data


@dataclass(frozen=True)
class Conditions:
    min_total: int = 0  # of the payable money (excluded products do not count)
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # with `skus`: a line matching either qualifies; both empty: any line
    days: tuple[str, ...] = ()  # program-local weekdays ("mon"…); empty: every day
    hours: tuple[str, str] | None = None  # ["HH:MM", "HH:MM") program-local; may run past midnight

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.min_total:
            data["min_total"] = self.min_total
        if self.skus:
            data["skus"] = list(self.skus)
        if self.categories:
            data["categories"] = list(self.categories)
        if self.days:
            data["days"] = list(self.days)
        if self.hours:
            data["hours"] = list(self.hours)
        return data


@dataclass(frozen=True)
class AutoRule:
    """Issue the offer by itself: when a SKU reaches `min_units` bought, at most once in `every_days`."""

    rule: str = "favourite_product"
    min_units: int = 5
    every_days: int = 60

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "min_units": self.min_units, "every_days": self.every_days}


@dataclass(frozen=True)
class OfferDef:
    id: str
    name: program_texts.Localized = ""
    reward: Reward = Reward("points", points=1)
    conditions: Conditions = Conditions()
    valid_days: int = 30
    auto: AutoRule | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "reward": self.reward.to_json(),
                "conditions": self.conditions.to_json(), "valid_days": self.valid_days,
                "auto": self.auto.to_json() if self.auto else None}


@dataclass(frozen=True)
class HeldOffer:
    """An offer issued to a card."""

    held_id: str  # unique on the card; what the POS sends as `offer_id`
    offer: str  # the OfferDef id
    issued_on: str
    expires_on: str | None  # the last day it may be redeemed (program-local, inclusive)
    used_by: str | None = None  # the receipt that redeemed it
    sku: str | None = None  # a personal offer's product (favourite product)
    used_on: str | None = None  # when it was redeemed (how long a used one is kept)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"held_id": self.held_id, "offer": self.offer, "issued_on": self.issued_on,
                                "expires_on": self.expires_on, "used_by": self.used_by}
        if self.sku is not None:
            data["sku"] = self.sku
        if self.used_on is not None:
            data["used_on"] = self.used_on
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeldOffer:
        return cls(data["held_id"], data["offer"], data["issued_on"], data.get("expires_on"), data.get("used_by"),
                   data.get("sku"), data.get("used_on"))

    def status(self, today: date) -> str:
        if self.used_by is not None:
            return "used"
        if self.expires_on is not None and self.expires_on < today.isoformat():
            return "expired"
        return "live"


@dataclass(frozen=True)
class Taken:
    """What redeeming an offer on a receipt does."""

    offers: tuple[HeldOffer, ...]  # the card's offers after it
    used: HeldOffer | None = None
    points: int = 0  # bonus points the offer gives with this receipt (refunded pro rata with it)
    discount: int = 0  # minor units off this receipt the POS applies (a percentage offer, a priced free item)
    per_line: tuple[int, ...] = ()  # the discount by priced line (the lines it covers; adds up to `discount`)
    detail: dict[str, Any] | None = None  # what the receipt's answer says of it (`offer`)


# --- definitions -----------------------------------------------------------------------------------

def parse(raw: object, prefix: str) -> tuple[OfferDef, ...]:
    """`mechanics.offers` from admin JSON, naming the wrong field (`mechanics.offers[2].reward.percent`)."""
    return v.read_definitions(raw, prefix, most=MAX_OFFERS, noun="offer", parse_one=_parse_one)


def _parse_one(raw: object, p: str) -> OfferDef:
    data = v.require_object(raw, p)
    v.reject_unknown(data, {"id", "name", "reward", "conditions", "valid_days", "auto"}, p)
    offer_id = v.read_str(data, "id", prefix=p, required=True, max_len=40, pattern=v.ID_PATTERN, strip=False)
    name = program_texts.read(data, "name", prefix=p, max_len=_NAME_LEN, required=True)
    assert name is not None  # required
    reward = v.read_object(data, "reward", prefix=p)
    if reward is None:
        raise InvalidInput(f"'{p}.reward' is required.", code="required", field=f"{p}.reward")
    auto = v.read_object(data, "auto", prefix=p)
    return OfferDef(offer_id, name, _reward(reward, f"{p}.reward"),
                    _conditions(v.read_object(data, "conditions", prefix=p) or {}, f"{p}.conditions"),
                    v.read_int(data, "valid_days", prefix=p, minimum=1, maximum=365, default=30),
                    _auto(auto, f"{p}.auto") if auto is not None else None)


def _reward(data: dict[str, Any], p: str) -> Reward:
    kind = v.read_str(data, "type", prefix=p, required=True, choices=REWARDS)
    if kind == "points":
        v.reject_unknown(data, {"type", "points"}, p)
        return Reward("points", points=v.read_int(data, "points", prefix=p, required=True, minimum=1,
                                                  maximum=MAX_POINTS))
    if kind == "percent":
        v.reject_unknown(data, {"type", "percent"}, p)
        off = v.read_percent(data, "percent", prefix=p, required=True)
        if not off:
            raise InvalidInput(f"'{p}.percent' must be more than 0.", code="out_of_range", field=f"{p}.percent")
        return Reward("percent", percent_bp=off)
    v.reject_unknown(data, {"type", "item", "sku"}, p)
    return Reward("free_item", item=program_texts.read(data, "item", prefix=p, max_len=_NAME_LEN, required=True),
                  sku=v.read_str(data, "sku", prefix=p, max_len=64))


def _conditions(data: dict[str, Any], p: str) -> Conditions:
    v.reject_unknown(data, {"min_total", "skus", "categories", "days", "hours"}, p)
    days = _listed(data, "days", p, choices=DAYS)
    hours: tuple[str, str] | None = None
    if data.get("hours") is not None:
        raw_hours = v.read_list(data, "hours", prefix=p, max_items=2)
        times = [_time(item, f"{p}.hours[{index}]") for index, item in enumerate(raw_hours)]
        if len(times) != 2 or times[0] == times[1]:  # noqa: PLR2004 (a start and an end)
            raise InvalidInput(f"'{p}.hours' must be two different times, [\"HH:MM\", \"HH:MM\"].",
                               code="invalid_value", field=f"{p}.hours")
        hours = (times[0], times[1])
    return Conditions(min_total=v.read_int(data, "min_total", prefix=p, minimum=0, maximum=10**12, default=0),
                      skus=tuple(_listed(data, "skus", p)), categories=tuple(_listed(data, "categories", p)),
                      days=tuple(day for day in DAYS if day in days), hours=hours)


def _time(value: object, field: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(_TIME, value):
        raise InvalidInput(f"'{field}' must be a time written HH:MM.", code="invalid_format", field=field)
    return value


def _listed(data: dict[str, Any], name: str, p: str, choices: tuple[str, ...] | None = None) -> list[str]:
    """A list of short strings (SKUs, categories, weekdays), each error naming its place."""
    clean: list[str] = []
    for index, item in enumerate(v.read_list(data, name, prefix=p, max_items=50)):
        place = f"{name}[{index}]"
        clean.append(v.read_str({place: item}, place, prefix=p, required=True, max_len=64, choices=choices))
    return clean


def _auto(data: dict[str, Any], p: str) -> AutoRule:
    v.reject_unknown(data, {"rule", "min_units", "every_days"}, p)
    return AutoRule(v.read_str(data, "rule", prefix=p, required=True, choices=RULES),
                    v.read_int(data, "min_units", prefix=p, minimum=1, maximum=1000, default=5),
                    v.read_int(data, "every_days", prefix=p, minimum=1, maximum=365, default=60))


def to_json(offers: tuple[OfferDef, ...]) -> list[dict[str, Any]]:
    return [offer.to_json() for offer in offers]


def definition(mechanics: Mechanics, offer_id: str) -> OfferDef | None:
    return next((offer for offer in mechanics.offers if offer.id == offer_id), None)


# --- redeeming ---------------------------------------------------------------------------------------

def take(held: tuple[HeldOffer, ...], mechanics: Mechanics, sale: Sale, pricing: Pricing,
         held_id: str | None) -> Taken:
    """Redeem offer `held_id` on this sale, or RuleViolation (offer_not_found, offer_used, offer_expired,
    offer_not_applicable) naming `offer_id`. None: nothing redeemed."""
    if held_id is None:
        return Taken(held)
    offer = next((item for item in held if item.held_id == held_id), None)
    rules = definition(mechanics, offer.offer) if offer is not None else None
    if offer is None or rules is None:  # never issued here, dropped, or its definition was deleted
        raise RuleViolation("This card holds no such offer.", code="offer_not_found", field="offer_id")
    status = offer.status(sale.today)
    if status == "used":
        raise RuleViolation("This offer was already used.", code="offer_used", field="offer_id")
    if status == "expired":
        raise RuleViolation(f"This offer was valid until {offer.expires_on}.", code="offer_expired", field="offer_id")
    per_line = _worth(offer, rules, sale, pricing)
    if per_line is None:
        raise RuleViolation("This receipt does not meet the offer's conditions.", code="offer_not_applicable",
                            field="offer_id")
    discount = sum(per_line)
    used = replace(offer, used_by=sale.receipt_ref, used_on=sale.today.isoformat())
    points = rules.reward.points if rules.reward.type == "points" else 0
    detail = {**view(used, mechanics, None, sale.today), **({"points": points} if points else {}),
              **({"discount": discount} if discount else {})}
    return Taken(tuple(used if item.held_id == held_id else item for item in held), used, points, discount, per_line,
                 detail)


def _worth(offer: HeldOffer, rules: OfferDef, sale: Sale, pricing: Pricing) -> tuple[int, ...] | None:
    """The money off each priced line of this sale if the offer applies to it (none for points or a free
    item the cashier hands over), None if its conditions are not met. A percentage comes off the lines it
    covers (rounded down once, shared by largest remainder); a free item off its own line."""
    terms = rules.conditions
    matching = _matching(offer, terms, pricing) if _in_time(terms, sale) else None
    if matching is None or pricing.payable < terms.min_total:
        return None
    reward = rules.reward
    nothing = tuple(0 for _ in pricing.lines)
    if reward.type == "percent":
        covered = {id(line) for line in matching}
        return spread([Fraction(line.net * reward.percent_bp, WHOLE) if id(line) in covered else Fraction(0)
                       for line in pricing.lines])
    if reward.type == "free_item":
        sku = reward.sku or offer.sku
        if sku is None:
            return nothing  # a free item without a SKU: the cashier hands it over, nothing is priced
        free = next((line for line in _payable(pricing) if line.sku == sku), None)
        if free is None:
            return None
        return tuple(_unit_price(line) if line is free else 0 for line in pricing.lines)
    return nothing


def _in_time(terms: Conditions, sale: Sale) -> bool:
    """The sale's weekday and time are the offer's: the day and time it happened at the till, not the day
    it was sent (a sale whose time is not known passes the hours)."""
    if terms.days and DAYS[date.fromisoformat(sale.sold_on).weekday()] not in terms.days:
        return False
    return not (terms.hours and sale.local_time is not None and not _within(sale.local_time, terms.hours))


def _payable(pricing: Pricing) -> list[PricedLine]:
    return [line for line in pricing.lines if not line.excluded and line.net > 0]


def _matching(offer: HeldOffer, terms: Conditions, pricing: Pricing) -> list[PricedLine] | None:
    """The payable lines the offer's products condition picks (all of them without one); None when it
    names products and none of them is on the receipt."""
    lines = _payable(pricing)
    if offer.sku is not None:  # a personal offer is for its product
        picked = [line for line in lines if line.sku == offer.sku]
    elif terms.skus or terms.categories:
        picked = [line for line in lines if line.sku in terms.skus or line.category in terms.categories]
    else:
        return lines
    return picked or None


def _unit_price(line: PricedLine) -> int:
    """One unit of a line (a weighed line is one unit)."""
    units = max(1, math.floor(line.qty))
    return line.net // units


def _within(moment: str, hours: tuple[str, str]) -> bool:
    start, end = hours
    return start <= moment < end if start < end else moment >= start or moment < end


def give_back(held: tuple[HeldOffer, ...], held_id: str | None, receipt_ref: str) -> tuple[HeldOffer, ...]:
    """A fully refunded receipt's offer is the card's again (if it is still valid: an expired one comes
    back expired). Only the receipt that used it gives it back, so a second refund does nothing."""
    return tuple(replace(item, used_by=None, used_on=None)
                 if item.held_id == held_id and item.used_by == receipt_ref else item for item in held)


# --- issuing -----------------------------------------------------------------------------------------

def tally(counts: dict[str, int], lines: Sequence[ReceiptLine]) -> dict[str, int]:
    """Units bought by SKU (what a favourite-product offer reads): a whole count per line with a positive
    amount (a weighed line is one unit); only the MAX_SKUS most bought are kept, so the card stays small."""
    if not lines:
        return counts
    total = dict(counts)
    for line in lines:
        if line.sku and line.amount > 0 and line.qty > 0:
            total[line.sku] = total.get(line.sku, 0) + max(1, math.floor(line.qty))
    if len(total) > MAX_SKUS:
        kept = sorted(total.items(), key=lambda item: (-item[1], item[0]))[:MAX_SKUS]
        total = dict(kept)
    return total


def auto_issue(held: tuple[HeldOffer, ...], mechanics: Mechanics, counts: dict[str, int], today: date,
               seed: str) -> tuple[tuple[HeldOffer, ...], dict[str, int]]:
    """Offers the program's rules issue by themselves after a sale (a favourite product); `seed` makes
    their held ids unique. Returns the card's offers with the new ones, and the units by SKU after them:
    an issued offer's product counts again from what is left over its `min_units` (five lattes bought
    once give one free latte, not one every period for ever)."""
    counts = dict(counts)
    for index, rules in enumerate(mechanics.offers):
        if rules.auto is None:
            continue
        since = (today - timedelta(days=rules.auto.every_days - 1)).isoformat()
        if any(item.offer == rules.id and item.sku is not None and item.issued_on >= since for item in held):
            continue
        favourites = [(units, sku) for sku, units in counts.items() if units >= rules.auto.min_units]
        if favourites:
            _, sku = min(favourites, key=lambda pair: (-pair[0], pair[1]))  # the most bought; ties: by SKU
            issued = issue(held, mechanics, rules.id, today, f"{seed}a{index}", sku=sku)
            if any(item.sku == sku and item.offer == rules.id and item.issued_on == today.isoformat()
                   for item in issued if item not in held):
                left = counts[sku] - rules.auto.min_units
                counts = {name: units for name, units in counts.items() if name != sku} | ({sku: left} if left else {})
            held = issued
    return held, counts


def issue(held: tuple[HeldOffer, ...], mechanics: Mechanics, offer_id: str, today: date,  # noqa: PLR0913 (the card's offers, the rules, what is issued)
          held_id: str, *, sku: str | None = None, strict: bool = False) -> tuple[HeldOffer, ...]:
    """Offer `offer_id` issued to the card (by an admin, a campaign or a completed challenge). A card
    holds at most MAX_HELD live offers; used and expired ones are dropped KEEP_DAYS later. `strict`
    (an admin asking): NotFound offer_not_found / Conflict too_many_offers; otherwise (a rule issuing
    on a receipt) an offer that cannot be issued is not, and the receipt goes on."""
    rules = definition(mechanics, offer_id)
    kept = _prune(held, mechanics, today)
    if rules is None:
        if strict:
            raise NotFound("The program has no such offer.", code="offer_not_found", field="offer")
        return kept
    if sum(1 for item in kept if item.status(today) == "live") >= MAX_HELD:
        if strict:
            raise Conflict(f"A card holds at most {MAX_HELD} live offers.", code="too_many_offers", field="offer")
        return kept
    until = (today + timedelta(days=rules.valid_days - 1)).isoformat()
    return (*kept, HeldOffer(_unique(held, held_id), offer_id, today.isoformat(), until, sku=sku))


def _unique(held: tuple[HeldOffer, ...], held_id: str) -> str:
    """`held_id`, or with a suffix when the card already holds it: two campaigns run together issue with
    the same moment, and the POS must name each offer apart."""
    taken = {item.held_id for item in held}
    unique, n = held_id, 1
    while unique in taken:
        n += 1
        unique = f"{held_id}-{n}"
    return unique


def _prune(held: tuple[HeldOffer, ...], mechanics: Mechanics, today: date) -> tuple[HeldOffer, ...]:
    """Used and expired offers KEEP_DAYS after they were (a favourite-product one also while it still
    holds back the next automatic issue)."""
    cutoff = (today - timedelta(days=KEEP_DAYS)).isoformat()

    def kept(item: HeldOffer) -> bool:
        status = item.status(today)
        if status == "live":
            return True
        ended = item.used_on if status == "used" else item.expires_on
        if ended is not None and ended >= cutoff:
            return True
        rules = definition(mechanics, item.offer)
        if item.sku is not None and rules is not None and rules.auto is not None:
            return item.issued_on >= (today - timedelta(days=rules.auto.every_days)).isoformat()
        return False

    return tuple(item for item in held if kept(item))


def withdraw(held: tuple[HeldOffer, ...], held_id: str) -> tuple[HeldOffer, ...]:
    """The card's offers without `held_id` (an admin took it back), or NotFound offer_not_found."""
    if not any(item.held_id == held_id for item in held):
        raise NotFound("This card holds no such offer.", code="offer_not_found")
    return tuple(item for item in held if item.held_id != held_id)


# --- what customers, cashiers and admins see -------------------------------------------------------------

def view(held_offer: HeldOffer, mechanics: Mechanics, lang: str | None, today: date) -> dict[str, Any]:
    """An offer as the card page, the admin API and the POS show it; `lang` None: the program's first
    language. A held offer whose definition was deleted shows its definition's id as its name."""
    rules = definition(mechanics, held_offer.offer)
    reward = rules.reward.to_json() if rules is not None else None
    if reward is not None and reward.get("item") is not None:
        reward["item"] = program_texts.pick(reward["item"], lang)
    data: dict[str, Any] = {"id": held_offer.held_id, "offer": held_offer.offer,
                            "name": program_texts.pick(rules.name, lang) if rules is not None else held_offer.offer,
                            "reward": reward, "valid_until": held_offer.expires_on,
                            "status": held_offer.status(today) if rules is not None else "expired"}
    if held_offer.sku is not None:
        data["sku"] = held_offer.sku
    return data


def live(held: tuple[HeldOffer, ...], mechanics: Mechanics, sale: Sale, pricing: Pricing,
         today: date) -> list[dict[str, Any]]:
    """The card's live offers for a quote, each saying whether it would apply to this sale."""
    views = []
    for item in held:
        rules = definition(mechanics, item.offer)
        if rules is None or item.status(today) != "live":
            continue
        applicable = _worth(item, rules, sale, pricing) is not None
        views.append({**view(item, mechanics, None, today), "applicable": applicable})
    return views


