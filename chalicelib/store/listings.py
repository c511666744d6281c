"""A program's receipts and ledger page by page (the CSV exports), and cards by their ids in one batch.

Each page is one bounded Query and comes with the opaque cursor of the next (store/pages.py), so a
caller walks any size of program in flat memory."""
from collections.abc import Sequence

from chalicelib.store import pages
from chalicelib.store.models import Card, LedgerEntry, Receipt


def cards_by_ids(card_ids: Sequence[str]) -> list[Card]:
    """The cards that exist among `card_ids` (BatchGetItem), in no particular order."""
    return list(Card.batch_get(list(card_ids))) if card_ids else []


def receipts_page(program_id: str, limit: int, cursor: str | None) -> tuple[list[Receipt], str | None]:
    """Receipts and refunds of a program, oldest first."""
    start = pages.decode(cursor, "program_id", program_id, "created_key", "receipt_key")
    result = Receipt.by_time.query(program_id, limit=limit, last_evaluated_key=start)
    items = list(result)
    return items, pages.encode(result.last_evaluated_key, "created_key", "receipt_key")


def ledger_page(program_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
    """Ledger entries of every card of a program, oldest first."""
    start = pages.decode(cursor, "program_id", program_id, "entry_key", "card_id")
    result = LedgerEntry.by_program.query(program_id, limit=limit, last_evaluated_key=start)
    items = list(result)
    return items, pages.encode(result.last_evaluated_key, "entry_key", "card_id")
