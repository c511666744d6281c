"""Moving a base in: upload a CSV or XLSX of members, check every row (the dry run), then import them in
the background through the jobs queue, each balance as an `import` ledger entry and lot.

1. Upload: one request holds a file of up to ~190 KB (its base64 fits the 256 KiB body limit: about 2,500
   rows of CSV); a bigger file comes in parts (`more: true`, then `.../parts`), stored as they come.
2. Check (the `import_check` task, or in the request for a one-part file): the file is read, every row is
   checked (core/imports.py), phones and card numbers are looked up among the program's members (BatchGetItem
   of their aliases), and the rows are stored checked, in chunks of 500. A file already imported into the
   program (the same bytes, by SHA-256) is that import again: nothing new happens.
3. Import (the `import_rows` tasks, one per chunk): each valid row becomes a card (store/imports.insert_member:
   card, aliases, `import` entry and lot, carried-over tier and spend, in one transaction) under a card id
   derived from the file and the row, so a chunk worked twice, or cut off and resumed, writes each member once.
The import's counters and every row's outcome are readable at any time, and as a CSV report."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypedDict

from chalicelib import log
from chalicelib.commands.imports import Upload
from chalicelib.core import card_number, clock, lots
from chalicelib.core import consents as consent_rules
from chalicelib.core import imports as rules
from chalicelib.core import mechanics as mech
from chalicelib.core.analytics import points_counts
from chalicelib.errors import AppError, Conflict, InvalidInput, NotFound
from chalicelib.queue import fanout
from chalicelib.queue.budget import UNLIMITED, Budget
from chalicelib.store import cards as card_store
from chalicelib.store import enrollment as enrollment_store
from chalicelib.store import ids
from chalicelib.store import imports as store
from chalicelib.store import programs as program_store
from chalicelib.store.imports import ImportItem
from chalicelib.store.records import Program

CHUNK_ROWS = 500
SHOWN_PROBLEMS = 100
_ATTEMPTS = 3


class ImportView(TypedDict, total=False):
    import_id: str
    status: str
    dry_run: bool
    filename: str | None
    format: str
    parts: int
    size: int
    rows: int | None
    valid: int | None
    problem_rows: int | None
    imported: int
    already: int
    refused: int
    chunks: int | None
    chunks_done: int
    same_as: str | None
    error: str | None
    created_at: str
    updated_at: str | None
    problems: list[dict[str, Any]]
    report_url: str


# --- the admin's side ---------------------------------------------------------------------------------

def upload(program: Program, command: Upload, dry_run: bool, actor: str | None, now: datetime) -> ImportView:
    """A new import with its first part; checked at once when it is the only part."""
    import_id = ids.new_id("im")
    item = store.create(program.program_id, import_id, file_format=command.file_format, filename=command.filename,
                        columns=dict(command.columns), start=not dry_run, created_by=actor, now=now)
    store.add_part(item, 1, command.content, now)
    log.info("import_uploaded", program_id=program.program_id, import_id=import_id, dry_run=dry_run,
             bytes=len(command.content), more=command.more)
    if not command.more:
        _finish_upload(program, item, now, in_place=True)
    return view(program, import_id)


def add_part(program: Program, import_id: str, command: Upload, now: datetime) -> ImportView:
    item = _import(program, import_id)
    if item.status != "uploading":
        raise Conflict("This import has all its parts already.", code="upload_finished")
    if command.part > int(item.parts or 0) + 1:
        raise InvalidInput(f"Send part {int(item.parts or 0) + 1} next.", code="part_out_of_order", field="part")
    store.add_part(item, command.part, command.content, now)  # a part sent again is stored once
    if not command.more:
        _finish_upload(program, store.get(program.program_id, import_id) or item, now, in_place=False)
    return view(program, import_id)


def _finish_upload(program: Program, item: ImportItem, now: datetime, *, in_place: bool) -> None:
    store.set_fields(item, now, status="checking")
    message = {"task": "import_check", "program_id": program.program_id, "import_id": item.import_id}
    if in_place:  # one part (~2,500 rows): well within the request's time
        work_check(message, UNLIMITED)
    else:
        fanout.send([message])


def start(program: Program, import_id: str, now: datetime) -> ImportView:
    """Import the checked rows (after a dry run). Starting again, or a running or finished import, changes nothing."""
    item = _import(program, import_id)
    if item.status == "checked":
        _start(item, now)
    elif item.status not in ("running", "done", "duplicate"):
        raise Conflict(f"The import is {item.status}; it can start once it is checked.", code="not_checked")
    return view(program, import_id)


def _start(item: ImportItem, now: datetime) -> None:
    if not store.set_fields(item, now, when_status="checked", status="running", chunks_done=0, imported=0,
                            already=0, refused=0):
        return  # started by another request at the same moment
    log.info("import_started", program_id=item.program_id, import_id=item.import_id, chunks=item.chunks)
    fanout.send([{"task": "import_rows", "program_id": item.program_id, "import_id": item.import_id, "chunk": n}
                 for n in range(int(item.chunks or 0))])


def _import(program: Program, import_id: str) -> ImportItem:
    item = store.get(program.program_id, import_id) if len(import_id) <= 64 else None
    if item is None:
        raise NotFound("No such import.", code="not_found", field="import_id")
    return item


def view(program: Program, import_id: str, with_problems: bool = True) -> ImportView:
    item = _import(program, import_id)
    answer: ImportView = {
        "import_id": item.import_id, "status": item.status, "dry_run": not item.start, "filename": item.filename,
        "format": item.file_format, "parts": int(item.parts or 0), "size": int(item.size or 0),
        "rows": _int(item.rows), "valid": _int(item.valid), "problem_rows": _int(item.problem_rows),
        "imported": int(item.imported or 0), "already": int(item.already or 0), "refused": int(item.refused or 0),
        "chunks": _int(item.chunks), "chunks_done": int(item.chunks_done or 0), "same_as": item.same_as,
        "error": item.error, "created_at": item.created_at, "updated_at": item.updated_at,
        "report_url": f"/admin/programs/{program.program_id}/imports/{item.import_id}?format=csv",
    }
    if with_problems and item.status in ("checked", "running", "done"):
        problems: list[dict[str, Any]] = []
        for chunk in store.chunks(program.program_id, item.import_id):
            problems.extend(chunk.problems)
            if len(problems) >= SHOWN_PROBLEMS:
                break
        answer["problems"] = problems[:SHOWN_PROBLEMS]
    return answer


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def report_csv(program: Program, import_id: str) -> str:
    """Every row's outcome: imported, already (this file imported it before), or its problem."""
    item = _import(program, import_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "outcome", "field", "message", "card_id"])
    for chunk in store.chunks(program.program_id, item.import_id):
        lines: list[tuple[int, list[str]]] = []
        for problem in chunk.problems:
            lines.append((int(problem["row"]), [problem["code"], problem.get("field") or "", problem["message"], ""]))
        for member in chunk.members:
            row = int(member["row"])
            outcome = chunk.results.get(str(row), "pending" if item.start else "checked")
            card_id = member_card_id(program.program_id, str(item.file_hash), row) if outcome in (
                "imported", "already") else ""
            lines.append((row, [outcome, "", "", card_id]))
        for row, cells in sorted(lines, key=lambda line: line[0]):
            writer.writerow([row, *cells])
    return out.getvalue()


def imported_card_ids(program: Program, import_id: str) -> list[str]:
    """The cards this import made (to send them their links)."""
    item = _import(program, import_id)
    return [member_card_id(program.program_id, str(item.file_hash), int(member["row"]))
            for chunk in store.chunks(program.program_id, item.import_id) for member in chunk.members
            if chunk.results.get(str(member["row"])) in ("imported", "already")]


# --- the queue's side: checking ---------------------------------------------------------------------------

def work_check(message: dict[str, Any], budget: Budget) -> dict[str, int]:
    """The `import_check` task: read the uploaded file, check every row, store the rows in chunks."""
    program = program_store.get(str(message["program_id"]))
    item = store.get(str(message["program_id"]), str(message["import_id"])) if program else None
    if program is None or item is None or item.status != "checking":
        return {"skipped": 1}
    now = datetime.now(UTC)
    content = store.content(item)
    file_hash = hashlib.sha256(content).hexdigest()
    owner = store.claim_file(program.program_id, file_hash, item.import_id)
    if owner != item.import_id:
        store.set_fields(item, now, status="duplicate", same_as=owner, file_hash=file_hash)
        store.drop_parts(item)
        log.info("import_same_file", program_id=program.program_id, import_id=item.import_id, same_as=owner)
        return {"duplicate": 1}
    try:
        members, problems, rows = check(program, content, item.file_format, dict(item.columns), now)
    except AppError as refused:
        store.set_fields(item, now, status="failed", error=f"{refused.code}: {refused.message}", file_hash=file_hash)
        return {"failed": 1}
    problem_rows = len({problem.row for problem in problems})
    chunk_count = max(1, -(-(rows + 1) // CHUNK_ROWS))
    by_chunk: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
        n: ([], []) for n in range(chunk_count)}
    for member in members:
        by_chunk[(member.row - 2) // CHUNK_ROWS][0].append(member.to_json())
    for problem in problems:
        by_chunk[(problem.row - 2) // CHUNK_ROWS][1].append(problem.to_json())
    for number, (chunk_members, chunk_problems) in by_chunk.items():
        store.save_chunk(program.program_id, item.import_id, number, chunk_members, chunk_problems)
    store.set_fields(item, now, status="checked", file_hash=file_hash, rows=rows, valid=len(members),
                     problem_rows=problem_rows, chunks=chunk_count)
    store.drop_parts(item)
    log.info("import_checked", program_id=program.program_id, import_id=item.import_id, rows=rows,
             valid=len(members), problem_rows=problem_rows)
    if item.start:
        _start(store.get(program.program_id, item.import_id) or item, now)
    return {"rows": rows}


def check(program: Program, content: bytes, file_format: str, names: dict[str, str],
          now: datetime) -> tuple[list[rules.Member], list[rules.Problem], int]:
    """Every row checked: the members to create, every problem (with its row), and the number of rows."""
    table = rules.read_table(content, file_format)
    where = rules.columns(table[0], names)
    mechanics = mech.from_stored(program.mechanics)
    tiers = tuple((tier.id, tier.name) for tier in mechanics.tiers)
    today = clock.local_day(now, program.timezone)
    duplicates = rules.Duplicates()
    members: list[rules.Member] = []
    problems: list[rules.Problem] = []
    for number, row in enumerate(table[1:], start=2):
        member, found = rules.check_row(number, row, where, country=program.country, tiers=tiers, today=today)
        if member is not None:
            found = duplicates.check(member)
        if found:
            problems.extend(found)
        elif member is not None:
            members.append(member)
    checked: list[rules.Member] = []
    for start_at in range(0, len(members), 1000):
        batch = members[start_at:start_at + 1000]
        phones, numbers = store.taken(program.program_id, [m.phone for m in batch],
                                      [m.card_number for m in batch if m.card_number])
        for member in batch:
            if member.phone in phones:
                problems.append(rules.Problem(member.row, "phone", "already_member",
                                              "This phone already has a card in the program."))
            elif member.card_number in numbers:
                problems.append(rules.Problem(member.row, "card_number", "card_number_taken",
                                              "This card number is already a card's."))
            else:
                checked.append(member)
    return checked, sorted(problems, key=lambda p: p.row), len(table) - 1


# --- the queue's side: importing ----------------------------------------------------------------------------

def member_card_id(program_id: str, file_hash: str, row: int) -> str:
    """The card id of a file's row: the same every time the row is worked, so it is created once."""
    digest = hashlib.sha256(f"{program_id}|{file_hash}|{row}".encode()).digest()
    return "c_" + base64.urlsafe_b64encode(digest).decode()[:22]


def work_rows(message: dict[str, Any], budget: Budget) -> dict[str, int]:
    """The `import_rows` task: create one chunk's members. Cut short by the budget, it hands itself back to
    the queue; done rows are kept on the chunk, and a row done twice finds its card and counts as done."""
    program_id, import_id, number = str(message["program_id"]), str(message["import_id"]), int(message["chunk"])
    program = program_store.get(program_id)
    item = store.get(program_id, import_id) if program else None
    chunk = store.chunk(program_id, import_id, number) if item else None
    if program is None or item is None or chunk is None or chunk.done or item.status != "running":
        return {"skipped": 1}
    now = datetime.now(UTC)
    mechanics = mech.from_stored(program.mechanics)
    today = clock.local_day(now, program.timezone)
    results: dict[str, str] = dict(chunk.results)
    for raw in chunk.members:
        member = rules.Member.from_json(raw)
        if str(member.row) in results:
            continue
        if budget.spent():
            store.save_results(chunk, results, done=False)
            fanout.send([message])
            return {"handed_back": 1}
        results[str(member.row)] = _create(program, mechanics, str(item.file_hash), import_id, member, today, now)
    outcomes = list(results.values())
    imported, already = outcomes.count("imported"), outcomes.count("already")
    if not store.finish_chunk(chunk, import_id, results, now, imported=imported, already=already,
                              refused=len(outcomes) - imported - already, chunks_done=1):
        return {"skipped": 1}
    current = store.get(program_id, import_id)
    if current is not None and int(current.chunks_done or 0) >= int(current.chunks or 0):
        store.set_fields(current, now, status="done")
        log.info("import_done", program_id=program_id, import_id=import_id, imported=current.imported)
    return {"imported": imported, "already": already}


def _create(program: Program, mechanics: mech.Mechanics, file_hash: str, import_id: str,  # noqa: PLR0913, PLR0917
            member: rules.Member, today: Any, now: datetime) -> str:
    card_id = member_card_id(program.program_id, file_hash, member.row)
    newcomer = _newcomer(program, mechanics, card_id, member, today)
    # the terms were agreed to where the owner's list came from: the record says so (no marketing consent)
    newcomer = replace(newcomer, consent_records=(
        consent_rules.record("terms", None, consent_rules.imported_text(newcomer.locale), now, "import"),))
    for _ in range(_ATTEMPTS):
        try:
            counts = {today.isoformat(): points_counts(newcomer.bonuses)} if newcomer.bonuses else {}
            store.insert_member(newcomer, import_id, {today.isoformat(): member.spend} if member.spend else {},
                                mechanics.tiers[0].id, now, counts)
            return "imported"
        except card_store.AliasTaken as taken:
            if taken.alias.startswith("phone#"):
                owner = store.card_id_by_phone(program.program_id, member.phone)
                return "already" if owner == card_id else "already_member"
            if taken.alias.startswith("number#"):
                if member.card_number:
                    return "card_number_taken"
                newcomer = replace(newcomer, number=_new_number())
            else:  # a referral code met another: draw again
                newcomer = replace(newcomer, ref_code=ids.new_ref_code())
        except enrollment_store.Crowded:
            continue
    return "try_again"


def _new_number() -> str:
    return card_number.from_random(ids.random_digits(card_number.LENGTH - 1))


def _newcomer(program: Program, mechanics: mech.Mechanics, card_id: str, member: rules.Member,
              today: Any) -> enrollment_store.Newcomer:
    new_lots: tuple[lots.Lot, ...] = ()
    entries: tuple[enrollment_store.BonusEntry, ...] = ()
    if member.balance:
        lot = lots.accrue(mechanics, lot_id=f"{card_id[-6:]}i", source="import", points=member.balance, today=today,
                          ref="import")
        if member.expires_on:
            lot = replace(lot, expires_on=member.expires_on)
        new_lots = (lot,)
        entries = (enrollment_store.BonusEntry("import", member.balance, member.balance, kind="import"),)
    return enrollment_store.Newcomer(
        card_id=card_id, program_id=program.program_id, merchant_id=program.merchant_id,
        number=member.card_number or _new_number(), name=member.name, phone=member.phone, email=member.email,
        birthday=member.birthday, locale="ru" if program.country in ("RU", "BY", "KZ") else "en",
        email_consent=False, ref_code=ids.new_ref_code(), referred_by=None, access_key=ids.new_secret(16),
        auth_token=ids.new_secret(24), tier=member.tier or mechanics.tiers[0].id, lots=new_lots, bonuses=entries)
