"""Campaigns: the audience size before sending, the bonus once per card, counts afterwards, audiences
by tier, lifecycle, birthdays and filters, scheduled sends, and who may do it."""
import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.store import cards as card_store
from chalicelib.usecases import campaigns
from tests.conftest import bearer, body, enroll, ses_sent


def _create(client, merchant, program, role="owner", **data):
    # every card of the audience treated: these tests are about the send (holdouts: test_campaign_experiments.py)
    payload = {"name": "Cake day", "texts": {"ru": "Торт!", "en": "Cake!"}, "holdout_percent": 0, **data}
    return client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant, role),
                            body=json.dumps(payload))


def test_preview_send_bonus_once_and_counts(client, merchant, program, pos):
    cards = [enroll(client, phone=f"+7916000000{i}") for i in range(3)]
    pos.post("/pos/receipts", {"receipt_id": "big", "card": cards[0]["card_number"], "total": 2000000})  # -> gold
    created = _create(client, merchant, program, audience={"kind": "all"}, bonus=25)
    assert created.status_code == 201
    campaign = body(created)
    assert campaign["audience_size"] == 3 and campaign["status"] == "draft"
    sent = client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                            headers=bearer(merchant, "manager"))
    assert sent.status_code == 200
    counts = body(sent)["counts"]
    assert counts["audience"] == 3 and counts["bonuses"] == 3
    assert counts.get("sent", 0) + counts.get("queued", 0) + counts.get("skipped", 0) == 3
    assert card_store.get(cards[1]["card_id"]).balance == 125
    again = client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                             headers=bearer(merchant))
    assert again.status_code == 409 and body(again)["error"]["code"] == "already_sent"
    assert card_store.get(cards[1]["card_id"]).balance == 125


def test_audiences(client, merchant, program, pos):
    rich = enroll(client, phone="+79160000001", birthday="1990-" + datetime.now(UTC).strftime("%m") + "-01")
    poor = enroll(client, phone="+79160000002")
    pos.post("/pos/receipts", {"receipt_id": "r1", "card": rich["card_number"], "total": 1500000})
    sizes = {}
    for name, audience in (("tier", {"kind": "tier", "tier": "gold"}),
                           ("filter", {"kind": "filter", "min_spend": 1000000}),
                           ("visits", {"kind": "filter", "max_visits": 0}),
                           ("birthdays", {"kind": "birthdays_this_month"}),
                           ("new", {"kind": "new"}), ("lost", {"kind": "lost"})):
        sizes[name] = body(_create(client, merchant, program, audience=audience))["audience_size"]
    assert sizes == {"tier": 1, "filter": 1, "visits": 1, "birthdays": 1, "new": 2, "lost": 0}
    assert poor["card_id"] != rich["card_id"]


def test_bad_campaigns_name_the_field(client, merchant, program):
    for data, field in (({"audience": {"kind": "vip"}}, "audience.kind"),
                        ({"audience": {"kind": "tier", "tier": "platinum"}}, "audience.tier"),
                        ({"audience": {"kind": "filter"}}, "audience"),
                        ({"texts": {}}, "texts"), ({"texts": {"de": "Hallo"}}, "texts.de"),
                        ({"send_at": "tomorrow"}, "send_at"), ({"bonus": -1}, "bonus")):
        response = _create(client, merchant, program, **data)
        assert response.status_code == 400 and body(response)["error"]["field"] == field, data


def test_scheduled_campaign_goes_out_when_due(client, merchant, program):
    from chalicelib.store import programs as program_store

    enroll(client)
    later = datetime.now(UTC) + timedelta(hours=2)
    campaign = body(_create(client, merchant, program, send_at=later.isoformat()))
    assert campaign["status"] == "scheduled"
    assert campaigns.run_due(datetime.now(UTC))["campaigns"] == 0
    assert campaigns.run_due(later + timedelta(minutes=1))["campaigns"] == 1
    stored = campaigns.get(program_store.get(program["id"]), campaign["id"])
    assert stored.status == "sent" and campaigns.progress(stored)["audience"] == 1


def test_roles_and_tenancy(client, merchant, other_merchant, program):
    assert _create(client, merchant, program, role="analyst").status_code == 403
    assert _create(client, other_merchant, program).status_code == 404
    campaign = body(_create(client, merchant, program))
    assert client.http.get(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}",
                           headers=bearer(other_merchant)).status_code == 404
    path = f"/admin/programs/{program['id']}/campaigns/{campaign['id']}"
    assert client.http.get(path, headers=bearer(merchant, "analyst")).status_code == 403  # the README's roles
    assert client.http.get(path, headers=bearer(merchant, "manager")).status_code == 200
    assert client.http.post(f"{path}/send", headers=bearer(merchant, "analyst")).status_code == 403


def test_rfm_audiences_use_the_analytics_segments(client, merchant, program, pos):
    buyer = enroll(client, phone="+79160000011")
    enroll(client, phone="+79160000012")  # never bought: no RFM score, in no RFM audience
    pos.post("/pos/receipts", {"receipt_id": "r1", "card": buyer["card_number"], "total": 150000})
    segments = body(client.http.get(f"/admin/programs/{program['id']}/analytics/segments", headers=bearer(merchant)))
    (segment, count), = [(name, n) for name, n in segments["rfm_segments"].items() if n]
    assert count == 1
    created = body(_create(client, merchant, program, audience={"kind": "rfm", "segment": segment}))
    assert created["audience_size"] == 1
    other = next(name for name in segments["rfm_segments"] if name != segment)
    assert body(_create(client, merchant, program, audience={"kind": "rfm", "segment": other}))["audience_size"] == 0
    wrong = _create(client, merchant, program, audience={"kind": "rfm", "segment": "vip"})
    assert wrong.status_code == 400 and body(wrong)["error"]["field"] == "audience.segment"


# --- sends that always finish ---------------------------------------------------------------------



def _members(client, merchant, program, n):
    """`n` members who gave marketing consent with an e-mail; quiet hours off, whatever the hour now."""
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                      body=json.dumps({"mechanics": {"messaging": {"quiet_hours": None}}}))
    return [enroll(client, phone=f"+7916200{i:04d}", email=f"m{i}@example.com", marketing_consent=True)
            for i in range(n)]


def _deliver(at=None):
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns

    return outbox.deliver(at, push=lambda token: apns.PushResult(200))


def _send(client, merchant, program, campaign_id):
    return client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign_id}/send",
                            headers=bearer(merchant))


def _get(client, merchant, program, campaign_id):
    return body(client.http.get(f"/admin/programs/{program['id']}/campaigns/{campaign_id}", headers=bearer(merchant)))


def _ledger_kinds(card_id):
    from chalicelib.store.models import LedgerEntry

    return [entry.source for entry in LedgerEntry.query(card_id) if entry.source == "campaign"]


def _campaign_messages(card_id):
    from chalicelib.store.models import Message

    return [m for m in Message.query(card_id) if m.kind == "campaign" and m.channel == "wallet"]


def test_deliveries_counted_while_the_send_writes_never_break_it(client, merchant, program, ses, monkeypatch):
    """The outbox delivers a campaign's e-mails (and counts them on the campaign) between the send's own
    writes, as the outbox stream does in production: the send still ends `sent` with exact counts."""
    from chalicelib.usecases import notices

    members = _members(client, merchant, program, 5)
    real = notices.notify

    def notify_then_deliver(*args, **kwargs):
        outcome = real(*args, **kwargs)
        _deliver()  # the message's e-mail goes out and `delivered` is added to the campaign, mid-send
        return outcome

    monkeypatch.setattr(notices, "notify", notify_then_deliver)
    campaign = body(_create(client, merchant, program, bonus=10))
    sent = _send(client, merchant, program, campaign["id"])
    assert sent.status_code == 200, sent.body
    assert body(sent)["status"] == "sent"
    assert body(sent)["counts"] == {"audience": 5, "processed": 5, "sent": 5, "queued": 0, "skipped": 0,
                                    "bonuses": 5, "held_out": 0, "delivered": 5, "failed": 0}
    assert len(ses_sent()) == 5
    assert all(card_store.get(m["card_id"]).balance == 110 for m in members)


def test_three_campaigns_in_a_row_each_end_sent_with_their_counts(client, merchant, program, ses):
    members = _members(client, merchant, program, 40)
    for round_ in range(3):
        campaign = body(_create(client, merchant, program, name=f"Week {round_}", bonus=10))
        sent = _send(client, merchant, program, campaign["id"])
        assert sent.status_code == 200 and body(sent)["status"] == "sent", sent.body
        _deliver()
        counts = _get(client, merchant, program, campaign["id"])["counts"]
        assert counts == {"audience": 40, "processed": 40, "sent": 40, "queued": 0, "skipped": 0, "bonuses": 40,
                          "held_out": 0,
                          "delivered": 40, "failed": 0}, (round_, counts)
    assert len(ses_sent()) == 120
    assert {card_store.get(m["card_id"]).balance for m in members} == {130}


def test_a_second_send_while_one_runs_is_409_and_the_campaign_is_sent_once(client, merchant, program, monkeypatch):
    from chalicelib.usecases import notices

    members = _members(client, merchant, program, 3)
    campaign = body(_create(client, merchant, program, bonus=7))
    real, answers = notices.notify, []

    def notify_and_press_again(*args, **kwargs):
        if not answers:  # the owner presses "send" again while the first send is on its first card
            answers.append(_send(client, merchant, program, campaign["id"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(notices, "notify", notify_and_press_again)
    first = _send(client, merchant, program, campaign["id"])
    assert first.status_code == 200 and body(first)["counts"]["processed"] == 3
    assert answers[0].status_code == 409 and body(answers[0])["error"]["code"] == "campaign_in_progress"
    again = _send(client, merchant, program, campaign["id"])
    assert again.status_code == 409 and body(again)["error"]["code"] == "already_sent"
    assert all(len(_ledger_kinds(m["card_id"])) == 1 and len(_campaign_messages(m["card_id"])) == 1
               for m in members)


def test_concurrent_sends_of_one_campaign_are_one_send(client, merchant, program, serialised_dynamodb):
    """Two presses of "send" at the same moment (threads; each DynamoDB request atomic as in the real
    service): one sends, the other is told the campaign is in progress (or already sent)."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.store import programs as program_store

    members = _members(client, merchant, program, 4)
    created = body(_create(client, merchant, program, bonus=5))
    stored = program_store.get(program["id"])
    stale = [campaigns.get(stored, created["id"]) for _ in range(4)]  # every thread read it as a draft

    def press(campaign):
        try:
            return campaigns.send(stored, campaign, datetime.now(UTC)).status
        except Exception as error:  # noqa: BLE001
            return getattr(error, "code", repr(error))

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(press, stale))
    assert outcomes.count("sent") == 1 and set(outcomes) <= {"sent", "campaign_in_progress", "already_sent"}, outcomes
    final = _get(client, merchant, program, created["id"])
    assert final["status"] == "sent" and final["counts"]["processed"] == 4 and final["counts"]["bonuses"] == 4
    assert all(card_store.get(m["card_id"]).balance == 105 for m in members)


class Killed(BaseException):
    """A crash (a killed Lambda, a timeout): nothing of ours catches it, so no clean-up runs."""


def _kill_at(monkeypatch, module, name, k, after):
    """Stop the send at the `k`-th call (0-based) of `module.name`: before it, or just after it did its part."""
    real, calls = getattr(module, name), []

    def faulty(*args, **kwargs):
        calls.append(1)
        if len(calls) == k + 1 and not after:
            raise Killed(name)
        result = real(*args, **kwargs)
        if len(calls) == k + 1 and after:
            raise Killed(name)
        return result

    monkeypatch.setattr(module, name, faulty)
    return lambda: monkeypatch.setattr(module, name, real)


def _points():
    from chalicelib.store import campaigns as campaign_store
    from chalicelib.usecases import notices

    return {"before a card": (campaign_store, "is_done", False),
            "after its bonus": (campaigns, "apply", True),
            "after claiming its message": (campaign_store, "claim_message", True),
            "after its message": (notices, "notify", True),
            "after counting it": (campaign_store, "record_card", True)}


@pytest.mark.parametrize("point", ["before a card", "after its bonus", "after claiming its message",
                                   "after its message", "after counting it"])
def test_a_send_killed_after_k_of_n_cards_is_finished_by_the_schedule_exactly_once(
        client, merchant, program, ses, monkeypatch, point):
    members = _members(client, merchant, program, 4)
    module, name, after = _points()[point]
    wall = campaigns._wall
    for k in (0, 2, 3):
        ses_sent().clear()
        campaign = body(_create(client, merchant, program, name=f"k={k}", bonus=10))
        heal = _kill_at(monkeypatch, module, name, k, after)
        with pytest.raises(Killed):
            _send(client, merchant, program, campaign["id"])
        heal()
        stopped = _get(client, merchant, program, campaign["id"])
        assert stopped["status"] == "sending" and stopped["counts"]["processed"] == k + (point == "after counting it")
        complete = point == "after counting it" and k == 3  # killed after counting the last card
        ran = campaigns.run_due()  # its lease has not run out yet: nobody takes it over (a complete one ends)
        assert (ran.get("resumed", 0), ran.get("finished", 0)) == (0, int(complete))
        later = datetime.now(UTC) + campaigns.LEASE + timedelta(minutes=1)
        monkeypatch.setattr(campaigns, "_wall", lambda later=later: later)
        assert campaigns.run_due(later).get("resumed", 0) == int(not complete)
        monkeypatch.setattr(campaigns, "_wall", wall)
        _deliver(later)
        done = _get(client, merchant, program, campaign["id"])
        assert done["status"] == "sent", (k, done)
        assert done["counts"] == {"audience": 4, "processed": 4, "sent": 4, "queued": 0, "skipped": 0, "bonuses": 4,
                                  "held_out": 0,
                                  "delivered": 4, "failed": 0}, (k, done["counts"])
        assert sorted(m.destinations["ToAddresses"][0] for m in ses_sent()) == sorted(
            f"m{i}@example.com" for i in range(4)), k  # one e-mail each
    for member in members:  # one bonus and one wallet message per card and campaign
        assert len(_ledger_kinds(member["card_id"])) == 3 and len(_campaign_messages(member["card_id"])) == 3
        assert card_store.get(member["card_id"]).balance == 130


def test_a_crowded_send_answers_503_shows_its_error_and_carries_on_when_sent_again(client, merchant, program, ses,
                                                                                   monkeypatch):
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    from chalicelib.store import db
    from chalicelib.usecases import notices

    members = _members(client, merchant, program, 4)
    campaign = body(_create(client, merchant, program, bonus=10))
    real, calls = notices.notify, []

    def crowded_on_the_third_card(program_, card, *args, **kwargs):
        calls.append(card.card_id)
        if len(calls) >= 3 and card.card_id == calls[2]:  # the third card, every time it is tried
            cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                                       "TransactWriteItems",
                                       cancellation_reasons=[CancellationReason(code="TransactionConflict")])
            raise TransactWriteError("conflict", cause=cause)
        return real(program_, card, *args, **kwargs)

    monkeypatch.setattr(notices, "notify", crowded_on_the_third_card)
    monkeypatch.setattr(db.time, "sleep", lambda seconds: None)
    busy = _send(client, merchant, program, campaign["id"])
    assert busy.status_code == 503 and body(busy)["error"]["code"] == "busy", busy.body
    assert busy.headers["Retry-After"] == "1"
    shown = _get(client, merchant, program, campaign["id"])
    assert shown["status"] == "sending" and shown["counts"]["processed"] == 2 and shown["counts"]["bonuses"] == 2
    assert shown["last_error"].startswith("busy")
    monkeypatch.setattr(notices, "notify", real)
    again = _send(client, merchant, program, campaign["id"])  # the gave-up send freed its lease at once
    assert again.status_code == 200 and body(again)["status"] == "sent", again.body
    assert body(again)["counts"]["processed"] == 4 and body(again)["counts"]["bonuses"] == 4
    assert {card_store.get(m["card_id"]).balance for m in members} == {110}
    assert all(len(_campaign_messages(m["card_id"])) == 1 for m in members)


def test_a_large_audience_answers_202_and_the_queue_finishes_it(client, merchant, program, ses, jobs_queue,
                                                                 monkeypatch):
    from chalicelib.queue import chunks, fanout

    members = _members(client, merchant, program, 5)
    monkeypatch.setattr(campaigns, "INLINE", 3)
    monkeypatch.setattr(fanout, "CHUNK", 2)
    sqs, url = jobs_queue
    campaign = body(_create(client, merchant, program, bonus=10))
    accepted = _send(client, merchant, program, campaign["id"])
    assert accepted.status_code == 202 and body(accepted)["status"] == "sending"
    assert body(accepted)["counts"]["audience"] == 5 and body(accepted)["counts"]["processed"] == 0
    assert body(accepted)["counts"]["chunks"] == 3
    pressed = _send(client, merchant, program, campaign["id"])
    assert pressed.status_code == 409 and body(pressed)["error"]["code"] == "campaign_in_progress"
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    for message in [*messages, messages[0]]:  # what job_chunk does; SQS may deliver a message twice
        chunks.work(json.loads(message["Body"]))
    _deliver()
    done = _get(client, merchant, program, campaign["id"])
    assert done["status"] == "sent"  # the last card counted finished it
    assert done["counts"] == {"audience": 5, "processed": 5, "sent": 5, "queued": 0, "skipped": 0, "bonuses": 5,
                              "held_out": 0,
                              "chunks": 3, "delivered": 5, "failed": 0}
    assert {card_store.get(m["card_id"]).balance for m in members} == {110}


def test_a_discount_programs_campaign_gives_offers_not_points(client, merchant, program):
    """A discount card holds no points to spend: a campaign's bonus would be points nobody can use."""
    changed = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant), body=json.dumps(
        {"mechanics": {"kind": "discount", "tiers": [{"id": "base", "name": "Base", "threshold": 0,
                                                      "discount_percent": 5}]}}))
    assert changed.status_code == 200, changed.body
    refused = _create(client, merchant, program, name="Points", texts={"en": "Hi"}, bonus=100)
    assert refused.status_code == 400 and body(refused)["error"]["field"] == "bonus"
    assert _create(client, merchant, program, name="Hello", texts={"en": "Hi"}).status_code == 201
