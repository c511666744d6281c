"""Google Wallet's save/delete callbacks (`callbackOptions.url` of our classes).

Google delivers callbacks best-effort and retries failures; a duplicate is recognised by its nonce. What
a callback must look like is checked first (commands/google.py), before any key is fetched.
"""
from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib import log
from chalicelib.api.http import JSON, api, json_body, json_response
from chalicelib.commands import google as commands
from chalicelib.errors import Unauthorized

bp = Blueprint(__name__)


@bp.route("/google/callbacks", methods=["POST"], content_types=[JSON])
@api
def google_callback() -> Response:
    # lazy: the Google Wallet client (httpx, JWT signing), +18 ms on import app (measured, median of 3)
    from chalicelib.usecases import google_wallet  # noqa: PLC0415
    from chalicelib.wallet import google  # noqa: PLC0415

    callback = commands.read_callback(json_body(bp.current_request))
    try:
        return json_response(google_wallet.callback(callback, datetime.now(UTC)))
    except google.CallbackRejected as rejected:
        log.warning("google_callback_rejected", reason=str(rejected))
        raise Unauthorized("The callback is not signed by Google for this issuer.", code="bad_signature") from None
