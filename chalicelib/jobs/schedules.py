"""The EventBridge schedules: each runs a job from the registry for the day it fires."""
from datetime import datetime, timezone

from chalice import Blueprint, Cron, Rate

from chalicelib.jobs import JOBS

bp = Blueprint(__name__)


@bp.schedule(Cron(30, 0, "*", "*", "?", "*"), name="tier_review")
def tier_review(event):
    return JOBS["tier_review"](datetime.now(timezone.utc).date())


@bp.schedule(Rate(1, unit=Rate.MINUTES), name="outbox")
def outbox(event):
    return JOBS["outbox"](datetime.now(timezone.utc).date())


# The day's triggers run at 03:00 UTC (06:00 in Moscow), for that UTC date.
@bp.schedule(Cron(0, 3, "*", "*", "?", "*"), name="expire_points")
def expire_points(event):
    return JOBS["expire_points"](datetime.now(timezone.utc).date())


@bp.schedule(Cron(10, 3, "*", "*", "?", "*"), name="birthdays")
def birthdays(event):
    return JOBS["birthdays"](datetime.now(timezone.utc).date())


@bp.schedule(Cron(20, 3, "*", "*", "?", "*"), name="winback")
def winback(event):
    return JOBS["winback"](datetime.now(timezone.utc).date())


@bp.schedule(Rate(5, unit=Rate.MINUTES), name="campaigns")
def campaigns(event):
    return JOBS["campaigns"](datetime.now(timezone.utc).date())
