"""Apple's web service, status code by status code, and a device's whole update cycle."""
import io
import json
import time
import zipfile
from datetime import UTC, datetime
from email.utils import formatdate

import pytest

from chalicelib.api import passkit
from chalicelib.store import cards as card_store
from chalicelib.store import devices
from chalicelib.store import outbox as outbox_store
from chalicelib.store.models import Card
from tests.conftest import bearer, enroll
from tests.wallet.test_apple_pass import PASS_TYPE_ID, certs, wallet  # noqa: F401 (fixtures)

DEVICE = "a1b2c3d4e5f6"


def _auth(token, scheme="ApplePass"):
    return {"Authorization": f"{scheme} {token}", "Content-Type": "application/json"}


@pytest.fixture
def card(client, program, wallet):
    answer = enroll(client)
    stored = card_store.get(answer["card_id"])
    return {**answer, "token": stored.auth_token}


def _register(client, card, device=DEVICE, token=None, scheme="ApplePass", push="pushtoken123"):
    path = f"/passkit/v1/devices/{device}/registrations/{PASS_TYPE_ID}/{card['card_id']}"
    return client.http.post(path, headers=_auth(token or card["token"], scheme), body=json.dumps({"pushToken": push}))


def _serials(client, since=None, device=DEVICE):
    query = f"?passesUpdatedSince={since}" if since is not None else ""
    return client.http.get(f"/passkit/v1/devices/{device}/registrations/{PASS_TYPE_ID}{query}")


def test_registration_status_codes(client, card):
    assert _register(client, card).status_code == 201
    assert _register(client, card).status_code == 200  # idempotent upsert
    assert _register(client, card, push="newtoken456").status_code == 200  # a new push token is kept
    assert _register(client, card, token="x" * 32).status_code == 401
    assert _register(client, card, scheme="Bearer").status_code == 401
    assert _register(client, card, device="other-device", scheme="AndroidPass").status_code == 201
    unknown = dict(card, card_id="c_unknown")
    assert _register(client, unknown).status_code == 401  # an unknown pass reveals nothing
    path = f"/passkit/v1/devices/{DEVICE}/registrations/pass.other.type/{card['card_id']}"
    assert client.http.post(path, headers=_auth(card["token"]), body='{"pushToken":"t"}').status_code == 401
    bad_body = client.http.post(f"/passkit/v1/devices/{DEVICE}/registrations/{PASS_TYPE_ID}/{card['card_id']}",
                                headers=_auth(card["token"]), body="{}")
    assert bad_body.status_code == 400


def test_unregister(client, card):
    _register(client, card)
    path = f"/passkit/v1/devices/{DEVICE}/registrations/{PASS_TYPE_ID}/{card['card_id']}"
    assert client.http.delete(path, headers=_auth("wrong-token-wrong-token")).status_code == 401
    assert client.http.delete(path, headers=_auth(card["token"])).status_code == 200
    assert _serials(client).status_code == 204


def _changed_seconds_ago(card, seconds):
    """As if the card's pass last changed `seconds` ago (a device usually asks a while after)."""
    stored = card_store.get(card["card_id"], consistent=True)
    stored.update(actions=[Card.pass_changed_at.set(int(stored.pass_changed_at) - seconds * 1_000_000)],
                  add_version_condition=False)


def test_a_devices_whole_cycle(client, card, pos):
    _changed_seconds_ago(card, 5)
    assert _register(client, card).status_code == 201
    first = _serials(client)
    assert first.status_code == 200
    listed = json.loads(first.body)
    assert listed["serialNumbers"] == [card["card_id"]]
    tag = listed["lastUpdated"]
    assert _serials(client, tag).status_code == 204  # nothing changed since: never an unchanged serial

    pass_path = f"/passkit/v1/passes/{PASS_TYPE_ID}/{card['card_id']}"
    fetched = client.http.get(pass_path, headers=_auth(card["token"]))
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "application/vnd.apple.pkpass"
    last_modified = fetched.headers["Last-Modified"]
    assert client.http.get(pass_path, headers={**_auth(card["token"]), "If-Modified-Since": last_modified}
                           ).status_code == 304

    assert pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100000}
                    ).status_code == 200
    again = _serials(client, tag)
    assert again.status_code == 200
    assert json.loads(again.body)["serialNumbers"] == [card["card_id"]]
    assert int(json.loads(again.body)["lastUpdated"]) > int(tag)
    newer = client.http.get(pass_path, headers={**_auth(card["token"]),
                                                "If-Modified-Since": formatdate(0, usegmt=True)})
    document = json.loads(zipfile.ZipFile(io.BytesIO(newer.body)).read("pass.json"))
    assert document["storeCard"]["headerFields"][0]["value"] == 150  # 100 welcome + 50 earned
    assert client.http.get(pass_path, headers=_auth("nope-nope-nope-nope")).status_code == 401


def test_an_unknown_tag_gets_everything_and_an_unknown_device_nothing(client, card):
    _register(client, card)
    assert _serials(client, "garbage").status_code == 200
    assert _serials(client, device="never-registered").status_code == 204


def test_device_log_is_accepted_and_bounded(client, caplog):
    logs = {"logs": ["Web service error for +79161234567", "x" * 5000] + ["line"] * 100}
    response = client.http.post("/passkit/v1/log", headers={"Content-Type": "application/json"},
                                body=json.dumps(logs))
    assert response.status_code == 200
    lines = [json.loads(r.getMessage()) for r in caplog.records if "passkit_device_log" in r.getMessage()]
    assert len(lines) == 20
    assert max(len(line["message"]) for line in lines) <= 300
    assert "79161234567" not in lines[0]["message"]
    assert client.http.post("/passkit/v1/log", headers={"Content-Type": "application/json"},
                            body=b"not json").status_code == 200


def test_blocking_a_card_voids_its_pass_and_announces_it(client, card, merchant, pos):
    _register(client, card)
    tag = json.loads(_serials(client).body)["lastUpdated"]
    response = client.http.patch(f"/admin/cards/{card['card_id']}", headers=bearer(merchant),
                                 body=json.dumps({"status": "blocked"}))
    assert response.status_code == 200 and json.loads(response.body)["status"] == "blocked"
    assert json.loads(_serials(client, tag).body)["serialNumbers"] == [card["card_id"]]
    assert [i.card_id for i in outbox_store.due(datetime.now(UTC))] == [card["card_id"]]
    fetched = client.http.get(f"/passkit/v1/passes/{PASS_TYPE_ID}/{card['card_id']}", headers=_auth(card["token"]))
    assert json.loads(zipfile.ZipFile(io.BytesIO(fetched.body)).read("pass.json"))["voided"] is True
    refused = pos.post("/pos/receipts", {"receipt_id": "r-blocked", "card": card["card_number"], "total": 1000})
    assert refused.status_code == 422 and json.loads(refused.body)["error"]["code"] == "card_blocked"
    assert client.http.patch(f"/admin/cards/{card['card_id']}", headers=bearer(merchant, "analyst"),
                             body=json.dumps({"status": "active"})).status_code == 403
    assert client.http.patch(f"/admin/cards/{card['card_id']}", headers=bearer(merchant),
                             body=json.dumps({"status": "gone"})).status_code == 400


def _pass_of(response):
    return json.loads(zipfile.ZipFile(io.BytesIO(response.body)).read("pass.json"))


def test_a_change_within_the_second_of_the_devices_copy_is_not_304(client, card, pos, monkeypatch):
    """The device fetched the pass, and it changed again within that same second: the device's
    If-Modified-Since (whole seconds) must not hide the newer pass."""
    pass_path = f"/passkit/v1/passes/{PASS_TYPE_ID}/{card['card_id']}"
    stored = card_store.get(card["card_id"], consistent=True)
    second = (int(stored.pass_changed_at) // 1_000_000 + 10) * 1_000_000  # a clean second, later than now
    stored.update(actions=[Card.pass_changed_at.set(second + 100_000)], add_version_condition=False)

    class Clock(datetime):
        moment = second + 300_000

        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(cls.moment / 1_000_000, tz or UTC)

    monkeypatch.setattr(passkit, "datetime", Clock)
    fetched = client.http.get(pass_path, headers=_auth(card["token"]))  # at .300, the version of .100
    assert _pass_of(fetched)["storeCard"]["headerFields"][0]["value"] == 100
    assert pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100000}
                    ).status_code == 200
    stored = card_store.get(card["card_id"], consistent=True)
    stored.update(actions=[Card.pass_changed_at.set(second + 700_000)], add_version_condition=False)  # at .700
    Clock.moment = second + 2_000_000
    again = client.http.get(pass_path, headers={**_auth(card["token"]),
                                                "If-Modified-Since": fetched.headers["Last-Modified"]})
    assert again.status_code == 200 and _pass_of(again)["storeCard"]["headerFields"][0]["value"] == 150
    # from a later second on, the device's copy is recognised as current
    assert client.http.get(pass_path, headers={**_auth(card["token"]),
                                               "If-Modified-Since": again.headers["Last-Modified"]}
                           ).status_code == 304
    assert client.http.get(pass_path, headers={**_auth(card["token"]), "If-None-Match": again.headers["ETag"]}
                           ).status_code == 304


def test_head_answers_like_get_without_a_body(client, card):
    # A pass changed in the current second is dated a second earlier (api/passkit.last_modified): wait until
    # the card's change is in a past second, or a HEAD and a GET on either side of a second differ in date.
    time.sleep(1.1)
    pass_path = f"/passkit/v1/passes/{PASS_TYPE_ID}/{card['card_id']}"
    head = client.http.head(pass_path, headers=_auth(card["token"]))
    get = client.http.get(pass_path, headers=_auth(card["token"]))
    assert head.status_code == get.status_code == 200 and head.body == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"] == "application/vnd.apple.pkpass"
    assert head.headers["Last-Modified"] == get.headers["Last-Modified"]
    assert client.http.head(pass_path, headers=_auth("nope-nope-nope-nope")).status_code == 401
    download = card["apple_pass_url"].replace("https://loyalty.test", "")
    head = client.http.head(download)
    assert head.status_code == 200 and head.body == b""
    assert head.headers["Content-Type"] == "application/vnd.apple.pkpass"


@pytest.mark.parametrize("length", [64, 100, 160, 200, 1024])
def test_push_tokens_of_any_length_up_to_the_bound_are_kept(client, card, length):
    token = ("ab" * length)[:length]
    assert _register(client, card, push=token).status_code == 201
    assert [r.push_token for r in devices.devices_of(card["card_id"])] == [token]


def test_push_tokens_past_the_bound_or_odd_are_refused(client, card):
    assert _register(client, card, push="a" * 1025).status_code == 400
    assert _register(client, card, push="ab cd").status_code == 400
    assert _register(client, card, push="").status_code == 400
