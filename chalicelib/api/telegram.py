"""Telegram's webhook: checked by the secret token Telegram sends back in a header."""
import json
from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib import log
from chalicelib.api.http import JSON, api, json_response
from chalicelib.errors import Unauthorized

bp = Blueprint(__name__)


@bp.route("/telegram/webhook", methods=["POST"], content_types=[JSON])
@api
def webhook():
    from chalicelib.channels import telegram
    from chalicelib.usecases import telegram_bot

    request = bp.current_request
    if not telegram_bot.verified(request.headers.get("x-telegram-bot-api-secret-token")):
        raise Unauthorized("Not from Telegram.", code="bad_secret")
    try:
        update = json.loads(request.raw_body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return json_response({"ok": True})  # nothing Telegram could fix by retrying
    try:
        done = telegram_bot.handle(update if isinstance(update, dict) else {}, datetime.now(timezone.utc))
    except telegram.TelegramError as error:
        log.warning("telegram_failed", reason=str(error)[:200])
        done = "failed"
    log.info("telegram_update", done=done)
    return json_response({"ok": True})
