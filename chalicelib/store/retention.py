"""What the retention job reads and deletes (jobs/retention.py), always through an index keyed by what is
due, never a scan of cards or messages:
- the members whose last purchase was on a day: Card.by_last_visit (program#day), page by page;
- the members who never bought and joined in a span of time: Card.by_program (created_key starts with the
  UTC time of joining), filtered to no purchase;
- a program's message records older than a time: Message.by_program (message_key starts with created_at);
- a program's parked outbox items (deliveries given up on) older than a time.
And the job's progress through them, kept on the program item (`retention_progress`): the last day and
joining time done, a page cursor within them, and the cards of a batch being erased (so that a run cut off
mid-batch records those erasures when the next run starts)."""
from collections.abc import Sequence
from typing import Any

from chalicelib.store.models import Card, Message, OutboxItem
from chalicelib.store.models import Program as ProgramItem
from chalicelib.store.outbox import PARKED

Cursor = dict[str, Any] | None  # an index's last evaluated key, plain JSON
# What the job needs of a card to decide whether it is still due (a consistent read, a page at a time).
DUE_FIELDS = ["card_id", "program_id", "merchant_id", "status", "erased_at", "last_visit_on", "created_at"]


def progress(program_id: str) -> dict[str, Any]:
    """The job's progress through the program's members ({} before its first run): one consistent GetItem
    of the one attribute."""
    try:
        item = ProgramItem.get(program_id, consistent_read=True, attributes_to_get=["program_id",
                                                                                    "retention_progress"])
    except ProgramItem.DoesNotExist:
        return {}
    return dict(item.retention_progress or {})


def save_progress(program_id: str, value: dict[str, Any]) -> None:
    """Write the job's progress (one UpdateItem of that attribute alone: the program's settings, their
    version and `updated_at` stay as they are, so an owner's edit at the same moment is never refused)."""
    connection = ProgramItem._get_connection()
    connection.update_item(program_id, actions=[ProgramItem.retention_progress.set(value)],
                           condition=ProgramItem.program_id.exists())


def last_visited_on(program_id: str, day: str, cursor: Cursor, limit: int) -> tuple[list[str], Cursor]:
    """Ids of the cards not erased whose last purchase was on `day`, a page of at most `limit` (read from
    the index; the filter keeps erased cards out of the answer, not out of the read)."""
    result = Card.by_last_visit.query(f"{program_id}#{day}", filter_condition=_not_erased(), limit=limit,
                                      last_evaluated_key=cursor or None,
                                      attributes_to_get=["card_id", "last_visit_key"])  # a page's end needs its keys
    return [card.card_id for card in result], result.last_evaluated_key or None


def joined_without_purchase(program_id: str, after: str | None, before: str, cursor: Cursor,
                            limit: int) -> tuple[list[str], Cursor]:
    """Ids of the cards not erased that never bought and joined from `after` (a created_key, inclusive;
    None: the first) to `before` (a UTC time: joined earlier), a page of at most `limit` read from the index."""
    span = Card.created_key <= before if after is None else Card.created_key.between(after, before)
    no_purchase = Card.last_visit_on.does_not_exist() & (Card.status != "erased")
    result = Card.by_program.query(program_id, span, filter_condition=no_purchase, limit=limit,
                                   last_evaluated_key=cursor or None,
                                   attributes_to_get=["card_id", "program_id", "created_key"])
    return [card.card_id for card in result], result.last_evaluated_key or None


def cards(card_ids: Sequence[str]) -> list[Card]:
    """The cards as they are now (consistent reads, BatchGetItem of 100 at a time), only DUE_FIELDS."""
    if not card_ids:
        return []
    return list(Card.batch_get(list(dict.fromkeys(card_ids)), consistent_read=True, attributes_to_get=DUE_FIELDS))


def _not_erased() -> Any:
    return Card.erased_at.does_not_exist() & (Card.status != "erased")


def old_messages(program_id: str, before: str, cursor: Cursor, limit: int) -> tuple[list[tuple[str, str]], Cursor]:
    """Keys (card_id, message_key) of the program's message records made before `before` (UTC ISO), a page."""
    result = Message.by_program.query(program_id, Message.message_key < before, limit=limit,
                                      last_evaluated_key=cursor or None)
    return [(item.card_id, item.message_key) for item in result], result.last_evaluated_key or None


def delete_messages(keys: Sequence[tuple[str, str]]) -> None:
    """Delete message records (BatchWriteItem, 25 to a request; deleting one already gone changes nothing)."""
    with Message.batch_write() as batch:
        for card_id, message_key in keys:
            batch.delete(Message(card_id, message_key))


def old_parked(program_id: str, before: str, cursor: Cursor, limit: int) -> tuple[list[str], Cursor]:
    """Item keys of the program's parked outbox items (deliveries given up on, which may hold a message and
    its address) parked before `before`. A program has few: its partition is read whole, a page at a time."""
    result = OutboxItem.query(PARKED + program_id, filter_condition=OutboxItem.parked_at < before, limit=limit,
                              last_evaluated_key=cursor or None, attributes_to_get=["queue", "item_key"])
    return [item.item_key for item in result], result.last_evaluated_key or None


def delete_parked(program_id: str, item_keys: Sequence[str]) -> None:
    with OutboxItem.batch_write() as batch:
        for item_key in item_keys:
            batch.delete(OutboxItem(PARKED + program_id, item_key))
