"""Merchants: the tenants. Every other object carries its merchant_id."""
from datetime import datetime

from chalicelib.errors import NotFound
from chalicelib.store import db, ids
from chalicelib.store.models import Merchant


def create(name: str, now: datetime) -> Merchant:
    merchant = Merchant(ids.new_id("m"), name=name, created_at=db.iso(now))
    merchant.save(condition=Merchant.merchant_id.does_not_exist())
    return merchant


def get(merchant_id: str) -> Merchant:
    try:
        return Merchant.get(merchant_id)
    except Merchant.DoesNotExist:
        raise NotFound("No such merchant.") from None


def list_all(limit: int, cursor: str | None) -> tuple[list[Merchant], str | None]:
    """Every merchant, page by page (the platform operator's view; merchants are few, so a scan)."""
    start = {"merchant_id": {"S": cursor}} if cursor else None
    result = Merchant.scan(limit=limit, last_evaluated_key=start)
    items = list(result)
    last = result.last_evaluated_key
    return items, last["merchant_id"]["S"] if last else None
