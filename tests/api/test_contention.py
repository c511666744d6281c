"""Contention is never a 500: receipts, refunds and adjustments racing on one card (with many registered
wallet devices and the outbox pushing to them meanwhile), while DynamoDB cancels transactions as it does
when they meet on an item, each end 2xx or a retryable 409/503 with Retry-After; sent again with the
same idempotency key, a refused one applies once; and the balance is what the ledger says. The same
for enrolment and wallet registrations."""
import itertools
import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pynamodb.connection.base import Connection
from pynamodb.exceptions import CancellationReason, PutError, TransactWriteError, VerboseClientError

from chalicelib.api.http import error_response
from chalicelib.errors import AppError
from chalicelib.store import cards as card_store
from chalicelib.store import db, devices
from chalicelib.store import programs as program_store
from chalicelib.store.models import LedgerEntry
from chalicelib.usecases import adjustments, enrollment, pos
from tests.conftest import body, enroll

DEVICES = 25
_EXAMPLES = itertools.count()  # each example its own card and ids (hypothesis repeats examples)


def _conflict() -> TransactWriteError:
    cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                               "TransactWriteItems",
                               cancellation_reasons=[CancellationReason(code="TransactionConflict")])
    return TransactWriteError("Failed to write transaction items", cause=cause)


class Crowd:
    """Cancels a share of the transactions (before they write anything) as DynamoDB does when another
    transaction is in flight on one of their items."""

    def __init__(self, monkeypatch, rate: float, seed: int):
        self.rate, self.random, self.lock = rate, random.Random(seed), threading.Lock()
        real = Connection.transact_write_items

        def maybe_cancelled(connection, *args, **kwargs):
            with self.lock:
                cancel = self.random.random() < self.rate
            if cancel:
                raise _conflict()
            return real(connection, *args, **kwargs)

        monkeypatch.setattr(Connection, "transact_write_items", maybe_cancelled)


def _answer(call):
    """What the API would answer: (status, headers) for a refusal, (200, {}) for a success; an
    exception that is not ours is what the API turns into a 500."""
    try:
        call()
        return 200, {}
    except AppError as error:
        response = error_response(error)
        return response.status_code, response.headers
    except Exception as error:  # noqa: BLE001 - the 500 this test is about
        return 500, {"error": repr(error)}


operations = st.lists(st.one_of(
    st.tuples(st.just("receipt"), st.integers(1, 500_000)),
    st.tuples(st.just("refund"), st.integers(0, 2), st.integers(1, 30_000)),
    st.tuples(st.just("adjust"), st.integers(1, 500)),
), min_size=6, max_size=14)


@settings(max_examples=6, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations, rate=st.sampled_from([0.3, 0.9]), seed=st.integers(0, 1000))
def test_racing_writes_on_one_card_end_2xx_or_retryable_and_the_ledger_explains_the_balance(
        client, program, serialised_dynamodb, ops, rate, seed):
    stored = program_store.get(program["id"])
    start = datetime.now(UTC)
    example = next(_EXAMPLES)
    card = enrollment.enroll(stored, {"name": "Race", "phone": f"+7916{example:07d}", "consent": True}, start, "ru")
    for index in range(DEVICES):
        devices.register(f"device{index:03d}", "pass.test", card.card_id, f"token{index}", start)
    tag = f"e{example}"
    for index in range(3):  # receipts the racing refunds refund (each of 100 000, refunds of at most 30 000)
        pos.post_receipt(stored, {"receipt_id": f"{tag}-base{index}", "card": card.number, "total": 100_000},
                         start + timedelta(microseconds=index + 1))  # (a lot's id is its receipt's time)

    def request(index, op):
        now = start + timedelta(milliseconds=index + 1)
        if op[0] == "receipt":
            data = {"receipt_id": f"{tag}-r{index}", "card": card.number, "total": op[1]}
            return lambda: pos.post_receipt(stored, data, now)
        if op[0] == "refund":
            data = {"refund_id": f"{tag}-f{index}", "receipt_id": f"{tag}-base{op[1]}", "amount": op[2]}
            return lambda: pos.post_refund(stored, data, now)
        data = {"amount": op[1], "reason": "race", "idempotency_key": f"{tag}-a{index}"}
        return lambda: adjustments.adjust(stored, card_store.get(card.card_id), data, "test", now)

    calls = [request(index, op) for index, op in enumerate(ops)]
    with pytest.MonkeyPatch.context() as patch:
        Crowd(patch, rate, seed)
        patch.setattr(db.time, "sleep", lambda seconds: None)  # the pauses are random; their length is not the point
        with ThreadPoolExecutor(6) as pool:
            pushing = pool.submit(_push_rounds, 3)
            answers = list(pool.map(_answer, calls))
        assert pushing.result() >= 0
    for status, headers in answers:
        assert status == 200 or (status in (409, 503) and headers.get("Retry-After") == "1"), (status, headers)
    retried = [_answer(call) for call, (status, _) in zip(calls, answers, strict=False) if status != 200]
    assert all(status == 200 for status, _ in retried), retried  # the same keys, once the crowd is gone
    balance = card_store.get(card.card_id, consistent=True).balance
    assert all(_answer(call)[0] == 200 for call in calls)  # and each again: a replay, nothing changes
    fresh = card_store.get(card.card_id, consistent=True)
    entries = list(LedgerEntry.query(card.card_id))
    assert fresh.balance == balance == sum(int(e.amount) for e in entries), [
        (e.kind, int(e.amount), int(e.balance_after), e.reason) for e in entries]
    assert fresh.balance == sum(int(lot.remaining) for lot in fresh.lots or [])
    keys = [e.idempotency_key for e in entries if e.kind in ("earn", "adjust")]
    assert len(keys) == len(set(keys))  # every receipt earned once, every adjustment applied once
    assert sum(1 for e in entries if e.kind == "adjust") == sum(1 for op in ops if op[0] == "adjust")


def _push_rounds(rounds: int) -> int:
    """The outbox pushing the card's changes to its devices while the writes race."""
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns

    return sum(outbox.deliver(push=lambda token: apns.PushResult(200))["pushed"] for _ in range(rounds))


def test_enrolment_in_a_crowd_is_503_with_retry_after_and_the_retry_joins_once(client, program, monkeypatch):
    real = Connection.transact_write_items
    monkeypatch.setattr(db.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(Connection, "transact_write_items", lambda *args, **kwargs: (_ for _ in ()).throw(_conflict()))
    data = json.dumps({"name": "Anna", "phone": "+79160000099", "consent": True})
    busy = client.http.post("/join/coffee", headers={"Content-Type": "application/json"}, body=data)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1", busy.body
    assert body(busy)["error"]["code"] == "busy"
    monkeypatch.setattr(Connection, "transact_write_items", real)
    joined = enroll(client, phone="+79160000099")
    assert card_store.get(joined["card_id"]).balance == 100
    again = client.http.post("/join/coffee", headers={"Content-Type": "application/json"}, body=data)
    assert again.status_code == 409 and body(again)["error"]["code"] == "already_enrolled"


def test_a_device_registering_twice_at_once_is_registered_once(aws, serialised_dynamodb, monkeypatch):
    from chalicelib.store.models import DeviceRegistration

    now = datetime.now(UTC)
    real, together = DeviceRegistration.get.__func__, threading.Barrier(8)

    first = threading.local()

    def first_reads_together(cls, *args, **kwargs):  # every thread reads once before any of them writes
        try:
            return real(cls, *args, **kwargs)
        finally:
            if not getattr(first, "done", False):
                first.done = True
                together.wait(timeout=5)

    monkeypatch.setattr(DeviceRegistration, "get", classmethod(first_reads_together))
    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(lambda _: devices.register("device1", "pass.test", "c_1", "token-a", now), range(8)))
    monkeypatch.setattr(DeviceRegistration, "get", classmethod(real))
    assert created.count(True) == 1 and created.count(False) == 7  # one 201, the others 200
    with ThreadPoolExecutor(8) as pool:  # a new token from several retries at once: no error, one token kept
        list(pool.map(lambda i: devices.register("device1", "pass.test", "c_1", f"token-{i}", now), range(8)))
    assert [r.push_token for r in devices.devices_of("c_1")][0].startswith("token-")


def test_a_registration_that_keeps_meeting_other_writes_is_503_then_goes_through(aws, monkeypatch):
    from chalicelib.store.models import DeviceRegistration

    real, crowded = DeviceRegistration.save, [True]

    def save(self, *args, **kwargs):
        if crowded[0]:
            cause = VerboseClientError({"Error": {"Code": "TransactionConflictException", "Message": "in flight"}},
                                       "PutItem")
            raise PutError("Failed to put item", cause=cause)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DeviceRegistration, "save", save)
    monkeypatch.setattr(db.time, "sleep", lambda seconds: None)
    now = datetime.now(UTC)
    with pytest.raises(AppError) as refused:
        devices.register("device1", "pass.test", "c_1", "token-a", now)
    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "1"}
    crowded[0] = False
    assert devices.register("device1", "pass.test", "c_1", "token-a", now) is True
    assert devices.register("device1", "pass.test", "c_1", "token-a", now) is False
