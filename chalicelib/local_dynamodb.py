"""The local DynamoDB endpoint: moto's server, one request at a time, with consistent snapshots.

Real DynamoDB applies every request atomically: a TransactWriteItems either happens whole or not at
all, and no other request sees half of it. moto's own server handles requests on many threads and its
transactions check and write item by item (rolling back by restoring a copy of the table), so two
concurrent transactions can interleave: both pass the condition that should have stopped one, or one's
roll-back wipes what the other wrote. Our idempotency and no-overdraw guarantees rest on that
atomicity, so the local stack serialises requests, which is what the real service promises. Connections
are still accepted on many threads; only the work inside moto is one at a time.

Snapshots (`--snapshot FILE`) are taken inside this process under that same lock, so no request is
half-applied in them and no table is read at another moment than the others: a card and its ledger
always agree in a snapshot. They are written atomically (a temporary file, flushed to disk, then
renamed over the old one), every `--every` seconds when something changed, and on SIGTERM/SIGINT. On
start the last snapshot is loaded before the port opens, so no client ever sees the empty tables.
What was written after the last snapshot is lost if the process is killed (SIGKILL, a crash).

Run as `python -m chalicelib.local_dynamodb --port 8001 [--snapshot .local/dynamodb-snapshot.json]`."""
import argparse
import copy
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from moto.dynamodb import models
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple
from werkzeug.test import EnvironBuilder

from chalicelib.store.tables import table_definitions

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

API = "DynamoDB_20120810"
# Requests that change nothing: a snapshot is only taken after some other request came in.
READS = {"GetItem", "BatchGetItem", "Query", "Scan", "DescribeTable", "ListTables", "DescribeTimeToLive",
         "DescribeContinuousBackups", "ListTagsOfResource", "DescribeEndpoints", "DescribeLimits"}


def serialised(app: "WSGIApplication") -> "LocalDynamoDB":
    """A WSGI app that lets one request at a time into `app` (its response is built whole inside)."""
    return LocalDynamoDB(app)


class LocalDynamoDB:
    """moto's WSGI app behind one lock, and the snapshots taken under it."""

    def __init__(self, app: "WSGIApplication", region: str = "eu-central-1", snapshot: Path | None = None) -> None:
        self.app, self.region, self.path = app, region, snapshot
        self.lock = threading.Lock()  # one request (or one snapshot) at a time inside moto
        self.writing = threading.Lock()  # one snapshot file written at a time
        self.changed = False

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> list[bytes]:
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        with self.lock:
            if operation not in READS:
                self.changed = True
            return list(self.app(environ, start_response))

    # --- moto called in-process (the caller holds self.lock) ----------------------------------------

    def _call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"{API}.{operation}",
                   "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20260101/{self.region}/dynamodb/"
                                    "aws4_request, SignedHeaders=host, Signature=0"}
        environ = EnvironBuilder(path="/", method="POST", base_url="http://127.0.0.1",
                                 headers=list(headers.items()), data=json.dumps(payload)).get_environ()
        status: list[str] = []

        def start_response(line: str, headers: list[tuple[str, str]],
                           exc_info: object = None) -> Callable[[bytes], object]:
            status.append(line)
            return lambda _data: None  # the write() callable of old WSGI apps: moto never calls it

        raw = b"".join(self.app(environ, start_response))
        answer = json.loads(raw or b"{}")
        if not status or not status[0].startswith("200"):
            raise RuntimeError(f"{operation}: {status[0] if status else '?'} {answer}")
        return answer

    def _tables(self) -> dict:
        """Every table: how to create it again, and all its items (one consistent moment: under the lock)."""
        names, start = [], None
        while True:
            page = self._call("ListTables", {"ExclusiveStartTableName": start} if start else {})
            names.extend(page.get("TableNames", []))
            start = page.get("LastEvaluatedTableName")
            if not start:
                break
        tables = {}
        for name in names:
            described = self._call("DescribeTable", {"TableName": name})["Table"]
            definition = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                          "KeySchema": described["KeySchema"],
                          "AttributeDefinitions": described["AttributeDefinitions"]}
            indexes = [{"IndexName": index["IndexName"], "KeySchema": index["KeySchema"],
                        "Projection": index["Projection"]} for index in described.get("GlobalSecondaryIndexes") or []]
            if indexes:
                definition["GlobalSecondaryIndexes"] = indexes
            if described.get("StreamSpecification"):
                definition["StreamSpecification"] = described["StreamSpecification"]
            ttl = self._call("DescribeTimeToLive", {"TableName": name}).get("TimeToLiveDescription", {})
            items = self._items(name)
            tables[name] = {"definition": definition, "items": items,
                            "ttl": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None}
        return tables

    def _items(self, name: str) -> list[dict[str, Any]]:
        """The table's items as DynamoDB's JSON, read from moto's memory (the caller holds self.lock). A
        Scan through moto's HTTP layer re-walks the table for every page and took seconds at ten thousand
        items, longer than the clients' 3 s read timeout that waits behind the lock."""
        for regions in dynamodb_backends.values():
            backend = regions.get(self.region) if hasattr(regions, "get") else None
            table = backend.tables.get(name) if backend is not None else None
            if table is not None:
                return [item.to_json()["Attributes"] for item in table.all_items()]
        items, key = [], None  # not found in memory (another moto layout): the slow way
        while True:
            page = self._call("Scan", {"TableName": name, **({"ExclusiveStartKey": key} if key else {})})
            items.extend(page.get("Items", []))
            key = page.get("LastEvaluatedKey")
            if not key:
                return items

    def save(self, force: bool = False) -> int | None:
        """Write a snapshot if anything changed since the last one; the number of items, or None."""
        if self.path is None:
            return None
        with self.writing:
            with self.lock:
                if not self.changed and not force and self.path.exists():
                    return None
                tables = self._tables()
                self.changed = False
            document = {"saved_at": datetime.now(UTC).isoformat(), "tables": tables}
            temporary = self.path.with_name(self.path.name + ".tmp")
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(document, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
            return sum(len(table["items"]) for table in tables.values())

    def load(self) -> int:
        """Create the snapshot's tables and put its items back; the number of items."""
        if self.path is None or not self.path.exists():
            return 0
        tables = json.loads(self.path.read_text(encoding="utf-8")).get("tables", {})
        count = 0
        with self.lock:
            for name, saved in tables.items():
                # the older format: items only, tables as the models define them
                table: dict[str, Any] = ({"definition": _model_definitions().get(name), "items": saved}
                                         if isinstance(saved, list) else saved)
                if table.get("definition") is None:
                    continue
                self._call("CreateTable", table["definition"])
                if table.get("ttl"):
                    self._call("UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": {
                        "Enabled": True, "AttributeName": table["ttl"]}})
                items = table["items"]
                for start in range(0, len(items), 25):
                    self._call("BatchWriteItem", {"RequestItems": {
                        name: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}})
                count += len(items)
        return count


def _model_definitions() -> dict[str, Any]:
    return {definition["TableName"]: definition for definition in table_definitions()}


def _every(seconds: float, action: Callable[[], object]) -> None:
    def loop() -> None:
        while True:
            time.sleep(seconds)
            try:
                action()
            except Exception as error:  # noqa: BLE001 - the next round tries again
                print(f"snapshot failed: {type(error).__name__}: {error}", flush=True)
    threading.Thread(target=loop, daemon=True).start()


def with_item_backups(original: Callable[..., None]) -> Callable[..., None]:
    """moto's `transact_write_items` (`original`) kept all-or-nothing by copies of the items the transaction
    names, instead of moto's own deep copy, before it, of every table the transaction touches, whole (once
    per item of the transaction): a cost that grows with the tables, so a demo of a few hundred cards
    spent minutes and gigabytes in it and timed its clients out. Requests here run one at a time (and a
    test's in-process moto likewise), so putting those items back when it fails is the same guarantee."""
    no_table_copy = SimpleNamespace(deepcopy=lambda value, memo=None: value)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            operation = next(iter(entry.values()))
            table = self.tables.get(operation.get("TableName"))
            if table is None:
                continue
            key = operation.get("Key") or operation["Item"]
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.has_range_key else None
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        models.copy = no_table_copy  # type: ignore[assignment]
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if item is None:
                    table.delete_item(hash_key, range_key)
                elif range_key is None:
                    table.items[hash_key] = item
                else:
                    table.items[hash_key][range_key] = item
            raise
        finally:
            models.copy = copy  # type: ignore[assignment]

    return transact_write_items


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--snapshot", type=Path, help="load this file on start and keep saving to it")
    parser.add_argument("--every", type=float, default=5, help="seconds between snapshots (when data changed)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                        or "eu-central-1")
    args = parser.parse_args(argv)
    models.DynamoDBBackend.transact_write_items = with_item_backups(  # type: ignore[method-assign]
        models.DynamoDBBackend.transact_write_items)
    database = LocalDynamoDB(DomainDispatcherApplication(create_backend_app), args.region, args.snapshot)
    if args.snapshot:
        print(f"restored {database.load()} items from {args.snapshot}", flush=True)
        _every(args.every, database.save)

        def stop(signum: int, frame: object) -> None:
            try:
                print(f"saved {database.save(force=True)} items to {args.snapshot}", flush=True)
            finally:
                sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    run_simple(args.host, args.port, database, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
