"""The program's numbers, as pure functions (formulas: shared/reference/loyalty-platforms.md §4).

Two sources feed them:
- per-program daily counters (additive: receipts, revenue, points), kept up to date by every write
  (see `tally`) and read one item per day;
- each member's compact history (`Member`: purchases and net spend per program-local day), read once
  per request, for what cannot be added up day by day: buyers, frequency, repeat rate, CRR, LTV.

Money is integer minor units; "revenue" is money actually paid (the part of a receipt paid with points
is a discount, not revenue), net of refunds, which count on the day they happen. Receipts count on the
till's business day; points on the day they were booked. Percentages have two decimals; a ratio with
nothing to divide by is null.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any, Protocol

from chalicelib.core import surveys as survey_rules

Counts = dict[str, int]  # counter name -> amount (a day's, a period's, a change's)
Numbers = dict[str, Any]  # a summary or a daily row as the API answers it (counts, ratios, nulls)


class Booked(Protocol):
    """A ledger entry as analytics counts it."""

    @property
    def kind(self) -> str: ...

    @property
    def amount(self) -> int: ...


COUNTERS = (
    "receipts", "member_receipts", "revenue", "member_revenue", "refunds", "refunded", "new_members",
    "points_earned", "points_bonus", "points_adjusted_in", "points_adjusted_out", "points_redeemed",
    "points_returned", "points_reversed", "points_expired", "points_imported",
    *survey_rules.COUNTERS,  # surveys' answers by day (core/surveys.py): NPS groups, CSI sum and count
)
REPEAT_RECEIPTS = 2  # a buyer with this many receipts in the period is a repeat buyer
_POINTS_BY_KIND = {"earn": "points_earned", "bonus": "points_bonus", "redeem": "points_redeemed",
                   "refund_return": "points_returned", "refund_reverse": "points_reversed",
                   "expire": "points_expired",
                   # balances moved in from another system: held, so outstanding, but not issued by this
                   # program in the period (the period's issue and redemption rates leave them out)
                   "import": "points_imported"}


# --- counting as it happens ----------------------------------------------------------------------

def points_counts(entries: Iterable[Booked]) -> Counts:
    """Ledger entries (anything with .kind and a signed .amount) as daily point counters."""
    counts: Counts = {}
    for entry in entries:
        if not entry.amount:
            continue
        if entry.kind == "adjust":
            name = "points_adjusted_in" if entry.amount > 0 else "points_adjusted_out"
        else:
            name = _POINTS_BY_KIND[entry.kind]
        counts[name] = counts.get(name, 0) + abs(entry.amount)
    return counts


def sale_counts(paid: int, member: bool) -> Counts:
    """A receipt: `paid` is the money part (total less what points paid for)."""
    counts = {"receipts": 1, "revenue": paid}
    if member:
        counts.update(member_receipts=1, member_revenue=paid)
    return counts


def refund_counts(refunded_money: int, member: bool) -> Counts:
    counts = {"refunds": 1, "refunded": refunded_money, "revenue": -refunded_money}
    if member:
        counts["member_revenue"] = -refunded_money
    return counts


def merge(*parts: Counts) -> Counts:
    total: Counts = {}
    for part in parts:
        for name, value in part.items():
            if value:
                total[name] = total.get(name, 0) + value
    return total


def net_points(counts: Counts) -> int:
    """How much the program's outstanding points changed."""
    view = points_view(counts)
    return (view["points_issued"] + counts.get("points_imported", 0) - view["points_redeemed"]
            - view["points_expired"] - view["points_adjusted_out"])


# --- members --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    """One card's history as analytics needs it."""

    card_id: str
    joined_on: str  # program-local day of enrollment
    visits: dict[str, int] = field(default_factory=dict)  # day -> receipts
    spend: dict[str, int] = field(default_factory=dict)  # day -> net money paid
    first_purchase_on: str | None = None
    last_purchase_on: str | None = None
    balance: int = 0

    def bought_between(self, start: str, end: str) -> bool:
        if self.last_purchase_on is None or self.last_purchase_on < start or (self.first_purchase_on or "") > end:
            return False
        return any(start <= day <= end for day in self.visits)

    def receipts_between(self, start: str, end: str) -> int:
        return sum(count for day, count in self.visits.items() if start <= day <= end)

    def spend_between(self, start: str, end: str) -> int:
        return sum(amount for day, amount in self.spend.items() if start <= day <= end)


def member_from_stats(card_id: str, joined_on: str, stats: dict[str, Any], balance: int = 0) -> Member:
    visits = stats.get("visits")
    if visits is None:  # cards from before visits were kept: a day with spend was one visit
        visits = {day: 1 for day in stats.get("spend", {})}
    return Member(card_id, joined_on, dict(visits), dict(stats.get("spend", {})), stats.get("first_purchase_on"),
                  stats.get("last_purchase_on"), int(balance))


# --- the period's numbers ------------------------------------------------------------------------

def percent(part: float, whole: float) -> float | None:
    return round(part * 100 / whole, 2) if whole else None


def ratio(part: float, whole: float, digits: int = 2) -> float | None:
    return round(part / whole, digits) if whole else None


def days_between(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def total_counts(days: dict[str, Counts]) -> Counts:
    return merge(*days.values())


def points_view(counts: Counts) -> Counts:
    get = counts.get
    issued = (get("points_earned", 0) + get("points_bonus", 0) + get("points_adjusted_in", 0)
              - get("points_reversed", 0))
    redeemed = get("points_redeemed", 0) - get("points_returned", 0)
    return {"points_issued": issued, "points_redeemed": redeemed, "points_expired": get("points_expired", 0),
            "points_adjusted_out": get("points_adjusted_out", 0)}


@dataclass
class MemberTotals:
    """What the period's per-member numbers are made of. Additive: members can be counted in parts
    (side by side, page by page) and the parts summed, so nobody holds every member at once."""

    members: int = 0
    buyers: int = 0
    receipts: int = 0  # the members' receipts in the period, wherever they bought (a location's frequency)
    repeaters: int = 0
    active_start: int = 0
    active_end: int = 0
    first_in_period: int = 0
    revenue_to_date: int = 0  # members' net spend up to the end of the period
    balance: int = 0  # the points the members hold now (a location's "outstanding": its homed members')

    def __add__(self, other: "MemberTotals") -> "MemberTotals":
        return MemberTotals(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def member_totals(members: Iterable[Member], start: date, end: date, window: int) -> MemberTotals:
    lo, hi = start.isoformat(), end.isoformat()
    before = (start - timedelta(days=1)).isoformat()
    start_window = (start - timedelta(days=window)).isoformat()  # W days ending the day before `from`
    end_window = (end - timedelta(days=window - 1)).isoformat()  # W days ending `to`
    t = MemberTotals()
    for member in members:
        if member.joined_on > hi:
            continue
        t.members += 1
        receipts = member.receipts_between(lo, hi)
        if receipts:
            t.receipts += receipts
            t.buyers += 1
            t.repeaters += receipts >= REPEAT_RECEIPTS
        t.active_start += member.bought_between(start_window, before)
        t.active_end += member.bought_between(end_window, hi)
        t.first_in_period += member.first_purchase_on is not None and lo <= member.first_purchase_on <= hi
        t.revenue_to_date += sum(amount for day, amount in member.spend.items() if day <= hi)
        t.balance += member.balance
    return t


def summary(days: dict[str, Counts], t: MemberTotals, *, start: date, end: date,  # noqa: PLR0913 (named figures)
            window: int, point_value: int, outstanding: int, homed: bool = False) -> Numbers:
    """`days`: day -> counters for the days of the period (missing days had nothing); `t`: the members'
    totals for the same period (`member_totals`, with `window` = the lifecycle's active days, so that a
    member "active" in CRR is one the segments call active); `outstanding`: points held at the end of `end`.
    `homed`: `days` are a location's and `t` its homed members' (frequency is then the members' own
    receipts wherever they bought, per buyer, not the location's member receipts: a member of another
    location buying here is not among these buyers)."""
    counts = total_counts(days)
    get = counts.get
    points = points_view(counts)
    receipts, revenue = get("receipts", 0), get("revenue", 0)
    crr = percent(t.active_end - t.first_in_period, t.active_start)
    return {
        # one meaning of "active" (core/segments.lifecycle's `active_days`); the older name kept for callers
        "from": start.isoformat(), "to": end.isoformat(), "active_days": window, "activity_window_days": window,
        "receipts": receipts, "member_receipts": get("member_receipts", 0),
        "revenue": revenue, "member_revenue": get("member_revenue", 0),
        "refunds": get("refunds", 0), "refunded": get("refunded", 0),
        "sor": percent(get("member_revenue", 0), revenue),
        "aov": round(revenue / receipts) if receipts else None,
        "members": t.members, "buyers": t.buyers,
        "frequency": ratio(t.receipts if homed else get("member_receipts", 0), t.buyers),
        "repeat_rate": percent(t.repeaters, t.buyers),
        "new_members": get("new_members", 0),
        "active_at_start": t.active_start, "active_at_end": t.active_end, "new_buyers": t.first_in_period,
        "crr": crr,
        "ltv": round(t.revenue_to_date / t.members) if t.members else None,
        **points,
        "redemption_rate": percent(points["points_redeemed"], points["points_issued"]),
        "breakage": percent(points["points_expired"], points["points_issued"]),
        "outstanding_points": outstanding,
        "liability": outstanding * point_value,
        # surveys answered in the period (core/surveys.py): null when nobody answered one of that kind
        "nps": survey_rules.nps(counts), "csi": survey_rules.csi(counts),
    }


def daily(days: dict[str, Counts], start: date, end: date) -> list[Numbers]:
    rows: list[Numbers] = []
    for day in days_between(start, end):
        counts = days.get(day, {})
        get = counts.get
        rows.append({"day": day, "receipts": get("receipts", 0), "member_receipts": get("member_receipts", 0),
                     "revenue": get("revenue", 0), "member_revenue": get("member_revenue", 0),
                     "member_share": percent(get("member_revenue", 0), get("revenue", 0)),
                     "new_members": get("new_members", 0), **points_view(counts)})
    return rows


def compared(counts: Counts, members: int) -> Numbers:
    """A location's row of the comparison (or the receipts without one): its period's counters summed, and
    `members`, the cards whose home it is."""
    get = counts.get
    points = points_view(counts)
    receipts, revenue = get("receipts", 0), get("revenue", 0)
    return {"receipts": receipts, "revenue": revenue, "member_revenue": get("member_revenue", 0),
            "member_share": percent(get("member_revenue", 0), revenue),
            "aov": round(revenue / receipts) if receipts else None,
            "refunds": get("refunds", 0), "refunded": get("refunded", 0), "new_members": get("new_members", 0),
            "points_issued": points["points_issued"], "points_redeemed": points["points_redeemed"],
            "members": members}


def subtract(whole: Counts, *parts: Counts) -> Counts:
    """`whole` less each of `parts` (a program's counters less its locations': what no location took)."""
    left = dict(whole)
    for part in parts:
        for name, value in part.items():
            left[name] = left.get(name, 0) - value
    return {name: value for name, value in left.items() if value}
