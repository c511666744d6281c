"""A shop's or till's sale carries its lines into the receipt: product rules and per-item stamps read them."""
import json

import pytest

from tests.api.test_pos_mechanics import _program
from tests.conftest import body, enroll
from tests.integrations import test_evotor, test_shopify
from tests.integrations.conftest import SHOPIFY_SECRET, connect

STAMPS = {"kind": "stamps", "products": [{"id": "tobacco", "skus": ["CIG-20"], "exclude": True}],
          "stamps": {"per_reward": 9, "skus": ["LATTE"], "reward": {"ru": "Кофе в подарок", "en": "A free coffee"}}}


@pytest.fixture
def cafe(client, merchant):
    program, _ = _program(client, merchant, "stamps", STAMPS)
    return program


def shopify_order(items, total):
    data = test_shopify.order(total=total)
    data["line_items"] = items
    return data


def shopify_item(sku, title, quantity, price, variant_id=39072856, discounts=()):
    return {"id": 866550311766439020, "variant_id": variant_id, "product_id": 632910392, "sku": sku,
            "title": title, "name": title, "quantity": quantity, "price": price, "total_discount": "0.00",
            "discount_allocations": [{"amount": amount, "discount_application_index": 0} for amount in discounts]}


def test_a_shopify_order_stamps_its_coffees_and_not_its_tobacco(client, merchant, cafe):
    shop = connect(client, merchant, cafe["id"], "shopify", {"secret": SHOPIFY_SECRET})
    card = enroll(client, slug="stamps", phone="+79161234567")
    items = [shopify_item("LATTE", "Latte", 2, "250.00", discounts=["50.00"]),
             shopify_item("CIG-20", "Cigarettes", 1, "200.00")]
    answer = test_shopify.send(client, shop, "orders/paid",
                               dict(shopify_order(items, "650.00"), customer={"phone": "+79161234567"}))
    assert answer.status_code == 200, answer.body
    receipt = body(answer)
    assert receipt["card"] == card["card_number"]
    assert (receipt["earned"], receipt["stamps"]) == (2, 2)  # two lattes; the cigarettes earn nothing


def test_a_shopify_line_without_a_sku_goes_by_its_variant_id_and_a_malformed_one_is_refused(client, merchant, cafe):
    from chalicelib.errors import InvalidInput
    from chalicelib.integrations import shopify, webhooks

    lines = shopify._lines({"line_items": [shopify_item(None, "Latte", 1, "250.00", variant_id=777)]}, "RUB")
    assert lines == [{"sku": "777", "name": "Latte", "qty": 1, "amount": 25000}]
    lines = shopify._lines({"line_items": [shopify_item("X" * 65, "L" * 300, 1, "1.00", variant_id=None)]}, "RUB")
    assert lines[0]["sku"] is None and len(lines[0]["name"]) == 200
    for bad in ({"quantity": -1}, {"quantity": "lots"}, {"price": "1e9"}, {"quantity": 10**7}):
        with pytest.raises(InvalidInput):
            shopify._lines({"line_items": [dict(shopify_item("LATTE", "Latte", 1, "1.00"), **bad)]}, "RUB")
    with pytest.raises(InvalidInput) as refused:
        shopify._lines({"line_items": [{}] * (webhooks.MAX_LINES + 1)}, "RUB")
    assert refused.value.code == "too_many"
    shop = connect(client, merchant, cafe["id"], "shopify", {"secret": SHOPIFY_SECRET})
    answer = test_shopify.send(client, shop, "orders/paid",
                               shopify_order([dict(shopify_item("LATTE", "Latte", 1, "1.00"), quantity=-3)], "1.00"))
    assert answer.status_code == 400 and body(answer)["error"]["field"] == "line_items[0].quantity"


def test_an_evotor_sale_stamps_its_coffees_and_not_its_tobacco(client, merchant, cafe):
    evotor = connect(client, merchant, cafe["id"], "evotor")
    card = enroll(client, slug="stamps")
    payload = test_evotor.receipt(total=710.0, card=card["card_number"])
    payload[0]["data"]["items"] = [
        {"id": "4a1b3c5e-0000-4000-8000-000000000001", "code": "LATTE", "name": "Латте", "itemType": "NORMAL",
         "measureName": "шт", "quantity": 2, "price": 250.0, "sumPrice": 500.0, "discount": 0},
        {"id": "4a1b3c5e-0000-4000-8000-000000000002", "code": "CIG-20", "name": "Сигареты", "itemType": "NORMAL",
         "measureName": "шт", "quantity": 1, "price": 210.0, "sumPrice": 210.0, "discount": 0}]
    answer = test_evotor.send(client, evotor, payload)
    assert answer.status_code == 200, answer.body
    assert (body(answer)["earned"], body(answer)["stamps"]) == (2, 2)


def test_evotor_items_map_code_name_quantity_and_the_sum_after_the_items_discount():
    from decimal import Decimal

    from chalicelib.integrations import evotor

    data = {"items": [{"id": "4a1b3c5e-0000-4000-8000-000000000001", "name": "Сыр", "quantity": Decimal("0.35"),
                       "price": Decimal("900.0"), "sumPrice": Decimal("315.0"), "discount": Decimal("15.5")},
                      {"id": "4a1b3c5e-0000-4000-8000-000000000002", "code": "7", "name": "Хлеб", "quantity": 1,
                       "price": 50}]}
    assert evotor._lines(data, "RUB") == [
        {"sku": "4a1b3c5e-0000-4000-8000-000000000001", "name": "Сыр", "qty": 0.35, "amount": 29950},
        {"sku": "7", "name": "Хлеб", "qty": 1, "amount": 5000}]


def test_a_sale_without_lines_earns_by_its_total_as_before(client, merchant, cafe):
    shop = connect(client, merchant, cafe["id"], "shopify", {"secret": SHOPIFY_SECRET})
    answer = test_shopify.send(client, shop, "orders/paid", test_shopify.order(total="650.00"))
    assert answer.status_code == 200, answer.body
    assert json.loads(answer.body)["receipt_id"].startswith("shopify:")
