"""Experiments at their edges (each found by the review of issue 17): a campaign's own windows follow its
cards; a challenges experiment freezes a control card's progress instead of erasing it; automatic offers
expose control and treated cards alike; a refund of a sale made before the exposure is not the
experiment's; a challenge's reward is its experiment's cost; an unsent campaign leaves the month's ROMI
alone; a refused campaign leaves no experiment; ten campaigns do not push a running trigger experiment
off a card; a card item with malformed trials still takes receipts."""
import json
from datetime import UTC, date, datetime, timedelta

from chalicelib.core import clock
from chalicelib.core import experiments as rules
from chalicelib.store import cards as card_store
from chalicelib.store import experiments as experiment_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import Assignment, LedgerEntry
from chalicelib.usecases import experiments as experiment_cases
from chalicelib.usecases import pos as pos_cases
from tests.conftest import bearer, body, enroll


def _enrol_many(client, count, prefix):
    return [enroll(client, phone=f"{prefix}{i:04d}") for i in range(count)]


def _patch(client, merchant, program, mechanics):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"mechanics": mechanics}))
    assert response.status_code == 200, response.body
    pos_cases.forget_cached()


def _receipt(pos, receipt_id, card, total=10000, **extra):
    answer = pos.post("/pos/receipts", {"receipt_id": receipt_id, "card": card["card_number"], "total": total, **extra})
    assert answer.status_code in (200, 201), answer.body
    return body(answer)


# --- 1. a campaign's own `windows` never reach the cards: their trials end after 30 days ------------------------

def test_a_campaign_with_a_90_day_window_follows_its_cards_for_90_days(client, merchant, program):
    cards = _enrol_many(client, 3, "+7916910")
    created = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant), body=json.dumps(
        {"name": "Long", "texts": {"en": "Hi"}, "holdout_percent": 50, "windows": [60, 90]}))
    assert created.status_code == 201, created.body
    campaign = body(created)
    assert experiment_store.get(program["id"], campaign["id"]).windows == [60, 90]
    sent = client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                            headers=bearer(merchant))
    assert sent.status_code == 200, sent.body
    trial = rules.is_in(rules.trials_of(card_store.get(cards[0]["card_id"]).trials), campaign["id"])
    exposed = date.fromisoformat(trial.exposed_on)
    # README: events are appended for the experiment's windows; the longest is 90 days
    assert trial.ends_on == (exposed + timedelta(days=90)).isoformat(), trial  # observed: exposed + 30
    # so a purchase on day 45 is never counted in the 60- and 90-day windows
    assert rules.events_of((trial,), exposed + timedelta(days=45), revenue=100, points=1, visit=1) != []


# --- 2. a challenges experiment erases a control card's progress: a one-time challenge pays twice --------------

ONCE = {"id": "first", "name": "First visit", "goal": {"type": "visits", "target": 1}, "window_days": 14,
        "reward": {"points": 300}}


def test_a_control_card_of_a_challenges_experiment_keeps_its_finished_challenge(client, merchant, program, pos):
    _patch(client, merchant, program, {"challenges": [ONCE]})
    cards = _enrol_many(client, 12, "+7916920")
    for index, card in enumerate(cards):  # every card finishes the one-time challenge: +300 once
        _receipt(pos, f"before{index}", card)
    started = experiment_cases.start(program_store.get(program["id"]), {"subject": "challenges",
                                                                        "holdout_percent": 50}, "owner",
                                     datetime.now(UTC))
    pos_cases.forget_cached()
    design = rules.running(program_store.get(program["id"]).experiments)["challenges"]
    control = [card for card in cards if rules.assign(design, card["card_id"]) == rules.CONTROL]
    assert control
    for index, card in enumerate(control):
        _receipt(pos, f"during{index}", card)
    experiment_cases.stop(program_store.get(program["id"]), started["id"], "owner", datetime.now(UTC))
    pos_cases.forget_cached()
    for index, card in enumerate(control):
        _receipt(pos, f"after{index}", card)
    for card in control:
        rewards = [e for e in LedgerEntry.query(card["card_id"]) if e.source == "challenge"]
        assert len(rewards) == 1, (card["card_id"], [e.amount for e in rewards])  # observed: 2 (+300 twice)


# --- 3. an automatic-offers experiment exposes control cards on a different rule than treated ones ---------------

FAVOURITE = [{"id": "fav", "name": "Your favourite, free", "reward": {"type": "free_item", "item": "Your favourite"},
              "auto": {"rule": "favourite_product", "min_units": 3, "every_days": 30}}]


def test_automatic_offers_expose_control_and_treated_cards_alike(client, merchant, program, pos):
    _patch(client, merchant, program, {"offers": FAVOURITE})
    cards = _enrol_many(client, 20, "+7916930")
    started = experiment_cases.start(program_store.get(program["id"]), {"subject": "offers",
                                                                        "holdout_percent": 50}, "owner",
                                     datetime.now(UTC))
    pos_cases.forget_cached()
    design = rules.running(program_store.get(program["id"]).experiments)["offers"]
    groups = {card["card_id"]: rules.assign(design, card["card_id"]) for card in cards}
    assert set(groups.values()) == {"control", "a"}
    for visit in range(3):  # every card buys one latte three times: the third would earn the free one
        for index, card in enumerate(cards):
            _receipt(pos, f"l{visit}-{index}", card, lines=[{"sku": "latte", "qty": 1, "amount": 10000}])
    exposed = {item.card_id for item in Assignment.query(started["id"])}
    treated = {c for c, g in groups.items() if g != "control"}
    control = {c for c, g in groups.items() if g == "control"}
    assert treated <= exposed  # every treated card was exposed by its third latte
    # the same behaviour must expose a control card too (else the groups compared are not alike)
    assert control <= exposed, f"{len(control - exposed)} of {len(control)} control cards never exposed"


# --- 4. a refund of a sale made before the exposure is counted as negative revenue in the window ------------------

def test_a_refund_of_a_sale_before_the_exposure_is_not_an_outcome(client, merchant, program, pos):
    cards = _enrol_many(client, 3, "+7916940")
    card = cards[0]
    before = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
    _receipt(pos, "old", card, total=50000, created_at=before)  # sold before the campaign: not counted
    created = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant), body=json.dumps(
        {"name": "x", "texts": {"en": "Hi"}, "holdout_percent": 50}))
    campaign = body(created)
    assert client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                            headers=bearer(merchant)).status_code == 200
    refund = pos.post("/pos/refunds", {"refund_id": "f-old", "receipt_id": "old", "amount": 50000})
    assert refund.status_code in (200, 201), refund.body
    item = Assignment.get(campaign["id"], card["card_id"])
    events = experiment_store.exposure_of(item).events
    # the sale was not counted (before exposure), so its refund must not be either
    assert events == (), events  # observed: (Event(offset=0, revenue=-50000, points=-25, visit=0),)


# --- 5. a campaign refused for its audience or bonus leaves an experiment behind -------------------------------

def test_a_refused_campaign_leaves_no_experiment(client, merchant, program):
    for bad in ({"audience": {"kind": "nope"}}, {"bonus": -5}):
        refused = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                                   body=json.dumps({"name": "Ghost", "texts": {"en": "Hi"}, **bad}))
        assert refused.status_code == 400, refused.body
    listed = body(client.http.get(f"/admin/programs/{program['id']}/experiments", headers=bearer(merchant)))
    campaigns = body(client.http.get(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant)))
    assert listed["items"] == [], (len(listed["items"]), campaigns)  # observed: two "Ghost" campaign experiments


# --- 6. one campaign not (yet) sent makes the whole month's ROMI null ---------------------------------------------

def test_a_draft_campaign_does_not_blank_the_months_romi(client, merchant, program):
    _patch(client, merchant, program, {"economics": {"margin_percent": 40}})
    sent_cards = _enrol_many(client, 40, "+7916960")
    assert sent_cards
    made = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant), body=json.dumps(
        {"name": "Sent", "texts": {"en": "Hi"}, "bonus": 10, "holdout_percent": 50}))
    sent = body(made)
    assert client.http.post(f"/admin/programs/{program['id']}/campaigns/{sent['id']}/send",
                            headers=bearer(merchant)).status_code == 200
    now = datetime.now(UTC)
    for item in Assignment.query(sent["id"]):  # sent 40 days ago: its windows have ended, it has figures
        item.exposed_on = (now.date() - timedelta(days=40)).isoformat()
        item.save()
    program_now = program_store.get(program["id"])
    experiment_cases.refresh(program_now, now)
    month = now.strftime("%Y-%m")
    alone = experiment_cases.monthly_romi(program_now, month, month)
    assert alone and alone[0]["incremental_margin"] is not None, alone
    # the owner drafts next week's campaign; the nightly job reads its (empty) report
    client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant), body=json.dumps(
        {"name": "Draft", "texts": {"en": "Hi"}}))
    experiment_cases.refresh(program_store.get(program["id"]), now)
    both = experiment_cases.monthly_romi(program_store.get(program["id"]), month, month)
    assert both[0]["incremental_margin"] == alone[0]["incremental_margin"], both  # observed: None, romi None
    # the owner halves the margin: every month follows at once, whichever reports were read since
    _patch(client, merchant, program, {"economics": {"margin_percent": 20}})
    halved = experiment_cases.monthly_romi(program_store.get(program["id"]), month, month)
    assert abs(halved[0]["incremental_margin"] - alone[0]["incremental_margin"] / 2) <= 1, (halved, alone)


# --- 7. a tampered export cursor ---------------------------------------------------------------------------------

def test_a_tampered_export_cursor_is_400_not_500(client, merchant, program):
    import base64
    enroll(client)
    made = body(client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                                 body=json.dumps({"name": "x", "texts": {"en": "Hi"}, "holdout_percent": 50})))
    client.http.post(f"/admin/programs/{program['id']}/campaigns/{made['id']}/send", headers=bearer(merchant))
    for pair in (["", ""], ["c_x", "c_y"]):
        cursor = base64.urlsafe_b64encode(json.dumps(pair).encode()).decode().rstrip("=")
        answer = client.http.get(f"/admin/programs/{program['id']}/experiments/{made['id']}/export?cursor={cursor}",
                                 headers=bearer(merchant))
        assert answer.status_code in (200, 400), (pair, answer.status_code, answer.body[:300])


# --- 8. a challenges experiment's cost (the rewards the treated cards got) is not in its points cost or ROMI -----

TWICE = {"id": "two", "name": "Two visits", "goal": {"type": "visits", "target": 2}, "window_days": 14,
         "reward": {"points": 300}}


def test_a_challenge_reward_is_counted_as_the_treated_cards_points_cost(client, merchant, program, pos):
    _patch(client, merchant, program, {"challenges": [TWICE], "economics": {"margin_percent": 40}})
    cards = _enrol_many(client, 12, "+7916980")
    started = experiment_cases.start(program_store.get(program["id"]), {"subject": "challenges",
                                                                        "holdout_percent": 50}, "owner",
                                     datetime.now(UTC))
    pos_cases.forget_cached()
    for day in (3, 1):  # two visits on two days: the first exposes, the second completes the challenge (+300)
        moment = (datetime.now(UTC) - timedelta(days=day)).isoformat(timespec="seconds")
        for index, card in enumerate(cards):
            _receipt(pos, f"t{day}-{index}", card, created_at=moment)
    treated = [item for item in Assignment.query(started["id"]) if item.variant != "control"]
    assert treated
    for item in treated:
        rewards = sum(e.amount for e in LedgerEntry.query(item.card_id) if e.source == "challenge")
        assert rewards == 300
        exposure = experiment_store.exposure_of(item)
        counted = exposure.bonus + sum(e.points for e in exposure.events)
        assert counted >= 300, (exposure.bonus, exposure.events)  # observed: 0 bonus, 5 points: the 300 is missing


# --- 9. ten campaigns in a month push a running trigger experiment's trial off the card -------------------------

def test_a_running_trigger_experiment_keeps_following_a_card_that_got_ten_campaigns(client, merchant, program, pos):
    _patch(client, merchant, program, {"challenges": [TWICE]})
    card = _enrol_many(client, 1, "+7916990")[0]
    started = experiment_cases.start(program_store.get(program["id"]), {"subject": "challenges",
                                                                        "holdout_percent": 50}, "owner",
                                     datetime.now(UTC))
    pos_cases.forget_cached()
    five_days_ago = (datetime.now(UTC) - timedelta(days=5)).isoformat(timespec="seconds")
    _receipt(pos, "expose", card, created_at=five_days_ago)  # joins the challenges experiment 5 days ago
    exposed_on = Assignment.get(started["id"], card["card_id"]).exposed_on
    for index in range(10):  # a busy owner: ten campaigns this month (each keeps its trial 30 days)
        made = body(client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                                     body=json.dumps({"name": f"c{index}", "texts": {"en": "Hi"},
                                                      "holdout_percent": 50})))
        assert client.http.post(f"/admin/programs/{program['id']}/campaigns/{made['id']}/send",
                                headers=bearer(merchant)).status_code == 200
    _receipt(pos, "today", card)
    item = Assignment.get(started["id"], card["card_id"])
    assert item.exposed_on == exposed_on
    events = experiment_store.exposure_of(item).events
    today = clock.local_day(datetime.now(UTC), program["timezone"])  # the program's day, not the machine's
    expected = (today - date.fromisoformat(exposed_on)).days
    # today's sale is day 5 after this card's exposure
    assert [e.offset for e in events] == [expected], (exposed_on, events)  # observed: [] or offset 0


# --- 10. a card item whose `trials` is not as written makes every receipt of the card a 500 ---------------------

def test_a_card_with_malformed_trials_still_takes_receipts(client, merchant, program, pos):
    card = _enrol_many(client, 1, "+7916995")[0]
    _receipt(pos, "ok", card)
    for index, bad in enumerate(([["cp_x", "a"]], [None], [{"id": "x"}])):
        item = card_store.get(card["card_id"])
        item.trials = bad
        item.save()
        answer = pos.post("/pos/receipts", {"receipt_id": f"bad{index}", "card": card["card_number"], "total": 1000})
        assert answer.status_code in (200, 201), (bad, answer.status_code, answer.body[:200])
