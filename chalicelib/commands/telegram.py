"""A Telegram update, read once at the webhook: the chat to answer, the text and the sender's language.

Telegram documents these fields as objects, strings and integers; anything else (from a stranger's
POST, or a kind of update we do not handle) reads as absent, and an update without a chat or a text is
ignored, because Telegram is answered 200 whatever it sent (see api/telegram.py)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    chat_id: int | None  # None: nothing to answer
    text: str  # stripped; "" when there is none
    locale: str  # ru | en


def _object(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def read_message(update: object) -> Message:
    message = _object(_object(update).get("message"))
    chat_id = _object(message.get("chat")).get("id")
    text = message.get("text")
    language = _object(message.get("from")).get("language_code")
    return Message(chat_id=chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None,
                   text=text.strip() if isinstance(text, str) else "",
                   locale="ru" if not isinstance(language, str) or language.startswith("ru") else "en")
