"""Intake: connecting shops and tills to a program (Square, Shopify, Evotor, Tilda), a web form's enrolment
(Tilda's webhook), and moving a base in (imports). The shops' and tills' own events arrive at the generic
`POST /integrations/{provider}/events` (api/integrations.py); this blueprint holds what is not a receipt."""
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api.http import FORM, JSON, api, content_type, form_body, json_body, json_response, locale_of, query
from chalicelib.errors import AppError, InvalidInput
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program

if TYPE_CHECKING:
    from chalicelib.commands import connections as connection_commands
    from chalicelib.commands import imports as import_commands
    from chalicelib.usecases import card_links, connections, imports
else:
    # lazy: connecting and imports load only on their own routes (csv, zipfile, ElementTree, the import and
    # connection use cases): +9 ms on import app otherwise (measured with -X importtime)
    connection_commands = lazy.module("chalicelib.commands.connections")
    import_commands = lazy.module("chalicelib.commands.imports")
    card_links = lazy.module("chalicelib.usecases.card_links")
    connections = lazy.module("chalicelib.usecases.connections")
    imports = lazy.module("chalicelib.usecases.imports")

bp = Blueprint(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _program(permission: str, program_id: str) -> tuple[auth.Principal, Program]:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    return principal, program_store.get_for_merchant(principal.merchant_id or "", program_id)


def _body_or_empty() -> dict:
    raw = bp.current_request.raw_body or b""
    return json_body(bp.current_request) if raw.strip() else {}


# --- connections ------------------------------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/integrations", methods=["GET"])
@api
def list_integrations(program_id: str) -> Response:
    _, program = _program("pos_keys:read", program_id)
    return json_response({"items": connections.list_for(program)})


@bp.route("/admin/programs/{program_id}/integrations/{provider}", methods=["PUT"], content_types=[JSON])
@api
def connect_integration(program_id: str, provider: str) -> Response:
    principal, program = _program("pos_keys:write", program_id)
    command = connection_commands.read_connect(provider, _body_or_empty())
    return json_response(connections.connect(program, command, principal.subject, _now()), 201)


@bp.route("/admin/programs/{program_id}/integrations/{provider}", methods=["DELETE"])
@api
def disconnect_integration(program_id: str, provider: str) -> Response:
    _, program = _program("pos_keys:write", program_id)
    connections.disconnect(program, connection_commands.read_provider(provider))
    return json_response({"provider": provider, "connected": False})


# --- a web form's enrolment (Tilda) --------------------------------------------------------------------

@bp.route("/integrations/tilda/{program_id}/{secret}", methods=["POST"], content_types=[FORM, JSON])
@api
def web_form(program_id: str, secret: str) -> Response:
    """Tilda posts the form; its `test=test` on connecting is answered "ok". A JSON caller (any other web
    form's backend) gets the contract's answers: 201 {"status": "enrolled"}, 400, 409 already_enrolled.
    Tilda gets 200 "ok" for every genuine post, since it would only retry a refused one (logged)."""
    # lazy: the providers' package and the enrolment path, +12 ms on import app (api/integrations.py's figure);
    # a function import because lazy.module would import the package chalicelib.integrations to find tilda
    from chalicelib.integrations import tilda

    request = bp.current_request
    is_json = content_type(request) == JSON
    program, item = connections.connected(program_id, "tilda")
    connections.check_issued(item, secret if len(secret) <= 100 else "")
    form = json_body(request) if is_json else form_body(request)
    if tilda.is_handshake(form):
        return Response(body="ok", status_code=200, headers={"Content-Type": "text/plain; charset=utf-8"})
    if is_json and not all(isinstance(value, str) for value in form.values()):
        raise InvalidInput("Every field of the form is a string.", code="invalid_type")
    try:
        tilda.enrol(program, item, form, _now(), locale_of(request))
    except AppError:
        if is_json:
            raise
        return Response(body="ok", status_code=200, headers={"Content-Type": "text/plain; charset=utf-8"})
    if is_json:
        return json_response({"status": "enrolled"}, 201)
    return Response(body="ok", status_code=200, headers={"Content-Type": "text/plain; charset=utf-8"})


# --- imports -------------------------------------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/imports", methods=["POST"], content_types=[JSON])
@api
def upload_import(program_id: str) -> Response:
    principal, program = _program("programs:write", program_id)
    dry_run = (query(bp.current_request, "dry_run") or "false").lower()
    if dry_run not in ("true", "false"):
        raise InvalidInput("'dry_run' is true or false.", code="invalid_value", field="dry_run")
    command = import_commands.read_upload(json_body(bp.current_request))
    answer = imports.upload(program, command, dry_run == "true", principal.subject, _now())
    return json_response(answer, 201)


@bp.route("/admin/programs/{program_id}/imports/{import_id}/parts", methods=["POST"], content_types=[JSON])
@api
def upload_import_part(program_id: str, import_id: str) -> Response:
    _, program = _program("programs:write", program_id)
    command = import_commands.read_part(json_body(bp.current_request))
    return json_response(imports.add_part(program, import_id, command, _now()))


@bp.route("/admin/programs/{program_id}/imports/{import_id}/start", methods=["POST"], content_types=[JSON])
@api
def start_import(program_id: str, import_id: str) -> Response:
    _, program = _program("programs:write", program_id)
    if _body_or_empty():
        raise InvalidInput("This request takes no body.", code="unknown_field")
    return json_response(imports.start(program, import_id, _now()))


@bp.route("/admin/programs/{program_id}/imports/{import_id}", methods=["GET"])
@api
def get_import(program_id: str, import_id: str) -> Response:
    _, program = _program("programs:write", program_id)
    wanted = query(bp.current_request, "format") or "json"
    if wanted == "csv":
        return Response(body=imports.report_csv(program, import_id), status_code=200,
                        headers={"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
                                 "Content-Disposition": f'attachment; filename="import-{import_id[:40]}.csv"'})
    if wanted != "json":
        raise InvalidInput("'format' is json or csv.", code="invalid_value", field="format")
    return json_response(imports.view(program, import_id))


@bp.route("/admin/programs/{program_id}/imports/{import_id}/links", methods=["POST"], content_types=[JSON])
@api
def send_import_links(program_id: str, import_id: str) -> Response:
    """Send every member this import made their card link (SMS, else e-mail; or the `channel` asked for)."""
    _, program = _program("programs:write", program_id)
    body = _body_or_empty()
    unknown = set(body) - {"channel"}
    if unknown:
        raise InvalidInput(f"Unknown field '{sorted(unknown)[0]}'.", code="unknown_field", field=sorted(unknown)[0])
    channel = body.get("channel", "auto")
    if channel not in ("auto", "sms", "email"):
        raise InvalidInput("'channel' is auto, sms or email.", code="invalid_choice", field="channel")
    card_ids = imports.imported_card_ids(program, import_id)
    card_links.queue(program.program_id, card_ids, channel)
    return json_response({"import_id": import_id, "cards": len(card_ids), "channel": channel}, 202)
