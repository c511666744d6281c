"""Square: the signature over the notification URL and the body, the documented event shapes, idempotency."""
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import bearer, body, enroll
from tests.integrations.conftest import SQUARE_KEY, b64_hmac, connect


def payment_event(payment_id="hYy9pRFVxpDsO1FB05SunFWUe9JZY", amount=250000, status="COMPLETED", note=None,
                  created=None, event_id="6a8f5f28-54a1-4eb0-a98a-3111513fd4fc"):
    """payment.updated as Square's reference (reference/square/webhooks/payment.updated) shows it."""
    when = (created or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    payment = {"amount_money": {"amount": amount, "currency": "RUB"},
               "total_money": {"amount": amount, "currency": "RUB"},
               "approved_money": {"amount": amount, "currency": "RUB"},
               "created_at": when, "id": payment_id, "location_id": "S8GWD5R9QB376",
               "order_id": "03O3USaPaAaFnI6kkwB1JxGgBsUZY", "receipt_number": "hYy9", "source_type": "CARD",
               "status": status, "updated_at": when, "version": 3}
    if note:
        payment["note"] = note
    return {"merchant_id": "6SSW7HV8K2ST5", "type": "payment.updated", "event_id": event_id, "created_at": when,
            "data": {"type": "payment", "id": payment_id, "object": {"payment": payment}}}


def refund_event(refund_id="hYy9pRFVxpDsO1FB05SunFWUe9JZY_KwRb0eBHXi8m7Vo7t",
                 payment_id="hYy9pRFVxpDsO1FB05SunFWUe9JZY", amount=100000, status="COMPLETED", kind="refund.updated"):
    when = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    refund = {"id": refund_id, "status": status, "amount_money": {"amount": amount, "currency": "RUB"},
              "payment_id": payment_id, "order_id": "03O3USaPaAaFnI6kkwB1JxGgBsUZY", "created_at": when,
              "updated_at": when, "location_id": "S8GWD5R9QB376", "version": 2}
    return {"merchant_id": "6SSW7HV8K2ST5", "type": kind, "event_id": "e-" + refund_id[-10:], "created_at": when,
            "data": {"type": "refund", "id": refund_id, "object": {"refund": refund}}}


@pytest.fixture
def square(client, merchant, program):
    return connect(client, merchant, program["id"], "square", {"signature_key": SQUARE_KEY})


def send(client, square, event, key=SQUARE_KEY, url=None, raw=None):
    raw = raw if raw is not None else json.dumps(event).encode()
    signature = b64_hmac(key, (url or square["webhook_url"]).encode() + raw)
    path = square["webhook_url"].removeprefix("https://loyalty.test")
    return client.http.post(path, headers={"Content-Type": "application/json",
                                           "X-Square-HmacSha256-Signature": signature}, body=raw)


def test_connecting_answers_the_url_to_register_and_never_the_key(client, merchant, program, square):
    assert square["webhook_url"] == f"https://loyalty.test/integrations/square/events?program={program['id']}"
    listed = body(client.http.get(f"/admin/programs/{program['id']}/integrations", headers=bearer(merchant)))
    assert [item["provider"] for item in listed["items"]] == ["square"]
    assert SQUARE_KEY not in json.dumps(listed)


def test_a_completed_payment_with_a_card_number_in_the_note_earns_points(client, program, square):
    card = enroll(client)
    answer = send(client, square, payment_event(note=f"card {card['card_number']}"))
    assert answer.status_code == 200, answer.body
    receipt = body(answer)
    assert receipt["receipt_id"] == "square:hYy9pRFVxpDsO1FB05SunFWUe9JZY"
    assert receipt["card"] == card["card_number"]
    assert receipt["earned"] == 125  # 2,500.00 RUB at 5 %: 12,500 kopecks = 125 points of 1 RUB
    assert receipt["balance"] == 100 + 125


def test_the_same_event_again_is_a_replay_and_changes_nothing(client, program, square):
    card = enroll(client)
    created = datetime.now(UTC) - timedelta(minutes=5)
    event = payment_event(note=card["card_number"], created=created)
    first = send(client, square, event)
    again = send(client, square, event)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replay") == "true"
    assert body(again) == body(first)
    # a later payment.updated of the same payment (new version) is the same receipt too
    later = send(client, square, payment_event(note=card["card_number"], event_id="another-event", created=created))
    assert later.status_code == 200 and body(later)["balance"] == body(first)["balance"]


def test_a_payment_not_completed_is_answered_200_and_writes_nothing(client, program, square):
    answer = send(client, square, payment_event(status="APPROVED"))
    assert answer.status_code == 200
    assert body(answer)["error"]["code"] == "ignored"


def test_a_payment_without_a_customer_is_kept_for_analytics(client, program, square):
    receipt = body(send(client, square, payment_event()))
    assert receipt["card"] is None and receipt["earned"] == 0


def test_a_completed_refund_takes_points_back_pro_rata(client, program, square):
    card = enroll(client)
    send(client, square, payment_event(note=card["card_number"]))
    answer = send(client, square, refund_event())
    assert answer.status_code == 200, answer.body
    refund = body(answer)
    assert refund["points_reversed"] == 50  # 1,000 of 2,500 refunded: 2/5 of 125
    assert refund["balance"] == 100 + 125 - 50
    assert send(client, square, refund_event(status="PENDING", refund_id="other")).status_code == 200


def test_a_tampered_body_is_refused(client, program, square):
    raw = json.dumps(payment_event()).encode()
    signature = b64_hmac(SQUARE_KEY, square["webhook_url"].encode() + raw)
    tampered = raw.replace(b"250000", b"950000")
    path = square["webhook_url"].removeprefix("https://loyalty.test")
    answer = client.http.post(path, headers={"Content-Type": "application/json",
                                             "X-Square-HmacSha256-Signature": signature}, body=tampered)
    assert answer.status_code == 401 and body(answer)["error"]["code"] == "bad_signature"


def test_a_signature_over_another_url_or_with_another_key_is_refused(client, program, square):
    assert send(client, square, payment_event(), url="https://evil.test/hook").status_code == 401
    assert send(client, square, payment_event(), key="not-the-key").status_code == 401


def test_an_old_event_replayed_later_is_refused(client, program, square):
    old = payment_event(created=datetime.now(UTC) - timedelta(days=3))
    answer = send(client, square, old)
    assert answer.status_code == 401 and body(answer)["error"]["code"] == "stale_event"


def test_another_programs_id_in_the_url_is_unknown(client, program, square):
    raw = json.dumps(payment_event()).encode()
    answer = client.http.post("/integrations/square/events?program=p_nope", body=raw, headers={
        "Content-Type": "application/json", "X-Square-HmacSha256-Signature": b64_hmac(SQUARE_KEY, raw)})
    assert answer.status_code == 401 and body(answer)["error"]["code"] == "unknown_connection"


def test_the_cli_senders_events_are_accepted(client, program, square):
    from chalicelib.integrations import samples

    card = enroll(client)
    headers, raw = samples.square("receipt", SQUARE_KEY, square["webhook_url"], payment_id="PAY123", amount=10000,
                                  currency="RUB", card=card["card_number"])
    path = square["webhook_url"].removeprefix("https://loyalty.test")
    assert body(client.http.post(path, headers=headers, body=raw))["earned"] == 5
    headers, raw = samples.square("refund", SQUARE_KEY, square["webhook_url"], payment_id="PAY123", amount=10000,
                                  currency="RUB", card=None)
    assert body(client.http.post(path, headers=headers, body=raw))["points_reversed"] == 5
