"""The triggers that run every day (for each program its own local day, or the day `run-job --date`
gives): points expiry (with the warning before it), birthday gifts and win-back offers.

Each reads only what is due, page by page, through the day-keyed indexes (never a scan of cards), and
writes through the ledger's one write path with a record key per card and occasion, the card's message
in the same transaction (it waits in the outbox), so a second run for the same day changes nothing and
a run stopped at any card is finished by the next without a second bonus or message.

Scale: a run over many programs sends each program to the jobs queue; a walk whose due cards fill more
than one page sends them page by page as chunks; any run about to outlive its invocation hands the rest
(the cards it did not reach, its cursor into the index) to the queue. See fanout.py and chunks.py."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib import log
from chalicelib.core import clock, ledger, messaging, texts
from chalicelib.core import experiments as trial_rules
from chalicelib.core import lots as lot_rules
from chalicelib.core import mechanics as mech
from chalicelib.errors import RuleViolation
from chalicelib.queue import fanout
from chalicelib.store import cards as card_store
from chalicelib.store import occasions
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import experiments as experiment_cases
from chalicelib.usecases.ledger import BurnExpired, GiveBonus, apply, ledger_card, queued_message

Counts = dict[str, int]
Context = dict[str, Any]  # what an occasion's walk needs (its day keys), and a task's message


def _add(counts: Counts, more: Counts) -> None:
    for name, value in more.items():
        if value:
            counts[name] = counts.get(name, 0) + value


def _pending_message(program: Program, card: Card, kind: str, wording: dict[str, str], now: datetime,
                     *, service: bool) -> list[Any]:
    """The card's message as outbox items, due now or at the end of the program's quiet hours (the
    outbox sends it through `notices`, which also applies the weekly cap)."""
    quiet = mech.from_stored(program.mechanics).quiet_hours
    local = now.astimezone(clock.zone(program.timezone))
    if quiet and messaging.in_quiet_hours(local, quiet):
        due = messaging.quiet_end(local, quiet).astimezone(UTC)
        return occasions.pending_message(card, kind, wording, now, due, service=service, reason="quiet_hours")
    return occasions.pending_message(card, kind, wording, now, now, service=service, reason=None)


# --- what each occasion does to one card -------------------------------------------------------------

def expire_points_one(program: Program, card: Card, day: date, now: datetime, context: dict) -> dict:
    state = card_store.state_of(card)
    burned = ledger.expire(state, day)
    if not burned.entries:
        return {}  # an index copy that is behind; the card itself is already settled
    key = f"expire#{card.card_id}#{lot_rules.next_expiry(state.lots)}"  # the soonest lot's day: burned once
    result = apply(BurnExpired(card.card_id, key, day), program, now, preloaded=ledger_card(card))
    if result.replay:
        return {}
    return {"expired_cards": 1, "points_expired": -sum(e.amount for e in burned.entries)}


@dataclass(frozen=True)
class Treatment:
    """What a trigger gives one card: its bonus and the texts' overrides (a variant's), or, for a card of
    the trigger's experiment's control group, nothing (`held_out`)."""

    points: int
    overrides: Any  # the program's trigger texts, with the variant's text over them
    held_out: bool = False
    joined: bool = False  # the card joined the experiment just now


def treatment(program: Program, card: Card, subject: str, points: int, now: datetime) -> tuple[Card, Treatment]:
    """The card's part in the trigger's running experiment, if there is one (core/experiments.py): it
    joins in its group (once) and gets that group's treatment. Returns the card as it now is."""
    design = experiment_cases.trigger_design(program, subject)
    if design is None:
        return card, Treatment(points, program.messages)
    variant = design.variant(trial_rules.assign(design, card.card_id))
    if variant is not None and variant.bonus is not None:
        points = variant.bonus
    card, _, joined = experiment_cases.expose(program, design, card, now, bonus=points)
    if variant is None:
        return card, Treatment(0, program.messages, held_out=True, joined=joined)
    overrides = dict(program.messages or {})
    if variant.texts:
        key = experiment_cases.TEXT_KEYS[subject]
        overrides[key] = {**overrides.get(key, {}), **variant.texts}
    return card, Treatment(points, overrides, joined=joined)


def expiry_warning_one(program: Program, card: Card, day: date, now: datetime, context: Context) -> Counts:
    warn_day = context["warn_day"]
    if card.status == "erased":  # its points still expire as the rules say; no one is told (usecases/erasure.py)
        return {}
    expiring = sum(lot.remaining for lot in card_store.lots_of(card) if lot.expires_on == warn_day)
    if not expiring:
        return {}  # an index copy that is behind: those points were spent meanwhile
    card, given = treatment(program, card, "expiry_warning", 0, now)
    if given.held_out:
        return {"held_out": int(given.joined)}
    wording = texts.expiry_warning(expiring, date.fromisoformat(warn_day), given.overrides, today=day)
    message = _pending_message(program, card, "expiry_warning", wording, now, service=True)
    if not occasions.claim_with(f"warn#{card.card_id}#{warn_day}", card, message, now, keep_days=400):
        return {}  # warned before (once per card and expiry day)
    return {"warned": 1}


def _gift(program: Program, card: Card, source: str, points: int, occasion: str, *, day: date, now: datetime,
          wording: dict[str, str], counter: str) -> dict:
    """A bonus once per (card, occasion), with its message in the same transaction."""
    key = f"{source}#{card.card_id}#{occasion}"
    gift = GiveBonus(card_id=card.card_id, record_key=key, kind=source,
                     request={"card": card.card_id, "occasion": occasion}, cause_type="job", cause_id=key,
                     source=source, points=points, day=day, lot_id=f"{source[:1]}{occasion.replace('-', '')}",
                     ref=occasion, active_only=True, answer_gift=True,
                     messages=(queued_message(program, source, wording, now, service=False),))
    try:  # the index holds the whole card: no second read unless it is stale
        result = apply(gift, program, now, preloaded=ledger_card(card))
    except RuleViolation:
        return {}
    return {} if result.replay else {counter: 1}


def birthdays_one(program: Program, card: Card, day: date, now: datetime, context: Context) -> Counts:
    if card.status != "active":
        return {}  # a blocked card gets nothing, and joins no experiment
    card, given = treatment(program, card, "birthday", mech.from_stored(program.mechanics).birthday_bonus, now)
    if given.held_out:
        return {"held_out": int(given.joined)}
    return _gift(program, card, "birthday", given.points, context["year"], day=day, now=now,
                 wording=texts.birthday_gift(given.points, card.name, given.overrides), counter="gifts")


def winback_one(program: Program, card: Card, day: date, now: datetime, context: Context) -> Counts:
    if card.status != "active":
        return {}
    card, given = treatment(program, card, "winback", mech.from_stored(program.mechanics).winback_bonus, now)
    if given.held_out:
        return {"held_out": int(given.joined)}
    return _gift(program, card, "winback", given.points, context["last_visit"], day=day, now=now,
                 wording=texts.winback_offer(given.points, card.name, given.overrides), counter="offers")


# --- which cards each occasion walks, and which walks each job makes for a program --------------------

@dataclass(frozen=True)
class Occasion:
    """One kind of walk over a program's due cards: a page of them from a day-keyed index (the day named
    by the walk's context field `key`), and the per-card step (idempotent per card and occasion)."""

    page: Callable[..., Any]  # (program_id, day key, cursor, limit, ids_only) -> (cards, next cursor or None)
    key: str
    one: Callable[[Any, Card, date, datetime, Context], Counts]  # (program, card, day, now, context) -> counts


OCCASIONS = {
    "expire_points": Occasion(card_store.due_for_expiry, "through", expire_points_one),
    "expiry_warning": Occasion(card_store.expiring_on, "warn_day", expiry_warning_one),
    "birthdays": Occasion(card_store.born_on, "month_day", birthdays_one),
    "winback": Occasion(card_store.last_visited_on, "last_visit", winback_one),
}


def birthday_keys(target: date) -> list[str]:
    """Month-days whose birthdays fall on `target`: 29 February is celebrated on 28 February in other years."""
    keys = [target.strftime("%m-%d")]
    if target.month == 2 and target.day == 28:
        try:
            date(target.year, 2, 29)
        except ValueError:
            keys.append("02-29")
    return keys


def _expiry_walks(mechanics: mech.Mechanics, day: date) -> list[tuple[str, Context]]:
    # Every card whose soonest lot expired on or before the day, however long the job was down; then the
    # warning for the lots expiring `expiry_warning_days` ahead (after the burn, so it sees the next lot).
    walks = [("expire_points", {"through": day.isoformat()})]
    if mechanics.expiry_warning_days:
        warn_day = day + timedelta(days=mechanics.expiry_warning_days)
        walks.append(("expiry_warning", {"warn_day": warn_day.isoformat()}))
    return walks


def _birthday_walks(mechanics: mech.Mechanics, day: date) -> list[tuple[str, Context]]:
    if not mechanics.birthday_bonus:
        return []
    target = day + timedelta(days=mechanics.birthday_days_before)
    return [("birthdays", {"month_day": month_day, "year": str(target.year)}) for month_day in birthday_keys(target)]


def _winback_walks(mechanics: mech.Mechanics, day: date) -> list[tuple[str, Context]]:
    if not (mechanics.winback_after_days and mechanics.winback_bonus):
        return []
    return [("winback", {"last_visit": (day - timedelta(days=mechanics.winback_after_days)).isoformat()})]


Plan = Callable[[mech.Mechanics, date], list[tuple[str, Context]]]  # a job's walks for a program and day
PLANS: dict[str, Plan] = {"expire_points": _expiry_walks, "birthdays": _birthday_walks, "winback": _winback_walks}
COUNTS = {"expire_points": ("read", "expired_cards", "points_expired", "warned"), "birthdays": ("read", "gifts"),
          "winback": ("read", "offers")}


# --- walking: in place, page by page, or fanned out; handing the rest back when time runs short ------

def walk(name: str, program: Program, day: date, now: datetime, context: Context, *, counts: Counts, cursor: Any = None,
         fanning: bool = False, budget: fanout.Budget = fanout.UNLIMITED) -> None:
    """Work the cards an occasion finds due, from `cursor` on. Due cards that fit in one page are worked
    here (one read each); with a jobs queue, a walk of more pages sends them as chunks, page by page
    (only ids are read for those; each chunk reads its cards by id). Before each step the budget is
    checked: when it is spent, the cards not reached go to the queue as a chunk and the walk's cursor as
    a walk task, so the walk goes on elsewhere from exactly where it stopped."""
    occasion = OCCASIONS[name]
    pid, stamp = program.program_id, now.isoformat()
    while True:
        if budget.spent():
            _add(counts, {"handed_back": 1})
            fanout.send([{"task": "walk", "occasion": name, "program_id": pid, "day": day.isoformat(), "now": stamp,
                          "cursor": cursor, "fanning": fanning, "context": context}])
            return
        if fanning:
            cards, cursor = occasion.page(pid, context[occasion.key], cursor, fanout.CHUNK * fanout.SQS_BATCH, True)
            _add(counts, {"read": len(cards), "chunks": fanout.dispatch(
                name, pid, day.isoformat(), [c.card_id for c in cards], {**context, "now": stamp})})
        else:
            cards, cursor = occasion.page(pid, context[occasion.key], cursor, fanout.THRESHOLD, False)
            _add(counts, {"read": len(cards)})
            if cursor and fanout.queue_url():  # more than a page is due: the queue's workers share it
                fanning = True
                _add(counts, {"chunks": fanout.dispatch(name, pid, day.isoformat(), [c.card_id for c in cards],
                                                        {**context, "now": stamp})})
            else:
                for index, card in enumerate(cards):
                    if budget.spent():
                        _add(counts, {"chunks": fanout.dispatch(
                            name, pid, day.isoformat(), [c.card_id for c in cards[index:]], {**context, "now": stamp})})
                        break
                    _add(counts, occasion.one(program, card, day, now, context))
        if not cursor:
            return


def run_program(job: str, program: Program, day: date, now: datetime, counts: Counts,
                *, budget: fanout.Budget = fanout.UNLIMITED) -> None:
    for name, context in PLANS[job](mech.from_stored(program.mechanics), day):
        walk(name, program, day, now, context, counts=counts, budget=budget)


def run(job: str, day: date | None = None, now: datetime | None = None) -> Counts:
    """A daily job over every active program, each on `day` or its own local day. With a jobs queue and
    more than `fanout.INLINE_PROGRAMS` programs, each program becomes a task of its own; otherwise they
    are worked here one after another until the invocation's budget is spent, and the rest are queued."""
    now, budget = now or datetime.now(UTC), fanout.budget()
    counts = dict.fromkeys(COUNTS[job], 0)
    programs = program_store.active()
    queue_each = fanout.queue_url() is not None and len(programs) > fanout.INLINE_PROGRAMS
    handed = []
    for program in programs:
        local_day = day or clock.local_day(now, program.timezone)
        if queue_each or budget.spent():
            handed.append({"task": "program", "job": job, "program_id": program.program_id,
                           "day": local_day.isoformat(), "now": now.isoformat()})
            continue
        run_program(job, program, local_day, now, counts, budget=budget)
    _add(counts, {"programs_queued": fanout.send(handed)})
    log.info(job, day=str(day or "program-local"), programs=len(programs), **counts)
    return counts


def expire_points(day: date | None = None, now: datetime | None = None) -> Counts:
    """Burn what is left of every lot whose expiry day has come; warn N days before, once per lot-day."""
    return run("expire_points", day, now)


def birthdays(day: date | None = None, now: datetime | None = None) -> Counts:
    """The birthday gift on the birthday (or N days before, per program), once per card per year."""
    return run("birthdays", day, now)


def winback(day: date | None = None, now: datetime | None = None) -> Counts:
    """A customer whose last purchase was N days ago gets the program's bonus, once per lapse."""
    return run("winback", day, now)


# --- the queue's tasks (see chunks.py) ---------------------------------------------------------------

def _task_time(message: Context) -> tuple[date, datetime]:
    now = datetime.fromisoformat(message["now"]) if message.get("now") else datetime.now(UTC)
    return date.fromisoformat(message["day"]), now


def _active(program_id: str) -> Any:
    program = program_store.get(program_id)
    return program if program is not None and program.status == "active" else None


def work_cards(name: str, message: Context, budget: fanout.Budget) -> Counts:
    """A chunk of cards named by id: each read again (consistently) and given the occasion's step. Out of
    budget, the cards not reached go back to the queue as a chunk of their own."""
    program = _active(message["program_id"])
    counts = {"cards": 0}
    if program is None:
        return counts
    day, now = _task_time(message)
    card_ids = list(message["card_ids"])
    for index, card_id in enumerate(card_ids):
        if budget.spent():
            _add(counts, {"handed_back": len(card_ids) - index})
            fanout.send([{**message, "card_ids": card_ids[index:]}])
            break
        card = card_store.get(card_id, consistent=True)
        if card is None or card.program_id != program.program_id:
            continue
        _add(counts, OCCASIONS[name].one(program, card, day, now, message))
        counts["cards"] += 1
    return counts


def work_walk(message: Context, budget: fanout.Budget) -> Counts:
    program = _active(message["program_id"])
    counts: Counts = {}
    if program is not None and message["occasion"] in OCCASIONS:
        day, now = _task_time(message)
        walk(message["occasion"], program, day, now, dict(message["context"]), counts=counts,
             cursor=message.get("cursor"), fanning=bool(message.get("fanning")), budget=budget)
    return counts


def work_program(message: Context, budget: fanout.Budget) -> Counts:
    program = _active(message["program_id"])
    counts: Counts = {}
    if program is not None and message["job"] in PLANS:
        day, now = _task_time(message)
        run_program(message["job"], program, day, now, counts, budget=budget)
    return counts
