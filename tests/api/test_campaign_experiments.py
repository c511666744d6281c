"""Experiments as the cards meet them: a campaign's control group gets nothing and is recorded, each card
in the same group on every run; the cards' receipts and refunds after the exposure land in their
assignments through the receipt's own transaction; variants give their own bonus; the win-back
trigger's experiment keeps its control cards without the gift and the message; a challenges holdout
keeps control cards out of the challenge and exposes them with their first counted receipt."""
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from chalicelib.core import experiments as rules
from chalicelib.jobs import triggers
from chalicelib.store import cards as card_store
from chalicelib.store import experiments as experiment_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import Assignment, LedgerEntry, Message
from chalicelib.usecases import campaigns
from chalicelib.usecases import experiments as experiment_cases
from tests.conftest import bearer, body, enroll


def _enrol_many(client, count, prefix="+7916100"):
    return [enroll(client, phone=f"{prefix}{i:04d}") for i in range(count)]


def _campaign(client, merchant, program, **data):
    payload = {"name": "Come back", "texts": {"ru": "Ждём вас!", "en": "We miss you!"}, "bonus": 50, **data}
    created = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                               body=json.dumps(payload))
    assert created.status_code == 201, created.body
    return body(created)


def _send(client, merchant, program, campaign_id):
    sent = client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign_id}/send", headers=bearer(merchant))
    assert sent.status_code == 200, sent.body
    return body(sent)


def _assignments(experiment_id):
    return {item.card_id: item for item in Assignment.query(experiment_id)}


def _campaign_entries(card_id):
    return [e for e in LedgerEntry.query(card_id) if e.cause_type == "campaign"]


def _campaign_messages(card_id):
    return [m for m in Message.query(card_id) if m.kind == "campaign"]


def test_a_campaign_keeps_ten_percent_as_control_by_default(client, merchant, program):
    campaign = _campaign(client, merchant, program)
    assert campaign["holdout_percent"] == 10 and campaign["experiment_id"] == campaign["id"]
    assert campaign["variants"] == [{"id": "a", "name": "A", "share_percent": 90, "bonus": None, "texts": None,
                                     "offer": None}]
    assert experiment_store.get(program["id"], campaign["id"]).holdout_bp == 1000


def test_a_campaigns_control_cards_are_recorded_and_get_nothing(client, merchant, program):
    cards = _enrol_many(client, 30)
    campaign = _campaign(client, merchant, program, holdout_percent=30)  # a third: both groups, whatever the ids
    sent = _send(client, merchant, program, campaign["id"])
    design = rules.Design(campaign["id"], 3000)
    groups = {card["card_id"]: rules.assign(design, card["card_id"]) for card in cards}
    control = [card_id for card_id, group in groups.items() if group == rules.CONTROL]
    assert 0 < len(control) < 30
    assert sent["counts"]["held_out"] == len(control)
    assert sent["counts"]["bonuses"] == 30 - len(control)
    stored = _assignments(campaign["id"])
    assert {card_id: item.variant for card_id, item in stored.items()} == {
        card_id: ("control" if group == rules.CONTROL else "a") for card_id, group in groups.items()}
    for card_id in groups:
        got_bonus, got_message = bool(_campaign_entries(card_id)), bool(_campaign_messages(card_id))
        assert got_bonus == got_message == (card_id not in control), card_id
        assert stored[card_id].bonus == (0 if card_id in control else 50)
        trial = rules.is_in(rules.trials_of(card_store.get(card_id).trials), campaign["id"])
        assert trial is not None and trial.variant == stored[card_id].variant

    # a second run over the same cards (a resumed send, a chunk delivered twice) changes nothing
    program_now = program_store.get(program["id"])
    again = campaigns.get(program_now, campaign["id"])
    for card in cards[:10]:
        assert campaigns.send_one(program_now, again, card_store.get(card["card_id"]), datetime.now(UTC)) == "done"
    assert {k: (v.variant, v.exposed_on, int(v.bonus)) for k, v in _assignments(campaign["id"]).items()} == {
        k: (v.variant, v.exposed_on, int(v.bonus)) for k, v in stored.items()}


def test_no_holdout_and_one_variant_is_no_experiment(client, merchant, program):
    enroll(client)
    campaign = _campaign(client, merchant, program, holdout_percent=0)
    assert campaign["experiment_id"] is None
    sent = _send(client, merchant, program, campaign["id"])
    assert sent["counts"]["held_out"] == 0 and sent["counts"]["bonuses"] == 1
    assert experiment_store.get(program["id"], campaign["id"]) is None


def test_variants_split_the_treated_cards_and_give_their_own_bonus(client, merchant, program):
    cards = _enrol_many(client, 40, prefix="+7916200")
    campaign = _campaign(client, merchant, program, holdout_percent=20,
                         variants=[{"name": "Small", "bonus": 10}, {"name": "Big", "bonus": 90,
                                                                     "texts": {"ru": "Большой бонус"}}])
    assert [v["share_percent"] for v in campaign["variants"]] == [40, 40]
    _send(client, merchant, program, campaign["id"])
    stored = _assignments(campaign["id"])
    seen = Counter(item.variant for item in stored.values())
    assert set(seen) == {"control", "a", "b"} and sum(seen.values()) == 40
    for card in cards:
        item = stored[card["card_id"]]
        points = sum(e.amount for e in _campaign_entries(card["card_id"]))
        assert points == {"control": 0, "a": 10, "b": 90}[item.variant]
        texts = [m.text for m in _campaign_messages(card["card_id"])]
        if item.variant == "b":
            assert texts and "Большой бонус" in texts[0]
        elif item.variant == "a":
            assert texts and "Ждём вас" in texts[0]


def test_a_variant_names_the_field_it_got_wrong(client, merchant, program):
    bad = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant), body=json.dumps(
        {"name": "x", "texts": {"ru": "x"}, "variants": [{"name": "A"}, {"name": "B", "offer": "nope"}]}))
    assert bad.status_code == 404 and body(bad)["error"]["field"] == "variants[1].offer"
    one = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant), body=json.dumps(
        {"name": "x", "texts": {"ru": "x"}, "variants": [{"name": "A"}]}))
    assert one.status_code == 400 and body(one)["error"]["field"] == "variants"
    high = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant), body=json.dumps(
        {"name": "x", "texts": {"ru": "x"}, "holdout_percent": 80}))
    assert high.status_code == 400 and body(high)["error"]["field"] == "holdout_percent"


def test_receipts_and_refunds_after_the_exposure_are_the_experiments_events(client, merchant, program, pos):
    cards = _enrol_many(client, 5, prefix="+7916300")
    campaign = _campaign(client, merchant, program)
    _send(client, merchant, program, campaign["id"])
    card = cards[0]
    before = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
    assert pos.post("/pos/receipts", {"receipt_id": "old", "card": card["card_number"], "total": 50000,
                                      "created_at": before}).status_code in (200, 201)  # sold before: not counted
    assert pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"],
                                      "total": 100000}).status_code in (200, 201)
    assert pos.post("/pos/refunds", {"refund_id": "f1", "receipt_id": "r1", "amount": 40000}).status_code in (200, 201)
    assert pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"],
                                      "total": 100000}).status_code in (200, 201)  # a replay: nothing more
    item = _assignments(campaign["id"])[card["card_id"]]
    exposure = experiment_store.exposure_of(item)
    earned = 100000 * 5 // 100 // 100  # the base tier's 5% of 1,000.00 in points
    assert [(e.offset, e.revenue, e.visit) for e in exposure.events] == [(0, 100000, 1), (0, -40000, 0)]
    assert exposure.events[0].points == earned and exposure.events[1].points < 0
    others = _assignments(campaign["id"])
    assert all(not experiment_store.exposure_of(others[c["card_id"]]).events for c in cards[1:])


def test_events_stop_when_the_longest_window_ends():
    trial = rules.Trial("cp_x", "a", "2026-01-01", "2026-01-31")
    assert rules.events_of((trial,), date(2026, 1, 30), revenue=1, points=0, visit=1)[0][1].offset == 29
    assert rules.events_of((trial,), date(2026, 1, 31), revenue=1, points=0, visit=1) == []
    assert rules.events_of((trial,), date(2025, 12, 31), revenue=1, points=0, visit=1) == []


def test_the_report_reads_only_the_experiments_cards(client, merchant, program):
    _enrol_many(client, 10, prefix="+7916400")
    campaign = _campaign(client, merchant, program)
    _send(client, merchant, program, campaign["id"])
    report = experiment_cases.report(program_store.get(program["id"]), campaign["id"], datetime.now(UTC))
    assert report["items_read"] == {"assignments": 10, "experiment": 1}
    assert sum(group["cards"] for group in report["groups"]) == 10


def _winback_program(client, merchant, program):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"mechanics": {"winback": {"after_days": 30, "bonus": 200}}}))
    assert response.status_code == 200, response.body


def test_the_winback_experiment_keeps_its_control_cards_without_the_gift(client, merchant, program, pos):
    _winback_program(client, merchant, program)
    cards = _enrol_many(client, 40, prefix="+7916500")
    now = datetime.now(UTC)
    sold = now - timedelta(days=30)
    for index, card in enumerate(cards):
        assert pos.post("/pos/receipts", {"receipt_id": f"w{index}", "card": card["card_number"], "total": 10000,
                                          "created_at": sold.isoformat()}).status_code in (200, 201)
    started = experiment_cases.start(program_store.get(program["id"]),
                                     {"subject": "winback", "holdout_percent": 30}, "owner", sold)
    again = program_store.get(program["id"])
    assert again.experiments["winback"]["id"] == started["id"]
    try:
        experiment_cases.start(again, {"subject": "winback"}, "owner", sold)
        raise AssertionError("a second running experiment of one trigger")
    except Exception as error:  # noqa: BLE001
        assert getattr(error, "code", "") == "experiment_running"
    day = date.fromisoformat(card_store.get(cards[0]["card_id"]).last_visit_on) + timedelta(days=30)
    counts = triggers.winback(day, now=now)
    stored = _assignments(started["id"])
    control = {card_id for card_id, item in stored.items() if item.variant == "control"}
    assert len(stored) == 40 and 0 < len(control) < 40
    assert counts["offers"] == 40 - len(control) and counts["held_out"] == len(control)
    for card in cards:
        gifts = [e for e in LedgerEntry.query(card["card_id"]) if e.source == "winback"]
        assert bool(gifts) == (card["card_id"] not in control)
    assert triggers.winback(day, now=now + timedelta(hours=1)).get("offers", 0) == 0  # once

    stopped = experiment_cases.stop(program_store.get(program["id"]), started["id"], "owner", sold)
    assert stopped["status"] == "stopped" and program_store.get(program["id"]).experiments is None


def test_a_trigger_experiment_needs_the_trigger_on(client, merchant, program):
    try:
        experiment_cases.start(program_store.get(program["id"]), {"subject": "winback"}, "owner", datetime.now(UTC))
        raise AssertionError("started on a trigger that is off")
    except Exception as error:  # noqa: BLE001
        assert getattr(error, "code", "") == "trigger_off"


THREE_VISITS = {"id": "three", "name": "Three visits", "goal": {"type": "visits", "target": 3}, "window_days": 14,
                "reward": {"points": 300}}


def test_a_challenges_holdout_exposes_cards_with_their_first_counted_receipt(client, merchant, program, pos):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"mechanics": {"challenges": [THREE_VISITS]}}))
    assert response.status_code == 200
    cards = _enrol_many(client, 16, prefix="+7916600")
    started = experiment_cases.start(program_store.get(program["id"]), {"subject": "challenges",
                                                                        "holdout_percent": 50}, "owner",
                                     datetime.now(UTC))
    assert _assignments(started["id"]) == {}  # nobody exposed before a receipt
    for day in (6, 4, 2):
        moment = (datetime.now(UTC) - timedelta(days=day)).isoformat(timespec="seconds")
        for index, card in enumerate(cards):
            assert pos.post("/pos/receipts", {"receipt_id": f"c{day}-{index}", "card": card["card_number"],
                                              "total": 10000, "created_at": moment}).status_code in (200, 201)
    stored = _assignments(started["id"])
    assert len(stored) == 16
    for card in cards:
        item = stored[card["card_id"]]
        bonus = [e for e in LedgerEntry.query(card["card_id"]) if e.source == "challenge"]
        assert bool(bonus) == (item.variant != "control"), item.variant
        exposure = experiment_store.exposure_of(item)
        assert [e.visit for e in exposure.events] == [1, 1]  # the exposing receipt is not its own outcome
    assert {item.variant for item in stored.values()} == {"control", "a"}
