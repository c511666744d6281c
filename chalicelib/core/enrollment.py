"""What a customer sends to join a program, checked and normalised.

Every field is checked, and every fault reported at once (FormErrors): a person filling the join form
fixes them all in one go rather than meeting them one post at a time."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.core import phone as phones
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

FIELDS = {"name", "phone", "email", "birthday", "consent", "ref", "locale", "marketing_consent"}
EMAIL_PATTERN = r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}"


@dataclass(frozen=True)
class Enrollment:
    name: str
    phone: str
    email: str | None
    birthday: str | None
    ref: str | None
    locale: str | None
    email_consent: bool = False


def _consent(value: object) -> bool:
    # JSON sends true; an HTML checkbox sends "on" (or whatever value it has); both mean yes.
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("on", "true", "yes", "1")
    return False


class FormErrors(InvalidInput):
    """Every field at fault, in the form's order. It reads as the first of them (`code`, `field`,
    `message`: the JSON API's error contract); `errors` lists them all, and the body carries them
    as `error.errors` when there is more than one."""

    def __init__(self, errors: list[InvalidInput]):
        first = errors[0]
        super().__init__(first.message, code=first.code, field=first.field)
        self.errors = tuple(errors)

    def body(self) -> dict[str, Any]:
        answer = super().body()
        if len(self.errors) > 1:
            answer["error"]["errors"] = [{"code": e.code, "field": e.field, "message": e.message} for e in self.errors]
        return answer


class Faults:
    """Every fault of a customer's form, collected field by field so the person sees them all at once
    (`check` answers None for a field at fault; `raise_any` raises FormErrors if there were any)."""

    def __init__(self) -> None:
        self.found: list[InvalidInput] = []

    def check[T](self, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except InvalidInput as fault:
            self.found.append(fault)
            return None

    def raise_any(self) -> None:
        if self.found:
            raise FormErrors(self.found)


def read_birthday(data: v.Fields, today: date) -> str | None:
    """A form's `birthday`: a real day in the past (YYYY-MM-DD), or None when not given."""
    return _birthday(v.read_str(data, "birthday", max_len=10), today)


def _birthday(raw: str | None, today: date) -> str | None:
    if not raw:
        return None
    day = v.parse_day(raw, "birthday")
    if day > today or day.year < today.year - 120:
        raise InvalidInput("The birthday must be a real date in the past.", code="invalid_value", field="birthday")
    return day.isoformat()


def _consented(data: v.Fields) -> bool:
    if not _consent(data.get("consent")):
        raise InvalidInput("Consent to the program's terms is required to join.", code="consent_required",
                           field="consent")
    return True


def parse(data: object, *, country: str, today: date) -> Enrollment:
    data = v.require_object(data)
    v.reject_unknown(data, FIELDS)  # a form we never drew: its first stray field is enough to say so
    faults = Faults()
    name = faults.check(lambda: v.read_str(data, "name", required=True, max_len=100))
    phone = faults.check(lambda: phones.normalise(data.get("phone"), country))
    email = faults.check(lambda: v.read_str(data, "email", max_len=254, pattern=EMAIL_PATTERN))
    birthday = faults.check(lambda: read_birthday(data, today))
    faults.check(lambda: _consented(data))
    ref = faults.check(lambda: v.read_str(data, "ref", max_len=16, pattern=r"[A-Za-z0-9]+"))
    locale = faults.check(lambda: v.read_str(data, "locale", max_len=5, choices=("ru", "en")))
    faults.raise_any()
    assert name is not None and phone is not None  # required: a missing one is a fault above
    return Enrollment(name, phone, email.lower() if email else None, birthday, ref.upper() if ref else None, locale,
                      email_consent=bool(email) and _consent(data.get("marketing_consent")))
