"""Admin routes for the offers a card holds: list them, issue one, take one back. Scoped to the
token's merchant like the other /admin/cards routes: another merchant's card is 404."""
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api.http import JSON, api, json_body, json_response
from chalicelib.errors import NotFound
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import cards as card_views

# Issuing pulls the receipt path's plans and ledger (+12 ms on import app, as adjustments do: api/admin.py);
# only these routes load it.
if TYPE_CHECKING:
    from chalicelib.usecases import offers
else:
    offers = lazy.module("chalicelib.usecases.offers")

bp = Blueprint(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _card(permission: str, card_id: str) -> tuple[auth.Principal, Card, Program]:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    card = card_views.for_merchant(principal.merchant_id or "", card_id)
    program = program_store.get(card.program_id)
    if program is None:
        raise NotFound("No such card.")
    return principal, card, program


@bp.route("/admin/cards/{card_id}/offers", methods=["GET"])
@api
def list_offers(card_id: str) -> Response:
    _, card, program = _card("cards:read", card_id)
    return json_response({"items": offers.listing(card, program, _now())})


@bp.route("/admin/cards/{card_id}/offers", methods=["POST"], content_types=[JSON])
@api
def issue_offer(card_id: str) -> Response:
    principal, card, program = _card("cards:write", card_id)
    command = offers.IssueOffer.parse(json_body(bp.current_request), card.card_id, principal.subject)
    result = offers.issue(command, program, _now())
    if not result.replay:
        log.info("offer_issued", card_id=card.card_id, offer=command.offer)
    headers = {"Idempotent-Replay": "true"} if result.replay else None
    return json_response(result.response, 200 if result.replay else 201, headers=headers)


@bp.route("/admin/cards/{card_id}/offers/{held_id}", methods=["DELETE"])
@api
def withdraw_offer(card_id: str, held_id: str) -> Response:
    principal, card, program = _card("cards:write", card_id)
    result = offers.withdraw(program, card, held_id, principal.subject, _now())
    if not result.replay:
        log.info("offer_withdrawn", card_id=card.card_id)
    return Response(body="", status_code=204)
