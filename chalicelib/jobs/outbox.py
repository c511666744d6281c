"""Delivers what the outbox holds: for a changed card, an APNs push to each registered device.

410 removes the registration; 429, 5xx and network errors are retried later with backoff; other
refusals (a bad token, a wrong topic) are logged and dropped. An item is removed only when its
version is still the one delivered, so a change made meanwhile still goes out.
"""
from datetime import datetime, timezone

from chalicelib import log, metrics
from chalicelib.store import cards as card_store
from chalicelib.store import db, devices
from chalicelib.store import outbox as outbox_store

MAX_ATTEMPTS = 10
BACKOFF_SECONDS = 30


def deliver(now: datetime | None = None, push=None, items: list | None = None) -> dict:
    """One pass over the due items (or over `items`, say those a stream just announced).
    `push(token) -> PushResult` defaults to the APNs client."""
    now = now or datetime.now(timezone.utc)
    if push is None:
        from chalicelib.wallet import apns

        push = apns.client().push
    counts = {"items": 0, "pushed": 0, "gone": 0, "retry": 0, "failed": 0, "dead": 0}
    due = outbox_store.due(now) if items is None else [i for i in items if int(i.due_at) <= db.micros(now)]
    if due:  # how long the oldest pending update has waited: the outbox-age alarm watches this
        oldest = min(datetime.fromisoformat(item.created_at) for item in due)
        metrics.emit({"OutboxAgeSeconds": round(max(0.0, (now - oldest).total_seconds()), 3)})
    for item in due:
        counts["items"] += 1
        if item.item_key.startswith("refresh#"):
            counts["refreshed"] = counts.get("refreshed", 0) + _refresh_page(item, now)
            continue
        if item.item_key.startswith(("email#", "telegram#")):
            counts["messages"] = counts.get("messages", 0) + _channel_message(item, now)
            continue
        if item.item_key.startswith("notice#"):
            counts["notices"] = counts.get("notices", 0) + _delayed_notice(item, now)
            continue
        if item.item_key.startswith(("google#", "gclass#", "gnotice#")):
            counts["google"] = counts.get("google", 0) + _google(item, now)
            continue
        retry = []
        for registration in devices.devices_of(item.card_id):
            result = push(registration.push_token)
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
        if retry and int(item.attempts) + 1 < MAX_ATTEMPTS:
            counts["retry"] += 1
            delay = min(3600, BACKOFF_SECONDS * 2 ** int(item.attempts))
            outbox_store.retry_later(item, db.micros(now) + delay * 1_000_000,
                                     f"{retry[0].status} {retry[0].reason or ''}".strip())
        else:
            if retry:
                counts["dead"] += 1
                log.error("push_given_up", card_id=item.card_id, attempts=int(item.attempts) + 1)
            outbox_store.done(item)
    if counts["items"]:
        log.info("outbox_delivered", **counts)
        metrics.emit({"PushesSent": counts["pushed"], "PushesFailed": counts["failed"] + counts["dead"],
                      "GoogleUpdates": counts.get("google", 0)})
    return counts


def run(day) -> dict:
    return deliver()


REFRESH_PAGE = 200


def _refresh_page(item, now: datetime) -> int:
    """One page of a program-wide refresh: mark each card's pass changed and queue its push; the
    item keeps its place, so a large program is worked through over several rounds."""
    cards, cursor = card_store.list_for_program(item.program_id, REFRESH_PAGE, item.cursor)
    for card in cards:
        touched = card_store.touch_pass(card.card_id, now)
        if touched is not None:
            for announce in outbox_store.pass_changed(touched, now):
                announce.save()
    if cursor:
        outbox_store.advance(item, cursor)
    else:
        outbox_store.done(item)
    return len(cards)


def _google(item, now: datetime) -> int:
    """Bring Google's copy of a card (or of a program's class) up to date; retried like pushes."""
    from chalicelib.store import programs as program_store
    from chalicelib.usecases import google_wallet
    from chalicelib.wallet import google

    try:
        if item.item_key.startswith("gclass#"):
            program = program_store.get(item.program_id)
            if program is not None:
                google_wallet.sync_class(program, force=True)
        elif item.item_key.startswith("gnotice#"):
            card = card_store.get(item.card_id, consistent=True)
            if card is not None:
                google_wallet.notice(card, item.payload["header"], item.payload["body"], now)
        else:
            card = card_store.get(item.card_id, consistent=True)
            if card is not None:
                google_wallet.sync_object(card, program_store.get(card.program_id))
                if card.google_error:
                    card_store.set_google_error(card.card_id, None)
    except google_wallet.WalletUnavailable:
        outbox_store.done(item)  # Google Wallet is not configured here: nothing to keep
        return 0
    except google.GoogleError as error:
        google.log_error(error, card_id=item.card_id)
        if item.card_id:
            card_store.set_google_error(item.card_id, f"{error.status} {error.reason or ''}: {error.message}")
        if (error.status == 429 or error.status >= 500 or error.status == 0) and int(item.attempts) + 1 < MAX_ATTEMPTS:
            delay = min(3600, BACKOFF_SECONDS * 2 ** int(item.attempts))
            outbox_store.retry_later(item, db.micros(now) + delay * 1_000_000, f"{error.status} {error.reason}")
            return 0
        outbox_store.done(item)
        return 0
    outbox_store.done(item)
    return 1


def _delayed_notice(item, now: datetime) -> int:
    """A message that waited for the end of the quiet hours goes out now (through the same checks)."""
    from chalicelib.store import programs as program_store
    from chalicelib.usecases import notices

    card = card_store.get(item.card_id, consistent=True)
    program = program_store.get(item.program_id)
    outcome = None
    if card is not None and program is not None and card.status == "active":
        payload = item.payload or {}
        outcome = notices.notify(program, card, payload.get("kind", "message"), payload.get("texts", {}), now,
                                 service=bool(payload.get("service")), campaign_id=payload.get("campaign_id"),
                                 channels=tuple(payload.get("channels") or notices.ALL_CHANNELS))
    if outcome != "queued":
        outbox_store.done(item)
    return 1 if outcome == "sent" else 0


def _channel_message(item, now: datetime) -> int:
    """An email or Telegram message: sent, retried with backoff, or recorded as failed for good."""
    from chalicelib.store import programs as program_store
    from chalicelib.usecases import notices

    card = card_store.get(item.card_id, consistent=True)
    program = program_store.get(item.program_id) if card is not None else None
    if card is None or program is None:
        outbox_store.done(item)
        return 0
    try:
        notices.deliver(item, program, card, now)
    except Exception as error:  # noqa: BLE001 - any channel failure is retried, then recorded
        reason = f"{type(error).__name__}: {str(error)[:200]}"
        if int(item.attempts) + 1 < MAX_ATTEMPTS:
            delay = min(3600, BACKOFF_SECONDS * 2 ** int(item.attempts))
            outbox_store.retry_later(item, db.micros(now) + delay * 1_000_000, reason)
            return 0
        notices.record_delivery(item, card, now, "failed", reason)
        outbox_store.done(item)
        return 0
    notices.record_delivery(item, card, now, "sent")
    outbox_store.done(item)
    return 1


def deliver_announced(keys: list[tuple[str, str]], now: datetime | None = None, push=None) -> dict:
    """The outbox stream's part: the items just written, read by key (strongly consistent), at once."""
    items = [item for item in (outbox_store.get(queue, key) for queue, key in keys) if item is not None]
    return deliver(now, push=push, items=items)
