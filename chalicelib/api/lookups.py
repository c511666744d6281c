"""What the console looks up while an owner works, beyond the admin API's lists: a customer by card
number, phone or name, and how many cards a campaign's audience reaches before there is a campaign.
Scoped to the token's merchant like every admin route."""
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api.http import JSON, api, json_body, json_response, query
from chalicelib.commands import queries
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program
from chalicelib.usecases import customers

# Campaigns pull analytics and every channel (+25 ms on import app, as api/admin.py measured): loaded by
# their route only. mypy reads the module as it is.
if TYPE_CHECKING:
    from chalicelib.usecases import campaigns
else:
    campaigns = lazy.module("chalicelib.usecases.campaigns")

bp = Blueprint(__name__)


def _program(permission: str, program_id: str) -> tuple[auth.Principal, Program]:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    return principal, program_store.get_for_merchant(principal.merchant_id or "", program_id)


@bp.route("/admin/programs/{program_id}/customers", methods=["GET"])
@api
def find_customers(program_id: str) -> Response:
    principal, program = _program("cards:read", program_id)
    request = bp.current_request
    page = queries.read_page(request.query_params, default_limit=20, max_limit=100)
    items, cursor = customers.find(program, query(request, "q"), by_phone=principal.can("cards:contacts"),
                                   limit=page.limit, cursor=page.cursor)
    return json_response({"items": items, "next_cursor": cursor})


@bp.route("/admin/programs/{program_id}/audience-size", methods=["POST"], content_types=[JSON])
@api
def audience_size(program_id: str) -> Response:
    _, program = _program("campaigns:read", program_id)
    size = campaigns.audience_size(program, json_body(bp.current_request), datetime.now(UTC))
    return json_response({"audience_size": size})
