"""A merchant's staff: our record of each console user (the Cognito pool holds their password and MFA).

Records are keyed by merchant, so every read names the caller's merchant and another merchant's staff
are simply not found. Callers get `Member`, a frozen copy of the item; a change is a store function.
"""
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.store import db
from chalicelib.store.models import StaffMember

MAX_STAFF = 500  # a merchant's whole staff is read in one listing; far above a chain's managers and cashiers


class MemberExists(Exception):
    """A record with this id (the Cognito user's sub) is already there."""


class MemberChanged(Exception):
    """The record changed (or went) between reading and writing it."""


@dataclass(frozen=True)
class Member:
    merchant_id: str
    staff_id: str  # the Cognito user's sub: the `sub` of their tokens
    username: str  # the pool's user name (the Admin* calls take it)
    email: str
    name: str | None
    role: str
    status: str  # invited | active | disabled
    language: str
    created_at: str
    created_by: str | None
    updated_at: str | None
    locations: tuple[str, ...] | None = None  # a cashier's location ids; None: every location (the other roles)


def _member(item: StaffMember) -> Member:
    return Member(merchant_id=item.merchant_id, staff_id=item.staff_id, username=item.username, email=item.email,
                  name=item.name, role=item.role, status=item.status, language=item.language,
                  created_at=item.created_at, created_by=item.created_by, updated_at=item.updated_at,
                  locations=None if item.locations is None else tuple(item.locations))


def insert(member: Member) -> Member:
    item = StaffMember(member.merchant_id, member.staff_id, username=member.username, email=member.email,
                       name=member.name, role=member.role, status=member.status, language=member.language,
                       created_at=member.created_at, created_by=member.created_by, updated_at=member.updated_at,
                       locations=None if member.locations is None else list(member.locations))
    try:
        item.save(condition=StaffMember.staff_id.does_not_exist())
    except PutError as error:
        if db.is_condition_failure(error):
            raise MemberExists(member.staff_id) from None
        raise
    return member


def get(merchant_id: str, staff_id: str) -> Member | None:
    if not merchant_id or not staff_id:
        return None
    try:
        return _member(StaffMember.get(merchant_id, staff_id))
    except StaffMember.DoesNotExist:
        return None


def list_for_merchant(merchant_id: str) -> list[Member]:
    """Every member of the merchant's staff, oldest first."""
    items = [_member(item) for item in StaffMember.query(merchant_id, limit=MAX_STAFF)]
    return sorted(items, key=lambda member: (member.created_at, member.staff_id))


KEEP = ("keep",)  # `change(locations=KEEP)`: the locations stay as they are


def change(member: Member, now: datetime, *, role: str | None = None, status: str | None = None,
           locations: tuple[str, ...] | None = KEEP) -> Member:
    """Write a new role, status and/or locations (None: none, every location) over the record as it was read
    (another change in between: MemberChanged)."""
    actions: list[Action] = [StaffMember.updated_at.set(db.iso(now))]
    if role is not None:
        actions.append(StaffMember.role.set(role))
    if status is not None:
        actions.append(StaffMember.status.set(status))
    if locations is None:
        actions.append(StaffMember.locations.remove())
    elif locations is not KEEP:
        actions.append(StaffMember.locations.set(list(locations)))
    item = StaffMember(member.merchant_id, member.staff_id)
    try:
        item.update(actions=actions, condition=StaffMember.staff_id.exists() & (StaffMember.role == member.role)
                    & (StaffMember.status == member.status))
    except UpdateError as error:
        if db.is_condition_failure(error):
            raise MemberChanged(member.staff_id) from None
        raise
    return _member(item)


def forget(member: Member) -> None:
    """Delete a record whose pool user no longer exists (the local stand-in forgets its users on restart)."""
    StaffMember(member.merchant_id, member.staff_id).delete()
