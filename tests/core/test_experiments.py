"""The rules of experiments without a store: assignment is a fixed, uniform function of the two ids; a
card keeps its trials while they count or their trigger's experiment runs; an owner's settings are read
strictly; a control card of a running challenges experiment sees no challenge."""
from collections import Counter
from datetime import date

import pytest

from chalicelib.core import experiments as rules
from chalicelib.core import mechanics as mech
from chalicelib.errors import InvalidInput


def test_assignment_is_the_same_every_time_and_splits_as_asked():
    design = rules.Design("cp_one", 1000, (rules.Variant("a", "A"), rules.Variant("b", "B")))
    cards = [f"c_{n}" for n in range(30_000)]
    first = [rules.assign(design, card) for card in cards]
    assert first == [rules.assign(design, card) for card in reversed(cards)][::-1]  # order and re-runs: same
    shares = Counter(first)
    assert abs(shares["control"] / 30_000 - 0.10) < 0.01
    assert abs(shares["a"] - shares["b"]) / 30_000 < 0.02
    other = rules.Design("cp_two", 1000, design.variants)  # another experiment mixes the cards anew
    both = sum(1 for card in cards if rules.assign(other, card) == "control" == rules.assign(design, card))
    assert 0.005 < both / 30_000 < 0.015  # independent: about 10% of 10%


def test_no_holdout_puts_nobody_in_control_and_half_puts_half():
    assert all(rules.assign(rules.Design("x", 0), f"c{n}") == "a" for n in range(2000))
    share = Counter(rules.assign(rules.Design("x", 5000), f"c{n}") for n in range(20_000))["control"] / 20_000
    assert abs(share - 0.5) < 0.02


def test_a_card_keeps_trials_that_count_or_whose_trigger_experiment_runs():
    ended = rules.Trial("cp_old", "a", "2026-01-01", "2026-01-31")
    counting = rules.Trial("cp_new", "control", "2026-01-20", "2026-02-19")
    trigger = rules.Trial("ex_wb", "a", "2025-06-01", "2025-07-01")
    running = {"winback": rules.Design("ex_wb", 1000)}
    assert rules.kept((ended, counting, trigger), date(2026, 2, 1), running) == (counting, trigger)
    many = tuple(rules.Trial(f"cp_{n}", "a", "2026-01-01", "2026-03-01") for n in range(rules.MAX_TRIALS))
    joined = rules.joined(many, rules.Trial("cp_last", "a", "2026-01-02", "2026-03-02"))
    assert len(joined) == rules.MAX_TRIALS
    assert joined[-1].experiment_id == "cp_last" and joined[0].experiment_id == "cp_1"
    assert rules.joined(joined, joined[-1]) == joined  # once per experiment


@pytest.mark.parametrize(("data", "field"), [
    ({"holdout_percent": 51}, "holdout_percent"),
    ({"holdout_percent": 10.123}, "holdout_percent"),
    ({"variants": [{"name": "A"}]}, "variants"),
    ({"variants": [{"name": "A"}] * 5}, "variants"),
    ({"variants": [{"name": "A"}, {"name": "B", "price": 1}]}, "variants[1].price"),
    ({"variants": [{"name": "A"}, {"name": "B", "texts": {}}]}, "variants[1].texts"),
    ({"windows": [7, 7]}, "windows"),
    ({"windows": [0]}, "windows[0]"),
    ({"windows": [91]}, "windows[0]"),
])
def test_settings_are_read_strictly(data, field):
    with pytest.raises(InvalidInput) as refused:
        rules.read_settings(data, "campaign")
    assert refused.value.field == field


def test_a_trigger_variant_changes_only_what_its_trigger_has():
    with pytest.raises(InvalidInput) as refused:
        rules.read_settings({"variants": [{"name": "A"}, {"name": "B", "offer": "x"}]}, "winback")
    assert refused.value.field == "variants[1].offer"
    settings = rules.read_settings({"variants": [{"bonus": 100}, {"bonus": 300}]}, "winback")
    assert [(v.id, v.name, v.bonus) for v in settings.variants] == [("a", "A", 100), ("b", "B", 300)]
    assert settings.holdout_bp == 1000 and settings.windows == (7, 14, 30)


CHALLENGE = {"id": "three", "name": "Three visits", "goal": {"type": "visits", "target": 3}, "window_days": 14,
             "reward": {"points": 300}}


def test_a_control_card_of_a_challenges_experiment_sees_no_challenge():
    mechanics = mech.parse({"challenges": [CHALLENGE]})
    design = rules.Design("ex_ch", 5000)
    stored = {"challenges": design.to_json()}
    cards = [f"c_{n}" for n in range(50)]
    for card in cards:
        shown = rules.for_card(mechanics, stored, card)
        assert bool(shown.challenges) == (rules.assign(design, card) != rules.CONTROL)
    assert all(rules.for_card(mechanics, None, card).challenges for card in cards)  # no experiment: everyone
