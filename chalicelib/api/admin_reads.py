"""Admin reads the console's pages need: a program's campaigns, newest first, and the messages a card
was sent. Scoped to the token's merchant: another merchant's program or card is 404."""
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api.http import api, json_response
from chalicelib.commands import queries
from chalicelib.store import campaigns as campaign_store
from chalicelib.store import programs as program_store
from chalicelib.usecases import cards as card_views
from chalicelib.usecases import message_history

# usecases.campaigns pulls the audience, analytics and channels (+25 ms on import app, with analytics and
# exports: see api/admin.py); only its own route loads it.
if TYPE_CHECKING:
    from chalicelib.usecases import campaigns
else:
    campaigns = lazy.module("chalicelib.usecases.campaigns")

bp = Blueprint(__name__)


def _principal(permission: str) -> auth.Principal:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    return principal


def _page_query(max_limit: int) -> queries.PageQuery:
    return queries.read_page(bp.current_request.query_params, max_limit=max_limit)


@bp.route("/admin/programs/{program_id}/campaigns", methods=["GET"])
@api
def list_campaigns(program_id: str) -> Response:
    principal = _principal("campaigns:read")
    program = program_store.get_for_merchant(principal.merchant_id or "", program_id)
    page = _page_query(max_limit=100)
    found, cursor = campaign_store.newest_first(program.program_id, page.limit, page.cursor)
    return json_response({"items": [campaigns.view(campaign) for campaign in found], "next_cursor": cursor})


@bp.route("/admin/cards/{card_id}/messages", methods=["GET"])
@api
def card_messages(card_id: str) -> Response:
    principal = _principal("cards:read")
    card = card_views.for_merchant(principal.merchant_id or "", card_id)
    page = _page_query(max_limit=200)
    items, cursor = message_history.page(card, page.limit, page.cursor)
    if not principal.can("campaigns:read"):  # campaign texts are not for analysts and cashiers
        items = [{**item, "text": None} for item in items]
    return json_response({"items": items, "next_cursor": cursor})
