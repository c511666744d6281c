"""Who a campaign reaches: lifecycle segments and filters over each card's compact stats.

Lifecycle (fixed thresholds until the analytics work derives them from the program's typical gap
between purchases): new = joined within 30 days with at most one purchase; active = bought within 30
days; sleeping = last purchase 31-90 days ago; lost = longer ago (or never bought and joined more than
30 days ago)."""
from datetime import date

from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

NEW_DAYS, ACTIVE_DAYS, SLEEPING_DAYS = 30, 30, 90
KINDS = ("all", "tier", "new", "active", "sleeping", "lost", "birthdays_this_month", "filter")


def lifecycle(stats: dict, joined_on: str, today: date) -> str:
    receipts = int(stats.get("receipts", 0))
    last = stats.get("last_purchase_on")
    joined_days = (today - date.fromisoformat(joined_on)).days
    if joined_days <= NEW_DAYS and receipts <= 1:
        return "new"
    if last is None:
        return "lost"
    idle = (today - date.fromisoformat(last)).days
    if idle <= ACTIVE_DAYS:
        return "active"
    return "sleeping" if idle <= SLEEPING_DAYS else "lost"


def parse_audience(data, tier_ids) -> dict:
    data = v.require_object(data, "audience")
    v.reject_unknown(data, {"kind", "tier", "min_spend", "max_spend", "min_visits", "max_visits"}, "audience")
    kind = v.read_str(data, "kind", prefix="audience", required=True, choices=KINDS)
    audience = {"kind": kind}
    if kind == "tier":
        audience["tier"] = v.read_str(data, "tier", prefix="audience", required=True, choices=tier_ids)
    if kind == "filter":
        for name in ("min_spend", "max_spend", "min_visits", "max_visits"):
            value = v.read_int(data, name, prefix="audience", minimum=0, maximum=10**12)
            if value is not None:
                audience[name] = value
        if len(audience) == 1:
            raise InvalidInput("A filter needs at least one of min_spend, max_spend, min_visits, max_visits.",
                               code="required", field="audience")
    return audience


def matches(audience: dict, *, tier: str, stats: dict, joined_on: str, birthday: str | None, today: date) -> bool:
    kind = audience["kind"]
    if kind == "all":
        return True
    if kind == "tier":
        return tier == audience["tier"]
    if kind in ("new", "active", "sleeping", "lost"):
        return lifecycle(stats, joined_on, today) == kind
    if kind == "birthdays_this_month":
        return bool(birthday) and int(birthday[5:7]) == today.month
    spend, visits = int(stats.get("revenue", 0)), int(stats.get("receipts", 0))
    return (spend >= audience.get("min_spend", 0) and spend <= audience.get("max_spend", spend)
            and visits >= audience.get("min_visits", 0) and visits <= audience.get("max_visits", visits))
