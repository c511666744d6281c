"""Shared test set-up. The environment is fixed before anything imports the app, because the
PynamoDB models read their table names and endpoint at import time."""
import hashlib
import hmac
import json
import os
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from pynamodb.connection.base import Connection

_KEYS_DIR = tempfile.mkdtemp(prefix="loyalty-test-keys-")
os.environ.update({
    "STAGE": "test",
    "TABLE_PREFIX": "loyalty-test-",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_REGION": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "PUBLIC_BASE_URL": "https://loyalty.test",
    "ADMIN_JWT_ISSUER": "loyalty-test",
    "ADMIN_JWT_KEYS_FILE": os.path.join(_KEYS_DIR, "admin-jwt.json"),
})
for _name in ("DYNAMODB_ENDPOINT", "ADMIN_JWT_KEYS_SECRET", "ADMIN_JWT_EXTERNAL_ISSUER", "ADMIN_JWT_EXTERNAL_JWKS_URL"):
    os.environ.pop(_name, None)

import app
from chalicelib import auth, config
from chalicelib.channels import telegram, telegram_standin
from chalicelib.queue import fanout
from chalicelib.store import cards, merchants, programs
from chalicelib.store.tables import create_tables
from chalicelib.usecases import pos as pos_cases
from tests import log_capture

log_capture.start()  # before any test: the whole run's logs are searched for personal data at its end

with open(os.environ["ADMIN_JWT_KEYS_FILE"], "w", encoding="utf-8") as _handle:
    json.dump({"keys": [auth.new_key_entry("test-1")]}, _handle)
config.reset()
auth.reset_keys()


@pytest.fixture
def aws():
    """An empty in-process DynamoDB (moto) with every table created."""
    with mock_aws():
        create_tables(wait=False)
        programs._slug_cache.clear()
        cards._number_cache.clear()
        yield


@pytest.fixture
def client(aws):
    # stage "test" is not in .chalice/config.json: the client must not swap in a real stage's settings
    with Client(app.app, stage_name="test", project_dir=config.PROJECT_ROOT) as test_client:
        yield test_client


def token(merchant_id, role="owner", **overrides):
    """An admin token from the built-in issuer; `overrides` replace or add claims."""
    now = datetime.now(UTC)
    raw = auth.issue_token(subject=overrides.pop("sub", f"test-{role}"), merchant_id=merchant_id, role=role,
                           ttl=overrides.pop("ttl", 600), now=now)
    return raw


def bearer(merchant_id, role="owner"):
    return {"Authorization": f"Bearer {token(merchant_id, role)}", "Content-Type": "application/json"}


@pytest.fixture
def merchant(aws):
    return merchants.create("Test Coffee", datetime.now(UTC)).merchant_id


@pytest.fixture
def other_merchant(aws):
    return merchants.create("Another Shop", datetime.now(UTC)).merchant_id


PROGRAM = {
    "name": "Coffee Club",
    "slug": "coffee",
    "timezone": "Europe/Moscow",
    "mechanics": {
        "tiers": [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5},
                  {"id": "gold", "name": "Gold", "threshold": 1000000, "earn_percent": 10}],
        "welcome_bonus": 100,
        "referral": {"referrer_bonus": 200, "referred_bonus": 50},
        "redeem_cap_percent": 30,
    },
}


@pytest.fixture
def program(client, merchant):
    """A program created through the admin API; returns its JSON view."""
    response = client.http.post("/admin/programs", headers=bearer(merchant), body=json.dumps(PROGRAM))
    assert response.status_code == 201, response.body
    return json.loads(response.body)


def body(response):
    return json.loads(response.body)


class PosClient:
    """Signs requests the way the contract tells a POS to."""

    def __init__(self, client, key_id, secret):
        self.client, self.key_id, self.secret = client, key_id, secret

    def headers(self, method, path, raw: bytes, timestamp=None, secret=None, key_id=None):
        ts = str(int(time.time()) if timestamp is None else timestamp)
        message = f"{ts}.{method}.{path}.".encode() + raw
        signature = hmac.new((secret or self.secret).encode(), message, hashlib.sha256).hexdigest()
        return {"X-Loyalty-Key": key_id or self.key_id, "X-Loyalty-Timestamp": ts, "X-Loyalty-Signature": signature,
                "Content-Type": "application/json"}

    def get(self, path, **sign):
        return self.client.http.get(path, headers=self.headers("GET", path, b"", **sign))

    def post(self, path, data, **sign):
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        return self.client.http.post(path, headers=self.headers("POST", path, raw, **sign), body=raw)


@pytest.fixture
def pos(client, merchant, program):
    pos_cases.forget_cached()
    created = body(client.http.post(f"/admin/programs/{program['id']}/pos-keys", headers=bearer(merchant), body="{}"))
    return PosClient(client, created["key_id"], created["secret"])


def enroll(client, slug="coffee", **fields):
    data = {"name": "Anna", "phone": "+79160000001", "consent": True, **fields}
    response = client.http.post(f"/join/{slug}", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert response.status_code == 201, response.body
    return body(response)


@pytest.fixture
def serialised_dynamodb(aws, monkeypatch):
    """One DynamoDB request at a time, for tests that run threads against moto: each request is then
    atomic, as the real service promises (moto's own transactions are not; see local_dynamodb.py)."""
    lock, real = threading.RLock(), Connection._make_api_call

    def one_at_a_time(self, *args, **kwargs):
        with lock:
            return real(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", one_at_a_time)


# --- the outside services the outbox speaks to: SES (moto), Telegram (the stand-in), the jobs queue (moto SQS)

@pytest.fixture
def ses(aws):
    """moto's SES with the sender's identity verified; `ses_sent()` lists what it accepted."""
    client = boto3.client("sesv2", region_name="eu-central-1")
    client.create_email_identity(EmailIdentity="noreply@loyalty.local")
    return client


def ses_sent() -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"].sent_messages


TELEGRAM_TOKEN, TELEGRAM_SECRET = "42:test-token", "webhook-secret"


@pytest.fixture
def telegram_bot(monkeypatch):
    """The Bot API stand-in on a free port, with the settings pointing at it; yields what it was sent."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server, sent = telegram_standin.serve(port, TELEGRAM_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "coffee_bot")

    def forget():
        config.reset()
        telegram.credentials.cache_clear()
        telegram._http.cache_clear()

    forget()
    yield sent
    server.shutdown()
    monkeypatch.undo()
    forget()


@pytest.fixture
def jobs_queue(aws, monkeypatch):
    """A jobs queue in moto's SQS, named by JOBS_QUEUE_URL: runs fan out to it. Yields (client, url)."""
    sqs = boto3.client("sqs", region_name="eu-central-1")
    url = sqs.create_queue(QueueName="loyalty-test-jobs")["QueueUrl"]
    monkeypatch.setenv("JOBS_QUEUE_URL", url)
    config.reset()
    fanout._sqs.cache_clear()
    yield sqs, url
    monkeypatch.delenv("JOBS_QUEUE_URL")
    config.reset()


def pytest_sessionfinish(session, exitstatus):
    """Personal data stays out of logs and metrics (tests/log_capture.py): a line holding a phone, an e-mail
    address or a name the run created fails the run, naming the line."""
    found = log_capture.report()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"log scan: {len(log_capture.LINES)} log and metric lines searched for "
                            f"{len(log_capture.NAMES)} names, {len(log_capture.PHONES)} phones and "
                            f"{len(log_capture.EMAILS)} e-mail addresses the run created: {len(found)} hits")
        shown: set[str] = set()
        for what, line in found:
            if what not in shown and len(shown) < 20:  # one line for each kind of hit
                shown.add(what)
                reporter.write_line(f"  personal data in a log line ({what}): {line[:300]}", red=True)
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
