"""Google Wallet against the local stand-in: class and object, the save JWT, updates from the outbox,
the notification quota, token caching, retries, and signed callbacks."""
import json
import socket
import struct
import time
import zlib
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from chalicelib import config
from chalicelib.jobs import outbox
from chalicelib.store import cards as card_store
from chalicelib.store import outbox as outbox_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import Card
from chalicelib.usecases import google_wallet, notices
from chalicelib.wallet import apns, google, google_standin
from tests.conftest import bearer, body, enroll

ISSUER = "3388000000012345"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def standin(tmp_path, monkeypatch):
    port = _free_port()
    account = google_standin.new_service_account(f"http://127.0.0.1:{port}/token")
    account_file = tmp_path / "service-account.json"
    account_file.write_text(json.dumps(account))
    server, state = google_standin.serve(port, account, ISSUER)
    monkeypatch.setenv("GOOGLE_WALLET_ISSUER_ID", ISSUER)
    monkeypatch.setenv("GOOGLE_WALLET_SERVICE_ACCOUNT_FILE", str(account_file))
    monkeypatch.setenv("GOOGLE_WALLET_API_BASE", f"http://127.0.0.1:{port}/walletobjects/v1")
    monkeypatch.setenv("GOOGLE_WALLET_CALLBACK_KEYS_URL", f"http://127.0.0.1:{port}/keys")

    def reset():
        config.reset()
        google.client.cache_clear()
        google._root_keys = None
        google_wallet._classes_synced.clear()

    reset()
    yield {"state": state, "account": account}
    server.shutdown()
    monkeypatch.undo()
    reset()


def _save(client, card):
    return client.http.get(card["google_save_url"].replace("https://loyalty.test", ""))


def _deliver():
    return outbox.deliver(push=lambda token: apns.PushResult(200))


def test_save_link_inserts_class_and_object_and_is_a_short_jwt(client, program, standin):
    card = enroll(client)
    response = _save(client, card)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("https://pay.google.com/gp/v/save/")
    token = location.rsplit("/", 1)[1]
    assert len(token) < 1800
    public = google.load_service_account({**standin["account"]}).private_key.public_key()
    claims = jwt.decode(token, public, algorithms=["RS256"], audience="google")
    assert claims["typ"] == "savetowallet" and isinstance(claims["iat"], int)
    assert claims["iss"] == standin["account"]["client_email"] and claims["origins"] == ["https://loyalty.test"]
    object_id, class_id = f"{ISSUER}.{card['card_id']}", f"{ISSUER}.{program['id']}"
    assert claims["payload"] == {"loyaltyObjects": [{"id": object_id, "classId": class_id}]}
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, public, algorithms=["RS256"], audience="someone-else")

    stored_class = standin["state"].resources["loyaltyClass"][class_id]
    assert stored_class["reviewStatus"] == "UNDER_REVIEW" and stored_class["programName"] == "Coffee Club"
    stored = standin["state"].resources["loyaltyObject"][object_id]
    assert stored["state"] == "ACTIVE" and stored["loyaltyPoints"]["balance"] == {"int": 100}
    assert stored["barcode"] == {"type": "QR_CODE", "value": card["card_number"],
                                 "alternateText": stored["accountId"]}
    assert "9160000001" not in object_id and "Anna" not in object_id
    assert _save(client, card).status_code == 302  # a second click patches, never fails


def test_a_receipt_patches_the_object_from_the_outbox_not_the_request(client, program, pos, standin):
    card = enroll(client)
    _save(client, card)
    calls_before = len(standin["state"].calls)
    assert pos.post("/pos/receipts", {"receipt_id": "g1", "card": card["card_number"], "total": 100000}
                    ).status_code == 200
    assert len(standin["state"].calls) == calls_before  # the purchase itself never waits for Google
    assert _deliver()["google"] == 1
    stored = standin["state"].resources["loyaltyObject"][f"{ISSUER}.{card['card_id']}"]
    assert stored["loyaltyPoints"]["balance"] == {"int": 150}
    assert ("PATCH", f"/walletobjects/v1/loyaltyObject/{ISSUER}.{card['card_id']}") in standin["state"].calls


def test_google_outages_are_retried_later_and_nothing_is_lost(client, program, pos, standin):
    card = enroll(client)
    _save(client, card)
    pos.post("/pos/receipts", {"receipt_id": "g2", "card": card["card_number"], "total": 100000})
    standin["state"].fail.extend([503] * 8)  # longer than the client's own retries
    assert _deliver().get("google", 0) == 0
    pending = [i.item_key for i in outbox_store.due(datetime.now(UTC) + timedelta(minutes=5))]
    assert f"google#{card['card_id']}" in pending
    standin["state"].fail.clear()
    outbox.deliver(datetime.now(UTC) + timedelta(minutes=5), push=lambda t: apns.PushResult(200))
    stored = standin["state"].resources["loyaltyObject"][f"{ISSUER}.{card['card_id']}"]
    assert stored["loyaltyPoints"]["balance"] == {"int": 150}


def test_a_refused_update_is_shown_to_admins_until_one_succeeds(client, program, pos, merchant, standin):
    card = enroll(client)
    _save(client, card)
    pos.post("/pos/receipts", {"receipt_id": "g3", "card": card["card_number"], "total": 100000})
    standin["state"].fail.append(403)  # e.g. permissionDenied: the service account lost its access
    _deliver()
    view = body(client.http.get(f"/admin/cards/{card['card_id']}", headers=bearer(merchant)))
    assert view["wallets"]["google"]["state"] == "created"
    assert view["wallets"]["google"]["error"].startswith("403 permissionDenied")
    pos.post("/pos/receipts", {"receipt_id": "g4", "card": card["card_number"], "total": 100000})
    _deliver()
    view = body(client.http.get(f"/admin/cards/{card['card_id']}", headers=bearer(merchant)))
    assert view["wallets"]["google"]["error"] is None


def test_client_retries_429_and_5xx_and_explains_refusals(standin):
    wallet = google.client()
    wallet._sleep = lambda seconds: None
    standin["state"].fail.extend([429, 503])
    wallet.upsert("loyaltyClass", {"id": f"{ISSUER}.p_retry", "issuerName": "x", "programName": "x",
                                   "reviewStatus": "UNDER_REVIEW"})
    assert f"{ISSUER}.p_retry" in standin["state"].resources["loyaltyClass"]
    with pytest.raises(google.GoogleError) as refused:
        wallet.call("POST", "loyaltyObject", {"id": f"{ISSUER}.c_x", "classId": f"{ISSUER}.missing"})
    assert refused.value.status == 400 and refused.value.reason == "invalidResource"


def test_access_token_is_cached_and_renewed_before_it_expires(standin):
    wallet = google.client()
    first = wallet.access_token()
    assert wallet.access_token() == first
    tokens_issued = sum(1 for method, path in standin["state"].calls if path == "/token")
    assert tokens_issued == 1
    wallet._token = (time.time() + 200, first)  # the cached token now expires within five minutes
    later = wallet.access_token()
    assert later != first
    assert sum(1 for method, path in standin["state"].calls if path == "/token") == 2


def test_notices_notify_three_times_a_day_then_fall_back_to_text(client, program, standin):
    card = enroll(client)
    _save(client, card)
    now = datetime.now(UTC)
    kinds = [google_wallet.notice(card_store.get(card["card_id"]), "Hello", f"Message {i}", now + timedelta(seconds=i))
             for i in range(4)]
    assert kinds == ["TEXT_AND_NOTIFY"] * 3 + ["TEXT"]
    for message in standin["state"].messages[f"{ISSUER}.{card['card_id']}"]:
        message["at"] -= 25 * 3600  # a day passes for Google too
    assert google_wallet.notice(card_store.get(card["card_id"]), "Next day", "x",
                                now + timedelta(hours=25)) == "TEXT_AND_NOTIFY"
    # Google's own quota answer is honoured even when our count is lost
    fresh = card_store.get(card["card_id"])
    fresh.google_notices = []
    messages = standin["state"].messages[f"{ISSUER}.{card['card_id']}"]
    for message in messages:
        message["at"] = now.timestamp()
    assert google_wallet.notice(fresh, "Again", "y", now + timedelta(seconds=10)) == "TEXT"


def test_callbacks_are_verified_deduplicated_and_recorded(client, program, standin):
    card = enroll(client)
    _save(client, card)
    object_id = f"{ISSUER}.{card['card_id']}"
    signed = standin["state"].signed_callback(object_id, "save", nonce="n-1")
    headers = {"Content-Type": "application/json"}
    first = client.http.post("/google/callbacks", headers=headers, body=json.dumps(signed))
    assert first.status_code == 200 and body(first)["status"] == "recorded"
    assert card_store.get(card["card_id"]).google_state == "saved"
    assert body(client.http.post("/google/callbacks", headers=headers, body=json.dumps(signed)))["status"] == \
        "duplicate"

    tampered = dict(signed, signedMessage=signed["signedMessage"].replace('"save"', '"del"'))
    assert client.http.post("/google/callbacks", headers=headers, body=json.dumps(tampered)).status_code == 401
    impostor = google_standin.State(standin["account"], ISSUER).signed_callback(object_id, "del", nonce="n-2")
    assert client.http.post("/google/callbacks", headers=headers, body=json.dumps(impostor)).status_code == 401
    expired = standin["state"].signed_callback(object_id, "del", nonce="n-3", expires_in_ms=-1000)
    assert client.http.post("/google/callbacks", headers=headers, body=json.dumps(expired)).status_code == 401
    assert client.http.post("/google/callbacks", headers=headers, body=b"[]").status_code == 400
    deleted = standin["state"].signed_callback(object_id, "del", nonce="n-4")
    assert client.http.post("/google/callbacks", headers=headers, body=json.dumps(deleted)).status_code == 200
    assert card_store.get(card["card_id"]).google_state == "deleted"


def test_branding_change_patches_the_class(client, program, merchant, standin):
    card = enroll(client)
    _save(client, card)
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"branding": {"background_color": "#112233"}}))
    assert response.status_code == 200
    _deliver()
    assert standin["state"].resources["loyaltyClass"][f"{ISSUER}.{program['id']}"]["hexBackgroundColor"] == "#112233"


def test_without_google_settings_the_link_says_so(client, program):
    card = enroll(client)
    response = _save(client, card)
    assert response.status_code == 503 and body(response)["error"]["code"] == "google_wallet_unavailable"


def test_an_object_keeps_its_ten_newest_messages(client, program, standin):
    card = enroll(client)
    _save(client, card)
    now = datetime.now(UTC)
    for index in range(12):
        google_wallet.notice(card_store.get(card["card_id"]), "Hello", f"Message {index}",
                             now + timedelta(seconds=index))
    held = standin["state"].resources["loyaltyObject"][f"{ISSUER}.{card['card_id']}"]["messages"]
    assert [m["body"] for m in held] == [f"Message {index}" for index in range(2, 12)]  # the oldest made room
    again = google_wallet.notice(card_store.get(card["card_id"]), "Hello", "Message 11", now, message_id=held[-1]["id"])
    assert again is None and len(held) == 10  # a repeat under the same id is not added twice


def test_a_repeated_notice_item_adds_its_message_once(client, program, merchant, standin):
    """The outbox's Google message carries an id of its own item: a retry after an answer that never
    came finds the message in place and does not add it again."""
    card = enroll(client)
    _save(client, card)
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                      body=json.dumps({"mechanics": {"messaging": {"quiet_hours": None}}}))
    now = datetime.now(UTC)
    notices.notify(program_store.get(program["id"]), card_store.get(card["card_id"]), "campaign", {"ru": "Hi"}, now)
    [item] = [i for i in outbox_store.due(now) if i.item_key.startswith("gnotice#")]
    outbox._google(item, now)  # delivered, but say the answer was lost: the item is tried again
    outbox._google(item, now + timedelta(minutes=1))
    held = standin["state"].resources["loyaltyObject"][f"{ISSUER}.{card['card_id']}"]["messages"]
    assert [m["body"] for m in held] == ["Hi"]


def test_full_tier_names_and_a_logo_from_the_branding(client, program, merchant, standin):
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant), body=json.dumps({
        "branding": {"background_color": "#112233", "foreground_color": "#ffcc00"},
        "mechanics": {"tiers": [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5},
                                {"id": "plat", "name": "Platinum Plus", "threshold": 1000, "earn_percent": 10}]}}))
    card = enroll(client)
    card_store.get(card["card_id"]).update(actions=[Card.tier.set("plat")], add_version_condition=False)
    _save(client, card)
    stored = standin["state"].resources["loyaltyObject"][f"{ISSUER}.{card['card_id']}"]
    assert stored["secondaryLoyaltyPoints"]["balance"] == {"string": "Platinum Plus"}
    assert {"id": "tier", "header": "Уровень", "body": "Platinum Plus"} in stored["textModulesData"]

    logo = standin["state"].resources["loyaltyClass"][f"{ISSUER}.{program['id']}"]["programLogo"]["sourceUri"]["uri"]
    assert logo.startswith(f"https://loyalty.test/static/programs/{program['id']}/google-logo.png")
    image = client.http.get(logo.replace("https://loyalty.test", ""))
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    width, height, pixels = _decode_png(image.body)
    assert width >= 660 and height >= 660
    assert pixels[0][0] == pixels[0][-1] == pixels[-1][0] == (0x11, 0x22, 0x33, 255)  # no mask: opaque corners
    assert pixels[height // 2][width // 2] == (0xff, 0xcc, 0x00, 255)  # the brand's foreground inside
    assert client.http.get("/static/programs/p_nope/google-logo.png").status_code == 404


def _decode_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunks.setdefault(kind, b"")
        chunks[kind] += data[position + 8:position + 8 + length]
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 6)  # 8-bit RGBA
    raw, stride = zlib.decompress(chunks[b"IDAT"]), width * 4 + 1
    assert all(raw[row * stride] == 0 for row in range(height))  # unfiltered rows
    return width, height, [[tuple(raw[row * stride + 1 + 4 * x:row * stride + 5 + 4 * x]) for x in range(width)]
                           for row in range(height)]


def test_a_blocked_card_gets_no_save_link(client, program, merchant, standin):
    card = enroll(client)
    assert client.http.patch(f"/admin/cards/{card['card_id']}", headers=bearer(merchant),
                             body=json.dumps({"status": "blocked"})).status_code == 200
    response = _save(client, card)
    assert response.status_code == 403 and body(response)["error"]["code"] == "card_blocked"
    assert f"{ISSUER}.{card['card_id']}" not in standin["state"].resources["loyaltyObject"]
    page = client.http.get(card["card_url"].replace("https://loyalty.test", "")).body.decode()
    assert card["google_save_url"].replace("&", "&amp;") not in page and "/google?k=" not in page


def test_a_hanging_google_is_a_bounded_retried_failure_of_its_item(client, program, pos, standin, monkeypatch):
    """Google (the OAuth token endpoint and the API) accepts connections and never answers: each call
    gives up at its timeout, the item is retried later, the round goes on."""
    card = enroll(client)
    _save(client, card)
    pos.post("/pos/receipts", {"receipt_id": "g9", "card": card["card_number"], "total": 100000})
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(32)
    base = f"http://127.0.0.1:{silent.getsockname()[1]}"
    account = google.load_service_account(standin["account"])
    hanging = google.WalletClient(google.ServiceAccount(account.email, account.key_id, account.private_key,
                                                        f"{base}/token"),
                                  ISSUER, f"{base}/walletobjects/v1", timeout=0.3, sleep=lambda seconds: None)
    monkeypatch.setattr(google, "client", lambda: hanging)
    try:
        started = time.monotonic()
        counts = _deliver()
        assert time.monotonic() - started < 10 and counts["retry"] == 1
        waiting = outbox_store.get("wallet", f"google#{card['card_id']}")
        assert int(waiting.attempts) == 1 and "network" in waiting.last_error
    finally:
        silent.close()
