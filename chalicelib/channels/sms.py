"""Text messages (one-time codes at enrollment) through an SMS gateway speaking SMS.ru's HTTP API,
behind SMS_BASE_URL (a local stand-in in `make dev`, chalicelib.channels.sms_standin).

The protocol (https://sms.ru/api/send): `POST {SMS_BASE_URL}/sms/send`, a form with `api_id` (the
account's key), `to` (the number in international digits, no '+'), `msg`, optionally `from` (an
approved sender name), and `json=1`; the answer is JSON: {"status": "OK", "sms": {"<to>": {"status":
"OK", "sms_id": "..."}}} when accepted, or a "status": "ERROR" with a status_code and status_text.
The account key comes from SMS_API_ID locally, or from Secrets Manager (SMS_SECRET, {"api_id"}) in AWS."""
from functools import lru_cache
from typing import Any

from chalicelib import secret_store
from chalicelib.channels import Letter, Recipient, Refused
from chalicelib.config import settings

TIMEOUT_SECONDS = 5


class SmsError(Exception):
    pass


@lru_cache(maxsize=1)
def _api_id() -> str | None:
    s = settings()
    if s.sms_secret:
        return secret_store.read_json(s.sms_secret).get("api_id")
    return s.sms_api_id


@lru_cache(maxsize=1)
def _http() -> Any:
    import httpx  # lazy: 118 ms to import, needed only when a text goes out

    return httpx.Client(timeout=TIMEOUT_SECONDS)


def send(phone: str, text: str) -> str:
    """Send `text` to `phone` (E.164); the gateway's message id, or SmsError."""
    s = settings()
    api_id = _api_id()
    if not api_id:
        raise SmsError("SMS is not configured (SMS_API_ID or SMS_SECRET)")
    to = phone.lstrip("+")
    form = {"api_id": api_id, "to": to, "msg": text, "json": "1"}
    if s.sms_sender:
        form["from"] = s.sms_sender
    try:
        response = _http().post(f"{s.sms_base_url}/sms/send", data=form)
        answer = response.json()
    except Exception as error:  # noqa: BLE001 - a timeout or a broken answer is a failed send
        raise SmsError(f"the SMS gateway did not answer: {type(error).__name__}") from None
    message = (answer.get("sms") or {}).get(to) or {} if isinstance(answer, dict) else {}
    if response.status_code != 200 or answer.get("status") != "OK" or message.get("status") != "OK":
        reason = message.get("status_text") or (answer.get("status_text") if isinstance(answer, dict) else "")
        raise SmsError(f"the SMS gateway refused the message: {response.status_code} {reason}".strip())
    return str(message.get("sms_id", ""))


class SmsChannel:
    """Texts to the card's phone. Not offered to campaigns: marketing texts need their own consent
    (`consents["sms"]`), which the join page does not ask for yet; today texts carry one-time codes
    (`usecases/guards.py` calls `send` directly, before there is a card)."""

    name = "sms"
    with_card = False
    offered = False

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.consents.get("sms") and recipient.phone)

    def send(self, recipient: Recipient, letter: Letter) -> None:
        send(str(recipient.phone), letter.text)

    def is_permanent(self, error: Exception) -> bool:
        return isinstance(error, Refused)  # SmsError: the gateway may take it next time
