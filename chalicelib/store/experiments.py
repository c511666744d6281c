"""Experiments and their assignments in DynamoDB (core/experiments.py says what they mean).

- `experiments` (program_id, experiment_id): the design, its status, its last ROMI summary;
- `assignments` (experiment_id, card_id): one card's group, exposure day, cost, and `events`, a flat
  list of (offset, revenue, points, visit) appended by the card's receipts and refunds inside their own
  ledger transaction (`append_events`), so an event is recorded exactly when the sale is.

A card joins an experiment (`enrol`) in one transaction: its assignment (conditioned on being new: a
re-run or a second chunk changes nothing) and the card item with the trial added (conditioned on the
version read, like every card write). Reading an experiment's report is one Query over its
assignments: the items read are the cards in it (`assignments`). An assignment keeps the card's home
location at exposure (`location_id`), so a report can be read for one location's cards."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.operand import Value, _ListAppend
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.core import experiments as rules
from chalicelib.core.experiments import Event, Exposure
from chalicelib.store import cards as card_store
from chalicelib.store import db, pages
from chalicelib.store.models import Assignment, Card, Experiment
from chalicelib.store.plans import TrialEvent

ATTEMPTS = 6
EVENT_WIDTH = 4  # numbers per event in Assignment.events


def create(program_id: str, experiment_id: str, **fields: Any) -> Experiment:
    experiment = Experiment(program_id, experiment_id, **fields)
    experiment.save(condition=Experiment.experiment_id.does_not_exist())
    return experiment


def get(program_id: str, experiment_id: str) -> Experiment | None:
    try:
        return Experiment.get(program_id, experiment_id)
    except Experiment.DoesNotExist:
        return None


def of_program(program_id: str) -> list[Experiment]:
    """The program's experiments, newest first (a program runs a few a month: one short Query)."""
    return sorted(Experiment.query(program_id), key=lambda item: (item.created_at, item.experiment_id), reverse=True)


def save(experiment: Experiment) -> bool:
    """Write it over the version read: False when it changed since (a stop, another report's summary)."""
    try:
        experiment.save()
        return True
    except PutError as error:
        if db.is_condition_failure(error):
            return False
        raise


def enrol(card: Card, design: rules.Design, variant: str, exposed_on: date, now: datetime, *,
          running: dict[str, rules.Design] | None = None, bonus: int = 0, message_cost: int = 0) -> tuple[Card, bool]:
    """The card joins the experiment in `variant` (once). Returns the card as it now is, and whether
    this call enrolled it (False: it was in already, or the card is gone). `running`: the program's
    running trigger experiments, whose trials the card keeps (core/experiments.kept)."""
    trial = rules.trial(design, variant, exposed_on)
    for attempt in range(ATTEMPTS):
        if rules.is_in(rules.trials_of(card.trials), design.experiment_id) is not None:
            return card, False
        assignment = Assignment(design.experiment_id, card.card_id, program_id=card.program_id, number=card.number,
                                variant=variant, exposed_on=exposed_on.isoformat(), bonus=bonus,
                                message_cost=message_cost, events=[], created_at=db.iso(now),
                                location_id=(card.stats or {}).get("home"))
        kept = rules.kept(rules.trials_of(card.trials), exposed_on, running or {})
        keep = frozenset(design.experiment_id for design in (running or {}).values())
        card.trials = [item.to_json() for item in rules.joined(kept, trial, keep)]
        try:
            with db.transaction() as tx:
                tx.save(assignment, condition=Assignment.card_id.does_not_exist())
                tx.save(card)  # conditioned on the version read
            return card, True
        except TransactWriteError as error:
            reasons = db.cancellation_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                fresh = card_store.get(card.card_id, consistent=True)
                return (fresh or card), False  # enrolled before (its trial may have ended since)
            if "ConditionalCheckFailed" not in reasons and not db.is_crowded(error):
                raise
            db.back_off_if_crowded(error, attempt)
            fresh = card_store.get(card.card_id, consistent=True)
            if fresh is None:
                return card, False
            card = fresh
    raise RuntimeError("the card kept changing while it joined the experiment")


def enrol_with(tx: TransactWrite, enrolments: Sequence[Any], now: datetime) -> None:
    """Within a ledger transaction: each card's assignment (store/plans.Enrolment), its fields set only
    where missing, so a retried or repeated receipt leaves the first exposure as it was; its `location_id`
    (the card's home at exposure) when the enrolment names one."""
    for item in enrolments:
        fields = ((Assignment.program_id, item.program_id), (Assignment.number, item.number),
                  (Assignment.variant, item.variant), (Assignment.exposed_on, item.exposed_on),
                  (Assignment.created_at, db.iso(now)), (Assignment.bonus, 0), (Assignment.message_cost, 0))
        actions: list[Action] = [attribute.set(attribute | value) for attribute, value in fields]
        if item.location_id is not None:
            actions.append(Assignment.location_id.set(Assignment.location_id | item.location_id))
        actions.append(Assignment.events.set(Assignment.events | []))
        tx.update(Assignment(item.experiment_id, item.card_id), actions=actions)


def append_events(tx: TransactWrite, events: Sequence[TrialEvent]) -> None:
    """Within a ledger transaction: each event appended to its card's assignment (and its `bonus`, a
    challenge's reward, added to the card's cost). One update per assignment (a transaction may not
    touch an item twice); a receipt that exposes a card adds no event to that experiment (decisions)."""
    by_item: dict[tuple[str, str], tuple[list[int], int]] = {}
    for item in events:
        numbers, bonus = by_item.get((item.experiment_id, item.card_id), ([], 0))
        event = item.event
        numbers.extend((event.offset, event.revenue, event.points, event.visit))
        by_item[(item.experiment_id, item.card_id)] = (numbers, bonus + item.bonus)
    for (experiment_id, card_id), (numbers, bonus) in by_item.items():
        # SET events = list_append(if_not_exists(events, []), :numbers): an assignment whose events were
        # never started (or was erased) takes them too, instead of failing the receipt
        appended = _ListAppend(Assignment.events | [], Value(numbers, attribute=Assignment.events))
        actions: list[Action] = [Assignment.events.set(appended)]
        if bonus:
            actions.append(Assignment.bonus.add(bonus))
        tx.update(Assignment(experiment_id, card_id), actions=actions)


def exposure_of(item: Assignment) -> Exposure | None:
    """An assignment as the report reads it (None: events of a card whose assignment was erased)."""
    numbers = [int(number) for number in item.events or ()]  # type: ignore[call-overload]  # numbers, as stored
    return _exposure(item.variant, item.exposed_on, int(item.bonus or 0), int(item.message_cost or 0), numbers)


def _exposure(variant: str | None, exposed_on: str | None, bonus: int, message_cost: int,
              numbers: list[int]) -> Exposure | None:
    if variant is None or exposed_on is None:
        return None  # nobody to compare
    events = tuple(Event(*numbers[index:index + EVENT_WIDTH])
                   for index in range(0, len(numbers) - EVENT_WIDTH + 1, EVENT_WIDTH))
    return Exposure(variant, date.fromisoformat(exposed_on), bonus, message_cost, events)


class Reading:
    """The experiment's assignments, read once page by page; `items_read` counts them. Asks for just the
    attributes a report needs and decodes them by hand (DynamoDB's JSON): building full Assignment
    objects cost several times the statistics themselves (benchmarks/experiments.py). `location_id`:
    only the cards whose home was that location when exposed (every assignment is still read)."""

    def __init__(self, experiment_id: str, location_id: str | None = None) -> None:
        self.experiment_id = experiment_id
        self.location_id = location_id
        self.items_read = 0

    def __iter__(self) -> Iterator[Exposure]:
        client = Assignment._get_connection().connection.client
        request: dict[str, Any] = {
            "TableName": Assignment.Meta.table_name, "KeyConditionExpression": "experiment_id = :e",
            "ExpressionAttributeValues": {":e": {"S": self.experiment_id}},
            # names through placeholders: none of them can then collide with a DynamoDB reserved word
            "ProjectionExpression": "#v, #x, #b, #m, #ev, #l",
            "ExpressionAttributeNames": {"#v": "variant", "#x": "exposed_on", "#b": "bonus", "#m": "message_cost",
                                         "#ev": "events", "#l": "location_id"}}
        while True:
            page = client.query(**request)
            for item in page["Items"]:
                self.items_read += 1
                if self.location_id is not None and item.get("location_id", {}).get("S") != self.location_id:
                    continue
                exposure = raw_exposure(item)
                if exposure is not None:
                    yield exposure
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def raw_exposure(item: dict[str, Any]) -> Exposure | None:
    """An assignment as DynamoDB's JSON gives it, decoded by hand (see `Reading`)."""
    return _exposure(item.get("variant", {}).get("S"), item.get("exposed_on", {}).get("S"),
                     int(item.get("bonus", {}).get("N", 0)), int(item.get("message_cost", {}).get("N", 0)),
                     [int(number["N"]) for number in item.get("events", {}).get("L", ())])


def page(experiment_id: str, limit: int, cursor: str | None) -> tuple[list[Assignment], str | None]:
    """A page of the experiment's assignments in card-id order (the CSV export's pages)."""
    start = pages.decode(cursor, "experiment_id", experiment_id, "card_id", "card_id")
    result = Assignment.query(experiment_id, limit=limit, last_evaluated_key=start)
    items = list(result)
    return items, pages.encode(result.last_evaluated_key, "card_id", "card_id")
