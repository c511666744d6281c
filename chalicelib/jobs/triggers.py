"""The triggers that run every day (for each program its own local day, or the day `run-job --date`
gives): points expiry (with the warning before it), birthday gifts and
win-back offers. Each reads only what is due through the day-keyed indexes (never a scan of cards),
and writes through the ledger's one write path with a record key per card and occasion, so a second
run for the same day changes nothing and a run that died halfway is finished by the next."""
from datetime import date, datetime, timedelta, timezone

from chalicelib import log
from chalicelib.jobs import fanout
from chalicelib.core import ledger
from chalicelib.core import mechanics as mech
from chalicelib.errors import RuleViolation
from chalicelib.store import aliases
from chalicelib.store import cards as card_store
from chalicelib.store.models import Card, Program
from chalicelib.usecases import clock, notices
from chalicelib.usecases.ledger import Operation, apply, body_hash

CATCH_UP_DAYS = 7  # expiry days looked at again, so a day the job did not run is not missed


def _programs():
    return [p for p in Program.scan() if p.status == "active"]  # programs are few; cards are never scanned


def _bonus(program, card: Card, source: str, points: int, occasion: str, day: date, now: datetime):
    """One bonus through the ledger, once per (card, occasion)."""
    mechanics = mech.from_stored(program.mechanics)
    key = f"{source}#{card.card_id}#{occasion}"
    op = Operation(program.program_id, key, source, body_hash({"card": card.card_id, "occasion": occasion}), "job", key,
                   record_fields={"business_day": day.isoformat()})

    def decide(state, current):
        if current.status != "active":
            raise RuleViolation("blocked card", code="card_blocked")
        return ledger.bonus(state, mechanics, source=source, points=points, today=day,
                            lot_id=f"{source[:1]}{occasion.replace('-', '')}", ref=occasion)

    def respond(outcome, current):
        return {"card_id": current.card_id, "points": points, "balance": outcome.state.balance}

    try:  # the index holds the whole card: no second read unless it is stale
        return apply(program, card.card_id, op, now, decide=decide, respond=respond, preloaded=card)
    except RuleViolation:
        return None


def _run(task: str, program, cards: list, day: date, now: datetime, counts: dict, context: dict) -> None:
    """Work the due cards here, or fan them out through the jobs queue when there are many."""
    counts["read"] += len(cards)
    if len(cards) > fanout.THRESHOLD:
        counts["chunks"] = counts.get("chunks", 0) + fanout.dispatch(
            task, program.program_id, day.isoformat(), [c.card_id for c in cards], {**context, "now": now.isoformat()})
        return
    for card in cards:
        for name, value in globals()[f"{task}_one"](program, card, day, now, context).items():
            counts[name] = counts.get(name, 0) + value


def expire_points_one(program, card: Card, day: date, now: datetime, context: dict) -> dict:
    burned = ledger.expire(card_store.state_of(card), day)
    if not burned.entries:
        return {}  # an index copy that is behind; the card itself is already settled
    key = f"expire#{card.card_id}#{context['due_day']}"
    op = Operation(program.program_id, key, "expire", body_hash({"card": card.card_id, "day": key}), "job", key,
                   record_fields={"business_day": day.isoformat()})
    result = apply(program, card.card_id, op, now, decide=lambda state, current: ledger.expire(state, day),
                   respond=lambda outcome, current: {"balance": outcome.state.balance}, preloaded=card)
    if result.replay:
        return {}
    return {"expired_cards": 1, "points_expired": -sum(e.amount for e in burned.entries)}


def expiry_warning_one(program, card: Card, day: date, now: datetime, context: dict) -> dict:
    warn_day = context["warn_day"]
    if not aliases.claim(f"warn#{card.card_id}#{warn_day}", card.card_id, now, keep_days=400):
        return {}
    expiring = sum(lot.remaining for lot in card_store.lots_of(card) if lot.expires_on == warn_day)
    when = date.fromisoformat(warn_day).strftime("%d.%m")
    notices.notify(program, card, "expiry_warning", {
        "ru": f"{expiring} баллов сгорят {when}. Успейте потратить!",
        "en": f"{expiring} points expire on {when}. Use them before then!"}, now, service=True)
    return {"warned": 1}


def expire_points(day: date | None = None, now: datetime | None = None) -> dict:
    """Burn what is left of every lot whose expiry day has come; warn N days before, once per lot-day."""
    now, run_day = now or datetime.now(timezone.utc), day
    counts = {"read": 0, "expired_cards": 0, "points_expired": 0, "warned": 0}
    for program in _programs():
        mechanics = mech.from_stored(program.mechanics)
        day = run_day or clock.local_day(now, program.timezone)
        for back in range(CATCH_UP_DAYS):
            due_day = (day - timedelta(days=back)).isoformat()
            cards = list(Card.by_expiry.query(f"{program.program_id}#{due_day}"))
            _run("expire_points", program, cards, day, now, counts, {"due_day": due_day})
        if mechanics.expiry_warning_days:
            warn_day = (day + timedelta(days=mechanics.expiry_warning_days)).isoformat()
            cards = list(Card.by_expiry.query(f"{program.program_id}#{warn_day}"))
            _run("expiry_warning", program, cards, day, now, counts, {"warn_day": warn_day})
    log.info("expire_points", day=str(run_day or "program-local"), **counts)
    return counts


def birthday_keys(target: date) -> list[str]:
    """Month-days whose birthdays fall on `target`: 29 February is celebrated on 28 February in other years."""
    keys = [target.strftime("%m-%d")]
    if target.month == 2 and target.day == 28:
        try:
            date(target.year, 2, 29)
        except ValueError:
            keys.append("02-29")
    return keys


def _gift(program, card: Card, source: str, points: int, occasion: str, day: date, now: datetime,
          texts: dict, counter: str) -> dict:
    """A bonus once per card and occasion, then its message."""
    result = _bonus(program, card, source, points, occasion, day, now)
    if result is None or result.replay:
        return {}
    notices.notify(program, result.card, source, texts, now)
    return {counter: 1}


def birthdays_one(program, card: Card, day: date, now: datetime, context: dict) -> dict:
    points = mech.from_stored(program.mechanics).birthday_bonus
    return _gift(program, card, "birthday", points, context["year"], day, now,
                 {"ru": f"С днём рождения! Дарим {points} баллов.",
                  "en": f"Happy birthday! Here are {points} points from us."}, "gifts")


def birthdays(day: date | None = None, now: datetime | None = None) -> dict:
    """The birthday gift on the birthday (or N days before, per program), once per card per year."""
    now, run_day = now or datetime.now(timezone.utc), day
    counts = {"read": 0, "gifts": 0}
    for program in _programs():
        mechanics = mech.from_stored(program.mechanics)
        day = run_day or clock.local_day(now, program.timezone)
        if not mechanics.birthday_bonus:
            continue
        target = day + timedelta(days=mechanics.birthday_days_before)
        for month_day in birthday_keys(target):
            cards = list(Card.by_birthday.query(f"{program.program_id}#{month_day}"))
            _run("birthdays", program, cards, day, now, counts, {"year": str(target.year)})
    log.info("birthdays", day=str(run_day or "program-local"), **counts)
    return counts


def winback_one(program, card: Card, day: date, now: datetime, context: dict) -> dict:
    points = mech.from_stored(program.mechanics).winback_bonus
    return _gift(program, card, "winback", points, context["last_visit"], day, now,
                 {"ru": f"Мы соскучились! {points} баллов ждут вас.",
                  "en": f"We miss you! {points} points are waiting for you."}, "offers")


def winback(day: date | None = None, now: datetime | None = None) -> dict:
    """A customer whose last purchase was N days ago gets the program's bonus, once per lapse."""
    now, run_day = now or datetime.now(timezone.utc), day
    counts = {"read": 0, "offers": 0}
    for program in _programs():
        mechanics = mech.from_stored(program.mechanics)
        day = run_day or clock.local_day(now, program.timezone)
        if not (mechanics.winback_after_days and mechanics.winback_bonus):
            continue
        last_visit = (day - timedelta(days=mechanics.winback_after_days)).isoformat()
        cards = list(Card.by_last_visit.query(f"{program.program_id}#{last_visit}"))
        _run("winback", program, cards, day, now, counts, {"last_visit": last_visit})
    log.info("winback", day=str(run_day or "program-local"), **counts)
    return counts
