"""The audit trail (issue 19): every admin write, and every system action on members' data, as
one append-only entry of who, when, from where, and what changed.

How callers use it:
- the HTTP middleware calls `begin` when a request starts (every request: it also forgets the last one's
  state) and `finish` when its answer is ready, with the principal whose token the route verified: a write
  (a route in ROUTES: every non-GET admin route, and the GET routes that export data) that answered < 400
  becomes one entry, with the route's action name, its target and whatever the use cases noted meanwhile;
- a use case that changes settings calls `changed(section, before, after)`; one that wants to say more
  calls `note(...)` (target, program, counts); both are no-ops outside an admin request;
- work with no request behind it (the retention job's erasures, the command line) calls `record(...)`.
Entries carry ids and settings, never members' personal data or secrets: a field whose name says
secret/token/password/key/hash is kept as "***", and `changed(..., hidden=...)` keeps only that a personal
field changed, not its values.

When the entry cannot be written (DynamoDB refused it twice), the admin write it describes has already
happened: its answer stays the success it is (an error would make the caller retry a write that was done),
and the loss is logged (`audit_write_failed`, error level, ids only) and counted (metric AuditWriteFailed,
alarmed in infra/template.py).
"""
import contextvars
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from chalicelib import log, metrics
from chalicelib.config import settings
from chalicelib.store import audit as audit_store
from chalicelib.store import db


class Act(NamedTuple):
    """What a route's entry says: its action name; which path parameter names its target (default: the last
    one) and the target's type (default: by the parameter's name); the field of the answer that names what
    the request created (then the target); fields of the answer the entry's detail repeats (named here one
    by one, so a secret shown once in an answer never reaches the trail)."""

    action: str
    target: str | None = None
    target_type: str | None = None
    created: str | None = None
    shown: tuple[str, ...] = ()


P = "/admin/programs/{program_id}"
# Every admin route that writes (or exports data), by (method, route template): the one table of actions.
# tests/api/test_audit.py walks every route of the app: a new admin write route missing here fails it.
ROUTES: dict[tuple[str, str], Act] = {
    ("POST", "/admin/merchants"): Act("merchant.create", target_type="merchant", created="id"),
    ("POST", "/admin/programs"): Act("program.create", target_type="program", created="id"),
    ("PATCH", P): Act("program.update"),
    ("POST", f"{P}/pos-keys"): Act("pos_key.create", target_type="pos_key", created="key_id",
                                   shown=("label", "location_id")),
    ("DELETE", f"{P}/pos-keys/{{key_id}}"): Act("pos_key.revoke", shown=("label", "location_id", "status")),
    ("PUT", f"{P}/images/{{kind}}"): Act("branding.image_upload", target="program_id"),
    ("DELETE", f"{P}/images/{{kind}}"): Act("branding.image_remove", target="program_id"),
    ("POST", f"{P}/passes/refresh"): Act("passes.refresh"),
    ("POST", f"{P}/locations"): Act("location.create", target_type="location", created="id"),
    ("PATCH", f"{P}/locations/{{location_id}}"): Act("location.update"),
    ("POST", f"{P}/campaigns"): Act("campaign.create", target_type="campaign", created="id",
                                    shown=("name", "audience", "audience_size", "channels", "bonus", "offer",
                                           "send_at", "holdout_percent")),
    ("POST", f"{P}/campaigns/{{campaign_id}}/send"): Act("campaign.send", shown=("name", "status", "counts")),
    ("POST", f"{P}/experiments"): Act("experiment.start", target_type="experiment", created="id",
                                      shown=("name", "subject", "holdout_percent", "status")),
    ("POST", f"{P}/experiments/{{experiment_id}}/stop"): Act("experiment.stop", shown=("name", "subject", "status")),
    ("GET", f"{P}/experiments/{{experiment_id}}/export"): Act("experiment.export"),
    ("GET", f"{P}/exports/{{kind}}"): Act("program.export", target="program_id"),
    ("POST", f"{P}/outbox/{{item_id}}/retry"): Act("outbox.retry"),
    ("POST", f"{P}/imports"): Act("import.upload", target_type="import", created="import_id",
                                  shown=("status", "dry_run", "rows", "valid", "problem_rows")),
    ("POST", f"{P}/imports/{{import_id}}/parts"): Act("import.upload_part"),
    ("POST", f"{P}/imports/{{import_id}}/start"): Act("import.start"),
    ("POST", f"{P}/imports/{{import_id}}/links"): Act("import.send_links"),
    ("PUT", f"{P}/integrations/{{provider}}"): Act("integration.connect", shown=("options",)),
    ("DELETE", f"{P}/integrations/{{provider}}"): Act("integration.disconnect"),
    ("POST", f"{P}/integrations/moysklad"): Act("integration.connect", target_type="connection",
                                                 created="connection_id",
                                                 shown=("label", "verify_spending", "location_id")),
    ("DELETE", f"{P}/integrations/moysklad/{{connection_id}}"): Act("integration.disconnect",
                                                                    shown=("label", "status")),
    ("PATCH", "/admin/cards/{card_id}"): Act("card.update"),
    ("POST", "/admin/cards/{card_id}/adjustments"): Act("card.adjust"),
    ("POST", "/admin/cards/{card_id}/offers"): Act("offer.issue", target="card_id", shown=("id", "offer", "status")),
    ("DELETE", "/admin/cards/{card_id}/offers/{held_id}"): Act("offer.withdraw", target="card_id"),
    ("GET", "/admin/cards/{card_id}/export"): Act("card.export"),
    ("POST", "/admin/cards/{card_id}/erase"): Act("card.erase"),
    ("POST", "/admin/staff"): Act("staff.invite", target_type="staff", created="id"),
    ("PATCH", "/admin/staff/{staff_id}"): Act("staff.update"),
    ("DELETE", "/admin/staff/{staff_id}"): Act("staff.remove"),
    ("POST", "/admin/till/receipts"): Act("till.sale", target_type="receipt", created="receipt_id",
                                          shown=("earned", "redeemed", "location_id")),
    ("POST", "/admin/till/refunds"): Act("till.refund", target_type="receipt", created="receipt_id",
                                         shown=("refund_id", "points_reversed", "points_returned")),
    ("GET", "/admin/audit/export"): Act("audit.export"),
}
# Non-GET admin routes that change nothing and export nothing: worked out and answered, never recorded.
NOT_WRITES: dict[tuple[str, str], str] = {
    ("POST", f"{P}/audience-size"): "counts a campaign's audience before it is made",
    ("POST", "/admin/till/quote"): "works out a sale's bonus before it is made",
}
# A path parameter's target type, when the route's Act does not say.
PARAM_TYPES = {"program_id": "program", "card_id": "card", "key_id": "pos_key", "held_id": "offer",
               "campaign_id": "campaign", "experiment_id": "experiment", "import_id": "import",
               "connection_id": "connection", "provider": "integration", "location_id": "location",
               "item_id": "outbox_item", "staff_id": "staff", "merchant_id": "merchant"}

MASK = "***"
_SECRET_WORDS = {"secret", "secrets", "token", "tokens", "password", "key", "keys", "hash", "pem", "authorization"}
MAX_VALUE_CHARS = 2000  # a value longer than this (as JSON) is kept as its length: the trail is not a backup
MAX_USER_AGENT = 300
MAX_ENTRY_CHARS = 100_000  # changes or detail larger than this keep only their field names (DynamoDB: 400 KB)


def is_secret(name: str) -> bool:
    """A field whose name says it holds a secret (`api_key`, `signing_secret`, `token`, `password_hash`);
    an id of one (`key_id`) is not."""
    parts = [part for part in name.lower().replace("-", "_").replace(".", "_").split("_") if part]
    return bool(parts) and parts[-1] != "id" and bool(_SECRET_WORDS.intersection(parts))


def _json(value: object) -> Any:
    return json.loads(json.dumps(value, default=str))


def _plain(value: object) -> Any:
    """A JSON-able copy of `value`, nested secrets masked."""
    return _masked(_json(value))


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: MASK if is_secret(str(name)) and item not in (None, "") else _masked(item)
                for name, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _bounded(value: Any) -> Any:
    size = len(json.dumps(value, ensure_ascii=False))
    return value if size <= MAX_VALUE_CHARS else {"omitted_chars": size}


def diff(section: str, before: Mapping[str, object] | None, after: Mapping[str, object] | None,
         hidden: frozenset[str] | set[str] | tuple[str, ...] = ()) -> dict[str, list[Any]]:
    """{"<section>.<field>": [before, after]} for each field that differs (None: absent); secret fields as
    MASK, `hidden` fields (personal data) as MASK too: the entry says that they changed, not what to."""
    old, new = _json(dict(before or {})), _json(dict(after or {}))
    changes: dict[str, list[Any]] = {}
    for name in dict.fromkeys([*old, *new]):
        was, now = old.get(name), new.get(name)
        if was == now:  # compared before masking: a secret that changed is said to have changed
            continue
        was, now = _masked(was), _masked(now)
        key = f"{section}.{name}" if section else str(name)
        if is_secret(str(name)) or name in hidden:
            changes[key] = [None if was is None else MASK, None if now is None else MASK]
        else:
            changes[key] = [_bounded(was), _bounded(now)]
    return changes


@dataclass
class _Request:
    method: str
    route: str
    path_params: dict[str, str]
    source_ip: str | None
    user_agent: str | None
    act: Act | None
    program_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


# Per request: the local server serves requests in threads, and a context variable is each one's own;
# `begin` sets a new one at the start of every request, so nothing of the last request is ever seen.
_current: contextvars.ContextVar[_Request | None] = contextvars.ContextVar("audit_request", default=None)


def action_of(method: str, route: str) -> Act | None:
    return ROUTES.get((method.upper(), route))


def begin(*, method: str, route: str, path_params: Mapping[str, str] | None, source_ip: str | None,
          user_agent: str | None) -> None:
    """A request starts: forget the last one's state; an admin route in ROUTES gets a fresh entry to fill."""
    act = action_of(method, route) if route.startswith("/admin") else None
    if act is None:
        _current.set(None)
        return
    _current.set(_Request(method=method.upper(), route=route, path_params=dict(path_params or {}),
                          source_ip=source_ip, user_agent=(user_agent or "")[:MAX_USER_AGENT] or None, act=act))


def note(*, program_id: str | None = None, target_type: str | None = None, target_id: str | None = None,
         **detail: object) -> None:
    """Add to the current request's entry: its program, its target, and details (counts, ids, kinds)."""
    current = _current.get()
    if current is None:
        return
    if program_id:
        current.program_id = program_id
    if target_type:
        current.target_type = target_type
    if target_id:
        current.target_id = target_id
    current.detail.update({name: _bounded(value) for name, value in _plain(detail).items()})


def changed(section: str, before: Mapping[str, object] | None, after: Mapping[str, object] | None,
            *, hidden: frozenset[str] | set[str] | tuple[str, ...] = ()) -> None:
    """Settings of `section` (e.g. 'mechanics', 'branding') went from `before` to `after`: the entry keeps
    the fields that differ, each as [before, after], secrets and `hidden` fields masked."""
    current = _current.get()
    if current is None:
        return
    current.changes.update(diff(section, before, after, hidden))


def changed_settings(before: Mapping[str, object], after: Mapping[str, object]) -> None:
    """Several settings at once, by name ({"name": .., "mechanics": {..}}): a section that is a mapping (on
    either side) is compared field by field under its name ("mechanics.tiers"), a plain value as itself."""
    current = _current.get()
    if current is None:
        return
    for name, now in after.items():
        was = before.get(name)
        if isinstance(was, Mapping) or isinstance(now, Mapping):
            current.changes.update(diff(name, was if isinstance(was, Mapping) else None,
                                        now if isinstance(now, Mapping) else None))
        else:
            current.changes.update(diff("", {name: was}, {name: now}))


def _target(current: _Request, answer: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """(type, id) of what the request acted on: what a use case noted, else what it created, else the path's."""
    if current.target_id:
        return current.target_type, current.target_id
    act, params = current.act, current.path_params
    if act is None:
        return None, None
    if act.created:
        created = answer.get(act.created) if answer is not None else None
        return act.target_type, created if isinstance(created, str) else None
    name = act.target or (list(params)[-1] if params else None)
    if name is None:
        return current.target_type or act.target_type, None
    return act.target_type or PARAM_TYPES.get(name, name), params.get(name)


@dataclass(frozen=True)
class Actor:
    """Who made the request, from the verified token."""

    subject: str
    merchant_id: str | None
    role: str | None
    email: str | None


def needs_answer() -> bool:
    """Whether the current request's entry names what its answer says it created (a 201's id)."""
    current = _current.get()
    return current is not None and current.act is not None and bool(current.act.created or current.act.shown)


def finish(status: int, now: datetime, actor: Actor | None, answer: Mapping[str, Any] | None = None) -> None:
    """The current request answered `status` (its JSON answer `answer`, when it is one): write its entry
    if it is a write of ROUTES that succeeded and a verified token made it."""
    current = _current.get()
    _current.set(None)
    if current is None or current.act is None or status >= 400 or actor is None:  # noqa: PLR2004 - HTTP
        return
    try:
        entry = _entry(current, status, now, actor, answer)
    except Exception as error:  # noqa: BLE001 - the trail must not turn a done write into an error answer
        log.error("audit_write_failed", action=current.act.action, error_type=type(error).__name__)
        metrics.emit({"AuditWriteFailed": 1})
        return
    _write(entry, now)


def _entry(current: _Request, status: int, now: datetime, actor: Actor, answer: Mapping[str, Any] | None,
           ) -> audit_store.Entry:
    assert current.act is not None  # noqa: S101 - finish checked it
    target_type, target_id = _target(current, answer)
    params = {name: value for name, value in current.path_params.items() if value != target_id}
    program_id = current.program_id or current.path_params.get("program_id")
    if program_id is None and target_type == "program":
        program_id = target_id
    shown = {name: answer[name] for name in current.act.shown if answer is not None and name in answer}
    detail = {**{name: value for name, value in params.items() if name != "program_id"},
              **{name: _bounded(value) for name, value in _plain(shown).items()}, **current.detail}
    return audit_store.Entry(
        merchant_id=actor.merchant_id or audit_store.PLATFORM, entry_id=audit_store.new_entry_id(),
        at=db.iso(now), actor=actor.subject, action=current.act.action, actor_email=actor.email, role=actor.role,
        source_ip=current.source_ip, user_agent=current.user_agent, method=current.method, route=current.route,
        program_id=program_id, target_type=target_type, target_id=target_id, status=status,
        changes=_capped(current.changes) or None, detail=_capped(detail) or None)


def _capped(values: dict[str, Any]) -> dict[str, Any]:
    """`values`, or when they are too large for one item, each field's name with its size."""
    if len(json.dumps(values, ensure_ascii=False)) <= MAX_ENTRY_CHARS:
        return values
    return {name: {"omitted_chars": len(json.dumps(value, ensure_ascii=False))} for name, value in values.items()}


def record(merchant_id: str, *, actor: str, action: str, now: datetime, program_id: str | None = None,
           target_type: str | None = None, target_id: str | None = None,
           changes: Mapping[str, object] | None = None, detail: Mapping[str, object] | None = None) -> None:
    """An entry for work no admin request carries (actor 'system:retention', 'cli')."""
    entry = audit_store.Entry(
        merchant_id=merchant_id or audit_store.PLATFORM, entry_id=audit_store.new_entry_id(), at=db.iso(now),
        actor=actor, action=action, program_id=program_id, target_type=target_type, target_id=target_id,
        changes=_capped(_plain(dict(changes))) if changes else None,
        detail=_capped({name: _bounded(value) for name, value in _plain(dict(detail)).items()}) if detail else None)
    _write(entry, now)


def _write(entry: audit_store.Entry, now: datetime) -> bool:
    """Put the entry; once more if DynamoDB refused it. A second refusal is logged and counted, not raised."""
    expires = now + timedelta(days=settings().audit_retention_days)
    for attempt in (1, 2):
        try:
            audit_store.append(entry, expires)
            return True
        except Exception as error:  # noqa: BLE001 - the trail must not break the write it records
            if attempt == 2 and db.is_condition_failure(error):  # noqa: PLR2004 - the first put did land
                return True
            if attempt == 2:  # noqa: PLR2004
                log.error("audit_write_failed", action=entry.action, merchant_id=entry.merchant_id,
                          target_id=entry.target_id, error_type=type(error).__name__)
                metrics.emit({"AuditWriteFailed": 1})
    return False


# --- reading the trail ----------------------------------------------------------------------------------

MAX_LIMIT = 200
EXPORT_ROWS = 1000  # rows of one CSV page (each page is at most MAX_PAGES bounded queries)
CSV_COLUMNS = ("entry_id", "at", "actor", "actor_email", "role", "source_ip", "user_agent", "action", "method",
               "route", "program_id", "target_type", "target_id", "status", "changes", "detail")


def partition(merchant_id: str | None) -> str:
    """Whose entries a principal reads: its merchant's; the platform's tokens, the platform's own."""
    return merchant_id or audit_store.PLATFORM


def listing(merchant_id: str | None, filters: audit_store.Filters, limit: int, cursor: str | None,
            ) -> dict[str, Any]:
    """One page of the trail, newest first: {"items", "next_cursor"}."""
    entries, next_cursor = audit_store.page(partition(merchant_id), filters, limit, cursor)
    return {"items": [entry.view() for entry in entries], "next_cursor": next_cursor}


def csv_page(merchant_id: str | None, filters: audit_store.Filters, cursor: str | None,
             ) -> tuple[str, str | None, int]:
    """(CSV text of one page of the trail, the next page's cursor, its rows); the first page starts with the
    header row."""
    from chalicelib.usecases import exports  # lazy: exports loads analytics, +25 ms on import app

    entries, next_cursor = audit_store.page(partition(merchant_id), filters, EXPORT_ROWS, cursor)
    rows: list[dict[str, object]] = []
    for entry in entries:
        row: dict[str, object] = dict(entry.view())
        for name in ("changes", "detail"):
            row[name] = json.dumps(row[name], ensure_ascii=False, sort_keys=True) if row[name] else None
        rows.append(row)
    return exports.table(CSV_COLUMNS, rows, header=cursor is None), next_cursor, len(rows)
