"""POS keys of a program."""
from datetime import datetime

from chalicelib.errors import NotFound
from chalicelib.store import db, ids, pages
from chalicelib.store.models import PosKey


def create(*, program_id: str, merchant_id: str, secret_hash: str, label: str | None,  # noqa: PLR0913 (keywords)
           created_by: str | None, now: datetime, location_id: str | None = None) -> PosKey:
    """`location_id`: the location its receipts come from (None: the whole program)."""
    key_id = ids.new_id("pk")
    stamp = db.iso(now)
    key = PosKey(key_id, program_id=program_id, merchant_id=merchant_id, created_key=f"{stamp}#{key_id}",
                 secret_hash=secret_hash, label=label, created_at=stamp, created_by=created_by, location_id=location_id)
    key.save(condition=PosKey.key_id.does_not_exist())
    return key


def get(key_id: str) -> PosKey | None:
    try:
        return PosKey.get(key_id)
    except PosKey.DoesNotExist:
        return None


def list_for_program(program_id: str, limit: int, cursor: str | None) -> tuple[list[PosKey], str | None]:
    start = pages.decode(cursor, "program_id", program_id, "created_key", "key_id")
    result = PosKey.by_program.query(program_id, limit=limit, last_evaluated_key=start)
    items = list(result)
    return items, pages.encode(result.last_evaluated_key, "created_key", "key_id")


def revoke(program_id: str, key_id: str, now: datetime) -> PosKey:
    key = get(key_id)
    if key is None or key.program_id != program_id:
        raise NotFound("No such POS key.")
    if key.status != "revoked":
        key.update(actions=[PosKey.status.set("revoked"), PosKey.revoked_at.set(db.iso(now))])
    return key
