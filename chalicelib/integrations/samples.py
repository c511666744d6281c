"""Realistic sample events, signed as each platform signs them, for `cli send-webhook` (trying an integration
against the local stack before connecting the real shop). Shapes follow the platforms' documented examples,
trimmed to what the providers here read (square.py, shopify.py, tilda.py). Shopify's order carries a line
(a Latte, SKU `LATTE`) so that product rules and stamp cards can be tried; Square's payment carries none
(a payment names its order, whose lines only the Orders API answers)."""
from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from urllib.parse import urlencode

from chalicelib.integrations import webhooks

Request = tuple[dict[str, str], bytes]  # headers, body


def square(kind: str, key: str, url: str, *, payment_id: str, amount: int, currency: str, card: str | None,
           refund_id: str | None = None) -> Request:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    if kind == "refund":
        refund_id = refund_id or f"{payment_id}_{secrets.token_hex(8)}"
        obj = {"refund": {"id": refund_id, "status": "COMPLETED", "payment_id": payment_id, "created_at": now,
                          "amount_money": {"amount": amount, "currency": currency}, "location_id": "L88917AVBK2S5"}}
        event = {"merchant_id": "ML82H4QPKMGXY", "type": "refund.updated", "event_id": secrets.token_hex(16),
                 "created_at": now, "data": {"type": "refund", "id": refund_id, "object": obj}}
    else:
        payment = {"id": payment_id, "created_at": now, "updated_at": now, "status": "COMPLETED",
                   "amount_money": {"amount": amount, "currency": currency},
                   "total_money": {"amount": amount, "currency": currency}, "source_type": "CARD",
                   "location_id": "L88917AVBK2S5", "order_id": secrets.token_hex(12)}
        if card:
            payment["reference_id"] = card
        event = {"merchant_id": "ML82H4QPKMGXY", "type": "payment.updated", "event_id": secrets.token_hex(16),
                 "created_at": now, "data": {"type": "payment", "id": payment_id, "object": {"payment": payment}}}
    body = json.dumps(event).encode()
    return {"Content-Type": "application/json",
            "X-Square-HmacSha256-Signature": webhooks.hmac_base64(key.encode(), url.encode() + body)}, body


def shopify(kind: str, secret: str, *, order_id: int, amount: str, currency: str, card: str | None,
            phone: str | None, refund_id: int | None = None) -> Request:
    now = datetime.now(UTC).isoformat()
    if kind == "refund":
        topic = "refunds/create"
        payload: dict[str, object] = {
            "id": refund_id or int.from_bytes(secrets.token_bytes(6)), "order_id": order_id, "created_at": now,
            "transactions": [{"kind": "refund", "status": "success", "amount": amount, "currency": currency}]}
    else:
        topic = "orders/paid"
        payload = {"id": order_id, "currency": currency, "total_price": amount, "created_at": now,
                   "processed_at": now, "financial_status": "paid", "phone": phone,
                   "note_attributes": [{"name": "card", "value": card}] if card else [],
                   "customer": {"id": 115310627314723954, "phone": phone},
                   # the sale's one line (shopify.py reads sku, title, quantity, price, discount_allocations)
                   "line_items": [{"id": 866550311766439020, "variant_id": 39072856, "product_id": 632910392,
                                   "sku": "LATTE", "title": "Latte", "name": "Latte", "quantity": 1, "price": amount,
                                   "total_discount": "0.00", "discount_allocations": []}]}
    body = json.dumps(payload).encode()
    return {"Content-Type": "application/json", "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": webhooks.hmac_base64(secret.encode(), body),
            "X-Shopify-Webhook-Id": secrets.token_hex(16), "X-Shopify-Triggered-At": now,
            "X-Shopify-Shop-Domain": "example.myshopify.com"}, body


def tilda(kind: str, *, name: str, phone: str, email: str | None) -> Request:
    fields = {"test": "test"} if kind == "test" else {
        "Name": name, "Phone": phone, **({"Email": email} if email else {}),
        "tranid": f"{secrets.randbelow(10**7)}:{secrets.randbelow(10**9)}", "formid": "form000000001"}
    return {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(fields).encode()
