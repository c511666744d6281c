"""Who is who among a program's members: lifecycle segments, RFM scores, and campaign audiences.
Analytics and campaigns use these same definitions.

Lifecycle. With I = the median gap in days between a member's consecutive purchase days, over the
whole program: new = joined within 30 days with at most one purchase; active = last purchase at most
2·I days ago; sleeping = up to 4·I; lost = longer ago, or never bought and joined more than 30 days
ago. A young program (fewer than MIN_GAPS repeat gaps) uses its fixed settings instead (mechanics
`lifecycle`: 30 / 90 days unless set). 2·I is kept between 14 and 180 days: however often the
regulars come, a member stays active for two weeks and is lost only after four.

RFM. R = days since the last purchase, F = receipts and M = net spend over the last RFM_WINDOW_DAYS.
Scores run 1-5 (5 best). Below QUINTILE_MIN_BUYERS buyers the cuts are fixed (R: 14/30/60/120 days,
F: 1/2/5/11 receipts, M: 0.4/0.75/1.5/3 times the median buyer's spend); from that many up they are
the buyers' quintiles. A member who never bought has no RFM score.
"""
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from statistics import median
from typing import Any

from chalicelib.core import validation as v
from chalicelib.core.analytics import Member
from chalicelib.errors import InvalidInput

NEW_DAYS = 30
FIXED_ACTIVE_DAYS, FIXED_SLEEPING_DAYS = 30, 90
MIN_GAPS = 100
ACTIVE_BOUNDS = (14, 180)
RFM_WINDOW_DAYS = 365
QUINTILE_MIN_BUYERS = 500
FIXED_R_CUTS = (14, 30, 60, 120)
FIXED_F_CUTS = (1, 2, 5, 11)
FIXED_M_FACTORS = (0.4, 0.75, 1.5, 3)
LIFECYCLE = ("new", "active", "sleeping", "lost")
# (name, R scores, F&M scores): the standard cells, first match wins (shared/reference §4); with
# scores from 1, "lost" (0-2 / 0-2 there) is the lowest corner, ahead of "hibernating".
RFM_CELLS = (
    ("champions", (4, 5), (4, 5)),
    ("loyal", (2, 5), (3, 5)),
    ("new_customers", (4, 5), (1, 1)),
    ("potential_loyalists", (3, 5), (1, 3)),
    ("need_attention", (2, 3), (2, 3)),
    ("at_risk", (1, 2), (2, 5)),
    ("lost_customers", (1, 1), (1, 1)),
    ("hibernating", (1, 2), (1, 2)),
)  # every pair of scores falls in one of them
RFM_SEGMENTS = tuple(name for name, _, _ in RFM_CELLS)
FILTER_BOUNDS = ("min_spend", "max_spend", "min_visits", "max_visits")
KINDS = ("all", "tier", "new", "active", "sleeping", "lost", "rfm", "birthdays_this_month", "filter")


@dataclass(frozen=True)
class Thresholds:
    """What the segments of a program are cut by, computed from all its members (see `compute`)."""

    computed_on: str
    active_days: int = FIXED_ACTIVE_DAYS
    sleeping_days: int = FIXED_SLEEPING_DAYS
    lifecycle_basis: str = "fixed"  # fixed | median_gap
    median_gap_days: float | None = None
    buyers: int = 0
    rfm_basis: str = "fixed"  # fixed | quintiles
    r_cuts: tuple[int, ...] = FIXED_R_CUTS
    f_cuts: tuple[int, ...] = FIXED_F_CUTS
    m_cuts: tuple[int, ...] = ()
    settings: tuple[int, ...] = (FIXED_ACTIVE_DAYS, FIXED_SLEEPING_DAYS)  # the program's fixed days they were cut with

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "r_cuts": list(self.r_cuts), "f_cuts": list(self.f_cuts),
                "m_cuts": list(self.m_cuts), "settings": list(self.settings)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Thresholds":
        return cls(**{**data, "r_cuts": tuple(data["r_cuts"]), "f_cuts": tuple(data["f_cuts"]),
                      "m_cuts": tuple(data["m_cuts"]), "settings": tuple(data.get("settings", ()))})


def fixed(today: date) -> Thresholds:
    return Thresholds(computed_on=today.isoformat())


def _window(today: date) -> tuple[str, str]:
    return (today - timedelta(days=RFM_WINDOW_DAYS - 1)).isoformat(), today.isoformat()


def _gaps(member: Member) -> list[int]:
    days = sorted(date.fromisoformat(day) for day, count in member.visits.items() if count > 0)
    return [(later - earlier).days for earlier, later in zip(days, days[1:], strict=False)]


def _quintile_cuts(values: list[int]) -> tuple[int, ...]:
    """The top value of each of the lower four fifths: a value above cut k scores above k."""
    ordered = sorted(values)
    n = len(ordered)
    return tuple(ordered[max(0, n * k // 5 - 1)] for k in range(1, 5))


@dataclass
class Observations:
    """What thresholds are computed from, gathered in parts and summed (see MemberTotals)."""

    gaps: Counter[int] = field(default_factory=Counter)  # gap in days -> how many
    recency: list[int] = field(default_factory=list)  # per buyer: days since the last purchase
    frequency: list[int] = field(default_factory=list)  # per buyer: receipts in the RFM window
    monetary: list[int] = field(default_factory=list)  # per buyer: net spend in the RFM window

    def __add__(self, other: "Observations") -> "Observations":
        return Observations(self.gaps + other.gaps, self.recency + other.recency, self.frequency + other.frequency,
                            self.monetary + other.monetary)


def observe(members: Iterable[Member], today: date) -> Observations:
    seen = Observations()
    lo, hi = _window(today)
    for member in members:
        seen.gaps.update(_gaps(member))
        if member.last_purchase_on is None or member.last_purchase_on > hi:
            continue
        seen.recency.append((today - date.fromisoformat(member.last_purchase_on)).days)
        seen.frequency.append(member.receipts_between(lo, hi))
        seen.monetary.append(member.spend_between(lo, hi))
    return seen


def _median_of_counts(counts: Counter[int]) -> float:
    ordered, total = sorted(counts.items()), sum(counts.values())

    def kth(k: int) -> int:  # the k-th smallest value (from 0)
        passed = 0
        for value, count in ordered:
            passed += count
            if passed > k:
                return value
        raise ValueError("k is beyond the counts")

    return (kth((total - 1) // 2) + kth(total // 2)) / 2


def compute(members: Iterable[Member], today: date, active_days: int = FIXED_ACTIVE_DAYS,
            sleeping_days: int = FIXED_SLEEPING_DAYS) -> Thresholds:
    return thresholds_from(observe(members, today), today, active_days, sleeping_days)


def thresholds_from(seen: Observations, today: date, active_days: int = FIXED_ACTIVE_DAYS,
                    sleeping_days: int = FIXED_SLEEPING_DAYS) -> Thresholds:
    """`active_days`, `sleeping_days`: the program's fixed settings, for while it is young."""
    active, sleeping, basis, gap = active_days, sleeping_days, "fixed", None
    settings = (active_days, sleeping_days)
    if sum(seen.gaps.values()) >= MIN_GAPS:
        gap = float(_median_of_counts(seen.gaps))
        active = min(max(round(2 * gap), ACTIVE_BOUNDS[0]), ACTIVE_BOUNDS[1])
        sleeping, basis = 2 * active, "median_gap"
    buyers = len(seen.recency)
    if buyers >= QUINTILE_MIN_BUYERS:
        return Thresholds(today.isoformat(), active, sleeping, basis, gap, buyers, "quintiles",
                          _quintile_cuts(seen.recency), _quintile_cuts(seen.frequency), _quintile_cuts(seen.monetary),
                          settings)
    typical = median(seen.monetary) if seen.monetary else 0
    m_cuts = tuple(round(typical * factor) for factor in FIXED_M_FACTORS)
    return Thresholds(today.isoformat(), active, sleeping, basis, gap, buyers, "fixed", FIXED_R_CUTS, FIXED_F_CUTS,
                      m_cuts, settings)


def lifecycle(member: Member, today: date, thresholds: Thresholds) -> str:
    receipts = sum(member.visits.values())
    joined_days = (today - date.fromisoformat(member.joined_on)).days
    if joined_days <= NEW_DAYS and receipts <= 1:
        return "new"
    if member.last_purchase_on is None:
        return "lost"
    idle = (today - date.fromisoformat(member.last_purchase_on)).days
    if idle <= thresholds.active_days:
        return "active"
    return "sleeping" if idle <= thresholds.sleeping_days else "lost"


def _above(value: float, cuts: Iterable[float]) -> int:
    return sum(1 for cut in cuts if value > cut)


def rfm(member: Member, today: date, thresholds: Thresholds) -> tuple[int, int, int] | None:
    if member.last_purchase_on is None:
        return None
    lo, hi = _window(today)
    recency = (today - date.fromisoformat(member.last_purchase_on)).days
    r = 5 - _above(recency, thresholds.r_cuts)
    f = 1 + _above(member.receipts_between(lo, hi), thresholds.f_cuts)
    m = 1 + _above(member.spend_between(lo, hi), thresholds.m_cuts) if thresholds.m_cuts else 1
    return r, f, m


def rfm_segment(scores: tuple[int, int, int] | None) -> str | None:
    if scores is None:
        return None
    r, f, m = scores
    fm = (f + m + 1) // 2
    return next(name for name, (r_lo, r_hi), (fm_lo, fm_hi) in RFM_CELLS
                if r_lo <= r <= r_hi and fm_lo <= fm <= fm_hi)


def parse_audience(data: object, tier_ids: Collection[str]) -> dict[str, Any]:
    data = v.require_object(data, "audience")
    v.reject_unknown(data, {"kind", "tier", "segment", "min_spend", "max_spend", "min_visits", "max_visits"},
                     "audience")
    kind = v.read_str(data, "kind", prefix="audience", required=True, choices=KINDS)
    audience: dict[str, Any] = {"kind": kind}
    if kind == "tier":
        audience["tier"] = v.read_str(data, "tier", prefix="audience", required=True, choices=tier_ids)
    if kind == "rfm":
        audience["segment"] = v.read_str(data, "segment", prefix="audience", required=True, choices=RFM_SEGMENTS)
    if kind == "filter":
        for name in FILTER_BOUNDS:
            value = v.read_int(data, name, prefix="audience", minimum=0, maximum=10**12)
            if value is not None:
                audience[name] = value
        if len(audience) == 1:
            raise InvalidInput("A filter needs at least one of min_spend, max_spend, min_visits, max_visits.",
                               code="required", field="audience")
    return audience


def needs_thresholds(audience: dict[str, Any]) -> bool:
    return audience["kind"] in LIFECYCLE or audience["kind"] == "rfm"


def matches(audience: dict[str, Any], *, tier: str, member: Member, stats: dict[str, Any],  # noqa: PLR0911, PLR0913
            birthday: str | None, today: date, thresholds: Thresholds | None) -> bool:
    kind: str = audience["kind"]
    if kind == "all":
        return True
    if kind == "tier":
        return tier == str(audience["tier"])
    if kind in LIFECYCLE:
        return lifecycle(member, today, thresholds or fixed(today)) == kind
    if kind == "rfm":
        return rfm_segment(rfm(member, today, thresholds or fixed(today))) == str(audience["segment"])
    if kind == "birthdays_this_month":
        return birthday is not None and int(birthday[5:7]) == today.month
    spend, visits = int(stats.get("revenue", 0)), int(stats.get("receipts", 0))
    bounds = {name: int(audience[name]) for name in FILTER_BOUNDS if name in audience}
    return (bounds.get("min_spend", 0) <= spend <= bounds.get("max_spend", spend)
            and bounds.get("min_visits", 0) <= visits <= bounds.get("max_visits", visits))
