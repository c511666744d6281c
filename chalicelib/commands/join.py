"""What a customer's enrollment post says (`POST /join/{slug}`, JSON or a form): read once at the route.

Two steps, because the rate limits come between them: `read_join_post` only sets the confirmation code
and the card's language apart (nothing is refused yet, so a rate-limited caller learns nothing about its
form); `read_enrollment` then checks the form with the rules of core/enrollment.py, once, for both the
confirmation and the enrollment."""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from chalicelib.core import enrollment as rules

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
