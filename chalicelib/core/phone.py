"""Phone numbers to E.164 without a 46 MB library.

A number written with `+` (or `00`) is taken as international; anything else is a national number of
the program's country, with its trunk prefix (8 in Russia and Kazakhstan, 0 in most of Europe)
removed. Lengths are checked per country where we know them and against E.164's 8-15 digits always.

This is the one normaliser every way in goes through (enrolment, the admin search, anything that looks
a card up by phone), so one number has one canonical form and hence one card. Decimal digits of any
script (Arabic-Indic `٩١٦`, Persian `۹۱۶`, Devanagari, fullwidth `９１６`) are folded to ASCII; the
separators people write (spaces of any width, `-`, `.`, `(`, `)`, and their fullwidth forms) are
dropped; `+` may only start the number; the invisible direction marks that right-to-left keyboards add
are ignored. Anything else (letters, superscripts, control characters) is refused.
"""
import re
import unicodedata

from chalicelib.core.digits import ascii_digits
from chalicelib.errors import InvalidInput

# country: (calling code, trunk prefix, allowed national lengths)
COUNTRIES = {
    "RU": ("7", "8", (10,)),
    "KZ": ("7", "8", (10,)),
    "BY": ("375", "8", (9,)),
    "UZ": ("998", "", (9,)),
    "AM": ("374", "0", (8,)),
    "GE": ("995", "0", (9,)),
    "KG": ("996", "0", (9,)),
    "AZ": ("994", "0", (9,)),
    "RS": ("381", "0", (8, 9)),
    "TR": ("90", "0", (10,)),
    "AE": ("971", "0", (8, 9)),
    "DE": ("49", "0", tuple(range(6, 12))),
    "FR": ("33", "0", (9,)),
    "GB": ("44", "0", (9, 10)),
    "ES": ("34", "", (9,)),
    "IT": ("39", "", tuple(range(6, 12))),
    "PL": ("48", "", (9,)),
    "NL": ("31", "0", (9,)),
    "US": ("1", "1", (10,)),
    "CA": ("1", "1", (10,)),
}
# National lengths by calling code, used to check international input where we know the country.
_LENGTHS_BY_CODE: dict[str, set[int]] = {}
for _code, _trunk, _lengths in COUNTRIES.values():
    _LENGTHS_BY_CODE.setdefault(_code, set()).update(_lengths)


MAX_LENGTH = 32
E164_DIGITS = (8, 15)  # the fewest and the most digits of a full international number we accept
RU_NATIONAL_DIGITS = 10
MIN_PHONE_DIGITS = 7  # fewer digits than this is no phone number (a card number, a name, a code)
_PUNCTUATION = {  # fullwidth and typographic forms of the characters phone numbers are written with
    "\uff0b": "+", "\uff08": "(", "\uff09": ")", "\uff0d": "-", "\uff0e": ".", "\u2010": "-", "\u2011": "-",
    "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\ufe63": "-", "\ufe62": "+",
}
_DIRECTION_MARKS = {"\u200e", "\u200f", "\u061c"}  # LRM, RLM, ALM: invisible, added around RTL text
_WRITTEN = re.compile(r"\+?[0-9 ().\-]+", re.ASCII)


def _plain(text: str) -> str | None:
    """The number in ASCII (digits, a leading '+', ASCII separators), or None if it holds anything that
    is not part of how phone numbers are written."""
    chars = []
    for written in ascii_digits(text):
        if written in _DIRECTION_MARKS:
            continue
        char = _PUNCTUATION.get(written, written)
        # no-break, thin, ideographic… spaces
        chars.append(" " if unicodedata.category(char) == "Zs" else char)
    plain = "".join(chars).strip()
    return plain if _WRITTEN.fullmatch(plain) else None


def normalise(text: object, country: str = "RU", field: str = "phone") -> str:
    """E.164 form ('+79161234567') of a phone number written any usual way, or InvalidInput."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("A phone number is required.", code="required", field=field)
    raw = _plain(text) if len(text.strip()) <= MAX_LENGTH else None
    if raw is None:
        raise InvalidInput("The phone number may contain only digits, spaces, +, -, ( and ).",
                           code="invalid_phone", field=field)
    digits = re.sub(r"[^0-9]", "", raw)
    if raw.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    else:
        international = _from_national(digits, country, field)
    if not E164_DIGITS[0] <= len(international) <= E164_DIGITS[1] or international[0] == "0":
        raise InvalidInput("This does not look like a complete phone number.", code="invalid_phone", field=field)
    for code_length in (1, 2, 3):
        known = _LENGTHS_BY_CODE.get(international[:code_length])
        if known is not None:
            if len(international) - code_length not in known:
                raise InvalidInput("This does not look like a complete phone number.",
                                   code="invalid_phone", field=field)
            break
    return "+" + international


def _from_national(digits: str, country: str, field: str) -> str:
    """A number written as the country writes it at home, with its calling code."""
    code, trunk, lengths = COUNTRIES.get(country, COUNTRIES["RU"])
    national = digits
    if trunk and national.startswith(trunk) and len(national) - len(trunk) in lengths:
        national = national[len(trunk):]
    elif code == "7" and len(national) == len("7") + RU_NATIONAL_DIGITS and national.startswith("7"):
        national = national[1:]  # people in Russia often write 7XXXXXXXXXX without the plus
    if len(national) not in lengths:
        raise InvalidInput("This does not look like a complete phone number.", code="invalid_phone", field=field)
    return code + national


def looks_like_phone(text: str) -> bool:
    """Whether `text` is written like a phone number (at least 7 digits of any script, the usual
    separators): then it is a phone to `normalise`, not something else."""
    plain = _plain(text) if isinstance(text, str) and len(text.strip()) <= MAX_LENGTH else None
    return plain is not None and len(re.sub(r"[^0-9]", "", plain)) >= MIN_PHONE_DIGITS
