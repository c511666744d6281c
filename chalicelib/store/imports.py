"""Imports of existing members: the upload, its parts, its checked rows in chunks, and the members' cards.

Kept in the `receipts` table under the program's partition (no new table), none with a `created_key`, so
the receipts' `by_time` index never lists them:
- `import#<id>`: the import (status, counters, who and when);
- `import#<id>#part#<nnnn>`: a part of the uploaded file as it came (at most ~190 KB each);
- `import#<id>#rows#<nnnn>`: a chunk of checked rows (members to create and the rows' problems) and, once
  worked, what became of each row;
- `importfile#<sha256 of the file>`: which import took this file, so a file uploaded again is that import.
A member is written like an enrolment (store/enrollment.insert: the card, its aliases, its `import`
ledger entry and lot in one transaction), under a card id derived from the file and the row, so that a
chunk worked twice finds its cards already there and writes nothing."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import BinaryAttribute, BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.models import Model

from chalicelib.store import cards as card_store
from chalicelib.store import db, models
from chalicelib.store import enrollment as enrollment_store
from chalicelib.store.models import Alias, Card

COUNTERS = ("imported", "already", "refused", "chunks_done")


class ImportItem(Model):
    Meta = models._meta("receipts")
    program_id = UnicodeAttribute(hash_key=True)
    receipt_key = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(default="import")
    import_id = UnicodeAttribute()
    status = UnicodeAttribute()  # uploading, checking, checked, running, done, failed
    start = BooleanAttribute(default=False)  # import once checked (not a dry run)
    file_format = UnicodeAttribute()
    filename = UnicodeAttribute(null=True)
    columns = JSONAttribute(default=dict)
    parts = NumberAttribute(default=0)
    size = NumberAttribute(default=0)
    file_hash = UnicodeAttribute(null=True)
    same_as = UnicodeAttribute(null=True)  # the import that already took this file
    rows = NumberAttribute(null=True)
    valid = NumberAttribute(null=True)
    problem_rows = NumberAttribute(null=True)
    chunks = NumberAttribute(null=True)
    chunks_done = NumberAttribute(null=True)
    imported = NumberAttribute(null=True)
    already = NumberAttribute(null=True)
    refused = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class PartItem(Model):
    Meta = models._meta("receipts")
    program_id = UnicodeAttribute(hash_key=True)
    receipt_key = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(default="import_part")
    content = BinaryAttribute(legacy_encoding=False)


class ChunkItem(Model):
    Meta = models._meta("receipts")
    program_id = UnicodeAttribute(hash_key=True)
    receipt_key = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(default="import_rows")
    members = JSONAttribute(default=list)
    problems = JSONAttribute(default=list)
    results = JSONAttribute(default=dict)  # row number (text) -> imported | already | <problem code>
    done = BooleanAttribute(default=False)


class FileItem(Model):
    Meta = models._meta("receipts")
    program_id = UnicodeAttribute(hash_key=True)
    receipt_key = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(default="import_file")
    import_id = UnicodeAttribute()


def key(import_id: str) -> str:
    return f"import#{import_id}"


def create(program_id: str, import_id: str, *, file_format: str, filename: str | None,  # noqa: PLR0913 (keywords)
           columns: dict[str, str], start: bool, created_by: str | None, now: datetime) -> ImportItem:
    item = ImportItem(program_id, key(import_id), import_id=import_id, status="uploading", start=start,
                      file_format=file_format, filename=filename, columns=columns, created_at=db.iso(now),
                      created_by=created_by, updated_at=db.iso(now))
    item.save(condition=ImportItem.receipt_key.does_not_exist())
    return item


def get(program_id: str, import_id: str) -> ImportItem | None:
    try:
        return ImportItem.get(program_id, key(import_id), consistent_read=True)
    except ImportItem.DoesNotExist:
        return None


def add_part(item: ImportItem, number: int, content: bytes, now: datetime) -> bool:
    """Store part `number` (the next one); False when it was stored already (a retried request)."""
    try:
        PartItem(item.program_id, f"{key(item.import_id)}#part#{number:04d}", content=content).save(
            condition=PartItem.receipt_key.does_not_exist())
    except PutError as error:
        if db.is_condition_failure(error):
            return False
        raise
    item.update(actions=[ImportItem.parts.add(1), ImportItem.size.add(len(content)),
                         ImportItem.updated_at.set(db.iso(now))])
    return True


def content(item: ImportItem) -> bytes:
    parts = PartItem.query(item.program_id, PartItem.receipt_key.startswith(f"{key(item.import_id)}#part#"))
    return b"".join(bytes(part.content) for part in parts)


def drop_parts(item: ImportItem) -> None:
    for part in PartItem.query(item.program_id, PartItem.receipt_key.startswith(f"{key(item.import_id)}#part#")):
        part.delete()


def claim_file(program_id: str, file_hash: str, import_id: str) -> str:
    """The import that takes this file: this one if it is the first, else the one that took it before."""
    try:
        FileItem(program_id, f"importfile#{file_hash}", import_id=import_id).save(
            condition=FileItem.receipt_key.does_not_exist())
        return import_id
    except PutError as error:
        if not db.is_condition_failure(error):
            raise
    return str(FileItem.get(program_id, f"importfile#{file_hash}", consistent_read=True).import_id)


def save_chunk(program_id: str, import_id: str, number: int, members: list[dict[str, Any]],
               problems: list[dict[str, Any]]) -> None:
    ChunkItem(program_id, f"{key(import_id)}#rows#{number:04d}", members=members, problems=problems).save()


def chunk(program_id: str, import_id: str, number: int) -> ChunkItem | None:
    try:
        return ChunkItem.get(program_id, f"{key(import_id)}#rows#{number:04d}", consistent_read=True)
    except ChunkItem.DoesNotExist:
        return None


def chunks(program_id: str, import_id: str) -> list[ChunkItem]:
    return list(ChunkItem.query(program_id, ChunkItem.receipt_key.startswith(f"{key(import_id)}#rows#")))


def save_results(item: ChunkItem, results: dict[str, str], done: bool) -> None:
    item.update(actions=[ChunkItem.results.set(results), ChunkItem.done.set(done)])


def set_fields(item: ImportItem, now: datetime, *, when_status: str | None = None, **fields: Any) -> bool:
    """Set fields of the import; with `when_status`, only if its status is still that (False if not)."""
    actions = [getattr(ImportItem, name).set(value) for name, value in fields.items()]
    condition = None if when_status is None else ImportItem.status == when_status
    try:
        item.update(actions=[*actions, ImportItem.updated_at.set(db.iso(now))], condition=condition)
    except UpdateError as error:
        if db.is_condition_failure(error):
            return False
        raise
    return True


def finish_chunk(chunk: ChunkItem, import_id: str, results: dict[str, str], now: datetime, **added: int) -> bool:
    """Mark the chunk done with its rows' outcomes and add them to the import's counters, in one transaction
    (a redelivered chunk cannot count twice, a crash cannot count none). False: it was done already."""
    target = ImportItem(chunk.program_id, key(import_id))
    try:
        with db.transaction() as tx:
            tx.update(chunk, actions=[ChunkItem.results.set(results), ChunkItem.done.set(True)],
                      condition=ChunkItem.done == False)  # noqa: E712 - a PynamoDB condition, not a comparison
            tx.update(target, actions=[*(getattr(ImportItem, name).add(value) for name, value in added.items()),
                                       ImportItem.updated_at.set(db.iso(now))])
    except TransactWriteError as error:
        if db.is_condition_failure(error):
            return False
        raise
    return True


def insert_member(newcomer: enrollment_store.Newcomer, import_id: str, spend: dict[str, int],  # noqa: PLR0913, PLR0917
                  first_tier: str, now: datetime, counts: dict[str, dict[str, int]]) -> Card:
    """A member's card with its `import` entry and lot, its aliases, its carried-over spend and the program's
    day `counts` (the imported points, which the outstanding points include): one transaction.
    Raises cards.AliasTaken (a phone, number or the card itself already there) or enrollment.Crowded."""
    card, entries = enrollment_store._items(newcomer, now)
    for entry in entries:
        entry.cause_type = "import"
        entry.cause_id = import_id
        entry.idempotency_key = f"import#{newcomer.card_id}"
    card_store.set_tier_key(card, first_tier)  # a tier above the first is reviewed like any other
    if spend:
        card.stats = {"spend": spend, "visits": {}, "receipts": 0, "revenue": sum(spend.values()),
                      "first_purchase_on": None, "last_purchase_on": None}
    try:
        return card_store.insert(card, entries, now, counts=counts)
    except TransactWriteError as error:
        if db.is_crowded(error):
            raise enrollment_store.Crowded(newcomer.program_id) from None
        raise


def taken(program_id: str, phones: list[str], numbers: list[str]) -> tuple[set[str], set[str]]:
    """Which of these phones (in this program) and card numbers already have a card: BatchGetItem of their
    aliases, 100 keys a request."""
    keys = [card_store.phone_alias(program_id, phone) for phone in phones]
    keys += [card_store.number_alias(number) for number in numbers]
    found = {alias.alias for alias in Alias.batch_get(keys)} if keys else set()
    return ({phone for phone in phones if card_store.phone_alias(program_id, phone) in found},
            {number for number in numbers if card_store.number_alias(number) in found})


def card_id_by_phone(program_id: str, phone: str) -> str | None:
    return card_store.card_id_by_phone(program_id, phone)


def card_id_by_number(number: str) -> str | None:
    return card_store.card_id_by_number(number)
