"""What the staff routes' bodies say: an invitation and a role change, read strictly at the edge."""
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.core import validation as v
from chalicelib.core.enrollment import EMAIL_PATTERN

# The roles a merchant's staff can hold (the platform role is the operator's, never a merchant's).
STAFF_ROLES = ("owner", "manager", "analyst", "cashier")
LANGUAGES = ("ru", "en")
STAFF_ID_PATTERN = r"[A-Za-z0-9-]{1,64}"  # a Cognito sub (a UUID)


@dataclass(frozen=True)
class NewStaffMember:
    email: str  # lower case: the pool's user names are case-insensitive, our records too
    role: str
    name: str | None
    language: str


@dataclass(frozen=True)
class RoleChange:
    role: str


def read_invitation(data: Mapping[str, object]) -> NewStaffMember:
    v.reject_unknown(data, {"email", "role", "name", "language"})
    email = v.read_str(data, "email", required=True, max_len=254, pattern=EMAIL_PATTERN)
    role = v.read_str(data, "role", required=True, choices=STAFF_ROLES)
    name = v.read_str(data, "name", max_len=100)
    language = v.read_str(data, "language", default="ru", choices=LANGUAGES)
    return NewStaffMember(email.lower(), role, name, language)


def read_role_change(data: Mapping[str, object]) -> RoleChange:
    v.reject_unknown(data, {"role"})
    return RoleChange(v.read_str(data, "role", required=True, choices=STAFF_ROLES))
