"""Messages on the wallet card: quiet hours, the weekly cap, records of every outcome, and the
triggers that send them."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.core import messaging
from chalicelib.jobs import outbox, triggers
from chalicelib.store import cards as card_store
from chalicelib.store import outbox as outbox_store
from chalicelib.store.models import Message
from chalicelib.usecases import enrollment, notices
from chalicelib.usecases import programs as program_cases
from chalicelib.wallet import apns

MOSCOW = ZoneInfo("Europe/Moscow")
NOON = datetime(2027, 3, 1, 12, 0, tzinfo=MOSCOW)  # Monday noon in Moscow


def _setup(**mechanics):
    program = program_cases.create("m_1", {"name": "Shop", "slug": "shop", "mechanics": mechanics}, NOON)
    card = enrollment.enroll(program, {"name": "A", "phone": "+79160000001", "consent": True}, NOON, "en")
    return program, card


def _messages(card):
    return [(m.kind, m.outcome, m.reason) for m in Message.query(card.card_id)]


def test_quiet_hours_and_cap_rules():
    quiet = ("22:00", "09:00")
    night = datetime(2027, 3, 1, 23, 30, tzinfo=MOSCOW)
    verdict = messaging.decide(night, [], quiet=quiet, max_per_week=3)
    assert verdict.action == "delay" and verdict.not_before == datetime(2027, 3, 2, 9, 0, tzinfo=MOSCOW)
    early = datetime(2027, 3, 2, 8, 59, tzinfo=MOSCOW)
    assert messaging.decide(early, [], quiet=quiet, max_per_week=3).not_before == early.replace(hour=9, minute=0)
    assert messaging.decide(NOON, [], quiet=quiet, max_per_week=3).action == "send"
    three = [NOON - timedelta(days=d) for d in (1, 2, 3)]
    assert messaging.decide(NOON, three, quiet=quiet, max_per_week=3).reason == "frequency_cap"
    assert messaging.decide(NOON, three, quiet=quiet, max_per_week=3, service=True).action == "send"
    assert messaging.decide(NOON, [NOON - timedelta(days=8)] * 5, quiet=None, max_per_week=3).action == "send"


def test_a_daytime_message_changes_the_pass_and_is_recorded(aws):
    from chalicelib.store import programs as program_store
    from chalicelib.wallet import apple

    program, card = _setup()
    before = int(card.pass_version)
    assert notices.notify(program, card, "campaign", {"ru": "Привет", "en": "Hello"}, NOON) == "sent"
    stored = card_store.get(card.card_id, consistent=True)
    assert stored.notice == "Hello" and int(stored.pass_version) == before + 1
    assert _messages(card) == [("campaign", "sent", None)]
    assert [i.item_key for i in outbox_store.due(NOON)] == [f"pass#{card.card_id}"]  # devices will be pushed
    document = apple.pass_json(stored, program_store.get(program.program_id))
    notice = next(f for f in document["storeCard"]["backFields"] if f["key"] == "notice")
    assert notice["value"] == "Hello" and notice["changeMessage"] == "%@"  # the lock screen shows the text


def test_a_night_message_waits_for_the_morning(aws):
    program, card = _setup()
    night = datetime(2027, 3, 1, 23, 30, tzinfo=MOSCOW)
    assert notices.notify(program, card, "campaign", {"en": "Hello"}, night) == "queued"
    assert card_store.get(card.card_id).notice is None
    assert outbox.deliver(night + timedelta(hours=1), push=lambda t: apns.PushResult(200)).get("notices", 0) == 0
    morning = datetime(2027, 3, 2, 9, 1, tzinfo=MOSCOW)
    assert outbox.deliver(morning, push=lambda t: apns.PushResult(200))["notices"] == 1
    assert card_store.get(card.card_id).notice == "Hello"
    assert [outcome for _, outcome, _ in _messages(card)] == ["queued", "sent"]


def test_the_weekly_cap_skips_marketing_but_not_service_messages(aws):
    program, card = _setup(messaging={"max_per_week": 2})
    for hour in (10, 11):
        card = card_store.get(card.card_id, consistent=True)
        assert notices.notify(program, card, "campaign", {"en": f"m{hour}"}, NOON.replace(hour=hour)) == "sent"
    card = card_store.get(card.card_id, consistent=True)
    assert notices.notify(program, card, "campaign", {"en": "too many"}, NOON) == "skipped"
    assert notices.notify(program, card, "expiry_warning", {"en": "expiring"}, NOON, service=True) == "sent"
    assert ("campaign", "skipped", "frequency_cap") in _messages(card)


def test_triggers_send_their_messages(aws):
    program, card = _setup(birthday={"bonus": 10})
    stored = card_store.get(card.card_id, consistent=True)
    stored.update(actions=[stored.__class__.birthday_key.set(f"{program.program_id}#03-05")],
                  add_version_condition=False)
    triggers.birthdays(date(2027, 3, 5), now=datetime(2027, 3, 5, 3, 0, tzinfo=UTC))  # 06:00 Moscow
    assert [(k, o) for k, o, _ in _messages(card)] == [("birthday", "queued")]
    outbox.deliver(datetime(2027, 3, 5, 9, 0, tzinfo=MOSCOW), push=lambda t: apns.PushResult(200))
    assert card_store.get(card.card_id).notice == "Happy birthday, A! A gift from us: 10 points."


def test_a_delayed_message_whose_delivery_is_retried_goes_out_once(aws, monkeypatch):
    """The outbox sent a morning message, then failed to remove its item (a throttled delete, a timeout):
    the retry finds the message already written and sends nothing again, on any channel."""
    from chalicelib.store.models import OutboxItem

    program, card = _setup()
    stored = card_store.get(card.card_id)
    stored.email, stored.consents = "a@example.com", {"email": True}
    stored.save()
    night = datetime(2027, 3, 1, 23, 30, tzinfo=MOSCOW)
    assert notices.notify(program, card_store.get(card.card_id), "campaign", {"en": "Hello"}, night) == "queued"
    monkeypatch.setattr(outbox_store, "done", lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("throttled")))
    morning = datetime(2027, 3, 2, 9, 1, tzinfo=MOSCOW)
    outbox.deliver(morning, push=lambda t: apns.PushResult(200))
    monkeypatch.undo()
    outbox.deliver(morning + timedelta(hours=2), push=lambda t: apns.PushResult(200))
    emails = [i for i in OutboxItem.scan() if i.item_key.startswith("email#")]
    records = [m for m in Message.query(card.card_id) if m.channel == "wallet"]
    assert len(emails) <= 1 and [m.outcome for m in records] == ["queued", "sent"]
    assert not [i for i in OutboxItem.scan() if i.item_key.startswith("notice#")]


def test_two_waiting_messages_of_one_kind_both_go_out(aws):
    program, card = _setup()
    first = datetime(2027, 3, 1, 23, 30, tzinfo=MOSCOW)
    assert notices.notify(program, card_store.get(card.card_id), "campaign", {"en": "One"}, first) == "queued"
    assert notices.notify(program, card_store.get(card.card_id), "campaign", {"en": "Two"},
                          first + timedelta(minutes=5)) == "queued"
    morning = datetime(2027, 3, 2, 9, 1, tzinfo=MOSCOW)
    assert outbox.deliver(morning, push=lambda t: apns.PushResult(200))["notices"] == 2  # neither overwrote the other
    assert card_store.get(card.card_id).notice in ("One", "Two")
