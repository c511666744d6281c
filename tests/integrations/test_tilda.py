"""Tilda's webhook: the test=test handshake, a form that enrols, the card link sent by SMS, a wrong secret."""
import json
from urllib.parse import urlencode

import pytest

from tests.conftest import bearer, body
from tests.integrations.conftest import connect

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def hook(client, merchant, program):
    return connect(client, merchant, program["id"], "tilda", {"fields": {"phone": "Телефон"}})


def post(client, hook, fields, secret=None, content_type=FORM):
    url = hook["webhook_url"].removeprefix("https://loyalty.test")
    if secret:
        url = url.rsplit("/", 1)[0] + "/" + secret
    data = urlencode(fields) if content_type == FORM else json.dumps(fields)
    return client.http.post(url, headers={"Content-Type": content_type}, body=data)


def test_the_handshake_is_answered_ok(client, hook):
    answer = post(client, hook, {"test": "test"})
    assert answer.status_code == 200 and answer.body == b"ok"


def test_a_form_enrols_and_the_member_gets_the_card_link_by_sms(client, merchant, program, hook, texts):
    answer = post(client, hook, {"Name": "Мария", "Телефон": "8 (916) 555-44-33", "Email": "m@example.com",
                                 "tranid": "1234567:8901", "formid": "form123"})
    assert answer.status_code == 200 and answer.body == b"ok"
    cards = body(client.http.get(f"/admin/programs/{program['id']}/cards", headers=bearer(merchant)))["items"]
    assert [card["name"] for card in cards] == ["Мария"]
    assert len(texts) == 1 and texts[0][0] == "+79165554433"
    assert f"/c/{cards[0]['id']}?k=" in texts[0][1]


def test_the_same_phone_again_enrols_nobody_and_still_answers_ok(client, hook, texts):
    post(client, hook, {"Name": "Мария", "Телефон": "+79165554433"})
    again = post(client, hook, {"Name": "Someone", "Телефон": "+79165554433"})
    assert again.status_code == 200 and len(texts) == 1


def test_a_json_form_gets_the_contracts_answers_and_never_the_link(client, hook, texts):
    created = post(client, hook, {"name": "Ivan", "Телефон": "+79165550000"}, content_type="application/json")
    assert created.status_code == 201 and body(created) == {"status": "enrolled"}
    again = post(client, hook, {"name": "Ivan", "Телефон": "+79165550000"}, content_type="application/json")
    assert again.status_code == 409 and body(again)["error"]["code"] == "already_enrolled"


def test_a_wrong_secret_is_refused(client, hook):
    answer = post(client, hook, {"test": "test"}, secret="guessed")
    assert answer.status_code == 401


def test_connecting_again_replaces_the_secret(client, merchant, program, hook):
    connect(client, merchant, program["id"], "tilda")
    assert post(client, hook, {"test": "test"}).status_code == 401


def test_the_cli_senders_form_enrols(client, hook, texts):
    from chalicelib.integrations import samples

    headers, raw = samples.tilda("test", name="", phone="", email=None)
    path = hook["webhook_url"].removeprefix("https://loyalty.test")
    assert client.http.post(path, headers=headers, body=raw).body == b"ok"
    connect_free = samples.tilda("form", name="Visitor", phone="+79160000099", email=None)
    assert client.http.post(path, headers=connect_free[0], body=connect_free[1]).status_code == 200
    assert [phone for phone, _ in texts] == ["+79160000099"]
