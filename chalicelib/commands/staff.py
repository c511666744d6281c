"""What the staff routes' bodies say: an invitation and a change (role and/or a cashier's locations), read
strictly at the edge. Whether each location is an open one of the merchant's is the use case's check."""
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.core import validation as v
from chalicelib.core.enrollment import EMAIL_PATTERN
from chalicelib.core.locations import MAX_LOCATIONS
from chalicelib.errors import InvalidInput, RuleViolation

# The roles a merchant's staff can hold (the platform role is the operator's, never a merchant's).
STAFF_ROLES = ("owner", "manager", "analyst", "cashier")
CASHIER = "cashier"  # the one role tied to locations: the others see every location
LANGUAGES = ("ru", "en")
STAFF_ID_PATTERN = r"[A-Za-z0-9-]{1,64}"  # a Cognito sub (a UUID)


@dataclass(frozen=True)
class NewStaffMember:
    email: str  # lower case: the pool's user names are case-insensitive, our records too
    role: str
    name: str | None
    language: str
    location_ids: tuple[str, ...] | None = None  # a cashier's locations (never empty); None for the other roles


@dataclass(frozen=True)
class RoleChange:
    """PATCH /admin/staff/{id}: a new role and/or a cashier's new locations (None: not sent)."""

    role: str | None
    location_ids: tuple[str, ...] | None = None


def read_location_ids(data: Mapping[str, object]) -> tuple[str, ...] | None:
    """`location_ids`: a list of location ids, duplicates dropped (None: not sent or null)."""
    if data.get("location_ids") is None:
        return None
    raw = v.read_list(data, "location_ids", max_items=MAX_LOCATIONS)
    ids: list[str] = []
    for index, item in enumerate(raw):
        field = f"location_ids[{index}]"
        if not isinstance(item, str):
            raise InvalidInput(f"'{field}' must be a location id (a string).", code="invalid_type", field=field)
        if not re.fullmatch(v.ID_PATTERN, item):
            raise InvalidInput(f"'{field}' is not a location id.", code="invalid_format", field=field)
        if item not in ids:
            ids.append(item)
    return tuple(ids)


def check_locations(role: str, location_ids: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """A cashier needs at least one location; the other roles see every location and take none."""
    if role == CASHIER and not location_ids:
        raise RuleViolation("A cashier works at one or more locations: choose them.", code="location_required",
                            field="location_ids")
    if role != CASHIER and location_ids is not None:
        raise RuleViolation("Only a cashier is tied to locations; the other roles see every location.",
                            code="invalid_value", field="location_ids")
    return location_ids


def read_invitation(data: Mapping[str, object]) -> NewStaffMember:
    v.reject_unknown(data, {"email", "role", "name", "language", "location_ids"})
    email = v.read_str(data, "email", required=True, max_len=254, pattern=EMAIL_PATTERN)
    role = v.read_str(data, "role", required=True, choices=STAFF_ROLES)
    name = v.read_str(data, "name", max_len=100)
    language = v.read_str(data, "language", default="ru", choices=LANGUAGES)
    location_ids = check_locations(role, read_location_ids(data))
    return NewStaffMember(email.lower(), role, name, language, location_ids)


def read_role_change(data: Mapping[str, object]) -> RoleChange:
    v.reject_unknown(data, {"role", "location_ids"})
    role = v.read_str(data, "role", choices=STAFF_ROLES)
    location_ids = read_location_ids(data)
    if role is None and location_ids is None:
        raise InvalidInput("Send 'role' and/or 'location_ids'.", code="required", field="role")
    return RoleChange(role, location_ids)
