"""Large runs split into chunks that each fit comfortably in one Lambda invocation: the chunks go to
the jobs queue (SQS), whose handler (`schedules.job_chunk`) works them off in parallel. Without a queue
(the local stack, the tests) a chunk is worked at once, in the same process."""
import json
from functools import lru_cache

from chalicelib import log
from chalicelib.config import settings

THRESHOLD = 500  # due items of one program and occasion above which a run fans out
CHUNK = 200


@lru_cache(maxsize=1)
def _sqs():
    import botocore.session

    return botocore.session.get_session().create_client("sqs", region_name=settings().region)


def dispatch(task: str, program_id: str, day: str, card_ids: list[str], extra: dict | None = None) -> int:
    """Hand `card_ids` over in chunks; returns how many chunks went to the queue (0: worked here)."""
    from chalicelib.jobs import chunks

    queue = settings().jobs_queue_url
    pieces = [card_ids[i:i + CHUNK] for i in range(0, len(card_ids), CHUNK)]
    if not queue:
        for piece in pieces:
            chunks.work({"task": task, "program_id": program_id, "day": day, "card_ids": piece, **(extra or {})})
        return 0
    for piece in pieces:
        _sqs().send_message(QueueUrl=queue, MessageBody=json.dumps(
            {"task": task, "program_id": program_id, "day": day, "card_ids": piece, **(extra or {})}))
    log.info("job_fanned_out", task=task, program_id=program_id, chunks=len(pieces), cards=len(card_ids))
    return len(pieces)
