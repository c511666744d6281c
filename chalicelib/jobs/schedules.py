"""The EventBridge schedules: each runs a job from the registry for the day it fires, within its
invocation's time budget (a job that would outlive it hands the rest to the jobs queue)."""
import json
import os
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Cron, Rate

from chalicelib import log
from chalicelib.jobs import JOBS
from chalicelib.queue import chunks, fanout

bp = Blueprint(__name__)
# The jobs queue's name is fixed when the app is packaged (infra/package.py sets it per stage).
JOBS_QUEUE_NAME = os.environ.get("JOBS_QUEUE_NAME", "loyalty-jobs")


@bp.schedule(Cron(30, 0, "*", "*", "?", "*"), name="tier_review")
def tier_review(event: Any) -> Any:
    return JOBS["tier_review"](datetime.now(UTC).date())


@bp.schedule(Rate(1, unit=Rate.MINUTES), name="outbox")
def outbox(event: Any) -> Any:
    return JOBS["outbox"](datetime.now(UTC).date())


# The day's triggers run at 03:00 UTC (06:00 in Moscow), each program for its own local day; a zone
# west of UTC is still on the previous day then and gets that day's work, as it should.
@bp.schedule(Cron(0, 3, "*", "*", "?", "*"), name="expire_points")
def expire_points(event: Any) -> Any:
    with fanout.invocation(event.context):
        return JOBS["expire_points"](None)  # each program's own local day


@bp.schedule(Cron(10, 3, "*", "*", "?", "*"), name="birthdays")
def birthdays(event: Any) -> Any:
    with fanout.invocation(event.context):
        return JOBS["birthdays"](None)  # each program's own local day


@bp.schedule(Cron(20, 3, "*", "*", "?", "*"), name="winback")
def winback(event: Any) -> Any:
    with fanout.invocation(event.context):
        return JOBS["winback"](None)  # each program's own local day


# After the day's expiry run; folds days two back, which no write reaches any more.
@bp.schedule(Cron(40, 3, "*", "*", "?", "*"), name="analytics")
def analytics(event: Any) -> Any:
    with fanout.invocation(event.context):
        return JOBS["analytics"](None)


# After the day's triggers and upkeep: erase the members inactive too long, delete old message records
# (issue 19); each program as of its own local day.
@bp.schedule(Cron(50, 3, "*", "*", "?", "*"), name="retention")
def retention(event: Any) -> Any:
    with fanout.invocation(event.context):
        return JOBS["retention"](None)


@bp.schedule(Rate(5, unit=Rate.MINUTES), name="campaigns")
def campaigns(event: Any) -> Any:
    return JOBS["campaigns"](datetime.now(UTC).date())


@bp.on_sqs_message(queue=JOBS_QUEUE_NAME, batch_size=1)
def job_chunk(event: Any) -> Any:
    """One chunk of a fanned-out run (see queue/fanout.py); SQS retries it if this fails."""
    done = []
    for record in event:
        try:
            message = json.loads(record.body)
        except ValueError:
            log.warning("job_task_dropped", reason="not_json")  # a retry could never read it either
            done.append({"dropped": 1})
            continue
        with fanout.invocation(event.context, record.to_dict().get("eventSourceARN")):
            done.append(chunks.work(message, fanout.budget()))
    return done
