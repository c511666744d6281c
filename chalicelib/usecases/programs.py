"""Creating and editing programs: validated mechanics and branding (commands/admin.py), immutable slugs."""
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

from chalicelib.commands import admin as commands
from chalicelib.core import limits as limit_rules
from chalicelib.core import mechanics as mech
from chalicelib.core import retention as retention_rules
from chalicelib.core import texts
from chalicelib.errors import Conflict
from chalicelib.store import cards as card_store
from chalicelib.store import outbox
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program
from chalicelib.usecases import audit, images


class ProgramView(TypedDict):
    id: str
    merchant_id: str
    name: str
    slug: str
    timezone: str
    currency: str
    country: str
    status: str
    mechanics: dict[str, object]
    branding: dict[str, object]
    limits: dict[str, object]
    messages: dict[str, dict[str, str]]
    retention: dict[str, int | None] | None  # how long members' data is kept (core/retention.py); None: for ever
    images: dict[str, images.ImageView]  # each uploaded image's URLs, for previews
    created_at: str
    updated_at: str


def create(merchant_id: str, new: commands.NewProgram | Mapping[str, object], now: datetime) -> Program:
    """A new program (the admin route's command; a mapping from scripts and tests is read the same way)."""
    if not isinstance(new, commands.NewProgram):
        new = commands.read_new_program(new)
    created = program_store.create(merchant_id=merchant_id, slug=new.slug, name=new.name, timezone=new.timezone,
                                   currency=new.currency, country=new.country, mechanics=mech.to_dict(new.mechanics),
                                   branding=new.branding, limits=limit_rules.to_dict(new.limits), now=now,
                                   messages=new.messages, retention=retention_rules.to_stored(new.retention))
    audit.changed_settings({}, {name: getattr(created, name) for name in (  # what the program started with
        "name", "slug", "timezone", "currency", "country", "mechanics", "branding", "limits", "messages",
        "retention")})
    return created


def update(program: Program, changes: commands.ProgramChanges, now: datetime) -> Program:
    _check_kind_kept(program, changes.settings)
    values = _stored(changes.settings)
    if changes.status is not None:
        values["status"] = changes.status
    edited = program_store.save_changes(program, values, now)
    before = {name: getattr(program, name, None) for name in values}
    if "limits" in before:  # none stored means the defaults: compare with them, not with nothing
        before["limits"] = limit_rules.to_dict(limit_rules.from_stored(program.limits))
    audit.changed_settings(before, values)
    if (edited.name, edited.branding, edited.country) != (program.name, program.branding, program.country):
        outbox.google_class_changed(edited.program_id, now)  # Google Wallet's class follows the branding
    return edited


def _check_kind_kept(program: Program, settings: commands.ProgramSettings) -> None:
    """A program's kind is fixed once it has a card: its balances mean points, stamps or nothing by kind,
    and no conversion is fair to every customer (a new program is). One Query of at most one card, only
    when the kind changes."""
    if settings.mechanics is None or settings.mechanics.kind == mech.from_stored(program.mechanics).kind:
        return
    cards, _ = card_store.list_for_program(program.program_id, 1, None)
    if cards:
        raise Conflict("This program has cards: its kind cannot change. Make a new program for another kind.",
                       code="kind_locked", field="mechanics.kind")


def _stored(settings: commands.ProgramSettings) -> dict[str, object]:
    """The settings sent, as the program item holds them."""
    values: dict[str, object] = {name: value for name, value in (
        ("name", settings.name), ("timezone", settings.timezone), ("currency", settings.currency),
        ("country", settings.country), ("branding", settings.branding)) if value is not None}
    if settings.mechanics is not None:
        values["mechanics"] = mech.to_dict(settings.mechanics)
    if settings.limits is not None:
        values["limits"] = limit_rules.to_dict(settings.limits)
    if settings.messages is not None:
        values["messages"] = settings.messages or None  # none left: the defaults
    if settings.retention is not None:
        values["retention"] = retention_rules.to_stored(settings.retention)  # None: keep everything
    return values


def view(program: Program) -> ProgramView:
    return {
        "id": program.program_id,
        "merchant_id": program.merchant_id,
        "name": program.name,
        "slug": program.slug,
        "timezone": program.timezone,
        "currency": program.currency,
        "country": program.country,
        "status": program.status,
        "mechanics": program.mechanics,
        "branding": program.branding,
        "limits": limit_rules.to_dict(limit_rules.from_stored(program.limits)),
        "messages": program.messages or {},
        "retention": retention_rules.to_stored(retention_rules.from_stored(program.retention)),
        "images": images.previews(program),
        "created_at": program.created_at,
        "updated_at": program.updated_at,
    }


class TriggerTexts(TypedDict):
    items: list[texts.TriggerText]


def messages_view(program: Program) -> TriggerTexts:
    """GET /admin/programs/{id}/messages: every trigger's text in every language, the built-in default
    beside it, and the {placeholders} it may use."""
    return {"items": texts.messages_listing(program.messages)}


def is_slug(text: str) -> bool:
    """The join route checks a slug with this before any lookup."""
    return bool(re.fullmatch(commands.SLUG_PATTERN, text or ""))
