"""The audit trail as DynamoDB holds it (table `audit`): the one module that writes or reads `AuditEntry`.

Append-only: `append` puts a new entry under a not-exists condition and `page` queries; nothing here (or
anywhere) updates or deletes an entry, and the API's IAM role holds only PutItem and Query on the table
(infra/template.py, tests/api/test_audit.py). Entries leave by DynamoDB's TTL (`expires_at`).

An entry's key in its merchant's partition is `<UTC time, microseconds>#<entry id>`, so a time range is a key
range and the newest come first by reading the partition backwards.
"""
import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.errors import InvalidInput
from chalicelib.store import db, ids
from chalicelib.store.models import AuditEntry

PLATFORM = "platform"  # the partition of the platform's own tokens and of work no merchant owns
# One listing reads at most this many pages of the partition (each of at most `limit` entries before the
# filters): a filter that matches little answers fewer items than asked, with a cursor to read on.
MAX_PAGES = 5


@dataclass(frozen=True)
class Entry:
    merchant_id: str
    entry_id: str
    at: str  # UTC ISO time, microseconds
    actor: str
    action: str
    actor_email: str | None = None
    role: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    method: str | None = None
    route: str | None = None
    program_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    status: int | None = None
    changes: Mapping[str, Any] | None = None
    detail: Mapping[str, Any] | None = None

    def view(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "at": self.at, "actor": self.actor, "actor_email": self.actor_email,
                "role": self.role, "source_ip": self.source_ip, "user_agent": self.user_agent,
                "action": self.action, "method": self.method, "route": self.route, "program_id": self.program_id,
                "target_type": self.target_type, "target_id": self.target_id, "status": self.status,
                "changes": dict(self.changes) if self.changes else None,
                "detail": dict(self.detail) if self.detail else None}


def new_entry_id() -> str:
    return ids.new_id("aud", 9)


def append(entry: Entry, expires: datetime) -> None:
    """Write one new entry; never replaces one (the condition makes a repeated key an error, not an overwrite)."""
    item = AuditEntry(entry.merchant_id, f"{entry.at}#{entry.entry_id}", program_id=entry.program_id,
                      actor=entry.actor, actor_email=entry.actor_email, role=entry.role, source_ip=entry.source_ip,
                      user_agent=entry.user_agent, action=entry.action, method=entry.method, route=entry.route,
                      target_type=entry.target_type, target_id=entry.target_id, status=entry.status,
                      changes=dict(entry.changes) if entry.changes else None,
                      detail=dict(entry.detail) if entry.detail else None, created_at=entry.at,
                      expires_at=expires)
    item.save(condition=AuditEntry.entry_key.does_not_exist())


def _entry(item: AuditEntry) -> Entry:
    at, _, entry_id = item.entry_key.partition("#")
    return Entry(merchant_id=item.merchant_id, entry_id=entry_id, at=at, actor=item.actor, action=item.action,
                 actor_email=item.actor_email, role=item.role, source_ip=item.source_ip, user_agent=item.user_agent,
                 method=item.method, route=item.route, program_id=item.program_id, target_type=item.target_type,
                 target_id=item.target_id, status=None if item.status is None else int(item.status),
                 changes=item.changes, detail=item.detail)


@dataclass(frozen=True)
class Filters:
    """What a listing keeps: times are a key range, the rest a filter on the entries read."""

    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    program_id: str | None = None
    actor: str | None = None
    action: str | None = None  # exact, or a prefix ending in '.' ('card.')
    target_id: str | None = None


def _condition(filters: Filters) -> Any:
    conditions: list[Any] = []
    if filters.program_id:
        conditions.append(AuditEntry.program_id == filters.program_id)
    if filters.actor:
        conditions.append(AuditEntry.actor == filters.actor)
    if filters.action:
        conditions.append(AuditEntry.action.startswith(filters.action) if filters.action.endswith(".")
                          else AuditEntry.action == filters.action)
    if filters.target_id:
        conditions.append(AuditEntry.target_id == filters.target_id)
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined


def _key_range(filters: Filters) -> Any:
    low = db.iso(filters.since) if filters.since else None
    # '#' sorts below every character of a time, so `<until>` is above every entry before it and below
    # every entry at or after it
    high = db.iso(filters.until) if filters.until else None
    if low and high:
        return AuditEntry.entry_key.between(low, high)
    if low:
        return AuditEntry.entry_key >= low
    if high:
        return AuditEntry.entry_key < high
    return None


def _encode(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(key["entry_key"]["S"]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None, merchant_id: str) -> dict[str, Any] | None:
    """The key to read on from. It names only the range key: the partition is the caller's own, so a cursor
    copied from another merchant's listing reads nothing of theirs."""
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except ValueError:
        value = None
    if not isinstance(value, str) or "#" not in value or len(value) > 200 or not value.isprintable():  # noqa: PLR2004 - far above a key
        raise InvalidInput("The cursor is not one we issued.", code="invalid_cursor", field="cursor")
    return {"merchant_id": {"S": merchant_id}, "entry_key": {"S": value}}


def _within(start: Mapping[str, Any] | None, filters: Filters) -> None:
    """A cursor must lie within the time filters' key range: DynamoDB refuses a start key outside it (a
    ValidationException), so a cursor of another listing sent with other `from`/`to` is invalid_cursor."""
    if start is None:
        return
    key = start["entry_key"]["S"]
    if (filters.since and key < db.iso(filters.since)) or (filters.until and key >= db.iso(filters.until)):
        raise InvalidInput("The cursor is not one we issued for these filters.", code="invalid_cursor", field="cursor")


def page(merchant_id: str, filters: Filters, limit: int, cursor: str | None) -> tuple[list[Entry], str | None]:
    """Entries of the partition that pass `filters`, newest first: at most `limit`, from at most MAX_PAGES
    reads; the cursor (None at the end) reads on."""
    start = _decode(cursor, merchant_id)
    _within(start, filters)
    key_range, condition = _key_range(filters), _condition(filters)
    found: list[Entry] = []
    for _ in range(MAX_PAGES):
        result = AuditEntry.query(merchant_id, range_key_condition=key_range, filter_condition=condition,
                                  scan_index_forward=False, last_evaluated_key=start, limit=limit - len(found),
                                  page_size=limit - len(found))
        raw_page = next(result.page_iter, None)
        if raw_page is None:
            return found, None
        found.extend(_entry(AuditEntry.from_raw_data(item)) for item in raw_page.get("Items", []))
        start = result.page_iter.last_evaluated_key
        if not start or len(found) >= limit:
            break
    return found, _encode(start)
