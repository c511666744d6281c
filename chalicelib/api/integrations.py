"""POS providers' webhooks: `POST /integrations/{provider}/events`, one route for every provider in
`chalicelib.integrations.PROVIDERS`. The provider checks the signature and names the program, turns
the event into a receipt or refund command, and the same use cases as /pos/receipts and /pos/refunds
run it, with the same answers (and `Idempotent-Replay: true` on a repeat)."""
from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib import integrations
from chalicelib.api.http import JSON, api
from chalicelib.api.pos import raw_body, receipt_answer, refund_answer, signed_path
from chalicelib.commands.pos import RecordReceipt
from chalicelib.usecases import pos

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
    if isinstance(command, RecordReceipt):
        return receipt_answer(pos.record_receipt(command, program, now))
    return refund_answer(pos.record_refund(command, program, now))
