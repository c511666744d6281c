"""A local stand-in for Google Wallet, for `make dev` and the tests: the OAuth token endpoint (it checks
the JWT-bearer assertion against the service account's public key), the walletobjects resources our
client uses (loyaltyClass, loyaltyObject, addMessage with Google's 3-per-24-hours notification quota),
Google-shaped errors, and the callback side: its own root key at /keys and a signer for save/delete
callbacks (POST /standin/callback), so the whole flow runs offline.

Test controls: POST /standin/fail {"status": 503, "count": 2} fails the next calls; GET /standin/state;
POST /standin/allowlist {"merchant_locations": true} allowlists the issuer for merchantLocations, which
Google, like the stand-in, refuses from an issuer it has not allowlisted (start with
--merchant-locations-allowlisted to begin allowlisted).

    python -m chalicelib.wallet.google_standin --port 8003 --service-account sa.json --issuer 3388000000012345
"""
import argparse
import base64
import json
import secrets
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chalicelib import http_standin

TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
NOTIFY_PER_DAY = 3  # Google's TEXT_AND_NOTIFY quota per object
MAX_MESSAGES = 10  # messages an object holds
ITEM, ITEM_ACTION = 2, 3  # path parts: resource/id, resource/id/action
MAX_MERCHANT_LOCATIONS = 10  # Google: "a maximum of ten on the object" (and ten on the class)
NOT_ALLOWLISTED = "Issuer not allowlisted for Merchant Locations. Please contact support."  # Google's words


def merchant_locations_fault(body: dict[str, Any], allowlisted: bool) -> str | None:
    """Why Google would refuse a class or object body's merchantLocations (None: it would take them):
    the issuer not allowlisted, more than ten, or a point that is not a latitude/longitude in range."""
    if "merchantLocations" not in body:
        return None
    if not allowlisted:
        return NOT_ALLOWLISTED
    places = body["merchantLocations"]
    if not isinstance(places, list) or len(places) > MAX_MERCHANT_LOCATIONS:
        return f"merchantLocations: at most {MAX_MERCHANT_LOCATIONS}"
    for place in places:
        latitude, longitude = (_number(place.get(key)) if isinstance(place, dict) else None
                               for key in ("latitude", "longitude"))
        if latitude is None or longitude is None:
            return "merchantLocations: latitude and longitude are numbers"
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # noqa: PLR2004 (degrees)
            return "merchantLocations: latitude or longitude out of range"
    return None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _refusal(method: str, body: dict[str, Any], state: "State") -> tuple[int, dict] | None:
    """Google's answer to a class or object write it refuses for its merchantLocations (None: none)."""
    fault = merchant_locations_fault(body, state.merchant_locations) if method in ("POST", "PATCH") else None
    if fault is None:
        return None
    return _error(400, "invalidResource" if fault == NOT_ALLOWLISTED else "invalidArgument", fault)


def new_service_account(token_uri: str, email: str = "wallet@loyalty-local.iam.gserviceaccount.com") -> dict:
    """A service-account file like the one Google's console downloads, with a fresh RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "loyalty-local", "private_key_id": secrets.token_hex(20),
            "private_key": pem, "client_email": email, "client_id": "1", "token_uri": token_uri}


def _lp(*parts: str) -> bytes:
    return b"".join(struct.pack("<I", len(p.encode())) + p.encode() for p in parts)


class State:
    def __init__(self, service_account: dict[str, Any], issuer_id: str, merchant_locations: bool = False) -> None:
        self.issuer_id = issuer_id
        self.merchant_locations = merchant_locations  # allowlisted for merchantLocations (Google: by request)
        self.account = service_account
        private_key = serialization.load_pem_private_key(service_account["private_key"].encode(), password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValueError("a service account's key is RSA")
        self.public_key = private_key.public_key()
        self.tokens: dict[str, float] = {}
        self.resources: dict[str, dict] = {"loyaltyClass": {}, "loyaltyObject": {}}
        self.messages: dict[str, list] = {}
        self.fail: list[int] = []
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.root = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = ec.generate_private_key(ec.SECP256R1())

    def allowlist(self, spec: dict[str, Any]) -> dict[str, Any]:
        """POST /standin/allowlist {"merchant_locations": true}: as Google's support does on request."""
        self.merchant_locations = bool(spec.get("merchant_locations"))
        return {"merchant_locations": self.merchant_locations}

    @staticmethod
    def _spki(key) -> str:
        return base64.b64encode(key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()

    def root_keys(self) -> dict:
        return {"keys": [{"keyValue": self._spki(self.root), "protocolVersion": "ECv2SigningOnly"}]}

    def signed_callback(self, object_id: str, event_type: str, nonce: str | None = None,
                        expires_in_ms: int = 60_000) -> dict:
        """A callback body as Google signs it (ECv2SigningOnly, sender GooglePayPasses)."""
        now_ms = int(time.time() * 1000)
        signed_key = json.dumps({"keyValue": self._spki(self.intermediate), "keyExpiration": str(now_ms + 3600_000)})
        key_signature = self.root.sign(_lp("GooglePayPasses", "ECv2SigningOnly", signed_key), ec.ECDSA(hashes.SHA256()))
        class_id = object_id.rsplit(".", 1)[0]
        message = json.dumps({"classId": class_id, "objectId": object_id, "expTimeMillis": now_ms + expires_in_ms,
                              "eventType": event_type, "nonce": nonce or secrets.token_hex(8)})
        signature = self.intermediate.sign(_lp("GooglePayPasses", self.issuer_id, "ECv2SigningOnly", message),
                                           ec.ECDSA(hashes.SHA256()))
        return {"signature": base64.b64encode(signature).decode(), "protocolVersion": "ECv2SigningOnly",
                "intermediateSigningKey": {"signedKey": signed_key,
                                           "signatures": [base64.b64encode(key_signature).decode()]},
                "signedMessage": message}


def _error(status: int, reason: str, message: str) -> tuple[int, dict]:
    return status, {"error": {"code": status, "message": message,
                              "errors": [{"domain": "walletobjects", "reason": reason, "message": message}]}}


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:  # noqa: C901 (a stand-in answers every case of the service it imitates in one place)
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: dict[str, Any] | None) -> None:
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PATCH(self) -> None:
            self._route("PATCH")

        def _route(self, method: str) -> None:
            path = urlparse(self.path).path
            raw = self._body()
            with state.lock:
                state.calls.append((method, path))
                status, body = self._handle(method, path, raw)
            self._send(status, body)

        def _handle(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:  # noqa: C901, PLR0911, PLR0912
            if path == "/keys":
                return 200, state.root_keys()
            if path == "/standin/state":
                return 200, {"resources": state.resources, "messages": state.messages, "calls": state.calls}
            if path == "/standin/fail":
                spec = json.loads(raw or b"{}")
                state.fail.extend([int(spec.get("status", 503))] * int(spec.get("count", 1)))
                return 200, {}
            if path == "/standin/allowlist":
                return 200, state.allowlist(json.loads(raw or b"{}"))
            if path == "/standin/callback":
                spec = json.loads(raw or b"{}")
                return 200, state.signed_callback(spec["objectId"], spec.get("eventType", "save"), spec.get("nonce"))
            if path == "/token":
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                    return 400, {"error": "unsupported_grant_type"}
                try:
                    claims = jwt.decode(form.get("assertion", ""), state.public_key, algorithms=["RS256"],
                                        audience=TOKEN_AUDIENCE, options={"require": ["exp", "iat", "iss"]})
                except jwt.PyJWTError as error:
                    return 400, {"error": "invalid_grant", "error_description": str(error)}
                if claims.get("iss") != state.account["client_email"] or claims.get("scope") != SCOPE:
                    return 400, {"error": "invalid_scope"}
                token = secrets.token_urlsafe(24)
                state.tokens[token] = time.time() + 3600
                return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
            prefix = "/walletobjects/v1/"
            if not path.startswith(prefix):
                return _error(404, "notFound", "No such endpoint")
            bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if state.tokens.get(bearer, 0) < time.time():
                return _error(401, "authError", "Request had invalid authentication credentials.")
            if state.fail:
                status = state.fail.pop(0)
                reason = {429: "rateLimitExceeded", 403: "permissionDenied"}.get(status, "backendError")
                return _error(status, reason, "Simulated failure")
            parts = path[len(prefix):].split("/")
            kind = parts[0]
            if kind not in state.resources:
                return _error(404, "notFound", "No such resource type")
            table = state.resources[kind]
            body = json.loads(raw) if raw else {}
            refused = _refusal(method, body, state)
            if refused is not None:
                return refused
            if len(parts) == 1 and method == "POST":
                if body.get("id") in table:
                    return _error(409, "resourceAlreadyExists", "Resource already exists")
                if not str(body.get("id", "")).startswith(state.issuer_id + "."):
                    return _error(400, "invalidResource", "Invalid resource ID")
                if kind == "loyaltyObject" and body.get("classId") not in state.resources["loyaltyClass"]:
                    return _error(400, "invalidResource", "Invalid class ID")
                table[body["id"]] = body
                return 200, body
            resource_id = parts[1] if len(parts) > 1 else ""
            if resource_id not in table:
                return _error(404, "resourceNotFound", "Resource not found")
            if len(parts) == ITEM and method == "GET":
                return 200, table[resource_id]
            if len(parts) == ITEM and method == "PATCH":
                table[resource_id].update(body)
                return 200, table[resource_id]
            if len(parts) == ITEM_ACTION and parts[2] == "addMessage" and method == "POST":
                message = body.get("message", {})
                sent = state.messages.setdefault(resource_id, [])
                recent = [m for m in sent if m["messageType"] == "TEXT_AND_NOTIFY" and m["at"] > time.time() - 86400]
                if message.get("messageType") == "TEXT_AND_NOTIFY" and len(recent) >= NOTIFY_PER_DAY:
                    return _error(400, "quotaExceeded", "QuotaExceededException: 3 notifications per 24 hours")
                held = table[resource_id].setdefault("messages", [])
                if len(held) >= MAX_MESSAGES:  # Google: an object holds at most 10 messages
                    return _error(400, "invalidArgument", "messages: at most 10 per object")
                sent.append({**message, "at": time.time()})
                held.append(message)
                return 200, {"resource": table[resource_id]}
            return _error(400, "badRequest", "Unsupported call")

    return Handler


def serve(port: int, service_account: dict, issuer_id: str,
          merchant_locations: bool = False) -> tuple[ThreadingHTTPServer, State]:
    state = State(service_account, issuer_id, merchant_locations)
    return http_standin.start(port, make_handler(state)), state


def main() -> None:
    parser = argparse.ArgumentParser(description="local Google Wallet stand-in")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--service-account", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--merchant-locations-allowlisted", action="store_true",
                        help="take merchantLocations (Google allowlists issuers for them on request)")
    args = parser.parse_args()
    with open(args.service_account, encoding="utf-8") as handle:
        account = json.load(handle)
    server, _ = serve(args.port, account, args.issuer, args.merchant_locations_allowlisted)
    print(f"Google Wallet stand-in on http://127.0.0.1:{args.port}", flush=True)
    http_standin.run_until_interrupted(server)


if __name__ == "__main__":
    main()
