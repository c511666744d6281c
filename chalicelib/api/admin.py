"""The admin API: merchants (platform), programs, POS keys, cards, campaigns, analytics and exports.
Every read and write is scoped to the token's merchant; another merchant's objects answer 404 as if
they did not exist."""
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api.http import JSON, api, json_body, json_response, query
from chalicelib.commands import admin as commands
from chalicelib.commands import queries
from chalicelib.core import clock
from chalicelib.core import mechanics as mech
from chalicelib.errors import NotFound
from chalicelib.store import cards as card_store
from chalicelib.store import merchants as merchant_store
from chalicelib.store import outbox as outbox_store
from chalicelib.store import pos_keys as key_store
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Merchant, PosKey, Program
from chalicelib.usecases import cards as card_views
from chalicelib.usecases import locations as location_cases
from chalicelib.usecases import programs as program_cases

# Loaded by their own routes only, so that the other routes' cold starts skip them (benchmarks/bundle.py):
# analytics, campaigns and exports (+25 ms on import app), the parked deliveries with the notices and every
# channel (+12 ms), and adjusting a balance or revoking a key, which pull the receipt path's plans and
# ledger (+12 ms). mypy reads them as the modules they are.
if TYPE_CHECKING:
    from chalicelib.usecases import adjustments, analytics, campaigns, deliveries, exports
    from chalicelib.usecases import pos as pos_cases
else:
    analytics, campaigns, deliveries, exports, adjustments, pos_cases = (
        lazy.module(f"chalicelib.usecases.{name}")
        for name in ("analytics", "campaigns", "deliveries", "exports", "adjustments", "pos"))

bp = Blueprint(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _principal(permission: str) -> auth.Principal:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    return principal


def _merchant_of(principal: auth.Principal) -> str:
    """The token's merchant; '' for a token without one (the platform's), which owns no program or card."""
    return principal.merchant_id or ""


def _program(principal: auth.Principal, program_id: str) -> Program:
    return program_store.get_for_merchant(_merchant_of(principal), program_id)


def _program_of(card: Card) -> Program:
    program = program_store.get(card.program_id)
    if program is None:
        raise NotFound("No such card.")
    return program


def _page(items: list[Any], cursor: str | None) -> dict[str, object]:
    return {"items": items, "next_cursor": cursor}


def _page_query(max_limit: int = 100) -> queries.PageQuery:
    """`?limit=&cursor=` of this request: 50 items unless asked, at most `max_limit`."""
    return queries.read_page(bp.current_request.query_params, max_limit=max_limit)


@bp.route("/admin", methods=["GET"])
@api
def admin_page() -> Response:
    """The old analytics page's address (links and bookmarks exist): now the console's analytics page.
    The Location is relative, so an API Gateway stage prefix (/dev/admin) is kept."""
    return Response(body="", status_code=302, headers={"Location": "console#/analytics", "Cache-Control": "no-store"})


@bp.route("/.well-known/jwks.json", methods=["GET"])
@api
def jwks() -> Response:
    return json_response(auth.jwks(), headers={"Cache-Control": "public, max-age=300"})


# --- merchants (platform operator) ---------------------------------------------------------------

@bp.route("/admin/merchants", methods=["POST"], content_types=[JSON])
@api
def create_merchant() -> Response:
    _principal("merchants:write")
    new = commands.read_new_merchant(json_body(bp.current_request))
    merchant = merchant_store.create(new.name, _now())
    return json_response(_merchant_view(merchant), 201)


@bp.route("/admin/merchants", methods=["GET"])
@api
def list_merchants() -> Response:
    _principal("merchants:read")
    page = _page_query()
    items, cursor = merchant_store.list_all(page.limit, page.cursor)
    return json_response(_page([_merchant_view(m) for m in items], cursor))


@bp.route("/admin/merchants/{merchant_id}", methods=["GET"])
@api
def get_merchant(merchant_id: str) -> Response:
    _principal("merchants:read")
    return json_response(_merchant_view(merchant_store.get(merchant_id)))


def _merchant_view(merchant: Merchant) -> dict[str, object]:
    return {"id": merchant.merchant_id, "name": merchant.name, "status": merchant.status,
            "created_at": merchant.created_at}


# --- programs ------------------------------------------------------------------------------------

@bp.route("/admin/programs", methods=["POST"], content_types=[JSON])
@api
def create_program() -> Response:
    principal = _principal("programs:write")
    new = commands.read_new_program(json_body(bp.current_request))
    program = program_cases.create(_merchant_of(principal), new, _now())
    log.info("program_created", program_id=program.program_id, merchant_id=program.merchant_id)
    return json_response(program_cases.view(program), 201)


@bp.route("/admin/programs", methods=["GET"])
@api
def list_programs() -> Response:
    principal = _principal("programs:read")
    page = _page_query()
    items, cursor = program_store.list_for_merchant(_merchant_of(principal), page.limit, page.cursor)
    return json_response(_page([program_cases.view(p) for p in items], cursor))


@bp.route("/admin/programs/{program_id}", methods=["GET"])
@api
def get_program(program_id: str) -> Response:
    principal = _principal("programs:read")
    return json_response(program_cases.view(_program(principal, program_id)))


@bp.route("/admin/programs/{program_id}", methods=["PATCH"], content_types=[JSON])
@api
def update_program(program_id: str) -> Response:
    principal = _principal("programs:write")
    program = _program(principal, program_id)
    changes = commands.read_program_changes(json_body(bp.current_request), program)
    program = program_cases.update(program, changes, _now())
    log.info("program_updated", program_id=program.program_id)
    return json_response(program_cases.view(program))


@bp.route("/admin/programs/{program_id}/messages", methods=["GET"])
@api
def program_messages(program_id: str) -> Response:
    """The texts the program's triggers send: each trigger and language, the owner's or the default."""
    principal = _principal("programs:read")
    return json_response(program_cases.messages_view(_program(principal, program_id)))


@bp.route("/admin/programs/{program_id}/passes/refresh", methods=["POST"])
@api
def refresh_passes(program_id: str) -> Response:
    """After a design change: every card's pass is marked changed and pushed, in the background."""
    principal = _principal("programs:write")
    program = _program(principal, program_id)
    outbox_store.refresh_program(program.program_id, _now())
    log.info("passes_refresh_requested", program_id=program.program_id)
    return json_response({"program_id": program.program_id, "status": "queued"}, 202)


# --- outbox: deliveries given up on --------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/outbox", methods=["GET"])
@api
def list_outbox(program_id: str) -> Response:
    """Parked deliveries (pushes, Google updates, emails, Telegram messages), with their reasons."""
    principal = _principal("campaigns:write")
    program = _program(principal, program_id)
    page = _page_query()
    items, cursor = deliveries.listing(program, query(bp.current_request, "state"), page.limit, page.cursor)
    return json_response(_page(items, cursor))


@bp.route("/admin/programs/{program_id}/outbox/{item_id}/retry", methods=["POST"])
@api
def retry_outbox_item(program_id: str, item_id: str) -> Response:
    principal = _principal("campaigns:write")
    program = _program(principal, program_id)
    return json_response(deliveries.retry(program, item_id, _now()), 202)


# --- campaigns -----------------------------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/campaigns", methods=["POST"], content_types=[JSON])
@api
def create_campaign(program_id: str) -> Response:
    principal = _principal("campaigns:write")
    program = _program(principal, program_id)
    campaign = campaigns.create(program, json_body(bp.current_request), principal.subject, _now())
    return json_response(campaigns.view(campaign, campaigns.preview(program, campaign, _now())), 201)


@bp.route("/admin/programs/{program_id}/campaigns/{campaign_id}", methods=["GET"])
@api
def get_campaign(program_id: str, campaign_id: str) -> Response:
    principal = _principal("campaigns:read")
    program = _program(principal, program_id)
    campaign = campaigns.get(program, campaign_id)
    size = campaigns.preview(program, campaign, _now()) if campaign.status != "sent" else None
    return json_response(campaigns.view(campaign, size))


@bp.route("/admin/programs/{program_id}/campaigns/{campaign_id}/send", methods=["POST"])
@api
def send_campaign(program_id: str, campaign_id: str) -> Response:
    principal = _principal("campaigns:write")
    program = _program(principal, program_id)
    campaign = campaigns.send(program, campaigns.get(program, campaign_id), _now())
    # 200: sent, with its final counts; 202: its cards went to the jobs queue and it finishes by itself
    return json_response(campaigns.view(campaign), 200 if campaign.status == "sent" else 202)


# --- POS keys ------------------------------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/pos-keys", methods=["POST"], content_types=[JSON])
@api
def create_pos_key(program_id: str) -> Response:
    principal = _principal("pos_keys:write")
    program = _program(principal, program_id)
    raw = bp.current_request.raw_body or b""
    new = commands.read_new_pos_key(json_body(bp.current_request) if raw.strip() else {})
    location_id = location_cases.open_location(program, new.location_id)  # 422 unknown_location
    secret = auth.new_pos_secret()
    key = key_store.create(program_id=program.program_id, merchant_id=program.merchant_id,
                           secret_hash=auth.pos_secret_hash(secret), label=new.label, created_by=principal.subject,
                           now=_now(), location_id=location_id)
    log.info("pos_key_created", program_id=program.program_id, pos_key_id=key.key_id)
    return json_response({**_key_view(key), "secret": secret}, 201)


@bp.route("/admin/programs/{program_id}/pos-keys", methods=["GET"])
@api
def list_pos_keys(program_id: str) -> Response:
    principal = _principal("pos_keys:read")
    program = _program(principal, program_id)
    page = _page_query()
    items, cursor = key_store.list_for_program(program.program_id, page.limit, page.cursor)
    return json_response(_page([_key_view(k) for k in items], cursor))


@bp.route("/admin/programs/{program_id}/pos-keys/{key_id}", methods=["DELETE"])
@api
def revoke_pos_key(program_id: str, key_id: str) -> Response:
    principal = _principal("pos_keys:write")
    program = _program(principal, program_id)
    key = pos_cases.revoke_key(program.program_id, key_id, _now())
    log.info("pos_key_revoked", program_id=program.program_id, pos_key_id=key.key_id)
    return json_response(_key_view(key))


def _key_view(key: PosKey) -> dict[str, object]:
    return {"key_id": key.key_id, "program_id": key.program_id, "label": key.label, "status": key.status,
            "created_at": key.created_at, "revoked_at": key.revoked_at, "location_id": key.location_id}


# --- cards ---------------------------------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/cards", methods=["GET"])
@api
def list_cards(program_id: str) -> Response:
    principal = _principal("cards:read")
    program = _program(principal, program_id)
    search = query(bp.current_request, "q")
    mechanics = mech.from_stored(program.mechanics)  # the rows name each card's tier
    if search is not None:
        card = card_views.search(program, search, by_phone=principal.can("cards:contacts"))
        return json_response(_page([card_views.list_view(card, mechanics)] if card else [], None))
    page = _page_query(max_limit=200)
    items, cursor = card_store.list_for_program(program.program_id, page.limit, page.cursor)
    return json_response(_page([card_views.list_view(c, mechanics) for c in items], cursor))


@bp.route("/admin/cards/{card_id}", methods=["GET"])
@api
def get_card(card_id: str) -> Response:
    principal = _principal("cards:read")
    card = card_views.for_merchant(_merchant_of(principal), card_id)
    program = _program_of(card)
    today = clock.local_day(_now(), program.timezone).isoformat()
    return json_response(card_views.admin_view(card, program, today, full=principal.can("cards:contacts")))


@bp.route("/admin/cards/{card_id}", methods=["PATCH"], content_types=[JSON])
@api
def update_card(card_id: str) -> Response:
    principal = _principal("cards:write")
    card = card_views.for_merchant(_merchant_of(principal), card_id)
    card = card_views.update(card, commands.read_card_edit(json_body(bp.current_request)), _now())
    program = _program_of(card)
    log.info("card_updated", card_id=card.card_id, status=card.status)
    today = clock.local_day(_now(), program.timezone).isoformat()
    return json_response(card_views.admin_view(card, program, today, full=principal.can("cards:contacts")))


@bp.route("/admin/cards/{card_id}/ledger", methods=["GET"])
@api
def card_ledger(card_id: str) -> Response:
    principal = _principal("cards:read")
    card = card_views.for_merchant(_merchant_of(principal), card_id)
    page = _page_query(max_limit=200)
    entries, cursor = card_store.ledger_page(card.card_id, page.limit, page.cursor)
    return json_response(_page([card_views.ledger_view(e) for e in entries], cursor))


@bp.route("/admin/cards/{card_id}/adjustments", methods=["POST"], content_types=[JSON])
@api
def adjust_card(card_id):
    principal = _principal("cards:write")
    card = card_views.for_merchant(principal.merchant_id, card_id)
    program = program_store.get(card.program_id)
    command = adjustments.AdjustBalance.parse(json_body(bp.current_request), card.card_id, principal.subject)
    result = adjustments.adjust_balance(command, program, _now())
    headers = {"Idempotent-Replay": "true"} if result.replay else None
    if not result.replay:
        log.info("card_adjusted", card_id=card.card_id, amount=result.response["amount"])
    return json_response(result.response, 200 if result.replay else 201, headers=headers)


# --- analytics and exports -----------------------------------------------------------------------

def _period_view(program_id: str, view: Callable[[Program, queries.PeriodQuery, datetime], object]) -> Response:
    """A view of a period (`?from=&to=`, and `?location_id=` where the view reads it) of a program's analytics."""
    program = _program(_principal("analytics:read"), program_id)
    return json_response(view(program, queries.read_period(bp.current_request.query_params), _now()))


@bp.route("/admin/programs/{program_id}/analytics/summary", methods=["GET"])
@api
def analytics_summary(program_id: str) -> Response:
    return _period_view(program_id, analytics.summary)


@bp.route("/admin/programs/{program_id}/analytics/daily", methods=["GET"])
@api
def analytics_daily(program_id: str) -> Response:
    return _period_view(program_id, analytics.daily)


@bp.route("/admin/programs/{program_id}/analytics/segments", methods=["GET"])
@api
def analytics_segments(program_id: str) -> Response:
    program = _program(_principal("analytics:read"), program_id)
    return json_response(analytics.segments(program, _now(), queries.read_location(bp.current_request.query_params)))


@bp.route("/admin/programs/{program_id}/analytics/segments/{segment}/cards", methods=["GET"])
@api
def analytics_segment_cards(program_id: str, segment: str) -> Response:
    principal = _principal("analytics:read")
    principal.require("cards:read")
    program = _program(principal, program_id)
    page = _page_query(max_limit=200)
    location_id = queries.read_location(bp.current_request.query_params)
    return json_response(analytics.segment_cards(program, segment, page.limit, page.cursor, _now(),
                                                  location_id=location_id))


@bp.route("/admin/programs/{program_id}/analytics/locations", methods=["GET"])
@api
def analytics_locations(program_id: str) -> Response:
    """The period's figures location by location, and those no location took (README "Analytics by location")."""
    return _period_view(program_id, analytics.by_location)


@bp.route("/admin/programs/{program_id}/exports/{kind}", methods=["GET"])
@api
def export_page(program_id: str, kind: str) -> Response:
    principal = _principal("analytics:read")
    if kind not in exports.KINDS:
        raise NotFound("Exports are cards, receipts and ledger.", code="not_found")
    if kind != "receipts":
        principal.require("cards:read")
    program = _program(principal, program_id)
    request = bp.current_request
    text, cursor = exports.page(program, kind, query(request, "cursor"), _now(),
                                contacts=kind == "cards" and principal.can("cards:contacts"))
    headers: dict[str, str | list[str]] = {"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
               "Content-Disposition": f'attachment; filename="{kind}-{program.slug}.csv"',
               "X-Content-Type-Options": "nosniff"}
    if cursor:
        headers["X-Next-Cursor"] = cursor
        headers["Link"] = f'</admin/programs/{program.program_id}/exports/{kind}?cursor={cursor}>; rel="next"'
    log.info("export_page", program_id=program.program_id, kind=kind, more=bool(cursor))
    return Response(body=text, status_code=200, headers=headers)
