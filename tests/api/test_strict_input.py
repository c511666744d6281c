"""Hostile JSON on every kind of route is a 400 in the contract's shape naming the field, never a 500,
and writes nothing; Telegram still gets 200 for updates we ignore."""
import json

import pytest

from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput
from chalicelib.store.models import Card
from tests.conftest import bearer, body, enroll

JSON = {"Content-Type": "application/json"}
HOSTILE = [  # (raw body, error code, field)
    (b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}", "too_deep", "name"),
    (b"[" * 100 + b"]" * 100, "too_deep", None),
    (b'{"name": "A", "phone": ' + b"9" * 5000 + b"}", "number_too_large", "phone"),
    (b'{"name": "\\ud800", "phone": "+79160000001", "consent": true}', "invalid_string", "name"),
    ('{"name": "\ud800"}'.encode("utf-8", "surrogatepass"), "invalid_json", None),
    (b'{"name": "A", "phone": NaN}', "invalid_number", "phone"),
    (b'{"name": "A", "phone": -Infinity}', "invalid_number", "phone"),
    (b'{"name": "A", "phone": 1e999}', "number_too_large", "phone"),
    (b'{"name": "A", "name": "B", "phone": "+79160000001", "consent": true}', "duplicate_key", "name"),
]


@pytest.mark.parametrize("raw, code, field", HOSTILE)
def test_parse_json_refuses_with_the_field(raw, code, field):
    with pytest.raises(InvalidInput) as refused:
        v.parse_json(raw)
    assert refused.value.code == code and refused.value.field == field


def test_parse_json_keeps_what_json_allows():
    assert v.parse_json(b'{"a": [1, -2.5, "\\ud83d\\ude00", null, true], "n": 9007199254740991}') == \
        {"a": [1, -2.5, "\U0001F600", None, True], "n": 9007199254740991}
    with pytest.raises(InvalidInput):
        v.parse_json(b'{"n": 9007199254740992}')
    assert v.parse_json(b"[" * v.MAX_DEPTH + b"]" * v.MAX_DEPTH) == eval("[" * v.MAX_DEPTH + "]" * v.MAX_DEPTH)


@pytest.mark.parametrize("raw, code, field", HOSTILE)
def test_join_refuses_hostile_json_and_enrols_nobody(client, program, raw, code, field):
    response = client.http.post("/join/coffee", headers=JSON, body=raw)
    assert response.status_code == 400, response.body
    error = body(response)["error"]
    assert error["code"] == code and error.get("field") == field
    assert Card.count() == 0


@pytest.mark.parametrize("raw, code, field", HOSTILE[:4] + HOSTILE[5:])
def test_pos_and_admin_refuse_hostile_json(client, merchant, program, pos, raw, code, field):
    assert pos.post("/pos/receipts", raw).status_code == 400
    patched = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant), body=raw)
    assert patched.status_code == 400 and body(patched)["error"]["code"] == code


def test_percentages_refuse_nan_and_infinity(client, merchant, program):
    for raw in (b'{"mechanics": {"redeem_cap_percent": NaN}}', b'{"mechanics": {"redeem_cap_percent": Infinity}}'):
        response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant), body=raw)
        assert response.status_code == 400
        assert body(response)["error"] == {"code": "invalid_number", "field": "mechanics.redeem_cap_percent",
                                           "message": body(response)["error"]["message"]}


@pytest.mark.parametrize("query", ["limit=%C2%B2", "limit=" + "9" * 5000, "cursor=" + "W" * 1400,
                                   "cursor=WyJcdWQ4MDAiLCJ4Il0"])  # the last: ["\ud800","x"]
def test_query_parameters_are_a_400(client, merchant, program, query):
    response = client.http.get(f"/admin/programs/{program['id']}/cards?{query}", headers=bearer(merchant))
    assert response.status_code == 400, response.body
    assert body(response)["error"]["field"] in ("limit", "cursor")


def test_passkit_log_and_tags_never_fail(client):
    for raw in (b"[" * 5000, b'{"logs": "x"}', b'{"logs": [1, {"a": NaN}]}', b"[]", b'"\\ud800"'):
        assert client.http.post("/passkit/v1/log", headers=JSON, body=raw).status_code == 200
    for tag in ("%C2%B2", "9" * 5000):
        response = client.http.get(f"/passkit/v1/devices/dev1/registrations/pass.x?passesUpdatedSince={tag}")
        assert response.status_code == 204


@pytest.mark.parametrize("callback, field", [
    ({"signature": 1, "protocolVersion": "ECv2SigningOnly", "signedMessage": "{}",
      "intermediateSigningKey": {"signedKey": "{}", "signatures": ["a"]}}, "signature"),
    ({"signature": "s", "protocolVersion": "ECv2SigningOnly", "signedMessage": "{}",
      "intermediateSigningKey": {"signedKey": 5, "signatures": ["a"]}}, "intermediateSigningKey.signedKey"),
    ({"signature": "s", "protocolVersion": "ECv2SigningOnly", "signedMessage": "{}",
      "intermediateSigningKey": ["x"]}, "intermediateSigningKey"),
    ({"signature": "s", "protocolVersion": "ECv2SigningOnly", "signedMessage": "{}",
      "intermediateSigningKey": {"signedKey": "k", "signatures": {"a": 1}}}, "intermediateSigningKey.signatures"),
])
def test_google_callbacks_of_the_wrong_shape_are_a_400(client, callback, field):
    response = client.http.post("/google/callbacks", headers=JSON, body=json.dumps(callback))
    assert response.status_code == 400, response.body
    assert body(response)["error"]["field"] == field
    deep = client.http.post("/google/callbacks", headers=JSON, body=b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert deep.status_code == 400


@pytest.mark.parametrize("update", [
    {"message": "hello"}, {"message": {"chat": [1], "text": "/balance"}}, {"message": {"chat": {"id": 1}, "text": 5}},
    {"message": {"chat": {"id": True}, "text": "/start"}}, {"message": {"chat": {"id": 1}, "text": "/b", "from": "x"}},
    {"message": {"chat": {"id": 1}, "text": "/b", "from": {"language_code": 7}}}, [1, 2],
])
def test_telegram_updates_of_odd_shapes_are_answered_200(client, monkeypatch, update):
    from chalicelib.channels import telegram
    from chalicelib.usecases import telegram_bot

    sent = []
    monkeypatch.setattr(telegram_bot, "verified", lambda secret: True)
    monkeypatch.setattr(telegram, "send_message", lambda chat, text, **kw: sent.append((chat, text)))
    response = client.http.post("/telegram/webhook", headers=JSON, body=json.dumps(update))
    assert response.status_code == 200 and body(response) == {"ok": True}
    assert all(isinstance(chat, int) for chat, _ in sent)
    for raw in (b"[" * 5000, b'{"message": {"text": NaN}}', b'{"update_id": 1, "update_id": 2}'):
        assert client.http.post("/telegram/webhook", headers=JSON, body=raw).status_code == 200


def test_form_posts_stay_strict(client, program):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.http.post("/join/coffee", headers=form, body=b"name=A&name=B&phone=%2B79160000001&consent=on")
    assert response.status_code == 400
    assert Card.count() == 0
    enroll(client)
    assert Card.count() == 1


@pytest.mark.parametrize("day", ["٢٠٢٦-٠١-٠١", "2026-1-01", "2026-02-30", "9" * 5000])
def test_analytics_dates_are_ascii_calendar_days(client, merchant, program, day):
    response = client.http.get(f"/admin/programs/{program['id']}/analytics/daily?from={day}",
                               headers=bearer(merchant))
    assert response.status_code == 400 and body(response)["error"]["field"] == "from"


def test_a_form_with_percent_encoded_bytes_that_are_not_utf8_is_refused(client, program):
    """A browser never sends these; a script that does gets the form back, not a card named '���'."""
    response = client.http.post("/join/coffee", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body="name=%ED%A0%80&phone=%2B79160000093&consent=on")
    assert response.status_code == 400
    assert Card.count() == 0


@pytest.mark.parametrize("mechanics, field", [
    ({"tiers": [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 1e308}]},
     "mechanics.tiers[0].earn_percent"),
    ({"redeem_cap_percent": -1e308}, "mechanics.redeem_cap_percent"),
])
def test_percentages_far_out_of_range_are_a_400(client, merchant, program, mechanics, field):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers={**bearer(merchant), **JSON},
                                 body=json.dumps({"mechanics": mechanics}))
    assert response.status_code == 400 and body(response)["error"]["code"] == "out_of_range"
    assert body(response)["error"]["field"] == field


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_analytics_days_at_the_ends_of_the_calendar_are_a_400(client, merchant, program, day):
    response = client.http.get(f"/admin/programs/{program['id']}/analytics/summary?from={day}&to={day}",
                               headers=bearer(merchant))
    assert response.status_code == 400 and body(response)["error"]["code"] == "out_of_range"


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+00:00", "2001-01-01T00:00:00-05:00"])
def test_a_receipt_from_another_year_is_refused_and_writes_nothing(client, program, pos, created_at):
    card = enroll(client)
    response = pos.post("/pos/receipts", {"receipt_id": "old-1", "card": card["card_number"], "total": 10000,
                                          "created_at": created_at})
    assert response.status_code == 400 and body(response)["error"]["field"] == "created_at"
    assert pos.get(f"/pos/cards/{card['card_number']}").json_body["balance"] == card["balance"]
