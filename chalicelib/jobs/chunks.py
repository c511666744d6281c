"""The tasks the jobs queue carries, and the one registry that says who works each. A message names
its task; an unknown task or a message missing what its task needs is logged and dropped (retrying
it could never succeed), never raised, so it cannot loop through SQS's retries.

Every task is safe to receive twice or to be cut off and redelivered: per-card steps are idempotent per
card and occasion (their ledger records and claims), and a task that runs short of time hands the rest
of its work back to the queue before it stops (see fanout.py)."""
from chalicelib import log
from chalicelib.jobs import fanout


def _cards(occasion: str):
    def run(message: dict, budget: fanout.Budget) -> dict:
        from chalicelib.jobs import triggers

        return triggers.work_cards(occasion, message, budget)

    return run


def _walk(message: dict, budget: fanout.Budget) -> dict:
    from chalicelib.jobs import triggers

    return triggers.work_walk(message, budget)


def _program(message: dict, budget: fanout.Budget) -> dict:
    from chalicelib.jobs import triggers

    return triggers.work_program(message, budget)


def _campaign(message: dict, budget: fanout.Budget) -> dict:
    from datetime import datetime, timezone

    from chalicelib.store import cards as card_store
    from chalicelib.store import programs as program_store
    from chalicelib.usecases import campaigns

    program = program_store.get(message["program_id"])
    done = {"cards": 0}
    if program is None:
        return done
    campaign = campaigns.get(program, message["campaign_id"])
    now = datetime.fromisoformat(message["now"]) if message.get("now") else datetime.now(timezone.utc)
    card_ids = list(message["card_ids"])
    for index, card_id in enumerate(card_ids):
        if budget.spent():
            done["handed_back"] = len(card_ids) - index
            fanout.send([{**message, "card_ids": card_ids[index:]}])
            break
        card = card_store.get(card_id, consistent=True)
        if card is None or card.program_id != program.program_id:
            continue
        campaigns.send_one(program, campaign, card, now, {})
        done["cards"] += 1
    return done


def _analytics(message: dict, budget: fanout.Budget) -> dict:
    from chalicelib.jobs import analytics

    return analytics.work(message, budget)


_CARDS = ("program_id", "day", "card_ids")
# task -> (its worker, the fields its message must carry)
TASKS = {
    "expire_points": (_cards("expire_points"), _CARDS),
    "expiry_warning": (_cards("expiry_warning"), (*_CARDS, "warn_day")),
    "birthdays": (_cards("birthdays"), (*_CARDS, "year")),
    "winback": (_cards("winback"), (*_CARDS, "last_visit")),
    "campaign": (_campaign, ("program_id", "card_ids", "campaign_id")),
    "walk": (_walk, ("occasion", "program_id", "day", "context")),
    "program": (_program, ("job", "program_id", "day")),
    "analytics": (_analytics, ("program_ids",)),
}


def work(message, budget: fanout.Budget = fanout.UNLIMITED) -> dict:
    """Work one message of the jobs queue (or one handed over in place, without a queue)."""
    task = message.get("task") if isinstance(message, dict) else None
    entry = TASKS.get(task) if isinstance(task, str) else None
    if entry is None:
        log.warning("job_task_dropped", task=str(task)[:40], reason="unknown_task")
        return {"dropped": 1}
    worker, needs = entry
    missing = [name for name in needs if name not in message]
    if missing:
        log.warning("job_task_dropped", task=task, reason="missing_fields", fields=",".join(missing))
        return {"dropped": 1}
    return worker(message, budget)
