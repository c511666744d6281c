"""The daily triggers with time travel: expiry (and its warning), birthdays (29 February too) and
win-back, each idempotent, each reading only what is due."""
from datetime import date, datetime, time, timedelta, timezone

from chalicelib.jobs import triggers
from chalicelib.store import cards as card_store
from chalicelib.usecases import enrollment, pos
from chalicelib.usecases import programs as program_cases

JOINED = datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc)  # 12:00 in Moscow


def _program(**mechanics):
    return program_cases.create("m_1", {"name": "Shop", "slug": "shop", "mechanics": {
        "welcome_bonus": 100, "lifetime_by_source": {"welcome": 30}, "expiry_warning_days": 7, **mechanics}}, JOINED)


def _enroll(program, phone="+79160000001", when=JOINED, **extra):
    return enrollment.enroll(program, {"name": "A", "phone": phone, "consent": True, **extra}, when, "ru")


def _run(name, day):
    """The job as its schedule runs it on `day` (03:00 UTC), clock and all."""
    return getattr(triggers, name)(day, now=datetime.combine(day, time(3), tzinfo=timezone.utc))


def test_points_burn_on_their_day_once_and_are_warned_about_before(aws):
    program = _program()
    card = _enroll(program)
    expiry = date(2027, 2, 9)  # 30 days after joining
    assert card_store.lots_of(card)[0].expires_on == expiry.isoformat()

    warned = _run("expire_points", expiry - timedelta(days=7))
    assert warned["warned"] == 1 and warned["read"] == 1
    assert _run("expire_points", expiry - timedelta(days=7))["warned"] == 0  # once per lot-day
    assert _run("expire_points", expiry - timedelta(days=1))["points_expired"] == 0

    burned = _run("expire_points", expiry)
    assert burned["expired_cards"] == 1 and burned["points_expired"] == 100
    after = card_store.get(card.card_id, consistent=True)
    assert after.balance == 0 and after.expiry_key is None
    entries, _ = card_store.ledger_page(card.card_id, 10, None)
    assert [(e.kind, e.amount, e.balance_after) for e in entries][0] == ("expire", -100, 0)
    assert _run("expire_points", expiry)["expired_cards"] == 0  # a second run changes nothing


def test_a_day_the_job_did_not_run_is_caught_up(aws):
    program = _program()
    card = _enroll(program)
    assert _run("expire_points", date(2027, 2, 12))["points_expired"] == 100  # three days late
    assert card_store.get(card.card_id).balance == 0


def test_birthday_gift_once_a_year_days_before(aws):
    program = _program(birthday={"bonus": 300, "days_before": 3}, lifetime_days=None, lifetime_by_source={})
    card = _enroll(program, birthday="1990-03-15")
    assert _run("birthdays", date(2027, 3, 11))["gifts"] == 0
    assert _run("birthdays", date(2027, 3, 12)) == {"read": 1, "gifts": 1}
    assert _run("birthdays", date(2027, 3, 12))["gifts"] == 0
    assert card_store.get(card.card_id).balance == 400
    assert _run("birthdays", date(2028, 3, 12))["gifts"] == 1  # next year again
    lots = card_store.lots_of(card_store.get(card.card_id))
    assert sorted(lot.source for lot in lots) == ["birthday", "birthday", "welcome"]


def test_leap_day_birthdays(aws):
    program = _program(birthday={"bonus": 50}, lifetime_days=None, lifetime_by_source={})
    card = _enroll(program, birthday="2000-02-29")
    assert _run("birthdays", date(2027, 2, 28))["gifts"] == 1  # not a leap year: celebrated on the 28th
    assert _run("birthdays", date(2028, 2, 28))["gifts"] == 0  # a leap year: wait for the 29th
    assert _run("birthdays", date(2028, 2, 29))["gifts"] == 1
    assert card_store.get(card.card_id).balance == 200


def test_winback_once_per_lapse(aws):
    program = _program(winback={"after_days": 45, "bonus": 150}, lifetime_by_source={})
    card = _enroll(program)
    _enroll(program, phone="+79160000002")  # never bought: not a lapse
    pos.post_receipt(program, {"receipt_id": "r1", "card": card.number, "total": 10000}, JOINED)
    last = date(2027, 1, 10)
    assert _run("winback", last + timedelta(days=44))["offers"] == 0
    assert _run("winback", last + timedelta(days=45)) == {"read": 1, "offers": 1}
    assert _run("winback", last + timedelta(days=45))["offers"] == 0
    assert card_store.get(card.card_id).balance == 100 + 5 + 150


def test_each_program_runs_on_its_own_local_day(aws):
    from chalicelib.usecases import programs as cases

    program = cases.create("m_1", {"name": "NY", "slug": "new-york", "timezone": "America/New_York", "mechanics": {
        "welcome_bonus": 100, "lifetime_by_source": {"welcome": 30}}}, JOINED)
    card = _enroll(program)
    expiry = card_store.lots_of(card)[0].expires_on  # a New York day
    at = datetime.combine(date.fromisoformat(expiry), time(3), tzinfo=timezone.utc)  # 22:00 the day before in NY
    assert triggers.expire_points(None, now=at)["points_expired"] == 0
    assert triggers.expire_points(None, now=at + timedelta(days=1))["points_expired"] == 100
