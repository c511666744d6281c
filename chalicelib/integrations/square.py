"""Square: `payment.updated` with a COMPLETED payment is a sale, `refund.created` / `refund.updated` with a
COMPLETED refund gives money back (developer.squareup.com/docs/webhooks, reference/square/webhooks).

The webhook URL registered in Square's dashboard is `{PUBLIC_BASE_URL}/integrations/square/events?program=<id>`
(the admin API answers it on connecting). Square signs every notification:
`x-square-hmacsha256-signature` = base64(HMAC-SHA256(signature key, notification URL + raw body)); the
notification URL is the one stored with the connection, exactly as registered.

Money: Square's `amount_money.amount` is already in the currency's smallest unit, so it is our minor units
as it is. The sale is `total_money` (amount and tip), so that a refund of a tip never exceeds the sale.
Ids: the receipt is `square:<payment id>` and a refund `square:<refund id>`: Square sends several
`payment.updated` events for one payment (approved, then completed, then card details), and all of them
are one receipt. The customer's card: a card number typed in the payment's `reference_id` or `note`;
a payment carries no phone (its `customer_id` is Square's, which we do not call back for). Nor lines: a
payment names its `order_id`, and the order's `line_items` only Square's Orders API answers, so a Square
sale is a receipt of its total (product rules and per-item stamps see no lines)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput
from chalicelib.integrations import webhooks
from chalicelib.integrations.base import Delivery, PosCommand
from chalicelib.store.records import Program
from chalicelib.usecases import connections

SIGNATURE = "x-square-hmacsha256-signature"
_ID = r"[A-Za-z0-9_\-]{1,48}"


class Square:
    name = "square"

    def authenticate(self, delivery: Delivery, now: datetime) -> Program:
        program, item = connections.connected(webhooks.program_in(delivery.path), self.name)
        url = str(item.options.get("notification_url") or connections.webhook_url(program, self.name))
        expected = webhooks.hmac_base64(connections.signing_key(item), url.encode() + delivery.body)
        webhooks.check_signature(delivery.headers.get(SIGNATURE), expected)
        return program

    def command(self, delivery: Delivery, program: Program, now: datetime) -> PosCommand:
        event = v.require_object(webhooks.parse_json(delivery.body))
        kind = v.read_str(event, "type", required=True, max_len=60)
        webhooks.check_age(webhooks.parse_time(event.get("created_at")), now)
        data = v.read_object(event, "data") or {}
        found = v.read_object(data, "object", prefix="data") or {}
        if kind == "payment.updated":
            return self._receipt(v.read_object(found, "payment", prefix="data.object") or {}, program, now)
        if kind in ("refund.created", "refund.updated"):
            return self._refund(v.read_object(found, "refund", prefix="data.object") or {})
        raise webhooks.Ignored(f"Square event '{kind}' changes no points.")

    def _receipt(self, payment: dict[str, Any], program: Program, now: datetime) -> RecordReceipt:
        if payment.get("status") != "COMPLETED":
            raise webhooks.Ignored("The payment is not completed yet.")
        payment_id = v.read_str(payment, "id", prefix="payment", required=True, pattern=_ID)
        money = _money(payment, "total_money") if payment.get("total_money") else _money(payment, "amount_money")
        number = webhooks.card_number_in(payment.get("reference_id")) or webhooks.card_number_in(payment.get("note"))
        data: dict[str, Any] = {"receipt_id": f"square:{payment_id}", "total": money[0], "currency": money[1],
                                "card": webhooks.card_of(program, number=number),
                                **webhooks.location_of(program, self.name, payment.get("location_id"))}
        moment = webhooks.created_at(webhooks.parse_time(payment.get("created_at")), now)
        if moment:
            data["created_at"] = moment
        return RecordReceipt.parse(data, program, now)

    def _refund(self, refund: dict[str, Any]) -> RecordRefund:
        if refund.get("status") != "COMPLETED":
            raise webhooks.Ignored("The refund is not completed yet.")
        refund_id = v.read_str(refund, "id", prefix="refund", required=True, max_len=80,
                               pattern=r"[A-Za-z0-9_\-]{1,80}")
        payment_id = v.read_str(refund, "payment_id", prefix="refund", required=True, pattern=_ID)
        amount, _ = _money(refund, "amount_money")
        return RecordRefund.parse({"refund_id": webhooks.our_id("square", refund_id),
                                   "receipt_id": f"square:{payment_id}", "amount": amount})


def _money(holder: dict[str, Any], name: str) -> tuple[int, str]:
    money = v.read_object(holder, name) or {}
    amount = v.read_int(money, "amount", prefix=name, required=True, minimum=0, maximum=10**12)
    currency = v.read_str(money, "currency", prefix=name, required=True, pattern=r"[A-Z]{3}")
    if amount is None:
        raise InvalidInput(f"'{name}.amount' is required.", code="required", field=f"{name}.amount")
    return amount, currency


PROVIDER = Square()
