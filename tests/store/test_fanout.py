"""Large runs fan out through the jobs queue in chunks; each chunk is worked once, even if SQS delivers
it twice; without a queue the chunks are worked in place."""
import json
from datetime import UTC, date, datetime

import pytest

from chalicelib.jobs import triggers
from chalicelib.queue import chunks, fanout
from chalicelib.store import cards as card_store
from chalicelib.usecases import campaigns, enrollment
from chalicelib.usecases import programs as program_cases

NOW = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def program(aws, monkeypatch):
    monkeypatch.setattr(fanout, "THRESHOLD", 2)
    monkeypatch.setattr(fanout, "CHUNK", 2)
    program = program_cases.create("m_1", {"name": "Big", "slug": "big", "mechanics": {
        "welcome_bonus": 0, "birthday": {"bonus": 10}, "messaging": {"quiet_hours": None}}}, NOW)
    return program


def _cards(program, count=5):
    return [enrollment.enroll(program, {"name": "B", "phone": f"+791600000{i:02d}", "consent": True,
                                        "birthday": "1990-03-05"}, NOW, "ru") for i in range(count)]


def test_without_a_queue_chunks_are_worked_in_place(program):
    cards = _cards(program)
    counts = triggers.birthdays(date(2027, 3, 5), now=NOW)
    assert counts["read"] == 5 and counts.get("chunks", 0) == 0
    assert [card_store.get(c.card_id).balance for c in cards] == [10] * 5


def test_with_a_queue_chunks_go_to_sqs_and_are_worked_once(program, jobs_queue):
    import app

    queues = [source.queue for source in app.app.event_sources if hasattr(source, "queue")]
    assert queues == [schedules_queue()]
    cards = _cards(program)
    sqs, url = jobs_queue
    counts = triggers.birthdays(date(2027, 3, 5), now=NOW)
    assert counts["chunks"] == 3 and counts["gifts"] == 0  # nothing done yet: it is all in the queue
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(len(json.loads(m["Body"])["card_ids"]) for m in messages) == [1, 2, 2]

    for message in messages:  # what the SQS handler (schedules.job_chunk) does with each record
        chunks.work(json.loads(message["Body"]))
    chunks.work(json.loads(messages[0]["Body"]))  # SQS may deliver a message twice
    assert [card_store.get(c.card_id).balance for c in cards] == [10] * 5


def test_a_large_campaign_fans_out_too(program):
    cards = _cards(program, 3)
    campaign = campaigns.create(program, {"name": "c", "texts": {"ru": "Привет"}, "bonus": 5, "holdout_percent": 0},
                                "me", NOW)
    sent = campaigns.send(program, campaign, NOW)
    assert campaigns.progress(sent)["audience"] == 3 and sent.status == "sent"
    assert [card_store.get(c.card_id).balance for c in cards] == [5] * 3
    assert all(card_store.get(c.card_id).notice == "Привет" for c in cards)


def schedules_queue():
    from chalicelib.jobs import schedules

    return schedules.JOBS_QUEUE_NAME


# --- the queue's tasks at scale: hand-backs, per-program tasks, redeliveries, twins -------------------

class Steps(fanout.Budget):
    """A budget spent after `steps` checks: an invocation that runs out of time at a chosen point."""

    def __init__(self, steps):
        super().__init__()
        self.left = steps

    def spent(self):
        self.left -= 1
        return self.left < 0


def _drain(queue, steps=None):
    """What the SQS handler does until the queue is empty; each task gets `steps` budget checks."""
    sqs, url = queue
    seen = []
    while True:
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            return seen
        for message in received:
            body = json.loads(message["Body"])
            seen.append((body, chunks.work(body, Steps(steps) if steps is not None else fanout.UNLIMITED)))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _gifted_once(cards, points=10):
    from chalicelib.store.models import Message

    for card in cards:
        entries, _ = card_store.ledger_page(card.card_id, 20, None)
        assert [int(e.amount) for e in entries if e.source == "birthday"] == [points]
        assert [m.outcome for m in Message.query(card.card_id) if m.kind == "birthday"] == ["queued"]


@pytest.mark.parametrize("steps", [0, 2, 3, 6])
def test_a_run_out_of_time_hands_its_cards_to_the_queue_and_they_finish_there(program, jobs_queue, monkeypatch, steps):
    cards = _cards(program, 7)
    monkeypatch.setattr(fanout, "THRESHOLD", 10)  # one page holds them all: worked in place until time is up
    monkeypatch.setattr(fanout, "budget", lambda: Steps(steps))  # checked per program, page and card
    counts = triggers.birthdays(date(2027, 3, 5), now=NOW)
    if steps == 0:
        assert counts == {"read": 0, "gifts": 0, "programs_queued": 1}  # not even the program was started
    else:
        assert counts["read"] == 7 and counts["gifts"] == steps - 2  # the cards not reached went to the queue
        assert counts["chunks"] == -(-(9 - steps) // 2)
    worked = _drain(jobs_queue, steps=1)  # each invocation there runs short too, after one card
    assert any(done.get("handed_back") or done.get("chunks") for _, done in worked)
    _gifted_once(cards)


def test_a_walk_of_many_pages_fans_out_page_by_page_and_resumes_from_its_cursor(program, jobs_queue, monkeypatch):
    cards = _cards(program, 9)
    monkeypatch.setattr(fanout, "SQS_BATCH", 1)  # pages of CHUNK (2) ids after the first
    monkeypatch.setattr(fanout, "budget", lambda: Steps(3))  # the program, then two pages, then time is up
    counts = triggers.birthdays(date(2027, 3, 5), now=NOW)
    assert counts["read"] == 4 and counts["chunks"] == 2 and counts["handed_back"] == 1
    worked = _drain(jobs_queue, steps=3)
    walks = [body for body, _ in worked if body["task"] == "walk"]
    assert walks and all(body["cursor"] and body["fanning"] for body in walks)
    assert sum(done.get("read", 0) for body, done in worked if body["task"] == "walk") == 5  # the rest, once
    _gifted_once(cards)


def test_many_programs_become_a_task_each(aws, jobs_queue, monkeypatch):
    monkeypatch.setattr(fanout, "INLINE_PROGRAMS", 2)
    programs = [program_cases.create("m_1", {"name": f"P{i}", "slug": f"shop-{i}", "mechanics": {
        "welcome_bonus": 0, "birthday": {"bonus": 10}}}, NOW) for i in range(3)]
    cards = [card for p in programs for card in _cards(p, 2)]
    counts = triggers.birthdays(date(2027, 3, 5), now=NOW)
    assert counts == {"read": 0, "gifts": 0, "programs_queued": 3}  # nothing read inline
    worked = _drain(jobs_queue)
    assert sorted(body["task"] for body, _ in worked) == ["program"] * 3
    _gifted_once(cards)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_chunk_stopped_after_k_cards_and_redelivered_repeats_nothing(program, monkeypatch, k):
    from contextlib import contextmanager

    from chalicelib.store import db

    cards = _cards(program, 4)
    monkeypatch.setattr(fanout, "CHUNK", 10)
    [body] = fanout.card_chunks("birthdays", program.program_id, "2027-03-05", [c.card_id for c in cards],
                                {"month_day": "03-05", "year": "2027", "now": NOW.isoformat()})

    real, commits = db.transaction, [0]

    @contextmanager
    def dies_after_k(token=None):
        with real(token) as tx:
            yield tx
        commits[0] += 1
        if commits[0] == k:
            raise RuntimeError("the invocation died here")

    monkeypatch.setattr(db, "transaction", dies_after_k)
    with pytest.raises(RuntimeError):
        chunks.work(body)
    monkeypatch.setattr(db, "transaction", real)
    assert chunks.work(body)["cards"] == 4  # SQS delivers it again
    assert chunks.work(body)["cards"] == 4  # … and maybe once more
    _gifted_once(cards)


def test_two_runs_at_once_give_each_card_one_gift(program, jobs_queue):
    cards = _cards(program, 5)
    triggers.birthdays(date(2027, 3, 5), now=NOW)
    triggers.birthdays(date(2027, 3, 5), now=NOW)  # the schedule delivered twice
    assert len(_drain(jobs_queue)) == 6
    _gifted_once(cards)


def test_unknown_or_malformed_tasks_are_logged_and_dropped(aws):
    from chalicelib.jobs import schedules

    assert chunks.work({"task": "nope", "program_id": "p", "day": "2027-03-05", "card_ids": []}) == {"dropped": 1}
    assert chunks.work({"task": "__init__"}) == {"dropped": 1}
    assert chunks.work({"task": "birthdays", "program_id": "p"}) == {"dropped": 1}  # no day, cards, year
    assert chunks.work(["not", "a", "task"]) == {"dropped": 1}

    records = [{"body": "{not json", "receiptHandle": "h1"},
               {"body": json.dumps({"task": "walk", "occasion": "birthdays"}), "receiptHandle": "h2"}]
    assert schedules.job_chunk({"Records": records}, None) == [{"dropped": 1}, {"dropped": 1}]  # as SQS calls it


def test_an_invocations_budget_keeps_a_reserve_for_the_hand_over():
    class Context:
        def __init__(self, ms):
            self.ms = ms

        def get_remaining_time_in_millis(self):
            return self.ms

    import time

    budget = fanout.Budget.of_lambda(Context(25_000))  # the scheduled functions' 25 s
    assert 19 < budget.until - time.monotonic() <= 20 and not budget.spent()
    assert fanout.Budget.of_lambda(Context(300_000)).until - time.monotonic() <= 240  # job_chunk: 60 s kept
    assert fanout.Budget.of_lambda(Context(3_000)).spent()  # too little left to start anything
    assert fanout.Budget.of_lambda(None).until is None  # outside Lambda (the CLI, the local stack)
    with fanout.invocation(None, "arn:aws:sqs:eu-central-1:123456789012:loyalty-prod-jobs"):
        assert fanout.queue_url() == "https://sqs.eu-central-1.amazonaws.com/123456789012/loyalty-prod-jobs"
    assert fanout.queue_url() is None


def test_analytics_goes_out_in_batches_and_a_twin_leaves_a_held_program_alone(aws, monkeypatch):
    from chalicelib.jobs import analytics
    from chalicelib.store import analytics as analytics_store
    from chalicelib.store import leases

    programs = [program_cases.create("m_1", {"name": f"P{i}", "slug": f"fold-{i}"}, NOW) for i in range(3)]
    for p in programs:
        _cards(p, 1)
    held = programs[1].program_id
    assert leases.acquire(f"analytics#{held}", "a-twin", datetime.now(UTC), 60)
    assert analytics.run(date(2027, 3, 5)) == {"programs": 2}  # the twin has that one
    assert analytics_store.thresholds(held) is None
    assert all(analytics_store.thresholds(p.program_id) for p in programs if p.program_id != held)
    leases.release(f"analytics#{held}", "a-twin")
    assert analytics.run(date(2027, 3, 5)) == {"programs": 3}
    assert analytics_store.thresholds(held) is not None


def test_analytics_with_a_queue_sends_batches_that_hand_back_what_they_cannot_finish(aws, jobs_queue, monkeypatch):
    from chalicelib.jobs import analytics
    from chalicelib.store import analytics as analytics_store

    monkeypatch.setattr(analytics, "BATCH", 2)
    programs = [program_cases.create("m_1", {"name": f"P{i}", "slug": f"batch-{i}"}, NOW) for i in range(5)]
    assert analytics.run(date(2027, 3, 5)) == {"programs": 5, "tasks_queued": 3}
    worked = _drain(jobs_queue, steps=1)  # each invocation manages one program, then hands the rest back
    assert sum(done["programs"] for _, done in worked) == 5
    assert any(done.get("handed_back") for _, done in worked)
    assert all(analytics_store.thresholds(p.program_id) for p in programs)


def test_a_lease_whose_holder_died_runs_out_and_passes_on(aws):
    from datetime import timedelta

    from chalicelib.store import leases

    start = datetime(2027, 3, 5, 3, 40, tzinfo=UTC)
    assert leases.acquire("analytics#p1", "first", start, 900)
    assert leases.acquire("analytics#p1", "first", start + timedelta(seconds=10), 900)  # its holder renews
    assert not leases.acquire("analytics#p1", "twin", start + timedelta(seconds=899), 900)
    assert leases.acquire("analytics#p1", "next", start + timedelta(seconds=911), 900)  # ran out: taken over
    leases.release("analytics#p1", "first")  # too late: not the first's any more
    assert not leases.acquire("analytics#p1", "twin", start + timedelta(seconds=912), 900)
