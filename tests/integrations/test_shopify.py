"""Shopify: HMAC of the raw body with the app secret, orders/paid and refunds/create, amounts in major units."""
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import body, enroll
from tests.integrations.conftest import SHOPIFY_SECRET, b64_hmac, connect


def order(order_id=820982911946154508, total="1990.50", phone=None, note_attributes=None):
    """An orders/paid body, trimmed from Shopify's example order (Admin REST API, Order)."""
    created = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    return {"id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}", "currency": "RUB",
            "created_at": created, "processed_at": created, "email": "jon@example.com", "financial_status": "paid",
            "name": "#9999", "note": None, "note_attributes": note_attributes or [], "phone": None,
            "subtotal_price": total, "total_price": total, "total_tax": "0.00",
            "customer": {"id": 115310627314723954, "email": "john@example.com", "phone": phone,
                         "first_name": "John", "last_name": "Smith"},
            "billing_address": {"phone": "555-625-1199", "city": "Moscow"}}


def refund(refund_id=929361462, order_id=820982911946154508, amount="995.25", status="success"):
    return {"id": refund_id, "order_id": order_id, "created_at": datetime.now(UTC).isoformat(), "note": "x",
            "restock": False, "refund_line_items": [],
            "transactions": [{"id": 1, "kind": "refund", "status": status, "amount": amount, "currency": "RUB",
                              "gateway": "bogus", "parent_id": 2}]}


@pytest.fixture
def shop(client, merchant, program):
    return connect(client, merchant, program["id"], "shopify", {"secret": SHOPIFY_SECRET})


def send(client, shop, topic, payload, secret=SHOPIFY_SECRET, raw=None, triggered=None, webhook_id="b54557e4"):
    raw = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic,
               "X-Shopify-Hmac-Sha256": b64_hmac(secret, raw), "X-Shopify-Webhook-Id": webhook_id,
               "X-Shopify-Shop-Domain": "coffee.myshopify.com", "X-Shopify-API-Version": "2025-01"}
    if triggered:
        headers["X-Shopify-Triggered-At"] = triggered
    return client.http.post(shop["webhook_url"].removeprefix("https://loyalty.test"), headers=headers, body=raw)


def test_a_paid_order_finds_the_member_by_phone_and_counts_major_units_exactly(client, program, shop):
    card = enroll(client, phone="+79161234567")
    answer = send(client, shop, "orders/paid", order(phone="+7 916 123-45-67"))
    assert answer.status_code == 200, answer.body
    receipt = body(answer)
    assert receipt["receipt_id"] == "shopify:820982911946154508"
    assert receipt["card"] == card["card_number"]
    assert receipt["earned"] == 99  # 199,050 kopecks at 5 % = 9,952 kopecks: 99 whole points
    assert receipt["balance"] == 100 + 99


def test_a_card_number_in_the_note_attributes_wins(client, program, shop):
    card = enroll(client)
    answer = send(client, shop, "orders/paid", order(note_attributes=[{"name": "card", "value": card["card_number"]}]))
    assert body(answer)["card"] == card["card_number"]


def test_a_retried_delivery_is_a_replay(client, program, shop):
    enroll(client, phone="+79161234567")
    payload = order(phone="+79161234567")
    first = send(client, shop, "orders/paid", payload)
    again = send(client, shop, "orders/paid", payload)
    assert again.headers.get("Idempotent-Replay") == "true" and body(again) == body(first)


def test_a_refund_reverses_pro_rata_and_a_restock_only_refund_is_ignored(client, program, shop):
    enroll(client, phone="+79161234567")
    send(client, shop, "orders/paid", order(phone="+79161234567"))
    answer = send(client, shop, "refunds/create", refund())
    assert answer.status_code == 200, answer.body
    assert body(answer)["points_reversed"] == 49  # half of 99, rounded down
    nothing = send(client, shop, "refunds/create", refund(refund_id=5, status="failure"))
    assert nothing.status_code == 200 and body(nothing)["error"]["code"] == "ignored"


def test_other_topics_are_answered_200_and_write_nothing(client, program, shop):
    answer = send(client, shop, "orders/create", order())
    assert answer.status_code == 200 and body(answer)["error"]["code"] == "ignored"


def test_tampered_or_wrongly_signed_deliveries_are_refused(client, program, shop):
    raw = json.dumps(order()).encode()
    signed = b64_hmac(SHOPIFY_SECRET, raw)
    tampered = raw.replace(b"1990.50", b"9990.50")
    answer = client.http.post(shop["webhook_url"].removeprefix("https://loyalty.test"), body=tampered, headers={
        "Content-Type": "application/json", "X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": signed})
    assert answer.status_code == 401 and body(answer)["error"]["code"] == "bad_signature"
    assert send(client, shop, "orders/paid", order(), secret="another-secret").status_code == 401


def test_a_delivery_triggered_long_ago_is_refused(client, program, shop):
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    answer = send(client, shop, "orders/paid", order(), triggered=old)
    assert answer.status_code == 401 and body(answer)["error"]["code"] == "stale_event"


def test_money_in_major_units_becomes_minor_units_by_the_currencys_decimals():
    from chalicelib.integrations.webhooks import minor_units

    assert minor_units("1990.50", "RUB", "x") == 199050
    assert minor_units("0.1", "USD", "x") == 10
    assert minor_units("1500", "JPY", "x") == 1500
    assert minor_units("1.234", "KWD", "x") == 1234
    with pytest.raises(Exception, match="decimals"):
        minor_units("10.5", "JPY", "x")


def test_the_cli_senders_events_are_accepted(client, program, shop):
    from chalicelib.integrations import samples

    enroll(client, phone="+79161234567")
    headers, raw = samples.shopify("receipt", SHOPIFY_SECRET, order_id=42, amount="100.00", currency="RUB", card=None,
                                   phone="+79161234567")
    assert json.loads(raw)["line_items"][0]["sku"] == "LATTE"  # lines to try product rules and stamps with
    path = shop["webhook_url"].removeprefix("https://loyalty.test")
    assert body(client.http.post(path, headers=headers, body=raw))["earned"] == 5
