"""The IAM map in infra/template.py against what the code really calls: every DynamoDB call made while
each function does its work must be allowed to that function (and nothing broader is needed)."""
import json
from datetime import UTC, date, datetime

import botocore.client
import pytest

from chalicelib.store import cards as card_store
from chalicelib.store import devices
from chalicelib.store.models import ALL_MODELS  # noqa: E402
from infra import template
from tests.conftest import bearer, enroll

SHORT = {model.Meta.table_name: model.Meta.short_name for model in ALL_MODELS}


@pytest.fixture
def calls(monkeypatch):
    seen = []
    original = botocore.client.BaseClient._make_api_call

    def record(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            if operation == "TransactWriteItems":
                for item in params["TransactItems"]:
                    for kind, detail in item.items():
                        verb = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                                "ConditionCheck": "ConditionCheckItem"}[kind]
                        seen.append((verb, detail["TableName"], None))
            elif operation in ("BatchGetItem", "BatchWriteItem"):
                for table in params["RequestItems"]:
                    seen.append((operation, table, None))
            elif "TableName" in params:
                seen.append((operation, params["TableName"], params.get("IndexName")))
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return seen


def _allowed(function, seen):
    access = template.ACCESS[function]
    missing = []
    for operation, table, index in seen:
        short = SHORT.get(table)
        if short is None:
            continue
        wanted = f"dynamodb:{operation}" + (f"@{index}" if index else "")
        if wanted not in access.get(short, []):
            missing.append((short, wanted))
    return sorted(set(missing))


def test_the_api_needs_nothing_its_role_lacks(client, merchant, program, pos, calls):
    calls.clear()
    card = enroll(client)
    friend = enroll(client, phone="+79160000002")
    client.http.get(f"/admin/programs/{program['id']}/cards", headers=bearer(merchant))
    client.http.get(f"/admin/programs/{program['id']}/cards?q={card['card_number']}", headers=bearer(merchant))
    client.http.get(f"/admin/cards/{card['card_id']}", headers=bearer(merchant))
    client.http.get(f"/admin/cards/{card['card_id']}/ledger", headers=bearer(merchant))
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                      body=json.dumps({"branding": {"logo_text": "Coffee"}}))
    client.http.post(f"/admin/cards/{friend['card_id']}/adjustments", headers=bearer(merchant),
                     body=json.dumps({"amount": 5, "reason": "r", "idempotency_key": "k"}))
    client.http.patch(f"/admin/cards/{friend['card_id']}", headers=bearer(merchant), body=json.dumps({"name": "F"}))
    pos.get(f"/pos/cards/{card['card_number']}")
    pos.post("/pos/quote", {"card": card["card_number"], "total": 1000})
    pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100000, "redeem": 10})
    pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100000, "redeem": 10})
    pos.post("/pos/receipts", {"receipt_id": "a1", "card": None, "total": 100})
    pos.post("/pos/refunds", {"refund_id": "f1", "receipt_id": "r1", "amount": 1000})
    token = card_store.get(card["card_id"]).auth_token
    auth = {"Authorization": f"ApplePass {token}", "Content-Type": "application/json"}
    base = "/passkit/v1/devices/d1/registrations/pass.dev.loyalty.local"
    client.http.post(f"{base}/{card['card_id']}", headers=auth, body=json.dumps({"pushToken": "t1"}))
    client.http.get(base)
    client.http.delete(f"{base}/{card['card_id']}", headers=auth)
    client.http.post(f"/admin/programs/{program['id']}/passes/refresh", headers=bearer(merchant))
    campaign = json.loads(client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                                           body=json.dumps({"name": "c", "texts": {"en": "hi"}, "bonus": 5})).body)
    client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send", headers=bearer(merchant))
    assert len(calls) > 30
    assert _allowed("api", calls) == []


def test_the_outbox_needs_nothing_its_role_lacks(client, merchant, program, pos, calls):
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns

    card = enroll(client)
    devices.register("d1", "pass.dev.loyalty.local", card["card_id"], "gone-1", datetime.now(UTC))
    pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100000})
    client.http.post(f"/admin/programs/{program['id']}/passes/refresh", headers=bearer(merchant))
    calls.clear()
    for _ in range(3):
        outbox.deliver(push=lambda token: apns.PushResult(410))
    assert calls and _allowed("outbox", calls) == []


def test_the_daily_jobs_need_nothing_their_roles_lack(client, merchant, calls):
    from chalicelib.jobs import tiers, triggers
    from chalicelib.usecases import enrollment
    from chalicelib.usecases import pos as pos_cases
    from chalicelib.usecases import programs as program_cases

    joined = datetime(2027, 1, 10, 9, tzinfo=UTC)
    program = program_cases.create(merchant, {"name": "Jobs", "slug": "jobs", "mechanics": {
        "welcome_bonus": 100, "lifetime_by_source": {"welcome": 30}, "birthday": {"bonus": 5},
        "winback": {"after_days": 45, "bonus": 5},
        "tiers": [{"id": "base", "name": "B", "threshold": 0, "earn_percent": 5},
                  {"id": "gold", "name": "G", "threshold": 1000, "earn_percent": 10}]}}, joined)
    card = enrollment.enroll(program, {"name": "J", "phone": "+79160000003", "consent": True,
                                       "birthday": "1990-02-20"}, joined, "ru")
    pos_cases.post_receipt(program, {"receipt_id": "j1", "card": card.number, "total": 100000}, joined)
    for job, day in (("expire_points", date(2027, 2, 9)), ("birthdays", date(2027, 2, 20)),
                     ("winback", date(2027, 2, 24))):
        calls.clear()
        getattr(triggers, job)(day, now=datetime.combine(day, datetime.min.time(), tzinfo=UTC))
        assert calls and _allowed(job, calls) == [], job
    calls.clear()
    tiers.run(date(2028, 3, 1))
    assert _allowed("tier_review", calls) == []
    from chalicelib.usecases import campaigns

    campaigns.create(program, {"name": "c", "texts": {"en": "hi"}, "bonus": 5,
                               "send_at": "2027-03-01T10:00:00+00:00"}, "me", joined)
    calls.clear()
    assert campaigns.run_due(datetime(2027, 3, 1, 11, tzinfo=UTC)) == {"campaigns": 1}
    assert _allowed("campaigns", calls) == []


def test_queued_work_needs_nothing_the_job_chunk_and_analytics_roles_lack(client, merchant, calls, monkeypatch):
    """With a jobs queue, the schedules hand work over (card chunks, index walks, analytics batches):
    each task as the job_chunk function works it, and the analytics schedule, stay within their roles."""
    from chalicelib.jobs import analytics, triggers
    from chalicelib.queue import chunks, fanout
    from chalicelib.usecases import campaigns, enrollment
    from chalicelib.usecases import pos as pos_cases
    from chalicelib.usecases import programs as program_cases

    queued = []

    class Queue:
        def send_message_batch(self, QueueUrl, Entries):  # noqa: N803 - botocore's parameter names
            queued.extend(json.loads(entry["MessageBody"]) for entry in Entries)
            return {}

    monkeypatch.setattr(fanout, "queue_url", lambda: "https://sqs.local/jobs")
    monkeypatch.setattr(fanout, "_sqs", Queue)
    monkeypatch.setattr(fanout, "THRESHOLD", 1)  # every walk of more than one card fans out
    joined = datetime(2027, 1, 10, 9, tzinfo=UTC)
    program = program_cases.create(merchant, {"name": "Queued", "slug": "queued", "mechanics": {
        "welcome_bonus": 100, "lifetime_by_source": {"welcome": 30}, "expiry_warning_days": 3,
        "birthday": {"bonus": 5}, "winback": {"after_days": 45, "bonus": 5}}}, joined)
    for n in range(3):
        card = enrollment.enroll(program, {"name": "Q", "phone": f"+7916000001{n}", "consent": True,
                                           "birthday": "1990-02-20"}, joined, "ru")
        pos_cases.post_receipt(program, {"receipt_id": f"q{n}", "card": card.number, "total": 100000}, joined)
    campaign = campaigns.create(program, {"name": "c", "texts": {"en": "hi"}, "bonus": 5}, "me", joined)

    def work_off():
        while queued:
            message = queued.pop(0)
            calls.clear()
            chunks.work(message)
            assert _allowed("job_chunk", calls) == [], message["task"]

    for job, day in (("expire_points", date(2027, 2, 6)), ("expire_points", date(2027, 2, 9)),
                     ("birthdays", date(2027, 2, 20)), ("winback", date(2027, 2, 24))):
        calls.clear()
        getattr(triggers, job)(day, now=datetime.combine(day, datetime.min.time(), tzinfo=UTC))
        assert _allowed(job, calls) == [], job
        assert queued, f"{job} handed nothing to the queue"
        work_off()
    members, _ = card_store.list_for_program(program.program_id, 10, None)
    queued.append({"task": "campaign", "program_id": program.program_id, "campaign_id": campaign.campaign_id,
                   "day": "2027-03-01", "card_ids": [member.card_id for member in members]})
    work_off()
    calls.clear()
    analytics.run(date(2027, 3, 2))
    assert _allowed("analytics", calls) == []
    assert queued and queued[0]["task"] == "analytics"
    work_off()
