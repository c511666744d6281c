"""The owner's numbers: a period's summary, its daily series, segments and the cards in them.

What each read costs: the additive numbers come from the daily counters (one item per day of the
period, plus the few shards of days not yet folded); the per-member numbers from every card's
compact stats, read once per request from the cards index (which projects them), in time slices side
by side and page by page, adding up per-slice totals, so memory stays flat however many cards there
are. Segment thresholds are a snapshot of the day, made by the nightly job (or by the first request of
the day that needs them), so listing a segment page by page reads only those pages.

By location (`?location_id=`, core/locations.py): the additive numbers come from the location's own
counters (store/analytics.scope: every receipt and refund at a location adds to them as well as to the
program's), the per-member numbers from the cards whose home is that location (their stats name it), read
in the same one pass over the cards; the segment thresholds stay the program's. The comparison
(`by_location`) reads one period per location and makes one pass over the cards for their homes.
"""
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any, TypedDict, cast

from chalicelib import log
from chalicelib.commands.queries import PeriodQuery
from chalicelib.core import analytics as numbers
from chalicelib.core import clock
from chalicelib.core import locations as places
from chalicelib.core import mechanics as mech
from chalicelib.core import segments as seg
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.store import analytics as store
from chalicelib.store import cards as card_store
from chalicelib.store import db, pages
from chalicelib.store.records import Card, Program

DEFAULT_DAYS = 30
MAX_SUMMARY_DAYS = 3660
MAX_SERIES_DAYS = 731


class Classified(TypedDict):
    """A member's segments today."""

    lifecycle: str
    rfm: str | None  # the three scores, e.g. "545"; None when the member has none
    rfm_segment: str | None


class ItemsRead(TypedDict):
    """What a summary read: day items and card items."""

    days: int
    cards: int


# "from" is a keyword: these two are spelled the functional way
SummaryAnswer = TypedDict("SummaryAnswer", {
    "from": str, "to": str, "active_days": int, "activity_window_days": int,
    "receipts": int, "member_receipts": int, "revenue": int, "member_revenue": int, "refunds": int, "refunded": int,
    "sor": float | None, "aov": int | None, "members": int, "buyers": int, "frequency": float | None,
    "repeat_rate": float | None, "new_members": int, "active_at_start": int, "active_at_end": int,
    "new_buyers": int, "crr": float | None, "ltv": int | None,
    "points_issued": int, "points_redeemed": int, "points_expired": int, "points_adjusted_out": int,
    "redemption_rate": float | None, "breakage": float | None, "outstanding_points": int, "liability": int,
    "nps": dict[str, int] | None, "csi": dict[str, Any] | None,  # surveys answered in the period (core/surveys.py)
    "location_id": str | None,  # the location the figures are of (README "Analytics by location"); None: all
    "items_read": ItemsRead,
})
SummaryAnswer.__doc__ = "A period's figures (core/analytics.summary) and what reading them took."


class DailyRow(TypedDict):
    """A day's figures (core/analytics.daily)."""

    day: str
    receipts: int
    member_receipts: int
    revenue: int
    member_revenue: int
    member_share: float | None
    new_members: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    points_adjusted_out: int


DailyAnswer = TypedDict("DailyAnswer", {"from": str, "to": str, "days": list[DailyRow]})
DailyAnswer.__doc__ = "A period's figures day by day."


class SegmentsAnswer(TypedDict):
    """Members by lifecycle and RFM segment today, and the thresholds that put them there."""

    as_of: str
    members: int
    thresholds: dict[str, Any]
    lifecycle: dict[str, int]
    rfm_segments: dict[str, int]
    rfm_scores: dict[str, int]
    location_id: str | None  # the members whose home this location is; None: every member


class SegmentCardRow(Classified):
    """A card of a segment (and a row of the cards export)."""

    id: str
    number: str
    name: str | None
    tier: str | None
    status: str
    balance: int
    joined_on: str
    receipts: int
    revenue: int
    last_purchase_on: str | None
    home_location: str | None  # its home location's id (core/locations.py); None: none (yet)


class SegmentCardsPage(TypedDict):
    items: list[SegmentCardRow]
    next_cursor: str | None


class LocationFigures(TypedDict):
    """A period's figures at a location (core/analytics.compared), or those no listed location took
    ("unassigned": receipts without a location, or at one no longer on the program's list, and the cards
    without a home)."""

    receipts: int
    revenue: int
    member_revenue: int
    member_share: float | None
    aov: int | None
    refunds: int
    refunded: int
    new_members: int
    points_issued: int
    points_redeemed: int
    members: int  # the cards whose home it is, joined by the period's end


class LocationRow(LocationFigures):
    """A location's figures beside the others'."""

    location_id: str
    name: str
    status: str


LocationsAnswer = TypedDict("LocationsAnswer", {
    "from": str, "to": str, "items": list[LocationRow], "unassigned": LocationFigures, "items_read": ItemsRead})
LocationsAnswer.__doc__ = "A period's figures location by location (GET .../analytics/locations)."

READERS = 8  # the cards index is read in this many time slices at once
History = tuple[str, str, int, dict[str, Any]]  # a card as the cards index gives it (store/cards.histories)


def location_of(program: Program, location_id: str) -> places.Location:
    """The program's location of this id (a closed one too: its history stays readable), else 404."""
    found = places.find(places.from_stored(program.locations), location_id)
    if found is None:
        raise NotFound("The program has no location with this id.", code="location_not_found", field="location_id")
    return found


def _where(program: Program, location_id: str | None) -> str | None:
    """The location asked for, checked to be the program's; None: the whole program."""
    return None if location_id is None else location_of(program, location_id).location_id


def period(program: Program, asked: PeriodQuery, now: datetime, longest: int) -> tuple[date, date]:
    """The days asked for, in the program's time zone, both ends included; the last 30 days by default."""
    end = asked.end or clock.local_day(now, program.timezone)
    start = asked.start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput("'from' must not be after 'to'.", code="invalid_range", field="from")
    if (end - start).days + 1 > longest:
        raise InvalidInput(f"A period is at most {longest} days.", code="invalid_range", field="from")
    return start, end


def day_of(created_at: str, zone: str) -> str:
    """The program-local day of a stored UTC time."""
    return clock.local_day(datetime.fromisoformat(created_at), zone).isoformat()


def joined_on(card: Card, zone: str) -> str:
    return day_of(card.created_at, zone)


def member_of(card: Card, zone: str) -> numbers.Member:
    return numbers.member_from_stats(card.card_id, joined_on(card, zone), card.stats or {}, int(card.balance or 0))


def _slices(program: Program, now: datetime) -> list[tuple[str, str]]:
    """The program's life cut into READERS time ranges of the cards index's sort key (created_at#id)."""
    first = datetime.fromisoformat(program.created_at)
    last = now + timedelta(minutes=5)
    if last <= first:
        return [("", "~")]
    step = (last - first) / READERS
    bounds = [db.iso(first + step * i) for i in range(1, READERS)]
    return list(zip(["", *bounds], [*bounds, "~"], strict=True))


def each_card[Part](program: Program, now: datetime,  # Part: what `work` makes of one slice of cards
                    work: Callable[[Iterator[History]], Part]) -> tuple[list[Part], int]:
    """Run `work(cards) -> part` over every card, from the cards index read in time slices side by
    side, each slice page by page (nobody holds all the cards). Returns the parts and the cards read."""

    def run(bounds: tuple[str, str]) -> tuple[Part, int]:
        read = [0]

        def cards() -> Iterator[History]:
            for history in card_store.histories(program.program_id, *bounds):
                read[0] += 1
                yield history

        part = work(cards())
        return part, read[0]

    with ThreadPoolExecutor(READERS) as pool:
        done = list(pool.map(run, _slices(program, now)))
    return [part for part, _ in done], sum(read for _, read in done)


def each_member[Part](program: Program, now: datetime,  # Part: what `work` makes of one slice of members
                      work: Callable[[Iterator[numbers.Member]], Part], home: str | None = None
                      ) -> tuple[list[Part], int]:
    """`each_card`, with each card as a member; `home`: only the cards whose home is that location (every
    card is still read: the index is the program's)."""
    zone = program.timezone

    def members(cards: Iterator[History]) -> Iterator[numbers.Member]:
        for card_id, created_at, balance, stats in cards:
            if home is None or stats.get("home") == home:
                yield numbers.member_from_stats(card_id, day_of(created_at, zone), stats, balance)

    return each_card(program, now, lambda cards: work(members(cards)))


def summary(program: Program, asked: PeriodQuery, now: datetime) -> SummaryAnswer:
    start, end = period(program, asked, now, MAX_SUMMARY_DAYS)
    where = _where(program, asked.location_id)
    mechanics = mech.from_stored(program.mechanics)
    days = store.read_period(store.scope(program.program_id, where), start.isoformat(), end.isoformat())
    # "Active" means one thing on every page: bought within the lifecycle's active days (the segments'),
    # not a second window of its own; the day's snapshot, so usually no extra read.
    cuts, threshold_cards = _thresholds(program, now)
    window = cuts.active_days
    parts, cards_read = each_member(program, now, lambda members: numbers.member_totals(members, start, end, window),
                                    home=where)
    totals = sum(parts, numbers.MemberTotals())
    # a location holds no points of its own: its "outstanding" is what its homed members hold now
    outstanding = days.outstanding if where is None else totals.balance
    figures = numbers.summary(days.days, totals, start=start, end=end, window=window,
                              point_value=mechanics.point_value, outstanding=outstanding, homed=where is not None)
    answer = cast(SummaryAnswer, figures)  # core's figures, as SummaryAnswer spells them; the rest added here
    answer["location_id"] = where
    answer["items_read"] = {"days": days.items_read, "cards": cards_read + threshold_cards}
    log.info("analytics_summary", program_id=program.program_id, days=(end - start).days + 1,
             day_items=days.items_read, card_items=cards_read, by_location=where is not None)
    return answer


def daily(program: Program, asked: PeriodQuery, now: datetime) -> DailyAnswer:
    start, end = period(program, asked, now, MAX_SERIES_DAYS)
    where = _where(program, asked.location_id)
    days = store.read_period(store.scope(program.program_id, where), start.isoformat(), end.isoformat())
    rows = cast(list[DailyRow], numbers.daily(days.days, start, end))  # core's rows, as DailyRow spells them
    return {"from": start.isoformat(), "to": end.isoformat(), "days": rows}


# --- segments ------------------------------------------------------------------------------------

def thresholds(program: Program, now: datetime) -> seg.Thresholds:
    """Today's thresholds: the stored snapshot if it is from today (and the program's lifecycle settings
    have not changed since), else computed (one pass over the members) and stored."""
    return _thresholds(program, now)[0]


def _thresholds(program: Program, now: datetime) -> tuple[seg.Thresholds, int]:
    """`thresholds`, and how many cards computing them read (0 for the day's snapshot)."""
    today = clock.local_day(now, program.timezone)
    mechanics = mech.from_stored(program.mechanics)
    stored = store.thresholds(program.program_id)
    if (stored and stored.get("computed_on") == today.isoformat()
            and stored.get("settings") == [mechanics.active_days, mechanics.lost_after_days]):
        return seg.Thresholds.from_dict(stored), 0
    parts, cards_read = each_member(program, now, lambda members: seg.observe(members, today))
    fresh = seg.thresholds_from(sum(parts, seg.Observations()), today, mechanics.active_days,
                                mechanics.lost_after_days)
    store.save_thresholds(program.program_id, fresh.to_dict())
    return fresh, cards_read


def classify(member: numbers.Member, today: date, cuts: seg.Thresholds) -> Classified:
    scores = seg.rfm(member, today, cuts)
    return {"lifecycle": seg.lifecycle(member, today, cuts), "rfm": "".join(map(str, scores)) if scores else None,
            "rfm_segment": seg.rfm_segment(scores)}


def _segment_counts(members: Iterable[numbers.Member], today: date, cuts: seg.Thresholds) -> Counter[str]:
    counts: Counter[str] = Counter()
    for member in members:
        found = classify(member, today, cuts)
        counts["members"] += 1
        counts["lifecycle:" + found["lifecycle"]] += 1
        if found["rfm"]:
            counts[f"rfm:{found['rfm_segment']}"] += 1
            counts["score:" + found["rfm"]] += 1
    return counts


def segments(program: Program, now: datetime, location_id: str | None = None) -> SegmentsAnswer:
    """`location_id`: only the members whose home it is, cut by the program's thresholds."""
    where = _where(program, location_id)
    today = clock.local_day(now, program.timezone)
    cuts = thresholds(program, now)
    parts, _ = each_member(program, now, lambda members: _segment_counts(members, today, cuts), home=where)
    counts: Counter[str] = sum(parts, Counter())
    scores = {key[6:]: n for key, n in sorted(counts.items()) if key.startswith("score:")}
    return {"as_of": today.isoformat(), "members": counts["members"], "thresholds": cuts.to_dict(),
            "lifecycle": {name: counts["lifecycle:" + name] for name in seg.LIFECYCLE},
            "rfm_segments": {name: counts["rfm:" + name] for name in seg.RFM_SEGMENTS}, "rfm_scores": scores,
            "location_id": where}


SEGMENT_NAMES = (*seg.LIFECYCLE, *seg.RFM_SEGMENTS)


def segment_cards(program: Program, segment: str, limit: int, cursor: str | None, now: datetime, *,
                  location_id: str | None = None) -> SegmentCardsPage:
    """The cards of one segment (lifecycle or RFM), a page at a time, newest first; `location_id`: only
    those whose home it is."""
    if segment not in SEGMENT_NAMES:
        raise InvalidInput(f"Segments are {', '.join(SEGMENT_NAMES)}.", code="invalid_choice", field="segment")
    where = _where(program, location_id)
    today = clock.local_day(now, program.timezone)
    cuts = thresholds(program, now)
    items: list[SegmentCardRow] = []
    while True:
        cards, cursor = card_store.list_for_program(program.program_id, max(limit * 4, 100), cursor)
        for card in cards:
            if where is not None and (card.stats or {}).get("home") != where:
                continue
            found = classify(member_of(card, program.timezone), today, cuts)
            if segment in (found["lifecycle"], found["rfm_segment"]):
                items.append(card_row(card, program.timezone, found))
                if len(items) == limit:
                    key = {"created_key": {"S": card.created_key}, "card_id": {"S": card.card_id}}
                    return {"items": items, "next_cursor": pages.encode(key, "created_key", "card_id")}
        if not cursor:
            return {"items": items, "next_cursor": None}


def card_row(card: Card, zone: str, found: Classified) -> SegmentCardRow:
    stats = card.stats or {}
    return {"id": card.card_id, "number": card.number, "name": card.name, "tier": card.tier,
            "status": card.status, "balance": int(card.balance or 0), "joined_on": joined_on(card, zone),
            "receipts": int(stats.get("receipts", 0)), "revenue": int(stats.get("revenue", 0)),
            "last_purchase_on": stats.get("last_purchase_on"), "home_location": stats.get("home"), **found}


# --- locations side by side ------------------------------------------------------------------------

def by_location(program: Program, asked: PeriodQuery, now: datetime) -> LocationsAnswer:
    """Every location of the program (closed ones too, in the owner's order) with its period's figures, and
    what no listed location took ("unassigned": the program's counters less the locations'). Costs one
    period read per location and one for the program (MAX_LOCATIONS + 1 at most, READERS at a time), and
    one pass over the cards for their homes."""
    start, end = period(program, asked, now, MAX_SUMMARY_DAYS)
    listed = places.from_stored(program.locations)
    scopes = [program.program_id, *(store.scope(program.program_id, item.location_id) for item in listed)]
    with ThreadPoolExecutor(min(READERS, len(scopes))) as pool:
        read = list(pool.map(lambda scope: store.read_period(scope, start.isoformat(), end.isoformat()), scopes))
    last, zone = end.isoformat(), program.timezone

    def homes(cards: Iterator[History]) -> Counter[str | None]:
        return Counter(stats.get("home") for _, created_at, _, stats in cards if day_of(created_at, zone) <= last)

    parts, cards_read = each_card(program, now, homes)
    members: Counter[str | None] = sum(parts, Counter())
    whole, *each = [numbers.total_counts(item.days) for item in read]
    items: list[LocationRow] = []
    for location, counts in zip(listed, each, strict=True):
        row = numbers.compared(counts, members[location.location_id])
        items.append(cast(LocationRow, {"location_id": location.location_id, "name": location.name,
                                        "status": location.status, **row}))
    homed = sum(members[location.location_id] for location in listed)
    unassigned = cast(LocationFigures, numbers.compared(numbers.subtract(whole, *each), members.total() - homed))
    log.info("analytics_locations", program_id=program.program_id, locations=len(listed),
             day_items=sum(item.items_read for item in read), card_items=cards_read)
    return {"from": start.isoformat(), "to": end.isoformat(), "items": items, "unassigned": unassigned,
            "items_read": {"days": sum(item.items_read for item in read), "cards": cards_read}}


# --- the nightly job -----------------------------------------------------------------------------

def nightly(program: Program, now: datetime) -> dict[str, object]:
    """Fold the closed days' shards (two days back: no write lands on them any more), the program's and
    every location's (closed ones, and those no longer on the list, included: the store remembers every
    location it has seen listed), and take the day's segment thresholds."""
    today = clock.local_day(now, program.timezone)
    until = (today - timedelta(days=2)).isoformat()
    folded = store.fold(program.program_id, until)
    known = store.known_locations(program.program_id, [item.location_id
                                                       for item in places.from_stored(program.locations)])
    location_days = sum(store.fold(store.scope(program.program_id, location_id), until)
                        for location_id in sorted(known))
    cuts = thresholds(program, now)
    return {"days_folded": folded, "location_days_folded": location_days, "locations": len(known),
            "buyers": cuts.buyers}
