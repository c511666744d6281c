"""Telegram's webhook: checked by the secret token Telegram sends back in a header.

Telegram resends an update until it gets a 2xx, so every update from Telegram is answered 200, also one
we cannot read or choose to ignore (malformed JSON, fields of unexpected types): a retry would not help.
"""
from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib import log
from chalicelib.api.http import JSON, api, json_response
from chalicelib.channels import telegram
from chalicelib.commands import telegram as commands
from chalicelib.core.validation import parse_json
from chalicelib.errors import InvalidInput, Unauthorized
from chalicelib.usecases import telegram_bot

bp = Blueprint(__name__)


@bp.route("/telegram/webhook", methods=["POST"], content_types=[JSON])
@api
def webhook() -> Response:
    request = bp.current_request
    if not telegram_bot.verified(request.headers.get("x-telegram-bot-api-secret-token")):
        raise Unauthorized("Not from Telegram.", code="bad_secret")
    try:
        update = parse_json(request.raw_body or b"{}")
    except InvalidInput as error:
        log.info("telegram_update", done="unreadable", reason=error.code)
        return json_response({"ok": True})  # nothing Telegram could fix by retrying
    try:
        done = telegram_bot.handle(commands.read_message(update), datetime.now(UTC))
    except telegram.TelegramError as error:
        log.warning("telegram_failed", reason=str(error)[:200])
        done = "failed"
    log.info("telegram_update", done=done)
    return json_response({"ok": True})
