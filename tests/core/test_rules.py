"""The pure rules: card numbers, phones, mechanics, branding and the enrollment form."""
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core import branding, card_number, enrollment, mechanics, phone
from chalicelib.errors import InvalidInput

digits11 = st.text("0123456789", min_size=10, max_size=10).map(lambda rest: "7" + rest)


@settings(max_examples=200)
@given(digits11, st.integers(0, 11), st.integers(1, 9))
def test_every_single_digit_typo_is_caught(body, position, delta):
    number = card_number.from_random(body)
    assert card_number.normalise(number) == number
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    assert card_number.normalise(typo) is None


@settings(max_examples=200)
@given(digits11, st.integers(0, 10))
def test_adjacent_swaps_are_caught_except_09(body, position):
    number = card_number.from_random(body)
    a, b = number[position], number[position + 1]
    if a == b or {a, b} == {"0", "9"}:
        return
    swapped = number[:position] + b + a + number[position + 2:]
    assert card_number.normalise(swapped) is None


def test_card_number_forms():
    number = card_number.from_random("48217730915")
    assert card_number.display(number) == f"{number[:4]} {number[4:8]} {number[8:]}"
    assert card_number.normalise(card_number.display(number)) == number
    assert card_number.normalise(number.replace(" ", "-")) == number
    assert card_number.normalise(number[:-1]) is None and card_number.normalise("0" + number[1:]) is None


@pytest.mark.parametrize("text, country, expected", [
    ("8 (916) 123-45-67", "RU", "+79161234567"),
    ("+7 916 123 45 67", "RU", "+79161234567"),
    ("9161234567", "RU", "+79161234567"),
    ("79161234567", "RU", "+79161234567"),
    ("0049 30 1234567", "RU", "+49301234567"),
    ("030 1234567", "DE", "+49301234567"),
    ("+44 20 7946 0958", "RU", "+442079460958"),
])
def test_phones_normalise_to_e164(text, country, expected):
    assert phone.normalise(text, country) == expected


@pytest.mark.parametrize("text", ["", "12345", "+7 916 123", "call me", "+7 916 123 45 67 89", "8916123456a"])
def test_bad_phones_are_refused_on_the_phone_field(text):
    with pytest.raises(InvalidInput) as refused:
        phone.normalise(text, "RU")
    assert refused.value.field == "phone"


def test_mechanics_round_trip_and_defaults():
    full = mechanics.to_dict(mechanics.parse({
        "tiers": [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5.25},
                  {"id": "vip", "name": "VIP", "threshold": 100, "earn_percent": 10}],
        "redeem_cap_percent": 30, "lifetime_days": None, "lifetime_by_source": {"welcome": 14}}))
    assert mechanics.to_dict(mechanics.parse(full)) == full
    assert full["tiers"][0]["earn_percent"] == 5.25 and full["lifetime_days"] is None
    parsed = mechanics.parse(full)
    assert parsed.tiers[0].earn_bp == 525 and parsed.lifetime_for("welcome") == 14 and parsed.lifetime_for("x") is None
    assert mechanics.parse({}).point_value == 100 and mechanics.parse({}).tier("nope").id == "base"


def test_mechanics_patch_keeps_what_is_not_sent():
    base = mechanics.parse({"welcome_bonus": 100, "pending_days": 2})
    patched = mechanics.parse({"pending_days": 0}, base)
    assert patched.welcome_bonus == 100 and patched.pending_days == 0


@pytest.mark.parametrize("data, field", [
    ({"redeem_cap_percent": 5.255}, "mechanics.redeem_cap_percent"),
    ({"redeem_cap_percent": 101}, "mechanics.redeem_cap_percent"),
    ({"welcome_bonus": True}, "mechanics.welcome_bonus"),
    ({"welcome_bonus": 1.5}, "mechanics.welcome_bonus"),
    ({"tiers": []}, "mechanics.tiers"),
    ({"tiers": [{"id": "a", "name": "A", "threshold": 0, "earn_percent": 1, "x": 1}]}, "mechanics.tiers[0].x"),
    ({"tiers": [{"id": "a", "name": "A", "threshold": 0, "earn_percent": 1},
                {"id": "a", "name": "B", "threshold": 5, "earn_percent": 1}]}, "mechanics.tiers[1].id"),
    ({"tiers": [{"id": "a", "name": "A", "threshold": 0, "earn_percent": 1},
                {"id": "b", "name": "B", "threshold": 0, "earn_percent": 1}]}, "mechanics.tiers[1].threshold"),
    ({"referral": {"bonus": 5}}, "mechanics.referral.bonus"),
    ({"lifetime_by_source": {"purchase": 0}}, "mechanics.lifetime_by_source.purchase"),
    ({"kind": "coins"}, "mechanics.kind"),
])
def test_mechanics_errors_name_the_field(data, field):
    with pytest.raises(InvalidInput) as refused:
        mechanics.parse(data)
    assert refused.value.field == field


def test_branding_colours_and_limits():
    parsed = branding.parse({"background_color": "#ABC", "foreground_color": "rgb(255, 0, 10)"})
    assert parsed["background_color"] == "#aabbcc" and parsed["foreground_color"] == "#ff000a"
    assert branding.as_rgb("#ff000a") == "rgb(255, 0, 10)"
    for data, field in (({"label_color": "rgb(300,0,0)"}, "branding.label_color"),
                        ({"website": "http://x.example"}, "branding.website"),
                        ({"logo_text": "x" * 41}, "branding.logo_text"), ({"font": "x"}, "branding.font")):
        with pytest.raises(InvalidInput) as refused:
            branding.parse(data)
        assert refused.value.field == field


TODAY = date(2026, 11, 25)


def _form(**changes):
    data = {"name": "Anna", "phone": "+79160000001", "consent": True, **changes}
    return enrollment.parse(data, country="RU", today=TODAY)


def test_enrollment_form():
    form = _form(email="Anna@Example.COM", birthday="1990-05-17", ref="abc123", consent="on")
    assert (form.email, form.birthday, form.ref) == ("anna@example.com", "1990-05-17", "ABC123")


@pytest.mark.parametrize("changes, code", [
    ({"consent": False}, "consent_required"), ({"consent": "off"}, "consent_required"),
    ({"name": "  "}, "required"), ({"name": "A\x00B"}, "invalid_value"),
    ({"email": "a@b"}, "invalid_format"), ({"birthday": "2026-11-26"}, "invalid_value"),
    ({"birthday": "1900-01-01"}, "invalid_value"), ({"birthday": "2023-02-30"}, "invalid_value"),
    ({"ref": "no spaces"}, "invalid_format"), ({"role": "admin"}, "unknown_field"),
])
def test_enrollment_refusals(changes, code):
    with pytest.raises(InvalidInput) as refused:
        _form(**changes)
    assert refused.value.code == code
