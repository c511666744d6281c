"""A program's daily counters and segment thresholds in the analytics table.

Every write that changes money or points adds its counters to a shard of its day ('s#<day>#<n>', one
of SHARDS, chosen by the operation's key) inside the write's own transaction, so a counter is changed
exactly when the receipt or points are (a replay or a failed write counts nothing). Spreading a day
over shards keeps concurrent receipts from queueing on one item. A nightly fold (`fold`) merges the
shards of each closed day into one 'd#<day>' item holding the points outstanding at the end of that
day, so reading a period costs one item per day plus the few shards of the days still open.

A location's counters live in a partition of their own (`scope`), shaped, read and folded the same way.
The program's partition keeps a 'locations' item, a string set of every location the nightly job has
seen on the program's list (`known_locations`), so a location taken off the list still has its days
folded (finding the partitions otherwise would take a scan of the table).
"""
import hashlib
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core import analytics as numbers
from chalicelib.store import db
from chalicelib.store.models import AnalyticsItem

SHARDS = 8
Counts = dict[str, int]  # counter name -> value (core/analytics.py COUNTERS)
DayCounts = dict[str, Counts]  # program-local day -> counters
SEGMENTS_KEY = "segments"
LOCATIONS_KEY = "locations"  # outside the 'd#' and 's#' ranges: no period read or fold meets it


def scope(program_id: str, location_id: str | None) -> str:
    """The partition of a location's own counters ('<program>@<location>'), read and folded as a program's
    are; None: the program's. A receipt at a location adds to both (store/ledger.py)."""
    return program_id if location_id is None else f"{program_id}@{location_id}"


def shard_of(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % SHARDS


def add_counts(tx: TransactWrite, program_id: str, by_day: DayCounts, key: str) -> None:
    """Add `by_day` ({day: counters}) to this operation's shard of each day, within `tx`."""
    shard = shard_of(key)
    for day, counts in by_day.items():
        actions = [getattr(AnalyticsItem, name).add(value) for name, value in sorted(counts.items()) if value]
        if actions:
            tx.update(AnalyticsItem(program_id, f"s#{day}#{shard}"), actions=[*actions, AnalyticsItem.writes.add(1)])


def _counts(item: AnalyticsItem) -> Counts:
    return {name: int(getattr(item, name)) for name in numbers.COUNTERS if getattr(item, name)}


@dataclass
class Period:
    """What a period's numbers are made of, and what reading them cost."""

    days: DayCounts = field(default_factory=dict)
    outstanding: int = 0  # points held at the end of the last day
    items_read: int = 0


def read_period(program_id: str, start: str, end: str) -> Period:
    period = Period()
    folded: dict[str, AnalyticsItem] = {}
    for item in AnalyticsItem.query(program_id, AnalyticsItem.item_key.between(f"d#{start}", f"d#{end}")):
        period.items_read += 1
        day = item.item_key[2:]
        folded[day] = item
        period.days[day] = _counts(item)
    open_shards = []
    for item in AnalyticsItem.query(program_id, AnalyticsItem.item_key.startswith("s#"), consistent_read=True):
        period.items_read += 1
        day = item.item_key.split("#")[1]
        open_shards.append((day, _counts(item)))
        if start <= day <= end:
            period.days[day] = numbers.merge(period.days.get(day, {}), open_shards[-1][1])
    base_day, base = (max(folded), folded[max(folded)]) if folded else _last_folded_before(program_id, start, period)
    period.outstanding = int(base.outstanding or 0) if base is not None else 0
    period.outstanding += sum(numbers.net_points(counts) for day, counts in open_shards
                              if (base_day is None or day > base_day) and day <= end)
    return period


def _last_folded_before(program_id: str, day: str, period: Period) -> tuple[str | None, AnalyticsItem | None]:
    for item in AnalyticsItem.query(program_id, AnalyticsItem.item_key.between("d#", f"d#{day}"),
                                    scan_index_forward=False, limit=1):
        period.items_read += 1
        return item.item_key[2:], item
    return None, None


def fold(program_id: str, until: str, attempts: int = 5) -> int:
    """Fold the shards of every day up to `until` (a day no longer written to) into its day item, oldest
    first, carrying the outstanding points forward. Returns how many days were folded."""
    by_day: dict[str, list[AnalyticsItem]] = {}
    for item in AnalyticsItem.query(program_id, AnalyticsItem.item_key.between("s#", f"s#{until}#~"),
                                    consistent_read=True):
        by_day.setdefault(item.item_key.split("#")[1], []).append(item)
    for day in sorted(by_day):
        for attempt in range(attempts):
            try:
                _fold_day(program_id, day, by_day[day])
                break
            except TransactWriteError as error:
                if not ({"ConditionalCheckFailed", "TransactionConflict"} & set(db.cancellation_reasons(error))):
                    raise
                db.back_off_if_crowded(error, attempt)
                by_day[day] = [item for item in AnalyticsItem.query(
                    program_id, AnalyticsItem.item_key.startswith(f"s#{day}#"), consistent_read=True)]
        else:
            raise RuntimeError("the day's shards kept changing while being folded")
    return len(by_day)


def _fold_day(program_id: str, day: str, shards: list[AnalyticsItem]) -> None:
    counts = numbers.merge(*(_counts(item) for item in shards))
    try:  # folded before: a receipt uploaded late, whose sale day had closed. It brings money only
        # (points are always booked on the day they change), so the days after keep their balance.
        current = AnalyticsItem.get(program_id, f"d#{day}", consistent_read=True)
        outstanding = int(current.outstanding or 0)
    except AnalyticsItem.DoesNotExist:  # a new day: carry the last closed day's balance forward
        _, before = _last_folded_before(program_id, day, Period())
        outstanding = int(before.outstanding or 0) if before is not None else 0
    actions = [getattr(AnalyticsItem, name).add(value) for name, value in sorted(counts.items())]
    actions.append(AnalyticsItem.outstanding.set(outstanding + numbers.net_points(counts)))
    with db.transaction() as tx:
        tx.update(AnalyticsItem(program_id, f"d#{day}"), actions=actions)
        for item in shards:
            tx.delete(item, condition=AnalyticsItem.writes == item.writes)


def known_locations(program_id: str, listed: list[str]) -> set[str]:
    """The locations whose partitions the program has (may have): `listed` (the program's list now) added
    to those remembered, in one update (or one read when none is listed). A raw call: the set is not an
    attribute of the model, which ignores it."""
    client = AnalyticsItem._get_connection().connection.client
    key = {"program_id": {"S": program_id}, "item_key": {"S": LOCATIONS_KEY}}
    if listed:
        answer = client.update_item(TableName=AnalyticsItem.Meta.table_name, Key=key, UpdateExpression="ADD #l :l",
                                    ExpressionAttributeNames={"#l": "locations"},
                                    ExpressionAttributeValues={":l": {"SS": sorted(set(listed))}},
                                    ReturnValues="ALL_NEW")
        item = answer.get("Attributes", {})
    else:
        item = client.get_item(TableName=AnalyticsItem.Meta.table_name, Key=key, ConsistentRead=True).get("Item", {})
    return set(item.get("locations", {}).get("SS", ()))


def thresholds(program_id: str) -> dict[str, Any] | None:
    try:
        stored: dict[str, Any] | None = AnalyticsItem.get(program_id, SEGMENTS_KEY).thresholds
        return stored
    except AnalyticsItem.DoesNotExist:
        return None


def save_thresholds(program_id: str, data: dict[str, Any]) -> None:
    AnalyticsItem(program_id, SEGMENTS_KEY, thresholds=data).save()
