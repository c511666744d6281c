"""Shared DynamoDB plumbing: the transaction connection, time keys, and condition-failure checks."""
import random
import time
from datetime import UTC, datetime
from functools import lru_cache

from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
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
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def cancellation_reasons(error: TransactWriteError) -> list[str]:
    return [reason.code if reason else "None" for reason in (error.cancellation_reasons or [])]


# What DynamoDB answers when a write meets another in flight or the table is momentarily over its rate:
# nothing was written, and the same write a moment later goes through.
_CROWDED_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
                    "RequestLimitExceeded"}
_CROWDED_CODES = {"TransactionConflictException", "TransactionInProgressException", "ThrottlingException",
                  "ProvisionedThroughputExceededException", "RequestLimitExceeded"}


def is_crowded(error: Exception) -> bool:
    """True when `error` only says "not now": a transaction cancelled by a conflict with another in
    flight (two receipts on one counter shard), a single write that met a transaction, or throttling."""
    if isinstance(error, TransactWriteError) and _CROWDED_REASONS & set(cancellation_reasons(error)):
        return True
    return response_code(error) in _CROWDED_CODES


def is_unavailable(error: BaseException) -> bool:
    """True when DynamoDB did not answer in time or at all, or kept saying "not now", after PynamoDB's own
    retries: nothing is known to be wrong with the request, so the caller may send it again."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)):
            return True
        if isinstance(current, Exception) and is_crowded(current):
            return True
        current = getattr(current, "cause", None) or current.__cause__
    return False


def response_code(error: Exception) -> str | None:
    """DynamoDB's error code behind a PynamoDB error, or None: a read timeout or a dropped connection has
    no response at all (where PynamoDB's `cause_response_code` itself fails)."""
    response = getattr(getattr(error, "cause", None), "response", None) or {}
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code if isinstance(code, str) else None


def back_off_if_crowded(error: Exception, attempt: int) -> None:
    """When DynamoDB said "not now" (see `is_crowded`), wait a short random moment, longer with each
    attempt, before the caller tries again."""
    if is_crowded(error):
        back_off(attempt)


def back_off(attempt: int) -> None:
    """A short random pause, longer with each attempt (up to 0.01 s · 2^attempt), so that writers who
    met on one item do not meet again."""
    time.sleep(random.uniform(0, 0.01 * 2 ** attempt))


def is_condition_failure(error: Exception) -> bool:
    if isinstance(error, TransactWriteError):
        return "ConditionalCheckFailed" in cancellation_reasons(error)
    if isinstance(error, (PutError, UpdateError, DeleteError)):
        return response_code(error) == "ConditionalCheckFailedException"
    return False
