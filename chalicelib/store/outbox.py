"""The outbox: pending wallet updates, written with the change they announce."""
from datetime import datetime

from pynamodb.exceptions import DeleteError

from chalicelib.store import db
from chalicelib.store.models import OutboxItem

WALLET = "wallet"


def pass_changed(card, now: datetime) -> list[OutboxItem]:
    """The items announcing a card's new pass version (saved in the change's own transaction): an
    Apple push always (devices may be registered), a Google object update once the card has one."""
    items = [OutboxItem(WALLET, f"pass#{card.card_id}", card_id=card.card_id, pass_version=int(card.pass_version),
                        due_at=db.micros(now), attempts=0, created_at=db.iso(now))]
    if card.google_state in ("created", "saved"):
        items.append(OutboxItem(WALLET, f"google#{card.card_id}", card_id=card.card_id,
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


def advance(item: OutboxItem, cursor: str) -> None:
    item.update(actions=[OutboxItem.cursor.set(cursor)])


def get(queue: str, item_key: str) -> OutboxItem | None:
    try:
        return OutboxItem.get(queue, item_key, consistent_read=True)
    except OutboxItem.DoesNotExist:
        return None


def due(now: datetime, limit: int = 500) -> list[OutboxItem]:
    """The items due by `now`, oldest first, at most `limit` (the next run takes the rest)."""
    return list(OutboxItem.by_due.query(WALLET, OutboxItem.due_at <= db.micros(now), limit=limit))


def done(item: OutboxItem) -> bool:
    """Remove a delivered item unless a newer change replaced it meanwhile (that one still goes out)."""
    try:
        item.delete(condition=OutboxItem.pass_version == int(item.pass_version))
        return True
    except DeleteError as error:
        if db.is_condition_failure(error):
            return False
        raise


def retry_later(item: OutboxItem, due_at: int, error: str) -> None:
    try:
        item.update(actions=[OutboxItem.attempts.add(1), OutboxItem.due_at.set(due_at),
                             OutboxItem.last_error.set(error[:300])],
                    condition=OutboxItem.pass_version == int(item.pass_version))
    except Exception as failure:  # a newer change replaced it: that one is due now anyway
        if not db.is_condition_failure(failure):
            raise
