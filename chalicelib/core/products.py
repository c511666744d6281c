"""Product rules: how each line of a receipt earns and whether points may pay for it.

A program's `mechanics.products` is a list of rules matched against a receipt's lines by SKU or
category (the first rule that matches a line wins): a line may earn at its own rate or a multiplier of
the tier's rate, earn nothing and be unpayable with points or stamps (excluded: tobacco by law, alcohol,
gift cards), or earn more for a limited time (a promotion with `from`/`until`, program-local days,
inclusive, read on the day the sale happened). `price` turns a sale into priced lines the kinds, offers
and challenges read. Pure: no store, no clock.

Money of a receipt is shared out so that the lines' shares (`net`) always add up to its `total`:
- no lines sent: one whole line of the total, at the tier's rate, which earns exactly as before
  product rules existed;
- lines adding up to less than the total: the difference is an unlisted remainder line (index None)
  at the tier's rate, payable;
- lines adding up to more than the total (a receipt-level discount, or negative discount lines): the
  total is spread over the positive lines pro rata to their amounts (largest remainder, so the shares
  are whole minor units and add up exactly). Lines with a zero or negative amount carry no money.
Earning is computed exactly and rounded down once for the receipt; the per-line figures are that
result shared by largest remainder, so they add up to what the receipt earned.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from chalicelib.core import validation as v
from chalicelib.core.kinds.base import ReceiptLine, Sale
from chalicelib.core.kinds.earning import spread
from chalicelib.core.percent import percent
from chalicelib.errors import InvalidInput

if TYPE_CHECKING:
    from chalicelib.core.mechanics import Mechanics, Tier

MAX_RULES = 50
MAX_MATCHES = 100  # SKUs or categories one rule names
ONE = 100  # a multiplier is kept in hundredths: 150 is x1.5
MIN_MULTIPLIER, MAX_MULTIPLIER = 10, 1000  # x0.1 .. x10
_FIELDS = {"id", "skus", "categories", "exclude", "earn_percent", "multiplier", "from", "until"}
_EFFECTS = ("exclude", "earn_percent", "multiplier")


@dataclass(frozen=True)
class ProductRule:
    id: str
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    exclude: bool = False
    earn_bp: int | None = None  # the line's own earn rate, whatever the tier
    multiplier: int | None = None  # hundredths of the tier's rate (200: twice)
    starts_on: str | None = None  # program-local ISO days, inclusive; None: open
    ends_on: str | None = None

    def matches(self, line: ReceiptLine) -> bool:
        return (line.sku is not None and line.sku in self.skus) or (
            line.category is not None and line.category in self.categories)

    def live_on(self, day: str) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (self.ends_on is None or day <= self.ends_on)

    def rate(self, tier: Tier) -> Fraction:
        """The earn rate (basis points) this rule gives a line at `tier`."""
        if self.exclude:
            return Fraction(0)
        if self.earn_bp is not None:
            return Fraction(self.earn_bp)
        return Fraction(tier.earn_bp * (self.multiplier or ONE), ONE)


@dataclass(frozen=True)
class PricedLine:
    """One line of a sale with what the rules say of it."""

    index: int | None  # its place in the receipt's `lines`; None for the whole receipt or the unlisted remainder
    sku: str | None
    category: str | None
    qty: float
    amount: int  # minor units, as the POS sent it
    excluded: bool = False  # earns nothing; points, stamps' rewards and offers may not pay for it
    rule: str | None = None  # the id of the product rule that applied, if any
    net: int = 0  # the receipt's money this line stands for (the lines' nets add up to the total)
    rate: Fraction = Fraction(0)  # earn rate in basis points of the money paid for it (0 when excluded)

    @property
    def payable(self) -> bool:
        return not self.excluded


@dataclass(frozen=True)
class Pricing:
    lines: tuple[PricedLine, ...]
    payable: int  # money of the receipt points may pay for (the total minus excluded lines)
    listed: bool = False  # the POS sent lines (the answers then show them)


# --- admin JSON ------------------------------------------------------------------------------------

def parse(raw: object, prefix: str) -> tuple[ProductRule, ...]:
    """`mechanics.products` from admin JSON (naming the wrong field)."""
    return v.read_definitions(raw, prefix, most=MAX_RULES, noun="product rule", parse_one=_parse_rule)


def _parse_rule(raw: object, p: str) -> ProductRule:
    item = v.require_object(raw, p)
    v.reject_unknown(item, _FIELDS, p)
    rule_id = v.read_str(item, "id", prefix=p, required=True, max_len=32, pattern=r"[a-z0-9_-]+")
    skus = _names(item, "skus", p)
    categories = _names(item, "categories", p)
    if not skus and not categories:
        raise InvalidInput("A product rule names at least one SKU or category.", code="required",
                           field=f"{p}.skus")
    given = [name for name in _EFFECTS if item.get(name) is not None and item.get(name) is not False]
    if len(given) != 1:
        raise InvalidInput("A product rule has exactly one of 'exclude': true, 'earn_percent' or 'multiplier'.",
                           code="invalid_value", field=f"{p}.{given[1] if len(given) > 1 else 'exclude'}")
    exclude = v.read_bool(item, "exclude", prefix=p, default=False)
    multiplier = v.read_percent(item, "multiplier", prefix=p, maximum=MAX_MULTIPLIER // ONE)  # hundredths
    if multiplier is not None and multiplier < MIN_MULTIPLIER:
        raise InvalidInput(f"'{p}.multiplier' must be between 0.1 and 10.", code="out_of_range",
                           field=f"{p}.multiplier")
    starts = v.parse_day(item["from"], f"{p}.from").isoformat() if item.get("from") is not None else None
    ends = v.parse_day(item["until"], f"{p}.until").isoformat() if item.get("until") is not None else None
    if starts and ends and ends < starts:
        raise InvalidInput("'until' is before 'from'.", code="invalid_value", field=f"{p}.until")
    return ProductRule(rule_id, skus, categories, exclude, v.read_percent(item, "earn_percent", prefix=p),
                       multiplier, starts, ends)


def _names(item: dict[str, Any], name: str, p: str) -> tuple[str, ...]:
    values = v.read_list(item, name, prefix=p, max_items=MAX_MATCHES)
    for index, value in enumerate(values):
        if not isinstance(value, str) or not 0 < len(value) <= 64:  # noqa: PLR2004 (a line's sku/category bound)
            raise InvalidInput(f"'{p}.{name}[{index}]' must be a string of 1 to 64 characters.",
                               code="invalid_value", field=f"{p}.{name}[{index}]")
    return tuple(dict.fromkeys(values))


def to_json(rules: tuple[ProductRule, ...]) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = []
    for rule in rules:
        item: dict[str, Any] = {"id": rule.id, "skus": list(rule.skus), "categories": list(rule.categories)}
        if rule.exclude:
            item["exclude"] = True
        elif rule.earn_bp is not None:
            item["earn_percent"] = percent(rule.earn_bp)
        else:
            item["multiplier"] = percent(rule.multiplier or ONE)
        if rule.starts_on:
            item["from"] = rule.starts_on
        if rule.ends_on:
            item["until"] = rule.ends_on
        answer.append(item)
    return answer


# --- pricing a sale --------------------------------------------------------------------------------

def rule_for(mechanics: Mechanics, line: ReceiptLine, day: str) -> ProductRule | None:
    """The first live rule matching the line."""
    return next((rule for rule in mechanics.products if rule.live_on(day) and rule.matches(line)), None)


def price(mechanics: Mechanics, tier: Tier, sale: Sale) -> Pricing:
    """The sale's lines as the program's product rules see them (see the module's doc for the money)."""
    base = Fraction(tier.earn_bp)
    if not sale.lines:
        whole = PricedLine(None, None, None, 1, sale.total, net=sale.total, rate=base)
        return Pricing((whole,), sale.total)
    positive = sum(line.amount for line in sale.lines if line.amount > 0)
    money = min(positive, sale.total)  # the lines' share of the total; the rest is the remainder line
    nets = spread([Fraction(max(line.amount, 0) * money, positive) if positive else Fraction(0)
                   for line in sale.lines])
    priced = []
    for index, (line, net) in enumerate(zip(sale.lines, nets, strict=True)):
        rule = rule_for(mechanics, line, sale.sold_on)
        priced.append(PricedLine(index, line.sku, line.category, line.qty, line.amount,
                                 excluded=bool(rule and rule.exclude), rule=rule.id if rule else None, net=net,
                                 rate=rule.rate(tier) if rule else base))
    if sale.total > money:
        priced.append(PricedLine(None, None, None, 1, sale.total - money, net=sale.total - money, rate=base))
    return Pricing(tuple(priced), sum(line.net for line in priced if line.payable), listed=True)


def lines_answer(pricing: Pricing, earned: Sequence[int]) -> list[dict[str, Any]]:
    """The answer's `lines`: per line what it earned, whether points may pay for it, the rule applied.
    The unlisted remainder (lines adding up to less than the total) shows with `index` null."""
    return [{"index": line.index, "earn": earn, "payable": line.payable, "rule": line.rule}
            for line, earn in zip(pricing.lines, earned, strict=True)]
