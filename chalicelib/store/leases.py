"""Leases: a run that must not overlap with a twin of itself (the nightly analytics of a program, which
two schedule deliveries or a hand-started run could otherwise fold at once) holds a lease item in the
aliases table, `lease#<name>`, with its holder and the moment it runs out. A twin finds it held and
leaves the work to the holder; a holder that died frees it by running out (and TTL removes it later)."""
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.store import db
from chalicelib.store.models import Alias


def _key(name: str) -> str:
    return f"lease#{name}"


def acquire(name: str, holder: str, now: datetime, seconds: float) -> bool:
    """Take (or renew) the lease for `seconds` unless another holder has it and it has not run out."""
    until = now + timedelta(seconds=seconds)
    try:
        Alias(_key(name), owner_id=holder, created_at=db.iso(now), expires_at=until).save(
            condition=Alias.alias.does_not_exist() | (Alias.owner_id == holder) | (Alias.expires_at < now))
        return True
    except PutError as error:
        if db.is_condition_failure(error):
            return False
        raise


def release(name: str, holder: str) -> None:
    """Give the lease back (only if still ours: one that ran out may have a new holder)."""
    try:
        Alias(_key(name)).delete(condition=Alias.owner_id == holder)
    except DeleteError as error:
        if not db.is_condition_failure(error):
            raise
