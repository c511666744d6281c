"""Large runs split into tasks that each fit comfortably in one Lambda invocation: the tasks go to the
jobs queue (SQS), whose handler (`schedules.job_chunk`) works them off in parallel (see chunks.py for
the kinds of task). Without a queue (the local stack, the tests) a task is worked at once, in the same
process.

Every run works against a time budget, the invocation's remaining time less a reserve: a run that must
stop before its timeout hands the rest to the queue (the cards it did not reach, or a cursor into the
index it was walking) instead of being cut off, so nothing is left undone and nothing is done twice."""
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from chalicelib import log
from chalicelib.config import settings
from chalicelib.queue import chunks
from chalicelib.queue.budget import UNLIMITED, Budget

__all__ = ["UNLIMITED", "Budget", "budget", "card_chunks", "dispatch", "invocation", "queue_url", "send"]

THRESHOLD = 500  # due cards of one walk (one index page) worked in place, one read each; more fan out
CHUNK = 200  # cards per chunk: about 6 s of work in DynamoDB (README "Scheduled jobs"), far below 300 s
INLINE_PROGRAMS = 10  # with a queue, a run over more programs than this sends each program to the queue
SQS_BATCH = 10  # messages per SendMessageBatch (SQS's limit)


_budget: ContextVar[Budget] = ContextVar("job_budget", default=UNLIMITED)
_source_queue: ContextVar[str | None] = ContextVar("job_source_queue", default=None)


@contextmanager
def invocation(context: Any, source_arn: str | None = None) -> Iterator[None]:
    """Run a handler's work under its Lambda invocation's budget. `source_arn`: the SQS queue the
    invocation came from, used to hand work back if JOBS_QUEUE_URL is not set."""
    budget_token = _budget.set(Budget.of_lambda(context))
    queue_token = _source_queue.set(_url_of(source_arn) if source_arn else None)
    try:
        yield
    finally:
        _budget.reset(budget_token)
        _source_queue.reset(queue_token)


def budget() -> Budget:
    return _budget.get()


def _url_of(arn: str) -> str | None:
    parts = arn.split(":")  # arn:aws:sqs:<region>:<account>:<name>
    if len(parts) != 6 or parts[2] != "sqs":
        return None
    return f"https://sqs.{parts[3]}.amazonaws.com/{parts[4]}/{parts[5]}"


def queue_url() -> str | None:
    return settings().jobs_queue_url or _source_queue.get()


@lru_cache(maxsize=1)
def _sqs() -> Any:
    # lazy: botocore costs the scheduled functions' module (jobs/schedules.py) about 100 ms of CPU at
    # import (benchmarks/bundle.py: 38 ms without it, 140 ms with it), and only a fan-out needs SQS
    import botocore.session  # noqa: PLC0415 - see above

    return botocore.session.get_session().create_client("sqs", region_name=settings().region)


def send(messages: list[dict[str, Any]]) -> int:
    """Hand tasks to the jobs queue, ten to a request; returns how many were queued (0: no queue, each
    was worked here at once)."""
    if not messages:
        return 0
    queue = queue_url()
    if not queue:
        for message in messages:
            chunks.work(message)
        return 0
    for start in range(0, len(messages), SQS_BATCH):
        batch = {str(i): json.dumps(m) for i, m in enumerate(messages[start:start + SQS_BATCH])}
        for _ in range(3):
            answer = _sqs().send_message_batch(QueueUrl=queue, Entries=[
                {"Id": key, "MessageBody": body} for key, body in batch.items()])
            batch = {failed["Id"]: batch[failed["Id"]] for failed in answer.get("Failed", [])}
            if not batch:
                break
        if batch:
            raise RuntimeError(f"the jobs queue refused {len(batch)} messages")
    return len(messages)


def card_chunks(task: str, program_id: str, day: str, card_ids: list[str],
                extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The chunk messages for `card_ids`: CHUNK cards each."""
    return [{"task": task, "program_id": program_id, "day": day, "card_ids": card_ids[i:i + CHUNK], **(extra or {})}
            for i in range(0, len(card_ids), CHUNK)]


def dispatch(task: str, program_id: str, day: str, card_ids: list[str], extra: dict[str, Any] | None = None) -> int:
    """Hand `card_ids` over in chunks; returns how many chunks went to the queue (0: worked here)."""
    queued = send(card_chunks(task, program_id, day, card_ids, extra))
    if queued:
        log.info("job_fanned_out", task=task, program_id=program_id, chunks=queued, cards=len(card_ids))
    return queued
