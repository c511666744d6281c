"""Erasing a member, the DynamoDB side (usecases/erasure.py decides, this module finds and writes): every item
that holds one card's personal data, found by keys computed from the card or by queries bounded by the card
(its own partitions, its program's few experiments, its receipts by the `by_card` index), never a scan.

Each sweep is idempotent and returns how many items it removed or blanked, so an erasure interrupted half way
is finished by the next call. The card item itself is written last (`seal`): until then the card still holds
the phone, number and codes the sweeps compute their keys from.
"""
import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.models import Model

from chalicelib import lazy
from chalicelib.core.limits import WINDOW
from chalicelib.store import cards as card_store
from chalicelib.store import codes, connections, db, outbox, ratelimits, recovery
from chalicelib.store.card_channels import telegram_alias
from chalicelib.store.models import (
    Alias,
    Assignment,
    Campaign,
    Card,
    DeviceRegistration,
    Experiment,
    Guard,
    LedgerEntry,
    Message,
    OutboxItem,
    Receipt,
)
from chalicelib.store.surveys import ANSWER, COMMENT, SurveyItem

if TYPE_CHECKING:
    from chalicelib.store import imports as import_store
else:
    # lazy: the imports' items load only when an erasure runs, not in the outbox's cold start (which needs
    # this module for the Apple registrations): 9 ms on import app (measured with -X importtime)
    import_store = lazy.module("chalicelib.store.imports")

ERASED = "erased"  # a card's status once its member is erased
REASON = "[erased]"  # what an admin's free-text reason on an erased member's ledger entry now reads
WALLET_PREFIXES = ("notice", "gnotice")  # the wallet's own per-card message items (store/messages.py)
FORGET = "forget"  # the outbox item that removes an erased card's last device registrations
DEVICES_KEPT_DAYS = 30  # at most this long after the erasure (a device told at once lets go at once)


class CardChanged(Exception):
    """The card changed between reading and sealing it: nothing was written; read it again."""


def personal_values(card: Card) -> list[str]:
    """The card's personal values as text (what a receipt's stored answer may repeat)."""
    values = [card.number, card.name, card.phone, card.email or "", card.birthday or ""]
    return [value for value in values if value]


# --- aliases and guards ---------------------------------------------------------------------------------

def _delete_owned(key: str, card_id: str) -> int:
    """Delete the alias if this card owns it (an e-mail or a chat that moved to another card stays theirs)."""
    try:
        Alias(key).delete(condition=Alias.owner_id == card_id)
    except DeleteError as error:
        if db.is_condition_failure(error):
            return 0
        raise
    return 1


def drop_aliases(card: Card) -> int:
    """The card's number, phone, referral code, e-mail recovery, Telegram and MoySklad aliases."""
    keys = [card_store.number_alias(card.number), card_store.phone_alias(card.program_id, card.phone),
            card_store.ref_alias(card.program_id, card.ref_code)]
    if card.email:
        keys.append(recovery.alias_key(card.program_id, card.email))
    if card.telegram_chat_id is not None:
        keys.append(telegram_alias(int(card.telegram_chat_id)))
    removed = sum(_delete_owned(key, card.card_id) for key in keys if key.split("#")[-1])
    card_store.forget_number(card.number)
    return removed + _drop_agent_aliases(card.card_id)


def _drop_agent_aliases(card_id: str) -> int:
    """MoySklad's ids remembered for the card (store/connections.py): their aliases, then the card's slots."""
    removed = 0
    for slot in Alias.batch_get(connections.agent_slots(card_id)):
        removed += _delete_owned(connections.agent_alias_of(slot), card_id)
        slot.delete()
    return removed


def _delete_guard(key: str) -> int:
    try:
        Guard(key).delete(condition=Guard.guard_key.exists())
    except DeleteError as error:
        if db.is_condition_failure(error):
            return 0
        raise
    return 1


def drop_guards(card: Card, now: datetime) -> int:
    """The phone's one-time code and the rate counters keyed by the phone or the e-mail (this window and the
    one before: older ones are gone by TTL a minute after their window)."""
    keys = [codes.guard_key(card.program_id, card.phone)]
    start = int(now.timestamp()) // WINDOW * WINDOW
    who = [("code", f"{card.program_id}#{card.phone}"), ("recover", f"{card.program_id}#{card.phone}")]
    if card.email:
        who.append(("recover", f"{card.program_id}#{card.email}"))
    for what, subject in who:
        keys += [ratelimits.counter_key(what, subject, window) for window in (start, start - WINDOW)]
    return sum(_delete_guard(key) for key in keys)


# --- messages and the outbox ------------------------------------------------------------------------------

def _delete_all(items: Iterable[Model]) -> int:
    count = 0
    for item in items:
        item.delete()
        count += 1
    return count


def drop_messages(card: Card) -> int:
    """Every message record of the card (their texts may greet the member by name)."""
    return _delete_all(Message.query(card.card_id))


def _card_items(queue: str, card_id: str, prefixes: Iterable[str]) -> Iterator[OutboxItem]:
    for prefix in prefixes:
        yield from OutboxItem.query(queue, OutboxItem.item_key.startswith(f"{prefix}#{card_id}#"))
    for exact in (f"pass#{card_id}", f"google#{card_id}"):
        found = outbox.get(queue, exact)
        if found is not None:
            yield found


def drop_outbox(card: Card, channel_prefixes: Iterable[str]) -> int:
    """The card's pending and parked outbox items: its messages for every channel, its waiting notices and
    Google messages, and its pending pass and Google updates (the erasure writes the one that voids)."""
    prefixes = (*WALLET_PREFIXES, *channel_prefixes)
    queues = (outbox.WALLET, outbox.PARKED + card.program_id)
    return _delete_all(item for queue in queues for item in list(_card_items(queue, card.card_id, prefixes)))


# --- the ledger, receipts, surveys, experiments, imports ---------------------------------------------------

def blank_reasons(card: Card) -> int:
    """An admin's free-text reason on the card's ledger entries may name the member: replaced. Amounts,
    kinds, dates and balances stay, so the entries still add up to the balance."""
    count = 0
    for entry in LedgerEntry.query(card.card_id, filter_condition=LedgerEntry.reason.exists()):
        if entry.reason and entry.reason != REASON:
            entry.update(actions=[LedgerEntry.reason.set(REASON)])
            count += 1
    return count


def _scrub(value: Any, personal: list[str]) -> tuple[Any, bool]:
    """`value` with every text that holds a personal value replaced by None (and whether anything was)."""
    if isinstance(value, str):
        return (None, True) if any(item in value for item in personal) else (value, False)
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            out[key], hit = _scrub(item, personal)
            changed |= hit
        return out, changed
    if isinstance(value, list):
        pairs = [_scrub(item, personal) for item in value]
        return [item for item, _ in pairs], any(hit for _, hit in pairs)
    return value, False


def scrub_receipts(card: Card) -> int:
    """The card's receipts and refunds keep their amounts, lines and dates; the stored answer names the card
    number (the POS's replay): any text holding a personal value goes. Found by the `by_card` index."""
    personal = personal_values(card)
    count = 0
    keys = [(key.program_id, key.receipt_key) for key in Receipt.by_card.query(card.card_id)]
    for start in range(0, len(keys), 100):  # 100 a request, BatchGetItem's most; a clean one is not rewritten
        for receipt in Receipt.batch_get(keys[start:start + 100], consistent_read=True):
            count += _scrub_receipt(receipt, personal)
    return count


def _scrub_receipt(receipt: Receipt, personal: list[str]) -> int:
    """1 when the receipt held a personal value (now gone), else 0 (nothing written)."""
    response, hit_response = _scrub(receipt.response, personal)
    if isinstance(response, dict) and response.get("reason") not in (None, REASON):  # an adjustment's reason
        response, hit_response = {**response, "reason": REASON}, True
    lines, hit_lines = _scrub(receipt.lines, personal)
    if not (hit_response or hit_lines):
        return 0
    receipt.update(actions=[Receipt.response.set(response), Receipt.lines.set(lines)], add_version_condition=False)
    return 1


def drop_survey_comments(card: Card) -> int:
    """The member's survey comments (free text) go; the scores and days stay, as do the analytics counters."""
    count = 0
    for answer in SurveyItem.query(card.program_id, SurveyItem.receipt_key.startswith(f"{ANSWER}{card.card_id}#")):
        if answer.comment is None:
            continue
        survey_id = answer.receipt_key[len(f"{ANSWER}{card.card_id}#"):]
        SurveyItem(card.program_id, f"{COMMENT}{answer.day}#{answer.answered_at}#{survey_id}").delete()
        answer.update(actions=[SurveyItem.comment.remove()])
        count += 1
    return count


def unnumber_assignments(card: Card) -> int:
    """The card number on the card's experiment assignments goes (group, exposure and events stay). The
    experiments are the program's (its triggers' and its campaigns'): a few hundred at most, read by key."""
    ids = {item.experiment_id for item in Experiment.query(card.program_id, attributes_to_get=["experiment_id"])}
    ids |= {item.campaign_id for item in Campaign.query(card.program_id, attributes_to_get=["campaign_id"])}
    keys = [(experiment_id, card.card_id) for experiment_id in sorted(ids)]
    count = 0
    for item in Assignment.batch_get(keys) if keys else ():
        if item.number is not None:
            item.update(actions=[Assignment.number.remove()])
            count += 1
    return count


def imports_of(program_id: str) -> list[tuple[str, str, int]]:
    """(import id, file hash, rows) of each file imported into the program: its `importfile#` items (a few small
    items, one per file) and each import's row count (one GetItem each)."""
    found = []
    for item in import_store.FileItem.query(program_id, import_store.FileItem.receipt_key.startswith("importfile#")):
        header = import_store.get(program_id, str(item.import_id))
        if header is not None and header.rows:
            found.append((str(item.import_id), item.receipt_key.removeprefix("importfile#"), int(header.rows)))
    return found


def blank_import_rows(card: Card, found: tuple[str, int] | None, chunk_rows: int) -> int:
    """The row of the import that brought this member in (`found`: the import and the row number, worked out from
    the card's id by the caller) is blanked in its one chunk (one GetItem, one UpdateItem, however large the file):
    its name, phone, e-mail, birthday and number; its row number and amounts stay for the report."""
    if found is None:
        return 0
    import_id, number = found
    chunk = import_store.chunk(card.program_id, import_id, (number - 2) // chunk_rows)
    if chunk is None:
        return 0
    members, count = [], 0
    for row in chunk.members:
        theirs = row.get("row") == number and any(row.get(field) for field in ("name", "phone", "card_number"))
        members.append({**row, "name": "", "phone": "", "email": None, "birthday": None,
                        "card_number": None} if theirs else row)
        count += bool(theirs)
    if count:
        chunk.update(actions=[import_store.ChunkItem.members.set(members)])
    return count


# --- Apple devices ------------------------------------------------------------------------------------------

def _registrations(card_id: str) -> list[DeviceRegistration]:
    keys = [(item.device_id, item.registration_key) for item in DeviceRegistration.by_serial.query(card_id)]
    return list(DeviceRegistration.batch_get(keys)) if keys else []


def forget_push_tokens(card_id: str) -> int:
    """Blank the push tokens of an erased card's registrations once its voiding push went out: the device keeps
    its registration (it asks which passes changed, then fetches the voided pass) until it is told or leaves."""
    count = 0
    for registration in _registrations(card_id):
        if registration.push_token:
            registration.update(actions=[DeviceRegistration.push_token.set("")])
            count += 1
    return count


def drop_registrations(card_id: str) -> int:
    """Every registration left for an erased card's pass (the `forget#` outbox item, DEVICES_KEPT_DAYS after)."""
    return _delete_all(_registrations(card_id))


# --- the card -----------------------------------------------------------------------------------------------

def seal(card: Card, report: dict[str, int], now: datetime) -> Card:
    """Write the card as erased: no name, phone, e-mail, birthday, number, referral code, consents, notice,
    Telegram chat, Google notices; a new access key (the old card link answers 404); off the birthday,
    last-visit and tier indexes (no greeting, win-back or tier review finds it). The balance, lots, tier and
    stats stay (analytics totals do not change), and its points expire on their days as any card's do. With
    the pass update that voids the Apple pass and expires the Google object, and the item that lets its last
    devices go, in one transaction under the version read. CardChanged if the card changed meanwhile."""
    card.status = ERASED
    card.erased_at = db.iso(now)
    card.erasure = dict(report)
    card.name, card.phone, card.number, card.ref_code = "", "", "", ""
    card.email = card.birthday = card.notice = card.google_error = None
    card.consents, card.consent_records = {}, None
    card.telegram_chat_id = None
    card.google_notices = []
    card.access_key = secrets.token_urlsafe(24)
    card.birthday_key = card.last_visit_key = card.tier_key = None  # its points still expire (expiry_key)
    card_store.mark_pass_changed(card, now)
    updates = outbox.pass_changed(card, now)
    updates[0].payload = {ERASED: True}  # the push that voids: its tokens are blanked once it went out
    later = now + timedelta(days=DEVICES_KEPT_DAYS)  # and the registrations no device came back for then go
    updates.append(OutboxItem(outbox.WALLET, f"{FORGET}#{card.card_id}", card_id=card.card_id,
                              program_id=card.program_id, pass_version=int(card.pass_version),
                              due_at=db.micros(later), attempts=0, created_at=db.iso(now)))
    try:
        with db.transaction() as tx:
            tx.save(card)
            for item in updates:
                tx.save(item)
    except TransactWriteError as error:
        if db.is_condition_failure(error):
            raise CardChanged(card.card_id) from None
        raise
    return card

