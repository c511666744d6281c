"""Items read by the owner's analytics summary, and its latency, in a program of many cards and a year
of receipts. Goal: items read at most (days in the period) + (cards) + a constant.

The closed days are folded day items; today and yesterday are still open, their counters in the shards
that real receipts write. Cards carry the compact purchase history the receipt path keeps.

With `--locations K` (issue 18) the program is a chain of K stores, each with its own folded day items
and its members' homes, and it also times the comparison by location (GET .../analytics/locations).
Goal: items read at most (K + 1) x (days in the period + the open days' shards) + (cards).

    .venv/bin/python benchmarks/analytics.py [--cards 100000] [--days 365] [--period 30] [--repeat 3]
                                             [--locations 0]
"""
import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# `inmemory` sets the environment that the store's models read as they load: it comes before the app's modules
from inmemory import run_with_tables

from chalicelib.commands import queries
from chalicelib.core import analytics as numbers
from chalicelib.core import card_number, clock
from chalicelib.core.locations import Location
from chalicelib.store import analytics as analytics_store
from chalicelib.store import cards as card_store
from chalicelib.store import db
from chalicelib.store import programs as program_store
from chalicelib.store.models import AnalyticsItem, Card
from chalicelib.usecases import analytics, pos
from chalicelib.usecases import programs as program_cases

CONSTANT = 20  # the shards of the two open days (2 * 8) and a lookup, with room to spare
OPEN_RECEIPTS = 40  # anonymous receipts posted on each open day


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365, help="the program's age in days")
    parser.add_argument("--period", type=int, default=30, help="the summary's days, ending today")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--locations", type=int, default=0, help="stores of the chain (issue 18): 0 for none")
    args = parser.parse_args()
    return run_with_tables(run, args)


def purchase_count(rng: random.Random) -> int:
    """Purchase days of one card: a fifth never bought, many once to three times, a few often."""
    if rng.random() < 0.2:
        return 0
    return min(30, int(rng.paretovariate(1.2)))


def load_cards(args: argparse.Namespace, program: Any, now: datetime, rng: random.Random) -> dict:
    """Write the cards; returns the members' numbers by day ({day: [receipts, revenue, new members]})."""
    pid, zone = program.program_id, program.timezone
    first = datetime.fromisoformat(program.created_at)
    today = clock.local_day(now, zone)
    by_day: dict = {}
    with Card.batch_write() as batch:
        for index in range(args.cards):
            created = first + (now - first) * rng.random()
            joined = clock.local_day(created, zone)
            by_day.setdefault(joined.isoformat(), [0, 0, 0])[2] += 1
            span = (today - joined).days + 1
            days = sorted((joined + timedelta(days=n)).isoformat()
                          for n in rng.sample(range(span), min(purchase_count(rng), span)))
            visits = {day: 1 + (rng.random() < 0.1) for day in days}
            spend = {day: sum(rng.randint(200, 5000) * 100 for _ in range(count)) for day, count in visits.items()}
            for day in days:
                counts = by_day.setdefault(day, [0, 0, 0])
                counts[0] += visits[day]
                counts[1] += spend[day]
            stats = {"spend": spend, "visits": visits, "receipts": sum(visits.values()),
                     "revenue": sum(spend.values()), "first_purchase_on": days[0],
                     "last_purchase_on": days[-1]} if days else {}
            if days and args.locations:  # a chain: the member's home store
                stats["home"] = f"loc_{index % args.locations:04d}"
            card_id = f"c_{index:07d}"
            batch.save(Card(card_id, program_id=pid, merchant_id=program.merchant_id,
                            created_key=f"{db.iso(created)}#{card_id}",
                            number=card_number.from_random(f"{10_000_000_000 + index}"), name="B",
                            phone=f"+7916{index:07d}", consent_at=db.iso(created), ref_code=f"R{index}",
                            access_key="k" * 22, auth_token="t" * 32, balance=rng.randint(100, 900), tier="base",
                            stats=stats, last_visit_on=days[-1] if days else None, pass_version=1,
                            pass_changed_at=0, created_at=db.iso(created),
                            last_visit_key=f"{pid}#{days[-1]}" if days else None))
    return by_day


def load_days(args: argparse.Namespace, program: Any, now: datetime, members: dict, rng: random.Random) -> int:
    """Folded day items up to the day before yesterday, then real receipts on the two open days.
    Returns how many day items were written."""
    today = clock.local_day(now, program.timezone)
    first = clock.local_day(datetime.fromisoformat(program.created_at), program.timezone)
    outstanding, written = 0, 0
    with AnalyticsItem.batch_write() as batch:
        for n in range((today - first).days - 1):
            day = (first + timedelta(days=n)).isoformat()
            member_receipts, member_revenue, new_members = members.get(day, [0, 0, 0])
            anonymous = rng.randint(50, 400)
            earned = member_revenue // 2000  # 5 % back at a point of one ruble
            redeemed, expired = earned * rng.randint(20, 50) // 100, earned * rng.randint(0, 10) // 100
            outstanding += earned - redeemed - expired
            batch.save(AnalyticsItem(program.program_id, f"d#{day}", receipts=member_receipts + anonymous,
                                     member_receipts=member_receipts,
                                     revenue=member_revenue + anonymous * rng.randint(500, 3000) * 100,
                                     member_revenue=member_revenue, new_members=new_members,
                                     points_earned=earned, points_redeemed=redeemed, points_expired=expired,
                                     outstanding=outstanding))
            written += 1
    for back in (1, 0):  # yesterday, today: counted in shards by the receipt path
        for i in range(OPEN_RECEIPTS):
            pos.post_receipt(program, {"receipt_id": f"b{back}x{i}", "total": 150000}, now - timedelta(days=back))
    return written


def own_work_per_card(program: Any, now: datetime, start: date, end: date) -> float:
    """Seconds of our CPU per card, apart from the DynamoDB call itself: decoding the projected item
    and the member's numbers (in-process moto's own cost dwarfs it, so the latency above says little
    about what a Lambda spends against DynamoDB)."""
    table = Card._get_connection()
    raw = table.connection.client.query(TableName=table.table_name, IndexName="by_program", Limit=2000,
                       KeyConditionExpression="program_id = :p",
                       ProjectionExpression="card_id, created_at, balance, stats",
                       ExpressionAttributeValues={":p": {"S": program.program_id}})["Items"]
    started = time.perf_counter()
    members = (numbers.member_from_stats(card_id, analytics.day_of(created, program.timezone), stats, balance)
               for card_id, created, balance, stats in map(card_store.history, raw))
    numbers.member_totals(members, start, end, 90)
    return (time.perf_counter() - started) / max(1, len(raw))


def timed[T](call: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def run(args: argparse.Namespace) -> int:
    now = datetime(2027, 6, 1, 12, tzinfo=UTC)
    program = program_cases.create("m_bench", {"name": "Bench", "slug": "bench"}, now - timedelta(days=args.days))
    rng = random.Random(7)
    elapsed, members = timed(lambda: load_cards(args, program, now, rng))
    print(f"loaded {args.cards} cards in {elapsed:.0f} s")
    elapsed, written = timed(lambda: load_days(args, program, now, members, rng))
    print(f"loaded {written} folded days and {2 * OPEN_RECEIPTS} receipts on the 2 open days in {elapsed:.0f} s")

    today = clock.local_day(now, program.timezone)
    start = today - timedelta(days=args.period - 1)
    period = queries.PeriodQuery(start=start, end=today)
    runs = [timed(lambda: analytics.summary(program, period, now))
            for _ in range(max(1, args.repeat))]
    latencies = [elapsed for elapsed, _ in runs]
    answer: Any = runs[-1][1]
    read = answer["items_read"]
    total, bound = read["days"] + read["cards"], args.period + args.cards + CONSTANT
    print(f"cards {args.cards}, period {args.period} days: items read {total} (days+shards {read['days']}, "
          f"cards {read['cards']}); bound days+cards+constant = {args.period} + {args.cards} + {CONSTANT} "
          f"-> {'OK' if total <= bound else 'OVER'}")
    print(f"  summary: {answer['receipts']} receipts, {answer['buyers']} buyers of {answer['members']} members")
    print(f"summary latency (in-process moto, not DynamoDB): median {statistics.median(latencies):.2f} s "
          f"over {args.repeat} (min {min(latencies):.2f}, max {max(latencies):.2f})")
    per_card = own_work_per_card(program, now, start, today)
    print(f"our own work per card (decoding + the member's numbers, no I/O): {per_card * 1e6:.0f} us "
          f"-> {per_card * 100_000:.1f} s of CPU per 100,000 cards (the readers share one core: a floor)")
    elapsed, _ = timed(lambda: analytics.daily(program, period, now))
    print(f"daily latency: {elapsed:.2f} s")
    elapsed, _ = timed(lambda: analytics.segments(program, now))
    print(f"segments latency (thresholds computed and stored): {elapsed:.2f} s")
    within = chain(args, program, now, period) if args.locations else True
    return 0 if total <= bound and within else 1


def chain(args: argparse.Namespace, program: Any, now: datetime, period: queries.PeriodQuery) -> bool:
    """The program as a chain of `args.locations` stores, each with a folded day item per day of its history;
    times the comparison by location and checks what it read against its bound."""
    listed = [Location(location_id=f"loc_{n:04d}", name=f"Store {n}", created_at=program.created_at)
              for n in range(args.locations)]
    program = program_store.save_changes(program, {"locations": [item.to_json() for item in listed]}, now)
    today = clock.local_day(now, program.timezone)
    with AnalyticsItem.batch_write() as batch:
        for item in listed:
            scope = analytics_store.scope(program.program_id, item.location_id)
            for n in range(2, args.days):
                day = (today - timedelta(days=n)).isoformat()
                batch.save(AnalyticsItem(scope, f"d#{day}", receipts=10, revenue=1_000_000, outstanding=0))
    runs = [timed(lambda: analytics.by_location(program, period, now)) for _ in range(max(1, args.repeat))]
    answer: Any = runs[-1][1]
    read = answer["items_read"]
    bound = (args.locations + 1) * (args.period + 2 * analytics_store.SHARDS + 1) + args.cards
    total = read["days"] + read["cards"]
    print(f"by location, {args.locations} stores: items read {total} (days+shards {read['days']}, cards "
          f"{read['cards']}); bound (stores+1) x (period + open shards + 1) + cards = {bound} -> "
          f"{'OK' if total <= bound else 'OVER'}; latency median {statistics.median([e for e, _ in runs]):.2f} s "
          f"over {len(runs)}")
    return total <= bound


if __name__ == "__main__":
    sys.exit(main())
