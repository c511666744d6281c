"""What a query string says: each route reads its parameters once into a frozen query command."""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

_MOST_DIGITS = 12  # more than any limit needs, few enough that int() is cheap


@dataclass(frozen=True)
class PageQuery:
    """`?limit=&cursor=` of a list."""

    limit: int
    cursor: str | None


@dataclass(frozen=True)
class PeriodQuery:
    """`?from=&to=` of the analytics: days, or None for the default period; `?location_id=`: one location's
    figures (the use case checks it is the program's), None: the whole program's."""

    start: date | None
    end: date | None
    location_id: str | None = None


def read_page(params: Mapping[str, str] | None, *, default_limit: int = 50, max_limit: int = 100) -> PageQuery:
    """`limit` (ASCII digits within 1..max_limit) and `cursor` (checked when it is decoded by the store)."""
    return PageQuery(limit=read_query_int(params, "limit", default_limit, 1, max_limit),
                     cursor=read_query(params, "cursor"))


def read_period(params: Mapping[str, str] | None) -> PeriodQuery:
    """`to`, then `from`, as `YYYY-MM-DD` between 1900 and 2999; the use case checks the span."""
    raw_to, raw_from = read_query(params, "to"), read_query(params, "from")
    end = v.parse_day(raw_to, "to") if raw_to else None
    start = v.parse_day(raw_from, "from") if raw_from else None
    return PeriodQuery(start=start, end=end, location_id=read_location(params))


def read_location(params: Mapping[str, str] | None) -> str | None:
    """`?location_id=`: a location of the program (any other text is answered 404 location_not_found by the
    use case, which looks it up among the program's locations), None: the whole program."""
    return read_query(params, "location_id")


def read_query(params: Mapping[str, str] | None, name: str) -> str | None:
    """A query parameter; empty counts as absent."""
    value = (params or {}).get(name)
    return value if value not in (None, "") else None


def read_query_int(params: Mapping[str, str] | None, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = read_query(params, name)
    if raw is None:
        return default
    # ASCII digits only ("²".isdigit() is true), and few enough that int() is cheap and never refuses.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= _MOST_DIGITS) or not minimum <= int(raw) <= maximum:
        raise InvalidInput(f"'{name}' must be a whole number from {minimum} to {maximum}.", code="invalid_value",
                           field=name)
    return int(raw)
