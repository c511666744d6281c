"""Stamp cards and discount cards: what a receipt earns, what it redeems, what a refund undoes."""
from dataclasses import replace
from datetime import date

import pytest

from chalicelib.core import ledger, texts
from chalicelib.core import mechanics as mech
from chalicelib.core.kinds import ReceiptLine
from chalicelib.errors import InvalidInput, RuleViolation

DAY = date(2026, 3, 10)
CAFE = mech.parse({
    "kind": "stamps", "lifetime_days": None,
    "stamps": {"per_reward": 9, "categories": ["coffee"], "reward": {"ru": "Кофе в подарок", "en": "A free coffee"}},
    "products": [{"id": "tobacco", "categories": ["tobacco"], "exclude": True}],
})
CLUB = mech.parse({
    "kind": "discount", "tier_window_days": 365,
    "tiers": [{"id": "base", "name": "Base", "threshold": 0, "discount_percent": 5},
              {"id": "gold", "name": "Gold", "threshold": 50000, "discount_percent": 10}],
    "products": [{"id": "tobacco", "categories": ["tobacco"], "exclude": True}],
})
EMPTY = ledger.CardState(balance=0, lots=(), tier="base")


def coffee(qty=1, amount=25000):
    return ReceiptLine("LATTE", "Latte", qty, amount, "coffee")


def sell(state, mechanics=CAFE, total=25000, lines=(), ref="r1", **options):
    return ledger.receipt(state, mechanics, total=total, redeem=options.pop("redeem", 0), today=DAY,
                          lot_id=f"l{ref}", receipt_ref=ref, lines=lines, **options)


# --- settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, field", [
    ({"kind": "stamps"}, "mechanics.stamps"),
    ({"kind": "stamps", "stamps": {"per_reward": 1, "reward": "Coffee"}}, "mechanics.stamps.per_reward"),
    ({"kind": "stamps", "stamps": {"per_reward": 51, "reward": "Coffee"}}, "mechanics.stamps.per_reward"),
    ({"kind": "stamps", "stamps": {"per_reward": 9}}, "mechanics.stamps.reward"),
    ({"kind": "stamps", "stamps": {"per_reward": 9, "reward": "C", "per": "visit"}}, "mechanics.stamps.per"),
    ({"kind": "stamps", "stamps": {"per_reward": 9, "reward": "C", "skus": [7]}}, "mechanics.stamps.skus[0]"),
    ({"kind": "stamps", "stamps": {"per_reward": 9, "reward": "C", "size": 3}}, "mechanics.stamps.size"),
    ({"kind": "points", "stamps": {"per_reward": 9, "reward": "C"}}, "mechanics.stamps"),
    ({"kind": "discount", "tiers": [{"id": "a", "name": "A", "threshold": 0}]}, "mechanics.tiers[0].discount_percent"),
    ({"kind": "points", "tiers": [{"id": "a", "name": "A", "threshold": 0}]}, "mechanics.tiers[0].earn_percent"),
])
def test_kind_settings_name_the_wrong_field(data, field):
    with pytest.raises(InvalidInput) as refused:
        mech.parse(data)
    assert refused.value.field == field


def test_settings_round_trip_and_a_stamp_card_is_dropped_with_its_kind():
    assert mech.parse(mech.to_dict(CAFE)) == CAFE and mech.parse(mech.to_dict(CLUB)) == CLUB
    assert mech.to_dict(CAFE)["stamps"] == {"per_reward": 9, "per": "item", "skus": [], "categories": ["coffee"],
                                            "min_total": 0, "reward": {"ru": "Кофе в подарок", "en": "A free coffee"}}
    assert mech.to_dict(CLUB)["tiers"][1]["discount_percent"] == 10
    assert mech.parse({"kind": "points"}, CAFE).stamps is None


def test_the_rules_say_how_a_stamp_or_a_discount_is_earned():
    # coffee only: "every item" would promise a stamp for cigarettes; the reward in the reader's language
    assert texts.rules(CAFE, "base", "en")[0] == ("A stamp for every participating item. Collect 9 stamps for a "
                                                  "reward: A free coffee.")
    everything = mech.parse({"stamps": {"per_reward": 9, "per": "item", "reward": "Coffee"}}, CAFE)
    assert texts.rules(everything, "base", "en")[0].startswith("A stamp for every item.")
    assert texts.rules(CLUB, "gold", "ru")[0] == "Скидка 10% на каждую покупку."
    per_receipt = mech.parse({"stamps": {"per_reward": 6, "per": "receipt", "reward": "Пончик"}}, CAFE)
    assert texts.rules(per_receipt, None, "ru")[0] == ("Штамп за каждую покупку. Штампов для награды: 6. "
                                                        "Награда: Пончик.")


# --- stamps --------------------------------------------------------------------------------------

def test_stamps_count_qualifying_items_only():
    lines = (coffee(qty=2, amount=50000), ReceiptLine("CIG", "Cigarettes", 1, 20000, "tobacco"),
             ReceiptLine("CAKE", "Cake", 1, 30000, "pastry"), ReceiptLine("BEANS", "Beans", 0.35, 40000, "coffee"),
             ReceiptLine("LATTE", "Latte", 1, 0, "coffee"))
    outcome = sell(EMPTY, total=140000, lines=lines)
    assert outcome.earned == 3 and outcome.state.balance == 3  # 2 lattes + weighed beans; a free latte gives none
    assert [line["earn"] for line in outcome.details["lines"]] == [2, 0, 0, 1, 0]
    assert outcome.details["payable"] == 120000 and outcome.details["stamps"] == 3
    assert outcome.details["per_reward"] == 9 and outcome.details["rewards_available"] == 0
    assert outcome.paid == 140000 and outcome.state.revenue == 140000


def test_a_receipt_without_lines_gives_one_stamp_and_min_total_gates_any():
    assert sell(EMPTY).earned == 1
    assert sell(EMPTY, total=0).earned == 0
    strict = mech.parse({"stamps": {"per_reward": 9, "reward": "C", "min_total": 30000}}, CAFE)
    assert sell(EMPTY, strict, total=29999, lines=(coffee(amount=29999),)).earned == 0
    assert sell(EMPTY, strict, total=30000, lines=(coffee(3, 30000),)).earned == 3


def test_per_receipt_stamps_one_for_a_qualifying_receipt():
    per_receipt = mech.parse({"stamps": {"per_reward": 6, "per": "receipt", "reward": "C"}}, CAFE)
    assert sell(EMPTY, per_receipt, total=75000, lines=(coffee(3, 75000),)).earned == 1
    only_tobacco = (ReceiptLine("CIG", None, 1, 20000, "tobacco"),)
    assert sell(EMPTY, per_receipt, total=20000, lines=only_tobacco).earned == 0


def _with_stamps(count):
    state = EMPTY
    for index in range(count):
        state = sell(state, ref=f"s{index}").state
    return state


def test_a_full_card_is_redeemed_once_and_several_may_be_held():
    state = _with_stamps(19)
    assert ledger.rewards_available(CAFE, state, DAY.isoformat()) == 2
    outcome = sell(state, total=0, lines=(coffee(amount=0),), rewards=2, ref="free")
    assert outcome.redeemed == 18 and outcome.state.balance == 1 and outcome.details["rewards_redeemed"] == 2
    assert [(entry.kind, entry.amount, entry.note) for entry in outcome.entries] == [("redeem", -18, "reward")]
    with pytest.raises(RuleViolation) as refused:
        sell(outcome.state, rewards=1, ref="again")
    assert (refused.value.code, refused.value.field) == ("rewards_not_available", "rewards")


@pytest.mark.parametrize("mechanics, options, code", [
    (CAFE, {"redeem": 1}, "redeem_not_allowed"),
    (CLUB, {"redeem": 1}, "redeem_not_allowed"),
    (CLUB, {"rewards": 1}, "rewards_not_allowed"),
    (mech.Mechanics(), {"rewards": 1}, "rewards_not_allowed"),
])
def test_points_pay_only_points_programs_and_rewards_only_stamp_cards(mechanics, options, code):
    state = ledger.bonus(EMPTY, mechanics, source="campaign", points=100, today=DAY, lot_id="b").state
    with pytest.raises(RuleViolation) as refused:
        sell(state, mechanics, **options)
    assert refused.value.code == code
    assert ledger.max_redeem(mechanics, state, 25000, DAY.isoformat()) == (0 if mechanics.kind != "points" else 100)


def test_a_refund_takes_stamps_back_and_gives_a_reward_back_pro_rata():
    state = _with_stamps(9)
    sold = sell(state, total=50000, lines=(coffee(amount=0), coffee(2, 50000)), rewards=1, ref="mixed")
    assert (sold.earned, sold.redeemed, sold.state.balance) == (2, 9, 2)
    totals = ledger.ReceiptTotals(total=50000, earned=2, redeemed=9, business_day=DAY.isoformat())
    half = ledger.refund(sold.state, CAFE, totals, amount=25000, today=DAY, lot_id="x1", receipt_ref="mixed")
    assert (half.earned, half.redeemed) == (-1, -4)  # half the money: half the stamps, rounded down
    assert half.paid == 25000  # returned stamps are no money: the whole amount leaves revenue
    rest = ledger.refund(half.state, CAFE, ledger.ReceiptTotals(50000, 2, 9, 25000, 1, 4, DAY.isoformat()),
                         amount=25000, today=DAY, lot_id="x2", receipt_ref="mixed")
    assert rest.state.balance == state.balance == 9 and rest.state.revenue == state.revenue


# --- discount cards -------------------------------------------------------------------------------

def test_a_discount_card_takes_its_tiers_percent_off_payable_lines_and_earns_nothing():
    lines = (coffee(amount=30000), ReceiptLine("CIG", None, 1, 20000, "tobacco"))
    outcome = sell(EMPTY, CLUB, total=50000, lines=lines)
    assert outcome.earned == 0 and outcome.state.balance == 0 and outcome.entries == ()
    assert outcome.details["discount"] == 1500 and outcome.details["discount_percent"] == 5
    assert outcome.details["paid"] == outcome.paid == 48500
    assert outcome.state.spend == {DAY.isoformat(): 48500} and outcome.state.revenue == 48500


def test_a_discount_card_rounds_down_and_climbs_tiers_by_money_paid():
    first = sell(EMPTY, CLUB, total=52630)  # 5% of 526.30 = 26.315 -> 26.31
    assert first.details["discount"] == 2631 and first.state.tier == "base"  # 499.99 paid: gold is 500.00
    second = sell(first.state, CLUB, total=1, ref="r2")
    assert second.details["discount"] == 0 and second.state.tier == "gold"
    assert sell(second.state, CLUB, total=10000, ref="r3").details["discount"] == 1000


def test_the_least_money_for_a_stamp_counts_payable_lines_only():
    """300.00 at least for a stamp: 290.00 of cigarettes and a 10.00 coffee are 10.00 toward it."""
    program = mech.parse({"kind": "stamps", "tiers": [{"id": "base", "name": "Base", "threshold": 0}],
                          "products": [{"id": "tob", "categories": ["tobacco"], "exclude": True}],
                          "stamps": {"per_reward": 9, "min_total": 30000, "reward": "A free coffee"}})
    lines = [ReceiptLine("CIG", None, 1, 29000, "tobacco"), ReceiptLine("LATTE", None, 1, 1000, "coffee")]
    mixed = ledger.receipt(EMPTY, program, total=30000, redeem=0, today=DAY, lot_id="r", receipt_ref="R", lines=lines)
    assert mixed.earned == 0
    lines = [ReceiptLine("CIG", None, 1, 29000, "tobacco"), ReceiptLine("LATTE", None, 1, 30000, "coffee")]
    enough = ledger.receipt(EMPTY, program, total=59000, redeem=0, today=DAY, lot_id="r", receipt_ref="R", lines=lines)
    assert enough.earned == 1


@pytest.mark.parametrize(("extra", "field"), [
    ({"welcome_bonus": 100}, "mechanics.welcome_bonus"),
    ({"referral": {"referred_bonus": 50}}, "mechanics.referral.referred_bonus"),
    ({"birthday": {"bonus": 100}}, "mechanics.birthday.bonus"),
    ({"winback": {"after_days": 60, "bonus": 100}}, "mechanics.winback.bonus"),
    ({"actions": {"profile_completed": 50}}, "mechanics.actions.profile_completed"),
    ({"offers": [{"id": "b", "name": "B", "reward": {"type": "points", "points": 5}}]}, "mechanics.offers[0].reward"),
    ({"challenges": [{"id": "c", "name": "C", "goal": {"type": "visits", "target": 3}, "reward": {"points": 5}}]},
     "mechanics.challenges[0].reward"),
])
def test_a_discount_program_refuses_bonuses_in_points_it_could_never_spend(extra, field):
    club = {"kind": "discount", "tiers": [{"id": "b", "name": "B", "threshold": 0, "discount_percent": 5}]}
    with pytest.raises(InvalidInput) as refused:
        mech.parse({**club, **extra})
    assert refused.value.field == field
    percent = {"offers": [{"id": "o", "name": "O", "reward": {"type": "percent", "percent": 10}}]}
    assert mech.parse({**club, **percent}).offers  # an offer of money off is a discount card's bonus
    saved_before = mech.to_dict(replace(mech.parse(club), welcome_bonus=100))  # saved before this was refused:
    assert mech.from_stored(saved_before).welcome_bonus == 100  # still read (a receipt never fails on it)
    assert mech.parse({"tier_window_days": 30}, mech.from_stored(saved_before)).tier_window_days == 30


def test_a_change_of_kind_to_other_units_drops_the_bonuses_it_does_not_restate():
    """A points program's welcome bonus of 100 is not 100 stamps (eleven free coffees): turning the program
    into a stamp card or a discount card drops the bonuses counted in points, unless the same change sets
    them; points and cashback count in the same points and keep them."""
    points = mech.parse({"welcome_bonus": 100, "referral": {"referrer_bonus": 50, "referred_bonus": 20},
                              "birthday": {"bonus": 300}, "winback": {"after_days": 60, "bonus": 150},
                              "actions": {"first_purchase": 25}})
    card = {"kind": "stamps", "stamps": {"per_reward": 9, "reward": "A free coffee"}}
    stamped = mech.parse(card, base=points)
    assert (stamped.welcome_bonus, stamped.referrer_bonus, stamped.referred_bonus, stamped.birthday_bonus,
            stamped.winback_bonus, stamped.actions.first_purchase) == (0, 0, 0, 0, 0, 0)
    assert stamped.winback_after_days == 60  # when to send a win-back offer is not an amount
    assert mech.parse({**card, "welcome_bonus": 1}, base=points).welcome_bonus == 1
    discount = mech.parse({"kind": "discount", "tiers": [{"id": "base", "name": "Base", "threshold": 0,
                                                                "discount_percent": 5}]}, base=points)
    assert discount.welcome_bonus == 0 and discount.birthday_bonus == 0
    assert mech.parse({"kind": "cashback"}, base=points).welcome_bonus == 100
