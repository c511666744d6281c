"""Nightly analytics upkeep for every program: fold the closed days' counter shards into one item per
day (so a period reads one item a day), take the day's segment thresholds (one pass over the
program's cards), and read again the report of each experiment not yet final, so its ROMI summary (the
monthly ROMI's source) follows its cards (one pass over the experiment's assignments).

A program's upkeep costs in proportion to its cards (README "Scheduled jobs"), so with a jobs queue the
schedule only lists the programs and sends them in batches of BATCH to the queue, where each batch is
worked within its invocation's budget (the programs it did not reach go back to the queue). Each
program's upkeep holds a lease, so two runs at once (a twice-delivered schedule, a run by hand) never
fold or count the same program at the same time: the second leaves it to the first."""
from datetime import UTC, date, datetime, time
from typing import Any

from chalicelib import log
from chalicelib.queue import fanout
from chalicelib.store import ids, leases
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program
from chalicelib.usecases import analytics, experiments

BATCH = 20  # programs per queued task
LEASE_SECONDS = 900  # longer than any invocation that works a program (job_chunk: 300 s)


def run(day: date | None) -> dict[str, int]:
    """`day`: run as of noon UTC that day (a re-run or a test); None: now."""
    now = datetime.now(UTC) if day is None else datetime.combine(day, time(12), tzinfo=UTC)
    program_ids = [program.program_id for program in program_store.active()]
    if fanout.queue_url():
        queued = fanout.send([{"task": "analytics", "program_ids": program_ids[i:i + BATCH], "now": now.isoformat()}
                              for i in range(0, len(program_ids), BATCH)])
        log.info("analytics_queued", programs=len(program_ids), tasks=queued)
        return {"programs": len(program_ids), "tasks_queued": queued}
    done = work({"program_ids": program_ids, "now": now.isoformat()}, fanout.budget())
    return {"programs": done["programs"]}


def work(message: dict[str, Any], budget: fanout.Budget) -> dict[str, int]:
    """Do the upkeep of the programs a task names, one by one, while the budget lasts."""
    now = datetime.fromisoformat(message["now"]) if message.get("now") else datetime.now(UTC)
    program_ids = list(message["program_ids"])
    counts = {"programs": 0}
    for index, program_id in enumerate(program_ids):
        if budget.spent():
            counts["handed_back"] = len(program_ids) - index
            fanout.send([{**message, "task": "analytics", "program_ids": program_ids[index:]}])
            break
        program = program_store.get(program_id)
        if program is None or program.status != "active":
            continue
        if nightly_once(program, now) is not None:
            counts["programs"] += 1
    return counts


def nightly_once(program: Program, now: datetime) -> dict[str, Any] | None:
    """The program's upkeep under its lease; None when another run holds it (that run does it)."""
    name, holder = f"analytics#{program.program_id}", ids.new_id("run")
    if not leases.acquire(name, holder, datetime.now(UTC), LEASE_SECONDS):
        log.info("analytics_nightly_busy", program_id=program.program_id)
        return None
    try:
        done = analytics.nightly(program, now)
        done["experiments"] = experiments.refresh(program, now)
    finally:
        leases.release(name, holder)
    log.info("analytics_nightly", program_id=program.program_id, **done)
    return done
