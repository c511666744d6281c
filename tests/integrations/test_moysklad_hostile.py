"""Bad input with a valid token, which the Schemathesis fuzzer cannot send (it holds no MoySklad token):
every member of every documented example swapped for hostile or wrong-typed JSON, on every till route.
Never a 5xx, always MoySklad's error shape, and a refused request moves no points."""
import copy
import json

import pytest

from tests.integrations.test_moysklad_contract import (  # noqa: F401 (till: a fixture)
    DOC_CREATE,
    DOC_RECALC,
    DOC_RETURN,
    DOC_SALE,
    STORE,
    agent_of,
    card_points,
    errors_of,
    member,
    till,
)

HOSTILE = ('"\\ud800"', "NaN", "1e999", "9" * 400, "[" * 30 + "]" * 30, '{"a": 1, "a": 2}', "true", "-1",
           '"x"', "[]", "{}", "null", '"' + "x" * 5000 + '"', '"\\u0000"')


def _swapped(example: dict):
    """(description, raw body): each top-level member, and each member of the first position, made hostile."""
    for name in example:
        for value in HOSTILE:
            doc = {**example, name: "\u0000slot\u0000"}
            yield f"{name}={value[:20]}", json.dumps(doc, ensure_ascii=False).replace('"\\u0000slot\\u0000"', value)
    if example.get("positions"):
        for name in example["positions"][0]:
            for value in HOSTILE:
                doc = copy.deepcopy(example)
                doc["positions"][0][name] = "\u0000slot\u0000"
                yield (f"positions[0].{name}={value[:20]}",
                       json.dumps(doc, ensure_ascii=False).replace('"\\u0000slot\\u0000"', value))


@pytest.mark.parametrize("path", ["/counterparty", "/counterparty/detail", "/counterparty/verify",
                                  "/retaildemand/recalc", "/retaildemand/verify", "/retaildemand",
                                  "/retailsalesreturn"])
def test_hostile_members_never_make_a_5xx(client, merchant, till, path, monkeypatch):
    from chalicelib.channels import sms
    monkeypatch.setattr(sms, "send", lambda phone, text: "id")  # codes "sent": refusals are then the input's
    card = member(client)
    agent = agent_of(card)
    examples = {"/counterparty": DOC_CREATE, "/counterparty/detail": {"retailStore": STORE, **agent},
                "/counterparty/verify": {k: v for k, v in DOC_CREATE.items() if k != "statusCheck"},
                "/retaildemand/recalc": {**DOC_RECALC, "agent": agent},
                "/retaildemand/verify": {"retailStore": STORE, "counterpartyId": "x", "phone": "+79011231122"},
                "/retaildemand": {**DOC_SALE, "agent": agent, "bonusProgram": {"bonusValueToSpend": 10}},
                "/retailsalesreturn": DOC_RETURN}
    seen = set()
    for what, raw in _swapped(examples[path]):
        response = till.post(path, raw)
        assert response.status_code < 500, (what, response.body)
        seen.add(response.status_code)
        if response.status_code >= 400:
            errors_of(response)
    assert seen & {412}
    assert card_points(client, merchant, card["card_id"]) <= 100 + 100_000  # balance = lots = ledger still


def test_hostile_query_strings_never_make_a_5xx(client, till):
    for query in ("search=%ED%A0%80&retailStoreId=x", "search=" + "9" * 5000 + "&retailStoreId=x",
                  "search=%00&retailStoreId=x", "retailStoreId=", "search=a&search=b&retailStoreId=x"):
        for path in ("/counterparty", "/giftcard"):
            response = till.get(f"{path}?{query.replace('search', 'name') if path == '/giftcard' else query}")
            assert response.status_code < 500, (path, query, response.body)
