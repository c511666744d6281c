"""The tasks the jobs queue carries, and the one registry that says who works each: `TASKS`, a task's
name -> its worker and the fields its message must carry, one registration line per task (README "Job
tasks"). A message names its task; a name not registered, or a message missing what its task needs, is
logged and dropped (retrying it could never succeed), never raised, so it cannot loop through SQS's
retries. Nothing in a message ever picks a function by its name other than through `TASKS`.

Every task is safe to receive twice or to be cut off and redelivered: per-card steps are idempotent per
card and occasion (their ledger records and claims), and a task that runs short of time hands the rest
of its work back to the queue before it stops (see fanout.py)."""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib import lazy, log
from chalicelib.queue.budget import UNLIMITED, Budget

# The workers are loaded on first use: they pull the campaigns, the triggers and the analytics, +18 ms
# on `import app` (measured: app imports the schedules, which import fanout, which works tasks in place
# through this module). Loading them lazily also keeps the import graph one-way: they send tasks
# through fanout, which imports this module.
triggers = lazy.module("chalicelib.jobs.triggers")
campaigns = lazy.module("chalicelib.usecases.campaigns")
analytics = lazy.module("chalicelib.jobs.analytics")
card_links = lazy.module("chalicelib.usecases.card_links")  # intake (issue 15)
imports = lazy.module("chalicelib.usecases.imports")  # intake (issue 15)
retention = lazy.module("chalicelib.jobs.retention")  # issue 19: a program's retention, carried on

Message = dict[str, Any]
Counts = dict[str, int]
Worker = Callable[[Message, Budget], Counts]


@dataclass(frozen=True)
class Task:
    worker: Worker
    needs: tuple[str, ...]  # the fields its message must carry


TASKS: dict[str, Task] = {}


def register(name: str, worker: Worker, needs: tuple[str, ...]) -> None:
    if name in TASKS:
        raise ValueError(f"job task {name!r} is registered twice")
    TASKS[name] = Task(worker, needs)


def _cards(occasion: str) -> Worker:
    def run(message: Message, budget: Budget) -> Counts:
        return triggers.work_cards(occasion, message, budget)  # type: ignore[no-any-return]

    return run


def _walk(message: Message, budget: Budget) -> Counts:
    return triggers.work_walk(message, budget)  # type: ignore[no-any-return]


def _program(message: Message, budget: Budget) -> Counts:
    return triggers.work_program(message, budget)  # type: ignore[no-any-return]


def _campaign(message: Message, budget: Budget) -> Counts:
    return campaigns.work_chunk(message, budget)  # type: ignore[no-any-return]


def _analytics(message: Message, budget: Budget) -> Counts:
    return analytics.work(message, budget)  # type: ignore[no-any-return]


def _card_links(message: Message, budget: Budget) -> Counts:  # intake (issue 15)
    return card_links.work(message, budget)  # type: ignore[no-any-return]


def _import_check(message: Message, budget: Budget) -> Counts:  # intake (issue 15)
    return imports.work_check(message, budget)  # type: ignore[no-any-return]


def _import_rows(message: Message, budget: Budget) -> Counts:  # intake (issue 15)
    return imports.work_rows(message, budget)  # type: ignore[no-any-return]


def _retention(message: Message, budget: Budget) -> Counts:  # issue 19
    return retention.work(message, budget)  # type: ignore[no-any-return]


_CARDS = ("program_id", "day", "card_ids")
register("expire_points", _cards("expire_points"), _CARDS)
register("expiry_warning", _cards("expiry_warning"), (*_CARDS, "warn_day"))
register("birthdays", _cards("birthdays"), (*_CARDS, "year"))
register("winback", _cards("winback"), (*_CARDS, "last_visit"))
register("campaign", _campaign, ("program_id", "card_ids", "campaign_id"))
register("walk", _walk, ("occasion", "program_id", "day", "context"))
register("program", _program, ("job", "program_id", "day"))
register("analytics", _analytics, ("program_ids",))
register("card_links", _card_links, ("program_id", "card_ids"))  # intake: card links to new members
register("import_check", _import_check, ("program_id", "import_id"))  # intake: an upload's rows checked
register("import_rows", _import_rows, ("program_id", "import_id", "chunk"))  # intake: a chunk of members created
register("retention", _retention, ("program_id", "now"))  # issue 19: a program's retention goes on from its progress


def work(message: Any, budget: Budget = UNLIMITED) -> Counts:
    """Work one message of the jobs queue (or one handed over in place, without a queue)."""
    name = message.get("task") if isinstance(message, dict) else None
    task = TASKS.get(name) if isinstance(name, str) else None
    if task is None:
        log.warning("job_task_dropped", task=str(name)[:40], reason="unknown_task")
        return {"dropped": 1}
    missing = [field for field in task.needs if field not in message]
    if missing:
        log.warning("job_task_dropped", task=name, reason="missing_fields", fields=",".join(missing))
        return {"dropped": 1}
    return task.worker(message, budget)
