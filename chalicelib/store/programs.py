"""Programs and their slugs. A slug is unique across the platform (it is in printed QR codes) and
cannot change once created, so its alias is cached for the life of a warm container.

Every function here returns programs as domain objects (`records.Program`, frozen), made from the
stored item in one place (`_program`), and takes them back the same way: an edit is `save_changes`
with the values that change, never a caller's setattr on an item."""
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, ids, pages
from chalicelib.store.models import Alias
from chalicelib.store.models import Program as ProgramItem
from chalicelib.store.records import Program

_slug_cache: dict[str, str] = {}

# What an edit may change; the id, owner, slug and creation time never change.
EDITABLE = frozenset({"name", "timezone", "currency", "country", "mechanics", "branding", "limits", "status",
                      "messages", "experiments", "locations", "retention"})


def _program(item: ProgramItem) -> Program:
    """The domain's program from the stored item: the one place the two meet."""
    if item.version is None:
        raise ValueError(f"program {item.program_id} has no version")  # every stored program has one
    return Program(program_id=item.program_id, merchant_id=item.merchant_id, created_key=item.created_key,
                   name=item.name, slug=item.slug, timezone=item.timezone, currency=item.currency,
                   country=item.country, mechanics=item.mechanics, branding=item.branding, limits=item.limits,
                   status=item.status, created_at=item.created_at, updated_at=item.updated_at,
                   version=int(item.version), messages=item.messages or None, experiments=item.experiments or None,
                   locations=item.locations or None, retention=item.retention or None)


def create(*, merchant_id: str, name: str, slug: str, timezone: str, currency: str, country: str,  # noqa: PLR0913
           mechanics: dict[str, Any], branding: dict[str, Any], now: datetime,
           limits: dict[str, Any] | None = None, messages: dict[str, dict[str, str]] | None = None,
           retention: dict[str, Any] | None = None) -> Program:
    program_id = ids.new_id("p")
    stamp = db.iso(now)
    item = ProgramItem(program_id, merchant_id=merchant_id, created_key=f"{stamp}#{program_id}", name=name,
                       slug=slug, timezone=timezone, currency=currency, country=country, mechanics=mechanics,
                       branding=branding, limits=limits, messages=messages or None, retention=retention,
                       created_at=stamp, updated_at=stamp)
    alias = Alias(f"slug#{slug}", owner_id=program_id, created_at=stamp)
    try:
        with db.transaction() as tx:
            tx.save(alias, condition=Alias.alias.does_not_exist())
            tx.save(item, condition=ProgramItem.program_id.does_not_exist())
    except TransactWriteError as error:
        if db.is_condition_failure(error):
            raise Conflict("That slug is taken: choose another.", code="slug_taken", field="slug") from None
        raise
    item.version = 1  # what the transaction wrote
    return _program(item)


def get(program_id: str) -> Program | None:
    try:
        return _program(ProgramItem.get(program_id))
    except ProgramItem.DoesNotExist:
        return None


def get_for_merchant(merchant_id: str, program_id: str) -> Program:
    """The program if it belongs to this merchant; otherwise 404, as if it did not exist."""
    program = get(program_id) if program_id else None
    if program is None or program.merchant_id != merchant_id:
        raise NotFound("No such program.")
    return program


def by_slug(slug: str) -> Program | None:
    program_id = _slug_cache.get(slug)
    if program_id is None:
        try:
            program_id = Alias.get(f"slug#{slug}").owner_id
        except Alias.DoesNotExist:
            return None
        _slug_cache[slug] = program_id
    return get(program_id)


def list_for_merchant(merchant_id: str, limit: int, cursor: str | None) -> tuple[list[Program], str | None]:
    start = pages.decode(cursor, "merchant_id", merchant_id, "created_key", "program_id")
    result = ProgramItem.by_merchant.query(merchant_id, limit=limit, last_evaluated_key=start)
    programs = [_program(item) for item in result]
    return programs, pages.encode(result.last_evaluated_key, "created_key", "program_id")


def scan() -> Iterator[Program]:
    """Every program, whatever its status. The scheduled jobs go over programs this way: they are few (a
    table of hundreds, a page or two); cards are never scanned, their walks use the day-keyed indexes."""
    for item in ProgramItem.scan():
        yield _program(item)


def active() -> list[Program]:
    """The programs that run: a paused or closed program gets no expiry, gifts, reviews or upkeep."""
    return [program for program in scan() if program.status == "active"]


def save_changes(program: Program, changes: Mapping[str, Any], now: datetime) -> Program:
    """Write the `changes` (EDITABLE names: new values) that differ from `program`, with a new
    `updated_at`, over the version it was read at: a concurrent edit since then is a 409, not a lost
    update. Returns the program as written."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    changed = {name: value for name, value in changes.items() if getattr(program, name) != value}
    stamp = db.iso(now)
    actions: list[Action] = [ProgramItem.updated_at.set(stamp)]
    for name, value in changed.items():
        attribute = getattr(ProgramItem, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    item = ProgramItem(program.program_id, version=program.version)  # the version condition and its increment
    try:
        item.update(actions=actions)
    except UpdateError as error:
        if db.is_condition_failure(error):
            raise Conflict("The program was changed by someone else; read it again.", code="edit_conflict") from None
        raise
    return replace(program, **changed, updated_at=stamp, version=program.version + 1)
