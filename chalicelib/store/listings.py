"""A program's receipts and ledger page by page (the CSV exports), cards by their ids in one batch, and
cards whose holder's name matches (the console's customer search).

Each page is one bounded Query and comes with the opaque cursor of the next (store/pages.py), so a
caller walks any size of program in flat memory."""
from collections.abc import Callable, Sequence

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


NAME_SEARCH_BUDGET = 2000  # index items one name-search request reads at most (about 2 MB of projections)


def cards_by_name(program_id: str, matches: Callable[[str], bool], limit: int, cursor: str | None,
                  ) -> tuple[list[Card], str | None]:
    """Cards of a program whose holder's name `matches`, newest first. DynamoDB cannot compare names
    without regard to case or word order, so this walks the program's `by_program` index (which
    projects the name) and matches here; one call reads at most NAME_SEARCH_BUDGET index items and stops at
    `limit` matches, answering the cursor of the last item it read (None when the index is done), so a
    large program is searched page by page in bounded requests."""
    budget = NAME_SEARCH_BUDGET
    start = pages.decode(cursor, "program_id", program_id, "created_key", "card_id")
    result = Card.by_program.query(program_id, last_evaluated_key=start, scan_index_forward=False,
                                   page_size=min(budget, 500))
    found: list[Card] = []
    for read, card in enumerate(result, start=1):
        if matches(card.name or ""):
            found.append(card)
        if len(found) == limit or read == budget:
            key = {"created_key": {"S": card.created_key}, "card_id": {"S": card.card_id}}
            return found, pages.encode(key, "created_key", "card_id")
    return found, None


TILL_BUDGET = 1000  # receipts of the day one till listing reads at most (newest first)


def receipts_since(program_id: str, since: str, matches: Callable[[Receipt], bool], limit: int) -> list[Receipt]:
    """Receipts and refunds of a program created at or after `since` (a UTC ISO time), newest first, that
    `matches`: at most `limit` of them, from at most TILL_BUDGET read (the till page's today at a location)."""
    found: list[Receipt] = []
    result = Receipt.by_time.query(program_id, Receipt.created_key >= since, scan_index_forward=False,
                                   page_size=min(TILL_BUDGET, 200))
    for read, item in enumerate(result, start=1):
        if matches(item):
            found.append(item)
        if len(found) == limit or read == TILL_BUDGET:
            break
    return found
