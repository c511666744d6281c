"""How long members' data is kept (issue 19, part RETENTION): the program's `retention` setting, and the
daily job that erases the members inactive too long and deletes old message records, with time travel,
reading only what is due, surviving a crash and a spent budget."""
import calendar
import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib import cli
from chalicelib.core import retention as rules
from chalicelib.jobs import JOBS
from chalicelib.jobs import retention as job
from chalicelib.queue import fanout
from chalicelib.store import cards as card_store
from chalicelib.store import messages as message_store
from chalicelib.store import retention as retention_store
from chalicelib.store.models import Message, OutboxItem
from chalicelib.store.outbox import PARKED
from chalicelib.usecases import audit, enrollment, erasure
from chalicelib.usecases import pos as pos_cases
from chalicelib.usecases import programs as program_cases
from infra import template
from tests.conftest import bearer, body
from tests.infra.test_least_privilege import _allowed, calls  # noqa: F401 - `calls` is a fixture
from tests.store.test_fanout import Steps

JOINED = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)  # 12:00 in Moscow


# --- the setting ---------------------------------------------------------------------------------------

def _patch(client, merchant, program, retention):
    return client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                             body=json.dumps({"retention": retention}))


def test_a_new_program_keeps_everything_until_the_owner_sets_how_long(client, merchant, program):
    assert program["retention"] is None
    changed = _patch(client, merchant, program, {"inactive_months": 24, "messages_months": 6})
    assert changed.status_code == 200, changed.body
    assert body(changed)["retention"] == {"inactive_months": 24, "messages_months": 6}
    read = client.http.get(f"/admin/programs/{program['id']}", headers=bearer(merchant))
    assert body(read)["retention"] == {"inactive_months": 24, "messages_months": 6}
    # a field left out keeps its value; null switches that deletion off
    assert body(_patch(client, merchant, program, {"messages_months": None}))["retention"] == \
        {"inactive_months": 24, "messages_months": None}
    assert body(_patch(client, merchant, program, {"inactive_months": 12}))["retention"] == \
        {"inactive_months": 12, "messages_months": None}
    # a PATCH of something else leaves it alone
    renamed = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                body=json.dumps({"name": "Coffee Club 2"}))
    assert body(renamed)["retention"] == {"inactive_months": 12, "messages_months": None}
    # null (or both off): kept for ever
    assert body(_patch(client, merchant, program, None))["retention"] is None
    assert body(_patch(client, merchant, program, {"inactive_months": 3}))["retention"] == \
        {"inactive_months": 3, "messages_months": None}
    assert body(_patch(client, merchant, program, {"inactive_months": None}))["retention"] is None


def test_a_program_can_be_created_with_its_retention(client, merchant):
    created = client.http.post("/admin/programs", headers=bearer(merchant), body=json.dumps(
        {"name": "Tea", "slug": "tea", "retention": {"inactive_months": 36}}))
    assert created.status_code == 201, created.body
    assert body(created)["retention"] == {"inactive_months": 36, "messages_months": None}


@pytest.mark.parametrize("retention, field", [
    ({"inactive_months": 0}, "retention.inactive_months"),
    ({"inactive_months": 121}, "retention.inactive_months"),
    ({"inactive_months": "6"}, "retention.inactive_months"),
    ({"inactive_months": 6.5}, "retention.inactive_months"),
    ({"inactive_months": True}, "retention.inactive_months"),
    ({"messages_months": -1}, "retention.messages_months"),
    ({"log_months": 3}, "retention.log_months"),
    ([6], "retention"),
    ("6 months", "retention"),
])
def test_a_bad_setting_is_refused_naming_its_field_and_changes_nothing(client, merchant, program, retention, field):
    _patch(client, merchant, program, {"inactive_months": 24})
    refused = _patch(client, merchant, program, retention)
    assert refused.status_code == 400, refused.body
    assert body(refused)["error"]["field"] == field and body(refused)["error"]["code"]
    read = client.http.get(f"/admin/programs/{program['id']}", headers=bearer(merchant))
    assert body(read)["retention"] == {"inactive_months": 24, "messages_months": None}


def test_only_the_programs_owner_changes_it(client, merchant, other_merchant, program):
    assert _patch(client, other_merchant, program, {"inactive_months": 1}).status_code == 404
    analyst = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant, "analyst"),
                                body=json.dumps({"retention": {"inactive_months": 1}}))
    assert analyst.status_code == 403
    assert body(client.http.get(f"/admin/programs/{program['id']}", headers=bearer(merchant)))["retention"] is None


# --- the arithmetic --------------------------------------------------------------------------------------

def test_months_back_keep_the_day_or_take_the_months_last():
    assert rules.months_before(date(2027, 8, 31), 6) == date(2027, 2, 28)
    assert rules.months_before(date(2028, 8, 31), 6) == date(2028, 2, 29)
    assert rules.months_before(date(2027, 3, 15), 15) == date(2025, 12, 15)
    assert rules.months_before(date(2027, 1, 1), 120) == date(2017, 1, 1)
    # bought on 15 January, 6 months: kept through 15 July, erased by the run of 16 July
    assert rules.due_through(date(2027, 7, 15), 6) == date(2027, 1, 14)
    assert rules.due_through(date(2027, 7, 16), 6) == date(2027, 1, 15)
    # the end of a Moscow day, as the cards' created_key starts (UTC)
    assert rules.joined_before(date(2027, 1, 14), ZoneInfo("Europe/Moscow")) == "2027-01-14T21:00:00.000000+00:00"
    assert rules.messages_before(datetime(2027, 8, 15, 4, tzinfo=UTC), 3) == "2027-05-15T04:00:00.000000+00:00"
    assert rules.days_after(date(2027, 1, 30), date(2027, 2, 2)) == [date(2027, 1, 31), date(2027, 2, 1),
                                                                      date(2027, 2, 2)]
    assert rules.days_after(date(2027, 2, 2), date(2027, 1, 30)) == []


# --- the job, with time travel --------------------------------------------------------------------------

class Erasures:
    """The real erase (usecases/erasure.py), counted: the erasures per card (a card going from kept to erased)
    and the calls."""

    def __init__(self):
        self.done: dict[str, int] = {}
        self.calls = 0
        self.unseen = None  # a list of DynamoDB calls the erasure's own calls are taken back out of

    def __call__(self, card_id, *, merchant_id, actor, now):
        self.calls += 1
        assert actor == "system:retention"
        seen = None if self.unseen is None else len(self.unseen)
        before = card_store.get(card_id, consistent=True)
        was_erased = before.status == "erased"
        report = _real_erase(card_id, merchant_id=merchant_id, actor=actor, now=now)
        if not was_erased:
            self.done[card_id] = self.done.get(card_id, 0) + 1
        if seen is not None:
            del self.unseen[seen:]  # the erasure's own reads and writes are not the job's
        return report


_real_erase = erasure.erase


@pytest.fixture
def erased(monkeypatch):
    counted = Erasures()
    monkeypatch.setattr(erasure, "erase", counted)
    return counted


@pytest.fixture
def entries(monkeypatch):
    """The audit entries the job writes (through audit.record, called as it is)."""
    seen = []
    real = audit.record

    def record(merchant_id, **fields):
        seen.append({"merchant_id": merchant_id, **fields})
        return real(merchant_id, **fields)

    monkeypatch.setattr(audit, "record", record)
    return seen


def _program(retention, slug="shop", merchant="m_1"):
    return program_cases.create(merchant, {"name": "Shop", "slug": slug, "retention": retention}, JOINED)


def _member(program, n, joined=JOINED, bought=()):
    card = enrollment.enroll(program, {"name": f"Member {n}", "phone": f"+7916000{n:04d}", "consent": True},
                             joined, "ru")
    for k, day in enumerate(bought):
        when = datetime.combine(day, time(9), tzinfo=UTC)
        pos_cases.post_receipt(program, {"receipt_id": f"r{n}-{k}", "card": card.number, "total": 50000}, when)
    return card.card_id


def _at(day):
    return datetime.combine(day, time(4), tzinfo=UTC)


def _state(card_id):
    return card_store.get(card_id, consistent=True).status


def _message_keys(card_id):
    return [item.message_key[:10] for item in Message.query(card_id)]


def test_time_travel_erases_exactly_the_inactive_and_deletes_old_messages(aws, erased, entries, calls):  # noqa: F811
    program = _program({"inactive_months": 6, "messages_months": 3})
    early = _member(program, 1, bought=[date(2027, 1, 10)])  # last bought 10 January
    edge = _member(program, 2, bought=[date(2027, 1, 20), date(2027, 2, 14)])  # last bought 14 February
    kept_edge = _member(program, 3, bought=[date(2027, 2, 15)])  # one day later: kept
    never = _member(program, 4)  # joined 10 January, never bought
    recent = _member(program, 5, bought=[date(2027, 1, 10), date(2027, 7, 20)])  # bought again lately
    newcomer = _member(program, 6, joined=datetime(2027, 3, 1, 9, tzinfo=UTC))  # joined 1 March, never bought
    for card_id, moments in ((kept_edge, (datetime(2027, 3, 1, 10, tzinfo=UTC), datetime(2027, 6, 1, 10, tzinfo=UTC))),
                             (recent, (datetime(2027, 5, 14, 10, tzinfo=UTC), datetime(2027, 5, 16, 10, tzinfo=UTC)))):
        for moment in moments:
            message_store.save_record(card_store.get(card_id), "campaign", "sent", "Hello", moment)
    OutboxItem(PARKED + program.program_id, f"email#{kept_edge}#1", card_id=kept_edge, program_id=program.program_id,
               payload={"to": "someone@example.com"}, pass_version=1, due_at=0, attempts=5,
               created_at="2027-03-01T10:00:00.000000+00:00", parked_at="2027-03-01T10:00:00.000000+00:00").save()
    OutboxItem(PARKED + program.program_id, f"email#{recent}#2", card_id=recent, program_id=program.program_id,
               payload={"to": "other@example.com"}, pass_version=1, due_at=0, attempts=5,
               created_at="2027-07-01T10:00:00.000000+00:00", parked_at="2027-07-01T10:00:00.000000+00:00").save()
    everyone = (early, edge, kept_edge, never, recent, newcomer)
    erased.unseen = calls  # the job's requests are counted below, not the erasure's own

    # "now": nothing is due yet
    first = job.run(now=_at(date(2027, 3, 5)))
    assert first["programs"] == 1 and first["erased"] == 0 and first["messages_deleted"] == 0
    assert all(_state(card_id) == "active" for card_id in everyone)

    # seven months later (the run of 15 August erases last activity on or before 14 February)
    later = _at(date(2027, 8, 15))
    done = job.run(now=later)
    assert {card_id for card_id in everyone if _state(card_id) == "erased"} == {early, edge, never}
    assert erased.done == {early: 1, edge: 1, never: 1}
    assert done["erased"] == 3
    assert sorted(e["target_id"] for e in entries) == sorted([early, edge, never])
    assert all(e["actor"] == "system:retention" and e["action"] == "card.erase" and e["target_type"] == "card"
               and e["program_id"] == program.program_id and e["merchant_id"] == "m_1" and e["now"] == later
               for e in entries)
    assert not any("Member" in json.dumps(e, default=str) for e in entries)  # ids only, no names
    # message records older than 3 months (before 15 May) are gone, newer ones stay; so do old parked items
    assert _message_keys(kept_edge) == ["2027-06-01"]
    assert _message_keys(recent) == ["2027-05-16"]
    assert all(key >= "2027-05-15" for card_id in everyone for key in _message_keys(card_id))
    assert done["messages_deleted"] >= 2 and done["parked_deleted"] == 1
    assert [item.item_key for item in OutboxItem.query(PARKED + program.program_id)] == [f"email#{recent}#2"]

    # again: nothing more happens, and the run reads only what is due (a handful of requests, none per card)
    calls.clear()
    again = job.run(now=later)
    assert again["erased"] == 0 and again["read"] == 0 and again["messages_deleted"] == 0
    assert erased.calls == 3 and len(entries) == 3
    operations = [(operation, table.removeprefix("loyalty-test-"), index) for operation, table, index in calls]
    assert len(operations) <= 6, operations
    assert ("Scan", "cards", None) not in operations and ("Scan", "messages", None) not in operations
    assert all(operation != "Scan" or table == "programs" for operation, table, _ in operations), operations

    # the next day, the member who last bought on 15 February is due; one day's purchases and one day's
    # joins are read, not the base
    calls.clear()
    assert job.run(now=_at(date(2027, 8, 16)))["erased"] == 1
    card_queries = [c for c in calls if c[0] == "Query" and c[1].endswith("cards")]
    assert len(card_queries) == 2, card_queries
    # with the one erasure: its page written down, read again and done, and its audit entry put
    assert len(calls) <= 13, calls
    assert {card_id for card_id in everyone if _state(card_id) == "erased"} == {early, edge, never, kept_edge}


def test_a_member_who_bought_since_the_index_was_read_is_kept(aws, erased, entries, monkeypatch):
    program = _program({"inactive_months": 6})
    lapsed = _member(program, 1, bought=[date(2027, 1, 10)])
    returning = _member(program, 2, bought=[date(2027, 1, 10)])
    # they bought again on 10 July, but the index copy read still shows them under 10 January
    pos_cases.post_receipt(program, {"receipt_id": "back", "card": card_store.get(returning).number, "total": 100},
                           datetime(2027, 7, 10, 9, tzinfo=UTC))
    index = retention_store.last_visited_on
    monkeypatch.setattr(retention_store, "last_visited_on",
                        lambda program_id, day, cursor, limit: ([lapsed, returning], None) if day == "2027-01-10"
                        else index(program_id, day, cursor, limit))
    done = job.run(now=_at(date(2027, 8, 1)))
    assert done["erased"] == 1 and done["kept"] == 1
    assert _state(lapsed) == "erased" and _state(returning) == "active"
    assert [e["target_id"] for e in entries] == [lapsed]


def test_a_run_cut_off_mid_page_is_finished_by_the_next_without_a_second_erasure(aws, erased, monkeypatch):
    program = _program({"inactive_months": 6})
    members = [_member(program, n, bought=[date(2027, 1, 10)]) for n in range(1, 4)]
    neighbour = _program({"inactive_months": 6}, slug="next-door")
    elsewhere = _member(neighbour, 9, bought=[date(2027, 1, 10)])
    recorded = []
    real = audit.record

    def crash_on_second(merchant_id, **fields):
        if fields["program_id"] == program.program_id and len(recorded) == 1:
            raise RuntimeError("the function died here")  # after the second erasure, before its entry
        if fields["program_id"] == program.program_id:
            recorded.append(fields["target_id"])
        return real(merchant_id, **fields)

    monkeypatch.setattr(audit, "record", crash_on_second)
    assert job.run(now=_at(date(2027, 8, 1)))["failed"] == 1  # logged; the other program goes on
    assert _state(elsewhere) == "erased"
    assert sum(erased.done.get(card_id, 0) for card_id in members) == 2 and len(recorded) == 1
    assert retention_store.progress(program.program_id)["pending"]  # the page it was on is written down

    monkeypatch.setattr(audit, "record", lambda merchant_id, **fields: recorded.append(fields["target_id"]))
    job.run(now=_at(date(2027, 8, 1)))
    assert all(_state(card_id) == "erased" for card_id in members)
    assert erased.done == {**dict.fromkeys(members, 1), elsewhere: 1}  # nobody erased twice
    assert set(recorded) == set(members)  # every erasure has its entry (the one done before the crash may have two)
    assert "pending" not in retention_store.progress(program.program_id)
    recorded.clear()
    job.run(now=_at(date(2027, 8, 2)))
    assert recorded == []


def test_a_spent_budget_hands_the_program_to_the_jobs_queue_which_carries_on(aws, erased, monkeypatch, calls):  # noqa: F811
    from chalicelib.queue import chunks

    queued = []

    class Queue:
        def send_message_batch(self, QueueUrl, Entries):  # noqa: N803 - botocore's parameter names
            queued.extend(json.loads(entry["MessageBody"]) for entry in Entries)
            return {}

    monkeypatch.setattr(fanout, "queue_url", lambda: "https://sqs.local/jobs")
    monkeypatch.setattr(fanout, "_sqs", Queue)
    monkeypatch.setattr(job, "BATCH", 2)
    program = _program({"inactive_months": 6, "messages_months": 3})
    members = [_member(program, n, bought=[date(2027, 1, 10 + n % 2)]) for n in range(1, 6)]
    members += [_member(program, n) for n in range(6, 9)]  # never bought
    monkeypatch.setattr(fanout, "budget", lambda: Steps(3))
    calls.clear()
    first = JOBS["retention"](date(2027, 8, 1))
    assert _allowed("retention", calls) == []
    assert first["handed_back"] == 1 and 0 < first["erased"] < len(members)
    rounds = 0
    while queued:
        message = queued.pop(0)
        assert message["task"] == "retention" and message["program_id"] == program.program_id
        calls.clear()
        chunks.work(message, Steps(3))
        assert _allowed("job_chunk", calls) == []
        rounds += 1
    assert rounds >= 2
    assert all(_state(card_id) == "erased" for card_id in members)
    assert erased.done == dict.fromkeys(members, 1)


def test_programs_without_a_setting_are_left_alone_and_each_program_its_own(aws, erased, entries):
    kept = _program(None, slug="forever")
    short = _program({"inactive_months": 1}, slug="short")
    mine = _member(kept, 1, bought=[date(2027, 1, 10)])
    theirs = _member(short, 2, bought=[date(2027, 1, 10)])
    done = job.run(now=_at(date(2027, 8, 1)))
    assert done["programs"] == 1 and done["erased"] == 1
    assert _state(mine) == "active" and _state(theirs) == "erased"


def test_paused_programs_still_keep_only_what_they_promise(aws, erased):
    from chalicelib.commands import admin as commands

    program = _program({"inactive_months": 6})
    member = _member(program, 1, bought=[date(2027, 1, 10)])
    program_cases.update(program, commands.read_program_changes({"status": "paused"}, program), JOINED)
    job.run(now=_at(date(2027, 8, 1)))
    assert _state(member) == "erased"


def test_a_longer_setting_waits_and_a_shorter_one_catches_up(aws, erased):
    from chalicelib.commands import admin as commands
    from chalicelib.store import programs as program_store

    program = _program({"inactive_months": 6})
    member = _member(program, 1, bought=[date(2027, 3, 1)])
    job.run(now=_at(date(2027, 8, 1)))
    assert _state(member) == "active"
    program = program_store.get(program.program_id)
    program_cases.update(program, commands.read_program_changes({"retention": {"inactive_months": 12}}, program),
                         JOINED)
    job.run(now=_at(date(2027, 9, 5)))  # 6 months would have erased them on 2 September
    assert _state(member) == "active"
    program = program_store.get(program.program_id)
    program_cases.update(program, commands.read_program_changes({"retention": {"inactive_months": 5}}, program),
                         JOINED)
    job.run(now=_at(date(2027, 9, 6)))
    assert _state(member) == "erased"


def test_the_schedule_runs_it_daily_with_its_role():
    from chalicelib.jobs import schedules

    assert "retention" in JOBS and callable(schedules.retention)
    assert "retention" in template.SCHEDULED and template.FUNCTIONS["retention"] == "Retention"
    assert "dynamodb:Scan" not in template.ACCESS["retention"]["cards"]
    assert "dynamodb:Scan" not in template.ACCESS["retention"]["messages"]


def test_the_progress_is_not_a_setting_and_an_owners_edit_is_never_refused_by_it(aws, erased):
    from chalicelib.commands import admin as commands
    from chalicelib.store import programs as program_store

    program = _program({"inactive_months": 6})
    _member(program, 1, bought=[date(2027, 1, 10)])
    read_before = program_store.get(program.program_id)
    job.run(now=_at(date(2027, 8, 1)))
    assert retention_store.progress(program.program_id)["visits_through"] == "2027-01-31"
    # the owner's edit, read before the run, still goes through (the job never bumps the version)
    edited = program_cases.update(read_before, commands.read_program_changes({"name": "Shop 2"}, read_before),
                                  JOINED + timedelta(days=1))
    assert edited.name == "Shop 2"
    assert "retention_progress" not in json.dumps(program_cases.view(edited))


def test_an_erasure_that_fails_stops_neither_the_page_nor_the_program_and_is_tried_again(aws, erased, entries,
                                                                                         monkeypatch):
    """One member's erasure failing (the card kept changing: erase_conflict; DynamoDB throttled) must not leave
    the others of its page, the rest of the walk and the old messages waiting on it day after day, nor write
    the page's done erasures into the trail again at every run: that member alone is tried again next run."""
    program = _program({"inactive_months": 6, "messages_months": 3})
    members = [_member(program, n, bought=[date(2027, 1, 10)]) for n in range(1, 4)]
    later = _member(program, 4, bought=[date(2027, 1, 20)])
    active = _member(program, 5, bought=[date(2027, 7, 20)])
    message_store.save_record(card_store.get(active), "campaign", "sent", "Hello", datetime(2027, 2, 1, tzinfo=UTC))
    stuck, failing = members[1], {"on": True}

    def flaky(card_id, **fields):
        if card_id == stuck and failing["on"]:
            raise RuntimeError("the card kept changing")
        return erased(card_id, **fields)

    monkeypatch.setattr(erasure, "erase", flaky)
    first = job.run(now=_at(date(2027, 8, 1)))
    assert {card_id for card_id in (*members, later) if _state(card_id) == "erased"} == {members[0], members[2], later}
    assert first["erased"] == 3 and first["messages_deleted"] == 1
    assert sorted(e["target_id"] for e in entries) == sorted([members[0], members[2], later])
    # still failing: tried again, the others are not recorded again
    job.run(now=_at(date(2027, 8, 2)))
    assert len(entries) == 3 and _state(stuck) == "active"
    # once it works, it is erased, with its one entry
    failing["on"] = False
    job.run(now=_at(date(2027, 8, 3)))
    assert _state(stuck) == "erased"
    assert sorted(e["target_id"] for e in entries) == sorted([*members, later])
    job.run(now=_at(date(2027, 8, 4)))
    assert len(entries) == 4


def test_month_ends_erase_the_day_after_the_months_are_up_never_days_later():
    """"Last bought on 15 January, 6 months: kept through 15 July, erased by the run of 16 July", at month ends
    too: 28 February + 1 month is 28 March (erased by the run of 29 March, not 1 April); 30 April + 1 month is
    30 May (erased on 31 May); 31 January + 1 month is the last day of February (erased on 1 March)."""
    def erased_on(last, months):
        day = last
        while rules.due_through(day, months) < last:
            day += timedelta(days=1)
        return day

    assert erased_on(date(2027, 2, 28), 1) == date(2027, 3, 29)
    assert erased_on(date(2027, 4, 30), 1) == date(2027, 5, 31)
    assert erased_on(date(2027, 1, 31), 1) == date(2027, 3, 1)
    assert erased_on(date(2028, 1, 31), 1) == date(2028, 3, 1)  # 29 February in a leap year
    assert erased_on(date(2027, 3, 31), 1) == date(2027, 5, 1)
    assert erased_on(date(2027, 8, 31), 6) == date(2028, 3, 1)
    assert erased_on(date(2027, 1, 15), 6) == date(2027, 7, 16)
    # every day of two years, 1 to 13 months: never before the months are up, never a day after
    for months in range(1, 14):
        for offset in range(730):
            last = date(2027, 1, 1) + timedelta(days=offset)
            day = erased_on(last, months)
            # the months are up on the day: `last` + months (the month's last day when it has no such day)
            index = last.year * 12 + last.month - 1 + months
            year, month = divmod(index, 12)
            kept_through = date(year, month + 1, min(last.day, calendar.monthrange(year, month + 1)[1]))
            assert day == kept_through + timedelta(days=1), (last, months, day)
    # the run days never go back: what a run erased through, the next day's run does too
    for offset in range(730):
        today = date(2027, 1, 1) + timedelta(days=offset)
        assert rules.due_through(today + timedelta(days=1), 1) >= rules.due_through(today, 1)


def test_the_job_erases_a_28_february_member_on_29_march(aws, erased):
    program = _program({"inactive_months": 1})
    member = _member(program, 1, bought=[date(2027, 2, 28)])
    job.run(now=_at(date(2027, 3, 28)))
    assert _state(member) == "active"
    job.run(now=_at(date(2027, 3, 29)))
    assert _state(member) == "erased"


def test_a_member_who_buys_while_the_page_is_being_erased_is_kept(aws, erased, entries, monkeypatch):
    """A page of up to 100 members is read once, then erased one by one (each some 40 requests: seconds in
    all): a member of the page who buys meanwhile, before their turn, is no longer due and is kept."""
    program = _program({"inactive_months": 6})
    first = _member(program, 1, bought=[date(2027, 1, 10)])
    second = _member(program, 2, bought=[date(2027, 1, 10)])
    real = erased.__call__

    def buying_meanwhile(card_id, **fields):
        other = second if card_id == first else first
        if _state(other) == "active" and not erased.done:  # during the page's first erasure, the other buys
            pos_cases.post_receipt(program, {"receipt_id": "back", "card": card_store.get(other).number,
                                             "total": 100}, datetime(2027, 8, 1, 3, tzinfo=UTC))
        return real(card_id, **fields)

    monkeypatch.setattr(erasure, "erase", buying_meanwhile)
    done = job.run(now=_at(date(2027, 8, 1)))
    assert done["erased"] == 1 and done["kept"] == 1
    assert sorted([_state(first), _state(second)]) == ["active", "erased"]
    assert len(entries) == 1


def test_when_every_erasure_fails_the_run_stops_and_the_next_one_finishes(aws, erased, entries, monkeypatch):
    """DynamoDB refusing every erasure: the ids to try again are not piled up on the program item without end;
    past MAX_RETRY the run stops on that page (written down), and the next run erases them, each once."""
    monkeypatch.setattr(job, "MAX_RETRY", 1)
    program = _program({"inactive_months": 6})
    members = [_member(program, n, bought=[date(2027, 1, 10)]) for n in range(1, 4)]
    real, down = erasure.erase, {"on": True}

    def refusing(card_id, **fields):
        if down["on"]:
            raise RuntimeError("ProvisionedThroughputExceededException")
        return real(card_id, **fields)

    monkeypatch.setattr(erasure, "erase", refusing)
    assert job.run(now=_at(date(2027, 8, 1)))["failed"] == 1
    assert all(_state(card_id) == "active" for card_id in members) and entries == []
    assert len(retention_store.progress(program.program_id)["pending"]) == 3
    down["on"] = False
    job.run(now=_at(date(2027, 8, 2)))
    assert all(_state(card_id) == "erased" for card_id in members)
    assert sorted(e["target_id"] for e in entries) == sorted(members)
    assert "pending" not in retention_store.progress(program.program_id)


def test_by_hand_it_takes_no_day_still_to_come(aws, capsys):
    """Run by hand for a future day, the job would mark the days up to it as done and keep members who
    become due before then for ever: the command line refuses it; today runs."""
    future = (datetime.now(UTC).date() + timedelta(days=40)).isoformat()
    with pytest.raises(SystemExit) as refused:
        cli.main(["run-job", "retention", "--date", future])
    assert "remembers the last day it has done" in str(refused.value)
    assert cli.main(["run-job", "retention", "--date", datetime.now(UTC).date().isoformat()]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["programs"] == 0
