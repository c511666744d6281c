"""One-time claims on the aliases table (callback nonces and the like)."""
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError
from pynamodb.transactions import TransactWrite

from chalicelib.store import db
from chalicelib.store.models import Alias


def claim(alias: str, owner_id: str, now: datetime, keep_days: int = 30) -> bool:
    """True the first time `alias` is claimed, False ever after (for `keep_days`, then TTL removes it)."""
    try:
        Alias(alias, owner_id=owner_id, created_at=db.iso(now),
              expires_at=now + timedelta(days=keep_days)).save(condition=Alias.alias.does_not_exist())
        return True
    except PutError as error:
        if db.is_condition_failure(error):
            return False
        raise


def claim_in(tx: TransactWrite, alias: str, owner_id: str, now: datetime, keep_days: int = 30) -> None:
    """`claim` as part of a transaction: the transaction fails (a condition) if `alias` is already claimed."""
    tx.save(Alias(alias, owner_id=owner_id, created_at=db.iso(now), expires_at=now + timedelta(days=keep_days)),
            condition=Alias.alias.does_not_exist())


def exists(alias: str) -> bool:
    try:
        Alias.get(alias, consistent_read=True)
        return True
    except Alias.DoesNotExist:
        return False
