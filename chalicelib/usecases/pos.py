"""What a POS system does: authenticate, look a card up, ask for a quote, post receipts and refunds."""
import hmac
import re
import time
from datetime import datetime

from chalicelib import auth, log
from chalicelib.core import analytics as numbers
from chalicelib.core import card_number, ledger
from chalicelib.core import lots as lot_rules
from chalicelib.core import mechanics as mech
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput, NotFound, RuleViolation, Unauthorized
from chalicelib.store import cards as card_store
from chalicelib.store import db, outbox
from chalicelib.store import pos_keys as key_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import Card, Receipt
from chalicelib.usecases import clock
from chalicelib.usecases.ledger import Operation, apply, body_hash, entry_stamp, existing, replay

KEY_CACHE_SECONDS = 60  # a revoked key stops working within this time on warm containers
MAX_TOTAL = 10**12
MAX_RECEIPT_AGE_DAYS = 366  # a till that was offline uploads late, but not from another year (or year 1)
_key_cache: dict[str, tuple[float, object]] = {}
_program_cache: dict[str, tuple[float, object]] = {}


# --- authentication ------------------------------------------------------------------------------

def _cached(cache: dict, key: str, load):
    hit = cache.get(key)
    if hit and time.monotonic() - hit[0] < KEY_CACHE_SECONDS:
        return hit[1]
    value = load(key)
    cache[key] = (time.monotonic(), value)
    return value


def forget_cached() -> None:
    _key_cache.clear()
    _program_cache.clear()


def revoke_key(program_id: str, key_id: str, now: datetime):
    """Revoke a POS key: refused at once by this process, within KEY_CACHE_SECONDS by warm others."""
    key = key_store.revoke(program_id, key_id, now)
    _key_cache.pop(key_id, None)
    return key


def authenticate(headers, method: str, path: str, body: bytes, now: datetime):
    """The program a signed POS request acts for, or Unauthorized with the contract's code."""
    key_id = headers.get("x-loyalty-key")
    timestamp = headers.get("x-loyalty-timestamp")
    signature = headers.get("x-loyalty-signature")
    if not key_id or not timestamp or not signature:
        raise Unauthorized("Sign the request: X-Loyalty-Key, X-Loyalty-Timestamp and X-Loyalty-Signature.",
                           code="missing_signature")
    if not re.fullmatch(r"\d{1,12}", timestamp) or abs(now.timestamp() - int(timestamp)) > auth.POS_WINDOW_SECONDS:
        raise Unauthorized("The timestamp is more than 300 s away from our clock.", code="stale_timestamp")
    key = _cached(_key_cache, key_id, key_store.get) if re.fullmatch(v.ID_PATTERN, key_id) else None
    if key is None or key.status != "active":
        raise Unauthorized("Unknown or revoked POS key.", code="unknown_key")
    expected = auth.pos_signature(key.secret_hash, timestamp, method, path, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise Unauthorized("The signature does not match the request.", code="bad_signature")
    program = _cached(_program_cache, key.program_id, program_store.get)
    if program is None:
        raise Unauthorized("Unknown or revoked POS key.", code="unknown_key")
    log.bind(program_id=program.program_id, pos_key_id=key.key_id)
    return program


# --- reading -------------------------------------------------------------------------------------

def _number(raw, field: str = "card") -> str:
    number = card_number.normalise(raw) if isinstance(raw, str) else None
    if number is None:
        raise InvalidInput("Not a card number: 12 digits with a valid check digit.", code="invalid_card_number",
                           field=field)
    return number


def find_card(program, raw_number, field: str = "card", consistent: bool = False) -> Card:
    number = _number(raw_number, field)
    card_id = card_store.card_id_by_number(number)
    card = card_store.get(card_id, consistent=consistent) if card_id else None
    if card is None or card.program_id != program.program_id:
        raise NotFound("No card with this number in this program.", code="card_not_found", field=field)
    return card


def _today(program, now: datetime):
    return clock.local_day(now, program.timezone)


def card_view(program, card: Card, now: datetime) -> dict:
    mechanics = mech.from_stored(program.mechanics)
    state = ledger.expire(card_store.state_of(card), _today(program, now)).state  # as of today
    today = _today(program, now).isoformat()
    return {"card_number": card.number, "name": card.name, "balance": state.balance,
            "available": lot_rules.available(state.lots, today), "tier": state.tier,
            "tier_name": mechanics.tier(state.tier).name, "status": card.status}


def quote(program, data: dict, now: datetime) -> dict:
    v.reject_unknown(data, {"card", "total", "lines", "currency"})
    total = v.read_int(data, "total", required=True, minimum=0, maximum=MAX_TOTAL)
    _lines(data)
    _currency(program, data)
    card = find_card(program, data.get("card"))
    mechanics = mech.from_stored(program.mechanics)
    today = _today(program, now)
    state = ledger.expire(card_store.state_of(card), today).state
    most = ledger.max_redeem(mechanics, state, total, today.isoformat()) if card.status == "active" else 0
    return {"card_number": card.number, "balance": state.balance,
            "available": lot_rules.available(state.lots, today.isoformat()), "max_redeem": most,
            "earn": ledger.earn_for(mechanics, state.tier, total, 0) if card.status == "active" else 0,
            "earn_with_max_redeem": ledger.earn_for(mechanics, state.tier, total, most) if card.status == "active"
            else 0, "tier": state.tier}


# --- receipts ------------------------------------------------------------------------------------

def _lines(data: dict) -> list | None:
    raw = data.get("lines")
    if raw is None:
        return None
    lines = v.read_list(data, "lines", max_items=500)
    clean = []
    for index, line in enumerate(lines):
        p = f"lines[{index}]"
        line = v.require_object(line, p)
        v.reject_unknown(line, {"sku", "name", "qty", "amount"}, p)
        qty = line.get("qty", 1)
        if isinstance(qty, bool) or not isinstance(qty, (int, float)) or qty < 0 or qty > 1_000_000:
            raise InvalidInput(f"'{p}.qty' must be a number from 0 to 1000000.", code="invalid_value",
                               field=f"{p}.qty")
        clean.append({"sku": v.read_str(line, "sku", prefix=p, max_len=64),
                      "name": v.read_str(line, "name", prefix=p, max_len=200), "qty": qty,
                      "amount": v.read_int(line, "amount", prefix=p, required=True, minimum=-MAX_TOTAL,
                                           maximum=MAX_TOTAL)})
    return clean


def _currency(program, data: dict) -> str:
    currency = v.read_str(data, "currency", pattern=r"[A-Z]{3}", max_len=3) or program.currency
    if currency != program.currency:
        raise RuleViolation(f"This program counts money in {program.currency}.", code="currency_mismatch",
                            field="currency")
    return currency


def _business_day(program, data: dict, now: datetime) -> str:
    raw = v.read_str(data, "created_at", max_len=40)
    if raw is None:
        return _today(program, now).isoformat()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("'created_at' must be an ISO-8601 time with an offset.", code="invalid_format",
                           field="created_at") from None
    if moment.tzinfo is None:
        raise InvalidInput("'created_at' needs an offset (e.g. +03:00 or Z).", code="invalid_format",
                           field="created_at")
    if (moment - now).total_seconds() > 300:
        raise InvalidInput("'created_at' is in the future.", code="invalid_value", field="created_at")
    if (now - moment).days > MAX_RECEIPT_AGE_DAYS:
        raise InvalidInput(f"'created_at' is more than {MAX_RECEIPT_AGE_DAYS} days ago.", code="invalid_value",
                           field="created_at")
    return clock.local_day(moment, program.timezone).isoformat()


def post_receipt(program, data: dict, now: datetime):
    v.reject_unknown(data, {"receipt_id", "card", "total", "currency", "lines", "redeem", "created_at"})
    receipt_id = v.read_str(data, "receipt_id", required=True, max_len=64, pattern=v.ID_PATTERN, strip=False)
    total = v.read_int(data, "total", required=True, minimum=0, maximum=MAX_TOTAL)
    redeem = v.read_int(data, "redeem", minimum=0, maximum=MAX_TOTAL, default=0)
    lines = _lines(data)
    currency = _currency(program, data)
    business_day = _business_day(program, data, now)
    raw_card = data.get("card")
    mechanics = mech.from_stored(program.mechanics)
    op = Operation(program.program_id, f"receipt#{receipt_id}", "receipt", body_hash(data), "receipt", receipt_id,
                   record_fields={"total": total, "currency": currency, "lines": lines, "business_day": business_day},
                   money=lambda outcome, card: numbers.sale_counts(total - outcome.redeemed * mechanics.point_value,
                                                                   member=card is not None),
                   money_day=business_day)
    if raw_card is None:
        if redeem:
            raise RuleViolation("Points can be redeemed only with a card.", code="redeem_without_card",
                                field="redeem")
        return apply(program, None, op, now, decide=lambda state, card: ledger.Outcome(None, ()),
                     respond=lambda outcome, card: {"receipt_id": receipt_id, "card": None, "earned": 0,
                                                    "redeemed": 0, "balance": None, "available": None,
                                                    "tier": None})
    number = _number(raw_card)
    card_id = card_store.card_id_by_number(number)  # cached: a number never moves to another card
    if card_id is None:
        raise NotFound("No card with this number in this program.", code="card_not_found", field="card")
    today = _today(program, now)
    stamp = db.micros(now)

    def decide(state, card):
        if card.status != "active":
            raise RuleViolation("This card is blocked.", code="card_blocked", field="card")
        outcome = ledger.receipt(state, mechanics, total=total, redeem=redeem, today=today,
                                 lot_id=f"r{stamp:x}", receipt_ref=receipt_id, business_day=business_day)
        op.record_fields.update(earned=outcome.earned, redeemed=outcome.redeemed)
        return outcome

    def respond(outcome, card):
        answer = {"receipt_id": receipt_id, "card": card.number, "earned": outcome.earned,
                  "redeemed": outcome.redeemed, "balance": outcome.state.balance,
                  "available": lot_rules.available(outcome.state.lots, today.isoformat()), "tier": outcome.state.tier}
        return _owed_fields(answer, outcome)

    def referral(outcome, card, tx):
        # The referrer's bonus, on the referred customer's first purchase, in the same transaction.
        if not (card.referred_by and mechanics.referrer_bonus and outcome.state.receipts == 1):
            return
        referrer = card_store.get(card.referred_by, consistent=True)
        if referrer is None or referrer.status != "active":
            return
        reward = ledger.bonus(card_store.state_of(referrer), mechanics, source="referral",
                              points=mechanics.referrer_bonus, today=today, lot_id=f"f{stamp:x}", ref=card.card_id)
        card_store.put_state(referrer, reward.state, now, mechanics.tiers[0].id)
        at = entry_stamp(referrer, now)  # before the referrer is saved: it keeps the newest entry's time
        tx.save(referrer)
        for item in outbox.pass_changed(referrer, now):
            tx.save(item)
        for index, entry in enumerate(reward.entries):
            tx.save(_entry(program, referrer, entry, at, f"referral#{card.card_id}", index))
        return reward.entries

    return apply(program, card_id, op, now, decide=decide, respond=respond, extra=referral)


def _owed_fields(answer: dict, outcome) -> dict:
    """`shortfall` (points a refund took back that the customer had already spent, now owed) and
    `settled` (owed points taken from what this operation gave), when there are any."""
    if outcome.shortfall:
        answer["shortfall"] = outcome.shortfall
    if outcome.settled:
        answer["settled"] = outcome.settled
    return answer


def _entry(program, card, entry, stamp: str, key: str, index: int):
    from chalicelib.store.models import LedgerEntry

    return LedgerEntry(card.card_id, f"{stamp}#ref#{index:02d}", program_id=program.program_id,
                       merchant_id=program.merchant_id, kind=entry.kind, source=entry.source, amount=entry.amount,
                       balance_after=entry.balance_after, cause_type="rule", cause_id=key, idempotency_key=key,
                       created_at=stamp)


# --- refunds -------------------------------------------------------------------------------------

def post_refund(program, data: dict, now: datetime):
    v.reject_unknown(data, {"refund_id", "receipt_id", "amount"})
    refund_id = v.read_str(data, "refund_id", required=True, max_len=64, pattern=v.ID_PATTERN, strip=False)
    receipt_id = v.read_str(data, "receipt_id", required=True, max_len=64, pattern=v.ID_PATTERN, strip=False)
    amount = v.read_int(data, "amount", required=True, minimum=1, maximum=MAX_TOTAL)
    mechanics = mech.from_stored(program.mechanics)
    op = Operation(program.program_id, f"refund#{refund_id}", "refund", body_hash(data), "refund", refund_id,
                   record_fields={"total": amount, "business_day": _today(program, now).isoformat()},
                   money=lambda outcome, card: numbers.refund_counts(
                       max(0, amount + (outcome.redeemed * mechanics.point_value if card is not None else 0)),
                       member=card is not None))
    previous = existing(program.program_id, op.record_key)
    if previous is not None:
        return replay(op, previous)  # the same answer, or 409 for another body
    today = _today(program, now)
    stamp = db.micros(now)
    holder: dict = {}

    def original() -> Receipt:
        found = existing(program.program_id, f"receipt#{receipt_id}")
        if found is None:
            raise NotFound("No receipt with this id in this program.", code="receipt_not_found", field="receipt_id")
        holder["receipt"] = found
        return found

    receipt = original()

    def totals(found: Receipt) -> ledger.ReceiptTotals:
        return ledger.ReceiptTotals(total=int(found.total), earned=int(found.earned), redeemed=int(found.redeemed),
                                    refunded=int(found.refunded_amount), reversed=int(found.points_reversed),
                                    returned=int(found.points_returned), business_day=found.business_day)

    def decide(state, card):
        found = original()  # fresh on every attempt: partial refunds may race
        if card is None:
            ledger.refund_points(totals(found), amount)  # the amount checks, no points
            outcome = ledger.Outcome(None, ())
        else:
            outcome = ledger.refund(state, mechanics, totals(found), amount=amount, today=today,
                                    lot_id=f"x{stamp:x}", receipt_ref=receipt_id)
        holder["outcome"] = outcome
        return outcome

    def respond(outcome, card):
        reversed_points = -outcome.earned if card is not None else 0
        returned = -outcome.redeemed if card is not None else 0
        answer = {"refund_id": refund_id, "receipt_id": receipt_id, "points_reversed": reversed_points,
                  "points_returned": returned, "balance": outcome.state.balance if card is not None else None}
        return _owed_fields(answer, outcome)

    def update_receipt(outcome, card, tx):
        found = holder["receipt"]
        found.refunded_amount = int(found.refunded_amount) + amount
        if card is not None:
            found.points_reversed = int(found.points_reversed) - outcome.earned  # owed ones included
            found.points_returned = int(found.points_returned) - outcome.redeemed
        tx.save(found)  # conditioned on its version: two refunds of one receipt cannot both pass

    return apply(program, receipt.card_id, op, now, decide=decide, respond=respond, extra=update_receipt)
