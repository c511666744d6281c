"""What the admin API's bodies and queries say, each read once at the route into a frozen command with
the strict readers of core/validation.py (the same field-named errors and codes as ever); use cases
take these and never see the raw JSON."""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.core import branding as brandings
from chalicelib.core import clock, texts
from chalicelib.core import limits as limit_rules
from chalicelib.core import mechanics as mech
from chalicelib.core import phone as phones
from chalicelib.core import retention as retention_rules
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

SLUG_PATTERN = r"[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])"
RESERVED_SLUGS = frozenset({"admin", "api", "join", "c", "passkit", "pos", "static", "well-known"})
_SETTINGS = ("name", "timezone", "currency", "country", "mechanics", "branding", "limits", "messages", "retention")
CREATE_FIELDS = frozenset({"slug", *_SETTINGS})
PATCH_FIELDS = frozenset({"status", *_SETTINGS})


class CurrentSettings(Protocol):
    """What a PATCH is merged over: the program's stored mechanics, branding, limits and messages."""

    @property
    def mechanics(self) -> Any: ...
    @property
    def branding(self) -> Any: ...
    @property
    def limits(self) -> Any: ...
    @property
    def messages(self) -> Any: ...
    @property
    def retention(self) -> Any: ...



@dataclass(frozen=True)
class NewMerchant:
    name: str


@dataclass(frozen=True)
class NewPosKey:
    label: str | None
    location_id: str | None = None  # the location its receipts come from (an open one); None: the whole program


@dataclass(frozen=True)
class CardEdit:
    """Block or unblock a card, or correct the holder's name: at least one of them."""

    status: str | None
    name: str | None


@dataclass(frozen=True)
class ProgramSettings:
    """A program's settings as sent; None: not sent (a PATCH leaves it as it is). Mechanics, branding
    and limits are already merged over the program's current ones."""

    name: str | None = None
    timezone: str | None = None
    currency: str | None = None
    country: str | None = None
    mechanics: mech.Mechanics | None = None
    branding: dict[str, Any] | None = None
    limits: limit_rules.Limits | None = None
    messages: dict[str, dict[str, str]] | None = None  # the owner's trigger texts, merged; {}: none left
    retention: retention_rules.Retention | None = None  # merged; FOREVER (null sent): keep everything


@dataclass(frozen=True)
class NewProgram:
    """A new program: every setting, the defaults for those not sent."""

    slug: str
    name: str
    timezone: str
    currency: str
    country: str
    mechanics: mech.Mechanics
    branding: dict[str, Any]
    limits: limit_rules.Limits
    messages: dict[str, dict[str, str]]
    retention: retention_rules.Retention = retention_rules.FOREVER


@dataclass(frozen=True)
class ProgramChanges:
    settings: ProgramSettings
    status: str | None  # active | paused


def read_new_merchant(data: Mapping[str, object]) -> NewMerchant:
    v.reject_unknown(data, {"name"})
    return NewMerchant(v.read_str(data, "name", required=True, max_len=120))


def read_new_pos_key(data: Mapping[str, object]) -> NewPosKey:
    v.reject_unknown(data, {"label", "location_id"})
    return NewPosKey(v.read_str(data, "label", max_len=80),
                     v.read_str(data, "location_id", max_len=64, pattern=v.ID_PATTERN))


def read_card_edit(data: Mapping[str, object]) -> CardEdit:
    v.reject_unknown(data, {"status", "name"})
    status = v.read_str(data, "status", choices=("active", "blocked"))
    name = v.read_str(data, "name", max_len=100)
    if status is None and name is None:
        raise InvalidInput("Send 'status' or 'name'.", code="required")
    return CardEdit(status=status, name=name)


def read_new_program(data: object) -> NewProgram:
    data = v.require_object(data)
    v.reject_unknown(data, CREATE_FIELDS)
    slug = v.read_str(data, "slug", required=True, max_len=40, pattern=SLUG_PATTERN)
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"'{slug}' is reserved.", code="invalid_value", field="slug")
    return NewProgram(slug=slug, name=_name(data), timezone=_timezone(data), currency=_currency(data),
                      country=_country(data), mechanics=_mechanics(data, None), branding=_branding(data, None),
                      limits=_limits(data, None), messages=_messages(data, None), retention=_retention(data, None))


def read_program_changes(data: object, current: CurrentSettings) -> ProgramChanges:
    data = v.require_object(data)
    if "slug" in data:
        raise InvalidInput("A slug cannot change: it is printed in QR codes. Create a new program instead.",
                           code="immutable", field="slug")
    v.reject_unknown(data, PATCH_FIELDS)
    settings = _settings(data, current)
    status = v.read_str(data, "status", choices=("active", "paused")) if "status" in data else None
    return ProgramChanges(settings=settings, status=status)


def _settings(data: Mapping[str, object], current: CurrentSettings) -> ProgramSettings:
    """The settings sent, in the order they are checked (a new program's order too)."""
    return ProgramSettings(
        name=_name(data) if "name" in data else None,
        timezone=_timezone(data) if "timezone" in data else None,
        currency=_currency(data) if "currency" in data else None,
        country=_country(data) if "country" in data else None,
        mechanics=_mechanics(data, current) if "mechanics" in data else None,
        branding=_branding(data, current) if "branding" in data else None,
        limits=_limits(data, current) if "limits" in data else None,
        messages=_messages(data, current) if "messages" in data else None,
        retention=_retention(data, current) if "retention" in data else None)


def _name(data: Mapping[str, object]) -> str:
    return v.read_str(data, "name", required=True, max_len=80)


def _timezone(data: Mapping[str, object]) -> str:
    return clock.check_zone(v.read_str(data, "timezone", max_len=64, default="Europe/Moscow"))


def _currency(data: Mapping[str, object]) -> str:
    return v.read_str(data, "currency", pattern=r"[A-Z]{3}", default="RUB", max_len=3)


def _country(data: Mapping[str, object]) -> str:
    return v.read_str(data, "country", choices=phones.COUNTRIES, default="RU")


def _mechanics(data: Mapping[str, object], current: CurrentSettings | None) -> mech.Mechanics:
    """Merged over the program's current mechanics: a PATCH may send just one of them."""
    return mech.parse(data.get("mechanics") or {}, mech.from_stored(current.mechanics) if current is not None else None)


def _branding(data: Mapping[str, object], current: CurrentSettings | None) -> dict[str, Any]:
    return brandings.parse(data.get("branding") or {}, current.branding if current is not None else None)


def _limits(data: Mapping[str, object], current: CurrentSettings | None) -> limit_rules.Limits:
    return limit_rules.parse(data.get("limits") or {},
                             limit_rules.from_stored(current.limits) if current is not None else None)


def _messages(data: Mapping[str, object], current: CurrentSettings | None) -> dict[str, dict[str, str]]:
    """The owner's trigger texts, merged over the program's current ones (null or "" resets a text)."""
    sent = data.get("messages")
    return texts.parse_messages({} if sent is None else sent, current.messages if current is not None else None)


def _retention(data: Mapping[str, object], current: CurrentSettings | None) -> retention_rules.Retention:
    """How long members' data is kept, merged over the program's current setting (null: keep everything)."""
    return retention_rules.parse(data.get("retention"),
                                 retention_rules.from_stored(current.retention) if current is not None else None)
