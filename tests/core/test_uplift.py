"""The statistics of experiments (core/uplift.py, issue 17): the Student t distribution against table values,
Welch's interval against a hand computation, a known true effect found inside its interval, no effect found
where there is none (the false positive rate and the coverage over many seeds), maturity of windows for a
campaign and for a trigger, ROMI arithmetic, verdicts that never outrun their intervals, the daily chart."""
import json
import math
import random
import statistics
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core import uplift
from chalicelib.core.uplift import Economics, Event, Exposure, Moments, Sample

TODAY = date(2026, 11, 29)
SENT = TODAY - timedelta(days=40)  # a campaign sent 40 days ago: every window up to 30 days has ended
ECONOMICS = Economics(margin_percent=40.0, point_value=10)
OFFER = [("a", "Offer A")]


def history(rng: random.Random, variant: str, cards: int, buy: float, *, exposed_on: date = SENT, window: int = 30,
            bonus: int = 0, message_cost: int = 0) -> list[Exposure]:
    """Cards that buy within `window` days with probability `buy`: 1 visit (70%) or 2 (30%), each paying
    lognormal(7, 0.5) minor units (mean e^7.125 ≈ 1243) and earning a point per 100."""
    made = []
    for _ in range(cards):
        events: list[Event] = []
        if rng.random() < buy:
            for _ in range(1 if rng.random() < 0.7 else 2):
                paid = round(rng.lognormvariate(7.0, 0.5))
                events.append(Event(rng.randrange(window), paid, paid // 100, 1))
        made.append(Exposure(variant, exposed_on, bonus, message_cost, tuple(events)))
    return made


MEAN_VISIT = math.exp(7.0 + 0.5 ** 2 / 2)
MEAN_VISITS = 0.7 * 1 + 0.3 * 2


def row(answer: uplift.Report, days: int) -> uplift.WindowRow:
    return next(r for r in answer["windows"] if r["days"] == days)


def inside(value: float, difference: uplift.Difference) -> bool:
    assert difference["low"] is not None and difference["high"] is not None
    return difference["low"] <= value <= difference["high"]


# --- the distribution ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("df", "table"), [(1, 12.706), (5, 2.571), (30, 2.042), (math.inf, 1.960), (2, 4.303),
                                           (10, 2.228), (120, 1.980)])
def test_t_quantiles_match_the_table(df, table):
    assert round(uplift.t_quantile(0.975, df), 3) == table


@pytest.mark.parametrize(("df", "quantile", "p_at_2_1"), [  # references: mpmath at 30 digits
    (1.5, 6.01666310442793, 0.211345435529438), (7.3, 2.34506673654770, 0.0722467134248534),
    (250.5, 1.96947927205168, 0.0367291523771931), (12345.6, 1.96015615825951, 0.0357490802224683)])
def test_fractional_degrees_of_freedom(df, quantile, p_at_2_1):
    assert uplift.t_quantile(0.975, df) == pytest.approx(quantile, abs=1e-9)
    assert uplift.t_two_sided_p(2.1, df) == pytest.approx(p_at_2_1, abs=1e-12)


def test_the_t_distribution_tends_to_the_normal_and_is_symmetric():
    assert uplift.t_quantile(0.975, 1e9) == pytest.approx(1.959964, abs=1e-6)
    assert uplift.t_cdf(-1.5, 8) == pytest.approx(1 - uplift.t_cdf(1.5, 8), abs=1e-14)
    assert uplift.t_two_sided_p(0.0, 8) == pytest.approx(1.0)
    quantiles = [uplift.t_quantile(0.975, df) for df in (1, 1.5, 2, 3, 4.5, 10, 100, 1e4)]
    assert quantiles == sorted(quantiles, reverse=True)  # more freedom, a narrower interval


def test_welch_agrees_with_a_hand_computation():
    # T = 3, 5, 7, 9: mean 6, variance 20/3; C = 1, 2, 3: mean 2, variance 1.
    # SE² = (20/3)/4 + 1/3 = 2; df = 2² / ((5/3)²/3 + (1/3)²/2) = 4.0754717; t(0.975, 4.0754717) = 2.7562849;
    # 95% CI = 4 ± 2.7562849 × √2 = 0.1020245 to 7.8979755; t = 4/√2 = 2.8284271, two-sided p = 0.0464072
    estimate = uplift.welch(Moments(4, 24, 164), Moments(3, 6, 14))
    assert estimate is not None
    assert estimate.difference == 4
    assert estimate.low == pytest.approx(0.1020245, abs=1e-7)
    assert estimate.high == pytest.approx(7.8979755, abs=1e-7)
    assert estimate.p_value == pytest.approx(0.0464072, abs=1e-7)
    same = uplift.welch_from(Sample(6, 20 / 3, 4), Sample(2, 1, 3))
    assert same.low == pytest.approx(estimate.low) and same.high == pytest.approx(estimate.high)


def test_two_proportions_by_hand():
    # 30/100 vs 20/100: +10 pp; unpooled SE = √(.21/100 + .16/100) = .0608276 → ±11.92 pp;
    # pooled p = .25, SE = √(.25 × .75 × .02) = .0612372, z = 1.6329932, p = .1024704
    estimate = uplift.two_proportions(30, 100, 20, 100)
    assert estimate is not None
    assert estimate.difference == pytest.approx(10.0)
    assert estimate.low == pytest.approx(10 - 1.959964 * 6.08276, abs=1e-4)
    assert estimate.high == pytest.approx(10 + 1.959964 * 6.08276, abs=1e-4)
    assert estimate.p_value == pytest.approx(0.1024704, abs=1e-6)


def test_no_interval_without_two_cards_or_any_variation():
    assert uplift.welch(Moments(1, 5, 25), Moments(10, 50, 300)).low is None
    assert uplift.welch(Moments(10, 50, 250), Moments(10, 30, 90)).low is None  # both constant
    assert uplift.two_proportions(0, 50, 0, 50).low is None
    assert uplift.two_proportions(3, 50, 0, 0) is None
    one_varies = uplift.welch(Moments(10, 50, 250), Moments(10, 30, 100))  # control's variance alone
    assert one_varies is not None and one_varies.low is not None


# --- a known effect, and none ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("treated_buy", "effect"), [(0.26, "positive"), (0.14, "negative")])
def test_a_known_true_effect_is_found_within_its_interval(treated_buy, effect):
    rng = random.Random(17)
    cards = history(rng, "control", 3000, 0.20) + history(rng, "a", 3000, treated_buy)
    rng.shuffle(cards)
    answer = uplift.report(iter(cards), OFFER, (7, 14, 30), TODAY, ECONOMICS)
    window = row(answer, 30)
    assert window["complete"] and window["open"] == 0
    comparison = window["comparisons"][0]
    assert comparison["verdict"]["effect"] == effect
    assert inside((treated_buy - 0.20) * 100, comparison["conversion"])
    assert comparison["conversion"]["significant"]
    true_revenue = (treated_buy - 0.20) * MEAN_VISITS * MEAN_VISIT
    assert inside(true_revenue, comparison["revenue"])
    assert inside((treated_buy - 0.20) * MEAN_VISITS, comparison["visits"])
    text = comparison["verdict"]["text"]
    assert "Conversion " in text["en"] and "95% CI" in text["en"] and "95% ДИ" in text["ru"]


def test_no_effect_false_positives_near_five_percent_and_coverage_near_95():
    seeds = 300
    significant = {"conversion": 0, "revenue": 0}
    claimed = 0  # verdicts that call an effect: both measures looked at, still near 5% (not 1 - 0.95**2)
    for seed in range(seeds):
        rng = random.Random(seed)
        cards = history(rng, "control", 200, 0.2, window=7) + history(rng, "a", 200, 0.2, window=7)
        answer = uplift.report(cards, OFFER, (7,), TODAY, ECONOMICS, chart_days=1)
        comparison = answer["windows"][0]["comparisons"][0]
        for metric in significant:
            significant[metric] += comparison[metric]["significant"]
            assert comparison[metric]["significant"] == (not inside(0.0, comparison[metric]))  # coverage of 0
        assert comparison["verdict"]["effect"] in ("none_found", "positive", "negative")
        claimed += comparison["verdict"]["effect"] != "none_found"
    for metric, count in significant.items():
        assert 0.01 <= count / seeds <= 0.10, (metric, count)  # the coverage of the truth (0) is 1 - this
    assert 0.01 <= claimed / seeds <= 0.065, claimed


def test_coverage_of_a_true_difference_near_95_percent():
    seeds, covered = 200, {"conversion": 0, "revenue": 0}
    truth = {"conversion": 10.0, "revenue": 0.1 * MEAN_VISITS * MEAN_VISIT}
    for seed in range(seeds):
        rng = random.Random(1000 + seed)
        cards = history(rng, "control", 200, 0.2, window=7) + history(rng, "a", 200, 0.3, window=7)
        comparison = uplift.report(cards, OFFER, (7,), TODAY, ECONOMICS, chart_days=1)["windows"][0]["comparisons"][0]
        for metric in covered:
            covered[metric] += inside(truth[metric], comparison[metric])
    for metric, count in covered.items():
        assert 0.90 <= count / seeds <= 0.99, (metric, count)


# --- the sums are right -------------------------------------------------------------------------------------------

def test_the_figures_equal_a_card_by_card_computation():
    """Refunds, unsorted events, bonuses and message costs: the running sums give the same means and
    intervals as the plain per-card lists."""
    rng = random.Random(5)
    cards = []
    for i in range(400):
        variant = ("control", "a", "b")[i % 3]
        events = []
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            paid = rng.randrange(100, 5000)
            events.append(Event(rng.randrange(20), paid, paid // 50, 1))
            if rng.random() < 0.2:  # a refund of it, maybe days later
                events.append(Event(rng.randrange(20), -paid, -(paid // 50), 0))
        rng.shuffle(events)
        bonus = 0 if variant == "control" else (50 if variant == "a" else 120)
        cards.append(Exposure(variant, SENT, bonus, 3 if bonus else 0, tuple(events)))
    answer = uplift.report(cards, [("a", "Offer A"), ("b", "Offer B")], (7, 14), TODAY, ECONOMICS)
    for window in (7, 14):
        got = row(answer, window)
        per = {}
        for variant in ("control", "a", "b"):
            mine = [c for c in cards if c.variant == variant]
            inside_window = [[e for e in c.events if e.offset < window] for c in mine]
            per[variant] = {
                "conversion": [int(any(e.visit for e in evs)) for evs in inside_window],
                "revenue": [sum(e.revenue for e in evs) for evs in inside_window],
                "visits": [sum(e.visit for e in evs) for evs in inside_window],
                "points_cost": [c.bonus + sum(e.points for e in evs)
                                for c, evs in zip(mine, inside_window, strict=True)]}
            figures = got["groups"][variant]
            assert figures["cards"] == len(mine)
            assert figures["conversion"] == round(100 * statistics.mean(per[variant]["conversion"]), 2)
            assert figures["revenue"] == round(statistics.mean(per[variant]["revenue"]), 2)
            assert figures["visits"] == round(statistics.mean(per[variant]["visits"]), 3)
            assert figures["points_cost"] == round(statistics.mean(per[variant]["points_cost"]), 2)
        pairs = [(c["variant"], c["against"]) for c in got["comparisons"]]
        assert pairs == [("a", "control"), ("b", "control"), ("b", "a")]  # later against earlier
        for comparison in got["comparisons"]:
            t, c = per[comparison["variant"]], per[comparison["against"]]
            for metric, digits in (("revenue", 2), ("visits", 3), ("points_cost", 2)):
                expected = uplift.welch_from(Sample(statistics.mean(t[metric]), statistics.variance(t[metric]),
                                                    len(t[metric])),
                                             Sample(statistics.mean(c[metric]), statistics.variance(c[metric]),
                                                    len(c[metric])))
                assert comparison[metric]["difference"] == round(expected.difference, digits)
                assert comparison[metric]["low"] == pytest.approx(round(expected.low, digits), abs=10 ** -digits)
                assert comparison[metric]["high"] == pytest.approx(round(expected.high, digits), abs=10 ** -digits)
                assert comparison[metric]["method"] == "Welch's t-test"
            assert comparison["conversion"]["method"] == "two-proportion z-test"
            assert comparison["conversion"]["treatment"] == answer["windows"][0 if window == 7 else 1]["groups"][
                comparison["variant"]]["conversion"]


def test_a_refunded_only_sale_still_converts():
    card = Exposure("a", SENT, events=(Event(1, 1000, 10, 1), Event(2, -1000, -10, 0)))
    figures = row(uplift.report([card], OFFER, (7,), TODAY, ECONOMICS), 7)["groups"]["a"]
    assert figures == {"cards": 1, "conversion": 100.0, "revenue": 0.0, "visits": 1.0, "points_cost": 0.0}


def test_the_report_is_json_and_names_its_groups():
    rng = random.Random(3)
    cards = history(rng, "control", 50, 0.3) + history(rng, "a", 60, 0.3) + history(rng, "zz", 5, 1.0)
    answer = uplift.report((c for c in cards), OFFER, (7, 14, 30), TODAY, ECONOMICS)
    assert json.loads(json.dumps(answer, allow_nan=False)) == answer
    assert answer["as_of"] == "2026-11-29"
    assert answer["groups"] == [{"variant": "control", "name": "Control", "cards": 50},
                                {"variant": "a", "name": "Offer A", "cards": 60}]  # an unknown variant is left out
    assert [r["days"] for r in answer["windows"]] == [7, 14, 30]


event = st.builds(Event, offset=st.integers(0, 45), revenue=st.integers(-5000, 20000), points=st.integers(-50, 200),
                  visit=st.integers(0, 1))
exposure = st.builds(Exposure, variant=st.sampled_from(["control", "a", "b", "x"]),
                     exposed_on=st.integers(0, 45).map(lambda back: TODAY - timedelta(days=back)),
                     bonus=st.integers(0, 300), message_cost=st.integers(0, 20),
                     events=st.lists(event, max_size=4).map(tuple))


@settings(max_examples=150, deadline=None)
@given(st.lists(exposure, max_size=60), st.lists(st.integers(1, 40), min_size=1, max_size=3, unique=True),
       st.one_of(st.none(), st.integers(0, 50)))
def test_any_history_gives_a_consistent_report(cards, windows, chart_days):
    answer = uplift.report(iter(cards), [("a", "A"), ("b", "B")], windows, TODAY, ECONOMICS, chart_days=chart_days)
    assert json.loads(json.dumps(answer, allow_nan=False)) == answer
    known = [c for c in cards if c.variant != "x"]
    assert sum(g["cards"] for g in answer["groups"]) == len(known)
    for window in answer["windows"]:
        w = window["days"]
        matured = [c for c in known if c.exposed_on + timedelta(days=w) <= TODAY]
        used = matured or known
        assert window["open"] == len(known) - len(matured)
        assert window["complete"] == (bool(known) and not window["open"])
        for vid in ("control", "a", "b"):
            mine = [c for c in used if c.variant == vid]
            figures = window["groups"][vid]
            assert figures["cards"] == len(mine)
            if mine:
                revenue = statistics.mean(sum(e.revenue for e in c.events if e.offset < w) for c in mine)
                converted = statistics.mean(any(e.visit for e in c.events if e.offset < w) for c in mine)
                points = statistics.mean(c.bonus + sum(e.points for e in c.events if e.offset < w) for c in mine)
                assert figures["revenue"] == pytest.approx(round(revenue, 2), abs=0.006)
                assert figures["conversion"] == pytest.approx(round(100 * converted, 2), abs=0.006)
                assert figures["points_cost"] == pytest.approx(round(points, 2), abs=0.006)
        for comparison in window["comparisons"]:
            verdict = comparison["verdict"]["effect"]
            flags = [comparison[m]["significant"] for m in ("conversion", "revenue")]
            if verdict in ("positive", "negative"):
                assert any(flags) and window["complete"]
            for metric in ("conversion", "revenue", "visits", "points_cost"):
                d = comparison[metric]
                assert d["significant"] == (d["low"] is not None and (d["low"] > 0 or d["high"] < 0))
                if d["low"] is not None:
                    assert d["low"] <= d["difference"] <= d["high"] and 0 <= d["p_value"] <= 1
    chart = answer["chart"]
    for series in chart["groups"].values():
        assert len(series["conversion"]) == len(series["revenue"]) == len(chart["days"])
    for series in chart["differences"].values():
        assert all(len(values) == len(chart["days"]) for values in series.values())
    assert len(chart["days"]) <= (max(windows) if chart_days is None else chart_days)


# --- maturity ----------------------------------------------------------------------------------------------------

def test_a_campaign_just_sent_is_too_early():
    rng = random.Random(8)
    cards = history(rng, "control", 40, 0.5, exposed_on=TODAY, window=1) + history(rng, "a", 60, 0.5,
                                                                                    exposed_on=TODAY, window=1)
    answer = uplift.report(cards, OFFER, (7, 14, 30), TODAY, ECONOMICS)
    for window in answer["windows"]:
        assert window["complete"] is False and window["open"] == 100
        assert window["groups"]["a"]["cards"] == 60  # no card matured: all of them, with what they did so far
        assert window["groups"]["a"]["conversion"] > 0
        verdict = window["comparisons"][0]["verdict"]
        assert verdict["effect"] == "too_early"
        completes = TODAY + timedelta(days=window["days"])
        assert "100 cards are still" in verdict["text"]["en"] and f"{completes.day} December" in verdict["text"]["en"]
        assert "100 карт" in verdict["text"]["ru"] and f"{completes.day} декабря" in verdict["text"]["ru"]
    assert answer["chart"]["days"] == []  # no day has ended for anyone
    assert all(r["complete"] is False for r in answer["romi"])
    assert all(r["romi"] is None and r["incremental_revenue"] is None for r in answer["romi"])  # not −100%


def test_a_trigger_uses_only_matured_cards():
    """Cards exposed one a day over 60 days: the 30-day window uses the 31 days of cards whose window ended;
    a 90-day window, which no card has finished, uses everyone so far."""
    first = TODAY - timedelta(days=60)
    cards = []
    for day in range(60):
        exposed = first + timedelta(days=day)
        matured = exposed + timedelta(days=30) <= TODAY
        for variant in ("control", "a"):
            # unmatured cards spend a fortune, so any leak into the row shows
            spend = 1000 if matured else 1_000_000
            cards.extend(Exposure(variant, exposed, events=(Event(0, spend, 10, 1),)) for _ in range(2))
    answer = uplift.report(cards, OFFER, (30, 90), TODAY, ECONOMICS)
    thirty = row(answer, 30)
    assert thirty["groups"]["a"]["cards"] == 31 * 2 and thirty["groups"]["control"]["cards"] == 31 * 2
    assert thirty["open"] == 29 * 4 and thirty["complete"] is False
    assert thirty["groups"]["a"]["revenue"] == 1000.0
    verdict = thirty["comparisons"][0]["verdict"]  # judged on the matured cards, and saying so
    assert verdict["effect"] == "none_found" and verdict["interim"] is True
    assert "116 cards are still within it" in verdict["text"]["en"] and "Промежуточный" in verdict["text"]["ru"]
    ninety = row(answer, 90)
    assert ninety["groups"]["a"]["cards"] == 120 and ninety["open"] == 240 and ninety["complete"] is False
    assert ninety["comparisons"][0]["verdict"]["effect"] == "too_early"  # no card has finished 90 days
    assert "completes on" not in ninety["comparisons"][0]["verdict"]["text"]["en"]  # not all on one day
    romi = answer["romi"][0]
    assert romi["window"] == 30 and romi["complete"] is False  # the longest window with a matured card


def test_too_few_cards():
    rng = random.Random(2)
    cards = history(rng, "control", 29, 0.5) + history(rng, "a", 300, 0.5)
    verdict = row(uplift.report(cards, OFFER, (7,), TODAY, ECONOMICS), 7)["comparisons"][0]["verdict"]
    assert verdict["effect"] == "too_few"
    assert "29 cards" in verdict["text"]["en"] and "29 карт" in verdict["text"]["ru"]


# --- ROMI ---------------------------------------------------------------------------------------------------------

def romi_cards(bonus: int, message_cost: int) -> list[Exposure]:
    """100 control cards of which 10 buy for 1000; 100 treated cards of which 20 buy for 1000."""
    sale = (Event(3, 1000, 10, 1),)
    return ([Exposure("control", SENT, events=sale if i < 10 else ()) for i in range(100)]
            + [Exposure("a", SENT, bonus, message_cost, sale if i < 20 else ()) for i in range(100)])


def test_romi_by_hand():
    # revenue per card: 200 vs 100 → incremental revenue (200 − 100) × 100 = 10000; margin 40% → 4000;
    # cost: 100 cards × 1 point × 10 + 100 × 1 = 1100; ROMI = (4000 − 1100) / 1100 = 263.64%
    answer = uplift.report(romi_cards(bonus=1, message_cost=1), OFFER, (7, 14, 30), TODAY, ECONOMICS)
    romi = answer["romi"]
    assert len(romi) == 1
    expected_interval = uplift.welch(Moments(100, 20_000, 20 * 1000 ** 2), Moments(100, 10_000, 10 * 1000 ** 2))
    assert romi[0] == {"variant": "a", "window": 30, "complete": True, "incremental_revenue": 10_000,
                       "incremental_revenue_low": round(expected_interval.low * 100),
                       "incremental_revenue_high": round(expected_interval.high * 100),
                       "incremental_margin": 4000, "bonus_cost": 1000, "message_cost": 100, "cost": 1100,
                       "romi": 263.64, "margin_percent": 40.0}
    assert romi[0]["incremental_revenue_low"] < 10_000 < romi[0]["incremental_revenue_high"]


def test_romi_is_null_without_a_margin_or_a_cost():
    unknown = uplift.report(romi_cards(1, 1), OFFER, (30,), TODAY, Economics(None, 10))["romi"][0]
    assert unknown["romi"] is None and unknown["incremental_margin"] is None
    assert unknown["incremental_revenue"] == 10_000 and unknown["cost"] == 1100
    free = uplift.report(romi_cards(0, 0), OFFER, (30,), TODAY, ECONOMICS)["romi"][0]
    assert free["romi"] is None and free["cost"] == 0 and free["incremental_margin"] == 4000


def test_romi_counts_only_the_cards_the_window_used():
    late = [Exposure("a", TODAY - timedelta(days=2), 1, 1) for _ in range(50)]  # not matured for 30 days
    romi = uplift.report(romi_cards(1, 1) + late, OFFER, (30,), TODAY, ECONOMICS)["romi"][0]
    assert romi["complete"] is False and romi["window"] == 30
    assert romi["bonus_cost"] == 1000 and romi["message_cost"] == 100 and romi["incremental_revenue"] == 10_000


def test_monthly_sums():
    rows: list[uplift.RomiRow] = [
        {"month": "2026-10", "incremental_margin": 1000, "cost": 500},
        {"month": "2026-10", "incremental_margin": 500.5, "cost": 250},
        {"month": "2026-11", "incremental_margin": None, "cost": 100},
        {"month": "2026-11", "incremental_margin": 300, "cost": 100},
        {"month": "2026-09", "incremental_margin": 0, "cost": 0}]
    assert uplift.monthly(rows) == [
        {"month": "2026-09", "experiments": 1, "incremental_margin": 0, "cost": 0, "romi": None},
        {"month": "2026-10", "experiments": 2, "incremental_margin": 1500.5, "cost": 750, "romi": 100.07},
        {"month": "2026-11", "experiments": 2, "incremental_margin": None, "cost": 200, "romi": None}]
    assert uplift.monthly([]) == []


# --- verdicts never outrun their intervals ------------------------------------------------------------------------

def test_the_verdict_never_claims_what_the_interval_does_not_support():
    rng = random.Random(99)
    seen = set()
    for _ in range(120):
        size = rng.randrange(25, 160)
        variants = [("a", "A"), ("b", "B")]
        cards = [c for vid in ("control", "a", "b")
                 for c in history(rng, vid, rng.randrange(size // 2, size), rng.uniform(0.05, 0.6), window=7)]
        answer = uplift.report(cards, variants, (7,), TODAY, ECONOMICS, chart_days=3)
        for comparison in answer["windows"][0]["comparisons"]:
            effect = comparison["verdict"]["effect"]
            seen.add(effect)
            shown = [comparison[m] for m in ("conversion", "revenue")]
            # a measure carries a verdict when its interval excludes 0 and p < 0.025 (two measures at once)
            up = [d for d in shown if d["low"] is not None and d["low"] > 0 and d["p_value"] < 0.025]
            down = [d for d in shown if d["high"] is not None and d["high"] < 0 and d["p_value"] < 0.025]
            if effect == "positive":
                assert up and not down
            elif effect == "negative":
                assert down and not up
            elif effect == "none_found":
                assert not (up and not down) and not (down and not up)
            for d in shown:
                assert d["significant"] == (d["low"] is not None and (d["low"] > 0 or d["high"] < 0))
            for text in comparison["verdict"]["text"].values():
                assert "no effect" not in text.lower() and "нет эффекта" not in text.lower()
    assert {"positive", "negative", "none_found"} <= seen


def test_verdict_texts_name_the_metric_estimate_and_interval():
    rng = random.Random(4)
    cards = history(rng, "control", 3000, 0.2) + history(rng, "a", 3000, 0.26)
    comparison = row(uplift.report(cards, OFFER, (30,), TODAY, ECONOMICS), 30)["comparisons"][0]
    revenue = comparison["revenue"]
    en, ru = comparison["verdict"]["text"]["en"], comparison["verdict"]["text"]["ru"]
    money = f"{revenue['difference'] / 100:+.2f} (95% CI {revenue['low'] / 100:+.2f} to {revenue['high'] / 100:+.2f})"
    assert f"Revenue per card {money}" in en.replace("−", "-")
    assert "Выручка на карту" in ru and "," in ru and "95% ДИ от" in ru
    assert "did better than the control group" in en


# --- the chart ----------------------------------------------------------------------------------------------------

def test_the_chart_agrees_with_the_windows_and_is_cumulative():
    rng = random.Random(12)
    cards = (history(rng, "control", 300, 0.3) + history(rng, "a", 300, 0.4) + history(rng, "b", 300, 0.35))
    answer = uplift.report(cards, [("a", "A"), ("b", "B")], (7, 14, 30), TODAY, ECONOMICS)
    chart = answer["chart"]
    assert chart["days"] == list(range(30))
    for vid in ("control", "a", "b"):
        series = chart["groups"][vid]
        assert len(series["conversion"]) == len(series["revenue"]) == 30
        assert series["conversion"] == sorted(series["conversion"])  # one exposure day: cumulative, never down
        for window in (7, 14, 30):  # day W−1 is the window W
            assert series["conversion"][window - 1] == row(answer, window)["groups"][vid]["conversion"]
            assert series["revenue"][window - 1] == row(answer, window)["groups"][vid]["revenue"]
    assert set(chart["differences"]) == {"a", "b"}
    for difference in chart["differences"].values():
        assert all(len(values) == 30 for values in difference.values())
        comparison = row(answer, 30)["comparisons"][0]["conversion"]
        assert chart["differences"]["a"]["conversion_low"][29] == comparison["low"]
        assert all(lo <= mid <= hi for lo, mid, hi in zip(difference["revenue_low"], difference["revenue"],
                                                          difference["revenue_high"], strict=True))


def test_the_chart_stops_where_a_group_no_longer_counts_its_cards():
    """A day is drawn while every group counts at least 30 cards there, or all of its cards when it has fewer:
    a trigger's later days hold only its earliest cards, whose swings would look like the experiment turning."""
    cards = [Exposure("control", TODAY - timedelta(days=10), events=(Event(2, 500, 5, 1),)),
             Exposure("a", TODAY - timedelta(days=4), events=(Event(0, 700, 7, 1), Event(9, 100, 1, 1)))]
    chart = uplift.report(cards, OFFER, (7, 14, 30), TODAY, ECONOMICS)["chart"]
    assert chart["days"] == list(range(4))  # only days 0..3 ended for the one card of "a"
    assert chart["groups"]["control"]["conversion"] == [0.0, 0.0, 100.0, 100.0]
    assert chart["groups"]["a"]["revenue"] == [700.0] * 4
    assert chart["differences"]["a"]["conversion"][0] == 100.0
    assert chart["differences"]["a"]["conversion_low"][0] is None  # one card a group: no interval
    spread = [Exposure(vid, TODAY - timedelta(days=back), events=(Event(0, 100, 1, 1),))
              for back in range(1, 41) for vid in ("control", "a")]  # one card a day in each group
    days = uplift.report(spread, OFFER, (30,), TODAY, ECONOMICS)["chart"]["days"]
    assert days == list(range(11))  # day 10 ended for 30 cards of each group (exposed 11..40 days ago); day 11: 29
    short = uplift.report(cards, OFFER, (7, 14, 30), TODAY, ECONOMICS, chart_days=3)["chart"]
    assert short["days"] == [0, 1, 2]
