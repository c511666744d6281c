"""APNs pushes against the local HTTP/2 stand-in, and the outbox that delivers them."""
import json
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import app
from chalicelib.jobs import outbox
from chalicelib.store import cards as card_store
from chalicelib.store import devices
from chalicelib.store import outbox as outbox_store
from chalicelib.store.models import OutboxItem
from chalicelib.wallet import apns, devcerts
from tests.conftest import bearer, enroll


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    folder = tmp_path_factory.mktemp("apns")
    cert, key = devcerts.tls_server(folder)
    port, log = _free_port(), folder / "pushes.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "chalicelib.wallet.apns_standin", "--port", str(port),
                                "--cert", str(cert), "--key", str(key), "--log", str(log)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield {"url": f"https://127.0.0.1:{port}", "ca": str(cert), "log": log}
    process.terminate()
    process.wait(timeout=10)


def _pushes(standin):
    return [json.loads(line) for line in standin["log"].read_text().splitlines()] if standin["log"].exists() else []


@pytest.fixture
def apns_client(standin):
    apns_client = apns.ApnsClient(standin["url"], "pass.dev.loyalty.local", verify=standin["ca"])
    yield apns_client
    apns_client.close()


def test_push_speaks_http2_with_the_topic_and_an_empty_payload(apns_client, standin):
    result = apns_client.push("devicetoken1")
    assert result.delivered
    last = _pushes(standin)[-1]
    assert last["http_version"] == "2" and last["topic"] == "pass.dev.loyalty.local"
    assert last["path"] == "/3/device/devicetoken1" and last["payload"] == "{}"


def test_a_wallet_push_is_a_background_push_with_an_expiry(apns_client, standin):
    """Apple: a background push needs apns-push-type (required on watchOS) and priority 5; an
    expiry bounds how long APNs keeps trying an offline device."""
    before = time.time()
    assert apns_client.push("devicetoken2").delivered
    last = _pushes(standin)[-1]
    assert last["apns-push-type"] == "background" and last["apns-priority"] == "5"
    assert before + 3600 <= int(last["apns-expiration"]) <= time.time() + 7 * 86400


@pytest.mark.parametrize("token, status, reason, gone, retry", [
    ("gone-1", 410, "Unregistered", True, False),
    ("busy-1", 429, "TooManyRequests", False, True),
    ("broken-1", 500, "InternalServerError", False, True),
])
def test_apple_answers_are_understood(apns_client, token, status, reason, gone, retry):
    result = apns_client.push(token)
    assert (result.status, result.reason, result.gone, result.retry) == (status, reason, gone, retry)


def test_the_connection_is_reused(apns_client, standin):
    apns_client.push("reuse-1")
    apns_client.push("reuse-2")
    assert len(apns_client._http._transport._pool.connections) == 1


def test_token_authentication_signs_es256_and_caches_the_jwt(standin):
    key = ec.generate_private_key(ec.SECP256R1())
    token_client = apns.ApnsClient(standin["url"], "pass.dev.loyalty.local", token_key=key, key_id="KEY1234567",
                                   team_id="DEVTEAM001", verify=standin["ca"])
    try:
        assert token_client.push("token-auth-1").delivered
        assert _pushes(standin)[-1]["bearer"] is True
        first = token_client._bearer()
        assert first == token_client._bearer()  # cached, not re-signed per push
        claims = jwt.decode(first, key.public_key(), algorithms=["ES256"])
        assert claims["iss"] == "DEVTEAM001" and jwt.get_unverified_header(first)["kid"] == "KEY1234567"
    finally:
        token_client.close()


def test_unreachable_apns_is_a_retry_not_a_crash():
    dead = apns.ApnsClient(f"https://127.0.0.1:{_free_port()}", "pass.x", timeout=1)
    result = dead.push("abc")
    assert result.status == 0 and result.retry


def test_outbox_pushes_each_device_once_removes_gone_ones_and_retries_busy(apns_client, standin, aws, program, pos,
                                                                         monkeypatch):
    card = enroll(pos.client)
    now = datetime.now(UTC)
    for device, token in (("dev-ok", "ok-token"), ("dev-gone", "gone-token"), ("dev-busy", "busy-token")):
        devices.register(device, "pass.dev.loyalty.local", card["card_id"], token, now)
    assert pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100000}
                    ).status_code == 200
    assert [item.card_id for item in outbox_store.due(datetime.now(UTC))] == [card["card_id"]]

    first = outbox.deliver(push=apns_client.push)
    assert first == {"items": 1, "pushed": 1, "gone": 1, "retry": 1, "failed": 0, "dead": 0}
    assert sorted(r.device_id for r in devices.devices_of(card["card_id"])) == ["dev-busy", "dev-ok"]
    assert outbox.deliver(push=apns_client.push)["items"] == 0  # backing off
    later = datetime.now(UTC) + timedelta(seconds=31)
    devices.unregister("dev-busy", "pass.dev.loyalty.local", card["card_id"])
    assert outbox.deliver(later, push=apns_client.push) == {"items": 1, "pushed": 1, "gone": 0, "retry": 0,
                                                          "failed": 0, "dead": 0}
    assert outbox_store.due(later + timedelta(hours=2)) == []


def test_a_dead_push_service_never_fails_a_purchase(aws, program, pos):
    card = enroll(pos.client)
    devices.register("dev", "pass.dev.loyalty.local", card["card_id"], "broken-token", datetime.now(UTC))
    response = pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100000})
    assert response.status_code == 200  # the push is the outbox's business, after the commit
    assert len(outbox_store.due(datetime.now(UTC))) == 1


def test_one_admin_call_repushes_every_pass_of_a_program(aws, program, pos, merchant, monkeypatch):
    monkeypatch.setattr(outbox, "REFRESH_PAGE", 2)  # several rounds, as for a large program
    cards = [enroll(pos.client, phone=f"+7916333000{index}") for index in range(3)]
    now = datetime.now(UTC)
    for index, card in enumerate(cards):
        devices.register(f"dev{index}", "pass.dev.loyalty.local", card["card_id"], f"ok-{index}", now)
    before = {c["card_id"]: int(card_store.get(c["card_id"]).pass_version) for c in cards}
    response = pos.client.http.post(f"/admin/programs/{program['id']}/passes/refresh", headers=bearer(merchant))
    assert response.status_code == 202
    assert pos.client.http.post(f"/admin/programs/{program['id']}/passes/refresh",
                                headers=bearer(merchant, "manager")).status_code == 403

    pushed = []
    for _ in range(4):
        outbox.deliver(push=lambda token: (pushed.append(token), apns.PushResult(200))[1])
    assert sorted(pushed) == ["ok-0", "ok-1", "ok-2"]  # each device once
    assert all(int(card_store.get(cid).pass_version) == version + 1 for cid, version in before.items())
    assert outbox_store.due(datetime.now(UTC) + timedelta(hours=1)) == []


def test_due_items_are_found_behind_many_that_are_not_due_yet(aws):
    now = datetime.now(UTC)
    later = now + timedelta(hours=8)  # say, messages waiting for the morning
    with OutboxItem.batch_write() as batch:
        for index in range(600):
            batch.save(OutboxItem("wallet", f"a-notice#{index:04d}", card_id=f"c{index}", pass_version=1,
                                  due_at=int(later.timestamp() * 1e6), attempts=0, created_at="x"))
    OutboxItem("wallet", "z-pass#late", card_id="c_due", pass_version=1, due_at=int(now.timestamp() * 1e6),
               attempts=0, created_at="x").save()
    assert [item.card_id for item in outbox_store.due(now)] == ["c_due"]
    assert len(outbox_store.due(later, limit=1000)) == 601


def test_the_outbox_stream_delivers_what_it_announces_at_once(aws, program, pos, monkeypatch):
    card = enroll(pos.client)
    devices.register("dev", "pass.dev.loyalty.local", card["card_id"], "ok-stream", datetime.now(UTC))
    pos.post("/pos/receipts", {"receipt_id": "s1", "card": card["card_number"], "total": 100000})
    event = {"Records": [{"eventName": "INSERT", "dynamodb": {"Keys": {"queue": {"S": "wallet"},
                                                                      "item_key": {"S": f"pass#{card['card_id']}"}}}}]}
    pushed, announced = [], []
    deliver = outbox.deliver_announced
    monkeypatch.setattr(outbox, "deliver_announced", lambda keys: announced.extend(keys) or deliver(
        keys, push=lambda token: (pushed.append(token), apns.PushResult(200))[1]))
    result = app.outbox_stream(event, None)  # as Lambda calls it for a batch of stream records
    assert announced == [("wallet", f"pass#{card['card_id']}")]
    assert pushed == ["ok-stream"] and result["pushed"] == 1
    assert outbox_store.due(datetime.now(UTC)) == []
