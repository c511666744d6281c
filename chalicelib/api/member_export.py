"""A member's data (issue 19; usecases/member_export.py):
- `GET /admin/cards/{card_id}/export` (members:export, the owner's): the document, as a download;
- `POST /c/{card_id}/data?k=` (the card page's "Get my data" button, behind the card's link): a one-time
  link to the document goes to the contact the member enrolled with, never into the answer;
- `GET /c/{card_id}/data.json?t=` (that link): the document, as a download."""
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api import pages
from chalicelib.api.http import FORM, JSON, api, content_type, form_body, json_body, json_response, locale_of, query
from chalicelib.api.join import card_by_link, client_address
from chalicelib.core import texts
from chalicelib.core.validation import reject_unknown
from chalicelib.errors import AppError, InvalidInput, NotFound
from chalicelib.store.records import Card, Program
from chalicelib.usecases import audit, guards
from chalicelib.usecases import cards as card_views

# The export reads most tables and sends its link by e-mail, SMS or Telegram: +31 ms on import app (python
# -X importtime, median of 3 on 2 shared cores), loaded by these routes only. mypy reads it as the module it is.
if TYPE_CHECKING:
    from chalicelib.usecases import member_export
else:
    member_export = lazy.module("chalicelib.usecases.member_export")

bp = Blueprint(__name__)


def _attachment(card: Card, exported: Mapping[str, object]) -> Response:
    return json_response(exported, 200, {
        "Content-Disposition": f'attachment; filename="{member_export.filename(card)}"',
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


@bp.route("/admin/cards/{card_id}/export", methods=["GET"])
@api
def owner_export(card_id: str) -> Response:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require("members:export")
    log.bind(actor_role=principal.role)
    card = card_views.for_merchant(principal.merchant_id or "", card_id)
    audit.note(program_id=card.program_id, target_type="card", target_id=card.card_id)
    exported = member_export.export(card.card_id, merchant_id=principal.merchant_id or "", now=datetime.now(UTC))
    log.info("member_exported", program_id=card.program_id, card_id=card.card_id)
    return _attachment(card, exported)


def _page(locale: str, status: int, title: str, message: str, brand: Mapping[str, Any] | None = None) -> Response:
    return pages.render("message.html", locale, status, brand=dict(brand or {}), title=title, message=message)


def _card_behind_link(card_id: str) -> tuple[Card, Program]:
    return card_by_link(bp.current_request, card_id)


def _posted(html: bool) -> dict[str, Any]:
    """The ask's fields: none needed; a form's hidden `locale` (or JSON's) says the page's language."""
    request = bp.current_request
    if html:
        data: dict[str, Any] = form_body(request)
    else:
        data = json_body(request) if (request.raw_body or b"").strip() else {}
    reject_unknown(data, {"locale"})
    chosen = data.get("locale")
    if chosen is not None and chosen not in texts.LANGUAGES:
        raise InvalidInput("`locale` is ru or en.", code="invalid_value", field="locale")
    return data


@bp.route("/c/{card_id}/data", methods=["POST"], content_types=[JSON, FORM])
@api
def ask_for_data(card_id: str) -> Response:
    """The member asks for their data: the link goes to their e-mail, else an SMS, else Telegram."""
    request = bp.current_request
    html = content_type(request) == FORM
    locale = locale_of(request)
    try:
        data = _posted(html)
        locale = data.get("locale") or locale
        card, program = _card_behind_link(card_id)
        sent = member_export.ask(card, program, datetime.now(UTC), locale)
    except AppError as error:
        if not html:
            raise
        title = texts.text("not_found" if error.status == 404 else "data_title", locale)  # noqa: PLR2004
        page = _page(locale, error.status, title, "" if error.status == 404 else error.message)  # noqa: PLR2004
        page.headers.update(getattr(error, "headers", None) or {})
        return page
    message = texts.text("data_sent", locale, to=sent.to)
    if html:
        return _page(locale, 202, texts.text("data_sent_title", locale), message, program.branding)
    return json_response({"status": "sent", "channel": sent.channel, "to": sent.to,
                          "expires_in": member_export.LINK_SECONDS, "message": message}, 202)


@bp.route("/c/{card_id}/data.json", methods=["GET"])
@api
def download_data(card_id: str) -> Response:
    """The member's link: the document as a download; a dead link gets a page saying to ask again."""
    request = bp.current_request
    now, address = datetime.now(UTC), client_address(request)
    locale = locale_of(request)
    guards.before_card_link(address, now)
    try:
        card, exported = member_export.download(card_id, query(request, "t"), now)
    except NotFound:
        guards.card_link_missed(address, now)
        return _page(locale, 404, texts.text("data_title", locale), texts.text("data_link_dead", locale))
    return _attachment(card, exported)
