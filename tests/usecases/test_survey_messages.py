"""The survey a receipt asks is queued with it (usecases/decisions.survey_messages): when it is due, past
the quiet hours, with the link unsigned (the delivery signs it) and the texts in every language."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.commands.pos import RecordReceipt
from chalicelib.core import mechanics as mech
from chalicelib.usecases import pos
from tests.usecases.conftest import MECHANICS, MemoryWorld


def _world(**survey) -> MemoryWorld:
    world = MemoryWorld()
    mechanics = mech.parse({**MECHANICS, "survey": {"kind": "nps", **survey},
                            "messaging": {"quiet_hours": ["22:00", "09:00"]}})
    world.program = replace(world.program, mechanics=mech.to_dict(mechanics))
    return world


def _sell(world, card, receipt_id: str, at: datetime) -> None:
    body = {"receipt_id": receipt_id, "total": 1000, "card": card.number}
    pos.record_receipt(RecordReceipt.parse(body, world.program, at), world.program, at, world.store)


def test_the_survey_is_due_after_its_delay_with_an_unsigned_link():
    world = _world(delay_minutes=30)
    card = world.new_card()
    sold = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
    _sell(world, card, "r1", sold)
    [message] = world.memory.messages[card.card_id]
    assert message.kind == "survey" and message.due == sold + timedelta(minutes=30) and not message.service
    assert set(message.texts) == {"ru", "en"}
    assert "How likely are you to recommend Shop to a friend? Tap a score from 0 to 10:" in message.texts["en"]
    link = message.texts["en"].rsplit(" ", 1)[1]
    # card, scale and survey, the last day (14 days after it is due), and no signature yet
    assert link.startswith(f"https://loyalty.test/survey/{card.card_id}.n") and link.endswith(".20270315")


def test_a_survey_due_in_the_quiet_hours_waits_for_their_end():
    world = _world(delay_minutes=120)
    card = world.new_card()
    _sell(world, card, "r1", datetime(2027, 3, 1, 18, 30, tzinfo=UTC))  # 21:30 in Moscow: due at 23:30
    [message] = world.memory.messages[card.card_id]
    assert message.due == datetime(2027, 3, 2, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
    assert message.reason == "quiet_hours"


def test_no_survey_without_settings_or_within_the_period():
    world = _world(period_days=30)
    card = world.new_card()
    _sell(world, card, "r1", datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    _sell(world, card, "r2", datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    assert len(world.memory.messages[card.card_id]) == 1
    _sell(world, card, "r3", datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
    assert len(world.memory.messages[card.card_id]) == 2
    plain = MemoryWorld()
    other = plain.new_card()
    _sell(plain, other, "r1", datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    assert plain.memory.messages.get(other.card_id, []) == []
