"""Evotor, as far as its public documentation goes (github.com/evotor/documentation-api, `evotorCallbacks/`,
2017): the Evotor cloud posts receipts to a partner's service with `Authorization: Bearer <token>`, where
the token is the one the partner answered at `user/create` / `user/verify`. Here the token is the one the
admin API issues on connecting Evotor (shown once, kept as SHA-256).

Confirmed by that documentation: the bearer token; the receipt callback's body is an array of
`{"id", "timestamp", "userId", "type", "version", "data": {"id", "deviceId", "storeId", "dateTime", "type",
"items": [...], "totalAmount", "totalDiscount", "extras"}}`; amounts are numbers in roubles.
Assumed (not in the documentation): that `data.type` is `SELL` for a sale (`PAYBACK` for a return, which
names no sale, so it cannot be matched to a receipt and is answered 200 and ignored); that a card number
arrives in `data.extras` (`card`) when a till app puts it there (the cloud has no customer field); that the
cloud posts to this URL as is (`/integrations/evotor/events?program=<id>`) and that one request carries one
receipt (an array of more is 400, to be retried one by one); the item fields `_lines` reads. Tried against
no real Evotor cloud."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chalicelib.commands.pos import RecordReceipt
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput, Unauthorized
from chalicelib.integrations import webhooks
from chalicelib.integrations.base import Delivery, PosCommand
from chalicelib.store.records import Program
from chalicelib.usecases import connections

_UUID = r"[0-9a-fA-F\-]{8,40}"


class Evotor:
    name = "evotor"

    def authenticate(self, delivery: Delivery, now: datetime) -> Program:
        program, item = connections.connected(webhooks.program_in(delivery.path), self.name)
        scheme, _, token = delivery.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Authorization: Bearer <token> is required.", code="missing_token")
        connections.check_issued(item, token.strip())
        return program

    def command(self, delivery: Delivery, program: Program, now: datetime) -> PosCommand:
        body = webhooks.parse_json(delivery.body)
        receipts = body if isinstance(body, list) else [body]
        if len(receipts) != 1:
            raise InvalidInput("Send one receipt per request.", code="too_many", field="receipt")
        receipt = v.require_object(receipts[0], "receipt")
        data = v.read_object(receipt, "data") or {}
        timestamp = receipt.get("timestamp")
        if isinstance(timestamp, Decimal):  # the signed-body parser reads 1700000000000.0 as a Decimal
            timestamp = int(timestamp)
        if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool) and 0 < timestamp < 10**17:
            webhooks.check_age(datetime.fromtimestamp(timestamp / 1000 if timestamp < 10**14 else timestamp / 10**6,
                                                      UTC), now)
        if data.get("type") != "SELL":
            raise webhooks.Ignored("Only sales (type SELL) change points; a return names no sale.")
        receipt_id = v.read_str(data, "id", prefix="data", required=True, pattern=_UUID)
        total = webhooks.minor_units(data.get("totalAmount"), program.currency, "data.totalAmount")
        extras = v.read_object(data, "extras", prefix="data") or {}
        number = webhooks.card_number_in(extras.get("card"))
        fields: dict[str, Any] = {"receipt_id": f"evotor:{receipt_id}", "total": total,
                                  "card": webhooks.card_of(program, number=number),
                                  **webhooks.location_of(program, self.name, data.get("storeId"))}
        lines = _lines(data, program.currency)
        if lines:
            fields["lines"] = lines
        moment = webhooks.created_at(webhooks.parse_time(data.get("dateTime")), now)
        if moment:
            fields["created_at"] = moment
        return RecordReceipt.parse(fields, program, now)


def _lines(data: dict[str, Any], currency: str) -> list[dict[str, Any]]:
    """The receipt's `items` as receipt lines: SKU the product's `code` (else its `id`, the product's uuid),
    `name`, `quantity`, and `sumPrice` less the item's `discount` (roubles, like every Evotor amount), else
    `price` × quantity less it. Assumed from partners' models of the callback (not in the 2017
    documentation): those item fields, and that `sumPrice` is before the item's discount. Evotor's item
    names no product group, so no category. A malformed item is 400 naming it."""
    lines = []
    for index, raw in enumerate(webhooks.line_items(data, "items")):
        p = f"data.items[{index}]"
        item = v.require_object(raw, p)
        qty = webhooks.quantity(item.get("quantity"), f"{p}.quantity")
        if item.get("sumPrice") is not None:
            gross = webhooks.minor_units(item.get("sumPrice"), currency, f"{p}.sumPrice")
        else:
            gross = round(webhooks.minor_units(item.get("price"), currency, f"{p}.price") * qty)
        discount = webhooks.minor_units(item.get("discount") or 0, currency, f"{p}.discount")
        lines.append(webhooks.line(item.get("code"), item.get("name"), qty, max(0, gross - discount),
                                   sku_fallback=item.get("id")))
    return lines


PROVIDER = Evotor()
