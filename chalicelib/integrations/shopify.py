"""Shopify: the `orders/paid` topic is a sale and `refunds/create` gives money back (shopify.dev, "About
webhooks" and "Verify webhooks"). The webhook URL is `{PUBLIC_BASE_URL}/integrations/shopify/events?program=<id>`.

Every delivery carries `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(app secret, raw body)), `X-Shopify-Topic`,
`X-Shopify-Webhook-Id` (the same for every retry of one delivery) and, in recent API versions,
`X-Shopify-Triggered-At`. The body is the order or the refund as the Admin REST API shows it.

Money: Shopify writes amounts as strings in major units ("123.45"), in the shop's currency; they become
minor units by the currency's decimals exactly (Decimal, never a float). The sale is the order's
`total_price`; a refund is the sum of its successful `refund` transactions (a refund that only restocks
gives no money back and changes no points). Ids: `shopify:<order id>`, `shopify:r<refund id>`, so every
retry of a delivery and every later topic about the same order are one receipt. The customer: a card
number in the order's note attributes (`card`, `loyalty_card`, `карта`) or note, else the phone
(`customer.phone`, the order's `phone`, the billing address's phone). The order's `line_items` become the
receipt's lines (`_lines`), so that product rules and per-item stamps apply."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import log
from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput
from chalicelib.integrations import webhooks
from chalicelib.integrations.base import Delivery, PosCommand
from chalicelib.store.records import Program
from chalicelib.usecases import connections

SIGNATURE = "x-shopify-hmac-sha256"
TOPIC = "x-shopify-topic"
WEBHOOK_ID = "x-shopify-webhook-id"
TRIGGERED_AT = "x-shopify-triggered-at"
CARD_ATTRIBUTES = ("card", "loyalty_card", "card_number", "карта")


class Shopify:
    name = "shopify"

    def authenticate(self, delivery: Delivery, now: datetime) -> Program:
        program, item = connections.connected(webhooks.program_in(delivery.path), self.name)
        expected = webhooks.hmac_base64(connections.signing_key(item), delivery.body)
        webhooks.check_signature(delivery.headers.get(SIGNATURE), expected)
        webhooks.check_age(webhooks.parse_time(delivery.headers.get(TRIGGERED_AT)), now)
        return program

    def command(self, delivery: Delivery, program: Program, now: datetime) -> PosCommand:
        topic = delivery.headers.get(TOPIC, "")
        log.info("shopify_event", program_id=program.program_id, topic=topic[:40],
                 webhook_id=delivery.headers.get(WEBHOOK_ID, "")[:64])
        body = v.require_object(webhooks.parse_json(delivery.body))
        if topic == "orders/paid":
            return self._receipt(body, program, now)
        if topic == "refunds/create":
            return self._refund(body, program)
        raise webhooks.Ignored(f"Shopify topic '{topic[:40]}' changes no points.")

    def _receipt(self, order: dict[str, Any], program: Program, now: datetime) -> RecordReceipt:
        order_id = _id(order, "id")
        currency = v.read_str(order, "currency", required=True, pattern=r"[A-Z]{3}")
        total = webhooks.minor_units(order.get("total_price"), currency, "total_price")
        customer = v.read_object(order, "customer") or {}
        billing = v.read_object(order, "billing_address") or {}
        phone = customer.get("phone") or order.get("phone") or billing.get("phone")
        data: dict[str, Any] = {"receipt_id": f"shopify:{order_id}", "total": total, "currency": currency,
                                "card": webhooks.card_of(program, number=_card_number(order), phone=phone),
                                **webhooks.location_of(program, self.name, order.get("location_id"))}
        lines = _lines(order, currency)
        if lines:
            data["lines"] = lines
        moment = webhooks.created_at(webhooks.parse_time(order.get("processed_at") or order.get("created_at")), now)
        if moment:
            data["created_at"] = moment
        return RecordReceipt.parse(data, program, now)

    def _refund(self, refund: dict[str, Any], program: Program) -> RecordRefund:
        refund_id, order_id = _id(refund, "id"), _id(refund, "order_id")
        amount = 0
        for index, raw in enumerate(v.read_list(refund, "transactions", max_items=100)):
            transaction = v.require_object(raw, f"transactions[{index}]")
            if transaction.get("kind") == "refund" and transaction.get("status") == "success":
                currency = transaction.get("currency") or program.currency
                amount += webhooks.minor_units(transaction.get("amount"), str(currency),
                                               f"transactions[{index}].amount")
        if amount == 0:
            raise webhooks.Ignored("The refund gives no money back.")
        return RecordRefund.parse({"refund_id": f"shopify:r{refund_id}", "receipt_id": f"shopify:{order_id}",
                                   "amount": amount})


def _id(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() or len(str(value)) > 20:
        raise InvalidInput(f"'{name}' must be Shopify's numeric id.", code="invalid_value", field=name)
    return str(value)


def _lines(order: dict[str, Any], currency: str) -> list[dict[str, Any]]:
    """The order's `line_items` as receipt lines: SKU `sku` (else the variant id), `title`/`name`, `quantity`,
    and `price` × quantity less the line's `discount_allocations` (its share of every discount, the order's
    too), else less `total_discount`: what the customer paid for the line. Shopify's line carries no product
    type, so no category. A malformed line is 400 naming it (as a malformed `total_price` is)."""
    lines = []
    for index, raw in enumerate(webhooks.line_items(order, "line_items")):
        p = f"line_items[{index}]"
        item = v.require_object(raw, p)
        qty = webhooks.quantity(item.get("quantity"), f"{p}.quantity")
        unit = webhooks.minor_units(item.get("price"), currency, f"{p}.price")
        allocations = item.get("discount_allocations")
        if isinstance(allocations, list) and allocations:
            discount = sum(webhooks.minor_units(v.require_object(allocation, f"{p}.discount_allocations").get("amount"),
                                                currency, f"{p}.discount_allocations.amount")
                           for allocation in allocations[:100])
        else:
            discount = webhooks.minor_units(item.get("total_discount") or "0", currency, f"{p}.total_discount")
        amount = max(0, round(unit * qty) - discount)
        lines.append(webhooks.line(item.get("sku"), item.get("title") or item.get("name"), qty, amount,
                                   sku_fallback=item.get("variant_id")))
    return lines


def _card_number(order: dict[str, Any]) -> str | None:
    attributes = order.get("note_attributes")
    if isinstance(attributes, list):
        for attribute in attributes[:50]:
            if isinstance(attribute, dict) and str(attribute.get("name", "")).lower() in CARD_ATTRIBUTES:
                number = webhooks.card_number_in(attribute.get("value"))
                if number:
                    return number
    return webhooks.card_number_in(order.get("note"))


PROVIDER = Shopify()
