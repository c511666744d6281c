"""Stamp cards ("buy 9 coffees, the 10th is free"): how a stamps program counts and rewards.

A stamps program keeps its stamps as the card's points (lots, expiry, refunds and the ledger work as
for points), earns them per qualifying item or per receipt, and a full card of `per_reward` stamps is a
reward the POS redeems (`rewards` on a receipt takes `per_reward` stamps for each). Several full cards
may be held. Pure.

What earns a stamp:
- `per: "item"`: floor(qty) stamps for each qualifying line with a positive amount (a weighed line, a
  qty that is not whole, gives 1); `per: "receipt"`: 1 stamp for a receipt with a qualifying line.
- A line qualifies when it is not excluded by a product rule and matches `skus`/`categories` (both
  empty: every line). Product rules' rates and multipliers do not change stamps.
- A receipt without lines gives 1 stamp when money was paid for it.
- A receipt whose money paid is below `min_total` gives none.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from chalicelib.core import program_texts
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

if TYPE_CHECKING:
    from chalicelib.core.products import PricedLine, Pricing

PER = ("item", "receipt")
MAX_MONEY = 10**12
_FIELDS = {"per_reward", "per", "skus", "categories", "min_total", "reward"}
_MAX_MATCHES = 100
_MAX_NAME = 64


@dataclass(frozen=True)
class StampRules:
    per_reward: int = 10
    per: str = "item"
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_total: int = 0
    reward: str | dict[str, str] = ""  # what a full card gives, in the program's languages

    def qualifies(self, line: PricedLine) -> bool:
        if line.excluded or line.amount <= 0 or line.index is None:
            return False
        if not self.skus and not self.categories:
            return True
        return (line.sku is not None and line.sku in self.skus) or (
            line.category is not None and line.category in self.categories)


def parse(raw: object, prefix: str) -> StampRules | None:
    if raw is None:
        return None
    data = v.require_object(raw, prefix)
    v.reject_unknown(data, _FIELDS, prefix)
    return StampRules(
        per_reward=v.read_int(data, "per_reward", prefix=prefix, required=True, minimum=2, maximum=50),
        per=v.read_str(data, "per", prefix=prefix, choices=PER, default="item"),
        skus=_names(data, "skus", prefix),
        categories=_names(data, "categories", prefix),
        min_total=v.read_int(data, "min_total", prefix=prefix, minimum=0, maximum=MAX_MONEY, default=0),
        reward=program_texts.read(data, "reward", prefix=prefix, required=True, max_len=60) or "",
    )


def _names(data: dict[str, Any], name: str, prefix: str) -> tuple[str, ...]:
    values = v.read_list(data, name, prefix=prefix, max_items=_MAX_MATCHES)
    for index, value in enumerate(values):
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_NAME:
            field = f"{prefix}.{name}[{index}]"
            raise InvalidInput(f"'{field}' must be a string of 1 to 64 characters.", code="invalid_value",
                               field=field)
    return tuple(dict.fromkeys(values))


def to_json(rules: StampRules | None) -> dict[str, Any] | None:
    if rules is None:
        return None
    return {"per_reward": rules.per_reward, "per": rules.per, "skus": list(rules.skus),
            "categories": list(rules.categories), "min_total": rules.min_total,
            "reward": dict(rules.reward) if isinstance(rules.reward, dict) else rules.reward}


def earned(rules: StampRules, pricing: Pricing, paid: Sequence[Fraction]) -> tuple[int, ...]:
    """Stamps per priced line, each line's money `paid` given: `min_total` is on the money paid for
    payable lines (cigarettes do not make up a coffee's minimum), and a line nothing was paid for (a free
    item an offer gave) gets no stamp."""
    nothing = tuple(0 for _ in pricing.lines)
    if sum(money for money, line in zip(paid, pricing.lines, strict=True) if line.payable) < rules.min_total:
        return nothing
    if not pricing.listed:
        return (1,) if sum(paid) > 0 else nothing
    stamps = [_units(line.qty) if rules.qualifies(line) and money > 0 else 0
              for line, money in zip(pricing.lines, paid, strict=True)]
    if rules.per == "receipt":
        first = next((index for index, count in enumerate(stamps) if count), None)
        return nothing if first is None else tuple(int(index == first) for index in range(len(stamps)))
    return tuple(stamps)


def _units(qty: float) -> int:
    """Whole units, or 1 for a weighed line (a qty that is not whole: 0.35 kg)."""
    return int(qty) if float(qty).is_integer() else 1


def rewards_available(rules: StampRules, stamps: int) -> int:
    """Full cards among `stamps` spendable stamps."""
    return stamps // rules.per_reward
