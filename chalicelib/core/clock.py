"""Program-local days: 'a day' (birthday, expiry, visits) is the day in the program's time zone."""
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.errors import InvalidInput


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def check_zone(name: str, field: str = "timezone") -> str:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"'{name}' is not an IANA time zone (e.g. Europe/Moscow).", code="invalid_timezone",
                           field=field) from None
    return name


def local_day(moment: datetime, zone_name: str) -> date:
    return moment.astimezone(zone(zone_name)).date()
