"""Items read per run of the daily triggers, against the items due, in a program of many cards of which
a few hundred are due. Goal (issue 6): at most 1.2 items read per item due.

    .venv/bin/python benchmarks/jobs.py [--cards 100000] [--due 300]
"""
import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inmemory import run_with_tables  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=300)
    args = parser.parse_args()
    return run_with_tables(run, args)


def run(args) -> int:
    from chalicelib.core import card_number
    from chalicelib.jobs import triggers
    from chalicelib.store.models import Card, Lot
    from chalicelib.usecases import programs as program_cases

    today = date(2027, 6, 1)
    now = datetime(2027, 6, 1, 3, tzinfo=timezone.utc)
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

    def count(parsed, model, **_):
        operation = model.name
        if operation in ("Query", "Scan"):
            read["items"] += parsed.get("Count", 0)
        elif operation == "GetItem":
            read["items"] += 1 if parsed.get("Item") else 0
        elif operation == "BatchGetItem":
            read["items"] += sum(len(items) for items in parsed.get("Responses", {}).values())

    from chalicelib.store import db
    from chalicelib.store.models import ALL_MODELS

    for client in {id(c): c for c in [m._get_connection().connection.client for m in ALL_MODELS]
                   + [db.connection().client]}.values():
        client.meta.events.register("after-call.dynamodb", count)
    for name, due_key in (("expire_points", "expired_cards"), ("birthdays", "gifts"), ("winback", "offers")):
        read["items"] = 0
        started = time.perf_counter()
        counts = getattr(triggers, name)(today, now=now)
        elapsed = time.perf_counter() - started
        due = counts[due_key]
        print(f"  {name}: {read['items']} items read from DynamoDB for {due} due -> "
              f"{read['items'] / max(due, 1):.2f} per item due (goal <= 1.2); {elapsed:.1f} s in moto")
    return 0


if __name__ == "__main__":
    sys.exit(main())
