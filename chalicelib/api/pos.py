"""The POS API: every request signed with a program's POS key (see usecases.pos.authenticate), and
rate-limited per key: requests, and card numbers looked up that are no card of the program."""
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import lazy, log, metrics
from chalicelib.api.http import JSON, api, json_body, json_response
from chalicelib.errors import NotFound
from chalicelib.store.records import Program
from chalicelib.usecases import guards

if TYPE_CHECKING:
    from chalicelib.commands import pos as commands
    from chalicelib.usecases import pos
    from chalicelib.usecases.ledger import Result
else:
    # lazy: the receipt path's commands, plans and ledger are some 20 frozen dataclasses, +12 ms on import app
    # (benchmarks/bundle.py); the first POS request loads them, the admin and customer routes never do
    commands = lazy.module("chalicelib.commands.pos")
    pos = lazy.module("chalicelib.usecases.pos")

bp = Blueprint(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def signed_path(request: Request) -> str:
    """The path as the caller sent it (without API Gateway's stage), with its query string."""
    event = request.to_original_event()
    # API Gateway gives the path without its stage at the top level; chalice local only in the context.
    path = event.get("path") or event.get("requestContext", {}).get("path") or request.path
    params = event.get("multiValueQueryStringParameters") or {}
    pairs = [(name, value) for name, values in params.items() for value in values]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def raw_body(request: Request) -> bytes:
    """The body's bytes, as signed."""
    raw = request.raw_body or b""
    return raw.encode() if isinstance(raw, str) else raw


def _signed(now: datetime) -> "pos.Signed":
    """The request's program and its key's location (None: a whole-program key), within the key's rate limits."""
    request = bp.current_request
    signed = pos.authenticate_key(request.headers, request.method, signed_path(request), raw_body(request), now)
    guards.before_pos_request(signed.program, request.headers["x-loyalty-key"], now)
    return signed


def _program(now: datetime) -> Program:
    return _signed(now).program


def _counting_misses(view: Callable[..., Response]) -> Callable[..., Response]:
    """A card number that is no card of the program counts against the key's look-up misses."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except NotFound as error:
            if error.code == "card_not_found":
                guards.pos_lookup_missed(bp.current_request.headers["x-loyalty-key"], _now())
            raise
    return wrapper


@bp.route("/pos/cards/{number}", methods=["GET"])
@api
@_counting_misses
def lookup(number: str) -> Response:
    now = _now()
    program = _program(now)
    return json_response(pos.look_up(commands.LookUpCard.parse(number), program, now))


@bp.route("/pos/quote", methods=["POST"], content_types=[JSON])
@api
@_counting_misses
def quote() -> Response:
    now = _now()
    program = _program(now)
    return json_response(pos.quote_for(commands.Quote.parse(json_body(bp.current_request), program), program, now))


@bp.route("/pos/receipts", methods=["POST"], content_types=[JSON])
@api
@_counting_misses
def receipt() -> Response:
    now = _now()
    signed = _signed(now)
    program = signed.program
    command = commands.RecordReceipt.parse(json_body(bp.current_request), program, now)
    command = pos.at_location(command, program, signed.location_id)
    return receipt_answer(pos.record_receipt(command, program, now))


@bp.route("/pos/refunds", methods=["POST"], content_types=[JSON])
@api
@_counting_misses
def refund() -> Response:
    now = _now()
    program = _program(now)
    return refund_answer(pos.record_refund(commands.RecordRefund.parse(json_body(bp.current_request)), program, now))


def receipt_answer(result: "Result") -> Response:
    """A receipt's answer (from /pos/receipts or a POS integration), counted once in the metrics."""
    if not result.replay:
        metrics.emit({"Receipts": 1, "PointsIssued": result.response["earned"],
                      "PointsRedeemed": result.response["redeemed"]})
    return _answer(result, "receipt_recorded", with_card=result.card is not None,
                   earned=result.response["earned"], redeemed=result.response["redeemed"])


def refund_answer(result: "Result") -> Response:
    return _answer(result, "refund_recorded", points_reversed=result.response["points_reversed"],
                   points_returned=result.response["points_returned"])


def _answer(result: "Result", event: str, **fields: Any) -> Response:
    """The first answer, or the same answer again marked as a replay (then nothing new is logged)."""
    if result.replay:
        return json_response(result.response, headers={"Idempotent-Replay": "true"})
    log.info(event, **fields)
    return json_response(result.response)
