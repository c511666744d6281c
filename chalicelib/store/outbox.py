"""The outbox: pending wallet updates and messages, written with the change they announce.

Delivery is claimed item by item: a runner (the minute schedule, the outbox stream, a retried Lambda)
first sets a lease on the item by a conditional write (its owner token, an expiry); another runner skips
a leased item until the lease has expired, and every later write of the runner (done, retry later,
park) is conditional on its lease still holding. A delivery that failed too often is parked under
`parked#<program_id>`, where admins see it with its reason and can put it back.
"""
from datetime import datetime

from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.store import db
from chalicelib.store.models import Card, OutboxItem

WALLET = "wallet"
PARKED = "parked#"


def pass_changed(card: Card, now: datetime) -> list[OutboxItem]:
    """The items announcing a card's new pass version (saved in the change's own transaction): an
    Apple push always (devices may be registered), a Google object update once the card has one."""
    items = [OutboxItem(WALLET, f"pass#{card.card_id}", card_id=card.card_id, program_id=card.program_id,
                        pass_version=int(card.pass_version), due_at=db.micros(now), attempts=0, created_at=db.iso(now))]
    if card.google_state in ("created", "saved"):
        items.append(OutboxItem(WALLET, f"google#{card.card_id}", card_id=card.card_id, program_id=card.program_id,
                                pass_version=int(card.pass_version), due_at=db.micros(now), attempts=0,
                                created_at=db.iso(now)))
    return items


def google_class_changed(program_id: str, now: datetime) -> OutboxItem:
    item = OutboxItem(WALLET, f"gclass#{program_id}", program_id=program_id, pass_version=db.micros(now),
                      due_at=db.micros(now), attempts=0, created_at=db.iso(now))
    item.save()
    return item


def refresh_program(program_id: str, now: datetime) -> OutboxItem:
    """Ask for every pass of a program to be marked changed and pushed (after a design change)."""
    item = OutboxItem(WALLET, f"refresh#{program_id}", program_id=program_id, pass_version=db.micros(now),
                      due_at=db.micros(now), attempts=0, created_at=db.iso(now))
    item.save()
    return item


def get(queue: str, item_key: str) -> OutboxItem | None:
    try:
        return OutboxItem.get(queue, item_key, consistent_read=True)
    except OutboxItem.DoesNotExist:
        return None


def due(now: datetime, limit: int = 500) -> list[OutboxItem]:
    """The items due by `now`, oldest first, at most `limit` (the next run takes the rest)."""
    return list(OutboxItem.by_due.query(WALLET, OutboxItem.due_at <= db.micros(now), limit=limit))


# --- claims ----------------------------------------------------------------------------------------

def _as_read(item: OutboxItem) -> Condition:
    """The item is still the one this runner read: same change, same number of attempts."""
    same: Condition = (OutboxItem.pass_version == int(item.pass_version)) & (OutboxItem.attempts == int(item.attempts))
    return same


def _held(item: OutboxItem, owner: str) -> Condition:
    held: Condition = (OutboxItem.pass_version == int(item.pass_version)) & (OutboxItem.lease_owner == owner)
    return held


def claim(item: OutboxItem, owner: str, now: datetime, lease_seconds: float) -> str | None:
    """Take the item for delivery, unless another runner holds an unexpired lease on it or it changed
    since it was read. Returns None when not taken, 'fresh', or 'taken_over' when an earlier runner's
    lease had expired (it may have died in the middle of a send)."""
    actions: list[Action] = [OutboxItem.lease_owner.set(owner),
               OutboxItem.lease_until.set(db.micros(now) + int(lease_seconds * 1_000_000))]
    for free, outcome in ((OutboxItem.lease_owner.does_not_exist(), "fresh"),
                          (OutboxItem.lease_until < db.micros(now), "taken_over")):
        try:
            item.update(actions=actions, condition=_as_read(item) & free)
            return outcome
        except UpdateError as error:
            if not db.is_condition_failure(error):
                raise
    return None


def done(item: OutboxItem, owner: str | None = None) -> bool:
    """Remove a delivered item unless a newer change replaced it meanwhile (that one still goes out),
    or (given the owner) another runner has taken it over."""
    condition = _held(item, owner) if owner else OutboxItem.pass_version == int(item.pass_version)
    try:
        item.delete(condition=condition)
        return True
    except DeleteError as error:
        if db.is_condition_failure(error):
            return False
        raise


def advance(item: OutboxItem, cursor: str, owner: str) -> None:
    """A long job's progress: the cursor moves on and the item is free for the next round."""
    _update_held(item, owner, [OutboxItem.cursor.set(cursor), OutboxItem.lease_owner.remove(),
                               OutboxItem.lease_until.remove()])


def retry_later(item: OutboxItem, owner: str, due_at: int, error: str) -> None:
    _update_held(item, owner, [OutboxItem.attempts.add(1), OutboxItem.due_at.set(due_at),
                               OutboxItem.last_error.set(error[:300]), OutboxItem.lease_owner.remove(),
                               OutboxItem.lease_until.remove()])


def _update_held(item: OutboxItem, owner: str, actions: list[Action]) -> None:
    try:
        item.update(actions=actions, condition=_held(item, owner))
    except UpdateError as failure:  # a newer change replaced it (that one is due now), or another runner took it
        if not db.is_condition_failure(failure):
            raise


def park(item: OutboxItem, owner: str, program_id: str, reason: str, now: datetime) -> bool:
    """Give up on the item: it moves to its program's parked items with the reason, in one transaction
    with its removal from the queue (only while this runner's claim holds)."""
    parked = OutboxItem(PARKED + program_id, item.item_key, card_id=item.card_id, program_id=program_id,
                        cursor=item.cursor, payload=item.payload, pass_version=int(item.pass_version),
                        due_at=int(item.due_at), attempts=int(item.attempts) + 1, last_error=reason[:300],
                        created_at=item.created_at, parked_at=db.iso(now))
    try:
        with db.transaction() as tx:
            tx.delete(item, condition=_held(item, owner))
            tx.save(parked)
        return True
    except TransactWriteError as error:
        if db.is_condition_failure(error):
            return False
        raise


def parked(program_id: str, limit: int, cursor: str | None = None) -> tuple[list[OutboxItem], str | None]:
    """A program's parked items (in key order), a page at a time."""
    start = {"queue": {"S": PARKED + program_id}, "item_key": {"S": cursor}} if cursor else None
    result = OutboxItem.query(PARKED + program_id, limit=limit, last_evaluated_key=start)
    items = list(result)
    last = result.last_evaluated_key
    return items, (last["item_key"]["S"] if last else None)


def unpark(program_id: str, item_key: str, now: datetime) -> OutboxItem | None:
    """Put a parked item back in the queue, due now with a fresh count of attempts. A newer item under
    the same key already waiting there covers it (the parked one is then just removed). None if no
    such parked item."""
    stored = get(PARKED + program_id, item_key)
    if stored is None:
        return None
    again = OutboxItem(WALLET, item_key, card_id=stored.card_id, program_id=program_id, cursor=stored.cursor,
                       payload=stored.payload, pass_version=int(stored.pass_version), due_at=db.micros(now),
                       attempts=0, last_error=stored.last_error, created_at=stored.created_at)
    for replace in (True, False):
        try:
            with db.transaction() as tx:
                tx.delete(stored, condition=OutboxItem.item_key.exists())
                if replace:
                    tx.save(again, condition=OutboxItem.item_key.does_not_exist())
            return again
        except TransactWriteError as error:
            if not db.is_condition_failure(error):
                raise
            if get(PARKED + program_id, item_key) is None:
                return None  # retried by someone else meanwhile
    return again
