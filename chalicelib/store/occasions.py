"""What a scheduled occasion (an expiry warning, a birthday gift, a win-back offer) writes besides the
ledger, so that each card gets its message exactly once however a run is stopped and resumed: the
message waits in the outbox (with its record in the messages table), written in the same transaction
as what it announces: the gift's ledger transaction, or the warning's one-time claim. The outbox then
sends it through `usecases.notices` like any message that waited for the end of the quiet hours."""
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError

from chalicelib.store import db
from chalicelib.store.models import Alias, Message, OutboxItem
from chalicelib.store.outbox import WALLET


def pending_message(card, kind: str, texts: dict, now: datetime, due: datetime, service: bool,
                    reason: str | None) -> list:
    """The outbox item of a message (a delayed notice, keyed by its moment so that two occasions of one
    kind never overwrite each other) and its 'queued' record; the outbox adds the 'sent' one, as for a
    message that waited for the end of the quiet hours."""
    text = (texts.get(card.locale) or texts.get("ru") or next(iter(texts.values())))[:300]
    item = OutboxItem(WALLET, notice_key(card.card_id, kind, now), card_id=card.card_id, program_id=card.program_id,
                      pass_version=int(card.pass_version), due_at=db.micros(due), attempts=0, created_at=db.iso(now),
                      payload={"kind": kind, "texts": texts, "service": service, "campaign_id": None,
                               "channels": None})
    return [item, Message(card.card_id, f"{db.iso(now)}#{kind}", program_id=card.program_id, kind=kind,
                          channel="wallet", outcome="queued", reason=reason, text=text, created_at=db.iso(now))]


def notice_key(card_id: str, kind: str, now: datetime) -> str:
    """The outbox key of a message that waits to go out through `usecases.notices`."""
    return f"notice#{card_id}#{kind}#{db.micros(now)}"


def claim_with(claim: str, card, items: list, now: datetime, keep_days: int) -> bool:
    """Write `items` together with the one-time claim `claim`: True the first time, False ever after
    (for `keep_days`), when nothing is written."""
    for attempt in range(3):
        try:
            with db.transaction() as tx:
                tx.save(Alias(claim, owner_id=card.card_id, program_id=card.program_id, created_at=db.iso(now),
                              expires_at=now + timedelta(days=keep_days)), condition=Alias.alias.does_not_exist())
                for item in items:
                    tx.save(item)
            return True
        except TransactWriteError as error:
            if db.is_condition_failure(error):
                return False
            if "TransactionConflict" not in db.cancellation_reasons(error) or attempt == 2:
                raise
            db.back_off_if_crowded(error, attempt)  # a twin run on the same card: its claim decides
    return False
