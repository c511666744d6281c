"""Evotor, as far as its public documentation goes: a bearer token we issued, a receipt callback."""
import json
import time
import uuid

import pytest

from tests.conftest import body, enroll
from tests.integrations.conftest import connect


def receipt(total=1500.5, card=None, kind="SELL"):
    """One receipt of the cloud's receipt callback (evotor/documentation-api, definitions.yaml `receipt`)."""
    data = {"id": str(uuid.uuid4()), "deviceId": str(uuid.uuid4()), "storeId": str(uuid.uuid4()),
            "dateTime": "2017-06-07T12:55:18Z", "type": kind, "shiftId": "12", "employeeId": str(uuid.uuid4()),
            "paymentSource": "PAY_CARD", "infoCheck": False, "egais": False,
            "items": [{"id": str(uuid.uuid4()), "name": "Latte", "itemType": "NORMAL", "measureName": "шт",
                       "quantity": 1, "price": total, "sumPrice": total, "discount": 0}],
            "totalTax": 0, "totalDiscount": 0, "totalAmount": total}
    if card:
        data["extras"] = {"card": card}
    return [{"id": str(uuid.uuid4()), "timestamp": int(time.time() * 1000), "userId": "01-000000000000001",
             "type": "ReceiptCreated", "version": 2, "data": data}]


@pytest.fixture
def evotor(client, merchant, program):
    return connect(client, merchant, program["id"], "evotor")


def send(client, evotor, payload, token=None):
    return client.http.post(evotor["webhook_url"].removeprefix("https://loyalty.test"), body=json.dumps(payload),
                            headers={"Content-Type": "application/json",
                                     "Authorization": f"Bearer {token or evotor['secret']}"})


def test_a_sale_with_a_card_in_extras_earns_points(client, program, evotor):
    card = enroll(client)
    answer = send(client, evotor, receipt(card=card["card_number"]))
    assert answer.status_code == 200, answer.body
    assert body(answer)["earned"] == 75 and body(answer)["card"] == card["card_number"]


def test_the_same_receipt_again_is_a_replay(client, program, evotor):
    payload = receipt()
    first = send(client, evotor, payload)
    again = send(client, evotor, payload)
    assert again.headers.get("Idempotent-Replay") == "true" and body(again) == body(first)


def test_a_wrong_token_is_refused_and_a_return_is_ignored(client, program, evotor):
    assert send(client, evotor, receipt(), token="nope").status_code == 401
    answer = send(client, evotor, receipt(kind="PAYBACK"))
    assert answer.status_code == 200 and body(answer)["error"]["code"] == "ignored"
