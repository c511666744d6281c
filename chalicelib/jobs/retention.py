"""The retention job (issue 19): per program with a `retention` setting, erase (through
usecases/erasure.erase) the members inactive for the months it says, and delete message records older
than the months it says, reading only what is due (day-keyed index queries from a cursor, never a scan).

Members. A member's last activity is their last purchase day, or the day they joined if they never bought
(program-local days). The run on day D erases those whose last activity is on or before
`core.retention.due_through(D, months)`, found by two walks that each remember how far they got
(`retention_progress` on the program item, store/retention.py):
- the purchase days after the last one done, up to that day: Card.by_last_visit, one query per day;
- the members who never bought and joined after the last joining time done, up to the end of that day:
  Card.by_program's created_key range, filtered to no purchase.
Whatever the walks move past has been dealt with for good: a member's last activity only moves forward,
so nobody can turn up behind the cursors later, and a longer setting just waits for the days to come.
Each page of ids is read again (consistently) before anything is erased: a member who bought since the
index copy was made (their last_visit_key moved) is kept, and an erased card is skipped.

Crashes. Before a page is erased its ids are written to the progress (`pending`); after it, the cursor
moves past the page and `pending` is cleared. A run that died in between is finished by the next: each
pending card erased (again: erase is idempotent) and its audit entry written, so no erasure goes
unrecorded; a card the dead run finished may then have two entries, never a second erasure. One member's
erasure that fails (the card kept changing, DynamoDB refused) is logged (`retention_erase_failed`) and kept
in the progress (`retry`): the page, the walk and the messages go on, and the next run tries it again
(until it is erased, or it bought since). More than MAX_RETRY failing stops the program's run there.

Messages. The program's message records older than `messages_months` are deleted through
Message.by_program (its key starts with the record's time), and so are its parked outbox items (deliveries
given up on, which hold a message and its address) parked before then.

Scale. A program's work runs under a lease (two runs at once never walk the same program), in pages of
BATCH cards, checking the invocation's budget before each page; when it is spent the program goes to the
jobs queue as a `retention` task that carries on from the saved progress (chunks.py). Without a queue the
next daily run carries on instead."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from chalicelib import log
from chalicelib.core import clock
from chalicelib.core import retention as rules
from chalicelib.queue import fanout
from chalicelib.store import ids, leases
from chalicelib.store import programs as program_store
from chalicelib.store import retention as store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import audit, erasure

ACTOR = "system:retention"
BATCH = 100  # cards per page (BatchGetItem's limit): one progress write before and one after
MAX_RETRY = BATCH  # failed erasures kept to try again next run; past it the run stops (DynamoDB down)
MESSAGES_PAGE = 200  # message keys per query page (deleted 25 to a BatchWriteItem)
LEASE_SECONDS = 900  # longer than any invocation that works a program (job_chunk: 300 s)
RUN_HOUR = 4  # `run-job retention --date D` runs as of 04:00 UTC that day, like the schedule

Counts = dict[str, int]
COUNTS = ("programs", "read", "erased", "kept", "messages_deleted", "parked_deleted")


def _add(counts: Counts, more: Counts) -> None:
    for name, value in more.items():
        if value:
            counts[name] = counts.get(name, 0) + value


@dataclass(frozen=True)
class _Run:
    """One program's run: what is due, and when."""

    program: Program
    setting: rules.Retention
    now: datetime
    through: date | None  # the last activity day erased through; None: members are kept
    budget: fanout.Budget

    @property
    def program_id(self) -> str:
        return self.program.program_id


class _HandBack(Exception):
    """The invocation's budget is spent: the program's work goes on in a queued task."""


def run(day: date | None = None, now: datetime | None = None) -> Counts:
    """Every program with a setting (paused ones too: the data is kept either way), each as of its own
    local day at `now`. `day` (a re-run by hand): as of RUN_HOUR UTC that day."""
    if now is None:
        now = datetime.now(UTC) if day is None else datetime.combine(day, time(RUN_HOUR), tzinfo=UTC)
    budget = fanout.budget()
    counts = dict.fromkeys(COUNTS, 0)
    handed = []
    for program in program_store.scan():
        if rules.from_stored(program.retention).keeps_everything:
            continue
        counts["programs"] += 1
        if budget.spent():
            handed.append(task(program.program_id, now))
            continue
        try:
            _add(counts, work_program(program, now, budget))
        except Exception as error:  # noqa: BLE001 - one program's failure must not stop the others'
            # its progress holds the page it was on: the next run finishes that page and goes on
            log.error("retention_failed", program_id=program.program_id, error_type=type(error).__name__)
            _add(counts, {"failed": 1})
    _add(counts, {"programs_queued": fanout.send(handed)})
    log.info("retention", **counts)
    return counts


def task(program_id: str, now: datetime) -> dict[str, Any]:
    return {"task": "retention", "program_id": program_id, "now": now.isoformat()}


def work(message: dict[str, Any], budget: fanout.Budget) -> Counts:
    """The queue's `retention` task: carry on with one program's work from its saved progress."""
    program = program_store.get(message["program_id"])
    if program is None:
        return {}
    now = datetime.fromisoformat(message["now"]) if message.get("now") else datetime.now(UTC)
    return work_program(program, now, budget)


def work_program(program: Program, now: datetime, budget: fanout.Budget = fanout.UNLIMITED) -> Counts:
    """One program's retention under its lease; {"busy": 1} when another run holds it (that run does it)."""
    setting = rules.from_stored(program.retention)
    if setting.keeps_everything:
        return {}
    name, holder = f"retention#{program.program_id}", ids.new_id("run")
    if not leases.acquire(name, holder, datetime.now(UTC), LEASE_SECONDS):
        log.info("retention_busy", program_id=program.program_id)
        return {"busy": 1}
    today = clock.local_day(now, program.timezone)
    through = rules.due_through(today, setting.inactive_months) if setting.inactive_months else None
    job = _Run(program, setting, now, through, budget)
    counts: Counts = {}
    handed = False
    try:
        _members(job, counts)
        _messages(job, counts)
    except _HandBack:
        handed = True
    finally:
        leases.release(name, holder)
    if handed:
        _add(counts, {"handed_back": 1})
        fanout.send([task(program.program_id, now)])
    log.info("retention_program", program_id=program.program_id, **counts)
    return counts


# --- members -------------------------------------------------------------------------------------------

def _members(job: _Run, counts: Counts) -> None:
    state = store.progress(job.program_id)
    start = dict(state)
    try:
        if state.get("pending"):  # a run died within a page: finish (and record) its erasures first
            failed = _erase_due(job, list(state["pending"]), counts, recovering=True)
            state.pop("pending")
            _retry_later(job, state, failed)
        if state.get("retry") and job.through is not None:  # erasures that failed before: once more
            retry = state.pop("retry")
            _retry_later(job, state, _erase_due(job, list(retry), counts, recovering=False,
                                                behind=state.get("visits_through") or ""))
        if job.through is not None:
            _walk_purchases(job, state, counts)
            _walk_joins(job, state, counts)
    finally:  # what the walks got through, however they stopped (a page's own writes saved the rest)
        if state != start:
            store.save_progress(job.program_id, state)


def _check_budget(job: _Run) -> None:
    if job.budget.spent():
        raise _HandBack


def _joined_on(program: Program) -> date:
    return clock.local_day(datetime.fromisoformat(program.created_at), program.timezone)


def _walk_purchases(job: _Run, state: dict[str, Any], counts: Counts) -> None:
    """The days of last purchases after the last one done, through the due day, one query per day (a page of
    BATCH at a time)."""
    assert job.through is not None
    done = state.get("visits_through")
    done_day = date.fromisoformat(done) if done else _joined_on(job.program) - timedelta(days=1)
    for day in rules.days_after(done_day, job.through):
        page = state.get("visits_page")
        while True:
            _check_budget(job)
            card_ids, page = store.last_visited_on(job.program_id, day.isoformat(), page, BATCH)
            _add(counts, {"read": len(card_ids)})
            _page(job, state, card_ids, {"visits_page": page}, counts)
            if not page:
                break
        state.update(visits_through=day.isoformat(), visits_page=None)


def _walk_joins(job: _Run, state: dict[str, Any], counts: Counts) -> None:
    """The members who never bought and joined after the last joining time done, up to the end of the due
    day (Card.by_program's created_key range, a page of BATCH at a time)."""
    assert job.through is not None
    before = rules.joined_before(job.through, clock.zone(job.program.timezone))
    after, page = state.get("joins_from"), state.get("joins_page")
    if after is not None and after >= before:
        return  # done through a later day already (the setting was made longer since)
    if page and str(page.get("created_key", {}).get("S", "")) > before:
        return  # a walk towards a later time stopped there: it goes on once that time is due again
    while True:
        _check_budget(job)
        card_ids, page = store.joined_without_purchase(job.program_id, after, before, page, BATCH)
        _add(counts, {"read": len(card_ids)})
        _page(job, state, card_ids, {"joins_page": page}, counts)
        if not page:
            break
    state.update(joins_from=before, joins_page=None)


def _page(job: _Run, state: dict[str, Any], card_ids: list[str], after: dict[str, Any], counts: Counts) -> None:
    """Erase a page's due members, with the page's ids written down first (see Crashes above); then the
    cursor moves past the page. An empty page only moves the cursor (saved when the walk stops)."""
    if card_ids:
        state["pending"] = card_ids
        store.save_progress(job.program_id, state)
        failed = _erase_due(job, card_ids, counts, recovering=False)
        state.pop("pending")
        _retry_later(job, state, failed)
    state.update(after)
    if card_ids:
        store.save_progress(job.program_id, state)


def _is_erased(card: Card) -> bool:
    return card.status == "erased" or card.erased_at is not None


def _last_activity(card: Card, program: Program) -> str:
    """The card's last purchase day, or the day it joined if it never bought (program-local)."""
    if card.last_visit_on:
        return card.last_visit_on
    return clock.local_day(datetime.fromisoformat(card.created_at), program.timezone).isoformat()


def _retry_later(job: _Run, state: dict[str, Any], failed: list[str]) -> None:
    """Keep the ids whose erasure failed for the next run; too many failing (DynamoDB refusing them all): stop
    here, their page written down as pending, so nothing behind the cursor is left unerased."""
    if not failed:
        return
    retry = list(dict.fromkeys([*state.get("retry", []), *failed]))
    if len(retry) > MAX_RETRY:
        state["pending"] = failed
        store.save_progress(job.program_id, state)
        raise RuntimeError(f"{len(retry)} erasures failed")
    state["retry"] = retry
    store.save_progress(job.program_id, state)


def _erase_due(job: _Run, card_ids: list[str], counts: Counts, *, recovering: bool,
               behind: str | None = None) -> list[str]:
    """Read the cards as they are now and erase those still due, each with its audit entry; returns the ids
    whose erasure failed (logged), to be tried again. `recovering`: these ids were being erased by a run
    that died, so an erased one among them is recorded (again). `behind`: these ids are tried again, and the
    walks are past their day (`behind`, the last purchase day done): one not due now (the setting was made
    longer) that has not bought since (the walk finds it then) stays to be tried."""
    if job.through is None and not recovering:
        return []
    through = job.through.isoformat() if job.through is not None else None
    failed: list[str] = []
    erasing = False
    for read in store.cards(card_ids):
        # the page was read before its first erasure; each takes seconds: after one, the card as it is now
        card = next(iter(store.cards([read.card_id])), read) if erasing else read
        if card.program_id != job.program_id:
            continue
        erased = _is_erased(card)
        if erased and not recovering:
            continue  # erased meanwhile (by its owner): nothing to do
        if not erased and (through is None or _last_activity(card, job.program) > through):
            _add(counts, {"kept": 1})  # bought (or the setting changed) since the index copy was read
            if behind is not None and (card.last_visit_on or "") <= behind:
                failed.append(card.card_id)
            continue
        erasing = True
        try:
            report = erasure.erase(card.card_id, merchant_id=job.program.merchant_id, actor=ACTOR, now=job.now)
        except Exception as error:  # noqa: BLE001 - one member's failure must not hold up the others
            log.error("retention_erase_failed", program_id=job.program_id, card_id=card.card_id,
                      error_type=type(error).__name__)
            _add(counts, {"erase_failed": 1})
            failed.append(card.card_id)
            continue
        audit.record(job.program.merchant_id, actor=ACTOR, action="card.erase", now=job.now,
                     program_id=job.program_id, target_type="card", target_id=card.card_id,
                     detail={"reason": "inactive", "inactive_months": job.setting.inactive_months,
                             "removed": report.get("removed") if isinstance(report, dict) else None})
        _add(counts, {"erased": 1})
    return failed


# --- messages --------------------------------------------------------------------------------------------

def _messages(job: _Run, counts: Counts) -> None:
    """Delete the program's message records, and its parked outbox items, older than messages_months."""
    if not job.setting.messages_months:
        return
    before = rules.messages_before(job.now, job.setting.messages_months)
    page: store.Cursor = None
    while True:
        _check_budget(job)
        keys, page = store.old_messages(job.program_id, before, page, MESSAGES_PAGE)
        if keys:
            store.delete_messages(keys)
            _add(counts, {"messages_deleted": len(keys)})
        if not page:
            break
    while True:
        _check_budget(job)
        parked, page = store.old_parked(job.program_id, before, page, MESSAGES_PAGE)
        if parked:
            store.delete_parked(job.program_id, parked)
            _add(counts, {"parked_deleted": len(parked)})
        if not page:
            break
