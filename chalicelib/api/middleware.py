"""What every HTTP request passes through: the body-size limit, a request id in the logs, a default
Accept header (so binary answers reach clients that send none), Chalice's own error answers
rewritten into the contract's error shape, and the audit trail's entry of each admin write."""
import json
from datetime import UTC, datetime
from http import HTTPStatus

from chalice.app import CaseInsensitiveMapping

from chalicelib import auth, log
from chalicelib.api.http import error_response, json_response
from chalicelib.config import MAX_BODY_BYTES
from chalicelib.errors import PayloadTooLarge
from chalicelib.usecases import audit
from chalicelib.wallet import images

# The one route whose body may be bigger than the contract's limit: a card image (README: Card images).
IMAGE_UPLOAD = ("PUT", "/admin/programs/{program_id}/images/{kind}")

# Chalice's own error codes (its "Code" field) and ours.
_CHALICE_CODES = {
    "BadRequestError": "bad_request",
    "UnsupportedMediaType": "unsupported_media_type",
    "MethodNotAllowedError": "method_not_allowed",
    "NotFoundError": "not_found",
    "UnauthorizedError": "unauthorized",
    "ForbiddenError": "forbidden",
    "RequestTimeoutError": "timeout",
    "TooManyRequestsError": "rate_limited",
    "InternalServerError": "internal_error",
}


def contract_http(event, get_response):
    context = event.context or {}
    log.clear()
    log.bind(request_id=context.get("requestId"), path=context.get("resourcePath"))
    auth.forget_principal()
    audit.begin(method=event.method, route=context.get("resourcePath") or "", path_params=event.uri_params,
                source_ip=(context.get("identity") or {}).get("sourceIp"), user_agent=event.headers.get("user-agent"))
    length = event.headers.get("content-length")
    limit = images.MAX_UPLOAD_BYTES if (event.method, context.get("resourcePath")) == IMAGE_UPLOAD else MAX_BODY_BYTES
    if (length and length.isdigit() and int(length) > limit) or len(event.raw_body or b"") > limit:
        return error_response(PayloadTooLarge(f"The body may be at most {limit // 1024} KiB."))
    if not event.headers.get("accept"):
        event.headers = CaseInsensitiveMapping({**dict(event.headers), "accept": "*/*"})
    response = get_response(event)
    if response.status_code >= HTTPStatus.BAD_REQUEST:
        response = _contract_shape(response)
    _audit(response)
    return response


def _audit(response) -> None:
    """The audit entry of an admin write (audit.ROUTES), by the principal the route verified."""
    principal = auth.verified_principal()
    actor = None if principal is None else audit.Actor(principal.subject, principal.merchant_id, principal.role,
                                                       principal.email)
    answer = None
    if audit.needs_answer() and response.status_code < HTTPStatus.BAD_REQUEST and isinstance(response.body, str):
        try:
            parsed = json.loads(response.body)
        except ValueError:
            parsed = None
        answer = parsed if isinstance(parsed, dict) else None
    audit.finish(response.status_code, datetime.now(UTC), actor, answer)


def _contract_shape(response):
    body = response.body
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return response
    if isinstance(body, dict) and "Code" in body and "error" not in body:
        code = _CHALICE_CODES.get(body.get("Code"), "error")
        message = body.get("Message") or "The request could not be handled."
        return json_response({"error": {"code": code, "message": message}}, response.status_code)
    return response
