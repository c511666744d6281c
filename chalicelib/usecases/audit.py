"""The audit trail (issue 19, part AUDIT): every admin write, and every system action on members' data, as
one append-only entry of who, when, from where, and what changed.

How callers use it (the seam other parts rely on; part AUDIT implements the bodies):
- the HTTP middleware calls `begin` when an admin request starts and `finish` when its answer is ready:
  a write (any non-GET admin route, and the GET routes that export data) that answered < 400 becomes one
  entry, with the route's action name, its target and whatever the use cases noted meanwhile;
- a use case that changes settings calls `changed(section, before, after)`; one that wants to say more
  calls `note(...)` (target, program, counts); both are no-ops outside an admin request;
- work with no request behind it (the retention job's erasures, the command line) calls `record(...)`.
Entries carry ids and settings, never members' personal data or secrets.
"""
from collections.abc import Mapping
from datetime import datetime


def begin(*, actor: str, merchant_id: str | None, role: str | None, actor_email: str | None,
          source_ip: str | None, user_agent: str | None, method: str, route: str,
          path_params: Mapping[str, str]) -> None:
    """The admin request now being served is this principal's (called once its token is verified)."""


def note(*, program_id: str | None = None, target_type: str | None = None, target_id: str | None = None,
         **detail: object) -> None:
    """Add to the current request's entry: its program, its target, and details (counts, ids, kinds)."""


def changed(section: str, before: Mapping[str, object] | None, after: Mapping[str, object] | None) -> None:
    """Settings of `section` (e.g. 'mechanics', 'branding') went from `before` to `after`: the entry keeps
    the fields that differ, each as [before, after], with secrets masked."""


def finish(status: int, now: datetime) -> None:
    """The current admin request answered `status`: write its entry if it was a write that succeeded."""


def record(merchant_id: str, *, actor: str, action: str, now: datetime, program_id: str | None = None,
           target_type: str | None = None, target_id: str | None = None,
           changes: Mapping[str, object] | None = None, detail: Mapping[str, object] | None = None) -> None:
    """An entry for work no admin request carries (actor 'system:retention', 'cli')."""
