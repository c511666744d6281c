"""The console's customer search: `GET /admin/programs/{id}/customers?q=` (a card number, a phone or a
name), scoped to the token's merchant like every admin route."""
from chalice import Blueprint, Response

from chalicelib import auth, log
from chalicelib.api.http import api, json_response, query
from chalicelib.commands import queries
from chalicelib.store import programs as program_store
from chalicelib.usecases import customers

bp = Blueprint(__name__)


@bp.route("/admin/programs/{program_id}/customers", methods=["GET"])
@api
def find_customers(program_id: str) -> Response:
    request = bp.current_request
    principal = auth.verify_admin_token(request.headers.get("authorization"))
    principal.require("cards:read")
    log.bind(actor_role=principal.role)
    program = program_store.get_for_merchant(principal.merchant_id or "", program_id)
    page = queries.read_page(request.query_params, default_limit=20, max_limit=100)
    items, cursor = customers.find(program, query(request, "q"), by_phone=principal.can("cards:contacts"),
                                   limit=page.limit, cursor=page.cursor)
    return json_response({"items": items, "next_cursor": cursor})
