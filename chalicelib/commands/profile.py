"""What a customer's profile post says (`POST /c/{card_id}/profile`, JSON or a form): the e-mail address
and birthday they add to their card, and whether the program may e-mail them offers (`marketing_consent`).
Checked as the join form checks them (core/enrollment.py), every fault at once (FormErrors)."""
from dataclasses import dataclass
from datetime import date

from chalicelib.core import enrollment as rules
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

FIELDS = {"email", "birthday", "locale", "marketing_consent"}  # `locale`: the page's language (a hidden field)


@dataclass(frozen=True)
class ProfilePost:
    email: str | None  # lower-cased; None: not sent (the card keeps what it has)
    birthday: str | None  # YYYY-MM-DD
    marketing: bool | None = None  # the e-mail offers box: given (True), withdrawn (False), not sent (None)
    locale: str | None = None  # the page's language: the words of the box recorded are in it


def read_profile(data: object, *, today: date) -> ProfilePost:
    data = v.require_object(data)
    v.reject_unknown(data, FIELDS)
    faults = rules.Faults()
    email = faults.check(lambda: v.read_str(data, "email", max_len=254, pattern=rules.EMAIL_PATTERN))
    birthday = faults.check(lambda: rules.read_birthday(data, today))  # the join form's own check
    locale = faults.check(lambda: v.read_str(data, "locale", max_len=5))
    marketing = faults.check(lambda: _box(data, "marketing_consent"))
    faults.raise_any()
    return ProfilePost(email.lower() if email else None, birthday, marketing, locale)


def _box(data: v.Fields, name: str) -> bool | None:
    """A checkbox: JSON's true or false, a form's "on" (ticked) or "off" (the page sends it unticked)."""
    value = data.get(name)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("on", "true", "yes", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("off", "false", "no", "0", ""):
        return False
    raise InvalidInput(f"'{name}' must be true or false.", code="invalid_type", field=name)

