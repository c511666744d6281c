"""Telegram Mini App data, checked as Telegram documents it (core.telegram.org/bots/webapps, "Validating
data received via the Mini App"); pure: the bot token and the time are passed in.

`Telegram.WebApp.initData` is a query string (`query_id=…&user=<JSON>&auth_date=…&signature=…&hash=…`):
    secret_key        = HMAC_SHA256(key="WebAppData", msg=bot_token)
    data_check_string = every received field but `hash`, as "key=value" (values URL-decoded), sorted by
                        key, joined by "\\n"
    valid            <=> hex(HMAC_SHA256(key=secret_key, msg=data_check_string)) == hash
The `signature` field (Bot API 8.0: an Ed25519 signature for third parties who hold no bot token) is a
received field like any other, so it STAYS in the data check string of the HMAC check; only `hash` is
left out. Telegram's clients sign it that way, and leaving it out makes every genuine initData fail.

`WebApp.requestContact()` hands the Mini App a string signed the same way
(`contact=<JSON {user_id, phone_number, first_name, last_name?}>&auth_date=…&hash=…`): the phone is
Telegram's own, verified when the account was made, as good as a confirmed SMS code.

Every refusal is Unauthorized (401) with a code: telegram_init_missing (nothing sent), bad_init_data (not
well formed, not signed with our bot's token, or a contact of somebody else), stale_init_data (signed
longer ago than the max age, or dated in the future beyond a small clock skew). Nothing in here raises
anything else on any input."""
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from chalicelib.errors import Unauthorized

MAX_RAW = 8192  # characters: Telegram's initData is well under 2 KiB; a longer one is no initData
MAX_FIELDS = 20
SKEW = 60  # seconds a client's auth_date may be ahead of our clock (clocks differ a little)
_HASH_HEX = 64


@dataclass(frozen=True)
class TelegramUser:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part).strip()

    @property
    def locale(self) -> str:
        return "ru" if not self.language_code or self.language_code.startswith("ru") else "en"


@dataclass(frozen=True)
class InitData:
    user: TelegramUser
    auth_date: int
    chat_type: str | None
    start_param: str | None


@dataclass(frozen=True)
class SharedContact:
    user_id: int
    phone: str  # as Telegram sent it: digits, usually without the '+'
    first_name: str | None
    last_name: str | None


def _bad(message: str) -> Unauthorized:
    return Unauthorized(message, code="bad_init_data")


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The query string Telegram would send for `fields` (what the local stand-in and the tests make)."""
    digest = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    pairs = [*((key, value) for key, value in fields.items() if key != "hash"), ("hash", digest)]
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in pairs)


def _fields(raw: object, missing_code: str) -> dict[str, str]:
    if not isinstance(raw, str) or not raw.strip():
        raise Unauthorized("Open the card from Telegram: no Mini App data was sent.", code=missing_code)
    if len(raw) > MAX_RAW:
        raise _bad("The Mini App data is too long.")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FIELDS,
                          errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise _bad("The Mini App data could not be read.") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise _bad(f"The Mini App data has '{key}' twice.")
        fields[key] = value
    return fields


def _check(raw: object, bot_token: str, now: float, max_age: int, missing_code: str) -> dict[str, str]:
    """The fields of a signed query string, once its hash and auth_date are right."""
    fields = _fields(raw, missing_code)
    received = fields.get("hash", "")
    if len(received) != _HASH_HEX:
        raise _bad("The Mini App data is not signed.")
    expected = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.lower().encode("ascii", "replace")):
        raise _bad("The Mini App data is not signed by this bot.")
    signed_at = fields.get("auth_date", "")
    if not (signed_at.isascii() and signed_at.isdigit() and len(signed_at) <= 12):
        raise _bad("The Mini App data has no auth_date.")
    age = now - int(signed_at)
    if age > max_age or age < -SKEW:
        raise Unauthorized("The Mini App data is out of date: close the card and open it again.",
                           code="stale_init_data")
    return fields


def _object(text: str | None, what: str) -> dict[str, object]:
    try:
        value = json.loads(text or "", parse_constant=lambda _: None)
    except (ValueError, RecursionError):
        raise _bad(f"The Mini App data's '{what}' is not JSON.") from None
    if not isinstance(value, dict):
        raise _bad(f"The Mini App data's '{what}' is not an object.")
    return value


def _integer(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2 ** 63:
        raise _bad(f"The Mini App data's {what} is not an id.")
    return value


def _text(value: object, what: str, required: bool = False, max_len: int = 256) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_len \
            or any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise _bad(f"The Mini App data's {what} is not a text.")
    return value.strip() or None


def verify_init_data(raw: object, bot_token: str, now: float, max_age: int) -> InitData:
    """`Telegram.WebApp.initData`, checked (hash, auth_date) and its `user` read strictly."""
    fields = _check(raw, bot_token, now, max_age, "telegram_init_missing")
    user = _object(fields.get("user"), "user")
    language = _text(user.get("language_code"), "user.language_code", max_len=35)
    return InitData(user=TelegramUser(id=_integer(user.get("id"), "user.id"),
                                      first_name=_text(user.get("first_name"), "user.first_name", True) or "",
                                      last_name=_text(user.get("last_name"), "user.last_name"),
                                      username=_text(user.get("username"), "user.username", max_len=64),
                                      language_code=language),
                    auth_date=int(fields["auth_date"]),
                    chat_type=_text(fields.get("chat_type"), "chat_type", max_len=32),
                    start_param=_text(fields.get("start_param"), "start_param", max_len=512))


def verify_contact(raw: object, bot_token: str, now: float, max_age: int, user_id: int) -> SharedContact:
    """The string `WebApp.requestContact()` gave the Mini App, checked the same way, and the contact of
    `user_id` (the initData's user): a contact another account shared is refused."""
    fields = _check(raw, bot_token, now, max_age, "telegram_contact_missing")
    contact = _object(fields.get("contact"), "contact")
    owner = _integer(contact.get("user_id"), "contact.user_id")
    if owner != user_id:
        raise _bad("The shared contact is not this Telegram user's.")
    phone = _text(contact.get("phone_number"), "contact.phone_number", True, max_len=32) or ""
    return SharedContact(user_id=owner, phone=phone,
                         first_name=_text(contact.get("first_name"), "contact.first_name"),
                         last_name=_text(contact.get("last_name"), "contact.last_name"))
