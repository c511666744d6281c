"""Erasing a member (issue 19, part ERASE): every personal field of one card removed or irreversibly
anonymised in every table and index, the Apple pass voided and the Google object expired, while the
amounts and dates the business must keep, and the ledger's arithmetic, stay with no way back to the person.
"""
from datetime import datetime


def erase(card_id: str, *, merchant_id: str, actor: str, now: datetime) -> dict[str, object]:
    """Erase the member of `card_id` (a card of `merchant_id`'s; another merchant's answers NotFound).
    Idempotent: erasing an erased card answers the same report. Returns what was done, as counts."""
    raise NotImplementedError("part ERASE")
