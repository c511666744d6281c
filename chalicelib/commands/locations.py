"""What an owner sends about a program's locations (stores), read once at the route; pure.

`POST /admin/programs/{id}/locations` sends a new location (`name` required), `PATCH .../{location_id}` only
the fields it changes (and `status`: "closed" closes it, "open" reopens it). Every refusal names its field.

Opening hours: {"mon".."sun": ["HH:MM-HH:MM", ...]}, at most four spans a day, "00:00".."23:59" and an end
of "24:00" (midnight). A span whose end is before its start runs over midnight ("22:00-02:00": open from 22:00
until 02:00 the next morning); a span that starts and ends at the same minute is refused, and so is one that
overlaps another span of its day. A weekday left out (or an empty list) is a day the location is closed."""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from chalicelib.core import clock
from chalicelib.core import locations as rules
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

MAX_NAME = 80
MAX_ADDRESS = 200
MAX_RELEVANT_TEXT = 120  # Apple shows one short line on the lock screen
MAX_SPANS = 4  # spans a day (a lunch break makes two)
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d"
_SPAN = re.compile(rf"({_TIME})-({_TIME}|24:00)")
_FIELDS = ("name", "address", "latitude", "longitude", "timezone", "hours", "relevant_text", "external_ids")
_EXTERNAL_ID = r"[A-Za-z0-9_\-:.]{1,128}"


@dataclass(frozen=True)
class LocationFields:
    """The fields sent, read: {name: value} for those present (None: cleared), in the Location's terms
    (`hours` as {weekday: (span, ...)}); `status` only in an edit."""

    values: Mapping[str, Any]

    def __contains__(self, name: str) -> bool:
        return name in self.values


def read_new_location(data: object) -> LocationFields:
    """A new location: `name` required, the rest optional."""
    data = v.require_object(data)
    v.reject_unknown(data, _FIELDS)
    values = _read(data)
    values["name"] = v.read_str(data, "name", required=True, min_len=1, max_len=MAX_NAME)
    _check_point(values)
    return LocationFields(MappingProxyType(values))


def read_location_changes(data: object) -> LocationFields:
    """An edit: only the fields sent change; `null` clears an optional one; `status` closes or reopens."""
    data = v.require_object(data)
    v.reject_unknown(data, (*_FIELDS, "status"))
    if not data:
        raise InvalidInput("Send at least one field to change.", code="required")
    values = _read(data)
    if "name" in data:
        values["name"] = v.read_str(data, "name", required=True, min_len=1, max_len=MAX_NAME)
    if "status" in data:
        values["status"] = v.read_str(data, "status", required=True, choices=(rules.OPEN, rules.CLOSED))
    return LocationFields(MappingProxyType(values))


def check_point(latitude: float | None, longitude: float | None) -> None:
    """Coordinates come both or neither (after an edit too)."""
    if (latitude is None) != (longitude is None):
        field = "longitude" if latitude is not None else "latitude"
        raise InvalidInput("Send both 'latitude' and 'longitude', or neither.", code="required", field=field)


def read_location_id(data: Mapping[str, object], name: str = "location_id") -> str | None:
    """An optional location id a body names (a POS key's, a receipt's, a connection's); its existence is
    the use case's to check (422 unknown_location)."""
    return v.read_str(data, name, max_len=64, pattern=v.ID_PATTERN)


def _read(data: Mapping[str, object]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "address" in data:
        values["address"] = v.read_str(data, "address", max_len=MAX_ADDRESS)
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if name in data:
            values[name] = _coordinate(data, name, bound)
    if "timezone" in data:
        zone = v.read_str(data, "timezone", max_len=64)
        values["timezone"] = None if zone is None else clock.check_zone(zone)
    if "hours" in data:
        values["hours"] = _hours(data.get("hours"))
    if "relevant_text" in data:
        values["relevant_text"] = v.read_str(data, "relevant_text", max_len=MAX_RELEVANT_TEXT)
    if "external_ids" in data:
        values["external_ids"] = _external_ids(data.get("external_ids"))
    return values


def _external_ids(raw: object) -> dict[str, str]:
    """{provider: the provider's id of this store} (core/locations.EXTERNAL_PROVIDERS); null or {}: none."""
    if raw is None:
        return {}
    ids = v.require_object(raw, "external_ids")
    v.reject_unknown(ids, rules.EXTERNAL_PROVIDERS, prefix="external_ids")
    found = {}
    for provider in rules.EXTERNAL_PROVIDERS:
        value = v.read_str(ids, provider, prefix="external_ids", max_len=128, pattern=_EXTERNAL_ID, strip=False)
        if value is not None:
            found[provider] = value
    return found


def _check_point(values: Mapping[str, Any]) -> None:
    check_point(values.get("latitude"), values.get("longitude"))


def _coordinate(data: Mapping[str, object], name: str, bound: int) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(f"'{name}' must be a number (degrees).", code="invalid_type", field=name)
    if not -bound <= value <= bound:
        raise InvalidInput(f"'{name}' must be within -{bound}..{bound}.", code="out_of_range", field=name)
    return float(value)


def _hours(raw: object) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    days = v.require_object(raw, "hours")
    v.reject_unknown(days, rules.WEEKDAYS, prefix="hours")
    hours: dict[str, tuple[str, ...]] = {}
    for day in rules.WEEKDAYS:  # kept in weekday order, whatever order they came in
        if day not in days:
            continue
        spans = v.read_list(days, day, prefix="hours", max_items=MAX_SPANS)
        read = tuple(_span(span, f"hours.{day}[{index}]") for index, span in enumerate(spans))
        _check_apart(read, f"hours.{day}")
        if read:
            hours[day] = read
    return hours


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _check_apart(spans: tuple[str, ...], field: str) -> None:
    """The spans of a day do not overlap (an overnight one counts until its end the next morning)."""
    bounds = []
    for index, span in enumerate(spans):
        start, end = (_minutes(part) for part in span.split("-"))
        bounds.append((start, end if end > start else end + 24 * 60, index))
    bounds.sort()
    for (_, earlier_end, _), (start, _, index) in zip(bounds, bounds[1:], strict=False):
        if start < earlier_end:
            raise InvalidInput(f"'{field}[{index}]' overlaps another span of the day.", code="invalid_value",
                               field=f"{field}[{index}]")


def _span(value: object, field: str) -> str:
    text = value.strip() if isinstance(value, str) else None
    match = _SPAN.fullmatch(text) if text is not None else None
    if text is None or match is None:
        raise InvalidInput(f"'{field}' must be a span \"HH:MM-HH:MM\" (e.g. \"09:00-21:00\").",
                           code="invalid_format", field=field)
    start, end = match.groups()
    if start == end:
        raise InvalidInput(f"'{field}' must end after it starts (\"22:00-02:00\" runs over midnight).",
                           code="invalid_value", field=field)
    return f"{start}-{end}"
