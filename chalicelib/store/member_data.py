"""Everything held about one member, read for their data export (usecases/member_export.py), and the
one-time link that lets the member download it (issue 19).

Reads only, each by the card's own keys: never a scan, never a walk through a program's other members.
- the ledger: Query on the ledger table (card_id), newest first, up to a cap;
- the messages: Query on the messages table (card_id), newest first, up to a cap;
- receipts and refunds: Query on receipts.by_card (the card id, keys only), newest first, up to a cap, then
  BatchGetItem of those items: every sale with the card, those that moved no points included;
- survey answers: Query on the receipts table, the program's partition, keys 'survey#<card_id>#';
- experiments: the program's experiments (one Query, a few a month), then BatchGetItem of the card's
  assignment in each (experiment_id, card_id);
- Apple devices: Query on devices.by_serial (the card id), then BatchGetItem of those registrations.

The link (a Guard item 'export#<card_id>', TTL): only a salted SHA-256 of its token is stored, with the
downloads left; a new link replaces the card's previous one."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.store import db
from chalicelib.store.models import (
    Assignment,
    Card,
    DeviceRegistration,
    Experiment,
    Guard,
    LedgerEntry,
    Message,
    Receipt,
)
from chalicelib.store.surveys import ANSWER, SurveyItem

BATCH = 100  # keys per BatchGetItem (DynamoDB's most)


def ledger(card_id: str, cap: int) -> tuple[list[LedgerEntry], bool]:
    """The card's newest `cap` ledger entries, oldest first, and whether older ones were left out."""
    items = list(LedgerEntry.query(card_id, scan_index_forward=False, limit=cap + 1, page_size=min(cap + 1, 1000)))
    return items[:cap][::-1], len(items) > cap


def messages(card_id: str, cap: int) -> tuple[list[Message], bool]:
    """The card's newest `cap` message records, oldest first, and whether older ones were left out."""
    items = list(Message.query(card_id, scan_index_forward=False, limit=cap + 1, page_size=min(cap + 1, 1000)))
    return items[:cap][::-1], len(items) > cap


def receipts(card_id: str, cap: int) -> tuple[list[Receipt], bool]:
    """The card's newest `cap` receipts and refunds, oldest first, and whether older ones were left out."""
    keys = []
    for item in Receipt.by_card.query(card_id, scan_index_forward=False, page_size=1000):
        if item.receipt_key.startswith(("receipt#", "refund#")):  # not the ledger's other operation records
            keys.append((item.program_id, item.receipt_key))
            if len(keys) > cap:
                break
    found: list[Receipt] = []
    for start in range(0, min(len(keys), cap), BATCH):
        found.extend(Receipt.batch_get(keys[start:min(start + BATCH, cap)]))
    return sorted(found, key=lambda item: (item.created_key, item.receipt_key)), len(keys) > cap


def survey_answers(program_id: str, card_id: str) -> list[SurveyItem]:
    """The card's survey answers (one per survey), from the program's partition of the receipts table."""
    return list(SurveyItem.query(program_id, SurveyItem.receipt_key.startswith(f"{ANSWER}{card_id}#")))


def survey_id_of(item: SurveyItem) -> str:
    return item.receipt_key.rpartition("#")[2]


@dataclass(frozen=True)
class Trial:
    """An experiment the card was placed in, and its place there."""

    experiment: Experiment
    assignment: Assignment


def trials(program_id: str, card_id: str) -> list[Trial]:
    """Every experiment of the program that holds the card, with the card's assignment, newest first."""
    experiments = {item.experiment_id: item for item in Experiment.query(program_id)}
    keys = [(experiment_id, card_id) for experiment_id in experiments]
    found: list[Trial] = []
    for start in range(0, len(keys), BATCH):
        for assignment in Assignment.batch_get(keys[start:start + BATCH]):
            found.append(Trial(experiments[assignment.experiment_id], assignment))
    return sorted(found, key=lambda trial: (trial.experiment.created_at, trial.experiment.experiment_id),
                  reverse=True)


def apple_devices(card_id: str) -> list[DeviceRegistration]:
    """The Apple devices registered for the card's pass (the pass serial is the card id)."""
    keys = [(item.device_id, item.registration_key) for item in DeviceRegistration.by_serial.query(card_id)]
    return list(DeviceRegistration.batch_get(keys)) if keys else []


def referrer_number(card: Card) -> str | None:
    """The number of the card that referred this one (None: none, or it is gone)."""
    if not card.referred_by:
        return None
    try:
        return Card.get(card.referred_by).number
    except Card.DoesNotExist:
        return None


# --- the member's one-time download link ------------------------------------------------------------

def _link_key(card_id: str) -> str:
    return f"export#{card_id}"


def _hash(salt: str, token: str) -> str:
    return hashlib.sha256(f"{salt}:{token}".encode("utf-8", "surrogatepass")).hexdigest()


def issue_link(card_id: str, token: str, now: datetime, seconds: int, uses: int) -> None:
    """Keep the hash of a new link's token for the card (replacing any earlier link), good for `uses`
    downloads within `seconds`. One PutItem."""
    salt = secrets.token_hex(8)
    Guard(_link_key(card_id), code_hash=f"{salt}${_hash(salt, token)}", attempts=uses,
          expires_at=now.astimezone(UTC) + timedelta(seconds=seconds)).save()


def use_link(card_id: str, token: str, now: datetime) -> bool:
    """True when `token` is the card's live link with a download left (one is then used up); False for a
    wrong, expired, replaced or used-up token. The token is compared in constant time. One GetItem, and
    one conditional UpdateItem for the right token."""
    try:
        item = Guard.get(_link_key(card_id), consistent_read=True)
    except Guard.DoesNotExist:
        return False
    if not item.code_hash or item.expires_at <= now.astimezone(UTC) or not item.attempts:
        return False
    salt, _, expected = item.code_hash.partition("$")
    if not hmac.compare_digest(_hash(salt, token), expected):
        return False
    try:  # one download used; parallel ones cannot take more than were left
        Guard(_link_key(card_id)).update(actions=[Guard.attempts.add(-1)],
                                         condition=(Guard.code_hash == item.code_hash) & (Guard.attempts > 0))
    except Exception as error:
        if db.is_condition_failure(error):
            return False
        raise
    return True

