"""What callers outside store/ hold, under the names they know them by.

`Program` is a domain object: a frozen dataclass the store builds from the stored item (store/programs.py)
and takes back; nothing outside store/ can change or save it. The others (`Card`, `LedgerEntry`,
`Merchant`, `PosKey`, `Receipt`) are still the store's records, the PynamoDB models themselves: callers
read their fields and hand them back to store functions; they never query, build or write one. Naming
the types here is what lets them do that without importing the models: outside store/, nothing imports
`store.models` or `pynamodb`.
"""
from dataclasses import dataclass
from typing import Any

from chalicelib.store.models import Card, LedgerEntry, Merchant, PosKey, Receipt

__all__ = ["Card", "LedgerEntry", "Merchant", "PosKey", "Program", "Receipt"]


@dataclass(frozen=True)
class Program:
    """A merchant's loyalty program, as read from the store. Its attribute names are the stored item's."""

    program_id: str
    merchant_id: str
    created_key: str  # created_at + id: a stable order for listing
    name: str
    slug: str  # unique across the platform; never changes
    timezone: str
    currency: str
    country: str
    mechanics: dict[str, Any]  # as stored: read by `core.mechanics.from_stored`
    branding: dict[str, Any]
    limits: dict[str, Any] | None  # as stored: read by `core.limits.from_stored`; None: the defaults
    status: str  # active | paused
    created_at: str
    updated_at: str
    version: int  # the stored item's version: an edit is written only over the version it was read at
    messages: dict[str, dict[str, str]] | None = None  # owners' trigger texts (core/texts.py TRIGGERS); None: defaults
    experiments: dict[str, Any] | None = None  # running trigger experiments {subject: Design JSON} (core/experiments)
    locations: list[dict[str, Any]] | None = None  # its stores [Location JSON] (core/locations.from_stored); None: none
    retention: dict[str, Any] | None = None  # how long members' data is kept (core/retention.py); None: for ever
