"""One number, one card: every way people write a phone number maps to one canonical E.164 form,
which is the key of the card's phone alias. Decimal digits of every script are the same digits;
anything that is not a digit or a usual separator is refused."""
import sys
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chalicelib.core import card_number, phone
from chalicelib.errors import InvalidInput

# the zero of every decimal digit set Unicode has (Arabic-Indic, Extended Arabic-Indic, Devanagari,
# Bengali, Thai, fullwidth, mathematical…): each set is ten consecutive code points
ZEROS = [chr(cp) for cp in range(sys.maxunicode + 1)
         if unicodedata.category(chr(cp)) == "Nd" and unicodedata.decimal(chr(cp)) == 0]
SEPARATORS = ["", " ", "-", ".", "\u00a0", "\u2009", "\u202f", "\u3000", "\u2013", "\u2212", "\uff0d"]
BRACKETS = [("", ""), ("(", ")"), ("\uff08", "\uff09")]
PREFIXES = ["+7", "8", "7", "", "007", "\uff0b7", "+ 7"]


def _write(digits: str, zeros, rng) -> str:
    return "".join(chr(ord(rng.choice(zeros)) + int(d)) for d in digits)  # each digit in any of the scripts


@st.composite
def writings(draw):
    """(canonical E.164, one way of writing it) for a Russian mobile number."""
    national = "9" + draw(st.text("0123456789", min_size=9, max_size=9))
    scripts = draw(st.lists(st.sampled_from(ZEROS), min_size=1, max_size=3))
    rng = draw(st.randoms(use_true_random=False))
    area, rest = national[:3], national[3:]
    groups = [rest[:3], rest[3:5], rest[5:]] if draw(st.booleans()) else [rest]
    opening, closing = draw(st.sampled_from(BRACKETS))
    separator = draw(st.sampled_from(SEPARATORS))
    prefix = draw(st.sampled_from(PREFIXES))
    prefix = "".join(_write(ch, scripts, rng) if ch.isdigit() else ch for ch in prefix)
    parts = [opening + _write(area, scripts, rng) + closing] + [_write(group, scripts, rng) for group in groups]
    text = prefix + separator + separator.join(parts)
    if draw(st.booleans()):
        text = "\u200f" + text  # the mark a right-to-left keyboard puts before a number
    text = draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " "]))
    assume(len(text.strip()) <= phone.MAX_LENGTH)
    return "+7" + national, text


def test_every_digit_set_is_covered():
    assert len(ZEROS) >= 60 and {"0", "\u0660", "\u06f0", "\u0966", "\uff10"} <= set(ZEROS)


@settings(max_examples=500, deadline=None)
@given(writings())
def test_every_way_of_writing_a_number_is_one_canonical_phone(case):
    canonical, text = case
    assert phone.looks_like_phone(text)  # the admin search takes it for a phone
    assert phone.normalise(text, "RU") == canonical
    assert phone.normalise(canonical, "RU") == canonical  # canonical is a fixed point


ALLOWED = set("+-.() ") | set(phone._PUNCTUATION) | phone._DIRECTION_MARKS


@settings(max_examples=300, deadline=None)
@given(writings(), st.characters(exclude_categories=("Nd", "Zs", "Cs")), st.integers(1, 8))
def test_anything_else_in_a_number_is_refused(case, odd, position):
    assume(odd not in ALLOWED)
    _, text = case
    text = text.strip()
    text = text[:-position] + odd + text[-position:]  # inside the number (it ends with a digit)
    with pytest.raises(InvalidInput) as refused:
        phone.normalise(text, "RU")
    assert refused.value.code == "invalid_phone" and refused.value.field == "phone"


@pytest.mark.parametrize("text", [
    "+7 916 123 45 6\u00b2",  # a superscript two is not a decimal digit
    "+7 916 123 45 6\u2460",  # nor is a circled one
    "+7 916 +123 45 67",  # a plus only starts a number
    "+7\t916 123 45 67",
    "+7 916 123 45 67\u200b",  # zero-width space
    "\uff0b\uff17 \uff19\uff11\uff16 \uff11\uff12\uff13 \uff14\uff15 \uff16\uff17x",
])
def test_odd_characters_are_refused(text):
    with pytest.raises(InvalidInput):
        phone.normalise(text, "RU")


def test_card_numbers_fold_digits_too():
    number = card_number.from_random("48217730915")
    arabic = "".join(chr(0x0660 + int(d)) for d in number)
    fullwidth = " ".join("".join(chr(0xFF10 + int(d)) for d in number[i:i + 4]) for i in range(0, 12, 4))
    assert card_number.normalise(arabic) == card_number.normalise(fullwidth) == number
    assert card_number.normalise(number[:5] + "\u00b2" + number[6:]) is None  # not a digit: no crash either
