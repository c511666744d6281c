"""A Telegram update, read once at the webhook: the chat to answer, the text and the sender's language;
and the Mini App's two posts (`read_app_session`, `read_app_join`).

Telegram documents these fields as objects, strings and integers; anything else (from a stranger's
POST, or a kind of update we do not handle) reads as absent, and an update without a chat or a text is
ignored, because Telegram is answered 200 whatever it sent (see api/telegram.py)."""
from dataclasses import dataclass

from chalicelib.commands.admin import SLUG_PATTERN
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput


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


# --- the Mini App's posts (api/telegram_app.py) --------------------------------------------------

MAX_SIGNED = 8192  # characters of a signed Telegram string (initData, a shared contact): far above real ones


@dataclass(frozen=True)
class AppSession:
    """`POST /tg/app/session`: the Mini App's initData, and the program it was opened for (or None)."""

    init_data: object  # checked by core/telegram_webapp.py (401 when missing or wrong), not here
    program: str | None


@dataclass(frozen=True)
class AppJoin:
    """`POST /tg/app/join`: initData, the program, the contact string Telegram signed, the consents."""

    init_data: object
    program: str
    contact: object
    consent: bool  # the program's terms (required for a new card; a member who links their card agreed already)


def _signed(data: v.Fields, name: str) -> object:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be the string Telegram gave the Mini App.", code="invalid_type", field=name)
    if isinstance(value, str) and len(value) > MAX_SIGNED:
        raise InvalidInput(f"'{name}' is too long.", code="invalid_length", field=name)
    return value


def _missing(name: str) -> object:
    raise InvalidInput(f"'{name}' is required: share the phone number with Telegram's button.", code="required",
                       field=name)


def read_app_session(data: object) -> AppSession:
    data = v.require_object(data)
    v.reject_unknown(data, {"init_data", "program"})
    return AppSession(init_data=_signed(data, "init_data"),
                      program=v.read_str(data, "program", max_len=63, pattern=SLUG_PATTERN))


def read_app_join(data: object) -> AppJoin:
    data = v.require_object(data)
    v.reject_unknown(data, {"init_data", "program", "contact", "consent"})
    return AppJoin(init_data=_signed(data, "init_data"),
                   program=v.read_str(data, "program", required=True, max_len=63, pattern=SLUG_PATTERN),
                   contact=_signed(data, "contact") or _missing("contact"),
                   consent=v.read_bool(data, "consent", default=False))
