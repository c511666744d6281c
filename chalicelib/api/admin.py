"""The admin API: merchants (platform), programs, POS keys, cards, campaigns, analytics and exports.
Every read and write is scoped to the token's merchant; another merchant's objects answer 404 as if
they did not exist."""
from datetime import datetime, timezone

from chalice import Blueprint, Response

from chalicelib import auth, log
from chalicelib.api import pages
from chalicelib.api.http import JSON, api, json_body, json_response, locale_of, query, query_int
from chalicelib.core import validation as v
from chalicelib.errors import NotFound
from chalicelib.store import cards as card_store
from chalicelib.store import merchants as merchant_store
from chalicelib.store import outbox as outbox_store
from chalicelib.store import pos_keys as key_store
from chalicelib.store import programs as program_store
from chalicelib import lazy
from chalicelib.usecases import adjustments
# loaded by their own routes only: the other routes' cold starts skip them (benchmarks/bundle.py)
analytics, campaigns, exports = (lazy.module(f"chalicelib.usecases.{name}")
                                 for name in ("analytics", "campaigns", "exports"))
from chalicelib.usecases import cards as card_views
from chalicelib.usecases import clock
from chalicelib.usecases import pos as pos_cases
from chalicelib.usecases import programs as program_cases

bp = Blueprint(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _principal(permission: str) -> auth.Principal:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    return principal


def _program(principal: auth.Principal, program_id: str):
    return program_store.get_for_merchant(principal.merchant_id, program_id)


def _page(items: list, cursor: str | None) -> dict:
    return {"items": items, "next_cursor": cursor}


@bp.route("/admin", methods=["GET"])
@api
def admin_page():
    return pages.admin_page(locale_of(bp.current_request))


@bp.route("/.well-known/jwks.json", methods=["GET"])
@api
def jwks():
    return json_response(auth.jwks(), headers={"Cache-Control": "public, max-age=300"})


# --- merchants (platform operator) ---------------------------------------------------------------

@bp.route("/admin/merchants", methods=["POST"], content_types=[JSON])
@api
def create_merchant():
    _principal("merchants:write")
    data = json_body(bp.current_request)
    v.reject_unknown(data, {"name"})
    merchant = merchant_store.create(v.read_str(data, "name", required=True, max_len=120), _now())
    return json_response(_merchant_view(merchant), 201)


@bp.route("/admin/merchants", methods=["GET"])
@api
def list_merchants():
    _principal("merchants:read")
    request = bp.current_request
    items, cursor = merchant_store.list_all(query_int(request, "limit", 50, 1, 100), query(request, "cursor"))
    return json_response(_page([_merchant_view(m) for m in items], cursor))


@bp.route("/admin/merchants/{merchant_id}", methods=["GET"])
@api
def get_merchant(merchant_id):
    _principal("merchants:read")
    return json_response(_merchant_view(merchant_store.get(merchant_id)))


def _merchant_view(merchant) -> dict:
    return {"id": merchant.merchant_id, "name": merchant.name, "status": merchant.status,
            "created_at": merchant.created_at}


# --- programs ------------------------------------------------------------------------------------

@bp.route("/admin/programs", methods=["POST"], content_types=[JSON])
@api
def create_program():
    principal = _principal("programs:write")
    program = program_cases.create(principal.merchant_id, json_body(bp.current_request), _now())
    log.info("program_created", program_id=program.program_id, merchant_id=program.merchant_id)
    return json_response(program_cases.view(program), 201)


@bp.route("/admin/programs", methods=["GET"])
@api
def list_programs():
    principal = _principal("programs:read")
    request = bp.current_request
    items, cursor = program_store.list_for_merchant(
        principal.merchant_id, query_int(request, "limit", 50, 1, 100), query(request, "cursor"))
    return json_response(_page([program_cases.view(p) for p in items], cursor))


@bp.route("/admin/programs/{program_id}", methods=["GET"])
@api
def get_program(program_id):
    principal = _principal("programs:read")
    return json_response(program_cases.view(_program(principal, program_id)))


@bp.route("/admin/programs/{program_id}", methods=["PATCH"], content_types=[JSON])
@api
def update_program(program_id):
    principal = _principal("programs:write")
    program = _program(principal, program_id)
    program = program_cases.update(program, json_body(bp.current_request), _now())
    log.info("program_updated", program_id=program.program_id)
    return json_response(program_cases.view(program))


@bp.route("/admin/programs/{program_id}/passes/refresh", methods=["POST"])
@api
def refresh_passes(program_id):
    """After a design change: every card's pass is marked changed and pushed, in the background."""
    principal = _principal("programs:write")
    program = _program(principal, program_id)
    outbox_store.refresh_program(program.program_id, _now())
    log.info("passes_refresh_requested", program_id=program.program_id)
    return json_response({"program_id": program.program_id, "status": "queued"}, 202)


# --- outbox: deliveries given up on --------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/outbox", methods=["GET"])
@api
def list_outbox(program_id):
    """Parked deliveries (pushes, Google updates, emails, Telegram messages), with their reasons."""
    from chalicelib.usecases import deliveries

    principal = _principal("campaigns:write")
    program = _program(principal, program_id)
    request = bp.current_request
    items, cursor = deliveries.listing(program, query(request, "state"), query_int(request, "limit", 50, 1, 100),
                                       query(request, "cursor"))
    return json_response(_page(items, cursor))


@bp.route("/admin/programs/{program_id}/outbox/{item_id}/retry", methods=["POST"])
@api
def retry_outbox_item(program_id, item_id):
    from chalicelib.usecases import deliveries

    principal = _principal("campaigns:write")
    program = _program(principal, program_id)
    return json_response(deliveries.retry(program, item_id, _now()), 202)


# --- campaigns -----------------------------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/campaigns", methods=["POST"], content_types=[JSON])
@api
def create_campaign(program_id):
    principal = _principal("campaigns:write")
    program = _program(principal, program_id)
    campaign = campaigns.create(program, json_body(bp.current_request), principal.subject, _now())
    return json_response(campaigns.view(campaign, campaigns.preview(program, campaign, _now())), 201)


@bp.route("/admin/programs/{program_id}/campaigns/{campaign_id}", methods=["GET"])
@api
def get_campaign(program_id, campaign_id):
    principal = _principal("campaigns:read")
    program = _program(principal, program_id)
    campaign = campaigns.get(program, campaign_id)
    size = campaigns.preview(program, campaign, _now()) if campaign.status != "sent" else None
    return json_response(campaigns.view(campaign, size))


@bp.route("/admin/programs/{program_id}/campaigns/{campaign_id}/send", methods=["POST"])
@api
def send_campaign(program_id, campaign_id):
    principal = _principal("campaigns:write")
    program = _program(principal, program_id)
    campaign = campaigns.send(program, campaigns.get(program, campaign_id), _now())
    # 200: sent, with its final counts; 202: its cards went to the jobs queue and it finishes by itself
    return json_response(campaigns.view(campaign), 200 if campaign.status == "sent" else 202)


# --- POS keys ------------------------------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/pos-keys", methods=["POST"], content_types=[JSON])
@api
def create_pos_key(program_id):
    principal = _principal("pos_keys:write")
    program = _program(principal, program_id)
    raw = bp.current_request.raw_body or b""
    data = json_body(bp.current_request) if raw.strip() else {}
    v.reject_unknown(data, {"label"})
    secret = auth.new_pos_secret()
    key = key_store.create(program_id=program.program_id, merchant_id=program.merchant_id,
                           secret_hash=auth.pos_secret_hash(secret), label=v.read_str(data, "label", max_len=80),
                           created_by=principal.subject, now=_now())
    log.info("pos_key_created", program_id=program.program_id, pos_key_id=key.key_id)
    return json_response({**_key_view(key), "secret": secret}, 201)


@bp.route("/admin/programs/{program_id}/pos-keys", methods=["GET"])
@api
def list_pos_keys(program_id):
    principal = _principal("pos_keys:read")
    program = _program(principal, program_id)
    request = bp.current_request
    items, cursor = key_store.list_for_program(program.program_id, query_int(request, "limit", 50, 1, 100),
                                               query(request, "cursor"))
    return json_response(_page([_key_view(k) for k in items], cursor))


@bp.route("/admin/programs/{program_id}/pos-keys/{key_id}", methods=["DELETE"])
@api
def revoke_pos_key(program_id, key_id):
    principal = _principal("pos_keys:write")
    program = _program(principal, program_id)
    key = pos_cases.revoke_key(program.program_id, key_id, _now())
    log.info("pos_key_revoked", program_id=program.program_id, pos_key_id=key.key_id)
    return json_response(_key_view(key))


def _key_view(key) -> dict:
    return {"key_id": key.key_id, "program_id": key.program_id, "label": key.label, "status": key.status,
            "created_at": key.created_at, "revoked_at": key.revoked_at}


# --- cards ---------------------------------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/cards", methods=["GET"])
@api
def list_cards(program_id):
    principal = _principal("cards:read")
    program = _program(principal, program_id)
    request = bp.current_request
    search = query(request, "q")
    if search is not None:
        card = card_views.search(program, search, by_phone=principal.can("cards:contacts"))
        return json_response(_page([card_views.list_view(card)] if card else [], None))
    items, cursor = card_store.list_for_program(program.program_id, query_int(request, "limit", 50, 1, 200),
                                                query(request, "cursor"))
    return json_response(_page([card_views.list_view(c) for c in items], cursor))


@bp.route("/admin/cards/{card_id}", methods=["GET"])
@api
def get_card(card_id):
    principal = _principal("cards:read")
    card = card_views.for_merchant(principal.merchant_id, card_id)
    program = program_store.get(card.program_id)
    if program is None:
        raise NotFound("No such card.")
    today = clock.local_day(_now(), program.timezone).isoformat()
    return json_response(card_views.admin_view(card, program, today, full=principal.can("cards:contacts")))


@bp.route("/admin/cards/{card_id}", methods=["PATCH"], content_types=[JSON])
@api
def update_card(card_id):
    principal = _principal("cards:write")
    card = card_views.for_merchant(principal.merchant_id, card_id)
    card = card_views.update(card, json_body(bp.current_request), _now())
    program = program_store.get(card.program_id)
    log.info("card_updated", card_id=card.card_id, status=card.status)
    today = clock.local_day(_now(), program.timezone).isoformat()
    return json_response(card_views.admin_view(card, program, today, full=principal.can("cards:contacts")))


@bp.route("/admin/cards/{card_id}/ledger", methods=["GET"])
@api
def card_ledger(card_id):
    principal = _principal("cards:read")
    card = card_views.for_merchant(principal.merchant_id, card_id)
    request = bp.current_request
    entries, cursor = card_store.ledger_page(card.card_id, query_int(request, "limit", 50, 1, 200),
                                             query(request, "cursor"))
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

def _period_view(program_id: str, view):
    """A view of a period (`?from=&to=`) of a program's analytics."""
    program = _program(_principal("analytics:read"), program_id)
    request = bp.current_request
    return json_response(view(program, query(request, "from"), query(request, "to"), _now()))


@bp.route("/admin/programs/{program_id}/analytics/summary", methods=["GET"])
@api
def analytics_summary(program_id):
    return _period_view(program_id, analytics.summary)


@bp.route("/admin/programs/{program_id}/analytics/daily", methods=["GET"])
@api
def analytics_daily(program_id):
    return _period_view(program_id, analytics.daily)


@bp.route("/admin/programs/{program_id}/analytics/segments", methods=["GET"])
@api
def analytics_segments(program_id):
    program = _program(_principal("analytics:read"), program_id)
    return json_response(analytics.segments(program, _now()))


@bp.route("/admin/programs/{program_id}/analytics/segments/{segment}/cards", methods=["GET"])
@api
def analytics_segment_cards(program_id, segment):
    principal = _principal("analytics:read")
    principal.require("cards:read")
    program = _program(principal, program_id)
    request = bp.current_request
    return json_response(analytics.segment_cards(program, segment, query_int(request, "limit", 50, 1, 200),
                                                 query(request, "cursor"), _now()))


@bp.route("/admin/programs/{program_id}/exports/{kind}", methods=["GET"])
@api
def export_page(program_id, kind):
    principal = _principal("analytics:read")
    if kind not in exports.KINDS:
        raise NotFound("Exports are cards, receipts and ledger.", code="not_found")
    if kind != "receipts":
        principal.require("cards:read")
    program = _program(principal, program_id)
    request = bp.current_request
    text, cursor = exports.page(program, kind, query(request, "cursor"), _now(),
                                contacts=kind == "cards" and principal.can("cards:contacts"))
    headers = {"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
               "Content-Disposition": f'attachment; filename="{kind}-{program.slug}.csv"',
               "X-Content-Type-Options": "nosniff"}
    if cursor:
        headers["X-Next-Cursor"] = cursor
        headers["Link"] = f'</admin/programs/{program.program_id}/exports/{kind}?cursor={cursor}>; rel="next"'
    log.info("export_page", program_id=program.program_id, kind=kind, more=bool(cursor))
    return Response(body=text, status_code=200, headers=headers)
