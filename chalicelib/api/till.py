"""The till page's API: a cashier looks a card up, sells and refunds at their location (issue 18).
Every route needs `till:write` (owner, manager, cashier) and acts at one till (usecases/till.py): the POS
API's answers, the receipt signed by the platform on the staff member's behalf."""
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api.http import JSON, api, json_body, json_response
from chalicelib.api.pos import receipt_answer, refund_answer
from chalicelib.commands import till as commands

if TYPE_CHECKING:
    from chalicelib.usecases import till as till_cases
else:
    # lazy: the receipt path's commands, plans and ledger (+12 ms on import app), as for the POS routes
    till_cases = lazy.module("chalicelib.usecases.till")

bp = Blueprint(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _principal() -> auth.Principal:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require("till:write")
    log.bind(actor_role=principal.role)
    return principal


@bp.route("/admin/till", methods=["GET"])
@api
def till_view() -> Response:
    return json_response(till_cases.view(_principal()))


@bp.route("/admin/till/cards/{number}", methods=["GET"])
@api
def lookup(number: str) -> Response:
    now = _now()
    principal = _principal()
    place = commands.read_place_query(bp.current_request.query_params)
    till = till_cases.till_for(principal, place, now)
    return json_response(till_cases.look_up(till, number, now))


@bp.route("/admin/till/quote", methods=["POST"], content_types=[JSON])
@api
def quote() -> Response:
    now = _now()
    principal = _principal()
    request = commands.read_request(json_body(bp.current_request))
    till = till_cases.till_for(principal, request.place, now)
    return json_response(till_cases.quote(till, request, now))


@bp.route("/admin/till/receipts", methods=["POST"], content_types=[JSON])
@api
def receipt() -> Response:
    now = _now()
    principal = _principal()
    request = commands.read_request(json_body(bp.current_request))
    till = till_cases.till_for(principal, request.place, now)
    return receipt_answer(till_cases.sell(till, request, now))


@bp.route("/admin/till/receipts", methods=["GET"])
@api
def receipts() -> Response:
    now = _now()
    principal = _principal()
    place, limit = commands.read_receipts_query(bp.current_request.query_params)
    till = till_cases.till_for(principal, place, now)
    return json_response(till_cases.receipts(till, limit, now))


@bp.route("/admin/till/refunds", methods=["POST"], content_types=[JSON])
@api
def refund() -> Response:
    now = _now()
    principal = _principal()
    request = commands.read_request(json_body(bp.current_request))
    till = till_cases.till_for(principal, request.place, now)
    return refund_answer(till_cases.refund(till, request, now))
