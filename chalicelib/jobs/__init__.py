"""Scheduled work, runnable from EventBridge schedules and from `cli run-job NAME --date DAY`.

JOBS maps a job's name to a function taking the day (a date) it runs for; the capabilities that
bring jobs (points expiry, birthdays, win-back, outbox) register them here.
"""
from collections.abc import Callable
from datetime import date
from typing import Any

from chalicelib import lazy

# The jobs load on first use: app imports this package (its schedules), and the jobs pull the
# triggers, the tier review, the outbox, the analytics and the campaigns, +20 ms on `import app`.
tiers = lazy.module("chalicelib.jobs.tiers")
outbox = lazy.module("chalicelib.jobs.outbox")
triggers = lazy.module("chalicelib.jobs.triggers")
analytics = lazy.module("chalicelib.jobs.analytics")
campaigns = lazy.module("chalicelib.usecases.campaigns")
retention = lazy.module("chalicelib.jobs.retention")  # issue 19: how long members' data is kept

Job = Callable[[date | None], dict[str, Any]]


def _tier_review(day: date | None) -> dict[str, Any]:
    return tiers.run(day)  # type: ignore[no-any-return]


def _outbox(day: date | None) -> dict[str, Any]:
    return outbox.run(day)  # type: ignore[no-any-return]


def _trigger(name: str) -> Job:
    def run(day: date | None) -> dict[str, Any]:  # None: each program's own local day
        return triggers.run(name, day)  # type: ignore[no-any-return]

    return run


def _analytics(day: date | None) -> dict[str, Any]:
    return analytics.run(day)  # type: ignore[no-any-return]


def _campaigns(day: date | None) -> dict[str, Any]:
    return campaigns.run_due()  # type: ignore[no-any-return]


def _retention(day: date | None) -> dict[str, Any]:
    return retention.run(day)  # type: ignore[no-any-return]


JOBS: dict[str, Job] = {"campaigns": _campaigns, "tier_review": _tier_review, "outbox": _outbox,
                        "expire_points": _trigger("expire_points"), "birthdays": _trigger("birthdays"),
                        "winback": _trigger("winback"), "analytics": _analytics, "retention": _retention}
