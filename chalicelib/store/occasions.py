"""What a scheduled occasion (an expiry warning, a birthday gift, a win-back offer) writes besides the
ledger, so that each card gets its message exactly once however a run is stopped and resumed: the
message waits in the outbox (with its record in the messages table), written in the same transaction
as what it announces: the gift's ledger transaction, or the warning's one-time claim. The outbox then
sends it through `usecases.notices` like any message that waited for the end of the quiet hours."""
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model

from chalicelib.store import db, messages
from chalicelib.store.models import Alias, Card


def pending_message(card: Card, kind: str, texts: Mapping[str, str], now: datetime, due: datetime, *, service: bool,
                    reason: str | None) -> list[Model]:
    """The outbox item of a message (a waiting notice, due at `due`) and its 'queued' record; the outbox
    adds the 'sent' one, as for a message that waited for the end of the quiet hours."""
    item = messages.waiting_notice(card, kind, now, due, {"kind": kind, "texts": dict(texts), "service": service,
                                                          "campaign_id": None, "channels": None})
    return [item, messages.record(card, kind, "queued", messages.text_for(texts, card.locale), now,
                                 reason=reason)]


def claim_with(claim: str, card: Card, items: Sequence[Model], now: datetime, keep_days: int) -> bool:
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
