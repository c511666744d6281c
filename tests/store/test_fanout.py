"""Large runs fan out through the jobs queue in chunks; each chunk is worked once, even if SQS delivers
it twice; without a queue the chunks are worked in place."""
import json
from datetime import date, datetime, timezone

import boto3
import pytest

from chalicelib import config
from chalicelib.jobs import chunks, fanout, triggers
from chalicelib.store import cards as card_store
from chalicelib.usecases import campaigns, enrollment
from chalicelib.usecases import programs as program_cases

NOW = datetime(2027, 3, 5, 10, 0, tzinfo=timezone.utc)


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


def test_with_a_queue_chunks_go_to_sqs_and_are_worked_once(program, monkeypatch):
    import app

    queues = [source.queue for source in app.app.event_sources if hasattr(source, "queue")]
    assert queues == [schedules_queue()]
    cards = _cards(program)
    sqs = boto3.client("sqs", region_name="eu-central-1")
    url = sqs.create_queue(QueueName="loyalty-test-jobs")["QueueUrl"]
    monkeypatch.setenv("JOBS_QUEUE_URL", url)
    config.reset()
    fanout._sqs.cache_clear()
    try:
        counts = triggers.birthdays(date(2027, 3, 5), now=NOW)
        assert counts["chunks"] == 3 and counts["gifts"] == 0  # nothing done yet: it is all in the queue
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(len(json.loads(m["Body"])["card_ids"]) for m in messages) == [1, 2, 2]

        for message in messages:  # what the SQS handler (schedules.job_chunk) does with each record
            chunks.work(json.loads(message["Body"]))
        chunks.work(json.loads(messages[0]["Body"]))  # SQS may deliver a message twice
        assert [card_store.get(c.card_id).balance for c in cards] == [10] * 5
    finally:
        monkeypatch.delenv("JOBS_QUEUE_URL")
        config.reset()


def test_a_large_campaign_fans_out_too(program):
    cards = _cards(program, 3)
    campaign = campaigns.create(program, {"name": "c", "texts": {"ru": "Привет"}, "bonus": 5}, "me", NOW)
    sent = campaigns.send(program, campaign, NOW)
    assert campaigns.progress(sent)["audience"] == 3 and sent.status == "sent"
    assert [card_store.get(c.card_id).balance for c in cards] == [5] * 3
    assert all(card_store.get(c.card_id).notice == "Привет" for c in cards)


def schedules_queue():
    from chalicelib.jobs import schedules

    return schedules.JOBS_QUEUE_NAME
