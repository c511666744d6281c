"""What the till page's requests say (issue 18): where the till stands (a location, or a program without
locations) and the rest of the body, which is the POS API's own (commands/pos.py parses it). Pure."""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.commands import body_hash, queries
from chalicelib.commands.pos import MAX_TOTAL
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

PLACE_FIELDS = ("location_id", "program_id")
MAX_RECEIPTS = 100  # today's receipts a till lists at most
DEFAULT_RECEIPTS = 30


@dataclass(frozen=True)
class TillPlace:
    """Where a till request is made: a location (its program is found from it), or, for a program without
    locations, that program (`location_id` None). `program_id` with a location must be its program."""

    location_id: str | None
    program_id: str | None


@dataclass(frozen=True)
class TillRequest:
    """A till body: its place, the rest (the POS API's body) and the hash of the whole body (the
    idempotency check: the same receipt id with another location is another request)."""

    place: TillPlace
    rest: dict[str, Any]
    request_hash: str


def _place(location_id: str | None, program_id: str | None) -> TillPlace:
    if location_id is None and program_id is None:
        raise InvalidInput("Say where the till is: 'location_id' (or 'program_id' for a program without locations).",
                           code="required", field="location_id")
    return TillPlace(location_id, program_id)


def read_place(data: Mapping[str, object]) -> TillPlace:
    location_id = v.read_str(data, "location_id", max_len=64, pattern=v.ID_PATTERN, strip=False)
    program_id = v.read_str(data, "program_id", max_len=64, pattern=v.ID_PATTERN, strip=False)
    return _place(location_id, program_id)


def read_request(data: dict[str, Any]) -> TillRequest:
    """A till POST body: the place, and the rest for commands/pos.py to parse."""
    place = read_place(data)
    rest = {name: value for name, value in data.items() if name not in PLACE_FIELDS}
    return TillRequest(place, rest, body_hash(data))


def read_quote(request: TillRequest) -> tuple[dict[str, Any], int | None]:
    """POST /admin/till/quote: the POS quote's body and the optional `redeem` (points the customer means to
    spend, 0..MAX_TOTAL here; at most the quote's max_redeem is the use case's rule), which a POS quote has not."""
    redeem = v.read_int(request.rest, "redeem", minimum=0, maximum=MAX_TOTAL)
    return {name: value for name, value in request.rest.items() if name != "redeem"}, redeem


def read_place_query(params: Mapping[str, str] | None) -> TillPlace:
    """`?location_id=` (or `?program_id=`) of a GET."""
    clean = {name: queries.read_query(params, name) for name in PLACE_FIELDS}
    return read_place({name: value for name, value in clean.items() if value is not None})


def read_receipts_query(params: Mapping[str, str] | None) -> tuple[TillPlace, int]:
    """GET /admin/till/receipts: the place and `limit` (1..MAX_RECEIPTS)."""
    limit = queries.read_query_int(params, "limit", DEFAULT_RECEIPTS, 1, MAX_RECEIPTS)
    return read_place_query(params), limit
