"""The Telegram Bot API: sendMessage and sendPhoto, behind TELEGRAM_API_BASE (a stand-in locally).
The bot token and webhook secret come from settings locally and from Secrets Manager in AWS."""
import json
from functools import lru_cache

from chalicelib.config import settings


class TelegramError(Exception):
    pass


@lru_cache(maxsize=1)
def credentials() -> tuple[str | None, str | None]:
    """(bot token, webhook secret)."""
    s = settings()
    if s.telegram_secret:
        import botocore.session

        client = botocore.session.get_session().create_client("secretsmanager", region_name=s.region)
        secret = json.loads(client.get_secret_value(SecretId=s.telegram_secret)["SecretString"])
        return secret.get("bot_token"), secret.get("webhook_secret")
    return s.telegram_bot_token, s.telegram_webhook_secret


@lru_cache(maxsize=1)
def _http():
    import httpx

    return httpx.Client(timeout=5)


def _call(method: str, data: dict, files: dict | None = None) -> dict:
    token, _ = credentials()
    if not token:
        raise TelegramError("Telegram is not configured (TELEGRAM_BOT_TOKEN)")
    url = f"{settings().telegram_api_base}/bot{token}/{method}"
    response = _http().post(url, data=data, files=files) if files else _http().post(url, json=data)
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200 or not answer.get("ok"):
        raise TelegramError(f"{method}: {response.status_code} {answer.get('description', '')}".strip())
    return answer["result"]


def send_message(chat_id: int, text: str, link: tuple[str, str] | None = None) -> dict:
    data = {"chat_id": chat_id, "text": text[:4000]}
    if link:
        data["reply_markup"] = {"inline_keyboard": [[{"text": link[0], "url": link[1]}]]}
    return _call("sendMessage", data)


def send_photo(chat_id: int, png: bytes, caption: str) -> dict:
    return _call("sendPhoto", {"chat_id": str(chat_id), "caption": caption[:1000]},
                 files={"photo": ("card.png", png, "image/png")})
