"""Which receipts ask a survey (sampling, once per period), the settings' checks, and the scores' arithmetic."""
from datetime import date, timedelta

import pytest

from chalicelib.core import analytics as numbers
from chalicelib.core import mechanics as mech
from chalicelib.core import surveys
from chalicelib.core.kinds.base import Sale
from chalicelib.errors import InvalidInput

TODAY = date(2026, 11, 29)


def _mechanics(**survey):
    return mech.parse({"survey": {"kind": "nps", **survey}})


def _sale(ref, today=TODAY):
    return Sale(total=1000, lines=(), today=today, sold_on=today.isoformat(), receipt_ref=ref)


@pytest.mark.parametrize("percent", [1, 10, 25, 50, 90])
def test_the_share_of_receipts_asked_is_the_sample_percent(percent):
    mechanics = _mechanics(sample_percent=percent)
    refs = [f"R-{n:06d}" for n in range(20_000)]  # a POS's sequential ids: the hash spreads them
    asked = sum(surveys.due(None, mechanics, _sale(ref)) for ref in refs)
    assert abs(asked * 100 / len(refs) - percent) <= 3
    # deterministic: the same receipt decides the same way every time (a retried receipt asks once)
    assert [surveys.due(None, mechanics, _sale(ref)) for ref in refs[:200]] == \
           [surveys.due(None, mechanics, _sale(ref)) for ref in refs[:200]]


def test_everyone_at_100_percent_and_nobody_without_settings():
    assert all(surveys.due(None, _mechanics(), _sale(f"x{n}")) for n in range(500))
    assert not any(surveys.due(None, mech.parse({}), _sale(f"x{n}")) for n in range(500))


def test_a_card_is_asked_at_most_once_per_period():
    mechanics = _mechanics(period_days=30)
    asked_on = TODAY.isoformat()
    assert not surveys.due(asked_on, mechanics, _sale("a"))  # the same day
    assert not surveys.due(asked_on, mechanics, _sale("b", TODAY + timedelta(days=29)))  # the 30th day
    assert surveys.due(asked_on, mechanics, _sale("c", TODAY + timedelta(days=30)))  # a new period


def test_the_ledger_keeps_the_day_asked_on_the_card():
    from chalicelib.core import ledger
    from chalicelib.core.ledger import CardState

    mechanics = _mechanics(period_days=7)
    state = CardState(balance=0, lots=(), tier="base")
    first = ledger.receipt(state, mechanics, total=1000, redeem=0, today=TODAY, lot_id="l1", receipt_ref="r1")
    assert first.survey and first.state.surveyed_on == TODAY.isoformat()
    second = ledger.receipt(first.state, mechanics, total=1000, redeem=0, today=TODAY + timedelta(days=1),
                            lot_id="l2", receipt_ref="r2")
    assert not second.survey and second.state.surveyed_on == TODAY.isoformat()


@pytest.mark.parametrize(("raw", "field"), [
    ({"kind": "ces"}, "mechanics.survey.kind"),
    ({"delay_minutes": -1}, "mechanics.survey.delay_minutes"),
    ({"delay_minutes": 10081}, "mechanics.survey.delay_minutes"),
    ({"sample_percent": 0}, "mechanics.survey.sample_percent"),
    ({"sample_percent": 101}, "mechanics.survey.sample_percent"),
    ({"sample_percent": 12.5}, "mechanics.survey.sample_percent"),
    ({"period_days": 0}, "mechanics.survey.period_days"),
    ({"question": "x" * 201}, "mechanics.survey.question"),
    ({"question": {"de": "Wie?"}}, "mechanics.survey.question.de"),
    ({"channel": "sms"}, "mechanics.survey.channel"),
    ("nps", "mechanics.survey"),
])
def test_settings_errors_name_the_field(raw, field):
    with pytest.raises(InvalidInput) as refused:
        mech.parse({"survey": raw})
    assert refused.value.field == field


def test_settings_round_trip_with_defaults():
    parsed = mech.parse({"survey": {"kind": "csi", "question": {"ru": "Как вам?", "en": "How was it?"}}})
    assert surveys.to_json(parsed.survey) == {"kind": "csi", "delay_minutes": 120, "sample_percent": 100,
                                              "period_days": 30, "question": {"ru": "Как вам?", "en": "How was it?"}}
    assert mech.parse(mech.to_dict(parsed)) == parsed
    assert mech.to_dict(mech.parse({}))["survey"] is None
    assert mech.parse({"survey": None}, base=parsed).survey is None  # null turns surveys off


@pytest.mark.parametrize(("kind", "raw", "score"), [("nps", "0", 0), ("nps", "10", 10), ("nps", 7, 7),
                                                     ("csi", "1", 1), ("csi", " 5 ", 5)])
def test_scores_within_the_scale(kind, raw, score):
    assert surveys.read_score(kind, raw) == score


@pytest.mark.parametrize(("kind", "raw"), [("nps", "11"), ("nps", "-1"), ("nps", ""), ("nps", "٣"), ("nps", True),
                                           ("nps", "5.0"), ("csi", "0"), ("csi", "6"), ("nps", None), ("nps", [])])
def test_scores_outside_the_scale_are_refused(kind, raw):
    with pytest.raises(InvalidInput) as refused:
        surveys.read_score(kind, raw)
    assert refused.value.field == "score"


def test_nps_groups_and_score():
    assert [surveys.nps_group(score) for score in range(11)] == ["detractors"] * 7 + ["passives"] * 2 + \
        ["promoters"] * 2
    counts = numbers.merge(*(surveys.answer_counts("nps", score) for score in (10, 9, 9, 8, 7, 6, 0, 3)))
    # 3 promoters, 2 passives, 3 detractors of 8: 37.5% - 37.5% = 0
    assert surveys.nps(counts) == {"score": 0, "promoters": 3, "passives": 2, "detractors": 3, "answers": 8}
    assert surveys.nps({"survey_promoters": 1, "survey_passives": 1}) ["score"] == 50
    assert surveys.nps({"survey_detractors": 4}) ["score"] == -100
    # rounded half up: 1 of 8 promoters is 12.5 -> 13; 1 of 8 detractors is -12.5 -> -12
    assert surveys.nps({"survey_promoters": 1, "survey_passives": 7})["score"] == 13
    assert surveys.nps({"survey_detractors": 1, "survey_passives": 7})["score"] == -12
    assert surveys.nps({}) is None


def test_csi_average():
    counts = numbers.merge(*(surveys.answer_counts("csi", score) for score in (5, 4, 4)))
    assert surveys.csi(counts) == {"average": 4.33, "answers": 3}
    assert surveys.csi({}) is None


def test_months_and_the_summary_count_answers_by_day():
    days = {"2026-10-30": surveys.answer_counts("nps", 10), "2026-11-02": surveys.answer_counts("nps", 0),
            "2026-11-03": numbers.merge(surveys.answer_counts("csi", 3), {"receipts": 2})}
    assert surveys.by_month(days) == [
        {"month": "2026-10", "nps": {"score": 100, "promoters": 1, "passives": 0, "detractors": 0, "answers": 1},
         "csi": None},
        {"month": "2026-11", "nps": {"score": -100, "promoters": 0, "passives": 0, "detractors": 1, "answers": 1},
         "csi": {"average": 3.0, "answers": 1}}]
    figures = numbers.summary(days, numbers.MemberTotals(), start=date(2026, 10, 1), end=date(2026, 11, 30),
                              window=30, point_value=100, outstanding=0)
    assert figures["nps"]["score"] == 0 and figures["csi"] == {"average": 3.0, "answers": 1}
    assert set(surveys.COUNTERS) <= set(numbers.COUNTERS)


def test_comments_are_short_plain_text():
    assert surveys.read_comment("  Tasty  ") == "Tasty"
    assert surveys.read_comment("") is None
    for bad in ("x" * 501, "a\x00b", 5):
        with pytest.raises(InvalidInput):
            surveys.read_comment(bad)
