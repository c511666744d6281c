"""One-time codes sent to a phone at enrollment: one Guard item per (program, phone), holding only a
salted hash of the code, its wrong attempts, and its expiry (DynamoDB's TTL removes it later; the
expiry is also checked here, since TTL deletion is not immediate)."""
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from chalicelib.store import db
from chalicelib.store.models import Guard


def guard_key(program_id: str, phone: str) -> str:
    return f"code#{program_id}#{hashlib.sha256(phone.encode()).hexdigest()[:24]}"


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def issue(program_id: str, phone: str, code: str, now: datetime, seconds: int) -> None:
    """Store a new code for the phone; it replaces any earlier one (and its count of wrong attempts)."""
    salt = secrets.token_hex(8)
    Guard(guard_key(program_id, phone), code_hash=f"{salt}${_hash(salt, code)}", attempts=0,
          expires_at=now.astimezone(UTC) + timedelta(seconds=seconds)).save()


def redeem(program_id: str, phone: str, code: str, now: datetime, max_attempts: int) -> bool:
    """True once for the right code within its time and attempts (the code is then used up); a wrong
    code counts an attempt, and after `max_attempts` of them the code is void."""
    key = guard_key(program_id, phone)
    try:
        item = Guard.get(key, consistent_read=True)
    except Guard.DoesNotExist:
        return False
    if not item.code_hash or item.expires_at <= now.astimezone(UTC):
        return False
    try:  # count the attempt first: parallel guesses cannot exceed the limit
        Guard(key).update(actions=[Guard.attempts.add(1)],
                          condition=(Guard.code_hash == item.code_hash) & (Guard.attempts < max_attempts))
    except Exception as error:
        if db.is_condition_failure(error):
            return False
        raise
    salt, _, expected = item.code_hash.partition("$")
    if not hmac.compare_digest(_hash(salt, code), expected):
        return False
    try:  # one use: only the request that deletes it wins
        Guard(key).delete(condition=Guard.code_hash == item.code_hash)
    except Exception as error:
        if db.is_condition_failure(error):
            return False
        raise
    return True
