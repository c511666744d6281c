"""The local DynamoDB endpoint keeps DynamoDB's promise that a transaction is atomic, even when many
clients race: exactly one of many identical conditional transactions wins, and the losers leave no
trace. (moto's own threaded server breaks this now and then; the idempotency of receipts rests on it.)"""
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config
import botocore.exceptions
import pytest

from tests.e2e.stack import ROOT, free_port

THREADS = 12
ROUNDS = 12


@pytest.fixture(scope="module")
def client():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "chalicelib.local_dynamodb", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, "the local DynamoDB did not start"
            time.sleep(0.1)
    yield boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-central-1",
                       aws_access_key_id="local", aws_secret_access_key="local",
                       config=botocore.config.Config(max_pool_connections=THREADS * 2,
                                                     retries={"max_attempts": 0}))
    server.terminate()
    server.wait(10)


def test_racing_transactions_apply_exactly_once(client):
    client.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    # A table of some size makes moto's copy-for-rollback slow, which is what widens the race.
    for start in range(0, 1000, 25):
        client.batch_write_item(RequestItems={"t": [
            {"PutRequest": {"Item": {"pk": {"S": f"filler{start + i}"}, "v": {"S": "x" * 200}}}} for i in range(25)]})
    client.put_item(TableName="t", Item={"pk": {"S": "card"}, "version": {"N": "0"}})

    def attempt(round_, thread):
        """What the ledger writes: a new record, the card at the version read, and a ledger entry."""
        try:
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": f"record{round_}"}},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "card"}, "version": {"N": str(round_ + 1)}},
                         "ConditionExpression": "version = :read",
                         "ExpressionAttributeValues": {":read": {"N": str(round_)}}}},
                {"Put": {"TableName": "t", "Item": {"pk": {"S": f"entry{round_}-{thread}"}}}},
            ])
            return 1
        except botocore.exceptions.ClientError as error:
            assert error.response["Error"]["Code"] == "TransactionCanceledException"
            return 0

    for round_ in range(ROUNDS):
        with ThreadPoolExecutor(THREADS) as pool:
            wins = sum(pool.map(attempt, [round_] * THREADS, range(THREADS)))
        entries = client.scan(TableName="t", FilterExpression="begins_with(pk, :p)",
                              ExpressionAttributeValues={":p": {"S": f"entry{round_}-"}})["Count"]
        card = client.get_item(TableName="t", Key={"pk": {"S": "card"}}, ConsistentRead=True)["Item"]
        assert (wins, entries, card["version"]["N"]) == (1, 1, str(round_ + 1)), f"round {round_}"
