"""Admin tokens: every way a token can be wrong is a 401, and a token only ever sees its own merchant."""
import base64
import json
import time
from datetime import UTC
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib import auth
from tests.conftest import PROGRAM, bearer, body


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(merchant_id, **changes):
    now = int(time.time())
    claims = {"sub": "u1", "merchant": merchant_id, "role": "owner", "aud": "loyalty-admin", "iss": "loyalty-test",
              "iat": now, "exp": now + 600}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims, key=None, kid=None, algorithm="EdDSA"):
    real = auth.keyset()[0]
    return jwt.encode(claims, key or real.private_key, algorithm=algorithm, headers={"kid": kid or real.kid})


def _get(client, token, path="/admin/programs"):
    return client.http.get(path, headers={"Authorization": f"Bearer {token}"})


def test_a_valid_token_works(client, merchant):
    assert _get(client, _sign(_claims(merchant))).status_code == 200


@pytest.mark.parametrize("header, code", [
    (None, "missing_token"),
    ("Basic dXNlcjpwYXNz", "invalid_token"),
    ("Bearer", "invalid_token"),
    ("Bearer not.a.jwt", "invalid_token"),
])
def test_missing_or_malformed_headers(client, merchant, header, code):
    headers = {"Authorization": header} if header else {}
    response = client.http.get("/admin/programs", headers=headers)
    assert response.status_code == 401 and body(response)["error"]["code"] == code


def test_expired_token(client, merchant):
    response = _get(client, _sign(_claims(merchant, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)))
    assert response.status_code == 401 and body(response)["error"]["code"] == "token_expired"


def test_alg_none(client, merchant):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': auth.keyset()[0].kid})}.{_b64(_claims(merchant))}."
    assert _get(client, token).status_code == 401


def test_unknown_signing_key_claiming_our_kid(client, merchant):
    assert _get(client, _sign(_claims(merchant), key=Ed25519PrivateKey.generate())).status_code == 401


def test_unknown_kid(client, merchant):
    assert _get(client, _sign(_claims(merchant), kid="someone-else")).status_code == 401


def test_tampered_payload(client, merchant, other_merchant):
    header, _, signature = _sign(_claims(merchant, role="analyst")).split(".")
    forged = f"{header}.{_b64(_claims(merchant, role='owner'))}.{signature}"
    assert _get(client, forged).status_code == 401
    forged = f"{header}.{_b64(_claims(other_merchant, role='analyst'))}.{signature}"
    assert _get(client, forged).status_code == 401


def test_hs256_with_the_public_key_is_refused(client, merchant):
    from cryptography.hazmat.primitives import serialization

    public = auth.keyset()[0].public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    token = jwt.encode(_claims(merchant), public * 2, algorithm="HS256", headers={"kid": auth.keyset()[0].kid})
    assert _get(client, token).status_code == 401


@pytest.mark.parametrize("changes", [{"aud": "someone-else"}, {"iss": "evil"}, {"exp": None}, {"sub": None},
                                     {"role": "superuser"}, {"merchant": None}])
def test_wrong_or_missing_claims(client, merchant, changes):
    assert _get(client, _sign(_claims(merchant, **changes))).status_code == 401


def test_another_merchants_token_sees_nothing(client, merchant, other_merchant, program):
    intruder = bearer(other_merchant)
    assert body(client.http.get("/admin/programs", headers=intruder))["items"] == []
    for path in (f"/admin/programs/{program['id']}", f"/admin/programs/{program['id']}/cards",
                 f"/admin/programs/{program['id']}/pos-keys"):
        response = client.http.get(path, headers=intruder)
        assert response.status_code == 404 and body(response)["error"]["code"] == "not_found"
    patched = client.http.patch(f"/admin/programs/{program['id']}", headers=intruder,
                                body=json.dumps({"name": "Hijacked"}))
    assert patched.status_code == 404
    assert body(client.http.get(f"/admin/programs/{program['id']}", headers=bearer(merchant)))["name"] == \
        PROGRAM["name"]


def test_roles(client, merchant, program):
    create = json.dumps({"name": "Other", "slug": "other"})
    assert client.http.post("/admin/programs", headers=bearer(merchant, "manager"), body=create).status_code == 403
    assert client.http.post("/admin/programs", headers=bearer(merchant, "analyst"), body=create).status_code == 403
    assert client.http.get("/admin/programs", headers=bearer(merchant, "analyst")).status_code == 200
    assert client.http.get(f"/admin/programs/{program['id']}/pos-keys",
                           headers=bearer(merchant, "analyst")).status_code == 403
    assert client.http.get("/admin/programs", headers=bearer(None, "platform")).status_code == 403
    assert client.http.post("/admin/merchants", headers=bearer(merchant, "owner"),
                            body=json.dumps({"name": "x"})).status_code == 403
    assert client.http.post("/admin/merchants", headers=bearer(None, "platform"),
                            body=json.dumps({"name": "x"})).status_code == 201


def test_rotation_keeps_old_tokens_valid_and_jwks_publishes_both(client, merchant):
    import os

    path = os.environ["ADMIN_JWT_KEYS_FILE"]
    original = Path(path).read_text()
    old_token = _sign(_claims(merchant))
    try:
        document = json.loads(original)
        for key in document["keys"]:
            key["active"] = False
        document["keys"].append(auth.new_key_entry("test-2"))
        Path(path).write_text(json.dumps(document))
        auth.reset_keys()
        assert _get(client, old_token).status_code == 200  # nobody is logged out
        new_token = bearer(merchant)["Authorization"].split()[1]
        assert jwt.get_unverified_header(new_token)["kid"] == "test-2"
        keys = body(client.http.get("/.well-known/jwks.json"))["keys"]
        assert [k["kid"] for k in keys] == ["test-1", "test-2"]
        assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k for k in keys)
    finally:
        Path(path).write_text(original)
        auth.reset_keys()


# --- keys take effect in running processes, without a restart -----------------------------------

class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def key_file(monkeypatch):
    """The key file, restored afterwards; a fake clock for the key cache; `keys` runs the real CLI."""
    import os

    from chalicelib import cli

    path = os.environ["ADMIN_JWT_KEYS_FILE"]
    original = Path(path).read_text()
    clock = _Clock()
    monkeypatch.setattr(auth, "_clock", clock)
    auth.reset_keys()

    def keys(*args):
        assert cli.main(["keys", *args]) == 0

    yield clock, keys
    Path(path).write_text(original)
    auth.reset_keys()


def _without_file_change_detection(monkeypatch):
    """What a process reading Secrets Manager sees: no file to stat, only the TTL and unknown kids."""
    monkeypatch.setattr(auth, "_source_stamp", lambda: None)


def test_a_retired_key_is_refused_within_the_ttl_without_a_restart(client, merchant, key_file, monkeypatch):
    clock, keys = key_file
    _without_file_change_detection(monkeypatch)
    keys("rotate")
    clock.now += auth.KEYS_TTL  # this process has read the rotated set
    old_token = _sign(_claims(merchant), key=auth.keyset()[0].private_key, kid="test-1")
    assert _get(client, old_token).status_code == 200
    keys("retire", "test-1")
    clock.now += auth.KEYS_TTL - 1
    assert _get(client, old_token).status_code == 200  # still cached, at most KEYS_TTL seconds
    clock.now += 1
    response = _get(client, old_token)
    assert response.status_code == 401 and body(response)["error"]["code"] == "invalid_token"
    assert auth.KEYS_TTL <= 60


def test_a_changed_key_file_is_read_at_once(client, merchant, key_file):
    clock, keys = key_file
    old_token = _sign(_claims(merchant))
    assert _get(client, old_token).status_code == 200
    keys("rotate")
    keys("retire", "test-1")
    assert _get(client, old_token).status_code == 401  # no clock moved: the file's change was seen


def test_a_token_of_a_newly_rotated_key_is_accepted_at_once(client, merchant, key_file, monkeypatch):
    clock, keys = key_file
    _without_file_change_detection(monkeypatch)
    assert _get(client, _sign(_claims(merchant))).status_code == 200  # the old set is cached
    keys("rotate")  # another process (the CLI, another container) signs with the new key from now on
    import os

    newest = json.loads(Path(os.environ["ADMIN_JWT_KEYS_FILE"]).read_text())["keys"][-1]
    new_key = auth.parse_keyset({"keys": [newest]})[0]
    token = _sign(_claims(merchant), key=new_key.private_key, kid=new_key.kid)
    assert _get(client, token).status_code == 200  # the unknown kid made this process read the keys again


def test_unknown_kids_reload_the_keys_at_most_once_per_interval(client, merchant, key_file, monkeypatch):
    clock, keys = key_file
    _without_file_change_detection(monkeypatch)
    reads = []
    original = auth._read_keyset_document
    monkeypatch.setattr(auth, "_read_keyset_document", lambda: reads.append(1) or original())
    auth.keyset()
    for attempt in range(20):
        assert _get(client, _sign(_claims(merchant), kid=f"made-up-{attempt}")).status_code == 401
    assert len(reads) == 2  # the first read, and one reload for all twenty made-up kids
    clock.now += auth.UNKNOWN_KID_REFRESH
    assert _get(client, _sign(_claims(merchant), kid="made-up-again")).status_code == 401
    assert len(reads) == 3


def test_a_revoked_pos_key_is_refused_within_60_seconds_in_another_process(client, merchant, program, pos,
                                                                            monkeypatch):
    """The revocation is written by another process (the admin API elsewhere): this one's cache forgets
    the key within KEY_CACHE_SECONDS."""
    import time as real_time
    from datetime import datetime

    from chalicelib.store import pos_keys
    from chalicelib.usecases import pos as pos_cases

    clock = [real_time.monotonic()]
    monkeypatch.setattr(pos_cases.time, "monotonic", lambda: clock[0])
    assert pos.get("/pos/cards/000000000000").status_code in (400, 404)  # authenticated; the key is cached
    pos_keys.revoke(program["id"], pos.key_id, datetime.now(UTC))
    assert pos_cases.KEY_CACHE_SECONDS <= 60
    clock[0] += pos_cases.KEY_CACHE_SECONDS
    response = pos.get("/pos/cards/000000000000")
    assert response.status_code == 401 and body(response)["error"]["code"] == "unknown_key"


# --- the staff's Cognito pool: where its keys are -------------------------------------------------

def test_cognito_issuer_and_keys_follow_the_settings(monkeypatch):
    from chalicelib import config

    monkeypatch.setenv("COGNITO_USER_POOL_ID", "eu-west-1_Pool")
    monkeypatch.setenv("COGNITO_REGION", "eu-west-1")
    config.reset()
    try:
        assert auth.cognito_issuer() == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool"
        assert auth.cognito_jwks_url() == \
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool/.well-known/jwks.json"
        monkeypatch.setenv("COGNITO_ENDPOINT", "http://127.0.0.1:8006/")  # moto's server serves them by pool id
        config.reset()
        assert auth.cognito_jwks_url() == "http://127.0.0.1:8006/eu-west-1_Pool/.well-known/jwks.json"
        assert auth.cognito_issuer() == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool"
        monkeypatch.delenv("COGNITO_USER_POOL_ID")
        config.reset()
        assert auth.cognito_issuer() is None and auth.cognito_jwks_url() is None
    finally:
        monkeypatch.undo()
        config.reset()
