"""Moving a base in: time and DynamoDB requests (and writes) per member for an import of N rows, against
moto in process, and what that means for 100,000 rows in AWS.

The file is a CSV as another platform exports it (name, phone, e-mail, birthday, balance, expiry, total
spend; ~75 bytes a row), uploaded in parts of 190 KB as the admin API takes it, checked (the dry run), then
imported chunk by chunk as the jobs queue would (here in place, one process). The requests per row do not
depend on the file's size; moto's time does (its transactions copy the table, so they slow down as it
grows: 100,000 rows do not finish in moto in reasonable time), so the default is 300 rows and the time
for 100,000 rows in AWS is projected from the counted requests and assumed latencies (a transaction
30 ms, a BatchGetItem or a put 10 ms, a query page 30 ms: the same assumptions as benchmarks/jobs.py).

    .venv/bin/python benchmarks/imports.py [--rows 300]
"""
import argparse
import collections
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


# The environment first: the settings and the store's models read it as they are imported (hence E402 below).
# moto in process (mock_aws), not its server: its transactions copy the tables, and past a few hundred cards
# one outlasts the client's 3 s timeout, whose retry then runs inside moto beside it.
os.environ.pop("DYNAMODB_ENDPOINT", None)
os.environ.update({"STAGE": "bench", "TABLE_PREFIX": "bench-",
                   "AWS_DEFAULT_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "ADMIN_JWT_KEYS_FILE": os.devnull,
                   "INTEGRATIONS_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})

import logging
from datetime import UTC, datetime

from moto import mock_aws

from chalicelib.commands.imports import Upload
from chalicelib.store import db
from chalicelib.store import imports as import_store
from chalicelib.store.models import ALL_MODELS
from chalicelib.store.tables import create_tables
from chalicelib.usecases import imports
from chalicelib.usecases import programs as program_cases

PART = 190_000
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def csv_of(rows: int) -> bytes:
    lines = ["name,phone,email,birthday,balance,expires on,total spend"]
    lines += [f"Member {i},+7916{i:07d},m{i}@example.com,1990-01-{1 + i % 28:02d},{i % 5000},2099-12-31,{i % 90000}.50"
              for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("loyalty").setLevel(logging.WARNING)
    with mock_aws():
        return run(args.rows)


def run(rows: int) -> int:
    create_tables()
    now = datetime.now(UTC)
    program = program_cases.create("m_bench", {"name": "Bench", "slug": "bench", "timezone": "UTC"}, now)
    content = csv_of(rows)
    calls: collections.Counter = collections.Counter()

    def count(event_name, **_):
        calls[event_name.rsplit(".", 1)[-1]] += 1

    models = [*ALL_MODELS, import_store.ImportItem, import_store.PartItem, import_store.ChunkItem,
              import_store.FileItem]
    hooked = set()
    for client in [model._get_connection().connection.client for model in models] + [db.connection().client]:
        if id(client) not in hooked:
            client.meta.events.register("before-call.dynamodb", count)
            hooked.add(id(client))

    started = time.perf_counter()
    parts = [content[i:i + PART] for i in range(0, len(content), PART)]
    view = imports.upload(program, Upload(parts[0], len(parts) > 1, "csv", "bench.csv"), True, "bench", now)
    for number, part in enumerate(parts[1:], start=2):
        view = imports.add_part(program, view["import_id"], Upload(part, number < len(parts), part=number), now)
    uploaded = time.perf_counter()
    upload_calls = dict(calls)
    calls.clear()
    assert view["status"] == "checked", view
    checked = time.perf_counter()
    view = imports.start(program, view["import_id"], now)
    done = time.perf_counter()
    assert view["status"] == "done" and view["imported"] + view["already"] == rows, view  # already: moto said
    # "conflict" on a transaction that went through; the retry found the card, as it would after a timeout
    import_calls = dict(calls)

    per = lambda counted: sum(counted.values()) / rows  # noqa: E731
    writes = lambda counted: sum(n for name, n in counted.items() if name in WRITES) / rows  # noqa: E731
    print(f"python {sys.version.split()[0]}, moto in process, {rows} rows, CSV {len(content) / 1e6:.1f} MB "
          f"in {len(parts)} parts of {PART // 1000} KB")
    print(f"  upload + check (dry run): {uploaded - started:.1f} s ({(checked - started) / rows * 1e3:.3f} ms a row); "
          f"{per(upload_calls):.3f} requests, {writes(upload_calls):.3f} writes per row {upload_calls}")
    print(f"  import:                   {done - checked:.1f} s ({(done - checked) / rows * 1e3:.2f} ms a member); "
          f"{per(import_calls):.3f} requests, {writes(import_calls):.3f} writes per member {import_calls}")
    latency = {"TransactWriteItems": 30, "Query": 30, "BatchGetItem": 10, "GetItem": 10, "PutItem": 10,
               "UpdateItem": 10, "DeleteItem": 10}
    ms = sum(latency.get(name, 10) * n for name, n in import_calls.items()) / rows * 100_000
    print(f"  projected for 100,000 members in AWS: {ms / 1000:.0f} s of DynamoDB time, in {-(-100_000 // 500)} "
          f"chunks of 500 ({ms / 200 / 1000:.0f} s each, within job_chunk's 240 s budget)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
