"""Shared DynamoDB plumbing: the transaction connection, time keys, and condition-failure checks."""
import random
import time
from datetime import datetime, timezone
from functools import lru_cache

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.store import models


@lru_cache(maxsize=1)
def connection() -> Connection:
    meta = models._Meta
    return Connection(host=meta.host, region=meta.region, connect_timeout_seconds=meta.connect_timeout_seconds,
                      read_timeout_seconds=meta.read_timeout_seconds, max_retry_attempts=meta.max_retry_attempts)


def transaction(token: str | None = None) -> TransactWrite:
    return TransactWrite(connection=connection(), client_request_token=token)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds and offset: sorts as text in time order."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def cancellation_reasons(error: TransactWriteError) -> list[str]:
    return [reason.code if reason else "None" for reason in (error.cancellation_reasons or [])]


def back_off_if_crowded(error: TransactWriteError, attempt: int) -> None:
    """DynamoDB cancels a transaction that meets another in flight on an item (`TransactionConflict`,
    e.g. two receipts on one counter shard): wait a short random moment, longer with each attempt,
    before the caller tries again."""
    if "TransactionConflict" in cancellation_reasons(error):
        time.sleep(random.uniform(0, 0.01 * 2 ** attempt))


def is_condition_failure(error: Exception) -> bool:
    if isinstance(error, TransactWriteError):
        return "ConditionalCheckFailed" in cancellation_reasons(error)
    if isinstance(error, (PutError, UpdateError, DeleteError)):
        return error.cause_response_code == "ConditionalCheckFailedException"
    return False
