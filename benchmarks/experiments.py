"""Items read by an experiment's report, and its time, for an experiment of many cards (issue 17: reading
the report costs at most (cards in the experiment + days) items). Goal: items read <= cards + 1 (the
assignments, one each, and the experiment's own item).

The assignments are written directly (batch writes) as a campaign sent 35 days ago would leave them: 10%
control, every card exposed on that one day, 0-4 events each (sales, a few refunds) with a small true
effect for the treated cards. Then `usecases.experiments.report` reads them (one Query) and
`core.uplift.report` computes the same report again from the exposures held in memory: the CPU a Lambda
would spend besides DynamoDB's pages.

    .venv/bin/python benchmarks/experiments.py [--cards 100000] [--repeat 3]
"""
import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# `inmemory` sets the environment that the store's models read as they load: it comes before the app's modules
from inmemory import run_with_tables

from chalicelib.commands import admin as commands
from chalicelib.core import card_number, clock, uplift
from chalicelib.core import experiments as rules
from chalicelib.store import experiments as experiment_store
from chalicelib.store.models import Assignment
from chalicelib.usecases import experiments
from chalicelib.usecases import programs as program_cases

EXPOSED_DAYS_AGO = 35
# visits in the 30 days after the message: control and treated (the treated come a little more often)
VISITS = {"control": (0.50, 0.25, 0.13, 0.08, 0.04), "a": (0.45, 0.27, 0.14, 0.09, 0.05)}
REFUND_SHARE = 0.03  # of sales, refunded in part a few days later
EARN_PERCENT = 5
BONUS = 200  # points the campaign gave each treated card
MESSAGE_COST = 400  # an SMS, minor units
PAGE = 1024 * 1024  # DynamoDB's page of a Query: 1 MB of items
READ_UNIT = 4096  # an eventually consistent read unit covers 2 x 4 KB of a Query's items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    return run_with_tables(run, args)


def events(rng: random.Random, group: str) -> list[int]:
    """One card's events in the flat stored form: (offset, revenue, points, visit) per sale or refund."""
    flat: list[int] = []
    visits = rng.choices(range(5), weights=VISITS["control" if group == rules.CONTROL else "a"])[0]
    for offset in sorted(rng.randrange(30) for _ in range(visits)):
        revenue = int(rng.lognormvariate(7.6, 0.6)) * 100  # about 2,000 rubles a receipt
        points = revenue // 100 * EARN_PERCENT // 100
        flat += [offset, revenue, points, 1]
        if rng.random() < REFUND_SHARE and offset < 27:  # noqa: PLR2004 (the refund stays inside the window)
            flat += [offset + 3, -revenue // 2, -points // 2, 0]
    return flat


def load(program: Any, design: rules.Design, cards: int, exposed_on: str, rng: random.Random) -> dict[str, int]:
    """Write the experiment's assignments; returns the cards per group."""
    groups: dict[str, int] = {}
    with Assignment.batch_write() as batch:
        for index in range(cards):
            card_id = f"c_{index:07d}"
            group = rules.assign(design, card_id)
            groups[group] = groups.get(group, 0) + 1
            treated = group != rules.CONTROL
            batch.save(Assignment(design.experiment_id, card_id, program_id=program.program_id,
                                  number=card_number.from_random(f"{10_000_000_000 + index}"), variant=group,
                                  exposed_on=exposed_on, bonus=BONUS if treated else 0,
                                  message_cost=MESSAGE_COST if treated else 0, events=events(rng, group),
                                  created_at=f"{exposed_on}T09:00:00.000000Z"))
    return groups


def size_of(value: dict[str, Any]) -> int:
    """The size DynamoDB counts of one attribute value (its name counted by the caller): strings their
    UTF-8 bytes; numbers 1 byte per two significant digits plus 1; lists and maps 3 bytes plus 1 per
    element, plus the elements; booleans and nulls 1 byte."""
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        digits = Decimal(data).normalize().as_tuple().digits
        return (len(digits) + 1) // 2 + 1
    if kind == "L":
        return 3 + sum(1 + size_of(item) for item in data)
    if kind == "M":
        return 3 + sum(len(name.encode()) + 1 + size_of(item) for name, item in data.items())
    if kind in ("BOOL", "NULL"):
        return 1
    raise ValueError(f"unexpected attribute type {kind}")


def raw_items(experiment_id: str) -> list[dict[str, Any]]:
    """The experiment's assignments as DynamoDB returns them (typed attribute values), one Query."""
    table = Assignment._get_connection()
    client, items, start = table.connection.client, [], None
    while True:
        extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        page = client.query(TableName=table.table_name, KeyConditionExpression="experiment_id = :e",
                            ExpressionAttributeValues={":e": {"S": experiment_id}}, **extra)
        items.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def timed[T](call: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def run(args: argparse.Namespace) -> int:
    now = datetime(2027, 6, 1, 12, tzinfo=UTC)
    program = program_cases.create("m_bench", {"name": "Bench", "slug": "bench"}, now - timedelta(days=400))
    economics = {"margin_percent": 60, "message_prices": {"wallet": 0, "email": 0, "sms": MESSAGE_COST}}
    changes = commands.read_program_changes({"mechanics": {"economics": economics}}, program)
    program = program_cases.update(program, changes, now - timedelta(days=EXPOSED_DAYS_AGO + 1))
    today = clock.local_day(now, program.timezone)
    exposed = datetime.combine(today - timedelta(days=EXPOSED_DAYS_AGO), datetime.min.time(), tzinfo=UTC)
    design = experiments.for_campaign(program, "cp_bench", "Sleeping customers", rules.Settings(1000), actor="bench",
                                      now=exposed)
    assert design is not None
    elapsed, groups = timed(lambda: load(program, design, args.cards, exposed.date().isoformat(), random.Random(7)))
    print(f"wrote {args.cards} assignments in {elapsed:.0f} s: "
          + ", ".join(f"{group} {count} ({count * 100 / args.cards:.1f}%)" for group, count in sorted(groups.items())))

    runs = [timed(lambda: experiments.report(program, design.experiment_id, now)) for _ in range(max(1, args.repeat))]
    latencies = [elapsed for elapsed, _ in runs]
    answer: Any = runs[-1][1]
    read = answer["items_read"]
    total, bound = read["assignments"] + read["experiment"], args.cards + 1
    print(f"cards {args.cards}: items read {total} (assignments {read['assignments']}, experiment "
          f"{read['experiment']}); bound cards + 1 = {bound} -> {'OK' if total <= bound else 'OVER'}")
    median = statistics.median(latencies)
    print(f"report latency (in-process moto, not DynamoDB): median {median:.2f} s over {len(latencies)} "
          f"(min {min(latencies):.2f}, max {max(latencies):.2f}) = {median / args.cards * 1e6:.1f} us per card")

    raw = raw_items(design.experiment_id)  # the same items again, kept to time our own part without moto's
    decode, exposures = timed(lambda: [exposure for item in raw if (
        exposure := experiment_store.raw_exposure(item)) is not None])
    through, _ = timed(lambda: [experiment_store.exposure_of(Assignment.from_raw_data(item)) for item in raw])
    print(f"decoding the items into exposures (by hand, as the report reads them; no I/O): "
          f"{decode / args.cards * 1e6:.1f} us per card -> {decode / args.cards * 100_000:.2f} s per 100,000 cards "
          f"(through PynamoDB objects: {through / args.cards * 1e6:.1f} us per card, "
          f"{through / max(decode, 1e-9):.1f} x)")
    variants = [(item.id, item.name) for item in design.variants]
    cpu = [timed(lambda: uplift.report(exposures, variants, design.windows, today, experiments.economics(program)))[0]
           for _ in range(max(1, args.repeat))]
    best = min(cpu)
    print(f"core.uplift.report alone (exposures in memory, no I/O): median {statistics.median(cpu):.3f} s, "
          f"best {best:.3f} s = {best / args.cards * 1e6:.2f} us per card "
          f"-> {best / args.cards * 100_000:.2f} s per 100,000 cards")

    sizes = [sum(len(name.encode()) + size_of(value) for name, value in item.items()) for item in raw]
    average, stored = statistics.fmean(sizes), sum(sizes)
    events_per_card = sum(len(exposure.events) for exposure in exposures) / max(1, len(exposures))
    print(f"assignment item size (as DynamoDB counts it): average {average:.0f} bytes (min {min(sizes)}, max "
          f"{max(sizes)}), {events_per_card:.2f} events per card; the experiment {stored / 1e6:.1f} MB "
          f"-> {-(-stored // PAGE)} Query pages of 1 MB, about {stored / READ_UNIT / 2:.0f} read units "
          f"(eventually consistent)")
    if answer.get("windows"):
        row = answer["windows"][-1]
        comparison = row["comparisons"][0] if row.get("comparisons") else None
        if comparison:
            print(f"  {row['days']}-day window: {comparison['verdict']['text']['en']}")
    return 0 if total <= bound else 1


if __name__ == "__main__":
    sys.exit(main())
