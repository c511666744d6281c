"""The owner's numbers: a period's summary, its daily series, segments and the cards in them.

What each read costs: the additive numbers come from the daily counters (one item per day of the
period, plus the few shards of days not yet folded); the per-member numbers from every card's
compact stats, read once per request from the cards index (which projects them). Segment thresholds
are a snapshot of the day, made by the nightly job (or by the first request of the day that needs
them), so listing a segment page by page reads only those pages.
"""
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from chalicelib import log
from chalicelib.core import analytics as numbers
from chalicelib.core import mechanics as mech
from chalicelib.core import segments as seg
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput
from chalicelib.store import analytics as store
from chalicelib.store import db, pages
from chalicelib.store.models import Card
from chalicelib.usecases import clock

DEFAULT_DAYS = 30
MAX_SUMMARY_DAYS = 3660
MAX_SERIES_DAYS = 731
READERS = 8  # the cards index is read in this many time slices at once


@dataclass
class Reading:
    """Members read for a request, and the cost."""

    members: list = field(default_factory=list)
    items_read: int = 0


def period(program, raw_from: str | None, raw_to: str | None, now: datetime, longest: int) -> tuple[date, date]:
    """The days asked for, in the program's time zone, both ends included; the last 30 days by default."""
    today = clock.local_day(now, program.timezone)
    end = v.parse_day(raw_to, "to") if raw_to else today
    start = v.parse_day(raw_from, "from") if raw_from else end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput("'from' must not be after 'to'.", code="invalid_range", field="from")
    if (end - start).days + 1 > longest:
        raise InvalidInput(f"A period is at most {longest} days.", code="invalid_range", field="from")
    return start, end


def joined_on(card, zone: str) -> str:
    return clock.local_day(datetime.fromisoformat(card.created_at), zone).isoformat()


def member_of(card, zone: str) -> numbers.Member:
    return numbers.member_from_stats(card.card_id, joined_on(card, zone), card.stats or {}, int(card.balance or 0))


def _slices(program, now: datetime) -> list[tuple[str, str]]:
    """The program's life cut into READERS time ranges of the cards index's sort key (created_at#id)."""
    first = datetime.fromisoformat(program.created_at)
    last = now + timedelta(minutes=5)
    if last <= first:
        return [("", "~")]
    step = (last - first) / READERS
    bounds = [db.iso(first + step * i) for i in range(1, READERS)]
    return list(zip(["", *bounds], [*bounds, "~"]))


def _read_slice(program_id: str, bounds: tuple[str, str]) -> tuple[list, int]:
    lo, hi = bounds
    condition = Card.created_key.between(lo, hi) if lo else Card.created_key < hi
    cards = list(Card.by_program.query(program_id, condition))
    return cards, len(cards)


def read_members(program, now: datetime) -> Reading:
    """Every member's compact history, from the cards index, read in time slices side by side."""
    reading = Reading()
    zone = program.timezone
    with ThreadPoolExecutor(READERS) as pool:
        for cards, count in pool.map(lambda b: _read_slice(program.program_id, b), _slices(program, now)):
            reading.items_read += count
            reading.members.extend(member_of(card, zone) for card in cards)
    return reading


def summary(program, raw_from: str | None, raw_to: str | None, now: datetime) -> dict:
    start, end = period(program, raw_from, raw_to, now, MAX_SUMMARY_DAYS)
    mechanics = mech.from_stored(program.mechanics)
    days = store.read_period(program.program_id, start.isoformat(), end.isoformat())
    reading = read_members(program, now)
    answer = numbers.summary(days.days, reading.members, start=start, end=end,
                             window=mechanics.activity_window_days, point_value=mechanics.point_value,
                             outstanding=days.outstanding)
    answer["items_read"] = {"days": days.items_read, "cards": reading.items_read}
    log.info("analytics_summary", program_id=program.program_id, days=(end - start).days + 1,
             day_items=days.items_read, card_items=reading.items_read)
    return answer


def daily(program, raw_from: str | None, raw_to: str | None, now: datetime) -> dict:
    start, end = period(program, raw_from, raw_to, now, MAX_SERIES_DAYS)
    days = store.read_period(program.program_id, start.isoformat(), end.isoformat())
    return {"from": start.isoformat(), "to": end.isoformat(), "days": numbers.daily(days.days, start, end)}


# --- segments ------------------------------------------------------------------------------------

def thresholds(program, now: datetime, members: list | None = None) -> seg.Thresholds:
    """Today's thresholds: the stored snapshot if it is from today, else computed and stored."""
    today = clock.local_day(now, program.timezone)
    stored = store.thresholds(program.program_id)
    if stored and stored.get("computed_on") == today.isoformat():
        return seg.Thresholds.from_dict(stored)
    if members is None:
        members = read_members(program, now).members
    fresh = seg.compute(members, today)
    store.save_thresholds(program.program_id, fresh.to_dict())
    return fresh


def classify(member: numbers.Member, today: date, cuts: seg.Thresholds) -> dict:
    scores = seg.rfm(member, today, cuts)
    return {"lifecycle": seg.lifecycle(member, today, cuts), "rfm": "".join(map(str, scores)) if scores else None,
            "rfm_segment": seg.rfm_segment(scores)}


def segments(program, now: datetime) -> dict:
    today = clock.local_day(now, program.timezone)
    reading = read_members(program, now)
    cuts = thresholds(program, now, reading.members)
    lifecycle = dict.fromkeys(seg.LIFECYCLE, 0)
    rfm_segments = dict.fromkeys(seg.RFM_SEGMENTS, 0)
    scores: dict = {}
    for member in reading.members:
        found = classify(member, today, cuts)
        lifecycle[found["lifecycle"]] += 1
        if found["rfm"]:
            rfm_segments[found["rfm_segment"]] += 1
            scores[found["rfm"]] = scores.get(found["rfm"], 0) + 1
    return {"as_of": today.isoformat(), "members": len(reading.members), "thresholds": cuts.to_dict(),
            "lifecycle": lifecycle, "rfm_segments": rfm_segments, "rfm_scores": dict(sorted(scores.items()))}


SEGMENT_NAMES = (*seg.LIFECYCLE, *seg.RFM_SEGMENTS)


def segment_cards(program, segment: str, limit: int, cursor: str | None, now: datetime) -> dict:
    """The cards of one segment (lifecycle or RFM), a page at a time, newest first."""
    if segment not in SEGMENT_NAMES:
        raise InvalidInput(f"Segments are {', '.join(SEGMENT_NAMES)}.", code="invalid_choice", field="segment")
    today = clock.local_day(now, program.timezone)
    cuts = thresholds(program, now)
    items, start = [], pages.decode(cursor, "program_id", program.program_id, "created_key", "card_id")
    while True:
        result = Card.by_program.query(program.program_id, limit=max(limit * 4, 100), last_evaluated_key=start,
                                       scan_index_forward=False)
        for card in result:
            found = classify(member_of(card, program.timezone), today, cuts)
            if segment in (found["lifecycle"], found["rfm_segment"]):
                items.append(card_row(card, program.timezone, found))
                if len(items) == limit:
                    key = {"created_key": {"S": card.created_key}, "card_id": {"S": card.card_id}}
                    return {"items": items, "next_cursor": pages.encode(key, "created_key", "card_id")}
        start = result.last_evaluated_key
        if not start:
            return {"items": items, "next_cursor": None}


def card_row(card, zone: str, found: dict) -> dict:
    stats = card.stats or {}
    return {"id": card.card_id, "number": card.number, "name": card.name, "tier": card.tier,
            "status": card.status, "balance": int(card.balance or 0), "joined_on": joined_on(card, zone),
            "receipts": int(stats.get("receipts", 0)), "revenue": int(stats.get("revenue", 0)),
            "last_purchase_on": stats.get("last_purchase_on"), **found}


# --- the nightly job -----------------------------------------------------------------------------

def nightly(program, now: datetime) -> dict:
    """Fold the closed days' shards (two days back: no write lands on them any more) and take the
    day's segment thresholds."""
    today = clock.local_day(now, program.timezone)
    folded = store.fold(program.program_id, (today - timedelta(days=2)).isoformat())
    cuts = thresholds(program, now)
    return {"days_folded": folded, "buyers": cuts.buyers}
