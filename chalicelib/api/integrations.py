"""POS providers' webhooks: `POST /integrations/{provider}/events`, one route for every provider in
`chalicelib.integrations.PROVIDERS`. The provider checks the signature and names the program, turns
the event into a receipt or refund command, and the same use cases as /pos/receipts and /pos/refunds
run it, with the same answers (and `Idempotent-Replay: true` on a repeat)."""
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import lazy
from chalicelib.api.http import JSON, api
from chalicelib.api.pos import raw_body, receipt_answer, refund_answer, signed_path
from chalicelib.errors import NotFound

if TYPE_CHECKING:
    from chalicelib import integrations
    from chalicelib.commands import pos as commands
    from chalicelib.usecases import pos
else:
    # lazy: the providers and the receipt path they feed (some 20 frozen dataclasses), loaded by the first
    # event, as api/pos.py does: +12 ms on import app otherwise (benchmarks/bundle.py)
    integrations = lazy.module("chalicelib.integrations")
    commands = lazy.module("chalicelib.commands.pos")
    pos = lazy.module("chalicelib.usecases.pos")

bp = Blueprint(__name__)


@bp.route("/integrations/{provider}/events", methods=["POST"], content_types=[JSON])
@api
def provider_event(provider: str) -> Response:
    now = datetime.now(UTC)
    request = bp.current_request
    source = integrations.provider_named(provider)
    delivery = integrations.Delivery(request.headers, request.method, signed_path(request), raw_body(request))
    program = source.authenticate(delivery, now)
    command = source.command(delivery, program, now)
    try:
        if isinstance(command, commands.RecordReceipt):
            return receipt_answer(pos.record_receipt(command, program, now))
        return refund_answer(pos.record_refund(command, program, now))
    except NotFound as error:
        if error.code == "card_not_found" and isinstance(source, integrations.CountsMisses):
            source.card_missed(delivery, now)  # counted as on /pos/cards: no free probing of card numbers
        raise
