"""The till simulator (chalicelib/moysklad_till.py) plays a cashier's whole sale and return through the
MoySklad routes, here over the test client: the return gives back exactly the sale's points."""
import json

import pytest

from chalicelib import moysklad_till
from tests.conftest import bearer, body, enroll
from tests.integrations.test_moysklad_contract import card_points, connect


def transport(client, base_url):
    prefix = "/moysklad/" + base_url.split("/moysklad/", 1)[1]

    def send(method, path, data, headers):
        raw = None if data is None else json.dumps(data, ensure_ascii=False)
        response = client.http.request(method, prefix + path, headers=headers, body=raw or b"")
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        return response.status_code, json.loads(text) if text.strip() else None
    return send


@pytest.fixture
def till(client, merchant, program):
    created = connect(client, merchant, program)
    lines = []
    return moysklad_till.Till(transport(client, created["base_url"]), created["token"], out=lines.append), lines


def test_a_cashiers_sale_and_return_through_the_simulator(client, merchant, till):
    simulator, lines = till
    card = enroll(client, phone="+79161234567")
    for receipt in range(6):  # the member buys enough to have points to spend
        simulator.sell(f"warm-{receipt}", str(receipt), {"meta": {"href": "", "id": "x"},
                                                         "discountCardNumber": card["card_number"]},
                       {"positions": [moysklad_till.position("1000.00", "1") | {"discountPercent": 0,
                                                                                  "discountedPrice": 1000.0}],
                        "bonusProgram": {"bonusValueToSpend": 0, "bonusValueToEarn": 50}})
    before = card_points(client, merchant, card["card_id"])
    assert before == 100 + 6 * 50
    story = moysklad_till.sale_and_return(
        simulator, phone="+7 916 123-45-67",
        positions=[moysklad_till.position("450.00", "2"), moysklad_till.position("129.90", "1"),
                   moysklad_till.position("389.00", "0.35")], spend=120)
    bonus = story.recalc["bonusProgram"]
    assert story.before == before and bonus["bonusValueToSpend"] == 120
    assert story.after_sale == before - 120 + bonus["bonusValueToEarn"] == bonus["agentBonusBalanceAfter"]
    assert story.after_return == before == card_points(client, merchant, card["card_id"])
    printed = "\n".join(lines)
    for step in ("GET /counterparty?search=", "POST /counterparty/detail", "POST /retaildemand/recalc",
                 "POST /retaildemand\n", "POST /retailsalesreturn"):
        assert step in printed + "\n"


def test_the_simulator_registers_a_newcomer_with_the_code_flow(client, merchant, program, till, monkeypatch):
    simulator, lines = till
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                      body=json.dumps({"limits": {"phone_confirmation": True}}))
    from chalicelib.channels import sms
    from chalicelib.usecases import moysklad as ms_cases
    ms_cases.forget_cached()
    monkeypatch.setattr(sms, "send", lambda phone, text: "id")
    story = moysklad_till.sale_and_return(simulator, phone="+79035550011", name="Ромашкова Варвара",
                                          positions=[moysklad_till.position("2000.00", "1")], give_back=False)
    assert "28001" in "\n".join(lines)
    assert story.before == 100 and story.after_sale == 100 + 100  # welcome bonus, then 5% of 2,000 roubles
    cards = body(client.http.get(f"/admin/programs/{program['id']}/cards", headers=bearer(merchant)))["items"]
    assert [c["name"] for c in cards] == ["Ромашкова Варвара"]


def test_the_command_line_needs_a_base_url_and_token_or_the_demo():
    from chalicelib import cli
    with pytest.raises(SystemExit, match="--base-url and --token"):
        cli.main(["moysklad-till", "--phone", "+79161234567"])
