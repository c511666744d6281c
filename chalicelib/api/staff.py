"""Who is signed in (`GET /admin/me`, any admin role) and the merchant's staff (owners only): list, invite,
change a role, remove. The console calls these with the Cognito ID token of the person signed in."""
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api.http import JSON, api, json_body, json_response
from chalicelib.commands import staff as commands
from chalicelib.errors import NotFound

# Loaded by these routes only: the Cognito client and the invitation letter (with the e-mail channel) stay
# out of every other route's cold start. mypy reads it as the module it is.
if TYPE_CHECKING:
    from chalicelib.usecases import staff as staff_cases
else:
    staff_cases = lazy.module("chalicelib.usecases.staff")

bp = Blueprint(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _principal(permission: str | None = None) -> auth.Principal:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    if permission:
        principal.require(permission)
    log.bind(actor_role=principal.role)
    return principal


def _staff_id(staff_id: str) -> str:
    """An id that cannot be one of ours is simply not found (and never reaches DynamoDB's key limits)."""
    if not re.fullmatch(commands.STAFF_ID_PATTERN, staff_id):
        raise NotFound("No such staff member.")
    return staff_id


@bp.route("/admin/me", methods=["GET"])
@api
def me() -> Response:
    return json_response(staff_cases.me(_principal(), _now()))


@bp.route("/admin/staff", methods=["GET"])
@api
def list_staff() -> Response:
    principal = _principal("staff:read")
    return json_response({"items": staff_cases.listing(principal.merchant_id or ""), "next_cursor": None})


@bp.route("/admin/staff", methods=["POST"], content_types=[JSON])
@api
def invite() -> Response:
    principal = _principal("staff:write")
    new = commands.read_invitation(json_body(bp.current_request))
    return json_response(staff_cases.invite(principal.merchant_id or "", new, principal.subject, _now()), 201)


@bp.route("/admin/staff/{staff_id}", methods=["PATCH"], content_types=[JSON])
@api
def change_role(staff_id: str) -> Response:
    principal = _principal("staff:write")
    change = commands.read_role_change(json_body(bp.current_request))
    return json_response(staff_cases.change_role(principal, _staff_id(staff_id), change, _now()))


@bp.route("/admin/staff/{staff_id}", methods=["DELETE"])
@api
def remove(staff_id: str) -> Response:
    principal = _principal("staff:write")
    staff_cases.remove(principal, _staff_id(staff_id), _now())
    return Response(body="", status_code=204)
