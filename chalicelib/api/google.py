"""Google Wallet's save/delete callbacks (`callbackOptions.url` of our classes)."""
import json
from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib import log
from chalicelib.api.http import JSON, api, json_response
from chalicelib.errors import InvalidInput, Unauthorized

bp = Blueprint(__name__)


@bp.route("/google/callbacks", methods=["POST"], content_types=[JSON])
@api
def google_callback():
    from chalicelib.usecases import google_wallet
    from chalicelib.wallet import google

    try:
        data = json.loads(bp.current_request.raw_body or b"")
        if not isinstance(data, dict):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("Not a Google Wallet callback.", code="invalid_json") from None
    try:
        return json_response(google_wallet.callback(data, datetime.now(timezone.utc)))
    except google.CallbackRejected as rejected:
        log.warning("google_callback_rejected", reason=str(rejected))
        raise Unauthorized("The callback is not signed by Google for this issuer.", code="bad_signature") from None
