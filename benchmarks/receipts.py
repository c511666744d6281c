"""DynamoDB requests per card receipt and the receipt handler's latency against a local DynamoDB.

Starts moto's server on a free port, creates the tables, a program, a POS key and some cards, then
posts signed receipts through the Chalice app and counts DynamoDB calls from botocore's events.
Goal (issue 4): at most 3 requests per card receipt (the card's GetItem, one TransactWriteItems, the POS
key's rate counter), still so with product rules, offers and challenges (issue 16), whose state is on the
card's item; it prints the handler's CPU time per receipt with 20 lines next to one without, and (issue 18)
the same with a location's POS key (its receipts add to the location's analytics counters too: one more item
in the same transaction, no more requests).

    .venv/bin/python benchmarks/receipts.py [--receipts 200] [--cards 20]
"""
import argparse
import collections
import hashlib
import hmac
import json
import os
import socket
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The environment first: the settings and the store's models read it as they are imported (hence E402 below).
PORT = _free_port()
os.environ.update({"STAGE": "bench", "TABLE_PREFIX": "bench-", "DYNAMODB_ENDPOINT": f"http://127.0.0.1:{PORT}",
                   "AWS_DEFAULT_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "ADMIN_JWT_KEYS_FILE": os.devnull})

import logging
from datetime import UTC, datetime

from chalice.test import Client
from moto.server import ThreadedMotoServer

import app
from chalicelib import auth
from chalicelib.commands import locations as location_commands
from chalicelib.store import cards as card_store
from chalicelib.store import db, pos_keys
from chalicelib.store.models import ALL_MODELS
from chalicelib.store.tables import create_tables
from chalicelib.usecases import enrollment, pos
from chalicelib.usecases import locations as location_cases
from chalicelib.usecases import programs as program_cases

# Issue 16: product rules, an offer and a challenge in play; their state stays on the card's item.
CATEGORIES = ("coffee", "pastry", "tobacco", "beans", "tea")
MECHANICS = {
    "welcome_bonus": 1000, "redeem_cap_percent": 50,
    "products": [{"id": "tobacco", "categories": ["tobacco"], "exclude": True},
                 {"id": "beans", "categories": ["beans"], "earn_percent": 10},
                 {"id": "pastry", "categories": ["pastry"], "multiplier": 2, "from": "2026-01-01",
                  "until": "2030-12-31"}]
                + [{"id": f"sku-{n}", "skus": [f"SKU-{n}"], "multiplier": 1.5} for n in range(17)],
    "offers": [{"id": "dessert", "name": "A free dessert", "reward": {"type": "free_item", "item": "Dessert"},
                "conditions": {"min_total": 50000}, "valid_days": 30, "auto": None}],
    "challenges": [{"id": "three-visits", "name": "3 visits in 14 days", "goal": {"type": "visits", "target": 3},
                    "window_days": 14, "reward": {"points": 300}, "repeat": True}],
}
LINES = [{"sku": f"SKU-{n}", "name": f"Item {n}", "qty": 1 + n % 3, "amount": 5000 + 250 * n,
          "category": CATEGORIES[n % len(CATEGORIES)]} for n in range(20)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=200)
    parser.add_argument("--cards", type=int, default=20)
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("loyalty").setLevel(logging.WARNING)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=PORT, verbose=False)
    server.start()
    try:
        return run(args)
    finally:
        server.stop()


def run(args) -> int:  # noqa: PLR0915 (the benchmark's one story, set-up to figures)
    create_tables()
    now = datetime.now(UTC)
    program = program_cases.create("m_bench", {"name": "Bench", "slug": "bench", "mechanics": MECHANICS}, now)
    secret = auth.new_pos_secret()
    key = pos_keys.create(program_id=program.program_id, merchant_id="m_bench",
                          secret_hash=auth.pos_secret_hash(secret),
                          label=None, created_by=None, now=now)
    for name in ("Tverskaya", "Arbat"):  # issue 18: a chain of two; the second key sells at the first
        program, _ = location_cases.add(program, location_commands.read_new_location(
            {"name": name, "latitude": 55.75, "longitude": 37.6}), now)
    at_store = pos_keys.create(program_id=program.program_id, merchant_id="m_bench",
                               secret_hash=auth.pos_secret_hash(secret), label=None, created_by=None, now=now,
                               location_id=location_cases.of(program)[0].location_id)
    cards = [enrollment.enroll(program, {"name": "B", "phone": f"+7916{index:07d}", "consent": True}, now, "ru")
             for index in range(args.cards)]

    calls: collections.Counter = collections.Counter()

    def count(event_name, **_):
        calls[event_name.rsplit(".", 1)[-1]] += 1

    hooked = set()

    def hook_clients():
        clients = [model._get_connection().connection.client for model in ALL_MODELS] + [db.connection().client]
        for client in clients:
            if id(client) not in hooked:
                client.meta.events.register("before-call.dynamodb", count)
                hooked.add(id(client))

    def signed(path, data, key_id):
        raw = json.dumps(data).encode()
        ts = str(int(time.time()))
        signature = hmac.new(secret.encode(), f"{ts}.POST.{path}.".encode() + raw, hashlib.sha256).hexdigest()
        return raw, {"Content-Type": "application/json", "X-Loyalty-Key": key_id, "X-Loyalty-Timestamp": ts,
                     "X-Loyalty-Signature": signature}

    with Client(app.app) as client:
        def post(data, key_id=key.key_id):
            raw, headers = signed("/pos/receipts", data, key_id)
            started = time.perf_counter()
            response = client.http.post("/pos/receipts", headers=headers, body=raw)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.body
            return elapsed

        hook_clients()
        # A cold container: nothing cached yet (POS key, card number -> id).
        pos.forget_cached()
        card_store._number_cache.clear()
        calls.clear()
        post({"receipt_id": "cold-1", "card": cards[0].number, "total": 100000})
        hook_clients()
        cold = dict(calls)

        # Warm: every card seen once, then the measured receipts.
        for card in cards:
            post({"receipt_id": f"warm-{card.card_id}", "card": card.number, "total": 50000})
        latencies: list[float] = []
        cpu_plain = _cpu_per_receipt(lambda index, card: latencies.append(post({
            "receipt_id": f"r-{index}", "card": card.number, "total": 120000,
            "redeem": 10 if index % 3 == 0 else 0})), cards, args.receipts, calls)
        warm = dict(calls)
        cpu_lines = _cpu_per_receipt(lambda index, card: post({
            "receipt_id": f"l-{index}", "card": card.number, "total": sum(line["amount"] for line in LINES),
            "lines": LINES, "redeem": 10 if index % 3 == 0 else 0}), cards, args.receipts, calls)
        with_lines = sum(calls.values()) / args.receipts
        post({"receipt_id": "store-warm", "card": cards[0].number, "total": 50000}, at_store.key_id)
        at_location, cpu_store, cpu_program = _in_turn(post, cards, args.receipts, calls, program_key=key.key_id,
                                                          store_key=at_store.key_id)
        calls.clear()
        anonymous = [post({"receipt_id": f"anon-{index}", "card": None, "total": 30000}) for index in range(20)]
        anonymous_calls = sum(calls.values()) / 20

    print(f"python {sys.version.split()[0]}, moto server on loopback, {args.receipts} card receipts over "
          f"{args.cards} cards (1 in 3 redeems points)")
    print(f"  cold container, first card receipt: {sum(cold.values())} DynamoDB requests {cold}")
    print(f"  warm, per card receipt:             {sum(warm.values()) / args.receipts:.2f} requests "
          f"{ {op: round(n / args.receipts, 2) for op, n in warm.items()} }  (goal <= 3)")
    print(f"  warm, per card receipt of 20 lines: {with_lines:.2f} requests (20 product rules, an offer and a "
          f"challenge in the program; goal <= 2 + the rate counter)")
    print(f"  warm, per card receipt at a store:  {at_location:.2f} requests (a location's POS key; goal <= 3), "
          f"handler CPU {cpu_store:.2f} ms (vs {cpu_program:.2f} ms with a whole-program key in turn: ratio "
          f"{cpu_store / cpu_program:.2f})")
    print(f"  per anonymous receipt:              {anonymous_calls:.2f} requests")
    print(f"  handler CPU per card receipt:       {cpu_plain:.2f} ms without lines, {cpu_lines:.2f} ms with 20 lines "
          f"(time.thread_time: the handler's thread, not moto's)")
    print(f"  handler latency, card receipt:      median {statistics.median(latencies):.1f} ms, "
          f"p90 {sorted(latencies)[int(len(latencies) * 0.9)]:.1f} ms")
    print(f"  handler latency, anonymous receipt: median {statistics.median(anonymous):.1f} ms")
    return 0


def _in_turn(post, cards, receipts: int, calls: collections.Counter, *, program_key: str,
             store_key: str) -> tuple[float, float, float]:
    """A location's key against a whole-program key, receipt by receipt in turn (the cards' lots and history
    grow as the run goes on, so blocks one after the other would compare different cards): the location's
    requests per receipt, and each key's CPU ms per receipt."""
    spent = {program_key: 0.0, store_key: 0.0}
    made = {program_key: 0, store_key: 0}
    for index in range(2 * receipts):
        key_id = store_key if index % 2 else program_key
        before = sum(calls.values())
        started = time.thread_time()
        post({"receipt_id": f"s-{index}", "card": cards[(index // 2) % len(cards)].number, "total": 120000,
              "redeem": 10 if index % 3 == 0 else 0}, key_id)
        spent[key_id] += time.thread_time() - started
        made[key_id] += sum(calls.values()) - before
    return made[store_key] / receipts, spent[store_key] * 1000 / receipts, spent[program_key] * 1000 / receipts


def _cpu_per_receipt(sell, cards, receipts: int, calls: collections.Counter) -> float:
    """CPU ms per receipt of this thread (the handler and its DynamoDB client; moto's server has its own),
    counting DynamoDB requests afresh in `calls`."""
    calls.clear()
    started = time.thread_time()
    for index in range(receipts):
        sell(index, cards[index % len(cards)])
    return (time.thread_time() - started) * 1000 / receipts


if __name__ == "__main__":
    sys.exit(main())
