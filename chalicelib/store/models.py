"""The tables, one PynamoDB model each, with the keys and indexes of every access path.

Access paths (see the README's data section):
- card by id (wallet serial, card page): Card.card_id
- card by number, by phone within a program, program by slug, card by referral code: Alias items,
  which also make those keys unique (written with a not-exists condition in the card's transaction)
- cards of a program page by page: Card.by_program (program_id, created_key)
- cards whose soonest lot expires on or before a day, per program: Card.by_expiry (program_id,
  expiry_key = program#day of the soonest lot; sparse), one query for any number of days behind
- cards by birthday month-day: Card.by_birthday (birthday_key = program#MM-DD)
- cards by last-visit day: Card.by_last_visit (last_visit_key = program#day)
- cards above the first tier, by tier: Card.by_tier (tier_key = program#tier; sparse)
- a card's ledger page by page: LedgerEntry (card_id, entry_key); a program's ledger: by_program
- receipts and refunds by id (idempotency) and by time: Receipt (program_id, receipt_key), by_time
- Apple device registrations by device and by pass serial: DeviceRegistration, by_serial
- pending wallet updates and messages: OutboxItem (queue, item_key); the due ones by OutboxItem.by_due

Point lots live inside their card (a list on the card item): a receipt reads the card and its lots in
one GetItem and writes them back in one transaction, however many lots a redemption drains, and the
expiry sweep finds cards by the day their soonest lot expires.
"""
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection, Projection
from pynamodb.models import Model

from chalicelib import config

_SETTINGS = config.load()


class _Meta:
    host = _SETTINGS.dynamodb_endpoint
    region = _SETTINGS.region
    billing_mode = "PAY_PER_REQUEST"
    # API Gateway gives up after 29 s; PynamoDB's defaults (15 s connect, 30 s read, 3 retries) exceed it.
    connect_timeout_seconds = 2
    read_timeout_seconds = 3
    max_retry_attempts = 2


# The Meta classes are made at run time, so typed Any: PynamoDB's stubs declare a protocol for them.
def _meta(name: str) -> Any:
    return type("Meta", (_Meta,), {"table_name": _SETTINGS.table_prefix + name, "short_name": name})


def _index_meta(name: str, projection: Projection) -> Any:
    return type("Meta", (), {"index_name": name, "projection": projection, "billing_mode": "PAY_PER_REQUEST"})


# (Index subclasses: PynamoDB's Index.__init_subclass__ has no annotations, hence the ignores.)

# --- merchants, programs, keys -------------------------------------------------------------------

class Merchant(Model):
    Meta = _meta("merchants")
    merchant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    created_at = UnicodeAttribute()


class ProgramsByMerchant(GlobalSecondaryIndex["Program"]):  # type: ignore[no-untyped-call]
    Meta = _index_meta("by_merchant", AllProjection())
    merchant_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class Program(Model):
    Meta = _meta("programs")
    program_id = UnicodeAttribute(hash_key=True)
    merchant_id = UnicodeAttribute()
    created_key = UnicodeAttribute()  # created_at + id: a stable order for listing
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    timezone = UnicodeAttribute()
    currency = UnicodeAttribute()
    country = UnicodeAttribute()
    mechanics = JSONAttribute()
    branding = JSONAttribute()
    limits = JSONAttribute(null=True)  # rate limits and phone confirmation (chalicelib.core.limits); null: defaults
    messages = JSONAttribute(null=True)  # owners' trigger texts {trigger: {locale: text}} (core/texts.py); null: none
    experiments = JSONAttribute(null=True)  # the running experiment of each trigger: {subject: Design JSON}
    locations = JSONAttribute(null=True)  # its stores: [Location JSON] (core/locations.py); null: none
    retention = JSONAttribute(null=True)  # how long members' data is kept (jobs/retention.py); null: for ever
    retention_progress = JSONAttribute(null=True)  # the retention job's cursor (store/retention.py), not a setting
    status = UnicodeAttribute(default="active")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()
    by_merchant = ProgramsByMerchant()


class PosKeysByProgram(GlobalSecondaryIndex["PosKey"]):  # type: ignore[no-untyped-call]
    Meta = _index_meta("by_program", AllProjection())
    program_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class PosKey(Model):
    """A POS system's signing key. Only SHA-256(secret) is stored (see chalicelib.auth.pos)."""

    Meta = _meta("pos_keys")
    key_id = UnicodeAttribute(hash_key=True)
    program_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    created_key = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")  # active | revoked
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    revoked_at = UnicodeAttribute(null=True)
    location_id = UnicodeAttribute(null=True)  # the store its receipts come from; None: the whole program
    by_program = PosKeysByProgram()


class Alias(Model):
    """A unique human-facing key pointing at its owner: 'number#<n>', 'phone#<program>#<e164>',
    'slug#<slug>', 'ref#<program>#<code>'. Immutable once written, so safe to cache."""

    Meta = _meta("aliases")
    alias = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    program_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)  # one-time claims (callback nonces) go away by themselves


# --- cards and their points ----------------------------------------------------------------------

class Lot(MapAttribute[str, Any]):
    """Points from one accrual. Spending drains the soonest-expiring lots first; expiry burns the rest."""

    lot_id = UnicodeAttribute()
    source = UnicodeAttribute()  # purchase, welcome, referral, birthday, winback, campaign, adjustment
    points = NumberAttribute()  # as accrued
    remaining = NumberAttribute()
    earned_on = UnicodeAttribute()  # program-local day
    available_on = UnicodeAttribute()  # pending until this day
    expires_on = UnicodeAttribute(null=True)  # the first day it is gone; None: never
    ref = UnicodeAttribute(null=True)  # receipt or operation that created it


class CardsByProgram(GlobalSecondaryIndex["Card"]):  # type: ignore[no-untyped-call]
    Meta = _index_meta("by_program", IncludeProjection(
        ["number", "name", "balance", "tier", "status", "created_at", "last_visit_on", "stats", "birthday"]))
    program_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class CardsByExpiry(GlobalSecondaryIndex["Card"]):  # type: ignore[no-untyped-call]
    """Cards holding points that expire (sparse), in the order their soonest lot expires: 'every card
    due on or before day D' is one query (expiry_key <= program#D), however long the job was down."""

    Meta = _index_meta("by_expiry", AllProjection())
    program_id = UnicodeAttribute(hash_key=True)
    expiry_key = UnicodeAttribute(range_key=True)


class CardsByBirthday(GlobalSecondaryIndex["Card"]):  # type: ignore[no-untyped-call]
    Meta = _index_meta("by_birthday", AllProjection())
    birthday_key = UnicodeAttribute(hash_key=True)
    card_id = UnicodeAttribute(range_key=True)


class CardsByLastVisit(GlobalSecondaryIndex["Card"]):  # type: ignore[no-untyped-call]
    Meta = _index_meta("by_last_visit", AllProjection())
    last_visit_key = UnicodeAttribute(hash_key=True)
    card_id = UnicodeAttribute(range_key=True)


class CardsByTier(GlobalSecondaryIndex["Card"]):  # type: ignore[no-untyped-call]
    """Cards above a program's first tier (sparse): the scheduled tier review and tier audiences."""

    Meta = _index_meta("by_tier", AllProjection())
    tier_key = UnicodeAttribute(hash_key=True)
    card_id = UnicodeAttribute(range_key=True)


class Card(Model):
    Meta = _meta("cards")
    card_id = UnicodeAttribute(hash_key=True)  # random; also the Apple serial and Google object suffix
    program_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    created_key = UnicodeAttribute()
    number = UnicodeAttribute()
    # profile (personal data: never logged, never in URLs or serials)
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    birthday = UnicodeAttribute(null=True)  # YYYY-MM-DD
    locale = UnicodeAttribute(default="ru")
    consent_at = UnicodeAttribute()
    consents = JSONAttribute(default=dict)  # per channel: {"email": true} (marketing); the wallet card needs none
    consent_records = JSONAttribute(null=True)  # each consent given and withdrawn (core/consents.py); null: older
    ref_code = UnicodeAttribute()  # this card's own code for referring friends
    referred_by = UnicodeAttribute(null=True)  # card_id of the referrer
    # capabilities
    access_key = UnicodeAttribute()  # the k= of the card link
    auth_token = UnicodeAttribute()  # Apple authenticationToken
    # state
    status = UnicodeAttribute(default="active")  # active | blocked
    balance = NumberAttribute(default=0)  # every point held, pending included
    owed = NumberAttribute(default=0)  # refunded points already spent, settled from the next points received
    tier = UnicodeAttribute()
    lots = ListAttribute(of=Lot, default=list)
    stats = JSONAttribute(default=dict)  # compact history: spend and visits by local day, first/last purchase
    perks = JSONAttribute(null=True)  # held offers, challenge progress, units by SKU, last survey (store/cards.py)
    last_visit_on = UnicodeAttribute(null=True)
    pass_version = NumberAttribute(default=1)  # bumped whenever what the wallet shows changes
    pass_changed_at = NumberAttribute()  # microseconds since the epoch of that change
    google_state = UnicodeAttribute(null=True)  # None, 'created' (object inserted), 'saved', 'deleted'
    google_notices = ListAttribute(of=NumberAttribute, default=list)  # notifying messages, epoch seconds
    google_error = UnicodeAttribute(null=True)  # Google's last refusal of an update, shown to admins
    notice = UnicodeAttribute(null=True)  # the latest message, shown on the pass (its change notifies the phone)
    messages_sent = ListAttribute(of=NumberAttribute, default=list)  # epoch seconds, last 7 days (weekly cap)
    telegram_chat_id = NumberAttribute(null=True)  # set when the customer links the card in the bot
    trials = JSONAttribute(null=True)  # experiments it is exposed to, until their windows end (core/experiments.Trial)
    created_at = UnicodeAttribute()
    erased_at = UnicodeAttribute(null=True)  # the member's data was erased (usecases/erasure.py); status 'erased'
    erasure = JSONAttribute(null=True)  # what the erasure removed, as counts: a repeated erase answers the same
    ledger_at = UnicodeAttribute(null=True)  # time key of its newest ledger entry: the next one sorts after it
    version = VersionAttribute()
    # sparse index keys
    expiry_key = UnicodeAttribute(null=True)
    birthday_key = UnicodeAttribute(null=True)
    last_visit_key = UnicodeAttribute(null=True)
    tier_key = UnicodeAttribute(null=True)  # program#tier, only above the first tier
    by_program = CardsByProgram()
    by_expiry = CardsByExpiry()
    by_birthday = CardsByBirthday()
    by_last_visit = CardsByLastVisit()
    by_tier = CardsByTier()


class LedgerByProgram(GlobalSecondaryIndex["LedgerEntry"]):  # type: ignore[no-untyped-call]
    Meta = _index_meta("by_program", AllProjection())
    program_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)


class LedgerEntry(Model):
    """One change of a card's points. Append-only: together the entries explain every point."""

    Meta = _meta("ledger")
    card_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # created_at (UTC, microseconds) + '#' + entry id
    program_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # earn, redeem, refund_reverse, refund_return, bonus, expire, adjust
    source = UnicodeAttribute(null=True)  # for accruals: the lot source
    amount = NumberAttribute()  # signed points
    balance_after = NumberAttribute()
    cause_type = UnicodeAttribute()  # receipt, refund, rule, admin, job
    cause_id = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)  # admin subject for manual adjustments
    reason = UnicodeAttribute(null=True)
    idempotency_key = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    by_program = LedgerByProgram()


class ReceiptsByTime(GlobalSecondaryIndex["Receipt"]):  # type: ignore[no-untyped-call]
    Meta = _index_meta("by_time", AllProjection())
    program_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class ReceiptsByCard(GlobalSecondaryIndex["Receipt"]):  # type: ignore[no-untyped-call]
    """A card's receipts and refunds in time order (sparse: a sale without a card has no card_id): a member's
    data export and erasure find every one, those that moved no points included, without reading others'."""

    Meta = _index_meta("by_card", KeysOnlyProjection())
    card_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class Receipt(Model):
    """A POS receipt or refund, keyed by the POS's own id: the idempotency record and the history."""

    Meta = _meta("receipts")
    program_id = UnicodeAttribute(hash_key=True)
    receipt_key = UnicodeAttribute(range_key=True)  # 'receipt#<id>' or 'refund#<id>'
    created_key = UnicodeAttribute()
    kind = UnicodeAttribute()  # receipt | refund
    body_hash = UnicodeAttribute()
    response = JSONAttribute()
    card_id = UnicodeAttribute(null=True)
    total = NumberAttribute(default=0)
    currency = UnicodeAttribute(null=True)
    lines = JSONAttribute(null=True)
    earned = NumberAttribute(default=0)
    redeemed = NumberAttribute(default=0)
    refunded_amount = NumberAttribute(default=0)
    points_reversed = NumberAttribute(default=0)
    points_returned = NumberAttribute(default=0)
    paid = NumberAttribute(null=True)  # a card receipt's money paid (no discount, no points); older: none
    location_id = UnicodeAttribute(null=True)  # the store it was sold at (a refund: its receipt's); None: unknown
    actor = UnicodeAttribute(null=True)  # a cashier's staff id when the till page recorded it; None: a POS
    business_day = UnicodeAttribute()
    created_at = UnicodeAttribute()
    version = VersionAttribute()
    by_time = ReceiptsByTime()
    by_card = ReceiptsByCard()


class DevicesBySerial(GlobalSecondaryIndex["DeviceRegistration"]):  # type: ignore[no-untyped-call]
    Meta = _index_meta("by_serial", KeysOnlyProjection())
    serial = UnicodeAttribute(hash_key=True)
    device_id = UnicodeAttribute(range_key=True)


class DeviceRegistration(Model):
    """An Apple device that asked for updates of a pass."""

    Meta = _meta("devices")
    device_id = UnicodeAttribute(hash_key=True)
    registration_key = UnicodeAttribute(range_key=True)  # '<passTypeId>#<serial>'
    serial = UnicodeAttribute()
    pass_type_id = UnicodeAttribute()
    push_token = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    by_serial = DevicesBySerial()


class OutboxByDue(GlobalSecondaryIndex["OutboxItem"]):  # type: ignore[no-untyped-call]
    """Pending items in the order they fall due: a delivery run reads only what is due."""

    Meta = _index_meta("by_due", AllProjection())
    queue = UnicodeAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class OutboxItem(Model):
    """Work that follows a committed change (a wallet push, later messages), written in the same
    transaction as the change, so a dead push service never loses or blocks a purchase. One pending
    item per card and kind: a newer change of the same card overwrites it (pushes coalesce)."""

    Meta = _meta("outbox")
    queue = UnicodeAttribute(hash_key=True)  # 'wallet'
    item_key = UnicodeAttribute(range_key=True)  # 'pass#<card_id>' or 'refresh#<program_id>'
    card_id = UnicodeAttribute(null=True)
    program_id = UnicodeAttribute(null=True)
    cursor = UnicodeAttribute(null=True)  # a program refresh's progress through its cards
    payload = JSONAttribute(null=True)  # a message waiting for the end of the quiet hours, or for Google
    by_due = OutboxByDue()
    pass_version = NumberAttribute()  # the change this item announces
    due_at = NumberAttribute()  # microseconds since the epoch
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    lease_owner = UnicodeAttribute(null=True)  # the runner delivering it now (a claim, see store/outbox.py)
    lease_until = NumberAttribute(null=True)  # microseconds; past it, another runner may take the item over
    parked_at = UnicodeAttribute(null=True)  # in queue 'parked#<program_id>': given up on, until an admin retries


class MessagesByProgram(GlobalSecondaryIndex["Message"]):  # type: ignore[no-untyped-call]
    """A program's message records in time order: the retention job deletes those older than the program
    keeps (jobs/retention.py), reading only them."""

    Meta = _index_meta("by_program", KeysOnlyProjection())
    program_id = UnicodeAttribute(hash_key=True)
    message_key = UnicodeAttribute(range_key=True)


class Message(Model):
    """A message to a customer and what became of it: sent, queued (quiet hours), skipped (why)."""

    Meta = _meta("messages")
    card_id = UnicodeAttribute(hash_key=True)
    message_key = UnicodeAttribute(range_key=True)  # created_at + '#' + kind
    program_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # expiry_warning, birthday, winback, campaign
    channel = UnicodeAttribute()  # wallet (Apple and Google)
    outcome = UnicodeAttribute()  # sent, queued, skipped
    reason = UnicodeAttribute(null=True)
    text = UnicodeAttribute()
    created_at = UnicodeAttribute()
    by_program = MessagesByProgram()


class Campaign(Model):
    """A message (and an optional bonus) to an audience of a program's cards, now or at a set time."""

    Meta = _meta("campaigns")
    program_id = UnicodeAttribute(hash_key=True)
    campaign_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    audience = JSONAttribute()
    texts = JSONAttribute()  # {"ru": …, "en": …}
    channels = JSONAttribute(null=True)  # ["wallet", "email", "telegram"]; None: all
    bonus = NumberAttribute(default=0)
    offer = UnicodeAttribute(null=True)  # an offer definition (core/offers.py) issued to every card reached
    send_at = UnicodeAttribute(null=True)  # UTC ISO; None: when asked to send
    status = UnicodeAttribute(default="draft")  # draft, scheduled, sending, sent
    counts = JSONAttribute(default=dict)  # campaigns sent before the counters below: their counts
    delivered = NumberAttribute(default=0)  # email and Telegram messages delivered by the outbox
    failed = NumberAttribute(default=0)  # … and those that failed for good
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    version = VersionAttribute()  # bumped by every write, but no write conditions on it (see store/campaigns.py)
    # A send's progress: counters every worker adds to atomically (store/campaigns.py), and its lease.
    audience_count = NumberAttribute(null=True)  # cards in the audience when the send (last) walked it
    processed = NumberAttribute(null=True)  # cards done: each counted once, as sent, queued, skipped or held_out
    sent_count = NumberAttribute(null=True)  # messaged
    queued = NumberAttribute(null=True)  # waiting for the end of the quiet hours
    skipped = NumberAttribute(null=True)  # weekly cap, or the card was no longer active
    bonuses = NumberAttribute(null=True)
    chunks = NumberAttribute(null=True)  # fanned out to the jobs queue in this many chunks
    runner = UnicodeAttribute(null=True)  # the send holding the lease
    lease_until = UnicodeAttribute(null=True)  # UTC ISO; a send quiet past it is resumed by the schedule
    started_at = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    # its experiment (core/experiments.py; the experiment's id is the campaign's): the holdout and the variants
    holdout_bp = NumberAttribute(null=True)  # None: a campaign made before experiments, all cards treated
    variants = JSONAttribute(null=True)  # [Variant JSON]; None: one variant, the campaign's own texts, bonus, offer
    held_out = NumberAttribute(null=True)  # cards of the audience kept in the control group (counted once each)
    windows = JSONAttribute(null=True)  # the experiment's windows in days; None: the defaults (7, 14, 30)


class Experiment(Model):
    """A holdout and its variants, kept from one campaign (`subject` "campaign", its id the campaign's)
    or from a trigger while it runs (birthday, winback, expiry_warning, offers, challenges)."""

    Meta = _meta("experiments")
    program_id = UnicodeAttribute(hash_key=True)
    experiment_id = UnicodeAttribute(range_key=True)
    subject = UnicodeAttribute()
    name = UnicodeAttribute()
    holdout_bp = NumberAttribute()
    variants = JSONAttribute()  # [Variant JSON]
    windows = JSONAttribute()  # [7, 14, 30]
    status = UnicodeAttribute(default="running")  # running | stopped
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    stopped_at = UnicodeAttribute(null=True)
    summary = JSONAttribute(null=True)  # the ROMI rows of its last report, for the monthly sums (and when)
    version = VersionAttribute()


class Assignment(Model):
    """One card's place in an experiment: its group, when it was exposed, what the experiment cost for it,
    and what it did after: `events` is a flat list of (offset, revenue, points, visit) quadruples appended
    by its receipts and refunds in their own transactions (core/experiments.events_of)."""

    Meta = _meta("assignments")
    experiment_id = UnicodeAttribute(hash_key=True)
    card_id = UnicodeAttribute(range_key=True)
    program_id = UnicodeAttribute(null=True)
    number = UnicodeAttribute(null=True)  # the card's number, for the export (no personal data here)
    variant = UnicodeAttribute(null=True)
    exposed_on = UnicodeAttribute(null=True)  # program-local day
    bonus = NumberAttribute(default=0)
    message_cost = NumberAttribute(default=0)
    events = ListAttribute(of=NumberAttribute, default=list)
    created_at = UnicodeAttribute(null=True)
    location_id = UnicodeAttribute(null=True)  # the card's home store when exposed (reports filter by it)


class AnalyticsItem(Model):
    """A program's numbers (see chalicelib.store.analytics):
    - 's#<day>#<shard>': counters of a day still open, spread over a few items so that concurrent
      receipts do not all update one hot item; every write adds to one of them in its own transaction;
    - 'd#<day>': a closed day, its shards folded into one item, with the points outstanding at its end;
    - 'segments': the thresholds the lifecycle and RFM segments were last cut by."""

    Meta = _meta("analytics")
    program_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
    writes = NumberAttribute(null=True)  # a shard's write count: folding deletes it only if unchanged
    outstanding = NumberAttribute(null=True)
    thresholds = JSONAttribute(null=True)
    receipts = NumberAttribute(null=True)
    member_receipts = NumberAttribute(null=True)
    revenue = NumberAttribute(null=True)
    member_revenue = NumberAttribute(null=True)
    refunds = NumberAttribute(null=True)
    refunded = NumberAttribute(null=True)
    new_members = NumberAttribute(null=True)
    points_earned = NumberAttribute(null=True)
    points_bonus = NumberAttribute(null=True)
    points_adjusted_in = NumberAttribute(null=True)
    points_adjusted_out = NumberAttribute(null=True)
    points_redeemed = NumberAttribute(null=True)
    points_returned = NumberAttribute(null=True)
    points_reversed = NumberAttribute(null=True)
    points_expired = NumberAttribute(null=True)
    points_imported = NumberAttribute(null=True)  # balances moved in (usecases/imports.py)
    # survey answers (core/surveys.COUNTERS): by NPS group, and CSI's sum and count
    survey_promoters = NumberAttribute(null=True)
    survey_passives = NumberAttribute(null=True)
    survey_detractors = NumberAttribute(null=True)
    survey_csi_sum = NumberAttribute(null=True)
    survey_csi_answers = NumberAttribute(null=True)


# --- guards of the public routes ----------------------------------------------------------------

class Guard(Model):
    """Short-lived items that protect the public routes, gone by themselves (TTL):
    - '<what>#<who>#<window start>': a rate counter of one fixed window (hits, and misses: failed look-ups,
      refusals), bumped by one conditional UpdateItem per request (chalicelib.store.ratelimits);
    - 'code#<program>#<phone>': a one-time code sent to a phone at enrollment, hashed, with its wrong
      attempts (chalicelib.store.codes)."""

    Meta = _meta("guards")
    guard_key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(null=True)
    misses = NumberAttribute(null=True)
    code_hash = UnicodeAttribute(null=True)
    attempts = NumberAttribute(null=True)
    expires_at = TTLAttribute()


# --- staff (accounts) ---------------------------------------------------------------------------

class StaffMember(Model):
    """A person of a merchant's staff who signs in to the console: a user of the Cognito pool (its `sub` is
    `staff_id`, the `sub` of their tokens) and our record of their role and status, which the API trusts
    over the token's claims (a role change or a removal takes effect without waiting for the token to
    expire). A merchant has few of them: one query lists them all."""

    Meta = _meta("staff")
    merchant_id = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute(range_key=True)
    username = UnicodeAttribute()  # the pool's user name, which the Admin* calls take
    email = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    role = UnicodeAttribute()  # owner | manager | analyst | cashier
    locations = JSONAttribute(null=True)  # a cashier's stores: [location id]; None: every store (other roles)
    status = UnicodeAttribute(default="invited")  # invited | active (has signed in) | disabled
    language = UnicodeAttribute(default="ru")
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


# moysklad (issue 15): outside systems' connections to a program (store/connections.py reads and writes them).
class ConnectionsByProgram(GlobalSecondaryIndex["Connection"]):  # type: ignore[no-untyped-call]
    Meta = _index_meta("by_program", AllProjection())
    program_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class Connection(Model):
    """An outside system's access to one program (`provider` 'moysklad': a MoySklad till's token). Only
    SHA-256 of the token is stored; the id is in the base URL the system calls."""

    Meta = _meta("connections")
    connection_id = UnicodeAttribute(hash_key=True)
    provider = UnicodeAttribute()
    program_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    created_key = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    verify_spending = UnicodeAttribute(default="no")  # 'yes': the till asks the customer for a texted code
    status = UnicodeAttribute(default="active")  # active | revoked
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    revoked_at = UnicodeAttribute(null=True)
    location_id = UnicodeAttribute(null=True)  # the store its receipts come from; None: the whole program
    by_program = ConnectionsByProgram()


# --- the audit trail (issue 19) -----------------------------------------------------------------

class AuditEntry(Model):
    """One admin write (or a system action on members' data: a retention erasure), append-only: the code
    only puts new entries (a not-exists condition) and queries them; the API's IAM role has no UpdateItem or
    DeleteItem on this table. Entries hold ids, never personal data or secrets (store/audit.py)."""

    Meta = _meta("audit")
    merchant_id = UnicodeAttribute(hash_key=True)  # 'platform' for the platform's own tokens
    entry_key = UnicodeAttribute(range_key=True)  # created_at (UTC, microseconds) + '#' + entry id
    program_id = UnicodeAttribute(null=True)
    actor = UnicodeAttribute()  # a staff member's sub, 'platform', 'cli', or 'system:<job>'
    actor_email = UnicodeAttribute(null=True)  # a staff member's sign-in address (staff, not members)
    role = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    action = UnicodeAttribute()  # e.g. 'program.update', 'card.erase' (usecases/audit.ROUTES names them)
    method = UnicodeAttribute(null=True)
    route = UnicodeAttribute(null=True)  # the route's template, '/admin/programs/{program_id}'
    target_type = UnicodeAttribute(null=True)
    target_id = UnicodeAttribute(null=True)
    status = NumberAttribute(null=True)  # the HTTP status answered
    changes = JSONAttribute(null=True)  # settings: {field: [before, after]}, secrets masked
    detail = JSONAttribute(null=True)  # what else says what happened (points adjusted, audience size, …)
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)  # AUDIT_RETENTION_DAYS after; DynamoDB's TTL removes it


ALL_MODELS = (Merchant, Program, PosKey, Alias, Card, LedgerEntry, Receipt, DeviceRegistration, OutboxItem, Message,
              Campaign, AnalyticsItem, Guard, StaffMember, Connection, Experiment, Assignment, AuditEntry)
