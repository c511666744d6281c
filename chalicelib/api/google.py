"""Google Wallet's save/delete callbacks (`callbackOptions.url` of our classes).

Google delivers callbacks best-effort and retries failures; a duplicate is recognised by its nonce. A
body that is not a callback's shape (Google always sends `signature`, `intermediateSigningKey`
{`signedKey`, `signatures`[]}, `protocolVersion` and `signedMessage`, all strings) is answered 400
before any key is fetched: nothing Google sends looks like that, so no retry is lost.
"""
from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib import log
from chalicelib.api.http import JSON, api, json_body, json_response
from chalicelib.errors import InvalidInput, Unauthorized

bp = Blueprint(__name__)
_MAX_FIELD_CHARS = 16_384  # a signed message is a few hundred characters


def _callback_shape(data: dict) -> dict:
    """The callback if every field Google signs is present with its JSON type; else 400 naming it."""
    def text(value, field: str) -> None:
        if not isinstance(value, str) or not value or len(value) > _MAX_FIELD_CHARS:
            raise InvalidInput(f"'{field}' must be a non-empty string.", code="invalid_callback", field=field)

    for name in ("protocolVersion", "signature", "signedMessage"):
        text(data.get(name), name)
    intermediate = data.get("intermediateSigningKey")
    if not isinstance(intermediate, dict):
        raise InvalidInput("'intermediateSigningKey' must be an object.", code="invalid_callback",
                           field="intermediateSigningKey")
    text(intermediate.get("signedKey"), "intermediateSigningKey.signedKey")
    signatures = intermediate.get("signatures")
    if not isinstance(signatures, list) or not 1 <= len(signatures) <= 8:
        raise InvalidInput("'intermediateSigningKey.signatures' must be a list of 1 to 8 strings.",
                           code="invalid_callback", field="intermediateSigningKey.signatures")
    for index, signature in enumerate(signatures):
        text(signature, f"intermediateSigningKey.signatures[{index}]")
    return data


@bp.route("/google/callbacks", methods=["POST"], content_types=[JSON])
@api
def google_callback():
    from chalicelib.usecases import google_wallet
    from chalicelib.wallet import google

    data = _callback_shape(json_body(bp.current_request))
    try:
        return json_response(google_wallet.callback(data, datetime.now(timezone.utc)))
    except google.CallbackRejected as rejected:
        log.warning("google_callback_rejected", reason=str(rejected))
        raise Unauthorized("The callback is not signed by Google for this issuer.", code="bad_signature") from None
