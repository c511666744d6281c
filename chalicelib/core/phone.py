"""Phone numbers to E.164 without a 46 MB library.

A number written with `+` (or `00`) is taken as international; anything else is a national number of
the program's country, with its trunk prefix (8 in Russia and Kazakhstan, 0 in most of Europe)
removed. Lengths are checked per country where we know them and against E.164's 8-15 digits always.
"""
import re

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
_LENGTHS_BY_CODE = {}
for _code, _trunk, _lengths in COUNTRIES.values():
    _LENGTHS_BY_CODE.setdefault(_code, set()).update(_lengths)


def normalise(text, country: str = "RU", field: str = "phone") -> str:
    """E.164 form ('+79161234567') of a phone number written any usual way, or InvalidInput."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("A phone number is required.", code="required", field=field)
    raw = text.strip()
    if len(raw) > 32 or not re.fullmatch(r"[+\d\s().\-]+", raw):
        raise InvalidInput("The phone number may contain only digits, spaces, +, -, ( and ).",
                           code="invalid_phone", field=field)
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    else:
        code, trunk, lengths = COUNTRIES.get(country, COUNTRIES["RU"])
        national = digits
        if trunk and national.startswith(trunk) and len(national) - len(trunk) in lengths:
            national = national[len(trunk):]
        elif code == "7" and len(national) == 11 and national.startswith("7"):
            national = national[1:]  # people in Russia often write 7XXXXXXXXXX without the plus
        if len(national) not in lengths:
            raise InvalidInput("This does not look like a complete phone number.",
                               code="invalid_phone", field=field)
        international = code + national
    if not 8 <= len(international) <= 15 or international[0] == "0":
        raise InvalidInput("This does not look like a complete phone number.", code="invalid_phone", field=field)
    for code_length in (1, 2, 3):
        lengths = _LENGTHS_BY_CODE.get(international[:code_length])
        if lengths is not None:
            if len(international) - code_length not in lengths:
                raise InvalidInput("This does not look like a complete phone number.",
                                   code="invalid_phone", field=field)
            break
    return "+" + international


def looks_like_phone(text: str) -> bool:
    return bool(re.fullmatch(r"\+?[\d\s().\-]{7,32}", text.strip()))
