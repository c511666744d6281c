"""The Telegram Bot API: sendMessage, sendPhoto and setChatMenuButton, behind TELEGRAM_API_BASE (a stand-in locally).
The bot token and webhook secret come from settings locally and from Secrets Manager in AWS."""
from functools import lru_cache
from typing import Any

from chalicelib import secret_store
from chalicelib.channels import DeliveryUnknown, Letter, Recipient, Refused
from chalicelib.config import settings

TIMEOUT = {"connect": 3.0, "read": 8.0, "write": 5.0, "pool": 3.0}  # seconds


class TelegramError(Exception):
    """Telegram did not take the call (answered an error, or could not be reached: retry later)."""


class TelegramRefused(TelegramError, Refused):
    """A 400/403 about this chat (bot blocked, chat not found): sending again will not help."""


class TelegramUncertain(TelegramError, DeliveryUnknown):
    """The request may have been sent but no answer came: the Bot API has no idempotency key."""


@lru_cache(maxsize=1)
def credentials() -> tuple[str | None, str | None]:
    """(bot token, webhook secret)."""
    s = settings()
    if s.telegram_secret:
        secret = secret_store.read_json(s.telegram_secret)
        return secret.get("bot_token"), secret.get("webhook_secret")
    return s.telegram_bot_token, s.telegram_webhook_secret


@lru_cache(maxsize=1)
def _http() -> Any:
    import httpx  # lazy: 118 ms to import, and app imports this module (the bot webhook)

    return httpx.Client(timeout=httpx.Timeout(**TIMEOUT))


def _call(method: str, data: dict, files: dict | None = None) -> dict:
    import httpx  # lazy: httpx, +120 ms on import app

    token, _ = credentials()
    if not token:
        raise TelegramError("Telegram is not configured (TELEGRAM_BOT_TOKEN)")
    url = f"{settings().telegram_api_base}/bot{token}/{method}"
    try:
        response = _http().post(url, data=data, files=files) if files else _http().post(url, json=data)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:  # nothing was sent
        raise TelegramError(f"{method}: {type(error).__name__}") from None
    except httpx.HTTPError as error:  # sent, perhaps: a read timeout, a dropped connection
        raise TelegramUncertain(f"{method}: {type(error).__name__}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code in (400, 403):
        raise TelegramRefused(f"{method}: {response.status_code} {answer.get('description', '')}".strip())
    if response.status_code != 200 or not answer.get("ok"):
        raise TelegramError(f"{method}: {response.status_code} {answer.get('description', '')}".strip())
    return answer["result"]


def send_message(chat_id: int, text: str, link: tuple[str, str] | None = None,
                 app: tuple[str, str] | None = None) -> dict:
    """`link`: a button opening (text, url) in the browser; `app`: one opening (text, url) as the Mini App."""
    data: dict[str, Any] = {"chat_id": chat_id, "text": text[:4000]}
    rows = ([[{"text": link[0], "url": link[1]}]] if link else []) + \
        ([[{"text": app[0], "web_app": {"url": app[1]}}]] if app else [])
    if rows:
        data["reply_markup"] = {"inline_keyboard": rows}
    return _call("sendMessage", data)


def set_menu_button(text: str, url: str, chat_id: int | None = None) -> dict:
    """The bot's menu button opens the Mini App at `url`: in one private chat, or (None) the default."""
    data: dict[str, Any] = {"menu_button": {"type": "web_app", "text": text[:64], "web_app": {"url": url}}}
    if chat_id is not None:
        data["chat_id"] = chat_id
    return _call("setChatMenuButton", data)


def send_photo(chat_id: int, png: bytes, caption: str) -> dict:
    return _call("sendPhoto", {"chat_id": str(chat_id), "caption": caption[:1000]},
                 files={"photo": ("card.png", png, "image/png")})


class TelegramChannel:
    """Messages from the program's bot to a linked chat whose Telegram consent stands (linking records it
    with the words the bot says; /stop withdraws it: core/consents.py)."""

    name = "telegram"
    with_card = False
    offered = True

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.consents.get("telegram") and recipient.telegram_chat_id)

    def send(self, recipient: Recipient, letter: Letter) -> None:
        send_message(int(recipient.telegram_chat_id or 0), letter.text)

    def is_permanent(self, error: Exception) -> bool:
        return isinstance(error, Refused)  # TelegramRefused: a blocked bot, a chat that is gone
