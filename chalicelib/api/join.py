"""Customer pages, no login: the enrollment form, the card page behind its capability link, and the
wallet links (Apple pass download, Google save link)."""
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote as url_quote

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import log
from chalicelib.api import pages
from chalicelib.api.http import FORM, JSON, api, content_type, form_body, json_body, json_response, locale_of, query
from chalicelib.commands import join as join_commands
from chalicelib.core import card_number, clock, form_errors, texts
from chalicelib.core import mechanics as mech
from chalicelib.errors import AppError, NotFound
from chalicelib.store import card_channels
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import cards as card_views
from chalicelib.usecases import enrollment, guards, locations, recovery, telegram_bot
from chalicelib.usecases import programs as program_cases

bp = Blueprint(__name__)


def _program(slug: str) -> Program:
    program = program_store.by_slug(slug) if program_cases.is_slug(slug) else None
    if program is None or program.status != "active":
        raise NotFound("No such program.")
    return program


def _wants_html(request: Request) -> bool:
    return content_type(request) == FORM


def _not_found_page(locale: str) -> Response:
    text = texts.CATALOGUE[texts.language(locale)]
    return pages.render("message.html", locale, 404, brand={}, title=text["not_found"], message="")


# The fields the join page draws (its enrollment form, the code, and the recovery form's one box): an
# error about any other field is told in the summary at the top only.
_SHOWN = frozenset({"name", "phone", "email", "birthday", "ref", "consent", "code", "contact"})


def _location(program: Program) -> str | None:
    """The open location a join link names (`?location=`, the location's poster/QR), else None: an unknown
    or closed one is ignored and the customer still joins."""
    raw = query(bp.current_request, "location")
    return locations.open_or_none(program, raw[:64]) if raw else None


def _join_page(program: Program, locale: str, status: int = 200, *,  # noqa: PLR0913 (the page's parts)
               values: Mapping[str, object] | None = None, error: AppError | None = None,
               code_sent: bool = False, recover_sent: bool = False) -> Response:
    """The join page; after a refused post, every fault in the page's language, each at its field
    (and listed at the top), and everything the customer typed kept. A location's link posts to itself."""
    location_id = _location(program)
    action = f"/join/{program.slug}" + (f"?location={url_quote(location_id, safe='')}" if location_id else "")
    mechanics = mech.from_stored(program.mechanics)
    errors = form_errors.told(error, locale, _SHOWN) if error else ()
    field_errors: dict[str, str] = {}
    for fault in errors:
        if fault.field:
            field_errors.setdefault(fault.field, fault.message)
    page = pages.render("join.html", locale, status, program_name=program.name, brand=program.branding,
                        action=action, recover_action=f"/join/{program.slug}/recover",
                        values=values or {}, errors=errors, field_errors=field_errors,
                        welcome_bonus=mechanics.welcome_bonus, unit=mechanics.unit, code_sent=code_sent,
                        recover_sent=recover_sent,
                        language_link=(f"?location={url_quote(location_id, safe='')}&" if location_id else "?"),
                        location_name=next(
                            (place.name for place in locations.of(program) if place.location_id == location_id), None))
    if error is not None:
        page.headers.update(getattr(error, "headers", None) or {})
    return page


@bp.route("/join/{slug}", methods=["GET"])
@api
def join_page(slug: str) -> Response:
    request = bp.current_request
    locale = locale_of(request)
    try:
        program = _program(slug)
    except NotFound:
        return _not_found_page(locale)
    values = {"ref": (query(request, "ref") or "")[:16]}
    return _join_page(program, locale, values=values)


@bp.route("/join/{slug}", methods=["POST"], content_types=[JSON, FORM])
@api
def join(slug: str) -> Response:
    """Enroll. Rate-limited per client address and per program; with the program's phone confirmation
    on, the first post texts a code (202, the same answer whether or not the phone is a member) and
    the same form again with `code` enrolls."""
    request = bp.current_request
    program, html, data, locale = _posted_to(slug)
    if program is None:
        return _no_program(html, locale)
    now, address = datetime.now(UTC), client_address(request)
    confirming = guards.limits_of(program).phone_confirmation
    post = join_commands.read_join_post(data, confirming=confirming, page_locale=locale)
    try:
        guards.before_join(program, address, now)
        form = join_commands.read_enrollment(post, country=program.country,
                                             today=clock.local_day(now, program.timezone))
        if confirming:
            if post.code in (None, ""):
                seconds = guards.send_code(program, form.phone, post.locale, now)
                if html:
                    return _join_page(program, locale, 200, values=post.values, code_sent=True)
                return json_response({"status": "code_sent", "expires_in": seconds}, 202)
            guards.confirm(program, address, form.phone, post.code, now)
        card = enrollment.enroll(program, form, now, post.locale, location_id=_location(program))
    except AppError as error:
        if error.code == "already_enrolled":
            guards.refused(program, address, now)
        if not html:
            raise
        # The form again with the reasons; for a phone already enrolled that is the same 409 as JSON
        # gets (pointing to the recovery form), never another person's card link.
        return _join_page(program, locale, error.status, values=post.values, error=error,
                          code_sent=confirming and error.field == "code")
    answer = card_views.enrollment_answer(card)
    if html:
        return Response(body="", status_code=303, headers={"Location": answer["card_url"], "Cache-Control": "no-store"})
    return json_response(answer, 201)


def _posted_to(slug: str) -> tuple[Program | None, bool, dict[str, Any], str]:
    """A post to a program's page: the program (None: no such active program), whether it is a form
    post, its fields, and the language to answer in."""
    request = bp.current_request
    html = _wants_html(request)
    data = form_body(request) if html else json_body(request)
    try:
        program: Program | None = _program(slug)
    except NotFound:
        program = None
    return program, html, data, _page_locale(request, data)


def _no_program(html: bool, locale: str) -> Response:
    if html:
        return _not_found_page(locale)
    raise NotFound("No such program.")


def _page_locale(request: Request, data: object) -> str:
    """The language of the page that posted: its form's hidden `locale` (an English page answers in
    English whatever the browser's Accept-Language), else the request's."""
    chosen = data.get("locale") if isinstance(data, Mapping) else None
    return chosen if isinstance(chosen, str) and chosen in join_commands.LOCALES else locale_of(request)


@bp.route("/join/{slug}/recover", methods=["POST"], content_types=[JSON, FORM])
@api
def recover(slug: str) -> Response:
    """A lost card link, sent again to the phone or e-mail the member enrolled with (see
    usecases/recovery.py): 202 and the same words whether or not there is such a member."""
    request = bp.current_request
    program, html, data, locale = _posted_to(slug)
    if program is None:
        return _no_program(html, locale)
    try:
        post = join_commands.read_recovery(data, country=program.country)
        recovery.resend_link(program, recovery.Contact(phone=post.phone, email=post.email),
                             client_address(request), datetime.now(UTC))
    except AppError as error:
        if not html:
            raise
        values = {"contact": str(data.get("contact") or "")[:254]} if isinstance(data, Mapping) else {}
        return _join_page(program, locale, error.status, values=values, error=error)
    if html:
        return _join_page(program, locale, 202, recover_sent=True)
    return json_response({"status": "sent_if_member", "message": texts.text("recover_sent", locale)}, 202)


def client_address(request: Request) -> str:
    """The caller's address as API Gateway saw the connection (never a header the caller could set)."""
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def _by_link(find: Callable[[str, str | None], Card], card_id: str, secret: str | None) -> Card:
    return by_link(bp.current_request, find, card_id, secret)


def by_link(request: Request, find: Callable[[str, str | None], Card], card_id: str, secret: str | None) -> Card:
    """`find(card_id, secret)` behind the card-link limits: counted per address, and a miss (a wrong id
    or key) counted as a miss, so that guessing ends in 429 long before it could succeed."""
    now, address = datetime.now(UTC), client_address(request)
    guards.before_card_link(address, now)
    try:
        return find(card_id, secret)
    except NotFound:
        guards.card_link_missed(address, now)
        raise


def card_by_link(request: Request, card_id: str) -> tuple[Card, Program]:
    """The card whose link (`?k=`) this request carries, and its program, behind the card-link limits:
    the pages behind a card's link (its profile, its data) start here."""
    card = by_link(request, card_views.by_capability, card_id, query(request, "k"))
    program = program_store.get(card.program_id)
    if program is None:
        raise NotFound("No such card.")
    return card, program


@bp.route("/c/{card_id}", methods=["GET"])
@api
def card_page(card_id: str) -> Response:
    request = bp.current_request
    locale = locale_of(request)
    key = query(request, "k")
    try:
        card = _by_link(card_views.by_capability, card_id, key)
    except NotFound:
        return _not_found_page(locale)
    program = program_store.get(card.program_id)
    if program is None:
        return _not_found_page(locale)
    today = clock.local_day(datetime.now(UTC), program.timezone)
    links = card_views.links(card)
    return pages.render(
        "card.html", locale, program_name=program.name, brand=program.branding, holder=card.name,
        balance=int(card.balance), number_display=card_number.display(card.number), qr=pages.qr_svg(card.number),
        access_key=card.access_key, **card_views.page_facts(card, program, locale, today),
        ref_code=card.ref_code, apple_pass_url=links["apple_pass_url"], google_save_url=links["google_save_url"],
        wallets=pages.wallets_for(request.headers.get("user-agent")),
        telegram_url=telegram_bot.deep_link(card) if not card.telegram_chat_id else None,
        saved=_profile_saved(request, locale, mech.from_stored(program.mechanics).unit),
        # issue 19: "Get my data" posts here (api/member_export.py); an active card only
        data_action=f"/c/{card.card_id}/data?k={card.access_key}" if card.status == "active" else None)


def _profile_saved(request: Request, locale: str, unit: str) -> str | None:
    """What the card page says after the profile form sent the customer back (api/profile.py adds
    `profile=saved`, and `bonus=N` when saving it gave the bonus)."""
    if query(request, "profile") != "saved":
        return None
    bonus = query(request, "bonus") or ""
    if re.fullmatch(r"[1-9][0-9]{0,7}", bonus):
        return texts.text("profile_saved_bonus", locale, bonus=texts.count(int(bonus), unit, locale))
    return texts.text("profile_saved", locale)


def _card_behind_link(card_id: str) -> tuple[Card, Program]:
    """The card and its program for a capability link (`?k=`); anything else is 404."""
    card = _by_link(card_views.by_capability, card_id, query(bp.current_request, "k"))
    program = program_store.get(card.program_id)
    if program is None:
        raise NotFound("No such card.")
    return card, program


@bp.route("/c/{card_id}/pass.pkpass", methods=["GET", "HEAD"])
@api
def apple_pass(card_id: str) -> Response:
    # lazy: pass signing (cryptography), +15 ms on import app (measured, median of 3)
    from chalicelib.wallet import apple  # noqa: PLC0415

    card, program = _card_behind_link(card_id)
    try:
        archive = apple.build(card, program)
    except apple.PassError as error:  # our configuration, not the caller's fault: say what to fix in the log
        log.error("pass_not_built", card_id=card.card_id, reason=str(error))
        raise
    return Response(body=archive if bp.current_request.method != "HEAD" else b"", status_code=200,
                    headers={"Content-Type": apple.MIME, "Cache-Control": "no-store",
                             "Content-Disposition": f'attachment; filename="{program.slug}.pkpass"',
                             "Last-Modified": card_views.http_date(card.pass_changed_at)})


@bp.route("/c/{card_id}/google", methods=["GET"])
@api
def google_save(card_id: str) -> Response:
    # lazy: the Google Wallet client (httpx, JWT signing), +18 ms on import app (measured, median of 3)
    from chalicelib.usecases import google_wallet  # noqa: PLC0415

    card, program = _card_behind_link(card_id)
    url = google_wallet.save_url(card, program, datetime.now(UTC))
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


@bp.route("/static/passes/{design}/{name}", methods=["GET"])
@api
def pass_image(design: str, name: str) -> Response:
    """The design's images at public URLs (Google Wallet fetches the program logo from here)."""
    # lazy: pass signing (cryptography), +15 ms on import app (measured, median of 3)
    from chalicelib.wallet import apple  # noqa: PLC0415

    if not program_cases.is_slug(design) and design != "default" or not re.fullmatch(r"[a-z]+(@[23]x)?\.png", name):
        raise NotFound("No such image.")
    data = apple.design(design).files.get(name) if design == "default" else None
    if data is None:
        raise NotFound("No such image.")
    return Response(body=data, status_code=200,
                    headers={"Content-Type": "image/png", "Cache-Control": "public, max-age=86400"})


@bp.route("/favicon.ico", methods=["GET", "HEAD"])
@api
def favicon() -> Response:
    """The icon browsers ask every page's site for (long-cached: it never changes under this name)."""
    icon = pages.favicon()
    return Response(body=icon if bp.current_request.method != "HEAD" else b"", status_code=200,
                    headers={"Content-Type": "image/png", "Cache-Control": "public, max-age=604800"})


@bp.route("/u/{card_id}", methods=["GET", "POST"], content_types=[FORM, JSON])
@api
def unsubscribe(card_id: str) -> Response:
    """An email's unsubscribe link: GET asks (link scanners must not unsubscribe anyone), POST does it
    (also RFC 8058's one-click POST from mail clients)."""
    request = bp.current_request
    locale = locale_of(request)
    token = query(request, "t")
    try:
        card = _by_link(card_views.by_unsubscribe_token, card_id, token)
    except NotFound:
        return _not_found_page(locale)
    program = program_store.get(card.program_id)
    if program is None:
        return _not_found_page(locale)
    if request.method == "POST":
        card_channels.withdraw_email_consent(card, datetime.now(UTC), "unsubscribe_link")  # recorded (core/consents.py)
        log.info("email_unsubscribed", card_id=card.card_id)
    return pages.render("unsubscribe.html", card.locale if card.locale in ("ru", "en") else locale,
                        brand=program.branding, program_name=program.name, done=request.method == "POST",
                        action=f"/u/{card.card_id}?t={token}")
