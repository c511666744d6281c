"""The customer's profile page behind the card's capability link: `GET /c/{card_id}/profile?k=` draws
the form (e-mail address, birthday), `POST` saves it (a form: 303 back to the card page; JSON: 200 with
what the card now has) and, once both are on the card, gives the program's `profile_completed` bonus
once (usecases/profile.py). Rate-limited like every capability link."""
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import lazy
from chalicelib.api import pages
from chalicelib.api.http import FORM, JSON, api, content_type, form_body, json_body, json_response, locale_of
from chalicelib.api.join import card_by_link
from chalicelib.commands.profile import read_profile
from chalicelib.core import clock, form_errors, texts
from chalicelib.core import mechanics as mech
from chalicelib.errors import AppError, NotFound
from chalicelib.store import card_channels
from chalicelib.store.records import Card, Program
from chalicelib.usecases import cards as card_views

# Saving a profile may give its bonus through the ledger's path (plans, decisions: about +15 ms on import
# app, python -X importtime on 2 shared cores); loaded by these routes only.
if TYPE_CHECKING:
    from chalicelib.usecases import profile as profiles
else:
    profiles = lazy.module("chalicelib.usecases.profile")

bp = Blueprint(__name__)

_SHOWN = frozenset({"email", "birthday", "marketing_consent"})  # the fields the page draws; others: the summary


def _card(card_id: str) -> tuple[Card, Program]:
    return card_by_link(bp.current_request, card_id)


def _page(card: Card, program: Program, locale: str, status: int = 200, *,
          values: Mapping[str, object] | None = None, error: AppError | None = None) -> Response:
    errors = form_errors.told(error, locale, _SHOWN) if error else ()
    field_errors: dict[str, str] = {}
    for fault in errors:
        if fault.field:
            field_errors.setdefault(fault.field, fault.message)
    shown = values if values is not None else {"email": card.email, "birthday": card.birthday,
                                               "marketing_consent": card_channels.has_consent(card, "email")}
    mechanics = mech.from_stored(program.mechanics)
    page = pages.render("profile.html", locale, status, program_name=program.name, brand=program.branding,
                        access_key=card.access_key, action=f"/c/{card.card_id}/profile?k={card.access_key}",
                        card_url=card_views.links(card)["card_url"], values=shown, errors=errors,
                        field_errors=field_errors, birthday_locked=bool(card.birthday),
                        bonus=mechanics.actions.profile_completed, unit=mechanics.unit,
                        rewarded=bool(card.email and card.birthday))
    if error is not None:
        page.headers.update(getattr(error, "headers", None) or {})
    return page


def _not_found_page(locale: str) -> Response:
    return pages.render("message.html", locale, 404, brand={}, title=texts.text("not_found", locale), message="")


@bp.route("/c/{card_id}/profile", methods=["GET"])
@api
def profile_page(card_id: str) -> Response:
    locale = locale_of(bp.current_request)
    try:
        card, program = _card(card_id)
    except NotFound:
        return _not_found_page(locale)
    return _page(card, program, locale)


@bp.route("/c/{card_id}/profile", methods=["POST"], content_types=[JSON, FORM])
@api
def save_profile(card_id: str) -> Response:
    request = bp.current_request
    html = content_type(request) == FORM
    data: dict[str, Any] = form_body(request) if html else json_body(request)
    if html and data.pop("marketing_shown", None) is not None:  # the page drew the offers box: unticked sends nothing
        data.setdefault("marketing_consent", "off")
    chosen = data.get("locale")
    locale = chosen if chosen in texts.LANGUAGES else locale_of(request)
    try:
        card, program = _card(card_id)
    except NotFound:
        if html:
            return _not_found_page(locale)
        raise
    now = datetime.now(UTC)
    try:
        post = read_profile(data, today=clock.local_day(now, program.timezone))
        answer = profiles.complete(program, card, post, now)
    except AppError as error:
        if not html:
            raise
        values: dict[str, object] = {name: str(data.get(name) or "")[:254] for name in ("email", "birthday")}
        values["marketing_consent"] = str(data.get("marketing_consent")).lower() in ("on", "true")
        return _page(card, program, locale, error.status, values=values, error=error)
    if not html:
        return json_response(answer, 200)
    done = "&profile=saved" + (f"&bonus={answer['bonus']['points']}" if answer["bonus"] else "")
    return Response(body="", status_code=303,
                    headers={"Location": card_views.links(card)["card_url"] + done, "Cache-Control": "no-store"})
