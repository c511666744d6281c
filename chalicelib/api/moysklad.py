"""MoySklad LoyaltyAPI 1.0: the routes the Касса МойСклад calls, under the base URL an owner pastes into
MoySklad (`{PUBLIC_BASE_URL}/moysklad/{connection_id}`), each with the `Lognex-Discount-API-Auth-Token`
header; and the owner's connections under /admin. The till's routes answer in MoySklad's shapes, errors
included: `{"errors": [{"error", "parameter"?, "code", "error_message"}]}` (see `till_error`)."""
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import auth, config, lazy, log
from chalicelib.api.http import JSON, api, json_body, json_response
from chalicelib.commands import locations as location_commands
from chalicelib.commands import queries
from chalicelib.errors import AppError
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program

if TYPE_CHECKING:
    from chalicelib.commands import moysklad as commands
    from chalicelib.usecases import moysklad
else:
    # lazy: the till's use cases pull the receipt path (commands, plans, ledger: +12 ms on import app, as
    # api/pos.py measured); the first MoySklad request loads them, other routes never do
    commands = lazy.module("chalicelib.commands.moysklad")
    moysklad = lazy.module("chalicelib.usecases.moysklad")

bp = Blueprint(__name__)

BASE = "/moysklad/{connection_id}"
PARAMETER_ERROR = 999  # MoySklad's example code for a missing or wrong parameter (answered with 412)
VERIFICATION_NEEDED = 28001  # MoySklad's code: the customer must confirm with a code
_TITLES = {401: "Ошибка авторизации", 404: "Не найдено", 409: "Конфликт с прежним запросом",
           412: "Неверный параметр запроса", 413: "Слишком большой запрос", 422: "Отказ программы лояльности",
           429: "Слишком много запросов", 503: "Сервис временно недоступен"}


def _now() -> datetime:
    return datetime.now(UTC)


def till_error(error: AppError) -> Response:
    """Our error in MoySklad's shape. A wrong or missing parameter is 412 with code 999 (the documentation's
    example); a customer who must confirm is 412 with 28001 and the documentation's own words; anything
    else keeps our HTTP status, which is also its `code`. Our snake_case code ends the title."""
    if error.code == "verification_needed":
        body = {"error": "Необходимо подтверждение создания покупателя.", "code": VERIFICATION_NEEDED,
                "error_message": "Покупатель должен подтвердить свои данные через код."}
        return json_response({"errors": [body]}, 412)
    status = 412 if error.status == 400 else error.status
    code = PARAMETER_ERROR if status == 412 else status
    item: dict[str, Any] = {"error": f"{_TITLES.get(status, 'Ошибка')} ({error.code})", "code": code,
                            "error_message": error.message}
    if error.field:
        item["parameter"] = error.field
    return json_response({"errors": [item]}, status, error.headers)


def till(view: Callable[..., Response]) -> Callable[..., Response]:
    """Errors in MoySklad's shape; anything unexpected a logged 500 in the same shape."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except AppError as error:
            return till_error(error)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            log.error("unhandled_error", error_type=type(exc).__name__)
            return json_response({"errors": [{"error": "Внутренняя ошибка", "code": 500,
                                              "error_message": "Something went wrong on our side."}]}, 500)
    return wrapper


def _session(connection_id: str, now: datetime) -> "moysklad.Session":
    return moysklad.authenticate(connection_id, bp.current_request.headers.get(moysklad.TOKEN_HEADER), now)


def _params(*names: str) -> dict[str, str]:
    params = bp.current_request.query_params
    return {name: value for name in names if (value := queries.read_query(params, name)) is not None}


def _created() -> Response:
    return Response(body="", status_code=201, headers={"Cache-Control": "no-store"})


# --- the till ------------------------------------------------------------------------------------------

@bp.route(f"{BASE}/counterparty", methods=["GET"])
@till
def search_customer(connection_id: str) -> Response:
    now = _now()
    session = _session(connection_id, now)
    command = commands.Search.parse(_params("search", "retailStoreId"))
    return json_response(moysklad.search(session, command, now))


@bp.route(f"{BASE}/counterparty", methods=["POST"], content_types=[JSON])
@till
def create_customer(connection_id: str) -> Response:
    now = _now()
    session = _session(connection_id, now)
    moysklad.create_customer(session, commands.NewCustomer.parse(json_body(bp.current_request)), now)
    return _created()


@bp.route(f"{BASE}/counterparty/detail", methods=["POST"], content_types=[JSON])
@till
def customer_detail(connection_id: str) -> Response:
    now = _now()
    session = _session(connection_id, now)
    return json_response(moysklad.detail(session, commands.CustomerDetail.parse(json_body(bp.current_request)), now))


@bp.route(f"{BASE}/counterparty/verify", methods=["POST"], content_types=[JSON])
@till
def customer_code(connection_id: str) -> Response:
    now = _now()
    session = _session(connection_id, now)
    command = commands.CustomerCode.parse(json_body(bp.current_request))
    return json_response(moysklad.customer_code(session, command, now))


@bp.route(f"{BASE}/retaildemand/recalc", methods=["POST"], content_types=[JSON])
@till
def recalc(connection_id: str) -> Response:
    now = _now()
    session = _session(connection_id, now)
    body = json_body(bp.current_request)
    command = commands.Recalc.parse(body)
    return json_response(moysklad.recalc(session, command, body["agent"], now))


@bp.route(f"{BASE}/retaildemand/verify", methods=["POST"], content_types=[JSON])
@till
def spending_code(connection_id: str) -> Response:
    now = _now()
    session = _session(connection_id, now)
    command = commands.SpendingCode.parse(json_body(bp.current_request))
    return json_response(moysklad.spending_code(session, command, now))


@bp.route(f"{BASE}/retaildemand", methods=["POST"], content_types=[JSON])
@till
def sale(connection_id: str) -> Response:
    now = _now()
    session = _session(connection_id, now)
    result = moysklad.record_sale(session, commands.Sale.parse(json_body(bp.current_request)), now)
    if not result.replay:
        log.info("moysklad_sale_recorded", earned=result.response["earned"], redeemed=result.response["redeemed"],
                 with_card=result.response.get("card") is not None)
    return _created()


@bp.route(f"{BASE}/retailsalesreturn", methods=["POST"], content_types=[JSON])
@till
def sales_return(connection_id: str) -> Response:
    now = _now()
    session = _session(connection_id, now)
    result = moysklad.record_return(session, commands.Return.parse(json_body(bp.current_request)), now)
    if result is not None and not result.replay:
        log.info("moysklad_return_recorded", points_reversed=result.response["points_reversed"],
                 points_returned=result.response["points_returned"])
    return _created()


@bp.route(f"{BASE}/giftcard", methods=["GET"])
@till
def gift_card(connection_id: str) -> Response:
    now = _now()
    session = _session(connection_id, now)
    return json_response(moysklad.gift_card(session, commands.GiftCardQuery.parse(_params("name", "retailStoreId"))))


# --- the owner's connections ------------------------------------------------------------------------------

ADMIN = "/admin/programs/{program_id}/integrations/moysklad"


def _owner_program(permission: str, program_id: str) -> tuple[auth.Principal, Program]:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    return principal, program_store.get_for_merchant(principal.merchant_id or "", program_id)


@bp.route(ADMIN, methods=["POST"], content_types=[JSON])
@api
def connect(program_id: str) -> Response:
    principal, program = _owner_program("pos_keys:write", program_id)
    raw = bp.current_request.raw_body or b""
    data = json_body(bp.current_request) if raw.strip() else {}
    location_id = location_commands.read_location_id(data)  # the location its sales are made at (optional)
    new = commands.NewConnection.parse({name: value for name, value in data.items() if name != "location_id"})
    connection, token = moysklad.connect(program, label=new.label, verify_spending=new.verify_spending,
                                         created_by=principal.subject, now=_now(), location_id=location_id)
    return json_response({**moysklad.view(connection, config.settings().public_base_url), "token": token}, 201)


@bp.route(ADMIN, methods=["GET"])
@api
def list_connections(program_id: str) -> Response:
    _, program = _owner_program("pos_keys:read", program_id)  # till credentials: like POS keys and providers
    page = queries.read_page(bp.current_request.query_params, max_limit=100)
    items, cursor = moysklad.connections(program, page.limit, page.cursor)
    base = config.settings().public_base_url
    return json_response({"items": [moysklad.view(item, base) for item in items], "next_cursor": cursor})


@bp.route(ADMIN + "/{connection_id}", methods=["DELETE"])
@api
def disconnect(program_id: str, connection_id: str) -> Response:
    _, program = _owner_program("pos_keys:write", program_id)
    connection = moysklad.disconnect(program, connection_id, _now())
    return json_response(moysklad.view(connection, config.settings().public_base_url))
