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
