"""Connections of a program to an outside system that calls us with a bearer token of ours (MoySklad's
LoyaltyAPI sends it in `Lognex-Discount-API-Auth-Token`). Only SHA-256 of the token is stored, as for POS
keys; the connection id is in the base URL the system calls, so a request finds its connection with one
GetItem and compares the token's hash in constant time (usecases/moysklad.authenticate).

Table `connections` (store/models.Connection: key connection_id; index by_program (program_id, created_key))."""
from __future__ import annotations

from datetime import datetime

from chalicelib.errors import NotFound
from chalicelib.store import db, ids, pages
from chalicelib.store.models import Connection

__all__ = ["Connection", "create", "get", "list_for_program", "revoke"]


def create(*, provider: str, program_id: str, merchant_id: str, token_hash: str,  # noqa: PLR0913 (keywords)
           label: str | None, verify_spending: bool, created_by: str | None, now: datetime) -> Connection:
    connection_id = ids.new_id("ms" if provider == "moysklad" else "cn")
    stamp = db.iso(now)
    item = Connection(connection_id, provider=provider, program_id=program_id, merchant_id=merchant_id,
                      created_key=f"{stamp}#{connection_id}", token_hash=token_hash, label=label,
                      verify_spending="yes" if verify_spending else "no", created_at=stamp, created_by=created_by)
    item.save(condition=Connection.connection_id.does_not_exist())
    return item


def get(connection_id: str) -> Connection | None:
    try:
        return Connection.get(connection_id)
    except Connection.DoesNotExist:
        return None


def list_for_program(program_id: str, provider: str, limit: int,
                     cursor: str | None) -> tuple[list[Connection], str | None]:
    start = pages.decode(cursor, "program_id", program_id, "created_key", "connection_id")
    result = Connection.by_program.query(program_id, limit=limit, last_evaluated_key=start,
                                         filter_condition=Connection.provider == provider)
    items = list(result)
    return items, pages.encode(result.last_evaluated_key, "created_key", "connection_id")


def revoke(program_id: str, provider: str, connection_id: str, now: datetime) -> Connection:
    item = get(connection_id)
    if item is None or item.program_id != program_id or item.provider != provider:
        raise NotFound("No such connection.", code="connection_not_found")
    if item.status != "revoked":
        item.update(actions=[Connection.status.set("revoked"), Connection.revoked_at.set(db.iso(now))])
    return item
