"""Finding a member's card again by the e-mail they enrolled with (a lost card link, see
usecases/recovery.py). Phones are unique per program and already have their alias (store/cards.py);
e-mail addresses are not unique, so this alias is simply the latest card that enrolled with one.
The address is stored hashed: the key names no person."""
import hashlib
from datetime import datetime

from chalicelib.store import db
from chalicelib.store.models import Alias


def alias_key(program_id: str, email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"email#{program_id}#{digest}"


def remember_email(program_id: str, email: str, card_id: str, now: datetime) -> None:
    """One PutItem: the card that enrolled with `email` last is the one a recovery finds."""
    Alias(alias_key(program_id, email), owner_id=card_id, program_id=program_id, created_at=db.iso(now)).save()


def card_id_by_email(program_id: str, email: str) -> str | None:
    try:
        return Alias.get(alias_key(program_id, email)).owner_id
    except Alias.DoesNotExist:
        return None
