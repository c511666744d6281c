"""The merchant's staff: who is signed in (`me`), invitations, role changes and removals.

The Cognito pool holds each person's password and MFA; our record (store/staff.py) holds their role and
status and is what the API trusts (auth.py reads it for every Cognito token, cached 30 s per process).
An owner manages only their own merchant's staff; another merchant's member is 404 like anything else.
An owner cannot remove or demote themself (`409 own_account`), and the last owner of a merchant cannot be
removed or demoted (`409 last_owner`): a merchant always keeps someone who can manage the staff.
"""
import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import TypedDict

from chalicelib import auth, log
from chalicelib.accounts import cognito, invitation
from chalicelib.commands.staff import CASHIER, NewStaffMember, RoleChange, check_locations
from chalicelib.errors import Conflict, NotFound, RuleViolation
from chalicelib.store import db
from chalicelib.store import merchants as merchant_store
from chalicelib.store import staff as staff_store
from chalicelib.store.staff import Member
from chalicelib.usecases import audit


class StaffView(TypedDict):
    id: str
    email: str
    name: str | None
    role: str
    status: str  # invited | active | disabled
    created_at: str
    location_ids: list[str] | None  # a cashier's locations; None: every location (the other roles)


class MerchantRef(TypedDict):
    id: str
    name: str


class MeView(TypedDict):
    subject: str
    role: str
    email: str | None
    merchant: MerchantRef | None
    permissions: list[str]


def view(member: Member) -> StaffView:
    return {"id": member.staff_id, "email": member.email, "name": member.name, "role": member.role,
            "status": member.status, "created_at": member.created_at,
            "location_ids": None if member.locations is None else list(member.locations)}


def me(principal: auth.Principal, now: datetime) -> MeView:
    """Who the token belongs to and what they may do. A staff member's first call after signing in turns
    their invitation `active`."""
    merchant: MerchantRef | None = None
    if principal.merchant_id:
        try:
            found = merchant_store.get(principal.merchant_id)
            merchant = {"id": found.merchant_id, "name": found.name}
        except NotFound:
            merchant = None
        member = staff_store.get(principal.merchant_id, principal.subject)
        if member is not None and member.status == "invited":
            with contextlib.suppress(staff_store.MemberChanged):  # removed or changed meanwhile: seen next call
                staff_store.change(member, now, status="active")
    return {"subject": principal.subject, "role": principal.role, "email": principal.email, "merchant": merchant,
            "permissions": principal.permissions}


def listing(merchant_id: str) -> list[StaffView]:
    return [view(member) for member in staff_store.list_for_merchant(merchant_id)]


def _by_email(merchant_id: str, email: str) -> Member | None:
    return next((m for m in staff_store.list_for_merchant(merchant_id) if m.email == email), None)


def _unanswered(member: Member) -> bool:
    """The member never signed in: their temporary password was never changed."""
    user = cognito.find(member.email)
    return user is not None and user.sub == member.staff_id and user.status == "FORCE_CHANGE_PASSWORD"


def invite(merchant_id: str, new: NewStaffMember, invited_by: str | None, now: datetime,
           deliver: Callable[[invitation.Invitation], object] | None = None) -> StaffView:
    """A new member of the staff: a pool user with a temporary password and our invitation letter (`deliver`:
    another way to hand it over, the CLI's terminal). The same e-mail again while the invitation is
    unanswered sends a new letter with a new temporary password."""
    merchant = merchant_store.get(merchant_id)
    _check_open(merchant_id, new.location_ids)
    password = cognito.temporary_password()
    existing = _by_email(merchant_id, new.email)
    if existing is not None and existing.status == "disabled":  # removed before: welcome back
        cognito.enable(existing.username, new.role, password)
        try:
            member = staff_store.change(existing, now, role=new.role, status="invited", locations=new.location_ids)
        except staff_store.MemberChanged:
            raise Conflict("The member changed meanwhile; reload and try again.", code="edit_conflict") from None
        auth.forget_staff(merchant_id, existing.staff_id)
    elif existing is not None:
        if existing.status != "invited" or existing.role != new.role or not _unanswered(existing):
            raise Conflict("This e-mail is already on the staff.", code="staff_exists", field="email")
        cognito.reset_temporary_password(existing.username, password)
        member = existing
        if existing.locations != new.location_ids:  # the letter again, for the locations chosen now
            try:
                member = staff_store.change(existing, now, locations=new.location_ids)
            except staff_store.MemberChanged:
                raise Conflict("The member changed meanwhile; reload and try again.", code="edit_conflict") from None
    else:
        user = cognito.create_user(new.email, merchant_id=merchant_id, role=new.role, name=new.name,
                                   password=password)
        stamp = db.iso(now)
        member = staff_store.insert(Member(merchant_id=merchant_id, staff_id=user.sub, username=user.username,
                                           email=new.email, name=new.name, role=new.role, status="invited",
                                           language=new.language, created_at=stamp, created_by=invited_by,
                                           updated_at=stamp, locations=new.location_ids))
    letter = invitation.Invitation(email=new.email, name=new.name, role=new.role, language=new.language,
                                   merchant_name=merchant.name, password=password)
    (deliver or invitation.send)(letter)
    # the trail keeps the new member's id, role and locations: their e-mail and name stay in the staff record
    audit.note(target_type="staff", target_id=member.staff_id)
    audit.changed("staff", None, {"role": new.role, "location_ids": _listed(new.location_ids)})
    log.info("staff_invited", merchant_id=merchant_id, staff_id=member.staff_id, role=new.role)
    return view(member)


def _listed(location_ids: tuple[str, ...] | None) -> list[str] | None:
    return None if location_ids is None else list(location_ids)


def add_with_password(merchant_id: str, new: NewStaffMember, password: str, now: datetime) -> Member:
    """A member who signs in with `password` at once, no letter (the local stack's demo owner). A record
    whose pool user is gone (moto forgets its users when it restarts) is replaced."""
    existing = _by_email(merchant_id, new.email)
    user = cognito.find(new.email)
    if user is None:
        user = cognito.create_user(new.email, merchant_id=merchant_id, role=new.role, name=new.name,
                                   password=password)
    cognito.set_password(user.username, password)
    if existing is not None and existing.staff_id == user.sub:
        return existing
    if existing is not None:
        staff_store.forget(existing)
    stamp = db.iso(now)
    return staff_store.insert(Member(merchant_id=merchant_id, staff_id=user.sub, username=user.username,
                                     email=new.email, name=new.name, role=new.role, status="active",
                                     language=new.language, created_at=stamp, created_by="make dev",
                                     updated_at=stamp))


def _member(merchant_id: str, staff_id: str) -> Member:
    member = staff_store.get(merchant_id, staff_id)
    if member is None:
        raise NotFound("No such staff member.")
    return member


def _keep_an_owner(principal: auth.Principal, member: Member) -> None:
    if member.staff_id == principal.subject:
        raise Conflict("You cannot remove yourself or change your own role; ask another owner.", code="own_account")
    if member.role == "owner":
        owners = [m for m in staff_store.list_for_merchant(member.merchant_id)
                  if m.role == "owner" and m.status != "disabled"]
        if len(owners) <= 1:
            raise Conflict("The merchant's last owner cannot be removed or demoted.", code="last_owner")


def _check_open(merchant_id: str, location_ids: tuple[str, ...] | None) -> None:
    """Each location is an open location of one of the merchant's programs (else 422 unknown_location)."""
    if not location_ids:
        return
    from chalicelib.usecases import till  # lazy: the till's receipt path (+12 ms) stays out of GET /admin/me

    known = {place.location.location_id for place in till.open_locations(merchant_id)}
    for index, location_id in enumerate(location_ids):
        if location_id not in known:
            raise RuleViolation("No open location with this id in your programs.", code="unknown_location",
                                field=f"location_ids[{index}]")


def change_role(principal: auth.Principal, staff_id: str, change: RoleChange, now: datetime) -> StaffView:
    """A new role and/or (a cashier's) new locations. Away from cashier the locations go; to cashier they
    are needed; the other roles take none."""
    member = _member(principal.merchant_id or "", staff_id)
    role = change.role or member.role
    if role == CASHIER:
        locations = change.location_ids if change.location_ids is not None else member.locations
    else:
        locations = change.location_ids
    locations = check_locations(role, locations)
    if member.role == role and member.locations == locations:
        return view(member)
    if member.status == "disabled":
        raise Conflict("This member was removed; invite them again (POST /admin/staff) instead.",
                       code="staff_disabled")
    if change.location_ids is not None:
        _check_open(member.merchant_id, locations)
    if member.role != role:
        _keep_an_owner(principal, member)
        cognito.set_role(member.username, role)
    try:
        changed = staff_store.change(member, now, role=role if member.role != role else None, locations=locations)
    except staff_store.MemberChanged:
        raise Conflict("The member changed meanwhile; reload and try again.", code="edit_conflict") from None
    auth.forget_staff(member.merchant_id, member.staff_id)
    audit.changed("staff", {"role": member.role, "location_ids": _listed(member.locations)},
                  {"role": role, "location_ids": _listed(locations)})
    log.info("staff_role_changed", merchant_id=member.merchant_id, staff_id=member.staff_id, role=role)
    return view(changed)


def remove(principal: auth.Principal, staff_id: str, now: datetime) -> None:
    """The member can no longer sign in and their refresh tokens are revoked; the record stays, `disabled`."""
    member = _member(principal.merchant_id or "", staff_id)
    if member.status == "disabled":
        return
    _keep_an_owner(principal, member)
    cognito.disable(member.username, member.email)
    try:
        staff_store.change(member, now, status="disabled")
    except staff_store.MemberChanged:  # a role changed meanwhile: the pool user is disabled all the same
        staff_store.change(_member(member.merchant_id, staff_id), now, status="disabled")
    auth.forget_staff(member.merchant_id, member.staff_id)
    audit.changed("staff", {"status": member.status}, {"status": "disabled"})
    log.info("staff_removed", merchant_id=member.merchant_id, staff_id=member.staff_id)
