"""The card inside Telegram (issue 18): the Mini App's page, its script, and its two calls, each of which
first verifies the Mini App's initData (usecases/telegram_app.py; README "The card inside Telegram").

The page holds no personal data: it is the same for everyone, and draws what the verified calls answer.
Its Content-Security-Policy is the customer pages' one, opened only as far as a Mini App needs: the
script of Telegram (TELEGRAM_WEBAPP_SCRIPT_URL's origin) and our own, calls to this origin, and being
framed by Telegram's web client (https://web.telegram.org; the local stand-in's origin when the Bot API
is a stand-in). Every other page keeps its policy."""
import functools
import re
from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib import assets
from chalicelib.api import pages
from chalicelib.api.http import JSON, api, json_body, json_response, locale_of
from chalicelib.api.join import client_address
from chalicelib.commands import telegram as commands
from chalicelib.config import settings
from chalicelib.usecases import telegram_app

bp = Blueprint(__name__)

TELEGRAM_WEB = "https://web.telegram.org"
TELEGRAM_API = "https://api.telegram.org"


def _origin(url: str) -> str:
    found = re.match(r"^https?://[^/?#]+", url or "")
    return found.group(0) if found else ""


def policy() -> str:
    s = settings()
    script = _origin(s.telegram_webapp_script_url)
    framers = [TELEGRAM_WEB]
    if s.telegram_api_base != TELEGRAM_API and _origin(s.telegram_api_base):  # the local stand-in's client page
        framers.append(_origin(s.telegram_api_base))
    return (f"default-src 'none'; script-src 'self' {script}; style-src 'unsafe-inline'; img-src data: 'self'; "
            f"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {' '.join(framers)}")


@functools.cache
def _script() -> str:
    return (assets.directory("templates") / "telegram_app.js").read_text(encoding="utf-8")


@bp.route("/tg/app", methods=["GET"])
@api
def app_page() -> Response:
    """The Mini App (`?program=<slug>` names the program to offer; the page reads it itself)."""
    return pages.render("telegram_app.html", locale_of(bp.current_request), policy=policy(),
                        script_url=settings().telegram_webapp_script_url)


@bp.route("/tg/app.js", methods=["GET"])
@api
def app_script() -> Response:
    return Response(body=_script(), status_code=200,
                    headers={"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache",
                             "X-Content-Type-Options": "nosniff"})


def _with_qr(answer: dict) -> dict:
    card = answer.get("card")
    if card:
        card["qr_svg"] = pages.qr_svg_document(card["number"])  # an <img>'s data: URL: a document of its own
    return answer


@bp.route("/tg/app/session", methods=["POST"], content_types=[JSON])
@api
def session() -> Response:
    post = commands.read_app_session(json_body(bp.current_request))
    answer, _ = telegram_app.session(post.init_data, post.program, datetime.now(UTC))
    return json_response(_with_qr(answer), headers={"Cache-Control": "no-store"})


@bp.route("/tg/app/join", methods=["POST"], content_types=[JSON])
@api
def join() -> Response:
    request = bp.current_request
    post = commands.read_app_join(json_body(request))
    answer, created = telegram_app.join(post.init_data, post.program, post.contact, post.consent,
                                        address=client_address(request), now=datetime.now(UTC))
    return json_response(_with_qr(answer), 201 if created else 200, headers={"Cache-Control": "no-store"})
