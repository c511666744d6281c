"""The owner's console: the HTML shell, its versioned script and stylesheet, the settings the browser needs
to sign in with Cognito, and the printable poster of a program's join link.

Every answer carries a strict Content-Security-Policy: scripts and styles only from this origin (the
shell has no inline script or style at all), connections only to this API and the Cognito endpoint.
"""
import re

from chalice import Blueprint, Response

from chalicelib.api import console_assets, pages
from chalicelib.api.http import JSON, api, json_body, json_response, locale_of, query
from chalicelib.config import settings
from chalicelib.core import mechanics as mech
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.rendering import render_text  # Jinja2 itself loads on the first page (rendering.environment)
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program
from chalicelib.usecases import locations as location_cases
from chalicelib.usecases import programs as program_cases

bp = Blueprint(__name__)

LANGUAGES = ("ru", "en")
IMMUTABLE = "public, max-age=31536000, immutable"
QR_TEXT_LIMIT = 512  # an otpauth:// URI with a long issuer and e-mail is about 200 characters
POSTER_SIZES = ("a4", "a5")


def cognito_endpoint() -> str:
    """The Cognito user-pool API the browser talks to: COGNITO_ENDPOINT, or AWS's own for the region."""
    config = settings()
    return (config.cognito_endpoint or f"https://cognito-idp.{config.cognito_region}.amazonaws.com").rstrip("/") + "/"


def policy() -> str:
    origin = re.match(r"^[a-z]+://[^/]+", cognito_endpoint())
    cognito = origin.group(0) if origin else ""
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"connect-src 'self' {cognito}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _headers(content_type: str, cache: str = "no-store", **extra: str) -> dict[str, str | list[str]]:
    return {"Content-Type": content_type, "Cache-Control": cache, "Content-Security-Policy": policy(),
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", **extra}


def _locale(request) -> str:
    """The language the console was last switched to (its cookie), else the browser's."""
    cookies = request.headers.get("cookie") or ""
    for part in cookies.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "lc_lang" and value in LANGUAGES:
            return value
    return locale_of(request)


@bp.route("/console", methods=["GET"])
@api
def shell() -> Response:
    request = bp.current_request
    locale = _locale(request)
    html = render_text("console.html", locale, version=console_assets.build().version)
    headers = _headers("text/html; charset=utf-8", **{"Content-Language": locale, "Vary": "Cookie, Accept-Language"})
    return Response(body=html, status_code=200, headers=headers)


@bp.route("/console/assets/{version}/{name}", methods=["GET"])
@api
def asset(version: str, name: str) -> Response:
    build = console_assets.build()
    found = build.files.get(name) or build.vendor.get(name)
    if found is None or version != build.version:
        raise NotFound("No such console asset (a new version replaced it: reload the console).")
    accepts = bp.current_request.headers.get("accept-encoding") or ""
    gzipped = any(part.split(";")[0].strip() == "gzip" and not part.replace(" ", "").endswith(";q=0")
                  for part in accepts.split(","))
    headers = _headers(found.content_type, IMMUTABLE, Vary="Accept-Encoding")
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(body=found.gzipped if gzipped else found.body, status_code=200, headers=headers)


@bp.route("/console/config.json", methods=["GET"])
@api
def config() -> Response:
    config = settings()
    return json_response({"cognito": {"region": config.cognito_region, "user_pool_id": config.cognito_user_pool_id,
                                      "client_id": config.cognito_client_id, "endpoint": cognito_endpoint()},
                          "languages": list(LANGUAGES), "public_base_url": config.public_base_url},
                         headers={"Content-Security-Policy": policy()})


def _public_program(slug: str) -> Program:
    program = program_store.by_slug(slug) if program_cases.is_slug(slug) else None
    if program is None or program.status != "active":
        raise NotFound("No such program.")
    return program


@bp.route("/console/slugs/{slug}", methods=["GET"])
@api
def slug_check(slug: str) -> Response:
    """Whether a link slug can be had (the wizard checks as the owner types). Slugs are public (they are
    the join links), so saying one is taken tells nothing that the join page does not."""
    valid = program_cases.is_slug(slug)
    available = valid and program_store.by_slug(slug) is None
    return json_response({"slug": slug, "valid": valid, "available": available},
                         headers={"Content-Security-Policy": policy()})


@bp.route("/console/poster/{slug}", methods=["GET"])
@api
def poster(slug: str) -> Response:
    """A printable A4 or A5 poster for the counter: the program's name, the welcome bonus, the join QR
    and link. Public: it shows only what the join page shows."""
    request = bp.current_request
    size = query(request, "size") or "a4"
    if size not in POSTER_SIZES:
        raise InvalidInput("size is a4 or a5.", code="invalid_value", field="size")
    program = _public_program(slug)
    locale = locale_of(request)
    link = f"{settings().public_base_url}/join/{program.slug}"
    # a location's poster (`?location=`, an open one; otherwise the program's): its own join link and name
    location_id = location_cases.open_or_none(program, (query(request, "location") or "")[:64])
    location = location_cases.get(program, location_id) if location_id else None
    if location is not None:
        link += f"?location={location.location_id}"
    mechanics = mech.from_stored(program.mechanics)
    html = render_text("console_poster.html", locale, program_name=program.name, brand=program.branding or {},
                       location_name=location.name if location else None,
                       welcome_bonus=mechanics.welcome_bonus, unit=mechanics.unit, link=link, qr=pages.qr_svg(link),
                       size=size, version=console_assets.build().version)
    headers = _headers("text/html; charset=utf-8", "public, max-age=300", **{"Content-Language": locale})
    return Response(body=html, status_code=200, headers=headers)


@bp.route("/console/qr", methods=["POST"], content_types=[JSON])
@api
def qr() -> Response:
    """A short text as an SVG QR code (the join link, the TOTP secret's otpauth URI). A POST, so the text
    is never in a URL, and nothing here logs it."""
    body = json_body(bp.current_request)
    text = body.get("text")
    unknown = sorted(set(body) - {"text"})
    if unknown:
        raise InvalidInput(f"Unknown field '{unknown[0]}'.", code="unknown_field", field=unknown[0])
    if not isinstance(text, str):
        raise InvalidInput("text is required.", code="required" if text is None else "invalid_type", field="text")
    if not 1 <= len(text) <= QR_TEXT_LIMIT:
        raise InvalidInput(f"text is 1 to {QR_TEXT_LIMIT} characters.", code="invalid_length", field="text")
    # An <img> needs a standalone SVG document: the inline one lacks its namespace.
    svg = pages.qr_svg(text).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return Response(body=svg, status_code=200, headers=_headers("image/svg+xml"))
