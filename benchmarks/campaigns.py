"""DynamoDB requests per card of a campaign send (bonus + wallet message), inline, and for a send killed
halfway and finished by the `campaigns` job; what the exactly-once bookkeeping costs per card.

    .venv/bin/python benchmarks/campaigns.py [--cards 200]
"""
import argparse
import functools
import os
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# `inmemory` sets the environment that the store's models read as they load: it comes before the app's modules
import botocore.client
from inmemory import run_with_tables

from chalicelib.store import campaigns as campaign_store
from chalicelib.usecases import campaigns, enrollment
from chalicelib.usecases import programs as program_cases


class Killed(BaseException):
    """A crash halfway: nothing of ours catches it."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=200)
    args = parser.parse_args()
    return run_with_tables(run, args)


def _counting() -> Counter[str]:
    """DynamoDB requests by operation, counted from now on."""
    seen: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            seen[operation] += 1
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = record
    return seen


def _dying_after(count: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """`real`, and a crash (Killed) just after its count-th call."""
    calls = 0

    def record_then_die(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        done = real(*args, **kwargs)
        calls += 1
        if calls == count:
            raise Killed()
        return done

    return record_then_die


def run(args: argparse.Namespace) -> int:
    now = datetime(2027, 6, 1, 9, tzinfo=UTC)
    program = program_cases.create("m_bench", {"name": "Bench", "slug": "bench", "mechanics": {
        "messaging": {"quiet_hours": None}}}, now)
    for index in range(args.cards):
        enrollment.enroll(program, {"name": "B", "phone": f"+7916{index:07d}", "consent": True}, now, "ru")
    seen = _counting()
    print(f"{args.cards} cards, a campaign with a bonus and a wallet message")
    for label, kill_at in (("inline send", None), ("killed halfway, then resumed", args.cards // 2)):
        campaign = campaigns.create(program, {"name": label, "texts": {"ru": "Hi"}, "bonus": 5}, "me", now)
        seen.clear()
        real = campaign_store.record_card
        if kill_at is not None:
            campaign_store.record_card = _dying_after(kill_at, real)
        try:
            campaigns.send(program, campaign, now)
        except Killed:
            campaign_store.record_card = real
            later = datetime.now(UTC) + campaigns.LEASE + timedelta(minutes=1)
            wall, campaigns._wall = campaigns._wall, functools.partial(lambda moment: moment, later)
            campaigns.run_due(later)
            campaigns._wall = wall
        final = campaigns.progress(campaigns.get(program, campaign.campaign_id))
        total = sum(seen.values())
        ops = ", ".join(f"{name} {count / args.cards:.2f}" for name, count in seen.most_common())
        print(f"  {label}: {total / args.cards:.2f} requests per card ({ops}); "
              f"processed {final['processed']}, bonuses {final['bonuses']}, sent {final['sent']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
