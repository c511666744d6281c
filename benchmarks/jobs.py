"""What the daily jobs cost, and the time bounds that follow for a program of 1,000,000 cards and for
1,000 programs (README "Scheduled jobs").

1. Items read per run of the daily triggers, against the items due, in a program of many cards of which
   a few hundred are due (worked in place). Goal (issue 6): at most 1.2 items read per item due.
2. Per due card and per program: DynamoDB (and SQS) requests, and the time in in-process moto (mostly
   moto's own work: it says nothing about Lambda), for each path: worked in place, walked and
   fanned out to the queue (ids only), worked in a chunk from the queue, and a run over many programs
   (in place, and sent to the queue as a task each). The analytics upkeep's CPU per card.
3. The bounds: requests x an assumed DynamoDB/SQS latency + an allowance for our CPU, against each
   function's budget.

    .venv/bin/python benchmarks/jobs.py [--cards 100000] [--due 300] [--fanout-due 4000] [--programs 200]
"""
import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# `inmemory` sets the environment that the store's models read as they load: it comes before the app's modules
import boto3
from inmemory import run_with_tables

from chalicelib import config
from chalicelib.core import analytics as numbers
from chalicelib.core import card_number
from chalicelib.core import segments as seg
from chalicelib.jobs import triggers
from chalicelib.queue import chunks, fanout
from chalicelib.store import cards as card_store
from chalicelib.store import db
from chalicelib.store.models import ALL_MODELS, Card, Lot
from chalicelib.usecases import programs as program_cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=300)
    parser.add_argument("--fanout-due", type=int, default=4000, help="due cards of the fanned-out expiry walk")
    parser.add_argument("--programs", type=int, default=200, help="programs of the many-programs run")
    args = parser.parse_args()
    return run_with_tables(run, args)


def _after_every_dynamodb_call(handler: Callable[..., None]) -> None:
    """Call `handler` after each DynamoDB request of any model's client or the store's own."""
    for client in {id(c): c for c in [m._get_connection().connection.client for m in ALL_MODELS]
                   + [db.connection().client]}.values():
        client.meta.events.register("after-call.dynamodb", handler)


def run(args: argparse.Namespace) -> int:
    today = date(2027, 6, 1)
    now = datetime(2027, 6, 1, 3, tzinfo=UTC)
    program = program_cases.create("m_bench", {"name": "Bench", "slug": "bench", "mechanics": {
        "birthday": {"bonus": 100}, "winback": {"after_days": 45, "bonus": 50}, "expiry_warning_days": 0}}, now)
    pid = program.program_id
    rng = random.Random(7)
    due_each = args.due // 3
    started = time.perf_counter()
    with Card.batch_write() as batch:
        for index in range(args.cards):
            kind = index % (args.cards // due_each) if index < due_each * (args.cards // due_each) else -1
            expiry = today if kind == 0 else today + timedelta(days=rng.randint(1, 300))
            birthday = today if kind == 1 else today + timedelta(days=rng.randint(1, 300))
            visit = today - timedelta(days=45) if kind == 2 else today - timedelta(days=rng.randint(0, 40))
            lot = Lot(lot_id="l1", source="purchase", points=100, remaining=100, earned_on="2026-06-01",
                      available_on="2026-06-01", expires_on=expiry.isoformat(), ref="r")
            batch.save(Card(f"c_{index:07d}", program_id=pid, merchant_id="m_bench", created_key=f"k{index:07d}",
                            number=card_number.from_random(f"{10_000_000_000 + index}"), name="B",
                            phone=f"+7916{index:07d}", consent_at="", ref_code=f"R{index}", access_key="k" * 22,
                            auth_token="t" * 32, balance=100, tier="base", lots=[lot], stats={
                                "receipts": 3, "last_purchase_on": visit.isoformat()},
                            last_visit_on=visit.isoformat(), pass_version=1, pass_changed_at=0, created_at="",
                            expiry_key=f"{pid}#{expiry.isoformat()}", birthday="1990-" + birthday.strftime("%m-%d"),
                            birthday_key=f"{pid}#{birthday.strftime('%m-%d')}",
                            last_visit_key=f"{pid}#{visit.isoformat()}"))
    print(f"loaded {args.cards} cards in {time.perf_counter() - started:.0f} s")
    read = {"items": 0}

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        operation = model.name
        if operation in ("Query", "Scan"):
            read["items"] += parsed.get("Count", 0)
        elif operation == "GetItem":
            read["items"] += 1 if parsed.get("Item") else 0
        elif operation == "BatchGetItem":
            read["items"] += sum(len(items) for items in parsed.get("Responses", {}).values())

    _after_every_dynamodb_call(count)
    requests: dict = {}

    def calls(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        requests[model.name] = requests.get(model.name, 0) + 1

    _after_every_dynamodb_call(calls)
    per_card = {}
    for name, due_key in (("expire_points", "expired_cards"), ("birthdays", "gifts"), ("winback", "offers")):
        read["items"] = 0
        requests.clear()
        started = time.perf_counter()
        counts = triggers.run(name, today, now=now)
        elapsed = time.perf_counter() - started
        due = counts[due_key]
        per_card[name] = (max(due, 1), elapsed / max(due, 1), dict(requests))
        print(f"  {name}: {read['items']} items read from DynamoDB for {due} due -> "
              f"{read['items'] / max(due, 1):.2f} per item due (goal <= 1.2); {elapsed:.1f} s in moto")
    print("per due card, worked in place:")
    for name, (due, seconds, seen) in per_card.items():
        print(f"  {name}: {sum(seen.values()) / due:.2f} requests ({_spelled(seen, due)}), "
              f"{seconds * 1000:.1f} ms in moto")
    return scale(args, pid, requests, per_card)


def _spelled(seen: dict, per: int) -> str:
    return ", ".join(f"{name} {count / per:.2f}" for name, count in sorted(seen.items()))


# Assumed latencies from a Lambda in the table's region (not measured here: moto is in-process). DynamoDB
# answers single-item reads and 1 MB query pages in single-digit milliseconds; a transaction of 3-6 items
# takes a few times that; SQS SendMessageBatch tens of milliseconds. Rounded up, to be a bound.
LATENCY = {"GetItem": 0.010, "Query": 0.030, "Scan": 0.050, "TransactWriteItems": 0.030, "PutItem": 0.015,
           "UpdateItem": 0.015, "DeleteItem": 0.015, "SendMessageBatch": 0.040}


CPU_ALLOWANCE = 0.005  # our own Python per unit (a card, a program): moto's time includes its own far larger work


def _bound(seen: dict, per: int, own: float = CPU_ALLOWANCE) -> float:
    """Seconds for one unit (a card, a program) of what `seen` counted over `per` units."""
    return sum(LATENCY.get(name, 0.03) * count for name, count in seen.items()) / per + min(own, CPU_ALLOWANCE)


def scale(args: argparse.Namespace, pid: str, requests: dict, per_card: dict) -> int:
    """Fan-out, chunks and many programs, and the bounds that follow."""
    today = date(2027, 9, 1)
    now = datetime(2027, 9, 1, 3, tzinfo=UTC)
    with Card.batch_write() as batch:  # a day on which many cards of the program are due
        for index in range(args.fanout_due):
            lot = Lot(lot_id="l1", source="purchase", points=10, remaining=10, earned_on="2026-09-01",
                      available_on="2026-09-01", expires_on=today.isoformat(), ref="r")
            batch.save(Card(f"f_{index:07d}", program_id=pid, merchant_id="m_bench", created_key=f"f{index:07d}",
                            number=f"9{index:011d}", name="B", phone=f"+7917{index:07d}", consent_at="",
                            ref_code=f"F{index}", access_key="k" * 22, auth_token="t" * 32, balance=10, tier="base",
                            lots=[lot], stats={}, pass_version=1, pass_changed_at=0, created_at="",
                            expiry_key=f"{pid}#{today.isoformat()}"))
    sqs = boto3.client("sqs", region_name="eu-central-1")
    os.environ["JOBS_QUEUE_URL"] = sqs.create_queue(QueueName="bench-jobs")["QueueUrl"]
    config.reset()
    sent = {"SendMessageBatch": 0, "messages": 0}
    real_send = fanout.send
    fanout_messages = []

    def counting_send(messages: list[Any]) -> int:
        sent["SendMessageBatch"] += -(-len(messages) // fanout.SQS_BATCH)
        sent["messages"] += len(messages)
        fanout_messages.extend(messages)
        return len(messages)  # kept here instead of SQS, to be worked below

    fanout.send = counting_send
    requests.clear()
    started = time.perf_counter()
    counts = triggers.run("expire_points", today, now=now)
    walk_seconds = time.perf_counter() - started
    walk_seen = {**requests, "SendMessageBatch": sent["SendMessageBatch"]}
    due = counts["read"]
    print(f"a walk of {due} due cards fanned out (ids only after the first page): {counts.get('chunks', 0)} chunks; "
          f"per 1,000 cards {_spelled(walk_seen, max(due, 1) / 1000)}; {walk_seconds / due * 1e6:.0f} us "
          f"per card in moto")
    requests.clear()
    worked, started = 0, time.perf_counter()
    for message in fanout_messages[:5]:
        worked += chunks.work(message)["cards"]
    chunk_seconds = (time.perf_counter() - started) / max(worked, 1)
    chunk_seen = dict(requests)
    print(f"worked from the queue: {worked} cards in 5 chunks; per card {_spelled(chunk_seen, worked)}; "
          f"{chunk_seconds * 1000:.1f} ms per card in moto")

    for index in range(args.programs):  # many programs with nothing due: the cost of a program as such
        program_cases.create("m_bench", {"name": f"P{index}", "slug": f"bench-{index}", "mechanics": {
            "expiry_warning_days": 7}}, now)
    fanout.INLINE_PROGRAMS = 10 ** 9
    requests.clear()
    started = time.perf_counter()
    triggers.run("expire_points", today, now=now)  # burned above: nothing due
    inline_seconds = (time.perf_counter() - started) / (args.programs + 1)
    inline_seen = dict(requests)
    print(f"{args.programs + 1} programs worked in place, nothing due: per program "
          f"{_spelled(inline_seen, args.programs + 1)}; {inline_seconds * 1000:.1f} ms in moto")
    fanout.INLINE_PROGRAMS = 10
    requests.clear()
    sent.update(SendMessageBatch=0, messages=0)
    started = time.perf_counter()
    triggers.run("expire_points", today, now=now)  # burned above: nothing due
    queued_seconds = (time.perf_counter() - started) / (args.programs + 1)
    queued_seen = {**requests, "SendMessageBatch": sent["SendMessageBatch"]}
    print(f"{args.programs + 1} programs sent to the queue, a task each: per program "
          f"{_spelled(queued_seen, args.programs + 1)}; {queued_seconds * 1000:.2f} ms in moto")
    fanout.send = real_send

    analytics_cpu = analytics_cpu_per_card(pid)
    print(f"analytics upkeep, our CPU per card (decoding + the thresholds' observation, no I/O): "
          f"{analytics_cpu * 1e6:.1f} us")

    _print_bounds(per_card, card_seconds={
        "chunk": _bound(chunk_seen, max(worked, 1)),
        "walk": _bound(walk_seen, max(due, 1), 0.00005),  # ids only: 50 us of our CPU per card, generously
    }, program_seconds={
        "inline": _bound(inline_seen, args.programs + 1),
        "queued": _bound(queued_seen, args.programs + 1, 0.001),  # a message's JSON
    }, analytics_cpu=analytics_cpu)
    return 0


def _print_bounds(per_card: dict[str, Any], *, card_seconds: dict[str, float], program_seconds: dict[str, float],
                  analytics_cpu: float) -> None:
    print(f"bounds (requests x assumed latency + {CPU_ALLOWANCE * 1000:.0f} ms of our CPU per unit; moto's times above "
          "include moto's own work (its transactions copy the table), so they bound nothing; latencies assumed: " +
          ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in LATENCY.items()) + "):")
    card_s = max(_bound(seen, due) for due, _, seen in per_card.values())
    chunk_card_s, walk_card_s = card_seconds["chunk"], card_seconds["walk"]
    program_inline_s, program_queued_s = program_seconds["inline"], program_seconds["queued"]
    print(f"  a due card in place: {card_s * 1000:.0f} ms; from a chunk: {chunk_card_s * 1000:.0f} ms -> "
          f"a chunk of {fanout.CHUNK}: {chunk_card_s * fanout.CHUNK:.0f} s (job_chunk: 300 s, budget 240 s)")
    print(f"  walking 1,000,000 due cards to the queue: {walk_card_s * 1e6:.0f} s in all, "
          f"{240 / walk_card_s:,.0f} cards per job_chunk invocation before it hands its cursor on "
          f"-> {walk_card_s * 1e6 / 240:.1f} invocations; the chunks then take "
          f"{chunk_card_s * 1e6 / 3600:.1f} h of work, / the queue's concurrency")
    print(f"  1,000 programs: in place {program_inline_s * 1000:.0f} s of a program's overhead alone "
          f"(a scheduled function has 25 s, budget 20 s: hence a task each above {fanout.INLINE_PROGRAMS} "
          f"programs); sent to the queue {program_queued_s * 1000:.1f} s")
    print(f"  analytics: 1,000,000 cards of one program ~{analytics_cpu * 1e6:.0f} s of CPU + "
          f"{1_000_000 * 600 / 1e6 / 8:.0f} query pages of 1 MB per reader (8 readers) x "
          f"{LATENCY['Query'] * 1000:.0f} ms"
          f" = {analytics_cpu * 1e6 + 1_000_000 * 600 / 1e6 / 8 * LATENCY['Query']:.0f} s (job_chunk budget 240 s)")


def analytics_cpu_per_card(pid: str) -> float:
    """Our CPU per card of the nightly thresholds pass (the upkeep's part that grows with cards)."""
    table = Card._get_connection()
    raw = table.connection.client.query(TableName=table.table_name, IndexName="by_program", Limit=5000,
                       KeyConditionExpression="program_id = :p",
                       ProjectionExpression="card_id, created_at, balance, stats",
                       ExpressionAttributeValues={":p": {"S": pid}})["Items"]
    started = time.process_time()
    members = (numbers.member_from_stats(card_id, "2027-01-01", stats, balance)
               for card_id, _, balance, stats in map(card_store.history, raw))
    seg.observe(members, date(2027, 6, 1))
    return (time.process_time() - started) / max(1, len(raw))


if __name__ == "__main__":
    sys.exit(main())
