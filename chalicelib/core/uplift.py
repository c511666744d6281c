"""PLACEHOLDER (seam for issue 17; helper H1 replaces it): the statistics of an experiment's report."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Event:
    offset: int
    revenue: int
    points: int
    visit: int


@dataclass(frozen=True)
class Exposure:
    variant: str
    exposed_on: date
    bonus: int = 0
    message_cost: int = 0
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Economics:
    margin_percent: float | None
    point_value: int


Report = dict[str, Any]


def report(exposures: Iterable[Exposure], variants: Sequence[tuple[str, str]], windows: Sequence[int], today: date,
           economics: Economics, *, chart_days: int | None = None) -> Report:
    groups: dict[str, int] = {}
    for exposure in exposures:
        groups[exposure.variant] = groups.get(exposure.variant, 0) + 1
    names = {"control": "Control", **dict(variants)}
    return {"as_of": today.isoformat(),
            "groups": [{"variant": key, "name": names[key], "cards": groups.get(key, 0)} for key in names],
            "windows": [], "romi": [], "chart": {"days": [], "groups": {}, "differences": {}}}


def monthly(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return []
