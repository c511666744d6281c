"""Apple's PassKit web service, exactly as devices call it: `{webServiceURL}/v1/...`.

Registrations upsert (201 new, 200 known); the serials list filters strictly by a monotonic tag (the
card's pass change time in microseconds), so a device is sent exactly the passes changed after its
tag; a pass is 304 only when the device holds this very version (see last_modified), and HEAD answers
as GET without the body. Tokens are compared in constant time. Unknown passes and wrong tokens are
both 401: a device learns nothing about passes it does not hold. Also here: each program's Google
Wallet logo, drawn from its branding, and the images owners upload (content-addressed: cached for ever).
"""
import hmac
import re
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime

from chalice import Blueprint, Response

from chalicelib import log
from chalicelib.api.http import JSON, api, json_response
from chalicelib.commands import passkit as commands
from chalicelib.config import settings
from chalicelib.core import branding
from chalicelib.errors import InvalidInput, NotFound, Unauthorized
from chalicelib.store import cards as card_store
from chalicelib.store import devices, listings
from chalicelib.store import images as image_store
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card
from chalicelib.wallet import images

bp = Blueprint(__name__)
_SAFE = re.compile(r"[A-Za-z0-9._\-]{1,128}")


def _card_for(pass_type_id: str, serial: str) -> Card:
    """The pass's card if the request carries its authentication token, else 401."""
    header = bp.current_request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    card = None
    if pass_type_id == settings().pass_type_id and _SAFE.fullmatch(serial or ""):
        card = card_store.get(serial)
    if (card is None or scheme not in ("ApplePass", "AndroidPass")
            or not hmac.compare_digest(card.auth_token.encode(), token.strip().encode())):
        raise Unauthorized("Unknown pass or wrong authentication token.", code="unauthorized")
    return card


def _device(device_id: str) -> str:
    if not _SAFE.fullmatch(device_id or ""):
        raise InvalidInput("Not a device library identifier.", code="invalid_device", field="deviceLibraryIdentifier")
    return device_id


@bp.route("/passkit/v1/devices/{device_id}/registrations/{pass_type_id}/{serial}", methods=["POST"],
          content_types=[JSON])
@api
def register(device_id: str, pass_type_id: str, serial: str) -> Response:
    card = _card_for(pass_type_id, serial)
    device_id = _device(device_id)
    registration = commands.read_registration(bp.current_request.raw_body)
    if card.status == "erased":  # its member was erased: no new push token is kept (usecases/erasure.py)
        return Response(body="", status_code=200)
    created = devices.register(device_id, pass_type_id, card.card_id, registration.push_token,
                               datetime.now(UTC))
    log.info("pass_registered", card_id=card.card_id, new=created)
    return Response(body="", status_code=201 if created else 200)


@bp.route("/passkit/v1/devices/{device_id}/registrations/{pass_type_id}/{serial}", methods=["DELETE"])
@api
def unregister(device_id: str, pass_type_id: str, serial: str) -> Response:
    card = _card_for(pass_type_id, serial)
    devices.unregister(_device(device_id), pass_type_id, card.card_id)
    log.info("pass_unregistered", card_id=card.card_id)
    return Response(body="", status_code=200)


@bp.route("/passkit/v1/devices/{device_id}/registrations/{pass_type_id}", methods=["GET"])
@api
def changed_serials(device_id: str, pass_type_id: str) -> Response:
    device_id = _device(device_id)
    since = commands.read_changed_since(bp.current_request.query_params).tag
    serials = devices.serials_of(device_id, pass_type_id) if pass_type_id == settings().pass_type_id else []
    cards = listings.cards_by_ids(serials)
    for card in cards:  # an erased member's pass (usecases/erasure.py): once this device was told it changed
        if card.status == "erased" and int(card.pass_changed_at) <= since:  # (its tag is past the voiding),
            devices.unregister(device_id, pass_type_id, card.card_id)  # the registration has served its purpose
    changed = [card for card in cards if int(card.pass_changed_at) > since]
    if not changed:
        return Response(body="", status_code=204)
    return json_response({"serialNumbers": sorted(card.card_id for card in changed),
                          "lastUpdated": str(max(int(card.pass_changed_at) for card in changed))})


def last_modified(changed_micros: float, now: datetime) -> int:
    """The Last-Modified second to serve for a pass changed at `changed_micros`. An HTTP date has whole
    seconds, and a pass can change twice within one: a device holding the first version would send
    back the same second and be told 304. So a pass changed in the current second is dated a second
    earlier: the device's next If-Modified-Since then precedes the change and it gets the pass again
    (once); from the next second on the true second is served. Any later change falls in a second
    after the one served, so `changed second <= If-Modified-Since` means the device has this version."""
    return min(int(changed_micros) // 1_000_000, int(now.timestamp()) - 1)


def unchanged_since(changed_micros: float, if_modified_since: str | None) -> bool:
    if not if_modified_since:
        return False
    try:
        return int(changed_micros) // 1_000_000 <= int(parsedate_to_datetime(if_modified_since).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return False  # an unreadable date: send the pass


@bp.route("/passkit/v1/passes/{pass_type_id}/{serial}", methods=["GET", "HEAD"])
@api
def latest_pass(pass_type_id: str, serial: str) -> Response:
    """The pass, or 304 when the device has this version. ETag is the pass version (exact, for clients
    that send If-None-Match); HEAD answers as GET without the body."""
    # lazy: pass signing (cryptography), +15 ms on import app (measured, median of 3)
    from chalicelib.wallet import apple  # noqa: PLC0415

    request = bp.current_request
    card = _card_for(pass_type_id, serial)
    etag = f'"{int(card.pass_version)}"'
    served = last_modified(card.pass_changed_at, datetime.now(UTC))
    headers: dict[str, str | list[str]] = {"Last-Modified": formatdate(served, usegmt=True), "ETag": etag,
                                           "Cache-Control": "no-cache"}
    match = request.headers.get("if-none-match")
    if (match is not None and etag in [tag.strip() for tag in match.split(",")]) or (
            match is None and unchanged_since(card.pass_changed_at, request.headers.get("if-modified-since"))):
        return Response(body="", status_code=304, headers=headers)
    headers["Content-Type"] = apple.MIME
    if request.method == "HEAD":
        return Response(body=b"", status_code=200, headers=headers)
    program = program_store.get(card.program_id)
    if program is None:  # the card's program is gone: its pass is as unknown as a wrong serial
        raise NotFound("No such pass.", code="pass_not_found")
    return Response(body=apple.build(card, program), status_code=200, headers=headers)


@bp.route("/static/programs/{program_id}/google-logo.png", methods=["GET", "HEAD"])
@api
def google_logo(program_id: str) -> Response:
    """The program's logo for Google Wallet, drawn from its branding (660 x 660, no mask)."""
    program = program_store.get(program_id) if _SAFE.fullmatch(program_id or "") else None
    if program is None:
        raise NotFound("No such image.")
    brand = branding.parse({}, program.branding)
    body = images.google_logo(brand["background_color"], brand["foreground_color"])
    return Response(body=body if bp.current_request.method != "HEAD" else b"", status_code=200,
                    headers={"Content-Type": "image/png", "Cache-Control": "public, max-age=86400"})


_IMAGE_FILE = re.compile(r"(?P<name>[a-z0-9@\-]{1,32})\.png")


@bp.route("/static/programs/{program_id}/images/{version}/{file_name}", methods=["GET", "HEAD"])
@api
def program_image(program_id: str, version: str, file_name: str) -> Response:
    """An uploaded image in one of its sizes (see usecases/images.py). A version's files never change,
    so they are cached for a year and marked immutable; anything not stored is 404."""
    file = _IMAGE_FILE.fullmatch(file_name or "")
    body = None
    if (file and file.group("name") in images.NAMES and _SAFE.fullmatch(program_id or "")
            and re.fullmatch(r"[0-9a-f]{16}", version or "")):
        body = image_store.get(program_id, version, file.group("name"))
    if body is None:
        raise NotFound("No such image.")
    return Response(body=body if bp.current_request.method != "HEAD" else b"", status_code=200,
                    headers={"Content-Type": "image/png", "Cache-Control": image_store.CACHE_CONTROL})


@bp.route("/passkit/v1/log", methods=["POST"], content_types=[JSON])
@api
def device_log() -> Response:
    # Apple's devices only report here: a malformed report is dropped, never an error.
    for line in commands.read_device_log(bp.current_request.raw_body).lines:
        # Device messages name passes and URLs; long digit runs (phones, numbers) are masked.
        log.warning("passkit_device_log", message=re.sub(r"\d{7,}", "…", line))
    return Response(body="", status_code=200)
