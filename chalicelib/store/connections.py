"""Connections of a program to an outside system that calls us with a bearer token of ours (MoySklad's
LoyaltyAPI sends it in `Lognex-Discount-API-Auth-Token`). Only SHA-256 of the token is stored, as for POS
keys; the connection id is in the base URL the system calls, so a request finds its connection with one
GetItem and compares the token's hash in constant time (usecases/moysklad.authenticate).

Table `connections` (store/models.Connection: key connection_id; index by_program (program_id, created_key))."""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PutError

from chalicelib.errors import NotFound
from chalicelib.store import db, ids, pages
from chalicelib.store.models import Alias, Connection

__all__ = ["Connection", "create", "get", "list_for_program", "remember_customer", "remembered_customer", "revoke"]


def create(*, provider: str, program_id: str, merchant_id: str, token_hash: str,  # noqa: PLR0913 (keywords)
           label: str | None, verify_spending: bool, created_by: str | None, now: datetime,
           location_id: str | None = None) -> Connection:
    """`location_id`: the location its receipts come from (None: the whole program)."""
    connection_id = ids.new_id("ms" if provider == "moysklad" else "cn")
    stamp = db.iso(now)
    item = Connection(connection_id, provider=provider, program_id=program_id, merchant_id=merchant_id,
                      created_key=f"{stamp}#{connection_id}", token_hash=token_hash, label=label,
                      verify_spending="yes" if verify_spending else "no", created_at=stamp, created_by=created_by,
                      location_id=location_id)
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


# --- MoySklad's customer ids ---------------------------------------------------------------------------
# MoySklad names a customer by its own counterparty id (`meta.id`) and sends the card number and phone only
# "for information" (they may be left out). The first time a request names a card both ways, the pair is kept
# as an alias item `msagent#<program>#<MoySklad id>` -> card id (written once, never changed, like the other
# aliases), so a later request that brings only MoySklad's id still finds the card. The card's own slots
# `msagentof#<card id>#<n>` -> MoySklad id (n < AGENT_IDS_PER_CARD, taken first) let an erasure find and remove
# them (store/erasure.py): MoySklad's id must not lead back to an erased member, nor keep its new card unfound.
AGENT_IDS_PER_CARD = 4  # MoySklad's ids remembered for one card (one per counterparty: rarely more than one)


def _agent_alias(program_id: str, moysklad_id: str) -> str:
    return f"msagent#{program_id}#{moysklad_id}"


def agent_slots(card_id: str) -> list[str]:
    """The keys of the card's slots naming the MoySklad ids remembered for it."""
    return [f"msagentof#{card_id}#{slot}" for slot in range(AGENT_IDS_PER_CARD)]


def agent_alias_of(slot: Alias) -> str:
    """The `msagent#` alias a card's slot names."""
    return _agent_alias(str(slot.program_id), slot.owner_id)


def _claim(key: str, owner_id: str, program_id: str, now: datetime) -> bool:
    try:
        Alias(key, owner_id=owner_id, program_id=program_id, created_at=db.iso(now)).save(
            condition=Alias.alias.does_not_exist())
    except PutError as error:
        if not db.is_condition_failure(error):
            raise
        return False
    return True


def remember_customer(program_id: str, moysklad_id: str, card_id: str, now: datetime) -> None:
    """Remember MoySklad's id for the card, in a free slot of the card first (none free: not remembered; the
    till then names the card by its number or phone, as it may anyway)."""
    alias = _agent_alias(program_id, moysklad_id)
    for slot in agent_slots(card_id):
        try:
            if Alias.get(slot).owner_id == moysklad_id:
                break  # this id's slot is there (an earlier try whose alias was not written)
        except Alias.DoesNotExist:
            if _claim(slot, moysklad_id, program_id, now):
                break
    else:
        return
    _claim(alias, card_id, program_id, now)


def remembered_customer(program_id: str, moysklad_id: str) -> str | None:
    try:
        return Alias.get(_agent_alias(program_id, moysklad_id)).owner_id
    except Alias.DoesNotExist:
        return None
