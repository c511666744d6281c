"""The statistics of an experiment (issue 17): the per-card records of one experiment in, its report out.

For each window after the exposure (7, 14, 30 days by default) and each group: conversion, revenue, visits
and points cost per card; each treatment variant against control and the variants against each other with
95% confidence intervals (a two-proportion z-test for conversion, Welch's t-test for the means); a verdict in
plain words that never claims more than its interval supports; ROMI; a per-day series for the chart. Pure:
`today` is passed in, and only the standard library is used (the Lambda bundle has no scipy), so the Student t
distribution is computed here (the regularized incomplete beta function by its continued fraction).

One pass over the exposures, which may be a generator: each card adds to running sums kept per group and per
"days since exposure" (clamped at the longest horizon), so memory does not grow with the cards. Money sums
are Python ints (exact); a variance is computed from exact integer sums and only then becomes a float.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter
from typing import Any, Literal, NamedTuple, NotRequired, TypedDict

from chalicelib.core import texts
from chalicelib.core.experiments import Event, Exposure  # the input types, defined with the experiments

CONTROL = "control"
CONTROL_NAME = "Control"
DEFAULT_WINDOWS = (7, 14, 30)
MIN_CARDS = 30  # fewer cards in a group and the verdict is "too_few"
Z_975 = 1.959963984540054  # the standard normal's 97.5% quantile
TWO_PROPORTION = "two-proportion z-test"
WELCH = "Welch's t-test"


# --- input --------------------------------------------------------------------------------------------------

__all__ = ["Economics", "Event", "Exposure", "monthly", "report"]  # Event, Exposure: from core/experiments


@dataclass(frozen=True)
class Economics:
    margin_percent: float | None  # the program's gross margin setting; None: ROMI cannot be computed
    point_value: int  # minor units one point is worth when spent


class RomiRow(TypedDict):
    """One experiment's ROMI figures for `monthly`: the month of its start ("YYYY-MM")."""

    month: str
    incremental_margin: int | float | None
    cost: int


# --- output -------------------------------------------------------------------------------------------------

Effect = Literal["positive", "negative", "none_found", "too_early", "too_few"]


class Difference(TypedDict):
    treatment: float | None
    control: float | None
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    significant: bool
    method: str


class Verdict(TypedDict):
    effect: Effect
    text: dict[str, str]  # {"ru": ..., "en": ...}
    interim: NotRequired[bool]  # judged on the cards whose window ended while others are still in theirs


class Comparison(TypedDict):
    variant: str
    against: str
    conversion: Difference
    revenue: Difference
    visits: Difference
    points_cost: Difference
    verdict: Verdict


class GroupFigures(TypedDict):
    cards: int
    conversion: float | None  # percent of cards with a visit
    revenue: float | None  # minor units per card
    visits: float | None
    points_cost: float | None  # points per card


class WindowRow(TypedDict):
    days: int
    complete: bool
    open: int  # cards not matured for this window
    groups: dict[str, GroupFigures]
    comparisons: list[Comparison]


class Group(TypedDict):
    variant: str
    name: str
    cards: int


class Romi(TypedDict):
    variant: str
    window: int
    complete: bool
    incremental_revenue: int | None  # minor units
    incremental_revenue_low: int | None
    incremental_revenue_high: int | None
    incremental_margin: int | None
    bonus_cost: int
    message_cost: int
    cost: int
    romi: float | None  # percent
    margin_percent: float | None


class ChartGroup(TypedDict):
    conversion: list[float | None]
    revenue: list[float | None]


class ChartDifference(TypedDict):
    conversion: list[float | None]
    conversion_low: list[float | None]
    conversion_high: list[float | None]
    revenue: list[float | None]
    revenue_low: list[float | None]
    revenue_high: list[float | None]


class Chart(TypedDict):
    days: list[int]
    groups: dict[str, ChartGroup]
    differences: dict[str, ChartDifference]


class Report(TypedDict):
    as_of: str
    groups: list[Group]
    windows: list[WindowRow]
    romi: list[Romi]
    chart: Chart


# --- the distributions ---------------------------------------------------------------------------------------

_CF_ITERATIONS = 20_000
_CF_EPSILON = 1e-15
_TINY = 1e-300


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz), as in Numerical Recipes."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _CF_ITERATIONS):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        h *= step
        if abs(step - 1.0) < _CF_EPSILON:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is).
    Beyond 1e7 degrees of freedom the normal's (they differ by under 1e-8 there, and the beta function's
    lgamma terms lose digits)."""
    if df > 1e7:
        return math.erfc(abs(t) / math.sqrt(2.0))
    return incomplete_beta(df / 2.0, 0.5, df / (df + t * t))


def t_cdf(t: float, df: float) -> float:
    tail = t_two_sided_p(t, df) / 2.0
    return 1.0 - tail if t >= 0 else tail


def _t_density(t: float, df: float) -> float:
    return math.exp(math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0) - 0.5 * math.log(df * math.pi)
                    - (df + 1.0) / 2.0 * math.log1p(t * t / df))


def normal_quantile_975() -> float:
    return Z_975


def t_quantile(probability: float, df: float) -> float:
    """The `probability` quantile of Student's t (0.5 < probability < 1), e.g. 0.975 for a 95% interval.

    Exact forms for df 1 and 2; otherwise Newton's method on the CDF. For small df it starts from the normal
    quantile, which lies below the root: the CDF is concave for t > 0, so every step stays below the root
    and the steps converge monotonically (no overshoot into the flat tail). From df 10 it starts from the
    Cornish–Fisher expansion (Abramowitz & Stegun 26.7.5), already within 1e-6, and beyond 1e7 degrees of
    freedom that expansion is the answer (its error, of order df^-5, is below a double's precision)."""
    if not 0.5 < probability < 1.0:
        raise ValueError("t_quantile takes a probability between 0.5 and 1")
    if math.isinf(df):
        return _normal_quantile(probability)
    if df == 1.0:
        return math.tan(math.pi * (probability - 0.5))
    if df == 2.0:
        return (2.0 * probability - 1.0) / math.sqrt(2.0 * probability * (1.0 - probability))
    z = _normal_quantile(probability)
    if df > 1e7:
        return _cornish_fisher(z, df)
    t = _cornish_fisher(z, df) if df >= 10 else z
    for _ in range(60):
        step = (t_cdf(t, df) - probability) / _t_density(t, df)
        t -= step
        if abs(step) <= 1e-9 * max(1.0, t):  # the incomplete beta's own error is about 1e-11 at df 1e6
            break
    return t


def _cornish_fisher(z: float, df: float) -> float:
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df


def _normal_quantile(probability: float) -> float:
    """The standard normal quantile by bisection of erfc (used rarely: the 97.5% one is a constant)."""
    if probability == 0.975:
        return Z_975
    low, high = 0.0, 40.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if 1.0 - 0.5 * math.erfc(middle / math.sqrt(2.0)) < probability:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


# --- the tests ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Estimate:
    """A difference with its 95% interval and two-sided p-value (None: not computable)."""

    difference: float
    low: float | None
    high: float | None
    p_value: float | None


@dataclass(frozen=True)
class Moments:
    """Exact sums over a group's cards: how many, the sum of a value and the sum of its squares."""

    n: int
    total: int
    squares: int

    @property
    def mean(self) -> float:
        return self.total / self.n

    @property
    def variance(self) -> float:
        """The sample variance (n - 1), from exact integer sums."""
        return (self.n * self.squares - self.total * self.total) / (self.n * (self.n - 1))


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> Estimate | None:
    """Share 1 minus share 2 in percentage points: the 95% interval from the unpooled standard error (Wald),
    the p-value from the pooled z statistic. None when a group is empty."""
    if n1 == 0 or n2 == 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    difference = (p1 - p2) * 100.0
    unpooled = math.sqrt(p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2)
    if n1 < 2 or n2 < 2 or unpooled == 0.0:
        return Estimate(difference, None, None, None)
    pooled = (x1 + x2) / (n1 + n2)
    pooled_error = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    p_value = math.erfc(abs(p1 - p2) / pooled_error / math.sqrt(2.0))
    margin = Z_975 * unpooled * 100.0
    return Estimate(difference, difference - margin, difference + margin, p_value)


class Sample(NamedTuple):
    mean: float
    variance: float  # the sample variance (n - 1)
    n: int


def welch_from(first: Sample, second: Sample) -> Estimate:
    """Mean 1 minus mean 2 by Welch's t-test: the Welch–Satterthwaite degrees of freedom, the 95% interval
    with the t quantile for them."""
    mean1, variance1, n1 = first
    mean2, variance2, n2 = second
    difference = mean1 - mean2
    share1, share2 = variance1 / n1, variance2 / n2
    error2 = share1 + share2
    if n1 < 2 or n2 < 2 or error2 <= 0.0:
        return Estimate(difference, None, None, None)
    df = error2 * error2 / (share1 * share1 / (n1 - 1) + share2 * share2 / (n2 - 1))
    error = math.sqrt(error2)
    margin = t_quantile(0.975, df) * error
    return Estimate(difference, difference - margin, difference + margin, t_two_sided_p(difference / error, df))


def welch(first: Moments, second: Moments) -> Estimate | None:
    if first.n == 0 or second.n == 0:
        return None
    if first.n < 2 or second.n < 2:
        return Estimate(first.mean - second.mean, None, None, None)
    return welch_from(Sample(first.mean, max(first.variance, 0.0), first.n),
                      Sample(second.mean, max(second.variance, 0.0), second.n))


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits) + 0.0  # + 0.0: no "-0.0" in the JSON


def _difference(estimate: Estimate | None, treatment: float | None, control: float | None, digits: int,
                method: str) -> Difference:
    if estimate is None:
        return Difference(treatment=treatment, control=control, difference=None, low=None, high=None, p_value=None,
                          significant=False, method=method)
    low, high = _rounded(estimate.low, digits), _rounded(estimate.high, digits)
    # decided on the interval as shown, so a reader never sees an interval through 0 called significant
    significant = low is not None and high is not None and (low > 0 or high < 0)
    return Difference(treatment=treatment, control=control, difference=_rounded(estimate.difference, digits),
                      low=low, high=high, p_value=_rounded(estimate.p_value, 4), significant=significant,
                      method=method)


# --- what the cards did ---------------------------------------------------------------------------------------

# a window's sums for one group and one side (open / matured), over the cards that had events
_CONVERTED, _REVENUE, _REVENUE2, _VISITS, _VISITS2, _POINTS, _POINTS2 = range(7)
_WINDOW_FIELDS = 7
# per group and per "days since exposure": every card
_CARDS, _BONUS, _BONUS2, _MESSAGE = range(4)
_DAY_FIELDS = 4
_by_offset = attrgetter("offset")


@dataclass
class _Tally:
    """One group's running sums."""

    days: list[int]  # per elapsed day e (clamped): _DAY_FIELDS sums over all the group's cards
    windows: list[int]  # per window and side (0 open, 1 matured): _WINDOW_FIELDS sums over cards with events
    converted: list[int]  # chart: difference array of cards converted by day k
    revenue: list[int]  # chart: difference arrays of the cumulative revenue and of its square
    revenue2: list[int]


@dataclass(frozen=True)
class _Used:
    """A group's figures over the cards a window uses."""

    cards: int
    converted: int
    revenue: Moments
    visits: Moments
    points: Moments
    bonus: int
    message_cost: int


def _day_sums(tally: _Tally, start: int, stop: int, field: int) -> int:
    return sum(tally.days[e * _DAY_FIELDS + field] for e in range(start, stop))


def _used(tally: _Tally, window_index: int, matured_only: bool, window: int, horizon: int) -> _Used:
    sides = (1,) if matured_only else (0, 1)
    start = window if matured_only else 0
    sums = [sum(tally.windows[(window_index * 2 + side) * _WINDOW_FIELDS + f] for side in sides)
            for f in range(_WINDOW_FIELDS)]
    cards = _day_sums(tally, start, horizon + 1, _CARDS)
    bonus = _day_sums(tally, start, horizon + 1, _BONUS)
    bonus2 = _day_sums(tally, start, horizon + 1, _BONUS2)
    return _Used(cards=cards, converted=sums[_CONVERTED],
                 revenue=Moments(cards, sums[_REVENUE], sums[_REVENUE2]),
                 visits=Moments(cards, sums[_VISITS], sums[_VISITS2]),
                 points=Moments(cards, bonus + sums[_POINTS], bonus2 + sums[_POINTS2]),
                 bonus=bonus, message_cost=_day_sums(tally, start, horizon + 1, _MESSAGE))


def _figures(used: _Used) -> GroupFigures:
    if used.cards == 0:
        return GroupFigures(cards=0, conversion=None, revenue=None, visits=None, points_cost=None)
    return GroupFigures(cards=used.cards, conversion=_rounded(100.0 * used.converted / used.cards, 2),
                        revenue=_rounded(used.revenue.mean, 2), visits=_rounded(used.visits.mean, 3),
                        points_cost=_rounded(used.points.mean, 2))


def report(exposures: Iterable[Exposure], variants: Sequence[tuple[str, str]], windows: Sequence[int], today: date,
           economics: Economics, *, chart_days: int | None = None) -> Report:
    """The experiment's report. `variants`: (id, name) of the treatment variants in order (control is always
    there). Exposures of a variant not listed are left out. One pass over `exposures`."""
    if not windows or any(w < 1 for w in windows):
        raise ValueError("windows must be positive numbers of days")
    order = [CONTROL, *(vid for vid, _ in variants)]
    names = {CONTROL: CONTROL_NAME, **dict(variants)}
    chart_length = max(windows) if chart_days is None else max(chart_days, 0)
    horizon = max(*windows, chart_length)  # elapsed days are clamped here: nothing further is asked
    tallies = [_Tally(days=[0] * ((horizon + 1) * _DAY_FIELDS), windows=[0] * (len(windows) * 2 * _WINDOW_FIELDS),
                      converted=[0] * (chart_length + 1), revenue=[0] * (chart_length + 1),
                      revenue2=[0] * (chart_length + 1)) for _ in order]
    first, last = _tally(exposures, {vid: tallies[i] for i, vid in enumerate(order)}, tuple(windows), today,
                         horizon=horizon, chart_length=chart_length)
    total = [sum(t.days[e * _DAY_FIELDS + _CARDS] for e in range(horizon + 1)) for t in tallies]
    one_day = first is not None and first == last

    rows: list[WindowRow] = []
    used_by_window: list[dict[str, _Used]] = []
    matured_by_window: list[int] = []
    for index, window in enumerate(windows):
        matured = sum(_day_sums(t, window, horizon + 1, _CARDS) for t in tallies)
        open_cards = sum(total) - matured
        used = {vid: _used(tallies[i], index, matured > 0, window, horizon) for i, vid in enumerate(order)}
        used_by_window.append(used)
        matured_by_window.append(matured)
        complete = open_cards == 0 and sum(total) > 0
        completes_on = last + timedelta(days=window) if one_day and last is not None else None
        comparisons = [_compare(used, later, earlier, names, window=window, complete=complete, open_cards=open_cards,
                                completes_on=completes_on, interim=not complete and matured > 0)
                       for later, earlier in _pairs(order)]
        rows.append({"days": window, "complete": complete, "open": open_cards,
                     "groups": {vid: _figures(used[vid]) for vid in order}, "comparisons": comparisons})

    return Report(as_of=today.isoformat(),
                  groups=[Group(variant=vid, name=names[vid], cards=total[i]) for i, vid in enumerate(order)],
                  windows=rows, romi=_romi(order, rows, used_by_window, matured_by_window, economics),
                  chart=_chart(order, tallies, horizon, chart_length))


def _tally(exposures: Iterable[Exposure], tallies: dict[str, _Tally], windows: tuple[int, ...], today: date, *,
           horizon: int, chart_length: int) -> tuple[date | None, date | None]:
    """The one pass: adds every card to its group's sums; answers the first and last exposure day. Written for
    speed (this loop is the report's cost): locals, flat lists, nothing allocated per card without events."""
    today_number = today.toordinal()
    elapsed_of: dict[date, int] = {}
    sides = [(w, i * 2 * _WINDOW_FIELDS) for i, w in enumerate(windows)]
    for exposure in exposures:
        tally = tallies.get(exposure.variant)
        if tally is None:
            continue
        day = exposure.exposed_on
        elapsed = elapsed_of.get(day)
        if elapsed is None:
            elapsed = elapsed_of[day] = min(max(today_number - day.toordinal(), 0), horizon)
        bonus = exposure.bonus
        base = elapsed * _DAY_FIELDS
        sums = tally.days
        sums[base] += 1
        if bonus:
            sums[base + _BONUS] += bonus
            sums[base + _BONUS2] += bonus * bonus
        if exposure.message_cost:
            sums[base + _MESSAGE] += exposure.message_cost
        events = exposure.events
        if not events:
            continue
        if len(events) > 1 or events[0].offset < 0:
            events = _ordered(events)
        _window_card(tally.windows, events, sides, elapsed, bonus)
        stop = min(elapsed, chart_length)  # days 0..stop-1 have ended for this card
        if stop:
            _chart_card(tally, events, stop)
    if not elapsed_of:
        return None, None
    return min(elapsed_of), max(elapsed_of)


def _ordered(events: tuple[Event, ...]) -> tuple[Event, ...]:
    """By day; an offset below 0 (not expected: a sale before its exposure) counts on the exposure day."""
    if any(e.offset < 0 for e in events):
        events = tuple(Event(max(e.offset, 0), e.revenue, e.points, e.visit) for e in events)
    return tuple(sorted(events, key=_by_offset))


def _window_card(by_window: list[int], events: tuple[Event, ...], sides: list[tuple[int, int]], elapsed: int,
                 bonus: int) -> None:
    """Adds one card's sums in each window to the open or the matured side of that window."""
    for window, start in sides:
        revenue = visits = points = 0
        for event in events:
            if event.offset >= window:
                break
            revenue += event.revenue
            visits += event.visit
            points += event.points
        at = start + _WINDOW_FIELDS if elapsed >= window else start
        if visits:
            by_window[at] += 1
            by_window[at + _VISITS] += visits
            by_window[at + _VISITS2] += visits * visits
        if revenue:
            by_window[at + _REVENUE] += revenue
            by_window[at + _REVENUE2] += revenue * revenue
        if points:
            by_window[at + _POINTS] += points
            by_window[at + _POINTS2] += points * points + 2 * bonus * points  # (bonus+points)² − bonus²


def _chart_card(tally: _Tally, events: tuple[Event, ...], stop: int) -> None:
    """Adds one card's cumulative revenue (a step function of the day) and its first visit to the chart's
    difference arrays: work per event, not per day."""
    revenue, revenue2 = tally.revenue, tally.revenue2
    cumulative = 0
    since = -1
    first_visit = -1
    for event in events:
        offset = event.offset
        if offset >= stop:
            break
        if offset != since:
            if cumulative:
                revenue[since] += cumulative
                revenue[offset] -= cumulative
                square = cumulative * cumulative
                revenue2[since] += square
                revenue2[offset] -= square
            since = offset
        cumulative += event.revenue
        if first_visit < 0 and event.visit:
            first_visit = offset
    if cumulative:
        revenue[since] += cumulative
        revenue[stop] -= cumulative
        square = cumulative * cumulative
        revenue2[since] += square
        revenue2[stop] -= square
    if first_visit >= 0:
        tally.converted[first_visit] += 1
        tally.converted[stop] -= 1


def _pairs(order: list[str]) -> list[tuple[str, str]]:
    """Each treatment variant against control, then the variants pairwise: the later against the earlier."""
    treated = order[1:]
    return [(vid, CONTROL) for vid in treated] + [(later, earlier) for i, earlier in enumerate(treated)
                                                  for later in treated[i + 1:]]


# --- comparisons and verdicts ---------------------------------------------------------------------------------

def _compare(used: dict[str, _Used], later: str, earlier: str, names: dict[str, str], *, window: int,  # noqa: PLR0913
             complete: bool, open_cards: int, completes_on: date | None, interim: bool) -> Comparison:
    t, c = used[later], used[earlier]
    ft, fc = _figures(t), _figures(c)
    conversion = _difference(two_proportions(t.converted, t.cards, c.converted, c.cards), ft["conversion"],
                             fc["conversion"], 2, TWO_PROPORTION)
    revenue = _difference(welch(t.revenue, c.revenue), ft["revenue"], fc["revenue"], 2, WELCH)
    visits = _difference(welch(t.visits, c.visits), ft["visits"], fc["visits"], 3, WELCH)
    points = _difference(welch(t.points, c.points), ft["points_cost"], fc["points_cost"], 2, WELCH)
    verdict = _verdict(conversion, revenue, (names[later], t.cards),
                       (names[earlier] if earlier != CONTROL else None, c.cards),
                       window=window, complete=complete, open_cards=open_cards, completes_on=completes_on,
                       interim=interim)
    if interim and verdict["effect"] != "too_few":  # the cards whose window ended: a fair sample, not the last word
        verdict = _interim(verdict, open_cards, window)
    return Comparison(variant=later, against=earlier, conversion=conversion, revenue=revenue, visits=visits,
                      points_cost=points, verdict=verdict)


def _interim(verdict: Verdict, open_cards: int, window: int) -> Verdict:
    """A verdict on the cards whose window has ended while others are still in theirs (a trigger keeps
    exposing cards; a campaign's send took days): assignment is random, so those cards are a fair sample,
    and the verdict says it may still change."""
    if verdict["effect"] == "too_early":  # judged on matured cards after all
        return verdict
    note = {"en": f" Interim: counted on the cards whose {window}-day window has ended; {_cards(open_cards, 'en')} "
                  f"{'is' if open_cards == 1 else 'are'} still within it.",
            "ru": f" Промежуточный итог: посчитан по картам, у которых {window}-дневное окно закончилось; у "
                  f"{open_cards} " + texts.plural(open_cards, ("карты", "карт", "карт"), "ru") + " оно ещё идёт."}
    return Verdict(effect=verdict["effect"], text={lang: verdict["text"][lang] + note[lang] for lang in ("ru", "en")},
                   interim=True)


def _number(value: float, lang: str) -> str:
    """+2.90 / −3.10 (a true minus sign); Russian with a decimal comma."""
    said = f"{abs(value):.2f}"
    if lang == "ru":
        said = said.replace(".", ",")
    return ("−" if value < 0 else "+") + said


def _metric(name: str, d: Difference, lang: str) -> str:
    """"Conversion +2.90 percentage points (95% CI +0.50 to +5.30)"; money in major units."""
    scale = 100.0 if name == "revenue" else 1.0  # revenue is kept in minor units, said in major ones
    label = {"conversion": {"en": "Conversion", "ru": "Конверсия"},
             "revenue": {"en": "Revenue per card", "ru": "Выручка на карту"}}[name][lang]
    unit = {"en": " percentage points", "ru": " п. п."}[lang] if name == "conversion" else ""
    estimate = f"{label} {_number((d['difference'] or 0.0) / scale, lang)}{unit}"
    if d["low"] is None or d["high"] is None:
        return estimate + {"en": " (no interval: the values do not vary)", "ru": " (интервал не вычисляется: значения "
                                                                                 "не различаются)"}[lang]
    low, high = _number(d["low"] / scale, lang), _number(d["high"] / scale, lang)
    interval = f"95% CI {low} to {high}" if lang == "en" else f"95% ДИ от {low} до {high}"
    return f"{estimate} ({interval})"


def _cards(n: int, lang: str) -> str:
    return f"{n} " + texts.plural(n, ("card", "cards") if lang == "en" else ("карта", "карты", "карт"), lang)


VERDICT_ALPHA = 0.025  # each of the two measures a verdict looks at (Bonferroni): 5% false alarms in all


def _decisive(difference: Difference) -> bool:
    """Whether a measure alone may carry the verdict: its interval excludes zero and its p-value is below
    VERDICT_ALPHA, so that looking at conversion and revenue together still calls an effect that is not
    there in at most 5% of experiments (not 1 − 0.95² ≈ 10%)."""
    p = difference["p_value"]
    return difference["significant"] and p is not None and p < VERDICT_ALPHA


def _unclear(difference: Difference, lang: str) -> str:
    if difference["significant"]:  # its 95% interval excludes zero, but not by enough with two measures
        return {"en": ": not enough on its own, with two measures judged at once.",
                "ru": ": этого мало, когда судим сразу по двум показателям."}[lang]
    return {"en": ": the data do not show a difference.", "ru": ": данные не показывают разницы."}[lang]


def _verdict(conversion: Difference, revenue: Difference, treated: tuple[str, int], against: tuple[str | None, int],
             *, window: int, complete: bool, open_cards: int, completes_on: date | None,
             interim: bool = False) -> Verdict:
    name, n_t = treated
    other, n_c = against
    subject = {"en": f"Variant “{name}”", "ru": f"Вариант «{name}»"}
    versus = ({"en": "the control group", "ru": "контрольной группы"} if other is None else
              {"en": f"variant “{other}”", "ru": f"варианта «{other}»"})
    between = ({"en": "the control group", "ru": "контрольной группой"} if other is None else
               {"en": f"variant “{other}”", "ru": f"вариантом «{other}»"})
    if n_t == 0 and n_c == 0:
        return Verdict(effect="too_few", text={"ru": "Пока никто не получил: в этом окне нет ни одной карты.",
                                               "en": "Nobody has been reached yet: no card is in this window."})
    if n_t < MIN_CARDS or n_c < MIN_CARDS:
        return Verdict(effect="too_few", text={
            "ru": f"Слишком мало карт для вывода: в варианте «{name}» {_cards(n_t, 'ru')}, "
                  f"{'в контрольной группе' if other is None else f'в варианте «{other}»'} — {_cards(n_c, 'ru')}; "
                  f"нужно не меньше {MIN_CARDS} в каждой группе.",
            "en": f"Too few cards to tell: variant “{name}” has {_cards(n_t, 'en')}, {between['en']} "
                  f"{_cards(n_c, 'en')}; at least {MIN_CARDS} are needed in each group."})
    if not complete and not interim:
        ru_when = f" Окно завершится {texts.day_text(completes_on, 'ru')}." if completes_on else ""
        en_when = f" The window completes on {texts.day_text(completes_on, 'en')}." if completes_on else ""
        open_ru = f"{open_cards} " + texts.plural(open_cards, ("карты", "карт", "карт"), "ru")
        return Verdict(effect="too_early", text={
            "ru": f"Пока рано судить: {window}-дневное окно ещё не закончилось у {open_ru}.{ru_when}",
            "en": f"Too early to tell: {_cards(open_cards, 'en')} {'is' if open_cards == 1 else 'are'} still within "
                  f"their {window}-day window.{en_when}"})
    found = [d for d in (conversion, revenue) if _decisive(d)]
    up = any((d["difference"] or 0) > 0 for d in found)
    down = any((d["difference"] or 0) < 0 for d in found)
    metrics = (("conversion", conversion), ("revenue", revenue))
    if up != down:
        effect: Effect = "positive" if up else "negative"
        text = {}
        for lang in ("en", "ru"):
            better = {"en": ("did better than", "did worse than"), "ru": ("лучше", "хуже")}[lang][0 if up else 1]
            opening = (f"{subject['en']} {better} {versus['en']}." if lang == "en" else
                       f"{subject['ru']} показал результат {better}, чем у {versus['ru']}.")
            said = [_metric(key, d, lang) + "." for key, d in metrics if _decisive(d)]
            said += [_metric(key, d, lang) + _unclear(d, lang) for key, d in metrics if not _decisive(d)]
            text[lang] = " ".join([opening, *said])
        return Verdict(effect=effect, text=text)
    if up and down:
        head = {"en": f"Conversion and revenue per card moved in opposite directions: the data do not show an "
                      f"overall difference between {subject['en'].replace('Variant', 'variant')} and {between['en']}.",
                "ru": f"Конверсия и выручка на карту изменились в разные стороны: данные не показывают общей разницы "
                      f"между вариантом «{name}» и {between['ru']}."}
    else:
        head = {"en": f"The data do not show a difference between {subject['en'].replace('Variant', 'variant')} and "
                      f"{between['en']}: it cannot be told apart from chance.",
                "ru": f"Данные не показывают разницы между вариантом «{name}» и {between['ru']}: "
                      f"её нельзя отличить от случайности."}
    return Verdict(effect="none_found", text={lang: " ".join([head[lang], *(
        _metric(key, d, lang) + (_unclear(d, lang) if d["significant"] else ".") for key, d in metrics)])
        for lang in ("ru", "en")})


# --- ROMI ---------------------------------------------------------------------------------------------------

def _romi(order: list[str], rows: list[WindowRow], used_by_window: list[dict[str, _Used]], matured: list[int],
          economics: Economics) -> list[Romi]:
    """Per treatment variant against control, on the longest complete window, else the longest with a matured
    card, else the longest (then `complete` is false). Before any card has finished any window there is
    nothing to compare yet: the incremental figures and ROMI are null (not the −100% of a cost against no
    return)."""
    by_length = sorted(range(len(rows)), key=lambda i: -rows[i]["days"])
    chosen = next((i for i in by_length if rows[i]["complete"]),
                  next((i for i in by_length if matured[i]), by_length[0]))
    row, used = rows[chosen], used_by_window[chosen]
    control = used[CONTROL]
    answers = []
    for vid in order[1:]:
        treated = used[vid]
        estimate = welch(treated.revenue, control.revenue)
        bonus_cost = treated.bonus * economics.point_value
        cost = bonus_cost + treated.message_cost
        incremental = low = high = None
        margin: float | None = None
        if estimate is not None and matured[chosen]:
            incremental = estimate.difference * treated.cards
            if estimate.low is not None and estimate.high is not None:
                low, high = estimate.low * treated.cards, estimate.high * treated.cards
            if economics.margin_percent is not None:
                margin = incremental * economics.margin_percent / 100.0
        romi = None if margin is None or cost == 0 else _rounded((margin - cost) / cost * 100.0, 2)
        answers.append(Romi(variant=vid, window=row["days"], complete=row["complete"],
                            incremental_revenue=_whole(incremental), incremental_revenue_low=_whole(low),
                            incremental_revenue_high=_whole(high), incremental_margin=_whole(margin),
                            bonus_cost=bonus_cost, message_cost=treated.message_cost, cost=cost, romi=romi,
                            margin_percent=economics.margin_percent))
    return answers


def _whole(value: float | None) -> int | None:
    return None if value is None else round(value)


def monthly(rows: Iterable[RomiRow | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Incremental margin and cost summed by the month of each experiment's start (rows shaped as `RomiRow`),
    with the month's ROMI (percent): [{"month", "experiments", "incremental_margin", "cost", "romi"}] by month.
    A month with an experiment of unknown margin has margin and ROMI null; a month without cost, ROMI null."""
    margins: dict[str, float | None] = {}
    costs: dict[str, int] = {}
    counts: dict[str, int] = {}
    for row in rows:
        month = str(row["month"])
        margin = row["incremental_margin"]
        known = margins.get(month, 0)
        margins[month] = None if margin is None or known is None else known + margin
        costs[month] = costs.get(month, 0) + int(row["cost"] or 0)
        counts[month] = counts.get(month, 0) + 1
    answers = []
    for month in sorted(margins):
        margin_sum, cost = margins[month], costs[month]
        romi = None if margin_sum is None or cost == 0 else round((margin_sum - cost) / cost * 100.0, 2)
        answers.append({"month": month, "experiments": counts[month],
                        "incremental_margin": None if margin_sum is None else round(margin_sum, 2), "cost": cost,
                        "romi": romi})
    return answers


# --- the chart ----------------------------------------------------------------------------------------------

def _running(diffs: list[int], length: int) -> list[int]:
    out, value = [], 0
    for k in range(length):
        value += diffs[k]
        out.append(value)
    return out


def _chart(order: list[str], tallies: list[_Tally], horizon: int, length: int) -> Chart:
    """Per day k after the exposure, over the cards whose day k has ended: cumulative conversion and revenue
    per card, and each treatment variant's difference from control with its 95% interval."""
    cards: list[list[int]] = []
    for tally in tallies:  # cards whose day k ended: elapsed days >= k + 1
        per_elapsed = [tally.days[e * _DAY_FIELDS + _CARDS] for e in range(horizon + 1)]
        suffix, running = [0] * (horizon + 2), 0
        for e in range(horizon, -1, -1):
            running += per_elapsed[e]
            suffix[e] = running
        cards.append([suffix[k + 1] for k in range(length)])
    # A day is drawn while every group still counts its cards there: at least MIN_CARDS (or, for a smaller
    # group, all of them). A trigger's later days hold only its earliest cards, a handful whose swings
    # would look like the experiment turning.
    days = [k for k in range(length) if any(c[k] for c in cards) and all(c[k] >= min(MIN_CARDS, c[0]) for c in cards)]
    shown = days[-1] + 1 if days else 0
    converted = [_running(t.converted, shown) for t in tallies]
    revenue = [_running(t.revenue, shown) for t in tallies]
    revenue2 = [_running(t.revenue2, shown) for t in tallies]
    groups: dict[str, ChartGroup] = {}
    for i, vid in enumerate(order):
        groups[vid] = ChartGroup(
            conversion=[round(100.0 * converted[i][k] / cards[i][k], 2) if cards[i][k] else None
                        for k in range(shown)],
            revenue=[_rounded(revenue[i][k] / cards[i][k], 2) if cards[i][k] else None for k in range(shown)])
    differences: dict[str, ChartDifference] = {}
    for i, vid in enumerate(order[1:], start=1):
        share = [two_proportions(converted[i][k], cards[i][k], converted[0][k], cards[0][k]) for k in range(shown)]
        money = [welch(Moments(cards[i][k], revenue[i][k], revenue2[i][k]),
                       Moments(cards[0][k], revenue[0][k], revenue2[0][k])) for k in range(shown)]
        series = ChartDifference(conversion=_series(share, "difference"), conversion_low=_series(share, "low"),
                                 conversion_high=_series(share, "high"), revenue=_series(money, "difference"),
                                 revenue_low=_series(money, "low"), revenue_high=_series(money, "high"))
        differences[vid] = series
    return Chart(days=list(range(shown)), groups=groups, differences=differences)


def _series(estimates: list[Estimate | None], field: Literal["difference", "low", "high"]) -> list[float | None]:
    return [None if e is None else _rounded(getattr(e, field), 2) for e in estimates]
