"""The scheduled tier review: downgrades on the program's schedule, idempotent, reading only tiered cards."""
from datetime import UTC, date, datetime, timedelta

from chalicelib.jobs import JOBS
from chalicelib.store import cards as card_store
from chalicelib.usecases import enrollment, pos
from chalicelib.usecases import programs as program_cases

JOINED = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)


def _program(downgrade="monthly"):
    return program_cases.create("m_1", {"name": "Shop", "slug": f"shop-{downgrade}", "mechanics": {
        "tiers": [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5},
                  {"id": "gold", "name": "Gold", "threshold": 100000, "earn_percent": 10}],
        "tier_window_days": 30, "tier_downgrade": downgrade}}, JOINED)


def _gold_card(program, phone):
    card = enrollment.enroll(program, {"name": "G", "phone": phone, "consent": True}, JOINED, "ru")
    pos.post_receipt(program, {"receipt_id": f"big-{phone[1:]}", "card": card.number, "total": 150000}, JOINED)
    assert card_store.get(card.card_id, consistent=True).tier == "gold"
    return card


def test_downgrade_waits_for_the_schedule_and_happens_once(aws):
    program = _program()
    gold = _gold_card(program, "+79160000001")
    base = enrollment.enroll(program, {"name": "B", "phone": "+79160000002", "consent": True}, JOINED, "ru")
    before = card_store.get(gold.card_id, consistent=True)

    assert JOBS["tier_review"](date(2025, 1, 20)) == {"programs": 0, "read": 0, "changed": 0}  # not the 1st
    result = JOBS["tier_review"](date(2025, 3, 1))  # 50 days later: the spend left the 30-day window
    assert result == {"programs": 1, "read": 1, "changed": 1}  # only the tiered card is read
    after = card_store.get(gold.card_id, consistent=True)
    assert after.tier == "base" and after.tier_key is None
    assert after.pass_version > before.pass_version  # the wallet card will show the new tier
    assert JOBS["tier_review"](date(2025, 3, 1)) == {"programs": 1, "read": 0, "changed": 0}
    assert card_store.get(base.card_id).tier == "base"


def test_a_member_who_still_spends_keeps_the_tier(aws):
    program = _program()
    gold = _gold_card(program, "+79160000003")
    pos.post_receipt(program, {"receipt_id": "recent", "card": gold.number, "total": 120000},
                     JOINED + timedelta(days=40))
    assert JOBS["tier_review"](date(2025, 3, 1))["changed"] == 0
    assert card_store.get(gold.card_id).tier == "gold"


def test_never_means_never(aws):
    program = _program("never")
    gold = _gold_card(program, "+79160000004")
    assert JOBS["tier_review"](date(2026, 1, 1))["programs"] == 0
    assert card_store.get(gold.card_id).tier == "gold"
