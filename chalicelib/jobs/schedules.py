"""The EventBridge schedules: each runs a job from the registry for the day it fires."""
from datetime import datetime, timezone

from chalice import Blueprint, Cron

from chalicelib.jobs import JOBS

bp = Blueprint(__name__)


@bp.schedule(Cron(30, 0, "*", "*", "?", "*"), name="tier_review")
def tier_review(event):
    return JOBS["tier_review"](datetime.now(timezone.utc).date())
