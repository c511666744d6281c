"""Stamp cards ("buy 9 coffees, the 10th is free"): how a stamps program counts and rewards.

A stamps program keeps its stamps as the card's points (lots, expiry, refunds and the ledger work as
for points), earns them per qualifying item or per receipt, and a full card of `per_reward` stamps is a
reward the POS redeems (`rewards` on a receipt takes `per_reward` stamps for each). Several full cards
may be held. Pure.

SEAM (issue 16): part H1 owns this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StampRules:
    per_reward: int = 10


def parse(raw: object, prefix: str) -> StampRules | None:
    return None


def to_json(rules: StampRules | None) -> dict[str, Any] | None:
    return None
