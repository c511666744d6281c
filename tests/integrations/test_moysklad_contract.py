"""MoySklad LoyaltyAPI 1.0, request by request, with the documentation's own examples
(/work/shared/reference/moysklad-loyalty-api/, copied here as DOC_*): what the till sends in, the shape and
codes that come out, and what it did to the member's points."""
import copy
import json

import pytest

from chalicelib.commands import moysklad as ms
from chalicelib.usecases import moysklad as ms_cases
from tests.conftest import bearer, body, enroll

STORE = {"meta": {"href": "https://api.moysklad.ru/api/remap/1.2/entity/retailstore/2b5eb22f-139e-11e6-9464-e4de00000073",
                  "id": "2b5eb22f-139e-11e6-9464-e4de00000073"}, "name": "Магазин №1"}
DOC_AGENT = {"meta": {"href": "https://api.moysklad.ru/api/remap/1.2/entity/counterparty/276a6f50-7ffd-11e6-8a84-bae50000005",
                      "id": "276a6f50-7ffd-11e6-8a84-bae50000005"},
             "name": "Иванов Иван Иванович", "discountCardNumber": "MTIzNDU2Nzg5MA", "phone": "+7 555 123 4567",
             "email": "email@example.com", "legalFirstName": "Иванов", "legalMiddleName": "Иван",
             "legalLastName": "Иванович", "sex": "MALE", "birthDate": "2023-07-14 00:00:00"}
DOC_CREATE = {"retailStore": STORE, "meta": DOC_AGENT["meta"], "name": "Иванов Иван Иванович",
              "discountCardNumber": "MTIzNDU2Nzg5MA", "phone": "+7 555 123 4568", "email": "email@example.com",
              "syncId": "6ebefb74-f6e3-4ef1-b155-5232a2ae396a", "legalFirstName": "Иванов", "legalMiddleName": "Иван",
              "legalLastName": "Иванович", "birthDate": "2023-07-14 00:00:00", "sex": "MALE", "statusCheck": "CHECKED"}
DOC_POSITION = {"assortment": {"meta": {"href": "https://api.moysklad.ru/api/remap/1.2/entity/product/9c56720c-e8a7-4fdc-aea4-7104f28207be",
                                        "id": "9c56720c-e8a7-4fdc-aea4-7104f28207be"}},
                "quantity": 123.456, "price": 123.45,
                "sn": [{"meta": {"href": "https://online.moysklad.ru/api/posap/1.0/entity/sn/2b5eb22f-139e-11e6-9464-e4de00000073",
                                 "id": "2b5eb22f-139e-11e6-9464-e4de00000073"}, "name": "7895545"}],
                "pack": {"id": "98f87a95-c0b6-11ee-0a80-06e1000360e2", "name": "Бутылка 1,5 л", "quantity": 1.5,
                         "barcode": "2000000051420"}}
DOC_RECALC = {"retailStore": STORE, "agent": DOC_AGENT, "positions": [DOC_POSITION],
              "bonusProgram": {"transactionType": "EARNING"}}
DOC_SALE = {"retailStore": STORE, "name": "00001", "moment": "2016-04-18 15:06:00", "meta": {"href": "", "id": ""},
            "agent": DOC_AGENT,
            "positions": [{"assortment": {"syncId": "f085d67e-6eae-11e6-8a84-bc520403352a",
                                          "meta": DOC_POSITION["assortment"]["meta"]},
                           "quantity": 123.456, "price": 123.45, "discountPercent": 49.99, "discountedPrice": 62.95}],
            "bonusProgram": {"bonusValueToSpend": 0, "bonusValueToEarn": 150}, "cashSum": 62.95, "noCashSum": 283.1,
            "giftCards": [{"id": "f085d67e-6eae-21e6-8a84-bc520403352a", "name": "123456", "paymentSum": 1000},
                          {"id": "f275d67e-6eae-21e6-8a84-bc520403352a", "name": "1234567", "paymentSum": 500}]}
DOC_RETURN = {"retailStore": STORE, "name": "00001", "moment": "2016-04-27 15:43:00", "meta": {"href": "", "id": ""},
              "demand": {"meta": {"href": "", "id": ""}}, "agent": {},
              "positions": [{"assortment": {"syncId": "f085d67e-6eae-11e6-8a84-bc520403352a",
                                            "meta": DOC_POSITION["assortment"]["meta"]},
                             "quantity": 123.456, "price": 123.45, "discountPercent": 49.99, "discountedPrice": 62.95}],
              "cashSum": 62.95, "noCashSum": 283100.0}
PHONE = "+79160000001"


class Till:
    """The till's side of the protocol over the test client."""

    def __init__(self, client, base_url, token):
        self.client, self.base, self.token = client, base_url.split("/moysklad/", 1)[1], token

    def headers(self, token=None):
        return {"Content-Type": "application/json",
                "Lognex-Discount-API-Auth-Token": self.token if token is None else token}

    def get(self, path, token=None):
        return self.client.http.get(f"/moysklad/{self.base}{path}", headers=self.headers(token))

    def post(self, path, data, token=None):
        raw = data if isinstance(data, (bytes, str)) else json.dumps(data, ensure_ascii=False)
        return self.client.http.post(f"/moysklad/{self.base}{path}", headers=self.headers(token), body=raw)


def connect(client, merchant, program, **options):
    ms_cases.forget_cached()
    response = client.http.post(f"/admin/programs/{program['id']}/integrations/moysklad", headers=bearer(merchant),
                                body=json.dumps(options))
    assert response.status_code == 201, response.body
    return body(response)


@pytest.fixture
def till(client, merchant, program):
    created = connect(client, merchant, program)
    return Till(client, created["base_url"], created["token"])


def member(client, phone=PHONE):
    return enroll(client, phone=phone)


def agent_of(card):
    return {**DOC_AGENT, "discountCardNumber": card["card_number"], "phone": PHONE}


def errors_of(response):
    data = body(response)
    assert set(data) == {"errors"} and data["errors"], data
    for error in data["errors"]:
        assert isinstance(error["error"], str) and isinstance(error["code"], int)
        assert isinstance(error["error_message"], str)
    return data["errors"]


def card_points(client, merchant, card_id):
    """balance = lots = ledger, as the admin API shows the card."""
    card = body(client.http.get(f"/admin/cards/{card_id}", headers=bearer(merchant)))
    entries = body(client.http.get(f"/admin/cards/{card_id}/ledger?limit=200", headers=bearer(merchant)))["items"]
    assert card["balance"] == sum(e["amount"] for e in entries) == sum(lot["remaining"] for lot in card["lots"])
    return card["balance"]


# --- connections --------------------------------------------------------------------------------------

def test_a_connection_is_a_token_shown_once_and_a_base_url_with_no_secret(client, merchant, program):
    created = connect(client, merchant, program, label="Магазин на Тверской")
    assert created["token"].startswith("mst_") and created["base_url"].endswith(f"/moysklad/{created['connection_id']}")
    assert created["token"] not in created["base_url"]
    listed = body(client.http.get(f"/admin/programs/{program['id']}/integrations/moysklad", headers=bearer(merchant)))
    assert [item["connection_id"] for item in listed["items"]] == [created["connection_id"]]
    assert "token" not in json.dumps(listed) or created["token"] not in json.dumps(listed)
    assert listed["items"][0]["label"] == "Магазин на Тверской" and listed["items"][0]["status"] == "active"


def test_only_the_owner_connects_and_another_merchant_sees_nothing(client, merchant, other_merchant, program):
    path = f"/admin/programs/{program['id']}/integrations/moysklad"
    assert client.http.post(path, headers=bearer(merchant, "manager"), body="{}").status_code == 403
    assert client.http.post(path, headers=bearer(other_merchant), body="{}").status_code == 404
    assert client.http.get(path, headers=bearer(other_merchant)).status_code == 404
    assert client.http.post(path, headers=bearer(merchant), body='{"colour": 1}').status_code == 400


def test_a_revoked_connection_is_refused(client, merchant, program, till):
    member(client)
    assert till.get(f"/counterparty?search={PHONE}&retailStoreId=x").status_code == 200
    connection_id = till.base
    revoked = client.http.delete(f"/admin/programs/{program['id']}/integrations/moysklad/{connection_id}",
                                 headers=bearer(merchant))
    assert revoked.status_code == 200 and body(revoked)["status"] == "revoked"
    response = till.get(f"/counterparty?search={PHONE}&retailStoreId=x")
    assert response.status_code == 401 and errors_of(response)[0]["code"] == 401
    again = client.http.delete(f"/admin/programs/{program['id']}/integrations/moysklad/ms_nope",
                               headers=bearer(merchant))
    assert again.status_code == 404


# --- authentication --------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", ["", "mst_wrong", "x" * 300])
def test_a_missing_or_wrong_token_is_401_in_moysklads_shape(client, till, token):
    member(client)
    response = till.get(f"/counterparty?search={PHONE}&retailStoreId=x", token=token)
    assert response.status_code == 401
    assert errors_of(response)[0]["code"] == 401


def test_a_token_works_only_with_its_own_connection_id(client, merchant, program, till):
    other = connect(client, merchant, program)
    response = client.http.get(f"/moysklad/{other['connection_id']}/counterparty?search={PHONE}&retailStoreId=x",
                               headers=till.headers())
    assert response.status_code == 401
    unknown = client.http.get(f"/moysklad/ms_unknown/counterparty?search={PHONE}&retailStoreId=x",
                              headers=till.headers())
    assert unknown.status_code == 401


def test_another_programs_token_cannot_see_this_programs_customers(client, merchant, program, till):
    member(client)
    second = body(client.http.post("/admin/programs", headers=bearer(merchant),
                                   body=json.dumps({"name": "Tea", "slug": "tea"})))
    other = connect(client, merchant, second)
    other_till = Till(client, other["base_url"], other["token"])
    assert body(till.get(f"/counterparty?search={PHONE}&retailStoreId=x"))["rows"]
    assert body(other_till.get(f"/counterparty?search={PHONE}&retailStoreId=x")) == {"rows": []}
    card_number = body(till.get(f"/counterparty?search={PHONE}&retailStoreId=x"))["rows"][0]["discountCardNumber"]
    assert body(other_till.get(f"/counterparty?search={card_number}&retailStoreId=x")) == {"rows": []}
    agent = {**DOC_AGENT, "discountCardNumber": card_number, "phone": PHONE}
    refused = other_till.post("/counterparty/detail", {"retailStore": STORE, **agent})
    assert refused.status_code == 404
    sale = {**copy.deepcopy(DOC_SALE), "agent": agent, "meta": {"href": "", "id": "a1"},
            "bonusProgram": {"bonusValueToSpend": 10}}
    assert other_till.post("/retaildemand", sale).status_code == 422  # no customer there: no points to spend


# --- customers ----------------------------------------------------------------------------------------------

def test_search_by_phone_or_card_number_answers_the_documented_row(client, till):
    card = member(client)
    for text in (PHONE, "8 916 000-00-01", card["card_number"]):
        response = till.get(f"/counterparty?search={text.replace(' ', '%20').replace('+', '%2B')}"
                             "&retailStoreId=2b5eb22f-139e-11e6-9464-e4de00000073")
        assert response.status_code == 200, response.body
        rows = body(response)["rows"]
        assert len(rows) == 1
        row = rows[0]
        assert row["id"] == ms.customer_guid(card["card_number"])
        assert len(row["id"]) == 36 and row["id"].count("-") == 4  # a GUID, as the documentation requires
        assert row["name"] == "Anna" and row["discountCardNumber"] == card["card_number"] and row["phone"] == PHONE
    assert body(till.get("/counterparty?search=%2B79169999999&retailStoreId=x")) == {"rows": []}
    assert body(till.get("/counterparty?search=Anna&retailStoreId=x")) == {"rows": []}


def test_search_without_retail_store_id_is_412_naming_it(client, till):
    response = till.get(f"/counterparty?search={PHONE}")
    assert response.status_code == 412
    assert errors_of(response)[0] | {} == errors_of(response)[0]
    assert errors_of(response)[0]["parameter"] == "retailStoreId" and errors_of(response)[0]["code"] == 999


def test_the_documented_creation_enrols_a_member_once(client, merchant, till):
    response = till.post("/counterparty", DOC_CREATE)
    assert response.status_code == 201 and response.body in (b"", "")
    rows = body(till.get("/counterparty?search=%2B75551234568&retailStoreId=x"))["rows"]
    assert rows and rows[0]["name"] == "Иванов Иван Иванович" and rows[0]["email"] == "email@example.com"
    assert rows[0]["birthDate"] == "2023-07-14 00:00:00"
    assert till.post("/counterparty", DOC_CREATE).status_code == 201  # the same customer again: still one card
    program_id = body(client.http.get("/admin/programs", headers=bearer(merchant)))["items"][0]["id"]
    cards = body(client.http.get(f"/admin/programs/{program_id}/cards", headers=bearer(merchant)))["items"]
    assert len(cards) == 1


def test_creation_without_a_phone_is_the_documented_412(client, till):
    response = till.post("/counterparty", {k: v for k, v in DOC_CREATE.items() if k != "phone"})
    assert response.status_code == 412
    error = errors_of(response)[0]
    assert error["parameter"] == "phone" and error["code"] == 999


def test_a_program_that_confirms_phones_answers_28001_then_texts_a_code(client, merchant, program, till, monkeypatch):
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                      body=json.dumps({"limits": {"phone_confirmation": True}}))
    ms_cases.forget_cached()
    sent = []
    from chalicelib.channels import sms
    monkeypatch.setattr(sms, "send", lambda phone, text: sent.append((phone, text)) or "id")
    unchecked = {**DOC_CREATE, "statusCheck": "UNCHECKED", "phone": "+79011231122"}
    response = till.post("/counterparty", unchecked)
    assert response.status_code == 412
    assert errors_of(response) == [{"error": "Необходимо подтверждение создания покупателя.", "code": 28001,
                                    "error_message": "Покупатель должен подтвердить свои данные через код."}]
    assert body(till.get("/counterparty?search=%2B79011231122&retailStoreId=x")) == {"rows": []}
    verify = {k: v for k, v in unchecked.items() if k not in ("statusCheck", "syncId")}
    verify["meta"] = {"href": "https://api.moysklad.ru/api/posap/1.0/entity/counterparty/syncid/276a6f50-7ffd-11e6-8a84-bae50000005"}
    answer = till.post("/counterparty/verify", verify)
    assert answer.status_code == 200, answer.body
    code = body(answer)
    assert set(code) == {"verificationCode", "timeForRepeat", "messageForCashier"}
    assert sent == [("+79011231122", sent[0][1])] and code["verificationCode"] in sent[0][1]
    assert len(code["messageForCashier"]) <= 140 and code["timeForRepeat"] == 60
    assert till.post("/counterparty", {**unchecked, "statusCheck": "CHECKED"}).status_code == 201
    assert body(till.get("/counterparty?search=%2B79011231122&retailStoreId=x"))["rows"]


def test_detail_is_the_balance(client, till):
    card = member(client)
    response = till.post("/counterparty/detail", {"retailStore": STORE, **agent_of(card)})
    assert response.status_code == 200
    assert body(response) == {"bonusProgram": {"agentBonusBalance": 100}}  # the welcome bonus
    by_our_id = {"retailStore": STORE, "meta": {"href": "", "id": ms.customer_guid(card["card_number"])}}
    assert body(till.post("/counterparty/detail", by_our_id)) == {"bonusProgram": {"agentBonusBalance": 100}}
    stranger = till.post("/counterparty/detail", {"retailStore": STORE, **DOC_AGENT,
                                                  "meta": {"href": "", "id": "11111111-2222-3333-4444-555555555555"}})
    assert stranger.status_code == 404 and errors_of(stranger)[0]["code"] == 404


# --- receipts ----------------------------------------------------------------------------------------------

def test_the_documented_recalc_answers_every_documented_field(client, till):
    card = member(client)
    request = {**copy.deepcopy(DOC_RECALC), "agent": agent_of(card)}
    response = till.post("/retaildemand/recalc", request)
    assert response.status_code == 200, response.body
    answer = body(response)
    assert set(answer) == {"agent", "positions", "bonusProgram", "needVerification"}
    assert answer["agent"] == request["agent"]
    (position,) = answer["positions"]
    assert position["discountPercent"] == 0 and position["discountedPrice"] == 123.45
    assert position["sn"] == DOC_POSITION["sn"] and position["pack"] == DOC_POSITION["pack"]
    total = round(12345 * 123.456)  # kopecks: 15240.64 roubles
    bonus = answer["bonusProgram"]
    assert bonus == {"transactionType": "EARNING", "agentBonusBalance": 100, "bonusValueToSpend": 0,
                     "bonusValueToEarn": total * 5 // 100 // 100,
                     "agentBonusBalanceAfter": 100 + total * 5 // 100 // 100,
                     "paidByBonusPoints": 0.0, "receiptExtraInfo": bonus["receiptExtraInfo"]}
    assert answer["needVerification"] is False


def test_recalc_spending_spreads_the_points_over_the_positions_to_the_kopeck(client, merchant, till):
    card = member(client)
    for receipt in range(3):  # 3 x 1000 roubles: 3 x 50 points earned, 250 with the welcome bonus
        sale = {**copy.deepcopy(DOC_SALE), "meta": {"href": "", "id": f"warmup-{receipt}"}, "agent": agent_of(card),
                "positions": [{"assortment": DOC_SALE["positions"][0]["assortment"], "quantity": 1, "price": 1000,
                               "discountedPrice": 1000}], "bonusProgram": {}}
        assert till.post("/retaildemand", sale).status_code == 201
    positions = [{"assortment": {"meta": {"href": "", "id": "p1"}}, "quantity": 3, "price": 99.99,
                  "sn": [{"meta": {"href": "", "id": f"s{i}"}, "name": str(i)} for i in range(3)]},
                 {"assortment": {"meta": {"href": "", "id": "p2"}}, "quantity": 0.35, "price": 500}]
    request = {"retailStore": STORE, "agent": agent_of(card), "positions": positions,
               "bonusProgram": {"transactionType": "SPENDING"}, "preferredBonusToSpend": 77}
    answer = body(till.post("/retaildemand/recalc", request))
    bonus = answer["bonusProgram"]
    assert bonus["agentBonusBalance"] == 250 and bonus["bonusValueToSpend"] == 77
    assert bonus["paidByBonusPoints"] == 77.0
    assert bonus["agentBonusBalanceAfter"] == 250 - 77 + bonus["bonusValueToEarn"]
    whole = [p for p in answer["positions"] if p["assortment"]["meta"]["id"] == "p1"]
    assert sum(p["quantity"] for p in whole) == 3
    assert sum(len(p["sn"]) for p in whole) == 3 and all(len(p["sn"]) == p["quantity"] for p in whole)
    discount = sum(round((p["price"] - p["discountedPrice"]) * 100) * p["quantity"] for p in whole)
    weighed = next(p for p in answer["positions"] if p["assortment"]["meta"]["id"] == "p2")
    discount += round((weighed["price"] - weighed["discountedPrice"]) * 100) * 0.35
    assert abs(discount - 7700) < 1  # 77 points of 1 rouble, to within a kopeck (the weighed position)
    for p in answer["positions"]:
        assert 0 <= p["discountPercent"] <= 100
    too_many = body(till.post("/retaildemand/recalc", {**request, "preferredBonusToSpend": 100000}))
    assert too_many["bonusProgram"]["bonusValueToSpend"] == 47497 * 30 // 100 // 100  # the 30% cap: 142 of 250
    assert card_points(client, merchant, card["card_id"]) == 250  # a calculation writes nothing


def test_recalc_asks_for_verification_when_the_connection_wants_it(client, merchant, program, monkeypatch):
    created = connect(client, merchant, program, verify_spending=True)
    till = Till(client, created["base_url"], created["token"])
    card = member(client)
    request = {**copy.deepcopy(DOC_RECALC), "agent": agent_of(card), "bonusProgram": {"transactionType": "SPENDING"}}
    assert body(till.post("/retaildemand/recalc", request))["needVerification"] is True
    earning = {**copy.deepcopy(DOC_RECALC), "agent": agent_of(card)}
    assert body(till.post("/retaildemand/recalc", earning))["needVerification"] is False
    sent = []
    from chalicelib.channels import sms
    monkeypatch.setattr(sms, "send", lambda phone, text: sent.append((phone, text)) or "id")
    code = till.post("/retaildemand/verify", {"retailStore": STORE, "phone": "+79011231122",
                                              "counterpartyId": ms.customer_guid(card["card_number"])})
    assert code.status_code == 200
    assert sent[0][0] == PHONE  # the card's own phone, not the one the till sent
    assert body(code)["verificationCode"] in sent[0][1]
    unknown = till.post("/retaildemand/verify", {"retailStore": STORE, "phone": "+79011231122",
                                                 "counterpartyId": "75d9ba29-2c4a-4c1c-a3a8-8db00366ac04"})
    assert unknown.status_code == 404


def test_the_documented_sale_earns_once_and_a_repeat_changes_nothing(client, merchant, till):
    card = member(client)
    sale = {**copy.deepcopy(DOC_SALE), "agent": agent_of(card)}
    response = till.post("/retaildemand", sale)
    assert response.status_code == 201, response.body
    paid = round(6295 * 123.456)  # kopecks charged for the position
    balance = card_points(client, merchant, card["card_id"])
    assert balance == 100 + paid * 5 // 100 // 100
    assert till.post("/retaildemand", sale).status_code == 201  # the till resends after a timeout
    assert card_points(client, merchant, card["card_id"]) == balance
    changed = copy.deepcopy(sale)
    changed["positions"][0]["quantity"] = 1
    conflict = till.post("/retaildemand", changed)
    assert conflict.status_code == 409 and errors_of(conflict)[0]["code"] == 409
    assert card_points(client, merchant, card["card_id"]) == balance


def test_a_sale_without_our_customer_is_kept_anonymously(client, merchant, program, till):
    sale = {**copy.deepcopy(DOC_SALE), "meta": {"href": "", "id": "anon-1"}}
    assert till.post("/retaildemand", sale).status_code == 201
    receipts = client.http.get(f"/admin/programs/{program['id']}/exports/receipts", headers=bearer(merchant))
    assert "moysklad:anon-1" in receipts.body.decode() if isinstance(receipts.body, bytes) else receipts.body


def test_spending_more_than_the_balance_is_refused_and_writes_nothing(client, merchant, till):
    card = member(client)
    sale = {**copy.deepcopy(DOC_SALE), "agent": agent_of(card), "meta": {"href": "", "id": "greedy"},
            "bonusProgram": {"bonusValueToSpend": 5000}}
    response = till.post("/retaildemand", sale)
    assert response.status_code == 422 and errors_of(response)[0]["code"] == 422
    assert card_points(client, merchant, card["card_id"]) == 100


def test_the_documented_return_reverses_exactly_the_sales_points_once(client, merchant, till):
    card = member(client)
    sale = {**copy.deepcopy(DOC_SALE), "agent": agent_of(card), "meta": {"href": "", "id": "sale-1"}}
    assert till.post("/retaildemand", sale).status_code == 201
    assert card_points(client, merchant, card["card_id"]) > 100
    back = {**copy.deepcopy(DOC_RETURN), "meta": {"href": "", "id": "return-1"},
            "demand": {"meta": {"href": "", "id": "sale-1"}}}
    assert till.post("/retailsalesreturn", back).status_code == 201
    assert card_points(client, merchant, card["card_id"]) == 100
    assert till.post("/retailsalesreturn", back).status_code == 201  # the same return again
    assert card_points(client, merchant, card["card_id"]) == 100


def test_partial_returns_add_up_to_the_whole_sale(client, merchant, till):
    card = member(client)
    for receipt in range(4):  # enough points to spend some
        warm = {**copy.deepcopy(DOC_SALE), "meta": {"href": "", "id": f"w{receipt}"}, "agent": agent_of(card),
                "positions": [{"assortment": {"meta": {"href": "", "id": "x"}}, "quantity": 1, "price": 1000,
                               "discountedPrice": 1000}], "bonusProgram": {}}
        till.post("/retaildemand", warm)
    before = card_points(client, merchant, card["card_id"])
    positions = [{"assortment": {"meta": {"href": "", "id": "a"}}, "quantity": 3, "price": 333.33},
                 {"assortment": {"meta": {"href": "", "id": "b"}}, "quantity": 1, "price": 120}]
    calc = body(till.post("/retaildemand/recalc", {"retailStore": STORE, "agent": agent_of(card),
                                                   "positions": positions,
                                                   "bonusProgram": {"transactionType": "SPENDING"},
                                                   "preferredBonusToSpend": 101}))
    sold = [{k: p[k] for k in ("assortment", "quantity", "price", "discountPercent", "discountedPrice")}
            for p in calc["positions"]]
    sale = {"retailStore": STORE, "name": "7", "meta": {"href": "", "id": "split-sale"}, "agent": agent_of(card),
            "positions": sold, "bonusProgram": {"bonusValueToSpend": 101,
                                                "bonusValueToEarn": calc["bonusProgram"]["bonusValueToEarn"]}}
    assert till.post("/retaildemand", sale).status_code == 201
    assert card_points(client, merchant, card["card_id"]) == before - 101 + calc["bonusProgram"]["bonusValueToEarn"]
    for index, position in enumerate(sold):
        back = {"retailStore": STORE, "meta": {"href": "", "id": f"back-{index}"},
                "demand": {"meta": {"href": "", "id": "split-sale"}}, "positions": [position]}
        assert till.post("/retailsalesreturn", back).status_code == 201
    assert card_points(client, merchant, card["card_id"]) == before


def test_a_return_we_cannot_link_is_accepted_and_changes_nothing(client, merchant, till):
    card = member(client)
    assert till.post("/retailsalesreturn", DOC_RETURN).status_code == 201
    unknown = {**copy.deepcopy(DOC_RETURN), "meta": {"href": "", "id": "r9"},
               "demand": {"meta": {"href": "", "id": "never"}}}
    assert till.post("/retailsalesreturn", unknown).status_code == 201
    assert card_points(client, merchant, card["card_id"]) == 100


def test_gift_cards_are_answered_invalid_as_documented(client, till):
    response = till.get("/giftcard?name=123456&retailStoreId=2b5eb22f-139e-11e6-9464-e4de00000073")
    assert response.status_code == 200
    answer = body(response)
    assert answer["name"] == "123456" and answer["status"] == "INVALID"
    assert len(answer["id"]) == 36 and answer == body(till.get("/giftcard?name=123456&retailStoreId=x"))
    missing = till.get("/giftcard?retailStoreId=x")
    assert missing.status_code == 412 and errors_of(missing)[0]["parameter"] == "name"


@pytest.mark.parametrize(("path", "data", "field"), [
    ("/retaildemand/recalc", {"retailStore": STORE}, "agent"),
    ("/retaildemand/recalc", {"agent": DOC_AGENT, "positions": [{"quantity": "1", "price": 1}]},
     "positions[0].quantity"),
    ("/retaildemand/recalc", {"agent": DOC_AGENT, "positions": [{"quantity": 1, "price": -1}]}, "positions[0].price"),
    ("/retaildemand", {"meta": {"id": "bad id!"}}, "meta.id"),
    ("/retaildemand", {"meta": {"id": "s"}, "moment": "18.04.2016"}, "moment"),
    ("/retaildemand", {"meta": {"id": "s"}, "bonusProgram": {"bonusValueToSpend": 1.5}},
     "bonusProgram.bonusValueToSpend"),
    ("/retaildemand", {}, "meta.id"),
])
def test_bad_input_is_412_naming_moysklads_field(client, till, path, data, field):
    response = till.post(path, data)
    assert response.status_code == 412, response.body
    (error,) = errors_of(response)
    assert error["parameter"] == field and error["code"] == 999


def test_malformed_json_is_412_and_not_a_500(client, till):
    for raw in ("{", "[]", '{"a": NaN}', ""):
        response = till.post("/retaildemand", raw)
        assert response.status_code == 412, (raw, response.body)
        errors_of(response)


def test_a_return_of_an_anonymous_sale_moves_no_points(client, merchant, till):
    card = member(client)
    sale = {**copy.deepcopy(DOC_SALE), "meta": {"href": "", "id": "anon-sale"}}
    assert till.post("/retaildemand", sale).status_code == 201
    back = {**copy.deepcopy(DOC_RETURN), "meta": {"href": "", "id": "anon-return"},
            "demand": {"meta": {"href": "", "id": "anon-sale"}}}
    assert till.post("/retailsalesreturn", back).status_code == 201
    assert till.post("/retailsalesreturn", back).status_code == 201
    assert card_points(client, merchant, card["card_id"]) == 100


def test_moysklads_own_customer_id_alone_finds_the_card_once_seen_with_its_number(client, merchant, program, till):
    card = member(client)
    only_id = {"retailStore": STORE, "meta": DOC_AGENT["meta"]}  # the other fields "may not be sent"
    assert till.post("/counterparty/detail", only_id).status_code == 404
    assert till.post("/counterparty/detail", {"retailStore": STORE, **agent_of(card)}).status_code == 200
    assert body(till.post("/counterparty/detail", only_id)) == {"bonusProgram": {"agentBonusBalance": 100}}
    sale = {**copy.deepcopy(DOC_SALE), "meta": {"href": "", "id": "by-ms-id"}, "agent": {"meta": DOC_AGENT["meta"]}}
    assert till.post("/retaildemand", sale).status_code == 201
    assert card_points(client, merchant, card["card_id"]) > 100  # the sale was the member's
    second = body(client.http.post("/admin/programs", headers=bearer(merchant),
                                   body=json.dumps({"name": "Tea", "slug": "tea"})))
    other = connect(client, merchant, second)
    other_till = Till(client, other["base_url"], other["token"])
    assert other_till.post("/counterparty/detail", only_id).status_code == 404  # another program: unknown


def test_recalc_lets_points_pay_only_for_positions_a_product_rule_leaves_payable(client, merchant, program):
    """Cigarettes (excluded by their SKU) and a latte: the 30% cap is of the latte's 200 roubles, the points'
    discount is all on the latte, and the sale the till then sends with those points is accepted."""
    patched = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant), body=json.dumps(
        {"mechanics": {"products": [{"id": "tobacco", "skus": ["cig"], "exclude": True}]}}))
    assert patched.status_code == 200, patched.body
    created = connect(client, merchant, program)
    till = Till(client, created["base_url"], created["token"])
    card = member(client)
    positions = [{"assortment": {"meta": {"href": "", "id": "cig"}}, "quantity": 1, "price": 800},
                 {"assortment": {"meta": {"href": "", "id": "latte"}}, "quantity": 1, "price": 200}]
    request = {"retailStore": STORE, "agent": agent_of(card), "positions": positions,
               "bonusProgram": {"transactionType": "SPENDING"}, "preferredBonusToSpend": 100000}
    answer = body(till.post("/retaildemand/recalc", request))
    assert answer["bonusProgram"]["bonusValueToSpend"] == 20000 * 30 // 100 // 100  # 60 of the 100 held
    by_id = {p["assortment"]["meta"]["id"]: p for p in answer["positions"]}
    assert by_id["cig"]["discountedPrice"] == 800 and by_id["latte"]["discountedPrice"] == 140
    sale = {**copy.deepcopy(DOC_SALE), "meta": {"href": "", "id": "cig-and-latte"}, "agent": agent_of(card),
            "positions": [{**p, "discountedPrice": by_id[p["assortment"]["meta"]["id"]]["discountedPrice"]}
                          for p in positions], "bonusProgram": {"bonusValueToSpend": 60}}
    recorded = till.post("/retaildemand", sale)
    assert recorded.status_code == 201, recorded.body
