"""Manual balance adjustments by admins: with a reason and an idempotency key, recorded with the
admin's identity, through the ledger's one write path."""
from datetime import datetime

from chalicelib.core import ledger
from chalicelib.core import mechanics as mech
from chalicelib.core import validation as v
from chalicelib.store import db
from chalicelib.usecases import clock
from chalicelib.usecases.ledger import Operation, apply, body_hash


def adjust(program, card, data: dict, actor: str, now: datetime):
    v.reject_unknown(data, {"amount", "reason", "idempotency_key"})
    amount = v.read_int(data, "amount", required=True, minimum=-10_000_000, maximum=10_000_000)
    reason = v.read_str(data, "reason", required=True, max_len=500)
    key = v.read_str(data, "idempotency_key", required=True, max_len=64, pattern=v.ID_PATTERN, strip=False)
    mechanics = mech.from_stored(program.mechanics)
    today = clock.local_day(now, program.timezone)
    op = Operation(program.program_id, f"adjustment#{card.card_id}#{key}", "adjustment",
                   body_hash({**data, "card": card.card_id}), "admin", key, actor=actor, reason=reason,
                   record_fields={"business_day": today.isoformat()})

    def decide(state, current):
        return ledger.adjust(state, mechanics, amount=amount, today=today, lot_id=f"a{db.micros(now):x}", ref=key)

    def respond(outcome, current):
        answer = {"card_id": current.card_id, "amount": amount, "reason": reason, "idempotency_key": key,
                  "balance": outcome.state.balance, "actor": actor}
        if outcome.settled:  # points a refund took back that were already spent, settled from this credit
            answer["settled"] = outcome.settled
        return answer

    return apply(program, card.card_id, op, now, decide=decide, respond=respond)
