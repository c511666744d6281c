"""What a customer's profile post says (`POST /c/{card_id}/profile`, JSON or a form): the e-mail address
and birthday they add to their card. Checked as the join form checks them (core/enrollment.py), every
fault at once (FormErrors)."""
from dataclasses import dataclass
from datetime import date

from chalicelib.core import enrollment as rules
from chalicelib.core import validation as v

FIELDS = {"email", "birthday", "locale"}  # `locale`: the page's language (the form's hidden field)


@dataclass(frozen=True)
class ProfilePost:
    email: str | None  # lower-cased; None: not sent (the card keeps what it has)
    birthday: str | None  # YYYY-MM-DD


def read_profile(data: object, *, today: date) -> ProfilePost:
    data = v.require_object(data)
    v.reject_unknown(data, FIELDS)
    faults = rules.Faults()
    email = faults.check(lambda: v.read_str(data, "email", max_len=254, pattern=rules.EMAIL_PATTERN))
    birthday = faults.check(lambda: rules.read_birthday(data, today))  # the join form's own check
    faults.check(lambda: v.read_str(data, "locale", max_len=5))
    faults.raise_any()
    return ProfilePost(email.lower() if email else None, birthday)

