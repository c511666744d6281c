"""The stored records that callers outside store/ hold, under the names they know them by.

Callers read a card's or a program's fields and hand the record back to store functions; they never
query, build or write one themselves. Naming the types here is what lets them do that without importing
the PynamoDB models: outside store/, nothing imports `store.models` or `pynamodb`.
"""

from chalicelib.store.models import Card, LedgerEntry, Merchant, PosKey, Program, Receipt

__all__ = ["Card", "LedgerEntry", "Merchant", "PosKey", "Program", "Receipt"]
