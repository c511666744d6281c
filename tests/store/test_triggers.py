"""The daily triggers with time travel: expiry (and its warning), birthdays (29 February too) and
win-back, each idempotent, each reading only what is due."""
from datetime import UTC, date, datetime, time, timedelta

import pytest

from chalicelib.jobs import triggers
from chalicelib.store import cards as card_store
from chalicelib.usecases import enrollment, pos
from chalicelib.usecases import programs as program_cases

JOINED = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)  # 12:00 in Moscow


def _program(**mechanics):
    return program_cases.create("m_1", {"name": "Shop", "slug": "shop", "mechanics": {
        "welcome_bonus": 100, "lifetime_by_source": {"welcome": 30}, "expiry_warning_days": 7, **mechanics}}, JOINED)


def _enroll(program, phone="+79160000001", when=JOINED, **extra):
    return enrollment.enroll(program, {"name": "A", "phone": phone, "consent": True, **extra}, when, "ru")


def _run(name, day):
    """The job as its schedule runs it on `day` (03:00 UTC), clock and all."""
    return getattr(triggers, name)(day, now=datetime.combine(day, time(3), tzinfo=UTC))


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
    at = datetime.combine(date.fromisoformat(expiry), time(3), tzinfo=UTC)  # 22:00 the day before in NY
    assert triggers.expire_points(None, now=at)["points_expired"] == 0
    assert triggers.expire_points(None, now=at + timedelta(days=1))["points_expired"] == 100


# --- catching up, however long the schedule was down ------------------------------------------------

def _expiring_card(program, phone, joined):
    """A card whose welcome lot (100 points, 30 days) expires 30 days after `joined`."""
    return _enroll(program, phone=phone, when=datetime.combine(joined, time(9), tzinfo=UTC))


def _explained(card_id):
    """The card's ledger adds up to its balance, and its expire entries."""
    entries, _ = card_store.ledger_page(card_id, 100, None)
    balance = card_store.get(card_id, consistent=True).balance
    assert sum(int(e.amount) for e in entries) == balance
    return [(e.kind, int(e.amount)) for e in entries if e.kind == "expire"]


def test_one_run_burns_lots_that_expired_30_and_400_days_before_and_six_years_later_everything(aws):
    program = _program(expiry_warning_days=0)
    run_day = date(2028, 6, 1)
    old = _expiring_card(program, "+79160000001", run_day - timedelta(days=430))  # expired 400 days ago
    recent = _expiring_card(program, "+79160000002", run_day - timedelta(days=60))  # expired 30 days ago
    today = _expiring_card(program, "+79160000003", run_day - timedelta(days=30))  # expires on the run's day
    later = _expiring_card(program, "+79160000004", run_day - timedelta(days=20))  # expires in 10 days
    assert card_store.lots_of(old)[0].expires_on == (run_day - timedelta(days=400)).isoformat()

    burned = _run("expire_points", run_day)
    assert burned == {"read": 3, "expired_cards": 3, "points_expired": 300, "warned": 0}  # read only what is due
    for card in (old, recent, today):
        assert card_store.get(card.card_id).balance == 0
        assert _explained(card.card_id) == [("expire", -100)]
    assert card_store.get(later.card_id).balance == 100 and _explained(later.card_id) == []
    assert _run("expire_points", run_day) == {"read": 0, "expired_cards": 0, "points_expired": 0, "warned": 0}

    six_years = _run("expire_points", date(2034, 6, 1))
    assert six_years["expired_cards"] == 1 and six_years["points_expired"] == 100 and six_years["read"] == 1
    assert _explained(later.card_id) == [("expire", -100)]
    assert _run("expire_points", date(2034, 6, 1))["expired_cards"] == 0
    for card in (old, recent, today, later):
        assert card_store.get(card.card_id).expiry_key is None  # out of the index: nothing left to burn


def test_a_card_with_lots_on_several_past_days_is_burned_once_for_all_of_them(aws):
    from chalicelib.usecases import adjustments

    program = _program(expiry_warning_days=0, lifetime_days=30)
    card = _enroll(program)
    adjustments.adjust(program, card, {"amount": 40, "reason": "gift", "idempotency_key": "a1"}, "admin",
                       JOINED + timedelta(days=10))
    lots = sorted(lot.expires_on for lot in card_store.lots_of(card_store.get(card.card_id)))
    assert len(lots) == 2 and lots[0] < lots[1]
    result = _run("expire_points", date(2031, 1, 1))
    assert result["expired_cards"] == 1 and result["points_expired"] == 140
    assert _explained(card.card_id) == [("expire", -140)]


# --- stopped at any card, resumed: every card once ----------------------------------------------------

class Crash(Exception):
    pass


def _crash_after(monkeypatch, commits):
    """From now on, the process dies right after its `commits`-th committed transaction (the write went
    through; whatever the run meant to do next does not happen)."""
    from contextlib import contextmanager

    from chalicelib.store import db

    real, seen = db.transaction, [0]

    @contextmanager
    def transaction(token=None):
        with real(token) as tx:
            yield tx
        seen[0] += 1
        if seen[0] == commits:
            raise Crash(f"stopped after commit {commits}")

    monkeypatch.setattr(db, "transaction", transaction)
    return lambda: monkeypatch.setattr(db, "transaction", real)


def _messages(card_id, kind):
    from chalicelib.store.models import Message, OutboxItem

    records = [m.outcome for m in Message.query(card_id) if m.kind == kind]
    pending = [i for i in OutboxItem.query("wallet", OutboxItem.item_key.startswith(f"notice#{card_id}#{kind}"))]
    return records, len(pending)


def _ledger(card_id, kind):
    entries, _ = card_store.ledger_page(card_id, 100, None)
    return [int(e.amount) for e in entries if e.kind == kind]


N = 4


@pytest.mark.parametrize("k", [1, 2, N])
def test_an_expiry_run_stopped_after_k_cards_resumes_and_burns_each_card_once(aws, monkeypatch, k):
    program = _program(expiry_warning_days=0)
    cards = [_enroll(program, phone=f"+7916000000{i}") for i in range(N)]
    day = date(2027, 3, 1)
    heal = _crash_after(monkeypatch, k)
    with pytest.raises(Crash):
        _run("expire_points", day)
    heal()
    _run("expire_points", day)
    _run("expire_points", day)
    for card in cards:
        assert _ledger(card.card_id, "expire") == [-100]
        assert card_store.get(card.card_id).balance == 0


@pytest.mark.parametrize("job,k", [("birthdays", 1), ("birthdays", 3), ("winback", 2), ("winback", N)])
def test_gifts_stopped_after_k_cards_resume_with_one_bonus_and_one_message_each(aws, monkeypatch, job, k):
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns

    program = _program(birthday={"bonus": 30}, winback={"after_days": 45, "bonus": 20}, lifetime_by_source={})
    cards = [_enroll(program, phone=f"+7916000000{i}", birthday="1990-03-05") for i in range(N)]
    for index, card in enumerate(cards):
        pos.post_receipt(program, {"receipt_id": f"r{index}", "card": card.number, "total": 10000}, JOINED)
    day = date(2027, 3, 5) if job == "birthdays" else date(2027, 1, 10) + timedelta(days=45)
    source = "birthday" if job == "birthdays" else "winback"
    heal = _crash_after(monkeypatch, k)
    with pytest.raises(Crash):
        _run(job, day)
    heal()
    _run(job, day)  # resumed (the next run, or the schedule's retry)
    _run(job, day)
    for card in cards:
        assert len([e for e in _ledger(card.card_id, "bonus") if e in (20, 30)]) == 1
        assert _messages(card.card_id, source) == (["queued"], 1)  # waiting in the outbox, once
    outbox.deliver(datetime.combine(day, time(9), tzinfo=UTC), push=lambda token: apns.PushResult(200))
    for card in cards:
        assert sorted(_messages(card.card_id, source)[0]) == ["queued", "sent"]
        assert card_store.get(card.card_id).notice.startswith(("С днём рождения", "Мы соскучились"))


@pytest.mark.parametrize("k", [1, 2, N])
def test_warnings_stopped_after_k_cards_resume_with_one_warning_each(aws, monkeypatch, k):
    program = _program()
    cards = [_enroll(program, phone=f"+7916000000{i}") for i in range(N)]
    warn_on = date(2027, 2, 9) - timedelta(days=7)
    heal = _crash_after(monkeypatch, k)
    with pytest.raises(Crash):
        _run("expire_points", warn_on)
    heal()
    assert _run("expire_points", warn_on)["warned"] == N - k
    assert _run("expire_points", warn_on)["warned"] == 0
    for card in cards:
        assert _messages(card.card_id, "expiry_warning") == (["queued"], 1)
