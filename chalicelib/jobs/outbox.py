"""Delivers what the outbox holds: APNs pushes for changed passes, Google Wallet updates, messages
that waited for the end of the quiet hours, email and Telegram messages, program-wide refreshes.

Item by item, never all or nothing: each item is first claimed (a conditional write with a lease, so
the outbox stream, the minute schedule and a retried Lambda never deliver one item twice), then
delivered; whatever goes wrong with one item (any exception, any refusal) is that item's failure
alone: it is retried with backoff, and parked for an admin after MAX_ATTEMPTS (at once when the
service refused it for good), while the round goes on with the others.

For pushes: 410 removes the registration; 429, 5xx and network errors retry the item; other refusals
(a bad token) are logged and the device skipped. An item is removed only when its version is still the
one delivered, so a change made meanwhile still goes out. A push repeated after a timeout is harmless
(it only asks the device to fetch the pass), as is a Google update (a PATCH of the whole state, or a
message under an id derived from the item). Email and Telegram take no idempotency key: a send whose
answer never came, or an item taken over from a runner that died during it, is recorded as 'unknown'
and not sent again (at most once).
"""
import hashlib
import secrets
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import lazy, log, metrics
from chalicelib.channels import DeliveryUnknown, Refused
from chalicelib.channels import registry as channels
from chalicelib.store import cards as card_store
from chalicelib.store import db, devices
from chalicelib.store import erasure as erasure_store
from chalicelib.store import outbox as outbox_store
from chalicelib.store import programs as program_store
from chalicelib.usecases import google_wallet, notices
from chalicelib.wallet import google

if TYPE_CHECKING:
    from chalicelib.wallet import apns
else:
    # lazy: the APNs client pulls httpx with h2, +70 ms on the outbox job's cold start (python -X importtime);
    # loaded when there is a device to push to, not on every minute's run with nothing for Apple
    apns = lazy.module("chalicelib.wallet.apns")

Push = Callable[[str], Any]  # push token -> apns.PushResult
Counts = dict[str, int]

MAX_ATTEMPTS = 10
BACKOFF_SECONDS = 30
LEASE_SECONDS = 150  # longer than the outbox Lambda's timeout (120 s): a live runner never loses its claim
# A round takes no new item after this long, so even with every service hanging up to its timeouts
# (the slowest item: Google's 4 tries of 5 s) it ends well inside the Lambda's 120 s; the rest is
# the next round's.
ROUND_SECONDS = 75


class RetryLater(Exception):
    """Part of the item did not go through for a reason that may pass (APNs busy)."""


def deliver(now: datetime | None = None, push: Push | None = None, items: list[Any] | None = None) -> Counts:
    """One pass over the due items (or over `items`, say those a stream just announced).
    `push(token) -> PushResult` defaults to the APNs client."""
    now = now or datetime.now(UTC)
    owner = secrets.token_hex(8)  # this runner's claims
    counts: Counts = {"items": 0, "pushed": 0, "gone": 0, "retry": 0, "failed": 0, "dead": 0}
    due = outbox_store.due(now) if items is None else [
        i for i in items if i.queue == outbox_store.WALLET and int(i.due_at) <= db.micros(now)]
    if due or items is None:  # how long the oldest undelivered item has waited: an alarm watches this
        oldest = min((datetime.fromisoformat(item.created_at) for item in due), default=now)
        metrics.emit({"OutboxOldestAgeSeconds": round(max(0.0, (now - oldest).total_seconds()), 3)})
    started = time.monotonic()
    for position, item in enumerate(due):
        if position and time.monotonic() - started > ROUND_SECONDS:
            counts["deferred"] = len(due) - position
            log.warning("outbox_round_out_of_time", deferred=len(due) - position)
            break
        try:  # the lease runs from the claim's own moment, late in a long round too
            claim = outbox_store.claim(item, owner, now + timedelta(seconds=time.monotonic() - started),
                                       LEASE_SECONDS)
        except Exception as error:  # noqa: BLE001 - the store hiccuped on this item: the next round retries it
            log.error("outbox_claim_failed", item=item.item_key, error=type(error).__name__)
            continue
        if claim is None:
            counts["skipped"] = counts.get("skipped", 0) + 1  # another runner has it
            continue
        counts["items"] += 1
        try:
            _deliver_one(item, owner, claim, now, push, counts=counts)
        except Exception as error:  # noqa: BLE001 - any failure is this item's alone
            _failed(item, owner, error, now, counts)
    if counts["items"]:
        log.info("outbox_delivered", **counts)
        metrics.emit({"PushesSent": counts["pushed"], "PushesFailed": counts["failed"] + counts.get("dead_pushes", 0),
                      "GoogleUpdates": counts.get("google", 0), "OutboxRetried": counts["retry"],
                      "OutboxParked": counts["dead"]})
    return counts


def run(day: date | None) -> Counts:
    return deliver()


def _deliver_one(item: Any, owner: str, claim: str, now: datetime, push: Push | None, *, counts: Counts) -> None:
    """Deliver one claimed item; returns when it is finished with, raises when it should be retried."""
    kind = item.item_key.split("#", 1)[0]
    if kind == "refresh":
        counts["refreshed"] = counts.get("refreshed", 0) + _refresh_page(item, owner, now)
        return
    if channels.of_item(item.item_key) is not None:  # a message of a channel that sends from the outbox
        counts["messages"] = counts.get("messages", 0) + _channel_message(item, owner, claim, now)
        return
    if kind == erasure_store.FORGET:  # an erased member's last Apple registrations (usecases/erasure.py)
        counts["forgotten"] = counts.get("forgotten", 0) + erasure_store.drop_registrations(item.card_id)
    elif kind == "notice":
        counts["notices"] = counts.get("notices", 0) + _delayed_notice(item, now)
    elif kind in ("google", "gclass", "gnotice"):
        counts["google"] = counts.get("google", 0) + _google(item, now)
    else:
        _push(item, push, counts)
    outbox_store.done(item, owner)


def _push(item: Any, push: Push | None, counts: Counts) -> None:
    registrations = devices.devices_of(item.card_id)
    if not registrations:
        return
    registrations = [registration for registration in registrations if registration.push_token]  # '': erased
    if not registrations:
        return
    send = push or apns.client().push  # the APNs client, set up only when there is someone to push to
    retry = []
    for registration in registrations:
        result = send(registration.push_token)
        if result.delivered:
            counts["pushed"] += 1
        elif result.gone:
            counts["gone"] += 1
            devices.unregister(registration.device_id, registration.pass_type_id, registration.serial)
        elif result.retry:
            retry.append(result)
        else:
            counts["failed"] += 1
            log.warning("push_refused", card_id=item.card_id, status=result.status, reason=result.reason)
    if retry:
        raise RetryLater(f"APNs {retry[0].status} {retry[0].reason or ''}".strip())
    if (item.payload or {}).get("erased"):  # the push that voids an erased member's pass went out: its
        erasure_store.forget_push_tokens(item.card_id)  # tokens are no longer needed (usecases/erasure.py)


def _permanent(item: Any, error: Exception) -> bool:
    """Refused for good by the service: retrying will not help, an admin has to look."""
    if isinstance(error, google.GoogleError):
        return 400 <= error.status < 500 and error.status not in (401, 408, 409, 429)
    channel = channels.of_item(item.item_key)
    return channel.is_permanent(error) if channel is not None else isinstance(error, Refused)


def _failed(item: Any, owner: str, error: Exception, now: datetime, counts: Counts) -> None:
    """The item failed: retry it later with backoff, or park it (after MAX_ATTEMPTS, or at once when
    refused for good). A failure here is logged and leaves the item to the next round (lease expiry)."""
    reason = log.scrub(f"{type(error).__name__}: {str(error)[:250]}")  # kept and shown: no addresses in it
    attempts = int(item.attempts) + 1
    try:
        if attempts < MAX_ATTEMPTS and not _permanent(item, error):
            counts["retry"] += 1
            delay = min(3600, BACKOFF_SECONDS * 2 ** int(item.attempts))
            outbox_store.retry_later(item, owner, db.micros(now) + delay * 1_000_000, reason)
            log.warning("outbox_retry", item=item.item_key, attempts=attempts, reason=reason)
            return
        counts["dead"] += 1
        if item.item_key.startswith("pass#"):
            counts["dead_pushes"] = counts.get("dead_pushes", 0) + 1
        program_id = item.program_id or _program_of(item)
        if outbox_store.park(item, owner, program_id or "unknown", reason, now) \
                and channels.of_item(item.item_key) is not None:
            _record_channel_outcome(item, now, "failed", reason)
        log.error("outbox_parked", item=item.item_key, program_id=program_id, attempts=attempts, reason=reason)
    except Exception as failure:  # noqa: BLE001
        log.error("outbox_failure_not_recorded", item=item.item_key, error=type(failure).__name__)


def _program_of(item: Any) -> str | None:
    card = card_store.get(item.card_id) if item.card_id else None
    return card.program_id if card is not None else None


REFRESH_PAGE = 200


def _refresh_page(item: Any, owner: str, now: datetime) -> int:
    """One page of a program-wide refresh: mark each card's pass changed and queue its push; the
    item keeps its place, so a large program is worked through over several rounds."""
    cards, cursor = card_store.list_for_program(item.program_id, REFRESH_PAGE, item.cursor)
    for card in cards:
        touched = card_store.touch_pass(card.card_id, now)
        if touched is not None:
            for announce in outbox_store.pass_changed(touched, now):
                announce.save()
    if cursor:
        outbox_store.advance(item, cursor, owner)
    else:
        outbox_store.done(item, owner)
    return len(cards)


def _google(item: Any, now: datetime) -> int:
    """Bring Google's copy of a card (or of a program's class) up to date. A refusal is recorded on the
    card and raised (the item is retried or parked)."""
    try:
        if item.item_key.startswith("gclass#"):
            program = program_store.get(item.program_id)
            if program is not None:
                google_wallet.sync_class(program, force=True)
        elif item.item_key.startswith("gnotice#"):
            card = card_store.get(item.card_id, consistent=True)
            if card is not None:
                google_wallet.notice(card, item.payload["header"], item.payload["body"], now,
                                     message_id=_message_id(item))
        else:
            card = card_store.get(item.card_id, consistent=True)
            owner = program_store.get(card.program_id) if card is not None else None
            if card is not None and owner is not None:  # a card or program deleted meanwhile: nothing to show
                google_wallet.sync_object(card, owner)
                if card.google_error:
                    card_store.set_google_error(card.card_id, None)
    except google_wallet.WalletUnavailable:
        return 0  # Google Wallet is not configured here: nothing to keep
    except google.GoogleError as error:
        google.log_error(error, card_id=item.card_id)
        if item.card_id:
            card_store.set_google_error(item.card_id, f"{error.status} {error.reason or ''}: {error.message}")
        raise
    return 1


def _message_id(item: Any) -> str:
    """The Google message's id, the same for every attempt at one item: a repeat replaces, not adds."""
    return "m" + hashlib.sha256(f"{item.item_key}#{item.created_at}".encode()).hexdigest()[:24]


def _delayed_notice(item: Any, now: datetime) -> int:
    """A message that waited for the end of the quiet hours goes out now (through the same checks)."""
    card = card_store.get(item.card_id, consistent=True)
    program = program_store.get(item.program_id)
    outcome = None
    if card is not None and program is not None and card.status == "active":
        payload = item.payload or {}
        outcome = notices.notify(program, card, payload.get("kind", "message"), payload.get("texts", {}), now,
                                 service=bool(payload.get("service")), campaign_id=payload.get("campaign_id"),
                                 channel_names=payload.get("channels"),  # None: every channel offered
                                 once=f"sent#{item.item_key}#{item.created_at}")  # a retried item sends nothing twice
    # 'queued' again rewrote the item (without our claim): finishing it then removes nothing
    return 1 if outcome == "sent" else 0


def _channel_message(item: Any, owner: str, claim: str, now: datetime) -> int:
    """A message of a channel that sends from the outbox (email, Telegram, ...): sent once, retried when
    it surely did not go out, recorded as 'unknown' when it may have (no idempotency key to make a repeat
    safe)."""
    card = card_store.get(item.card_id, consistent=True)
    program = program_store.get(item.program_id) if card is not None else None
    if card is None or program is None:
        outbox_store.done(item, owner)
        return 0
    reason: str | None
    if claim == "taken_over":  # a runner died holding it: it may have sent it
        outcome, reason = "unknown", "a runner stopped during the send"
    else:
        try:
            sent = notices.deliver(item, program, card, now)
            outcome, reason = ("sent", None) if sent else ("skipped", "opted_out")
        except DeliveryUnknown as error:
            outcome, reason = "unknown", f"{type(error).__name__}: {str(error)[:200]}"
    if outbox_store.done(item, owner):  # only the runner that held the claim records and counts it
        notices.record_delivery(item, card, now, outcome, reason)
    return 1 if outcome == "sent" else 0


def _record_channel_outcome(item: Any, now: datetime, outcome: str, reason: str) -> None:
    card = card_store.get(item.card_id)
    if card is not None:
        notices.record_delivery(item, card, now, outcome, reason)


def deliver_announced(keys: list[tuple[str, str]], now: datetime | None = None, push: Push | None = None) -> Counts:
    """The outbox stream's part: the items just written to the queue, read by key (strongly
    consistent), at once. Parked items and claims' own writes come through the stream too: parked ones
    are not for delivery, and claimed ones are skipped by the claim."""
    items = [item for item in (outbox_store.get(queue, key) for queue, key in keys if queue == outbox_store.WALLET)
             if item is not None]
    return deliver(now, push=push, items=items)
