"""A program's locations: the stores (counters, branches) of a chain. Pure: what a location is, how it is
kept on the program item (`Program.locations`, a short list), and which of them a card's wallet pass names.

A location is called a "location" everywhere in code and API (never a "store": `chalicelib/store` is the
persistence layer); the README says "locations (stores)" where owners read it.

Where a location shows up:
- a POS key (and a MoySklad connection) may belong to one; its receipts carry it (`Receipt.location_id`);
- a cashier is tied to one or more (`StaffMember.locations`);
- a card's stats keep its home location (where it joined, else where it first bought) and its receipts
  per location (`CardState.home`, `CardState.places`): analytics filter members by home, the pass lists
  the locations the card visits most first;
- the analytics counters of a receipt are added to the program's and to its location's (store/analytics.py).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MAX_LOCATIONS = 200  # a program item holds them all, within MAX_STORED_BYTES
# DynamoDB's item is at most 400 KB and the program's mechanics, design and texts share it; stored JSON escapes
# every non-ASCII letter as \uXXXX (6 bytes), so 200 locations fit only with short Cyrillic addresses and texts
MAX_STORED_BYTES = 200_000
MAX_ON_PASS = 10  # Apple reads at most ten locations of a pass
OPEN = "open"
CLOSED = "closed"  # kept for history (receipts and analytics name it), off the pass, no new keys or cashiers
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# the POS providers whose sales name the store they were made at, and where: a location's `external_ids`
# {provider: their store's id} maps them to it (Square's payment.location_id, Shopify's order.location_id,
# Evotor's receipt data.storeId)
EXTERNAL_PROVIDERS = ("square", "shopify", "evotor")


@dataclass(frozen=True)
class Location:
    location_id: str
    name: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None  # None: the program's
    hours: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # weekday -> ("09:00-13:00", "14:00-21:00")
    relevant_text: str | None = None  # the lock-screen text near it (Apple's relevantText); None: a default
    status: str = OPEN
    created_at: str | None = None
    external_ids: Mapping[str, str] = field(default_factory=dict)  # {provider: the provider's id of this store}

    @property
    def open(self) -> bool:
        return self.status == OPEN

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.location_id, "name": self.name, "address": self.address, "latitude": self.latitude,
                "longitude": self.longitude, "timezone": self.timezone,
                "hours": {day: list(spans) for day, spans in self.hours.items()},
                "relevant_text": self.relevant_text, "status": self.status, "created_at": self.created_at,
                "external_ids": dict(self.external_ids)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Location:
        hours = {day: tuple(spans) for day, spans in (data.get("hours") or {}).items()}
        latitude, longitude = data.get("latitude"), data.get("longitude")
        return cls(location_id=data["id"], name=data["name"], address=data.get("address"),
                   latitude=None if latitude is None else float(latitude),
                   longitude=None if longitude is None else float(longitude),
                   timezone=data.get("timezone"), hours=hours, relevant_text=data.get("relevant_text"),
                   status=data.get("status", OPEN), created_at=data.get("created_at"),
                   external_ids=dict(data.get("external_ids") or {}))


def stored_size(locations: Iterable[Location]) -> int:
    """The bytes the locations take on the program item (as the JSON attribute writes them)."""
    return len(json.dumps([location.to_json() for location in locations]))


def from_stored(stored: Iterable[Mapping[str, Any]] | None) -> tuple[Location, ...]:
    """The locations kept on a program item (`Program.locations`; None: none)."""
    return tuple(Location.from_json(item) for item in stored or ())


def find(locations: Iterable[Location], location_id: str | None) -> Location | None:
    return next((location for location in locations if location.location_id == location_id), None)


def of_provider(stored: Iterable[Mapping[str, Any]] | None, provider: str, external_id: object) -> str | None:
    """The id of the open location a provider's store id is mapped to (`external_ids`), else None: a sale
    from a store nobody mapped counts under "unassigned", as before."""
    if isinstance(external_id, Decimal) and external_id.is_finite() and external_id == int(external_id):
        external_id = int(external_id)  # a JSON number read exactly (Shopify's ids are numbers)
    if not isinstance(external_id, (str, int)) or isinstance(external_id, bool):
        return None
    wanted = str(external_id)
    return next((item["id"] for item in stored or () if item.get("status", OPEN) == OPEN
                 and (item.get("external_ids") or {}).get(provider) == wanted), None)


def for_pass(locations: Iterable[Location], places: Mapping[str, int], home: str | None) -> tuple[Location, ...]:
    """The open locations with coordinates a card's pass names, at most MAX_ON_PASS: the ones the card
    visits most first, then its home, then the rest in the order the owner added them."""
    candidates = [location for location in locations if location.open and location.has_point]
    order = {location.location_id: index for index, location in enumerate(candidates)}

    def rank(location: Location) -> tuple[int, int, int]:
        return (-int(places.get(location.location_id, 0)), 0 if location.location_id == home else 1,
                order[location.location_id])

    return tuple(sorted(candidates, key=rank)[:MAX_ON_PASS])


def on_card(stored: Iterable[Mapping[str, Any]] | None, stats: Mapping[str, Any] | None, *,
            enabled: bool = True) -> tuple[Location, ...]:
    """The locations a card's wallet pass names (`for_pass`), from what the program item keeps
    (`Program.locations`) and the card's stats (its "places" and "home"); none when the owner turned
    them off (`enabled`: branding.locations_on_pass)."""
    if not enabled or not stored:
        return ()
    stats = stats or {}
    places = {key: int(count) for key, count in (stats.get("places") or {}).items()}
    home = stats.get("home")
    # for_pass's order without building all (up to MAX_LOCATIONS) of them on every pass served: the ones
    # it ranks by the card first (stable sort: the owner's order among equals), then the rest in order
    shown = [item for item in stored if item.get("status", OPEN) == OPEN
             and item.get("latitude") is not None and item.get("longitude") is not None]
    ranked = sorted((item for item in shown if places.get(item["id"], 0) > 0 or item["id"] == home),
                    key=lambda item: (-places.get(item["id"], 0), 0 if item["id"] == home else 1))
    chosen = ranked[:MAX_ON_PASS]
    if len(chosen) < MAX_ON_PASS:
        taken = {item["id"] for item in chosen}
        chosen.extend([item for item in shown if item["id"] not in taken][:MAX_ON_PASS - len(chosen)])
    return tuple(Location.from_json(item) for item in chosen)


def on_pass(stored: Iterable[Mapping[str, Any]] | None, enabled: bool) -> bool:
    """Whether the program's passes name any location: the owner's switch is on and one is open with coordinates."""
    return enabled and any(item.get("status", OPEN) == OPEN and item.get("latitude") is not None
                           and item.get("longitude") is not None for item in stored or ())


def visit_ranking(places: Mapping[str, int], home: str | None) -> tuple[tuple[str, ...], ...]:
    """What `for_pass` reads of a card: its visited locations (and its home) grouped by rank, best first.
    `for_pass` orders by (receipts there, home first, the owner's order); only the last part needs the
    program, and it only breaks ties inside one group, so for any one set of locations two cards with
    the same ranking get the same list. The wallet pass is marked changed when this changes
    (store/cards.shown_on_pass), which needs no read of the program: a receipt that only adds to the
    location already ranked alone at its place changes nothing."""
    ranked: dict[tuple[int, int], list[str]] = {}
    for location_id, count in places.items():
        if int(count) > 0 or location_id == home:
            ranked.setdefault((-int(count), 0 if location_id == home else 1), []).append(location_id)
    if home is not None and home not in places:  # a home it has not bought at yet still comes first of the rest
        ranked.setdefault((0, 0), []).append(home)
    return tuple(tuple(sorted(ranked[key])) for key in sorted(ranked))


# The lock-screen line near a location (Apple's relevantText) when the owner wrote none: the location's
# name and what to do, in the card's language. Apple shows it in a notification-sized banner: short.
PASS_TEXT_MAX = 60
_NEARBY = {"ru": "{name} рядом — покажите карту", "en": "{name} is nearby — show your card"}


def pass_text(location: Location, lang: str | None) -> str:
    """The owner's text for the location, else the default in `lang` (Russian for any other) naming it,
    the name shortened with an ellipsis so that the line stays within PASS_TEXT_MAX characters."""
    if location.relevant_text:
        return location.relevant_text
    template = _NEARBY.get(lang or "", _NEARBY["ru"])
    room = PASS_TEXT_MAX - len(template.replace("{name}", ""))
    name = location.name.strip()
    if len(name) > room:
        name = name[:room - 1].rstrip() + "…"
    return template.format(name=name)
