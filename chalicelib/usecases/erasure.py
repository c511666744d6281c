"""Erasing a member (issue 19): every personal field of one card removed or irreversibly
anonymised in every table and index, the Apple pass voided and the Google object expired, while the
amounts and dates the business must keep, and the ledger's arithmetic, stay with no way back to the person.

The order matters: the sweeps (aliases, guards, messages, outbox, ledger reasons, receipts, survey comments,
experiment assignments, import rows) compute their keys from the card's phone, number and e-mail, so the card
itself is sealed last, in one transaction with the pass update that voids the wallet cards. An erasure cut
short is finished by the next call (each sweep is idempotent); a sealed card answers its stored report.
The Apple devices are told through the outbox (store/outbox.py): the push goes to their tokens, which are then
blanked (jobs/outbox.py); each registration goes when its device has been told or unregisters.
"""
from datetime import datetime
from typing import TypedDict

from chalicelib import log
from chalicelib.channels import registry as channels
from chalicelib.core import consents as consent_rules
from chalicelib.errors import Conflict, RuleViolation
from chalicelib.store import erasure as store
from chalicelib.store.records import Card
from chalicelib.usecases import audit, imports
from chalicelib.usecases import cards as card_views

ERASED = store.ERASED
MAX_CONFIRM = 64


class ErasureAnswer(TypedDict):
    card_id: str
    status: str
    erased_at: str | None
    removed: dict[str, int]


def is_erased(card: Card) -> bool:
    return card.status == ERASED


def check_confirm(card: Card, confirm: str | None) -> None:
    """The owner typed the card's number (spaces and dashes aside; anything for an erased card), else 422
    confirm_mismatch."""
    if is_erased(card):
        return
    if confirm is None:
        raise RuleViolation("Type the card's number in `confirm` to erase its member.", code="confirm_mismatch",
                           field="confirm")
    typed = "".join(ch for ch in confirm if ch.isalnum())
    if not typed or typed != "".join(ch for ch in card.number if ch.isalnum()):
        raise RuleViolation("`confirm` is not this card's number.", code="confirm_mismatch", field="confirm")


def answer(card: Card) -> ErasureAnswer:
    removed = card.erasure if isinstance(card.erasure, dict) else {}
    return {"card_id": card.card_id, "status": card.status, "erased_at": card.erased_at,
            "removed": {str(key): int(value) for key, value in removed.items()}}


def sweep(card: Card, now: datetime) -> dict[str, int]:
    """Every item outside the card that holds its member's data, removed or blanked; counts by kind."""
    outboxed = sorted(channels.names())
    return {
        "aliases": store.drop_aliases(card),
        "guards": store.drop_guards(card, now),
        "messages": store.drop_messages(card),
        "outbox_items": store.drop_outbox(card, outboxed),
        "ledger_reasons": store.blank_reasons(card),
        "receipts": store.scrub_receipts(card),
        "survey_comments": store.drop_survey_comments(card),
        "assignments": store.unnumber_assignments(card),
        "import_rows": store.blank_import_rows(card, _import_row(card), imports.CHUNK_ROWS),
    }


def _import_row(card: Card) -> tuple[str, int] | None:
    """(import id, row number) of the file's row that brought this member in, found by the card's id (an imported
    card's id is derived from the program, the file and the row: usecases/imports.member_card_id): a few hashes a
    row of the program's imports, no item read but the imports' headers. Only for a card whose terms came with an
    import (or whose records are older than that): a member who joined any other way is in no import's rows."""
    records = card.consent_records if isinstance(card.consent_records, list) else None
    if records is not None and not any(isinstance(record, dict) and (record.get("given_via") == "import" or record.get(
            "version") == consent_rules.LEGACY) for record in records):
        return None
    for import_id, file_hash, rows in store.imports_of(card.program_id):
        for row in range(2, rows + 2):  # row 1 is the header
            if imports.member_card_id(card.program_id, file_hash, row) == card.card_id:
                return import_id, row
    return None


def erase(card_id: str, *, merchant_id: str, actor: str, now: datetime) -> dict[str, object]:
    """Erase the member of `card_id` (a card of `merchant_id`'s; another merchant's answers NotFound).
    Idempotent: erasing an erased card answers the same report. Returns what was done, as counts."""
    report: dict[str, int] = {}
    for _attempt in range(3):
        card = card_views.for_merchant(merchant_id, card_id)
        if is_erased(card):
            return dict(answer(card))
        for kind, count in sweep(card, now).items():
            report[kind] = report.get(kind, 0) + count
        try:
            sealed = store.seal(card, report, now)
        except store.CardChanged:
            continue  # a receipt or an edit meanwhile: read it again and sweep what it added
        log.info("member_erased", card_id=card_id, actor=actor if actor.startswith("system:") else "admin",
                 **report)
        audit.note(program_id=sealed.program_id, target_type="card", target_id=card_id, removed=report)
        return dict(answer(sealed))
    raise Conflict("The card kept changing while it was erased; try again.", code="erase_conflict")
