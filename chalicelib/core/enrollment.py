"""What a customer sends to join a program, checked and normalised."""
from dataclasses import dataclass
from datetime import date

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


def parse(data: object, *, country: str, today: date) -> Enrollment:
    data = v.require_object(data)
    v.reject_unknown(data, FIELDS)
    name = v.read_str(data, "name", required=True, max_len=100)
    phone = phones.normalise(data.get("phone"), country)
    email = v.read_str(data, "email", max_len=254, pattern=EMAIL_PATTERN)
    birthday = None
    raw_birthday = v.read_str(data, "birthday", max_len=10)
    if raw_birthday:
        day = v.parse_day(raw_birthday, "birthday")
        if day > today or day.year < today.year - 120:
            raise InvalidInput("The birthday must be a real date in the past.", code="invalid_value",
                               field="birthday")
        birthday = day.isoformat()
    if not _consent(data.get("consent")):
        raise InvalidInput("Consent to the program's terms is required to join.", code="consent_required",
                           field="consent")
    ref = v.read_str(data, "ref", max_len=16, pattern=r"[A-Za-z0-9]+")
    locale = v.read_str(data, "locale", max_len=5, choices=("ru", "en"))
    return Enrollment(name, phone, email.lower() if email else None, birthday, ref.upper() if ref else None, locale,
                      email_consent=bool(email) and _consent(data.get("marketing_consent")))
