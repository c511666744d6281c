"""A program's connections to shops and tills that post webhooks (Square, Shopify, Evotor, Tilda).

One item per program and provider, kept in the `receipts` table under the program's partition with the
key `integration#<provider>` (no new table: a connection is read by the same key as the program's
receipts, and it has no `created_key`, so the receipts' `by_time` index never lists it). The provider's
signing key is stored sealed (AES-GCM, usecases/connections.py); what can be hashed is hashed."""
from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.store import db, models

PREFIX = "integration#"


class ConnectionItem(Model):
    Meta = models._meta("receipts")
    program_id = UnicodeAttribute(hash_key=True)
    receipt_key = UnicodeAttribute(range_key=True)  # 'integration#<provider>'
    kind = UnicodeAttribute(default="integration")
    provider = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    sealed_secret = UnicodeAttribute(null=True)  # AES-GCM of the signing key (Square, Shopify)
    secret_hash = UnicodeAttribute(null=True)  # SHA-256 of a secret we issued (Evotor, Tilda)
    options = JSONAttribute(default=dict)  # provider settings: notification URL, form field names, …
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)


def put(*, program_id: str, merchant_id: str, provider: str, sealed_secret: str | None,  # noqa: PLR0913 (keywords)
        secret_hash: str | None, options: dict[str, Any], created_by: str | None, now: datetime) -> ConnectionItem:
    """Connect (or reconnect, replacing the key) a provider to a program."""
    item = ConnectionItem(program_id, PREFIX + provider, provider=provider, merchant_id=merchant_id,
                          sealed_secret=sealed_secret, secret_hash=secret_hash, options=options,
                          created_at=db.iso(now), created_by=created_by)
    item.save()
    return item


def get(program_id: str, provider: str) -> ConnectionItem | None:
    try:
        return ConnectionItem.get(program_id, PREFIX + provider)
    except ConnectionItem.DoesNotExist:
        return None


def delete(program_id: str, provider: str) -> bool:
    item = get(program_id, provider)
    if item is None:
        return False
    item.delete()
    return True


def list_for_program(program_id: str) -> list[ConnectionItem]:
    return list(ConnectionItem.query(program_id, ConnectionItem.receipt_key.startswith(PREFIX)))
