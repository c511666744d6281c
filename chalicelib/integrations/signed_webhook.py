"""Our own signed webhook, the first POS provider: a till that signs with a POS key exactly as for the
/pos routes (X-Loyalty-Key, X-Loyalty-Timestamp, X-Loyalty-Signature over the path and body) and sends
`{"type": "receipt", "data": <a /pos/receipts body>}` or `{"type": "refund", "data": <a /pos/refunds body>}`.
The same receipt id sent here and to /pos/receipts is one receipt (the idempotency hash is of `data`)."""
from __future__ import annotations

from datetime import datetime

from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput
from chalicelib.integrations.base import Delivery, PosCommand
from chalicelib.store.records import Program
from chalicelib.usecases import guards, pos


class SignedWebhook:
    name = "signed"

    def authenticate(self, delivery: Delivery, now: datetime) -> Program:
        program = pos.authenticate(delivery.headers, delivery.method, delivery.path, delivery.body, now)
        guards.before_pos_request(program, delivery.headers["x-loyalty-key"], now)
        return program

    def command(self, delivery: Delivery, program: Program, now: datetime) -> PosCommand:
        event = v.require_object(v.parse_json(delivery.body))
        v.reject_unknown(event, {"type", "data"})
        kind = v.read_str(event, "type", required=True, max_len=20)
        data = v.read_object(event, "data")
        if data is None:
            raise InvalidInput("'data' is required.", code="required", field="data")
        if kind == "receipt":  # a location's key: its receipts carry that location, as on /pos/receipts
            key_location = pos.key_location(delivery.headers["x-loyalty-key"])
            return pos.at_location(RecordReceipt.parse(data, program, now), program, key_location)
        if kind == "refund":
            return RecordRefund.parse(data)
        raise InvalidInput("'type' must be 'receipt' or 'refund'.", code="invalid_value", field="type")

    def card_missed(self, delivery: Delivery, now: datetime) -> None:
        guards.pos_lookup_missed(delivery.headers["x-loyalty-key"], now)


PROVIDER = SignedWebhook()
