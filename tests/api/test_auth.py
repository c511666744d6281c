"""Admin tokens: every way a token can be wrong is a 401, and a token only ever sees its own merchant."""
import base64
import json
import time

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
    original = open(path).read()
    old_token = _sign(_claims(merchant))
    try:
        document = json.loads(original)
        for key in document["keys"]:
            key["active"] = False
        document["keys"].append(auth.new_key_entry("test-2"))
        open(path, "w").write(json.dumps(document))
        auth.reset_keys()
        assert _get(client, old_token).status_code == 200  # nobody is logged out
        new_token = bearer(merchant)["Authorization"].split()[1]
        assert jwt.get_unverified_header(new_token)["kid"] == "test-2"
        keys = body(client.http.get("/.well-known/jwks.json"))["keys"]
        assert [k["kid"] for k in keys] == ["test-1", "test-2"]
        assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k for k in keys)
    finally:
        open(path, "w").write(original)
        auth.reset_keys()
