"""Creating and editing programs: validated mechanics and branding, immutable slugs."""
import re
from datetime import datetime

from chalicelib.core import branding as brandings
from chalicelib.core import limits as limit_rules
from chalicelib.core import mechanics as mech
from chalicelib.core import phone as phones
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput
from chalicelib.store import outbox
from chalicelib.store import programs as program_store
from chalicelib.store.models import Program
from chalicelib.usecases import clock

SLUG_PATTERN = r"[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])"
CREATE_FIELDS = {"name", "slug", "timezone", "currency", "country", "mechanics", "branding", "limits"}
PATCH_FIELDS = {"name", "timezone", "currency", "country", "mechanics", "branding", "limits", "status"}
RESERVED_SLUGS = {"admin", "api", "join", "c", "passkit", "pos", "static", "well-known"}


def _common(data: dict, current: Program | None) -> dict:
    values = {}
    if "name" in data or current is None:
        values["name"] = v.read_str(data, "name", required=True, max_len=80)
    if "timezone" in data or current is None:
        values["timezone"] = clock.check_zone(v.read_str(data, "timezone", max_len=64, default="Europe/Moscow"))
    if "currency" in data or current is None:
        values["currency"] = v.read_str(data, "currency", pattern=r"[A-Z]{3}", default="RUB", max_len=3)
    if "country" in data or current is None:
        values["country"] = v.read_str(data, "country", choices=phones.COUNTRIES, default="RU")
    if "mechanics" in data or current is None:
        base = mech.from_stored(current.mechanics) if current is not None else None
        values["mechanics"] = mech.to_dict(mech.parse(data.get("mechanics") or {}, base))
    if "branding" in data or current is None:
        base = current.branding if current is not None else None
        values["branding"] = brandings.parse(data.get("branding") or {}, base)
    if "limits" in data or current is None:
        base = limit_rules.from_stored(current.limits) if current is not None else None
        values["limits"] = limit_rules.to_dict(limit_rules.parse(data.get("limits") or {}, base))
    return values


def create(merchant_id: str, data, now: datetime) -> Program:
    data = v.require_object(data)
    v.reject_unknown(data, CREATE_FIELDS)
    slug = v.read_str(data, "slug", required=True, max_len=40, pattern=SLUG_PATTERN)
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"'{slug}' is reserved.", code="invalid_value", field="slug")
    values = _common(data, None)
    return program_store.create(merchant_id=merchant_id, slug=slug, now=now, **values)


def update(program: Program, data, now: datetime) -> Program:
    data = v.require_object(data)
    if "slug" in data:
        raise InvalidInput("A slug cannot change: it is printed in QR codes. Create a new program instead.",
                           code="immutable", field="slug")
    v.reject_unknown(data, PATCH_FIELDS)
    values = _common(data, program)
    if "status" in data:
        values["status"] = v.read_str(data, "status", choices=("active", "paused"))
    shown_before = (program.name, program.branding, program.country)
    for name, value in values.items():
        setattr(program, name, value)
    program = program_store.save_changes(program, now)
    if (program.name, program.branding, program.country) != shown_before:
        outbox.google_class_changed(program.program_id, now)  # Google Wallet's class follows the branding
    return program


def view(program: Program) -> dict:
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
        "created_at": program.created_at,
        "updated_at": program.updated_at,
    }


def is_slug(text: str) -> bool:
    return bool(re.fullmatch(SLUG_PATTERN, text or ""))
