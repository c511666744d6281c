"""Programs and their slugs. A slug is unique across the platform (it is in printed QR codes) and
cannot change once created, so its alias is cached for the life of a warm container."""
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, ids, pages
from chalicelib.store.models import Alias, Program

_slug_cache: dict[str, str] = {}


def create(*, merchant_id: str, name: str, slug: str, timezone: str, currency: str, country: str,  # noqa: PLR0913
           mechanics: dict[str, Any], branding: dict[str, str], now: datetime,
           limits: dict[str, Any] | None = None) -> Program:
    program_id = ids.new_id("p")
    stamp = db.iso(now)
    program = Program(program_id, merchant_id=merchant_id, created_key=f"{stamp}#{program_id}", name=name,
                      slug=slug, timezone=timezone, currency=currency, country=country, mechanics=mechanics,
                      branding=branding, limits=limits, created_at=stamp, updated_at=stamp)
    alias = Alias(f"slug#{slug}", owner_id=program_id, created_at=stamp)
    try:
        with db.transaction() as tx:
            tx.save(alias, condition=Alias.alias.does_not_exist())
            tx.save(program, condition=Program.program_id.does_not_exist())
    except TransactWriteError as error:
        if db.is_condition_failure(error):
            raise Conflict("That slug is taken: choose another.", code="slug_taken", field="slug") from None
        raise
    program.version = 1
    return program


def get(program_id: str) -> Program | None:
    try:
        return Program.get(program_id)
    except Program.DoesNotExist:
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
    result = Program.by_merchant.query(merchant_id, limit=limit, last_evaluated_key=start)
    items = list(result)
    return items, pages.encode(result.last_evaluated_key, "created_key", "program_id")


def save_changes(program: Program, now: datetime) -> Program:
    """Write an edited program; a concurrent edit since it was read is a 409, not a lost update."""
    program.updated_at = db.iso(now)
    try:
        program.save()
    except Exception as error:  # PutError on the version condition
        if db.is_condition_failure(error):
            raise Conflict("The program was changed by someone else; read it again.", code="edit_conflict") from None
        raise
    return program
