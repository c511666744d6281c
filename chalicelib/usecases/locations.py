"""A program's locations (stores): listing, adding, editing, closing and reopening, kept on the program item
(`Program.locations`) and written over the version read (store/programs.save_changes: a concurrent edit is
409 edit_conflict). A location is never deleted: a closed one stays for history (receipts and analytics name
it), leaves the pass, and takes no new POS keys or cashiers. A change the wallet passes show (a location added,
closed or reopened; an open one's name, coordinates or lock-screen text) asks for every pass to be refreshed."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib import log
from chalicelib.commands import locations as commands
from chalicelib.core import locations as rules
from chalicelib.errors import Conflict, NotFound, RuleViolation
from chalicelib.store import db, ids, outbox
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program
from chalicelib.usecases import audit

_ON_PASS = ("name", "latitude", "longitude", "relevant_text", "status")  # what the pass shows of a location


def of(program: Program) -> tuple[rules.Location, ...]:
    return rules.from_stored(program.locations)


def listing(program: Program) -> dict[str, list[dict[str, Any]]]:
    """GET .../locations: every location, closed ones too, in the order the owner added them."""
    return {"items": [location.to_json() for location in of(program)]}


def get(program: Program, location_id: str) -> rules.Location:
    location = rules.find(of(program), location_id)
    if location is None:
        raise NotFound("No such location.", code="location_not_found")
    return location


def open_location(program: Program, location_id: str | None, field: str = "location_id") -> str | None:
    """`location_id` if it is an open location of the program (None stays None), else 422 unknown_location."""
    if location_id is None:
        return None
    location = rules.find(of(program), location_id)
    if location is None or not location.open:
        raise RuleViolation("No open location with this id in this program.", code="unknown_location", field=field)
    return location_id


def open_or_none(program: Program, location_id: str | None) -> str | None:
    """The id if it names an open location of the program, else None (a join link's: ignored when stale)."""
    location = rules.find(of(program), location_id) if location_id else None
    return location.location_id if location is not None and location.open else None


def add(program: Program, fields: commands.LocationFields, now: datetime) -> tuple[Program, rules.Location]:
    existing = of(program)
    if len(existing) >= rules.MAX_LOCATIONS:
        raise RuleViolation(f"A program has at most {rules.MAX_LOCATIONS} locations.", code="too_many_locations")
    _check_name(existing, fields.values["name"], None)
    location = rules.Location(location_id=ids.new_id("loc"), created_at=db.iso(now), **dict(fields.values))
    edited = _save(program, (*existing, location), now)
    audit.note(target_type="location", target_id=location.location_id)
    audit.changed("location", None, location.to_json())
    outbox.refresh_program(program.program_id, now)  # a new location on every pass
    log.info("location_added", program_id=program.program_id, location_id=location.location_id)
    return edited, location


def edit(program: Program, location_id: str, fields: commands.LocationFields,
         now: datetime) -> tuple[Program, rules.Location]:
    existing = of(program)
    before = get(program, location_id)
    if "name" in fields:
        _check_name(existing, fields.values["name"], location_id)
    after = replace(before, **dict(fields.values))
    commands.check_point(after.latitude, after.longitude)
    if after == before:
        return program, before
    edited = _save(program, tuple(after if item.location_id == location_id else item for item in existing), now)
    audit.changed("location", before.to_json(), after.to_json())
    if _shown(before) != _shown(after):
        outbox.refresh_program(program.program_id, now)
    log.info("location_edited", program_id=program.program_id, location_id=location_id, status=after.status)
    return edited, after


def _shown(location: rules.Location) -> tuple[Any, ...]:
    """What a wallet pass shows of it: nothing of a closed one."""
    return tuple(getattr(location, name) for name in _ON_PASS) if location.open else (rules.CLOSED,)


def _check_name(existing: tuple[rules.Location, ...], name: str, location_id: str | None) -> None:
    folded = name.casefold()
    if any(item.name.casefold() == folded and item.location_id != location_id for item in existing):
        raise Conflict("This program already has a location with this name.", code="location_name_taken",
                       field="name")


def _check_external_ids(locations: tuple[rules.Location, ...]) -> None:
    """A provider's store maps to one open location: its sales must not have two places to go."""
    for provider in rules.EXTERNAL_PROVIDERS:
        seen = [item.external_ids[provider] for item in locations if item.open and provider in item.external_ids]
        if len(seen) != len(set(seen)):
            raise Conflict(f"Another open location already has this {provider} store id.", code="external_id_taken",
                           field=f"external_ids.{provider}")


def _save(program: Program, locations: tuple[rules.Location, ...], now: datetime) -> Program:
    _check_external_ids(locations)
    if rules.stored_size(locations) > rules.MAX_STORED_BYTES:
        kilobytes = rules.MAX_STORED_BYTES // 1000
        raise RuleViolation(f"The program's locations would take more than {kilobytes} KB: shorten addresses, hours "
                            "or lock-screen texts, or reuse a closed location.", code="too_many_locations")
    return program_store.save_changes(program, {"locations": [item.to_json() for item in locations]}, now)
