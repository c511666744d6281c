"""CSV exports of a program's cards (with segment and RFM), receipts and ledger, a page at a time.

A Lambda behind API Gateway answers with at most 6 MB and cannot stream, so an export is a chain of
pages: each answer carries up to PAGE_ROWS rows and the cursor of the next page (the X-Next-Cursor
and Link headers); the admin page follows the chain and saves one file. Each page costs one bounded
Query, so memory stays flat however large the program. Every text cell that a spreadsheet could take
for a formula (it starts, perhaps after spaces, with =, +, -, @, a tab or a carriage return, or their
fullwidth and small forms) is defused with a leading apostrophe: names and reasons people typed, but
also receipt ids a POS chose (`-1+2`), phones (`+7…`, which Excel would otherwise turn into a number).
"""
import csv
import io
from datetime import datetime

from chalicelib.core import clock
from chalicelib.core import locations as places
from chalicelib.store import cards as card_store
from chalicelib.store import listings
from chalicelib.store import staff as staff_store
from chalicelib.store.records import Program
from chalicelib.usecases import analytics

PAGE_ROWS = 2000
KINDS = ("cards", "receipts", "ledger")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r",
                  "\uff1d", "\uff0b", "\uff0d", "\uff20",  # fullwidth = + - @
                  "\ufe66", "\ufe62", "\ufe63", "\ufe6b")  # small = + - @

CARD_COLUMNS = ("id", "number", "name", "tier", "status", "balance", "joined_on", "receipts", "revenue",
                "last_purchase_on", "lifecycle", "rfm", "rfm_segment")
CONTACT_COLUMNS = ("phone", "email", "birthday")
# its home location (core/locations.py; the name from the program item): last, so no older column moves
HOME_COLUMNS = ("home_location", "home_location_name")
RECEIPT_COLUMNS = ("kind", "id", "business_day", "created_at", "card_id", "total", "earned", "redeemed",
                   "refunded_amount", "points_reversed", "points_returned",
                   "location_id", "actor",  # where it was sold (a refund: its sale's), and the cashier's staff id
                   "actor_email")  # that staff member's e-mail (empty: a POS system, or no longer on the staff)
LEDGER_COLUMNS = ("at", "card_id", "kind", "source", "amount", "balance_after", "cause_type", "cause_id", "actor",
                  "reason")


def cell(value: object) -> object:
    """A value for a spreadsheet: text that would start a formula gets a leading apostrophe; numbers
    (a negative amount is -500, not text) stay numbers."""
    if isinstance(value, str) and (value.startswith(_FORMULA_START) or value.lstrip().startswith(_FORMULA_START)):
        return "'" + value
    return "" if value is None else value


def _csv(columns: tuple[str, ...], rows: list[dict[str, object]], header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in columns])
    return out.getvalue()


def table(columns: tuple[str, ...], rows: list[dict[str, object]], header: bool) -> str:
    """CSV text of `rows` (with the header row when `header`), cells defused as above: for other pages of
    CSV (an experiment's export, api/experiments.py)."""
    return _csv(columns, rows, header)


def page(program: Program, kind: str, cursor: str | None, now: datetime, contacts: bool) -> tuple[str, str | None]:
    """(CSV text of one page, the next page's cursor). The first page starts with the header row."""
    if kind == "cards":
        return _cards(program, cursor, now, contacts)
    if kind == "receipts":
        return _receipts(program, cursor)
    return _ledger(program, cursor)


def _cards(program: Program, cursor: str | None, now: datetime, contacts: bool) -> tuple[str, str | None]:
    today = clock.local_day(now, program.timezone)
    cuts = analytics.thresholds(program, now)
    cards, next_cursor = card_store.list_for_program(program.program_id, PAGE_ROWS, cursor)
    columns = CARD_COLUMNS + (CONTACT_COLUMNS if contacts else ()) + HOME_COLUMNS
    full = {}
    if contacts and cards:  # the index holds no contacts: fetch the page's cards whole
        full = {card.card_id: card for card in listings.cards_by_ids([card.card_id for card in cards])}
    names = {location.location_id: location.name for location in places.from_stored(program.locations)}
    rows = []
    for card in cards:
        row: dict[str, object] = dict(analytics.card_row(
            card, program.timezone, analytics.classify(analytics.member_of(card, program.timezone), today, cuts)))
        row["home_location_name"] = names.get(str(row["home_location"])) if row["home_location"] else None
        if contacts:
            whole = full.get(card.card_id)
            row.update(phone=whole.phone if whole else None, email=whole.email if whole else None,
                       birthday=whole.birthday if whole else None)
        rows.append(row)
    return _csv(columns, rows, cursor is None), next_cursor


def _receipts(program: Program, cursor: str | None) -> tuple[str, str | None]:
    receipts, next_cursor = listings.receipts_page(program.program_id, PAGE_ROWS, cursor)
    emails: dict[str, str] = {}
    if any(receipt.actor for receipt in receipts):  # one Query of the merchant's staff a page, only when needed
        emails = {member.staff_id: member.email for member in staff_store.list_for_merchant(program.merchant_id)}
    rows: list[dict[str, object]] = []
    for receipt in receipts:
        kind, _, own_id = receipt.receipt_key.partition("#")
        rows.append({"kind": kind, "id": own_id, "business_day": receipt.business_day,
                     "created_at": receipt.created_at, "card_id": receipt.card_id, "total": int(receipt.total),
                     "earned": int(receipt.earned), "redeemed": int(receipt.redeemed),
                     "refunded_amount": int(receipt.refunded_amount), "points_reversed": int(receipt.points_reversed),
                     "points_returned": int(receipt.points_returned), "location_id": receipt.location_id,
                     "actor": receipt.actor, "actor_email": emails.get(receipt.actor) if receipt.actor else None})
    return _csv(RECEIPT_COLUMNS, rows, cursor is None), next_cursor


def _ledger(program: Program, cursor: str | None) -> tuple[str, str | None]:
    entries, next_cursor = listings.ledger_page(program.program_id, PAGE_ROWS, cursor)
    rows: list[dict[str, object]] = [
        {"at": entry.created_at, "card_id": entry.card_id, "kind": entry.kind, "source": entry.source,
             "amount": int(entry.amount), "balance_after": int(entry.balance_after), "cause_type": entry.cause_type,
             "cause_id": entry.cause_id, "actor": entry.actor, "reason": entry.reason} for entry in entries]
    return _csv(LEDGER_COLUMNS, rows, cursor is None), next_cursor
