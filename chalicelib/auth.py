"""Who is calling: admin JWTs (built-in Ed25519 issuer with rotating keys, the staff's Cognito user pool,
or an external issuer through its JWKS), POS request signatures, and the roles table.

Admin tokens are verified with a pinned algorithm list and must carry exp, iat, iss, aud and sub;
`alg: none`, unknown keys, tampered payloads and other audiences are all a plain 401.
PyJWT and cryptography load on the first admin call, not at import (cold start).
"""
import contextvars
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib import secret_store
from chalicelib.config import ADMIN_AUDIENCE, settings
from chalicelib.errors import Forbidden, InvalidInput, Unauthorized
from chalicelib.store import staff as staff_store

if TYPE_CHECKING:  # types only: PyJWT and cryptography load on first use (see new_key_entry)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from jwt import PyJWKClient

ROLES = ("platform", "owner", "manager", "analyst", "cashier")
STAFF_ROLES = ROLES[1:]  # what a merchant's staff can be: the platform role is the operator's alone
BUILTIN_ALGORITHMS = ["EdDSA"]
EXTERNAL_ALGORITHMS = ["RS256"]
COGNITO_ALGORITHMS = ["RS256"]

# Who may do what. Every admin route names one of these permissions.
PERMISSIONS = {
    "merchants:read": {"platform"},
    "merchants:write": {"platform"},
    "programs:read": {"owner", "manager", "analyst"},
    "programs:write": {"owner"},
    "pos_keys:read": {"owner", "manager"},
    "pos_keys:write": {"owner"},
    "cards:read": {"owner", "manager", "analyst"},
    "cards:contacts": {"owner", "manager"},  # phone, email, birthday, links
    "cards:write": {"owner", "manager"},  # adjustments, blocking
    "campaigns:read": {"owner", "manager"},  # texts, audiences and counts: not for analysts
    "campaigns:write": {"owner", "manager"},
    "analytics:read": {"owner", "manager", "analyst"},
    "experiments:read": {"owner", "manager", "analyst"},  # reports and exports (analysts see no campaign texts)
    "experiments:write": {"owner", "manager"},  # start and stop a trigger's experiment
    "staff:read": {"owner"},
    "staff:write": {"owner"},  # invite, change a role, remove
    # the till page: find a card, sell, refund; a cashier holds this alone (at their locations: api/till.py)
    "till:write": {"owner", "manager", "cashier"},
    # members' data rights and the audit trail (issue 19): the owner answers for the data
    "members:export": {"owner"},  # one member's whole data as a JSON document
    "members:erase": {"owner"},  # erase a member, irreversibly
    # read and export the audit trail: an owner their merchant's, the platform's tokens the platform's own
    # (merchants created); no one reads another merchant's (api/audit.py)
    "audit:read": {"owner", "platform"},
}


@dataclass(frozen=True)
class Principal:
    subject: str
    merchant_id: str | None
    role: str
    email: str | None = None  # a staff member's sign-in address (Cognito tokens); None for the others

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    @property
    def permissions(self) -> list[str]:
        return sorted(name for name, roles in PERMISSIONS.items() if self.role in roles)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(f"The role '{self.role}' may not do this.", code="forbidden")


# --- the built-in issuer's keys ------------------------------------------------------------------

@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: "Ed25519PrivateKey"
    active: bool

    @property
    def public_key(self) -> "Ed25519PublicKey":
        return self.private_key.public_key()


def new_key_entry(kid: str, active: bool = True) -> dict:
    # lazy: cryptography, +12 ms on import app
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {"kid": kid, "private_pem": pem.decode(), "active": active,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds")}


def parse_keyset(document: dict) -> list[SigningKey]:
    # lazy: cryptography, +12 ms on import app
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    keys = []
    for entry in document.get("keys", []):
        private_key = serialization.load_pem_private_key(entry["private_pem"].encode(), password=None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise ValueError(f"key {entry['kid']} is not an Ed25519 key")
        keys.append(SigningKey(entry["kid"], private_key, bool(entry.get("active", False))))
    if not keys:
        raise ValueError("the admin key set holds no keys")
    return keys


def _read_keyset_document() -> dict:
    s = settings()
    if s.admin_keys_secret:
        return secret_store.read_json(s.admin_keys_secret)
    if s.admin_keys_file and os.path.exists(s.admin_keys_file):
        with open(s.admin_keys_file, encoding="utf-8") as handle:
            return json.load(handle)
    raise RuntimeError("No admin signing keys: set ADMIN_JWT_KEYS_FILE (local) or ADMIN_JWT_KEYS_SECRET (AWS); "
                       "`python -m chalicelib.cli keys init` creates a key file.")


# Every running process sees a rotated or retired key within KEYS_TTL seconds: the key set is read
# again after that time, at once when the key file changed, and when a token names a key we do not
# know yet (a key rotated in elsewhere), at most once per UNKNOWN_KID_REFRESH seconds.
KEYS_TTL = 30
UNKNOWN_KID_REFRESH = 5
_clock = time.monotonic
_keys_lock = threading.Lock()
_keys: dict = {}


def _source_stamp() -> tuple[int, int, int] | None:
    """What tells a changed key file without reading it (None for Secrets Manager: the TTL decides)."""
    s = settings()
    if s.admin_keys_secret or not s.admin_keys_file:
        return None
    try:
        stat = os.stat(s.admin_keys_file)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def _load_keys(stamp: tuple[int, int, int] | None) -> tuple[SigningKey, ...]:
    keys = tuple(parse_keyset(_read_keyset_document()))
    _keys.update(keys=keys, loaded=_clock(), stamp=stamp)
    return keys


def keyset() -> tuple[SigningKey, ...]:
    """Every key verifies, the newest active one signs; re-read as described above."""
    stamp = _source_stamp()
    cached = _keys.get("keys")
    if cached is not None and _clock() - _keys["loaded"] < KEYS_TTL and stamp == _keys["stamp"]:
        return cached
    with _keys_lock:
        return _load_keys(stamp)


def _reload_for_unknown_kid() -> bool:
    """Read the key set again for a token signed by a key we do not know, unless we did very recently."""
    with _keys_lock:
        if _clock() - _keys.get("forced", float("-inf")) < UNKNOWN_KID_REFRESH:
            return False
        _keys["forced"] = _clock()
        _load_keys(_source_stamp())
        return True


def reset_keys() -> None:
    _keys.clear()
    _external_client.cache_clear()
    _cognito_client.cache_clear()
    _cognito_refreshed.clear()
    _staff_seen.clear()


def jwks() -> dict:
    import jwt  # lazy: PyJWT and cryptography, +33 ms on import app

    keys = []
    for key in keyset():
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key))
        jwk.update({"kid": key.kid, "use": "sig", "alg": "EdDSA"})
        keys.append(jwk)
    return {"keys": keys}


def issue_token(*, subject: str, merchant_id: str | None, role: str, ttl: int, now: datetime) -> str:
    if role not in ROLES:
        raise InvalidInput(f"Unknown role '{role}'.", code="invalid_choice", field="role")
    if role != "platform" and not merchant_id:
        raise InvalidInput("Only the platform role is not tied to a merchant.", code="required", field="merchant")
    import jwt  # lazy: PyJWT and cryptography, +33 ms on import app

    signer = next((key for key in reversed(keyset()) if key.active), None)
    if signer is None:
        raise RuntimeError("no active admin signing key")
    issued = int(now.timestamp())
    claims = {"sub": subject, "role": role, "aud": ADMIN_AUDIENCE, "iss": settings().admin_issuer,
              "iat": issued, "exp": issued + ttl}
    if merchant_id:
        claims["merchant"] = merchant_id
    return jwt.encode(claims, signer.private_key, algorithm="EdDSA", headers={"kid": signer.kid})


# --- verification --------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _external_client() -> "PyJWKClient":
    import jwt  # lazy: PyJWT and cryptography, +33 ms on import app

    # no URL: every fetch fails, and the token is refused like any other it cannot verify
    return jwt.PyJWKClient(settings().external_jwks_url or "", cache_keys=True, lifespan=3600, timeout=3)


def _decode(token: str, key: Any, algorithms: list[str], issuer: str, audience: str) -> dict[str, Any]:
    import jwt  # lazy: PyJWT and cryptography, +33 ms on import app

    return jwt.decode(token, key, algorithms=algorithms, audience=audience, issuer=issuer, leeway=30,
                      options={"require": ["exp", "iat", "iss", "aud", "sub"]})


def _bearer(header: str | None) -> str:
    if not header:
        raise Unauthorized("An admin token is required (Authorization: Bearer <token>).", code="missing_token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use 'Authorization: Bearer <token>'.", code="invalid_token")
    return token.strip()


# The principal this request's token was verified for (the audit trail's "who"): a context variable, one per
# request even when the local server serves requests in threads; the HTTP middleware forgets it as each
# request starts.
_verified: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("admin_principal", default=None)


def verified_principal() -> Principal | None:
    """The principal `verify_admin_token` last verified in this request, if it did."""
    return _verified.get()


def forget_principal() -> None:
    _verified.set(None)


def verify_admin_token(header: str | None) -> Principal:
    """The principal of an `Authorization: Bearer <jwt>` header, or Unauthorized."""
    principal = _verify_admin_token(header)
    _verified.set(principal)
    return principal


def _verify_admin_token(header: str | None) -> Principal:
    token = _bearer(header)
    import jwt  # lazy: PyJWT and cryptography, +33 ms on import app

    s = settings()
    try:
        head = jwt.get_unverified_header(token)
        by_kid = {key.kid: key for key in keyset()}
        if isinstance(head.get("kid"), str) and head["kid"] not in by_kid and not _names_cognito(token) \
                and _reload_for_unknown_kid():
            by_kid = {key.kid: key for key in keyset()}
        if head.get("kid") in by_kid:
            claims = _decode(token, by_kid[head["kid"]].public_key, BUILTIN_ALGORITHMS, s.admin_issuer,
                             ADMIN_AUDIENCE)
            merchant, role = claims.get("merchant"), claims.get("role")
        elif _names_cognito(token):
            return _staff_principal(_cognito_claims(token))
        elif s.external_issuer and s.external_jwks_url and head.get("kid"):
            signing_key = _external_client().get_signing_key_from_jwt(token)
            claims = _decode(token, signing_key.key, EXTERNAL_ALGORITHMS, s.external_issuer,
                             s.external_audience or ADMIN_AUDIENCE)
            merchant, role = claims.get(s.external_merchant_claim), claims.get(s.external_role_claim)
        else:
            raise Unauthorized("The token was not signed by a key we trust.", code="invalid_token")
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired.", code="token_expired") from None
    except (jwt.PyJWTError, ValueError, TypeError):
        raise Unauthorized("The token is not valid.", code="invalid_token") from None
    if role not in ROLES or not isinstance(claims.get("sub"), str):
        raise Unauthorized("The token carries no valid role.", code="invalid_token")
    if role != "platform" and not isinstance(merchant, str):
        raise Unauthorized("The token names no merchant.", code="invalid_token")
    return Principal(claims["sub"], merchant if role != "platform" else None, role)


# --- the staff's Cognito user pool ---------------------------------------------------------------
# Its ID tokens (RS256, keys from the pool's JWKS) carry the merchant and role in `custom:merchant` and
# `custom:role`. Only ID tokens are taken (`token_use: id`, `aud` = the console's app client): an access
# token has no audience and no custom claims. The platform role never comes from the pool: the operator's
# tokens are the built-in issuer's (the CLI), so a pool user with `custom:role` platform is refused.

def cognito_issuer() -> str | None:
    s = settings()
    if not s.cognito_user_pool_id:
        return None
    return f"https://cognito-idp.{s.cognito_region}.amazonaws.com/{s.cognito_user_pool_id}"


def cognito_jwks_url() -> str | None:
    """The pool's public keys: under the issuer in AWS; moto (COGNITO_ENDPOINT) serves them under the pool id."""
    s, issuer = settings(), cognito_issuer()
    if issuer is None:
        return None
    if s.cognito_endpoint:
        return f"{s.cognito_endpoint}/{s.cognito_user_pool_id}/.well-known/jwks.json"
    return f"{issuer}/.well-known/jwks.json"


@lru_cache(maxsize=1)
def _cognito_client() -> "PyJWKClient":
    import jwt  # lazy: PyJWT and cryptography, +33 ms on import app

    return jwt.PyJWKClient(cognito_jwks_url() or "", cache_keys=True, lifespan=3600, timeout=3)


def _names_cognito(token: str) -> bool:
    """Whether the (not yet verified) token says the pool issued it: then only the pool's keys may verify it."""
    import jwt  # lazy: PyJWT and cryptography, +33 ms on import app

    issuer = cognito_issuer()
    if issuer is None:
        return False
    try:
        return bool(jwt.decode(token, options={"verify_signature": False}).get("iss") == issuer)
    except jwt.PyJWTError:
        return False


_cognito_refreshed: dict[str, float] = {}


def _cognito_key(token: str) -> Any:
    """The pool key that signed the token. The pool's key set is kept an hour; a kid it lacks reads it again
    (a key Cognito rotated in), at most once per UNKNOWN_KID_REFRESH seconds, so made-up kids in tokens
    that merely claim the pool's issuer cannot make every request fetch the JWKS."""
    import jwt  # lazy: PyJWT and cryptography, +33 ms on import app

    kid = jwt.get_unverified_header(token).get("kid")
    client = _cognito_client()
    keys = {key.key_id: key for key in client.get_signing_keys()}
    if kid not in keys and _clock() - _cognito_refreshed.get("at", float("-inf")) >= UNKNOWN_KID_REFRESH:
        _cognito_refreshed["at"] = _clock()
        keys = {key.key_id: key for key in client.get_signing_keys(refresh=True)}
    if not isinstance(kid, str) or kid not in keys:
        raise Unauthorized("The token was not signed by a key we trust.", code="invalid_token")
    return keys[kid].key


def _cognito_claims(token: str) -> dict[str, Any]:
    s = settings()
    claims = _decode(token, _cognito_key(token), COGNITO_ALGORITHMS, cognito_issuer() or "", s.cognito_client_id or "")
    if claims.get("token_use") != "id":
        raise Unauthorized("Send the ID token of the sign-in, not the access token.", code="invalid_token")
    return claims


# A removed member's ID token still verifies until it expires (15 minutes), so each process also reads
# the member's record, at most once per STAFF_CACHE_SECONDS per member: a removal or a role change reaches
# every process within that time, and the process that made it at once (forget_staff).
STAFF_CACHE_SECONDS = 30
_staff_seen: dict[tuple[str, str], tuple[float, "staff_store.Member | None"]] = {}


def _staff_record(merchant_id: str, staff_id: str) -> "staff_store.Member | None":
    key = (merchant_id, staff_id)
    seen = _staff_seen.get(key)
    if seen is not None and _clock() - seen[0] < STAFF_CACHE_SECONDS:
        return seen[1]
    member = staff_store.get(merchant_id, staff_id)
    if len(_staff_seen) > 10_000:  # noqa: PLR2004 - a bound on memory, far above a container's callers
        _staff_seen.clear()
    _staff_seen[key] = (_clock(), member)
    return member


def forget_staff(merchant_id: str, staff_id: str) -> None:
    _staff_seen.pop((merchant_id, staff_id), None)


def _staff_principal(claims: dict[str, Any]) -> Principal:
    merchant, role, subject = claims.get("custom:merchant"), claims.get("custom:role"), claims.get("sub")
    if role not in STAFF_ROLES or not isinstance(merchant, str) or not merchant or not isinstance(subject, str):
        raise Unauthorized("The token carries no valid role.", code="invalid_token")
    member = _staff_record(merchant, subject)
    if member is None:
        raise Unauthorized("This account is not on the merchant's staff.", code="invalid_token")
    if member.status == "disabled":
        raise Unauthorized("This account was removed from the merchant's staff.", code="account_disabled")
    email = claims.get("email") if isinstance(claims.get("email"), str) else member.email
    return Principal(subject, merchant, member.role, email)  # the record's role: a change applies at once


# --- POS request signatures ----------------------------------------------------------------------
# HMAC-SHA256(secret, "{timestamp}.{METHOD}.{path}.{body}"). Secrets are longer than SHA-256's 64-byte
# block, and HMAC (RFC 2104) hashes such keys first: HMAC(secret, m) == HMAC(SHA-256(secret), m). So we
# store only SHA-256(secret) and still verify signatures, and the secret itself is shown once and never
# kept. The stored hash can sign requests, so the table is protected like any credential store.

POS_SECRET_BYTES = 72  # 96 URL-safe characters, well over the 64-byte block
POS_WINDOW_SECONDS = 300


def new_pos_secret() -> str:
    return "sk_" + secrets.token_urlsafe(POS_SECRET_BYTES)


def pos_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def pos_signature(secret_hash_hex: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    message = f"{timestamp}.{method.upper()}.{path}.".encode() + (body or b"")
    return hmac.new(bytes.fromhex(secret_hash_hex), message, hashlib.sha256).hexdigest()
