"""What members' data rights and the audit trail cost (issue 19), against a local DynamoDB.

Starts moto's server on a free port, creates the tables, a merchant and programs through the use cases, and
drives the app through chalice.test's Client with an owner's token; DynamoDB requests are counted from
botocore's events (by operation), items read from the answers' ScannedCount/Count. Prints figures only:
1. erasing a member (POST /admin/cards/{id}/erase) with a history of 10, 100 and 1,000 receipts (and a few
   messages): requests by operation, wall time, the cost per receipt, and what that means against API
   Gateway's 29 s and the API function's 25 s (moto on loopback: the per-request line says how fast it was);
2. the owner's export (GET /admin/cards/{id}/export) of the same cards: requests, time, the document's bytes;
3. the audit trail on an admin write: requests of a settings PATCH and of an adjustment, and the handler's
   time with the trail against `usecases.audit.finish` replaced by a no-op (interleaved, median of many);
4. the retention job on a program of 1,000 members of which 100 are due (`now` passed in): requests and items
   read of the run, and of a second run the same day.

    .venv/bin/python benchmarks/data_rights.py [--quick]
"""
import argparse
import collections
import contextlib
import io
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The environment first: the settings and the store's models read it as they are imported (hence E402 below).
PORT = _free_port()
KEYS_FILE = os.path.join(tempfile.mkdtemp(prefix="loyalty-bench-keys-"), "admin-jwt.json")
os.environ.update({"STAGE": "bench", "TABLE_PREFIX": "bench-", "DYNAMODB_ENDPOINT": f"http://127.0.0.1:{PORT}",
                   "AWS_DEFAULT_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "ADMIN_JWT_KEYS_FILE": KEYS_FILE,
                   "ADMIN_JWT_ISSUER": "loyalty-bench", "PUBLIC_BASE_URL": "https://loyalty.bench"})

import logging
from datetime import UTC, datetime, timedelta

from chalice.test import Client
from moto.server import ThreadedMotoServer

import app
from chalicelib import auth, config
from chalicelib.errors import Conflict
from chalicelib.jobs import retention
from chalicelib.store import cards as card_store
from chalicelib.store import db, merchants
from chalicelib.store import messages as message_store
from chalicelib.store.models import ALL_MODELS
from chalicelib.store.tables import create_tables
from chalicelib.usecases import audit, enrollment
from chalicelib.usecases import pos as pos_cases
from chalicelib.usecases import programs as program_cases

GATEWAY_LIMIT = 29.0  # seconds: API Gateway's integration timeout
FUNCTION_LIMIT = 25.0  # seconds: the API function's own timeout (.chalice/config.json, dev and prod)
MESSAGES = 5  # message records per measured card


class Retry(Exception):
    """A 409 conflict_retry: nothing was written, the same request may be sent again."""

    def __init__(self, body: str) -> None:
        super().__init__(body)
        self.body = body


class Counter:
    """DynamoDB requests by operation, and items read (Query/Scan's ScannedCount, GetItem's item, BatchGetItem's)."""

    def __init__(self) -> None:
        self.calls: collections.Counter = collections.Counter()
        self.read = 0
        self.read_from: collections.Counter = collections.Counter()  # items read by table or index
        self.hooked: set[int] = set()
        self._where = ""

    def hook(self) -> None:
        for client in [model._get_connection().connection.client for model in ALL_MODELS] + [db.connection().client]:
            if id(client) not in self.hooked:
                client.meta.events.register("before-parameter-build.dynamodb", self._where_to)
                client.meta.events.register("before-call.dynamodb", self._call)
                client.meta.events.register("after-call.dynamodb", self._answer)
                self.hooked.add(id(client))

    def _call(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def _where_to(self, params: dict[str, Any], **_: Any) -> None:
        table = str(params.get("TableName", "")).removeprefix("bench-")
        self._where = f"{table}.{params['IndexName']}" if params.get("IndexName") else table

    def _answer(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("Query", "Scan"):
            self._add(self._where, parsed.get("ScannedCount", parsed.get("Count", 0)))
        elif model.name == "GetItem":
            self._add(self._where, 1 if parsed.get("Item") else 0)
        elif model.name == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                self._add(table.removeprefix("bench-"), len(items))

    def _add(self, where: str, items: int) -> None:
        self.read += items
        if items:
            self.read_from[where] += items

    def clear(self) -> None:
        self.calls.clear()
        self.read = 0
        self.read_from.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def spelled(self) -> str:
        return ", ".join(f"{op} {n}" for op, n in self.calls.most_common())

    def read_spelled(self) -> str:
        return ", ".join(f"{where} {n}" for where, n in self.read_from.most_common())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (under a minute)")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("loyalty").setLevel(logging.WARNING)
    with open(KEYS_FILE, "w", encoding="utf-8") as handle:
        json.dump({"keys": [auth.new_key_entry("bench-1")]}, handle)
    config.reset()
    auth.reset_keys()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=PORT, verbose=False)
    server.start()
    try:
        return run(args)
    finally:
        server.stop()


def run(args: argparse.Namespace) -> int:
    create_tables()
    now = datetime.now(UTC).replace(microsecond=0)
    merchant_id = merchants.create("Bench Coffee", now - timedelta(days=400)).merchant_id
    token = auth.issue_token(subject="bench-owner", merchant_id=merchant_id, role="owner", ttl=3600, now=now)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    counter = Counter()
    sizes = (10, 100) if args.quick else (10, 100, 1000)
    print(f"python {sys.version.split()[0]}, moto server on loopback{' (--quick)' if args.quick else ''}")

    with Client(app.app) as client:
        def timed(method: str, path: str, data: Any = None) -> tuple[Any, float]:
            counter.hook()
            counter.clear()
            started = time.perf_counter()
            response = getattr(client.http, method)(path, headers=headers,
                                                    **({} if data is None else {"body": json.dumps(data)}))
            elapsed = time.perf_counter() - started
            if response.status_code == 409 and b"conflict_retry" in response.body:
                raise Retry(response.body.decode())
            assert response.status_code in (200, 201), (path, response.status_code, response.body)
            return response, elapsed

        # Run while the tables are small: moto copies a transaction's tables whole, so its time grows with them
        # (the long histories of part 1 made an adjustment's wall time 15 times longer). Printed in order.
        members, due = (100, 10) if args.quick else (1000, 100)
        with contextlib.redirect_stdout(io.StringIO()) as retention_figures:
            retention_cost(merchant_id, now, members, due, counter)
        program = program_cases.create(merchant_id, {"name": "Bench", "slug": "bench"}, now - timedelta(days=400))
        with contextlib.redirect_stdout(io.StringIO()) as audit_figures:
            audit_cost(program, now, 15 if args.quick else 80, timed, counter)
        erase_and_export(program, now, sizes, timed, counter)
    print(audit_figures.getvalue() + retention_figures.getvalue(), end="")
    return 0


def _member_with_history(program: Any, now: datetime, receipts: int, tag: str) -> Any:
    """A member who joined a year ago and bought `receipts` times since, paying with the points now and then,
    with MESSAGES message records."""
    joined = now - timedelta(days=380)
    card = enrollment.enroll(program, {"name": "Bench Member", "phone": f"+7916{abs(hash(tag)) % 10**7:07d}",
                                       "email": f"{tag}@example.com", "consent": True}, joined, "ru")
    step = timedelta(days=365) / receipts
    for n in range(receipts):
        # one in five pays with the points: a member who never did would carry a lot per purchase on the card
        current = card_store.get(card.card_id) if n % 5 == 4 else None
        redeem = int(current.balance) if current is not None else 0
        pos_cases.post_receipt(program, {"receipt_id": f"{tag}-{n}", "card": card.number, "total": 50000,
                                         "redeem": redeem}, joined + timedelta(hours=1) + step * n)
    for n in range(MESSAGES):
        message_store.save_record(card, "campaign", "sent", "Hello", now - timedelta(days=n))
    return card_store.get(card.card_id, consistent=True)


def erase_and_export(program: Any, now: datetime, sizes: tuple[int, ...], timed: Callable[..., Any],
                     counter: Counter) -> None:
    rows = []
    for size in sizes:
        started = time.perf_counter()
        card = _member_with_history(program, now, size, f"h{size}")
        loaded = time.perf_counter() - started
        response, export_time = timed("get", f"/admin/cards/{card.card_id}/export")
        document = json.loads(response.body)
        export = (counter.total, counter.spelled(), export_time, len(response.body), len(document.get("receipts", [])))
        _, erase_time = timed("post", f"/admin/cards/{card.card_id}/erase", {"confirm": card.number})
        rows.append((size, loaded, export, (counter.total, counter.spelled(), erase_time, counter.read)))

    print("\n1. erasing a member (POST /admin/cards/{id}/erase), a card with N receipts and "
          f"{MESSAGES} messages:")
    for size, loaded, _, (total, spelled, seconds, read) in rows:
        print(f"  N={size:>5}: {total:>5} requests ({spelled}); {read} items read; {seconds * 1000:,.0f} ms "
              f"(history loaded in {loaded:.0f} s)")
    small, _, _, (s_total, _, s_time, _) = rows[0]
    big, _, _, (b_total, _, b_time, _) = rows[-1]
    per_receipt = (b_total - s_total) / (big - small)
    ms_per_receipt = (b_time - s_time) * 1000 / (big - small)
    per_request = b_time * 1000 / b_total
    print(f"  per receipt: {per_receipt:.2f} requests, {ms_per_receipt:.2f} ms against moto on loopback "
          f"({per_request:.2f} ms a request)")
    fixed = s_total - per_receipt * small  # the requests an erasure makes whatever the history
    for latency in (per_request, 5.0, 10.0):
        print(f"  at {latency:.2f} ms a request: " + "; ".join(
            f"{name} {seconds:.0f} s run out near {(seconds * 1000 / latency - fixed) / per_receipt:,.0f} receipts"
            for name, seconds in (("API Gateway's", GATEWAY_LIMIT), ("the API function's", FUNCTION_LIMIT))))

    print("\n2. the owner's export (GET /admin/cards/{id}/export) of the same cards, before their erasure:")
    for size, _, (total, spelled, seconds, size_bytes, shown), _ in rows:
        print(f"  N={size:>5}: {total:>3} requests ({spelled}); {seconds * 1000:,.0f} ms; "
              f"{size_bytes:,} bytes ({shown} receipts in the document)")


def audit_cost(program: Any, now: datetime, rounds: int, timed: Callable[..., Any], counter: Counter) -> None:
    card = enrollment.enroll(program, {"name": "Audit Member", "phone": "+79160000042", "consent": True}, now, "ru")
    patch = f"/admin/programs/{program.program_id}"
    adjust = f"/admin/cards/{card.card_id}/adjustments"
    serial = iter(range(10**9))

    def settings() -> Any:  # a new name each time: a PATCH that changes nothing writes no entry
        return timed("patch", patch, {"name": f"Bench {next(serial)}"})

    resent: list[str] = []

    def adjustment() -> Any:  # +1 then -1: the card's lots stay as they are (each +1 is a lot of its own)
        n = next(serial)
        return _resending(timed, adjust, {"amount": 1 if n % 2 else -1, "reason": "bench",
                                          "idempotency_key": f"bench-{n}"}, resent)

    settings()
    adjustment()  # warm: the first of each loads what it lazily imports
    counts = {}
    for name, write in (("settings PATCH", settings), ("adjustment", adjustment)):
        write()
        with_trail = (counter.total, counter.spelled())
        real = audit.finish
        audit.finish = lambda *_a, **_k: None
        try:
            write()
        finally:
            audit.finish = real
        counts[name] = (with_trail, (counter.total, counter.spelled()))

    times: dict[str, dict[bool, list[tuple[float, float]]]] = {name: {True: [], False: []} for name in counts}
    real = audit.finish
    for index in range(2 * rounds):
        trail = index % 2 == 0 if (index // 2) % 2 == 0 else index % 2 == 1  # ABBA: neither side always first
        for name, write in (("settings PATCH", settings), ("adjustment", adjustment)):
            if not trail:
                audit.finish = lambda *_a, **_k: None
            try:
                cpu = time.thread_time()
                _, wall = write()
                cpu = time.thread_time() - cpu
            finally:
                audit.finish = real
            times[name][trail].append((wall, cpu))

    print(f"\n3. the audit trail on an admin write (median of {rounds} of each, interleaved; CPU: time.thread_time, "
          "the handler's thread, not moto's):")
    for name, ((on, on_spelled), (off, off_spelled)) in counts.items():
        wall_on = statistics.median(w for w, _ in times[name][True])
        wall_off = statistics.median(w for w, _ in times[name][False])
        cpu_on = statistics.median(c for _, c in times[name][True])
        cpu_off = statistics.median(c for _, c in times[name][False])
        print(f"  {name}: {on} requests with the trail ({on_spelled}), {off} without ({off_spelled})")
        print(f"    wall {wall_on * 1000:.1f} ms vs {wall_off * 1000:.1f} ms: ratio {wall_on / wall_off:.2f}; "
              f"CPU {cpu_on * 1000:.1f} ms vs {cpu_off * 1000:.1f} ms: ratio {cpu_on / cpu_off:.2f}")
    if resent:
        print(f"  ({len(resent)} adjustments answered 409 conflict_retry and were sent again: {resent[0]})")


def _enrolled(program: Any, phone: str, joined: datetime) -> Any:
    """A member enrolled; if moto's server answered the committing transaction 500 (a race inside moto) and
    botocore sent it again, the card is there already: that card."""
    try:
        return enrollment.enroll(program, {"name": "Kept Member", "phone": phone, "consent": True}, joined, "ru")
    except Conflict:
        card = card_store.get(card_store.card_id_by_phone(program.program_id, phone) or "", consistent=True)
        assert card is not None
        return card


def _resending(timed: Callable[..., Any], path: str, data: dict[str, Any], resent: list[str]) -> Any:
    """POST `data`; a 409 conflict_retry is sent again (as its answer says), up to three times, and noted."""
    for _ in range(3):
        try:
            return timed("post", path, data)
        except Retry as error:
            resent.append(error.body)
    return timed("post", path, data)


def retention_cost(merchant_id: str, now: datetime, members: int, due: int, counter: Counter) -> None:
    """A program of `members`, `due` of them inactive past the setting: half of those bought last 10 months ago,
    half never bought; of the rest, half joined a year ago and bought last month, half joined two months ago, and
    one in ten of them has a message record four months old (past the setting's 3 months)."""
    launched = now - timedelta(days=400)
    program = program_cases.create(merchant_id, {"name": "Kept", "slug": "kept",
                                                 "retention": {"inactive_months": 6, "messages_months": 3}}, launched)
    started = time.perf_counter()
    for n in range(members):
        old = n < due or n % 2 == 0
        joined = launched + timedelta(hours=1 + n) if old else now - timedelta(days=60, hours=-n % 1000)
        card = _enrolled(program, f"+7917{n:07d}", joined)
        bought = (joined + timedelta(days=60) if n < due // 2 else None) if n < due else (
            now - timedelta(days=30) if old else None)
        if bought is not None:
            pos_cases.post_receipt(program, {"receipt_id": f"k-{n}", "card": card.number, "total": 50000}, bought)
        if n >= due and n % 10 == 0:
            message_store.save_record(card, "campaign", "sent", "Hello",
                                      now - timedelta(days=120))
    loaded = time.perf_counter() - started
    counter.hook()
    counter.clear()
    started = time.perf_counter()
    first = retention.run(now=now)
    first_time = time.perf_counter() - started
    counter.hook()
    first_calls = (counter.total, counter.spelled(), counter.read, counter.read_spelled())
    counter.clear()
    started = time.perf_counter()
    second = retention.run(now=now + timedelta(hours=2))
    second_time = time.perf_counter() - started
    print(f"\n4. the retention job, a program of {members:,} members of which {due} are due "
          f"(loaded in {loaded:.0f} s; the bench's other program has no setting):")
    print(f"  first run:  {first_calls[0]} requests ({first_calls[1]}); {first_time * 1000:,.0f} ms; {first}")
    print(f"    {first_calls[2]} items read ({first_calls[3]})")
    print(f"    per member erased: {first_calls[0] / max(first.get('erased', 0), 1):.1f} requests")
    print(f"  second run the same day: {counter.total} requests ({counter.spelled()}); {second_time * 1000:,.0f} ms; "
          f"{second}")
    print(f"    {counter.read} items read ({counter.read_spelled()})")


if __name__ == "__main__":
    sys.exit(main())
