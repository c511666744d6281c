"""What every route shares: JSON answers, the contract's error bodies, strict body parsing."""
import functools
import json
from urllib.parse import parse_qsl

from chalice import Response
from chalice.app import Request

from chalicelib import log
from chalicelib.commands import queries
from chalicelib.core import validation
from chalicelib.errors import AppError, InvalidInput, NotFound, TryAgain
from chalicelib.store import db

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
                             **(headers or {})})


def error_response(error: AppError) -> Response:
    return json_response(error.body(), error.status, getattr(error, "headers", None))


def internal_error(exc: Exception) -> Response:
    log.error("unhandled_error", error_type=type(exc).__name__)
    return json_response({"error": {"code": "internal_error", "message": "Something went wrong on our side."}},
                         500)


MAX_ID_BYTES = 512  # an id in a path; DynamoDB refuses keys over 1,024 bytes (a sort key) with an error


def api(view):
    """Turn AppError into the contract's JSON error and anything unexpected into a logged 500. On a
    program's admin routes (JSON all) an id in the path longer than any we issue is a 404 before anything
    reads it (DynamoDB would refuse the key); the pages answer their own HTML 404s."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            if "program_id" in kwargs and any(
                    isinstance(value, str) and len(value.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES
                    for value in kwargs.values()):
                raise NotFound("Not found.")
            return view(*args, **kwargs)
        except AppError as error:
            return error_response(error)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if db.is_unavailable(exc):  # DynamoDB slow or busy past its retries: the request may be sent again
                log.warning("database_unavailable", error_type=type(exc).__name__)
                return error_response(TryAgain("The database did not answer in time; try again in a moment.",
                                               retry_after=2))
            return internal_error(exc)
    return wrapper


def content_type(request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def json_body(request) -> dict:
    """The body as a JSON object, parsed strictly and within bounds (validation.parse_json)."""
    raw = request.raw_body or b""
    if not raw.strip():
        raise InvalidInput("The request body is empty; send a JSON object.", code="invalid_json")
    data = validation.parse_json(raw)
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.", code="invalid_json")
    return data


def form_body(request) -> dict:
    try:
        pairs = parse_qsl((request.raw_body or b"").decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=50, errors="strict")  # %ED%A0%80 is refused, not turned into U+FFFD
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("The form could not be read.", code="invalid_form") from None
    data = {}
    for name, value in pairs:
        if name in data:
            raise InvalidInput(f"The field '{name}' was sent twice.", code="invalid_form", field=name)
        data[name] = value
    return data


def query(request: Request, name: str) -> str | None:
    return queries.read_query(request.query_params, name)


def query_int(request: Request, name: str, default: int, minimum: int, maximum: int) -> int:
    return queries.read_query_int(request.query_params, name, default, minimum, maximum)


def locale_of(request) -> str:
    """'ru' or 'en': an explicit ?lang= wins, then Accept-Language in the caller's order of preference."""
    lang = query(request, "lang")
    if lang in ("ru", "en"):
        return lang
    header = request.headers.get("accept-language") or ""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        ranked.append((-weight, position, tag.strip().lower()[:2]))
    for _, _, tag in sorted(ranked):
        if tag in ("ru", "en"):
            return tag
    return "ru"
