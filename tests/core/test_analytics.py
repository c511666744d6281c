"""The analytics formulas and the segment rules, without AWS."""
from collections import Counter
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core import analytics as numbers
from chalicelib.core import segments as seg
from chalicelib.core.ledger import Entry

TODAY = date(2026, 11, 26)
KINDS = ("earn", "bonus", "redeem", "refund_reverse", "refund_return", "expire", "adjust")
SIGN = {"earn": 1, "bonus": 1, "refund_return": 1, "redeem": -1, "refund_reverse": -1, "expire": -1}


@st.composite
def ledger_entries(draw):
    entries = []
    for kind, size in draw(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(1, 10_000)), max_size=30)):
        amount = size * SIGN.get(kind, draw(st.sampled_from((1, -1))))
        entries.append(Entry(kind, amount, 0))
    return entries


@given(ledger_entries())
def test_the_counters_explain_every_point(entries):
    counts = numbers.points_counts(entries)
    assert numbers.net_points(counts) == sum(e.amount for e in entries)
    assert all(value > 0 for value in counts.values())


def day(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


@st.composite
def members(draw):
    result = []
    for index in range(draw(st.integers(0, 12))):
        bought = sorted(set(draw(st.lists(st.integers(0, 200), max_size=8))))
        joined = draw(st.integers(max(bought) if bought else 0, 260))
        visits = {day(n): draw(st.integers(1, 3)) for n in bought}
        spend = {d: draw(st.integers(0, 50_000)) for d in visits}
        result.append(numbers.Member(f"c{index}", day(joined), visits, spend,
                                     min(visits) if visits else None, max(visits) if visits else None))
    return result


@given(members(), st.integers(0, 150), st.integers(0, 60), st.integers(1, 5))
def test_member_totals_add_up_in_parts(people, back, length, parts):
    start, end = TODAY - timedelta(days=back + length), TODAY - timedelta(days=back)
    whole = numbers.member_totals(people, start, end, 30)
    pieces = [numbers.member_totals(people[i::parts], start, end, 30) for i in range(parts)]
    assert sum(pieces, numbers.MemberTotals()) == whole
    assert whole.repeaters <= whole.buyers <= whole.members


def test_a_period_with_nothing_has_nulls_not_zeros_divided():
    answer = numbers.summary({}, numbers.MemberTotals(), start=TODAY, end=TODAY, window=90, point_value=100,
                             outstanding=0)
    assert answer["sor"] is None and answer["aov"] is None and answer["frequency"] is None
    assert answer["crr"] is None and answer["ltv"] is None and answer["redemption_rate"] is None
    assert answer["receipts"] == 0 and answer["liability"] == 0


def test_crr_counts_who_stayed_not_who_arrived():
    # S: 4 active the day before the period; E: 3 active at its end, 1 of whom bought first in the period
    t = numbers.MemberTotals(members=6, active_start=4, active_end=3, first_in_period=1)
    assert numbers.summary({}, t, start=TODAY, end=TODAY, window=90, point_value=1, outstanding=0)["crr"] == 50.0


def regular(index: int, gap: int, visits: int = 6, last: int = 0) -> numbers.Member:
    days = {day(last + gap * n): 1 for n in range(visits)}
    return numbers.Member(f"c{index}", day(400), days, {d: 10_000 for d in days}, min(days), max(days))


def test_lifecycle_thresholds_follow_the_median_gap():
    weekly = [regular(i, 7) for i in range(30)]  # 150 gaps of 7 days
    cuts = seg.compute(weekly, TODAY)
    assert (cuts.lifecycle_basis, cuts.median_gap_days, cuts.active_days, cuts.sleeping_days) == (
        "median_gap", 7.0, 14, 28)
    assert seg.lifecycle(regular(0, 7, last=14), TODAY, cuts) == "active"
    assert seg.lifecycle(regular(0, 7, last=15), TODAY, cuts) == "sleeping"
    assert seg.lifecycle(regular(0, 7, last=29), TODAY, cuts) == "lost"
    daily_regulars = seg.compute([regular(i, 2) for i in range(30)], TODAY)  # 2·I = 4 days: too short
    assert (daily_regulars.median_gap_days, daily_regulars.active_days, daily_regulars.sleeping_days) == (2.0, 14, 28)
    young = seg.compute(weekly[:5], TODAY)  # 25 gaps: too few to trust
    assert (young.lifecycle_basis, young.active_days, young.sleeping_days) == ("fixed", 30, 90)
    fresh = numbers.Member("n", day(3), {day(2): 1}, {day(2): 500}, day(2), day(2))
    assert seg.lifecycle(fresh, TODAY, cuts) == "new"
    never = numbers.Member("x", day(60))
    assert seg.lifecycle(never, TODAY, cuts) == "lost"


def test_observations_add_up_in_parts():
    people = [regular(i, 3 + i % 5, visits=2 + i % 4, last=i) for i in range(40)]
    whole = seg.observe(people, TODAY)
    parts = seg.observe(people[::2], TODAY) + seg.observe(people[1::2], TODAY)
    assert parts.gaps == whole.gaps and sorted(parts.recency) == sorted(whole.recency)
    assert seg.thresholds_from(parts, TODAY) == seg.thresholds_from(whole, TODAY)


def test_quintiles_from_500_buyers_split_them_in_fifths():
    people = [numbers.Member(f"c{i}", day(400), {day(i % 300): 1 + i % 9}, {day(i % 300): 1_000 + 37 * i},
                             day(i % 300), day(i % 300)) for i in range(1000)]
    cuts = seg.compute(people, TODAY)
    assert cuts.rfm_basis == "quintiles" and cuts.buyers == 1000
    monetary = Counter(seg.rfm(p, TODAY, cuts)[2] for p in people)
    assert monetary == {1: 200, 2: 200, 3: 200, 4: 200, 5: 200}
    recency = Counter(seg.rfm(p, TODAY, cuts)[0] for p in people)
    assert all(180 <= n <= 220 for n in recency.values())
    # ties never push a value into a higher score than its equals
    same = [numbers.Member(f"s{i}", day(400), {day(5): 1}, {day(5): 100}, day(5), day(5)) for i in range(600)]
    tied = seg.compute(same, TODAY)
    assert {seg.rfm(p, TODAY, tied) for p in same} == {(5, 1, 1)}


def test_fixed_cuts_below_500_buyers_and_the_cells():
    people = [regular(i, 10, visits=1 + i % 12) for i in range(40)]
    cuts = seg.compute(people, TODAY)
    assert cuts.rfm_basis == "fixed" and cuts.r_cuts == (14, 30, 60, 120) and cuts.f_cuts == (1, 2, 5, 11)
    assert seg.rfm(numbers.Member("x", day(400)), TODAY, cuts) is None
    assert seg.rfm_segment((5, 5, 5)) == "champions"
    assert seg.rfm_segment((3, 4, 3)) == "loyal"
    assert seg.rfm_segment((5, 1, 1)) == "new_customers"
    assert seg.rfm_segment((3, 2, 1)) == "potential_loyalists"
    assert seg.rfm_segment((1, 5, 4)) == "at_risk"
    assert seg.rfm_segment((2, 1, 1)) == "hibernating"
    assert seg.rfm_segment((1, 1, 1)) == "lost_customers"
    cells = {seg.rfm_segment((r, f, m)) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert cells == set(seg.RFM_SEGMENTS)  # every cell is reachable, and every score lands in one
    assert seg.rfm_segment(None) is None


def test_thresholds_survive_being_stored():
    cuts = seg.compute([regular(i, 7) for i in range(30)], TODAY)
    assert seg.Thresholds.from_dict(cuts.to_dict()) == cuts


def test_a_young_program_uses_its_own_fixed_days():
    few = [regular(i, 7) for i in range(3)]
    cuts = seg.compute(few, TODAY, active_days=10, sleeping_days=20)
    assert (cuts.lifecycle_basis, cuts.active_days, cuts.sleeping_days, cuts.settings) == ("fixed", 10, 20, (10, 20))
    assert seg.lifecycle(regular(0, 7, last=11), TODAY, cuts) == "sleeping"
    assert seg.lifecycle(regular(0, 7, last=21), TODAY, cuts) == "lost"
