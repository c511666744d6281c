"""POST /admin/cards/{card_id}/erase, the owner erasing a member (usecases/erasure.py).
Scoped to the token's merchant like the other /admin/cards routes: another merchant's card is 404."""
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api.http import JSON, api, json_body, json_response
from chalicelib.core import validation as v
from chalicelib.usecases import cards as card_views

if TYPE_CHECKING:
    from chalicelib.usecases import erasure
else:
    # lazy: erasing (its sweeps over every table, the imports' rows) loads only on this route: +35 ms on import
    # app otherwise (measured with -X importtime on a busy machine)
    erasure = lazy.module("chalicelib.usecases.erasure")

bp = Blueprint(__name__)


@bp.route("/admin/cards/{card_id}/erase", methods=["POST"], content_types=[JSON])
@api
def erase_member(card_id: str) -> Response:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require("members:erase")
    log.bind(actor_role=principal.role)
    merchant_id = principal.merchant_id or ""
    card = card_views.for_merchant(merchant_id, card_id)
    data = json_body(bp.current_request)
    v.reject_unknown(data, {"confirm"})
    if not erasure.is_erased(card):  # an erased card answers the same whatever was typed
        erasure.check_confirm(card, v.read_str(data, "confirm", max_len=erasure.MAX_CONFIRM))
    return json_response(erasure.erase(card.card_id, merchant_id=merchant_id, actor=principal.subject,
                                       now=datetime.now(UTC)))
