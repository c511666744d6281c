"""Challenges (core/challenges.py) and bonuses for actions (core/actions.py): what a customer's receipts
earn towards a goal, when the reward is given, how streaks run, and what the card page shows."""
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core import actions, challenges, ledger
from chalicelib.core import mechanics as mech
from chalicelib.core.kinds.base import ReceiptLine, Sale
from chalicelib.core.products import PricedLine, Pricing
from chalicelib.errors import InvalidInput

START = date(2026, 3, 2)  # a Monday


DESSERT = {"id": "dessert", "name": "A free dessert", "reward": {"type": "free_item", "item": "Cheesecake"}}


def _mechanics(*defs: dict, offers: list | None = None) -> mech.Mechanics:
    return mech.parse({"challenges": list(defs), "offers": [DESSERT] if offers is None else offers})


VISITS = {"id": "three", "name": {"ru": "3 визита", "en": "Three visits"},
          "goal": {"type": "visits", "target": 3}, "window_days": 14, "reward": {"points": 300}}


def _sale(day: date, total: int = 50000, lines: tuple[ReceiptLine, ...] = ()) -> Sale:
    return Sale(total=total, lines=lines, today=day, sold_on=day.isoformat(), receipt_ref=f"r{day}")


def _pricing(sale: Sale, excluded: frozenset[str] = frozenset()) -> Pricing:
    if not sale.lines:
        return Pricing((PricedLine(None, None, None, 1, sale.total),), sale.total)
    lines = tuple(PricedLine(i, line.sku, line.category, line.qty, line.amount, excluded=line.sku in excluded)
                  for i, line in enumerate(sale.lines))
    return Pricing(lines, sum(line.amount for line in lines if not line.excluded))


class Card:
    """A card's challenge progress moved receipt by receipt, keeping every reward given."""

    def __init__(self, mechanics: mech.Mechanics):
        self.mechanics = mechanics
        self.progress: tuple[challenges.Progress, ...] = ()
        self.rewards: list[challenges.Reward] = []

    def buy(self, day: date, total: int = 50000, lines: tuple[ReceiptLine, ...] = (), paid: int | None = None,
            excluded: frozenset[str] = frozenset()) -> tuple[challenges.Reward, ...]:
        sale = _sale(day, total, lines)
        step = challenges.advance(self.progress, self.mechanics, sale, _pricing(sale, excluded),
                                  total if paid is None else paid)
        self.progress = step.progress
        self.rewards.extend(step.rewards)
        return step.rewards

    def view(self, today: date, lang: str = "en") -> dict:
        (shown,) = challenges.views(self.progress, self.mechanics, lang, today)
        return shown


# --- definitions ----------------------------------------------------------------------------------------

def test_definitions_round_trip_through_the_mechanics():
    defs = [VISITS,
            {"id": "spend", "name": "Spend 5000", "goal": {"type": "spend", "target": 500000}, "window_days": 30,
             "reward": {"offer": "dessert"}, "repeat": False},
            {"id": "latte", "name": "Five lattes", "goal": {"type": "product", "target": 5, "skus": ["LAT"],
                                                            "categories": ["coffee"]},
             "window_days": 7, "reward": {"points": 100}, "streak_bonus": {"every": 3, "points": 500}}]
    mechanics = _mechanics(*defs)
    again = mech.parse(mech.to_dict(mechanics))
    assert again.challenges == mechanics.challenges
    written = mech.to_dict(mechanics)["challenges"]
    assert written[0]["name"] == {"ru": "3 визита", "en": "Three visits"}
    assert written[1]["reward"] == {"offer": "dessert"} and written[1]["repeat"] is False
    assert written[2]["goal"] == {"type": "product", "target": 5, "skus": ["LAT"], "categories": ["coffee"]}
    assert written[2]["streak_bonus"] == {"every": 3, "points": 500}
    assert mech.parse({}).challenges == ()


@pytest.mark.parametrize(("change", "field"), [
    ({"id": "Bad Id"}, "mechanics.challenges[0].id"),
    ({"name": None}, "mechanics.challenges[0].name"),
    ({"goal": None}, "mechanics.challenges[0].goal"),
    ({"goal": {"type": "likes", "target": 3}}, "mechanics.challenges[0].goal.type"),
    ({"goal": {"type": "visits", "target": 0}}, "mechanics.challenges[0].goal.target"),
    ({"goal": {"type": "product", "target": 2}}, "mechanics.challenges[0].goal.skus"),
    ({"goal": {"type": "visits", "target": 2, "categories": ["x"]}}, "mechanics.challenges[0].goal.categories"),
    ({"goal": {"type": "product", "target": 2, "skus": [""]}}, "mechanics.challenges[0].goal.skus[0]"),
    ({"reward": {}}, "mechanics.challenges[0].reward"),
    ({"reward": {"points": 5, "offer": "x"}}, "mechanics.challenges[0].reward"),
    ({"reward": {"points": 0}}, "mechanics.challenges[0].reward.points"),
    ({"reward": {"badge": 1}}, "mechanics.challenges[0].reward.badge"),
    ({"window_days": 400}, "mechanics.challenges[0].window_days"),
    ({"repeat": "yes"}, "mechanics.challenges[0].repeat"),
    ({"streak_bonus": {"every": 1, "points": 5}}, "mechanics.challenges[0].streak_bonus.every"),
    ({"streak_bonus": {"every": 3}}, "mechanics.challenges[0].streak_bonus.points"),
    ({"level": 2}, "mechanics.challenges[0].level"),
])
def test_a_wrong_definition_names_its_field(change, field):
    with pytest.raises(InvalidInput) as refused:
        _mechanics({**VISITS, **change})
    assert refused.value.field == field


def test_ids_are_unique_and_there_are_at_most_twenty():
    with pytest.raises(InvalidInput) as twice:
        _mechanics(VISITS, VISITS)
    assert (twice.value.code, twice.value.field) == ("duplicate", "mechanics.challenges[1].id")
    with pytest.raises(InvalidInput) as many:
        _mechanics(*({**VISITS, "id": f"c{i}"} for i in range(21)))
    assert many.value.code == "too_many"


def test_an_offer_reward_must_name_an_offer_the_program_defines():
    defined = _mechanics({**VISITS, "reward": {"offer": "dessert"}})
    assert defined.challenges[0].offer == "dessert"
    with pytest.raises(InvalidInput) as refused:  # the program's mechanics check it when they are saved
        _mechanics({**VISITS, "reward": {"offer": "dessert"}}, offers=[])
    assert refused.value.field == "mechanics.challenges[0].reward.offer"


# --- goals ----------------------------------------------------------------------------------------------

def test_three_visits_in_fourteen_days_give_the_reward_once():
    card = Card(_mechanics(VISITS))
    assert card.buy(START) == ()
    assert card.buy(START + timedelta(days=5)) == ()
    assert card.view(START + timedelta(days=5))["progress"] == 2
    assert card.buy(START + timedelta(days=13)) == (challenges.Reward("three", points=300),)
    view = card.view(START + timedelta(days=13))
    assert (view["progress"], view["completed"], view["streak"], view["ends_on"]) == (0, 1, 1, None)


def test_several_receipts_the_same_day_are_one_visit():
    card = Card(_mechanics(VISITS))
    for _ in range(5):
        card.buy(START)
    assert card.rewards == []
    assert card.view(START)["progress"] == 1
    card.buy(START + timedelta(days=1))
    card.buy(START + timedelta(days=1))
    assert card.rewards == []
    card.buy(START + timedelta(days=2))
    assert len(card.rewards) == 1
    card.buy(START + timedelta(days=2))  # the completing day again: not the first visit of a new window
    assert card.view(START + timedelta(days=2))["progress"] == 0


def test_a_window_that_ends_unfinished_is_forgotten_and_the_next_sale_opens_another():
    card = Card(_mechanics(VISITS))
    card.buy(START)
    card.buy(START + timedelta(days=1))
    assert card.view(START + timedelta(days=13)) | {"name": None} == {
        "id": "three", "name": None, "progress": 2, "target": 3, "ends_on": "2026-03-15", "completed": 0,
        "streak": 0, "done": False}
    assert card.view(START + timedelta(days=14))["progress"] == 0  # the window is over
    card.buy(START + timedelta(days=14))  # a new window: one visit of three
    card.buy(START + timedelta(days=15))
    assert card.rewards == []
    assert card.view(START + timedelta(days=15))["ends_on"] == (START + timedelta(days=27)).isoformat()
    card.buy(START + timedelta(days=27))
    assert len(card.rewards) == 1


def test_spend_counts_the_money_paid():
    card = Card(_mechanics({**VISITS, "id": "spend", "goal": {"type": "spend", "target": 100000}}))
    card.buy(START, total=80000, paid=30000)  # 500 roubles paid with points: not spend
    assert card.view(START)["progress"] == 30000
    card.buy(START, total=60000)
    assert card.rewards == []
    assert card.buy(START + timedelta(days=1), total=10000) == (challenges.Reward("spend", points=300),)
    card.buy(START + timedelta(days=2), total=0, paid=0)  # paid nothing in money: opens no window
    assert card.view(START + timedelta(days=2))["ends_on"] is None


def test_product_goal_counts_units_of_matching_priced_lines():
    card = Card(_mechanics({**VISITS, "id": "latte", "goal": {"type": "product", "target": 5, "skus": ["LAT"],
                                                             "categories": ["tea"]}}))
    lines = (ReceiptLine("LAT", "Latte", 2, 40000), ReceiptLine("CAP", "Cappuccino", 3, 45000),
             ReceiptLine(None, "Green tea, by weight", 0.25, 30000, category="tea"),
             ReceiptLine("LAT", "Latte, promo refund", 1, -20000))
    card.buy(START, lines=lines)
    assert card.view(START)["progress"] == 3  # 2 lattes + one weighed tea; no cappuccino, no negative line
    card.buy(START, lines=(ReceiptLine("LAT", "Latte", 4, 80000),), excluded=frozenset({"LAT"}))
    assert card.view(START)["progress"] == 3  # an excluded product counts for nothing
    card.buy(START + timedelta(days=1), total=90000)  # a receipt without lines names no product
    assert card.view(START + timedelta(days=1))["progress"] == 3
    assert card.buy(START + timedelta(days=2), lines=(ReceiptLine("LAT", "Latte", 2, 40000),)) == (
        challenges.Reward("latte", points=300),)


def test_a_sale_that_counts_nothing_opens_no_window():
    card = Card(_mechanics({**VISITS, "id": "latte", "goal": {"type": "product", "target": 2, "skus": ["LAT"]}}))
    card.buy(START, lines=(ReceiptLine("CAP", "Cappuccino", 1, 45000),))
    assert card.progress == ()
    card.buy(START + timedelta(days=20), lines=(ReceiptLine("LAT", "Latte", 1, 40000),))
    assert card.view(START + timedelta(days=20))["ends_on"] == (START + timedelta(days=33)).isoformat()


def test_an_offer_reward_is_issued_by_the_ledger():
    mechanics = _mechanics({**VISITS, "goal": {"type": "visits", "target": 1}, "reward": {"offer": "dessert"}})
    card = Card(mechanics)
    assert card.buy(START) == (challenges.Reward("three", offer="dessert"),)


# --- repeat, streaks, removal ---------------------------------------------------------------------------

def test_without_repeat_the_challenge_is_done_for_the_card():
    card = Card(_mechanics({**VISITS, "goal": {"type": "visits", "target": 1}, "repeat": False}))
    card.buy(START)
    for day in range(1, 40, 3):
        card.buy(START + timedelta(days=day))
    assert len(card.rewards) == 1
    view = card.view(START + timedelta(days=60))
    assert (view["done"], view["completed"], view["progress"], view["ends_on"]) == (True, 1, 1, None)


def test_streaks_count_windows_completed_back_to_back_and_pay_every_third():
    card = Card(_mechanics({**VISITS, "goal": {"type": "visits", "target": 2}, "window_days": 7,
                            "reward": {"points": 100}, "streak_bonus": {"every": 3, "points": 1000}}))
    day = START
    for _ in range(3):  # three windows, each opened within 7 days of the last completion
        card.buy(day)
        card.buy(day + timedelta(days=1))
        day += timedelta(days=8)  # the next window opens 7 days after the completion: still in a row
    assert [reward.points for reward in card.rewards] == [100, 100, 100, 1000]
    assert card.rewards[-1].streak
    assert card.view(day)["streak"] == 3  # a window opened today (7 days after completing) would continue it
    # Eight days after the last completion, the streak is over: a new window starts it again at one.
    late = day + timedelta(days=1)
    assert card.view(late)["streak"] == 0
    card.buy(late)
    card.buy(late + timedelta(days=1))
    assert card.view(late + timedelta(days=1))["streak"] == 1
    assert card.view(late + timedelta(days=1))["completed"] == 4


def test_an_unfinished_window_breaks_the_streak():
    card = Card(_mechanics({**VISITS, "goal": {"type": "visits", "target": 2}, "window_days": 7,
                            "streak_bonus": {"every": 2, "points": 1000}}))
    card.buy(START)
    card.buy(START + timedelta(days=1))  # completed: streak 1
    card.buy(START + timedelta(days=3))  # a window opens in time …
    assert card.view(START + timedelta(days=9))["streak"] == 1
    assert card.view(START + timedelta(days=10))["streak"] == 0  # … and ends unfinished
    card.buy(START + timedelta(days=10))
    card.buy(START + timedelta(days=11))
    assert [reward.streak for reward in card.rewards] == [False, False]  # two completions, not in a row


def test_removed_challenges_progress_is_dropped():
    both = _mechanics(VISITS, {**VISITS, "id": "other"})
    card = Card(both)
    card.buy(START)
    assert {item.challenge for item in card.progress} == {"three", "other"}
    card.mechanics = _mechanics({**VISITS, "id": "other"})
    assert [view["id"] for view in challenges.views(card.progress, card.mechanics, "en", START)] == ["other"]
    card.buy(START + timedelta(days=1))
    assert [item.challenge for item in card.progress] == ["other"]


def test_views_are_in_the_readers_language():
    card = Card(_mechanics(VISITS))
    assert card.view(START, "ru")["name"] == "3 визита"
    assert card.view(START, "en")["name"] == "Three visits"
    assert card.view(START, "en") == {"id": "three", "name": "Three visits", "progress": 0, "target": 3,
                                      "ends_on": None, "completed": 0, "streak": 0, "done": False}


# --- through the ledger ----------------------------------------------------------------------------------

def test_a_completion_is_a_bonus_lot_with_source_challenge():
    mechanics = mech.parse({"challenges": [{**VISITS, "goal": {"type": "visits", "target": 1}}],
                            "tiers": [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5}]})
    state = ledger.CardState(balance=0, lots=(), tier="base")
    outcome = ledger.receipt(state, mechanics, total=10000, redeem=0, today=START, lot_id="r1", receipt_ref="R1")
    assert outcome.details["bonuses"] == [{"source": "challenge", "id": "three", "points": 300}]
    assert [(entry.kind, entry.source, entry.amount) for entry in outcome.entries] == [
        ("earn", "purchase", 5), ("bonus", "challenge", 300)]
    assert outcome.state.balance == 305 == sum(lot.remaining for lot in outcome.state.lots)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 3), st.integers(0, 60000)), max_size=40),
       st.sampled_from(["visits", "spend", "product"]), st.booleans(), st.integers(1, 10))
def test_a_reward_is_given_at_most_once_per_window(sales, goal, repeat, window_days):
    """Over random receipts, every completion reward has its own window: at most one per window, never
    more than the receipts could complete, and none once a non-repeating challenge is done."""
    target = {"visits": 2, "spend": 50000, "product": 3}[goal]
    definition = {**VISITS, "goal": {"type": goal, "target": target, **({"skus": ["LAT"]} if goal == "product"
                                                                          else {})},
                  "window_days": window_days, "repeat": repeat, "streak_bonus": {"every": 2, "points": 7}}
    card = Card(_mechanics(definition))
    day = START
    completions: list[date] = []
    for gap, units, total in sales:
        day += timedelta(days=gap)
        given_now = card.buy(day, total=total, lines=(ReceiptLine("LAT", "Latte", units, total),) if units else ())
        main = [reward for reward in given_now if not reward.streak]
        assert len(main) <= 1
        if main:
            completions.append(day)
        streak = [reward for reward in given_now if reward.streak]
        assert len(streak) <= len(main)
    if goal == "visits":  # a window spans window_days days and needs two distinct days
        assert all(later > earlier for earlier, later in zip(completions, completions[1:], strict=False))
    if not repeat:
        assert len(completions) <= 1
    shown = card.view(day)
    assert shown["completed"] == len(completions)
    assert 0 <= shown["progress"] <= target


# --- bonuses for actions --------------------------------------------------------------------------------

def test_action_bonuses_parse_patch_and_round_trip():
    mechanics = mech.parse({"actions": {"profile_completed": 50, "first_purchase": 100}})
    assert mechanics.actions == actions.ActionBonuses(profile_completed=50, first_purchase=100)
    patched = mech.parse({"actions": {"survey_answered": 20}}, mechanics)
    assert patched.actions == actions.ActionBonuses(50, 20, 100)
    assert mech.parse(mech.to_dict(patched)).actions == patched.actions
    assert mech.parse({"actions": None}, patched).actions == actions.ActionBonuses()
    assert patched.actions.points_for("survey_answered") == 20


@pytest.mark.parametrize(("raw", "field"), [
    ({"profile_completed": -1}, "mechanics.actions.profile_completed"),
    ({"survey_answered": 10_000_001}, "mechanics.actions.survey_answered"),
    ({"first_purchase": "100"}, "mechanics.actions.first_purchase"),
    ({"review_left": 10}, "mechanics.actions.review_left"),
    ([], "mechanics.actions"),
])
def test_action_bonus_refusals_name_the_field(raw, field):
    with pytest.raises(InvalidInput) as refused:
        mech.parse({"actions": raw})
    assert refused.value.field == field


def test_the_first_purchase_bonus_comes_with_the_first_receipt_only_even_after_a_refund():
    mechanics = mech.parse({"actions": {"first_purchase": 100}})
    state = ledger.CardState(balance=0, lots=(), tier="base")
    first = ledger.receipt(state, mechanics, total=10000, redeem=0, today=START, lot_id="r1", receipt_ref="R1")
    assert first.details["bonuses"] == [{"source": "action", "id": "first_purchase", "points": 100}]
    totals = ledger.ReceiptTotals(total=10000, earned=first.earned, redeemed=0, business_day=START.isoformat())
    refunded = ledger.refund(first.state, mechanics, totals, amount=10000, today=START, lot_id="x1", receipt_ref="R1")
    again = ledger.receipt(refunded.state, mechanics, total=10000, redeem=0, today=START, lot_id="r2",
                           receipt_ref="R2")
    assert "bonuses" not in again.details
    assert [entry.source for entry in again.entries if entry.kind == "bonus"] == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40000), st.booleans()), max_size=30))
def test_through_the_ledger_every_reward_is_one_explained_lot(sales):
    """Receipts (and full refunds of some) through core/ledger: each completion is one `challenge` bonus
    entry and lot, and balance == lots == ledger all along."""
    mechanics = mech.parse({"challenges": [{**VISITS, "goal": {"type": "visits", "target": 2}, "window_days": 5,
                                            "streak_bonus": {"every": 2, "points": 50}}],
                            "actions": {"first_purchase": 10}})
    state = ledger.CardState(balance=0, lots=(), tier="base")
    ledger_total, rewards, day = 0, 0, START
    for index, (gap, total, refund) in enumerate(sales):
        day += timedelta(days=gap)
        outcome = ledger.receipt(state, mechanics, total=total, redeem=0, today=day, lot_id=f"r{index}",
                                 receipt_ref=f"R{index}")
        given_now = [bonus for bonus in outcome.details.get("bonuses", []) if bonus["source"] == "challenge"]
        assert len(given_now) <= 2  # the completion and its streak bonus, at most
        rewards += sum(bonus["points"] for bonus in given_now)
        state, ledger_total = outcome.state, ledger_total + sum(entry.amount for entry in outcome.entries)
        if refund and total:
            totals = ledger.ReceiptTotals(total=total, earned=outcome.earned, redeemed=0, business_day=day.isoformat())
            back = ledger.refund(state, mechanics, totals, amount=total, today=day, lot_id=f"x{index}",
                                 receipt_ref=f"R{index}")
            state, ledger_total = back.state, ledger_total + sum(entry.amount for entry in back.entries)
        assert state.balance == sum(lot.remaining for lot in state.lots) == ledger_total
    held = sum(lot.points for lot in state.lots if lot.source == "challenge")
    assert held == rewards  # lots never expire within these few weeks, and refunds leave bonuses alone


def test_a_receipt_sent_late_counts_no_earlier_than_the_open_window_or_the_last_completion():
    card = Card(_mechanics({**VISITS, "goal": {"type": "visits", "target": 2}}))
    card.buy(START + timedelta(days=10))
    card.buy(START + timedelta(days=3))  # an offline till's receipt from before the window: counted on its first day
    assert card.view(START + timedelta(days=10))["progress"] == 1  # the same day as the first visit
    card.buy(START + timedelta(days=11))
    assert len(card.rewards) == 1
    card.buy(START + timedelta(days=2))  # from before the completion: opens the next window on the completion's day
    assert card.view(START + timedelta(days=11))["progress"] == 0  # … where that day was already counted
    card.buy(START + timedelta(days=12))
    assert card.view(START + timedelta(days=12))["progress"] == 1
