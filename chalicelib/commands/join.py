"""What a customer's enrollment post says (`POST /join/{slug}`, JSON or a form): read once at the route.

Two steps, because the rate limits come between them: `read_join_post` only sets the confirmation code
and the card's language apart (nothing is refused yet, so a rate-limited caller learns nothing about its
form); `read_enrollment` then checks the form with the rules of core/enrollment.py, once, for both the
confirmation and the enrollment."""
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from chalicelib.core import enrollment as rules
from chalicelib.core import phone as phones
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

LOCALES = ("ru", "en")


@dataclass(frozen=True)
class JoinPost:
    values: Mapping[str, object]  # the fields sent, less the code: a form shown again keeps them
    code: object  # the one-time code (None: not sent); only with phone confirmation on, checked by guards
    locale: str  # the card's language: the form's choice, else the page's


def read_join_post(data: Mapping[str, object], *, confirming: bool, page_locale: str) -> JoinPost:
    """Without phone confirmation a `code` stays among the fields, where the form check refuses it as unknown."""
    values = dict(data)
    code = values.pop("code", None) if confirming else None
    chosen = values.get("locale")
    return JoinPost(values=MappingProxyType(values), code=code,
                    locale=chosen if isinstance(chosen, str) and chosen in LOCALES else page_locale)


def read_enrollment(post: JoinPost, *, country: str, today: date) -> rules.Enrollment:
    return rules.parse(dict(post.values), country=country, today=today)


RECOVERY_FIELDS = {"phone", "email", "contact", "locale"}


@dataclass(frozen=True)
class RecoveryPost:
    """`POST /join/{slug}/recover`: the phone or e-mail address a member enrolled with."""

    phone: str | None
    email: str | None


def read_recovery(data: object, *, country: str) -> RecoveryPost:
    """Exactly one of `phone`, `email` or `contact` (the join page's one box: an address if it has an @,
    else a phone), normalised as enrollment normalises them; `locale` is the page's and is ignored."""
    data = v.require_object(data)
    v.reject_unknown(data, RECOVERY_FIELDS)
    given = [name for name in ("phone", "email", "contact") if data.get(name) not in (None, "")]
    if len(given) != 1:
        field = given[-1] if given else "contact"
        raise InvalidInput("Send exactly one of 'phone', 'email' or 'contact'.", code="required", field=field)
    field = given[0]
    text = v.read_str(data, field, required=True, max_len=254)
    if field == "email" or (field == "contact" and "@" in text):
        if not re.fullmatch(rules.EMAIL_PATTERN, text):
            raise InvalidInput(f"'{field}' is not an e-mail address.", code="invalid_format", field=field)
        return RecoveryPost(phone=None, email=text.lower())
    return RecoveryPost(phone=phones.normalise(text, country, field=field), email=None)
