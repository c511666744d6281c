"""Manual balance adjustments by admins: with a reason and an idempotency key, recorded with the
admin's identity, through the ledger's one write path."""
from datetime import datetime
from typing import Any

from chalicelib.commands.adjustments import AdjustBalance
from chalicelib.store.ledger import DYNAMO, LedgerStore
from chalicelib.usecases import audit
from chalicelib.usecases.decisions import Program
from chalicelib.usecases.ledger import Result, apply

__all__ = ["AdjustBalance", "adjust", "adjust_balance"]  # the admin route builds its command from here


def adjust_balance(command: AdjustBalance, program: Program, now: datetime, store: LedgerStore = DYNAMO) -> Result:
    result = apply(command, program, now, store)
    # the audit trail keeps the points, not the reason: the admin's free text may name the holder (the
    # card's ledger keeps it, where an erasure can reach it)
    audit.note(program_id=program.program_id, amount=command.amount, replay=result.replay)
    return result


def adjust(program: Program, card: Any, data: dict[str, Any], actor: str, now: datetime) -> Result:
    """The same from a parsed JSON body and the card (anything with a `card_id`): for scripts and tests."""
    return adjust_balance(AdjustBalance.parse(data, card.card_id, actor), program, now)
