"""The audit trail for the owner (issue 19): `GET /admin/audit` a page at a time, newest first, and
`GET /admin/audit/export` as CSV pages. Owners only (audit:read); a merchant reads its own entries, the
platform's tokens the platform's."""
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from chalice import Blueprint, Response

from chalicelib import auth, log
from chalicelib.api.http import api, json_response, query, query_int
from chalicelib.core import validation
from chalicelib.errors import InvalidInput
from chalicelib.store import audit as audit_store
from chalicelib.usecases import audit

bp = Blueprint(__name__)
_TEXT_MAX = 200  # an id, an actor or an action name is far shorter
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _principal() -> auth.Principal:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require("audit:read")
    log.bind(actor_role=principal.role)
    return principal


def _moment(raw: str | None, name: str, *, end: bool) -> datetime | None:
    """`from`/`to` as a UTC day (YYYY-MM-DD: `to` takes the whole day) or a time (ISO 8601; no offset: UTC).
    As a bound: `from` inclusive; the returned `to` is exclusive (the next day, or a microsecond later)."""
    if raw is None:
        return None
    if _DAY.fullmatch(raw):
        day = validation.parse_day(raw, name)
        start = datetime.combine(day, time(), UTC)
        return start + timedelta(days=1) if end and day < date.max else start
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"'{name}' must be a UTC date (YYYY-MM-DD) or an ISO 8601 time.", code="invalid_format",
                           field=name) from None
    if not raw[:4].isdigit() or not 1900 <= moment.year <= 2999:  # noqa: PLR2004 - the house's years
        raise InvalidInput(f"'{name}' must be between 1900 and 2999.", code="out_of_range", field=name)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment + timedelta(microseconds=1) if end else moment


def _text(name: str) -> str | None:
    value = query(bp.current_request, name)
    if value is not None and (len(value) > _TEXT_MAX or not value.isprintable()):
        raise InvalidInput(f"'{name}' is not a value the trail holds.", code="invalid_value", field=name)
    return value


def _filters() -> audit_store.Filters:
    request = bp.current_request
    since = _moment(query(request, "from"), "from", end=False)
    until = _moment(query(request, "to"), "to", end=True)
    if since and until and since >= until:
        raise InvalidInput("'from' must come before 'to'.", code="invalid_range", field="from")
    return audit_store.Filters(since=since, until=until, program_id=_text("program_id"), actor=_text("actor"),
                               action=_text("action"), target_id=_text("target_id"))


@bp.route("/admin/audit", methods=["GET"])
@api
def audit_trail() -> Response:
    principal = _principal()
    filters = _filters()
    limit = query_int(bp.current_request, "limit", 50, 1, audit.MAX_LIMIT)
    return json_response(audit.listing(principal.merchant_id, filters, limit, query(bp.current_request, "cursor")))


@bp.route("/admin/audit/export", methods=["GET"])
@api
def audit_export() -> Response:
    principal = _principal()
    filters = _filters()
    request = bp.current_request
    text, cursor, rows = audit.csv_page(principal.merchant_id, filters, query(request, "cursor"))
    audit.note(rows=rows)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": 'attachment; filename="audit.csv"', "X-Content-Type-Options": "nosniff"}
    if cursor:
        headers["X-Next-Cursor"] = cursor
        following = urlencode({**{name: value for name, value in (request.query_params or {}).items()
                                  if name != "cursor"}, "cursor": cursor})
        headers["Link"] = f'</admin/audit/export?{following}>; rel="next"'
    return Response(body=text, status_code=200, headers=headers)
