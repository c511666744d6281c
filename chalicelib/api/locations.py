"""A program's locations (stores): list, add, edit, close (issue 18). Scoped to the token's merchant
like every /admin/programs route: another merchant's program is 404. Reading needs programs:read, changing
programs:write. No DELETE: a location is closed (`PATCH {"status": "closed"}`) and stays for history."""
from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib import auth, log
from chalicelib.api.http import JSON, api, json_body, json_response
from chalicelib.commands import locations as commands
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program
from chalicelib.usecases import locations

bp = Blueprint(__name__)
BASE = "/admin/programs/{program_id}/locations"


def _now() -> datetime:
    return datetime.now(UTC)


def _program(permission: str, program_id: str) -> Program:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    return program_store.get_for_merchant(principal.merchant_id or "", program_id)


@bp.route(BASE, methods=["GET"])
@api
def list_locations(program_id: str) -> Response:
    return json_response(locations.listing(_program("programs:read", program_id)))


@bp.route(BASE, methods=["POST"], content_types=[JSON])
@api
def add_location(program_id: str) -> Response:
    program = _program("programs:write", program_id)
    fields = commands.read_new_location(json_body(bp.current_request))
    _, location = locations.add(program, fields, _now())
    return json_response(location.to_json(), 201)


@bp.route(BASE + "/{location_id}", methods=["GET"])
@api
def get_location(program_id: str, location_id: str) -> Response:
    return json_response(locations.get(_program("programs:read", program_id), location_id).to_json())


@bp.route(BASE + "/{location_id}", methods=["PATCH"], content_types=[JSON])
@api
def edit_location(program_id: str, location_id: str) -> Response:
    program = _program("programs:write", program_id)
    locations.get(program, location_id)  # 404 before the body is read
    fields = commands.read_location_changes(json_body(bp.current_request))
    _, location = locations.edit(program, location_id, fields, _now())
    return json_response(location.to_json())
