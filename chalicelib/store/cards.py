"""Cards: created with their aliases and first ledger entries in one transaction; read by id, by
number, by phone within a program, by referral code; listed page by page per program."""
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from chalicelib.core import locations
from chalicelib.core import lots as lot_rules
from chalicelib.core.challenges import Progress
from chalicelib.core.ledger import CardState
from chalicelib.core.lots import Lot
from chalicelib.core.offers import HeldOffer
from chalicelib.store import aliases, analytics, db, outbox, pages
from chalicelib.store.models import Alias, Card, LedgerEntry
from chalicelib.store.models import Lot as LotAttribute

_number_cache: dict[str, str] = {}  # number -> card_id; an alias only ever goes with its member (forget_number)


class AliasTaken(Exception):
    def __init__(self, alias: str):
        super().__init__(alias)
        self.alias = alias


def phone_alias(program_id: str, phone: str) -> str:
    return f"phone#{program_id}#{phone}"


def number_alias(number: str) -> str:
    return f"number#{number}"


def ref_alias(program_id: str, code: str) -> str:
    return f"ref#{program_id}#{code}"


def to_attribute(lot: Lot) -> LotAttribute:
    return LotAttribute(lot_id=lot.lot_id,  # type: ignore[no-untyped-call]  # PynamoDB MapAttribute
                        source=lot.source, points=lot.points, remaining=lot.remaining,
                        earned_on=lot.earned_on, available_on=lot.available_on, expires_on=lot.expires_on,
                        ref=lot.ref)


def from_attribute(item: LotAttribute) -> Lot:
    return Lot(item.lot_id, item.source, int(item.points), int(item.remaining), item.earned_on,
               item.available_on, item.expires_on, item.ref)


def lots_of(card: Card) -> list[Lot]:
    return [from_attribute(item) for item in card.lots or []]


def insert(card: Card, entries: list[LedgerEntry], now: datetime,
           counts: dict[str, dict[str, int]] | None = None, location_id: str | None = None) -> Card:
    """Write a new card, its aliases (number, phone, referral code), its first ledger entries and the
    program's analytics `counts` ({day: counters}), all or nothing. A taken alias raises AliasTaken
    naming it."""
    stamp = db.iso(now)
    aliases = [
        Alias(phone_alias(card.program_id, card.phone), owner_id=card.card_id, program_id=card.program_id,
              created_at=stamp),
        Alias(number_alias(card.number), owner_id=card.card_id, program_id=card.program_id, created_at=stamp),
        Alias(ref_alias(card.program_id, card.ref_code), owner_id=card.card_id, program_id=card.program_id,
              created_at=stamp),
    ]
    for attempt in range(3):
        try:
            with db.transaction() as tx:
                for alias in aliases:
                    tx.save(alias, condition=Alias.alias.does_not_exist())
                tx.save(card, condition=Card.card_id.does_not_exist())
                for entry in entries:
                    tx.save(entry, condition=LedgerEntry.entry_key.does_not_exist())
                if counts:
                    analytics.add_counts(tx, card.program_id, counts, card.card_id)
                if counts and location_id:  # joined at a location: its own counters too (issue 18)
                    analytics.add_counts(tx, analytics.scope(card.program_id, location_id), counts, card.card_id)
            break
        except TransactWriteError as error:
            if db.is_condition_failure(error):
                _raise_taken(aliases)
                raise
            if "TransactionConflict" not in db.cancellation_reasons(error) or attempt == 2:
                raise
            db.back_off_if_crowded(error, attempt)  # a conflict on a shared counter passes in a moment
    card.version = 1
    return card


def _raise_taken(aliases: list[Alias]) -> None:
    """Which alias was taken? Read them back (consistently) to say."""
    for alias in aliases:
        try:
            Alias.get(alias.alias, consistent_read=True)
            raise AliasTaken(alias.alias) from None
        except Alias.DoesNotExist:
            continue


def get(card_id: str, consistent: bool = False) -> Card | None:
    try:
        return Card.get(card_id, consistent_read=consistent)
    except Card.DoesNotExist:
        return None


def _owner(alias: str) -> str | None:
    try:
        return Alias.get(alias).owner_id
    except Alias.DoesNotExist:
        return None


def card_id_by_number(number: str) -> str | None:
    card_id = _number_cache.get(number)
    if card_id is None:
        card_id = _owner(number_alias(number))
        if card_id is not None:
            _number_cache[number] = card_id
    return card_id


def forget_number(number: str) -> None:
    """This process no longer maps `number` to its card (its member was erased; other warm processes still may,
    and find an erased card there: usecases/pos.py answers it as no card)."""
    _number_cache.pop(number, None)


def card_id_by_phone(program_id: str, phone: str) -> str | None:
    return _owner(phone_alias(program_id, phone))


def card_id_by_ref(program_id: str, code: str) -> str | None:
    return _owner(ref_alias(program_id, code))


def list_for_program(program_id: str, limit: int, cursor: str | None) -> tuple[list[Card], str | None]:
    start = pages.decode(cursor, "program_id", program_id, "created_key", "card_id")
    result = Card.by_program.query(program_id, limit=limit, last_evaluated_key=start, scan_index_forward=False)
    items = list(result)
    return items, pages.encode(result.last_evaluated_key, "created_key", "card_id")


def histories(program_id: str, after: str, before: str) -> Iterator[tuple[str, str, int, dict[str, Any]]]:
    """(card_id, created_at, balance, stats) of each card of a program created in (after, before) (as
    created_key text; after '' = from the start), page by page from the by_program index. Analytics
    reads every card this way: asking for just these attributes and decoding them by hand costs a
    fraction of building full Card objects (benchmarks/analytics.py)."""
    client = Card._get_connection().connection.client
    values = {":p": {"S": program_id}, ":before": {"S": before}}
    condition = "program_id = :p AND created_key < :before"
    if after:
        values[":after"] = {"S": after}
        condition = "program_id = :p AND created_key BETWEEN :after AND :before"
    # The table and index names, from the models: one definition of each.
    request = {"TableName": Card.Meta.table_name,
               "IndexName": Card.by_program.Meta.index_name,
               "KeyConditionExpression": condition, "ExpressionAttributeValues": values,
               "ProjectionExpression": "card_id, created_at, balance, stats"}
    while True:
        page = client.query(**request)
        yield from map(history, page["Items"])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def history(item: dict[str, Any]) -> tuple[str, str, int, dict[str, Any]]:
    """A raw by_program item (DynamoDB JSON) as (card_id, created_at, balance, stats)."""
    stats = item.get("stats")
    return (item["card_id"]["S"], item["created_at"]["S"], int(item.get("balance", {}).get("N", 0)),
            json.loads(stats["S"]) if stats else {})


def ledger_page(card_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
    start = pages.decode(cursor, "card_id", card_id, "entry_key", "card_id")
    result = LedgerEntry.query(card_id, limit=limit, last_evaluated_key=start, scan_index_forward=False)
    items = list(result)
    return items, pages.encode(result.last_evaluated_key, "entry_key", "card_id")


# --- the card's points state, to and from the item --------------------------------------------------

def state_of(card: Card) -> CardState:
    stats = card.stats or {}
    perks = card.perks or {}
    return CardState(balance=int(card.balance), lots=tuple(lots_of(card)), tier=card.tier,
                     spend=dict(stats.get("spend", {})), visits=dict(stats.get("visits", {})),
                     receipts=int(stats.get("receipts", 0)),
                     revenue=int(stats.get("revenue", 0)), first_purchase_on=stats.get("first_purchase_on"),
                     last_purchase_on=stats.get("last_purchase_on"), owed=int(card.owed or 0),
                     offers=tuple(HeldOffer.from_json(item) for item in perks.get("offers", ())),
                     challenges=tuple(Progress.from_json(item) for item in perks.get("challenges", ())),
                     products={sku: int(units) for sku, units in perks.get("products", {}).items()},
                     surveyed_on=perks.get("surveyed_on"), survey_receipt=perks.get("survey_receipt"),
                     home=stats.get("home"), places={key: int(count) for key, count in stats.get("places", {}).items()})


def perks_of(state: CardState) -> dict[str, Any] | None:
    """What the card item keeps of a state's offers, challenges, units by SKU and last survey (None: none)."""
    perks = {"offers": [offer.to_json() for offer in state.offers],
             "challenges": [progress.to_json() for progress in state.challenges],
             "products": dict(state.products), "surveyed_on": state.surveyed_on,
             "survey_receipt": state.survey_receipt}
    return perks if any(perks.values()) else None


def shown_on_pass(card: Card, ranks_locations: bool = False) -> tuple[Any, ...]:
    """What the wallet card shows of the state: a change of it updates the pass. `ranks_locations`: the
    program's passes name its locations (core/locations.on_pass), ranked by the card's visits."""
    perks = card.perks or {}
    live = tuple(offer["held_id"] for offer in perks.get("offers", ()) if not offer.get("used_by"))
    progress = json.dumps(perks.get("challenges", ()), sort_keys=True)  # the pass's back shows the progress
    stats = card.stats or {}  # the pass lists the locations the card visits most first (core/locations.py)
    shows = ranks_locations and stats.get("home")
    ranking = locations.visit_ranking(stats.get("places") or {}, stats.get("home")) if shows else ()
    return int(card.balance), card.tier, live, progress, ranking


def put_state(card: Card, state: CardState, now: datetime, first_tier: str, ranks_locations: bool = False) -> bool:
    """Copy a new points state onto the card item (not yet written). Returns whether what the wallet
    shows changed, in which case the pass is marked changed (version and time) for Apple and Google."""
    shown_before = shown_on_pass(card, ranks_locations)
    card.balance = state.balance
    card.owed = state.owed
    card.lots = [to_attribute(lot) for lot in state.lots]
    card.tier = state.tier
    set_tier_key(card, first_tier)
    card.stats = {"spend": state.spend, "visits": state.visits, "receipts": state.receipts, "revenue": state.revenue,
                  "first_purchase_on": state.first_purchase_on, "last_purchase_on": state.last_purchase_on}
    if state.home is not None:  # locations (core/locations.py): only on cards of programs that have them
        card.stats.update(home=state.home, places=state.places)
    card.perks = perks_of(state)
    card.last_visit_on = state.last_purchase_on
    card.last_visit_key = f"{card.program_id}#{state.last_purchase_on}" if state.last_purchase_on else None
    expiry = lot_rules.next_expiry(state.lots)
    card.expiry_key = f"{card.program_id}#{expiry}" if expiry else None
    changed = shown_before != shown_on_pass(card, ranks_locations)
    if changed:
        mark_pass_changed(card, now)
    return changed


def mark_pass_changed(card: Card, now: datetime) -> None:
    card.pass_version = int(card.pass_version or 0) + 1
    card.pass_changed_at = max(db.micros(now), int(card.pass_changed_at or 0) + 1)  # strictly increasing


def set_tier_key(card: Card, first_tier: str) -> None:
    """Cards above the program's first tier are indexed by tier (the review job, tier audiences)."""
    card.tier_key = f"{card.program_id}#{card.tier}" if card.tier != first_tier else None


def cards_in_tier(program_id: str, tier: str) -> Iterator[Card]:
    return Card.by_tier.query(f"{program_id}#{tier}")


Cursor = dict[str, Any] | None  # an index's last evaluated key, plain JSON
Page = tuple[list[Card], Cursor]


# --- the day-keyed walks of the scheduled jobs, a page at a time --------------------------------------
# Each returns (cards, cursor): at most `limit` cards and where the next page starts (None: the end).
# A cursor is plain JSON (the index's last key), so a walk can hand it to the jobs queue and go on in
# another invocation. `ids_only`: read just the ids (a page about to be fanned out, whose cards each
# chunk reads again by id), which moves a fraction of the bytes for the same read units.

def _page(index: Any, hash_key: str, condition: Any, cursor: Cursor, limit: int, *, ids_only: bool) -> Page:
    result = index.query(hash_key, condition, limit=limit, last_evaluated_key=cursor or None,
                         attributes_to_get=["card_id"] if ids_only else None)
    return list(result), result.last_evaluated_key or None


def due_for_expiry(program_id: str, through_day: str, cursor: Cursor, limit: int, ids_only: bool = False) -> Page:
    """Cards whose soonest lot expires on or before `through_day`: one query, however many days behind."""
    return _page(Card.by_expiry, program_id, Card.expiry_key <= f"{program_id}#{through_day}", cursor, limit,
                 ids_only=ids_only)


def expiring_on(program_id: str, day: str, cursor: Cursor, limit: int, ids_only: bool = False) -> Page:
    """Cards whose soonest lot expires on `day` exactly (the expiry warning)."""
    return _page(Card.by_expiry, program_id, Card.expiry_key == f"{program_id}#{day}", cursor, limit, ids_only=ids_only)


def born_on(program_id: str, month_day: str, cursor: Cursor, limit: int, ids_only: bool = False) -> Page:
    """Cards whose birthday is `month_day` (MM-DD)."""
    return _page(Card.by_birthday, f"{program_id}#{month_day}", None, cursor, limit, ids_only=ids_only)


def last_visited_on(program_id: str, day: str, cursor: Cursor, limit: int, ids_only: bool = False) -> Page:
    """Cards whose last purchase was on `day`."""
    return _page(Card.by_last_visit, f"{program_id}#{day}", None, cursor, limit, ids_only=ids_only)


def touch_pass(card_id: str, now: datetime) -> Card | None:
    """Mark a card's pass changed without touching its points (a design change): one UpdateItem."""
    card = Card(card_id)
    try:
        card.update(actions=[Card.pass_version.add(1), Card.pass_changed_at.set(db.micros(now))],
                    condition=Card.card_id.exists(), add_version_condition=False)
    except Exception as error:
        if db.is_condition_failure(error):
            return None
        raise
    return card


def save_shown_change(card: Card, now: datetime, extra: list[Any] | None = None, claim: str | None = None) -> None:
    """Write a change to what the wallet shows (tier, name, status, notice) with its outbox items (and
    any `extra` items, and the one-time `claim` if given), all at once, conditioned on the version read
    (and on the claim being new). TransactWriteError when the card changed meanwhile or the claim exists."""
    mark_pass_changed(card, now)
    with db.transaction() as tx:
        tx.save(card)
        for item in [*outbox.pass_changed(card, now), *(extra or [])]:
            tx.save(item)
        if claim:
            aliases.claim_in(tx, claim, card.card_id, now)


def set_google_error(card_id: str, error: str | None) -> None:
    """Remember (or clear) Google's last refusal for the admin view; never blocks anything."""
    actions: list[Action] = [Card.google_error.set(error[:300])] if error else [Card.google_error.remove()]
    try:
        Card(card_id).update(actions=actions, condition=Card.card_id.exists(), add_version_condition=False)
    except Exception as failure:
        if not db.is_condition_failure(failure):
            raise
