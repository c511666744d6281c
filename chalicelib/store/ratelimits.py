"""Fixed-window rate counters in DynamoDB: one conditional UpdateItem per check.

A counter is one Guard item per (what, who, window): `take` adds 1 to its hits only while hits are
below the limit (and misses below theirs), in a single UpdateItem that creates the item on first use;
a refused check writes nothing and raises RateLimited with the seconds until the window ends.
`miss` adds 1 to the misses of the same window (a failed look-up, a refusal): those are checked by the
caller's next `take`, before anything is looked up, so a blocked caller learns nothing more.
Who is counted (an address, a key id) is stored hashed; items expire by TTL after their window."""
import hashlib
from datetime import UTC, datetime

from chalicelib.config import settings
from chalicelib.core.limits import WINDOW
from chalicelib.errors import RateLimited
from chalicelib.store import db
from chalicelib.store.models import Guard

MESSAGE = "Too many requests: try again in a little while."


def _window(now: float, window: int) -> tuple[int, int]:
    start = int(now) // window * window
    return start, start + window


def counter_key(what: str, who: str, start: int) -> str:
    digest = hashlib.sha256(who.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return f"{what}#{digest}#{start}"


def _expiry(end: int) -> datetime:
    return datetime.fromtimestamp(end + 60, UTC)


def take(what: str, who: str, limit: int, now: float, *, misses: int | None = None, window: int = WINDOW) -> None:
    """Count one request of `who`, or RateLimited if the window already holds `limit` of them (or
    `misses` misses)."""
    if not settings().rate_limits:
        return
    start, end = _window(now, window)
    condition = Guard.hits.does_not_exist() | (Guard.hits < limit)
    if misses is not None:
        condition &= Guard.misses.does_not_exist() | (Guard.misses < misses)
    try:
        Guard(counter_key(what, who, start)).update(
            actions=[Guard.hits.add(1), Guard.expires_at.set(_expiry(end))], condition=condition)
    except Exception as error:
        if db.is_condition_failure(error):
            raise RateLimited(MESSAGE, retry_after=end - int(now)) from None
        raise


def miss(what: str, who: str, now: float, window: int = WINDOW) -> None:
    """Count a miss (a failed look-up, a refusal) in `who`'s current window."""
    if not settings().rate_limits:
        return
    start, end = _window(now, window)
    Guard(counter_key(what, who, start)).update(actions=[Guard.misses.add(1), Guard.expires_at.set(_expiry(end))])

