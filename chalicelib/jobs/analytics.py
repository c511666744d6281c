"""Nightly analytics upkeep for every program: fold the closed days' counter shards into one item per
day (so a period reads one item a day) and take the day's segment thresholds."""
from datetime import date, datetime, time, timezone

from chalicelib import log
from chalicelib.store.models import Program
from chalicelib.usecases import analytics


def run(day: date | None) -> dict:
    """`day`: run as of noon UTC that day (a re-run or a test); None: now."""
    now = datetime.now(timezone.utc) if day is None else datetime.combine(day, time(12), tzinfo=timezone.utc)
    done = {}
    for program in Program.scan():  # programs are few; cards are read through the index
        if program.status != "active":
            continue
        done[program.program_id] = analytics.nightly(program, now)
        log.info("analytics_nightly", program_id=program.program_id, **done[program.program_id])
    return {"programs": len(done)}
