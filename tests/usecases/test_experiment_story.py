"""A campaign with a control group, told through the real use cases on moto (issue 17): a program of 600
cards, a campaign with the default 10% holdout and a bonus, then 30 days of receipts in which the
treated customers come back with a known higher probability than the control ones, then the owner's
report. The control cards got nothing (no bonus in their ledgers, no message in their records), the
groups are about 10% / 90%, the 30-day window is complete, and the report finds the true effect inside
its interval, reading one item per card of the experiment. Sending the same cards again changes no
assignment."""
import random
from datetime import UTC, datetime, timedelta

import pytest
from moto.dynamodb import models as moto_dynamodb

from chalicelib import local_dynamodb
from chalicelib.commands import admin as admin_commands
from chalicelib.core import experiments as rules
from chalicelib.store import cards as card_store
from chalicelib.store import messages as message_store
from chalicelib.store.models import Assignment
from chalicelib.usecases import campaigns, enrollment, experiments, pos
from chalicelib.usecases import programs as program_cases

CARDS = 600
START = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
SENT = START + timedelta(days=1, hours=3)  # the next day, 12:00 in Moscow
# chance of a purchase within the 30 days after the campaign: an effect the verdict finds whatever the random
# card ids put in the control group (about 60 cards: a power near 1 at p < 0.025)
COME_BACK = {"control": 0.20, "a": 0.55}
BONUS = 300
CAMPAIGN = {"name": "We miss you", "audience": {"kind": "all"}, "bonus": BONUS, "holdout_percent": 10,
            "texts": {"ru": "Дарим 300 баллов!", "en": "300 points for you!"}}


@pytest.fixture
def item_backups(aws, monkeypatch):
    """moto keeps a transaction all-or-nothing by deep-copying every table it touches, whole, before each
    one: with 600 cards in the tables that makes the story quadratic (minutes). The local stack's remedy
    (chalicelib/local_dynamodb.py): copies of the items the transaction names, put back when it fails."""
    monkeypatch.setattr(moto_dynamodb.DynamoDBBackend, "transact_write_items",
                        local_dynamodb.with_item_backups(moto_dynamodb.DynamoDBBackend.transact_write_items))


def _program():
    program = program_cases.create("m_story", {"name": "Story Coffee", "slug": "story", "timezone": "Europe/Moscow"},
                                   START - timedelta(days=1))
    economics = {"margin_percent": 60, "message_prices": {"wallet": 0, "email": 0, "telegram": 0, "sms": 400}}
    changes = admin_commands.read_program_changes({"mechanics": {"economics": economics}}, program)
    return program_cases.update(program, changes, START - timedelta(hours=1))


def _assignments(experiment_id):
    return {item.card_id: (item.variant, item.exposed_on, int(item.bonus), int(item.message_cost),
                           [int(n) for n in item.events]) for item in Assignment.query(experiment_id)}


def test_a_campaign_with_a_holdout_finds_its_true_effect_and_the_control_cards_got_nothing(item_backups):
    rng = random.Random(17)
    program = _program()
    cards = [enrollment.enroll(program, {"name": "Guest", "phone": f"+7916{i:07d}", "consent": True},
                               START + timedelta(seconds=i), "ru") for i in range(CARDS)]
    campaign = campaigns.create(program, CAMPAIGN, "owner", SENT)
    sent = campaigns.send(program, campaign, SENT)
    assert sent.status == "sent"
    found = _assignments(campaign.campaign_id)
    assert len(found) == CARDS  # every card of the audience joined, control ones too
    groups = {card_id: variant for card_id, (variant, *_) in found.items()}
    design = campaigns.design(sent)
    assert all(groups[card.card_id] == rules.assign(design, card.card_id) for card in cards)
    control = [card for card in cards if groups[card.card_id] == rules.CONTROL]
    assert 0.06 * CARDS <= len(control) <= 0.14 * CARDS  # about 10%
    assert int(sent.held_out) == len(control)

    # the control cards got no bonus and no message; the treated got both (the first 60 of them looked at)
    for card in control + [card for card in cards if groups[card.card_id] != rules.CONTROL][:60]:
        entries = card_store.ledger_page(card.card_id, 50, None)[0]
        records = message_store.card_page(card.card_id, 50, None)[0]
        bonus = [e for e in entries if e.source == "campaign" or e.cause_id == campaign.campaign_id]
        message = [m for m in records if m.kind == "campaign"]
        if groups[card.card_id] == rules.CONTROL:
            assert not bonus and not message, card.card_id
            assert found[card.card_id][2:4] == (0, 0)  # it cost nothing
        else:
            assert [e.amount for e in bonus] == [BONUS] and message, card.card_id
            assert found[card.card_id][2] == BONUS

    # a resumed send (each card sent again, twice) and a second exposure change no assignment
    later = SENT + timedelta(hours=2)
    for card in cards[:25]:
        fresh = card_store.get(card.card_id)
        assert campaigns.send_one(program, sent, fresh, later) == "done"
        assert campaigns.send_one(program, sent, fresh, later) == "done"
        assert experiments.expose(program, design, fresh, later + timedelta(days=3))[1] == groups[card.card_id]
    assert _assignments(campaign.campaign_id) == found

    # 30 days of receipts: the treated come back more often (the true effect), through the till
    came = set()
    for index, card in enumerate(cards):
        chance, day, total = rng.random(), rng.randrange(1, 30), rng.randrange(20_000, 200_000, 100)
        if chance < COME_BACK[groups[card.card_id]]:
            pos.post_receipt(program, {"receipt_id": f"story-{index}", "card": card.number, "total": total},
                             SENT + timedelta(days=day, minutes=index))
            came.add(card.card_id)
    today = SENT + timedelta(days=31)
    report = experiments.report(program, campaign.campaign_id, today)

    assert report["items_read"]["assignments"] == CARDS  # one item per card of the experiment
    assert sum(group["cards"] for group in report["groups"]) == CARDS
    month = next(row for row in report["windows"] if row["days"] == 30)  # noqa: PLR2004
    assert month["complete"] is True and month["open"] == 0
    comparison = next(item for item in month["comparisons"] if item["against"] == "control")
    conversion = comparison["conversion"]
    true_difference = (COME_BACK["a"] - COME_BACK["control"]) * 100
    assert conversion["low"] <= true_difference <= conversion["high"], conversion
    assert conversion["significant"] and comparison["verdict"]["effect"] == "positive", comparison
    with_events = {card_id for card_id, (*_, events) in _assignments(campaign.campaign_id).items() if events}
    assert with_events == came  # each receipt became an event of its card's assignment, and no other did
