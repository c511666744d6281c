"""What admins see of the outbox: a program's parked deliveries (given up on after repeated failures,
or refused for good), each with its reason, and putting one back in the queue."""
import base64
import binascii
from datetime import datetime
from typing import Any, Literal, TypedDict

from chalicelib.channels import registry as channels
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.store import outbox as outbox_store
from chalicelib.store.records import Program
from chalicelib.usecases import notices

STATES = ("parked",)
# the wallet's own items; a channel's message shows as the channel's name (email, telegram, ...)
KINDS = {"pass": "apple_push", "google": "google_object", "gclass": "google_class", "gnotice": "google_message",
         "notice": "delayed_message", "refresh": "program_refresh"}


class ParkedItemView(TypedDict):
    """A parked delivery as admins see it (the API's OutboxItem)."""

    id: str
    kind: str
    card_id: str | None
    campaign_id: str | None
    attempts: int
    reason: str | None
    created_at: str
    parked_at: str | None


class RequeuedItemView(ParkedItemView):
    """A parked delivery put back in the queue."""

    state: Literal["queued"]


def item_id(item_key: str) -> str:
    """An item's id in URLs: its key, base64url without padding (keys hold '#')."""
    return base64.urlsafe_b64encode(item_key.encode()).decode().rstrip("=")


def _item_key(raw: str | None, field: str) -> str:
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode() if raw and len(raw) <= 400 else ""
    except (binascii.Error, ValueError):
        key = ""
    if not key or "#" not in key:
        raise InvalidInput(f"'{field}' is not an outbox item id.", code="invalid_value", field=field)
    return key


def kind_of(item_key: str) -> str:
    channel = channels.of_item(item_key)
    return channel.name if channel is not None else KINDS.get(item_key.split("#", 1)[0], "other")


def view(item: Any) -> ParkedItemView:
    payload = item.payload or {}
    return {"id": item_id(item.item_key), "kind": kind_of(item.item_key),
            "card_id": item.card_id, "campaign_id": payload.get("campaign_id"), "attempts": int(item.attempts),
            "reason": item.last_error, "created_at": item.created_at, "parked_at": item.parked_at}


def listing(program: Program, state: str | None, limit: int,
            cursor: str | None) -> tuple[list[ParkedItemView], str | None]:
    if (state or "parked") not in STATES:
        raise InvalidInput("'state' must be 'parked'.", code="invalid_value", field="state")
    items, last = outbox_store.parked(program.program_id, limit, _item_key(cursor, "cursor") if cursor else None)
    return [view(item) for item in items], (item_id(last) if last else None)


def retry(program: Program, raw_id: str, now: datetime) -> RequeuedItemView:
    """Back in the queue, due now, attempts from zero; a message counted as failed is no longer."""
    again = outbox_store.unpark(program.program_id, _item_key(raw_id, "item_id"), now)
    if again is None:
        raise NotFound("No such parked item.")
    notices.retried(again)
    return {**view(again), "state": "queued"}
