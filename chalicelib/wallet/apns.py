"""Apple Push Notification service for Wallet passes: an empty push on the pass type's topic tells a
device to ask our web service what changed.

HTTP/2 over TLS (httpx with h2), one client per warm container (the connection is reused across
invocations). Authentication is either the pass certificate as the TLS client certificate (Apple's
documented way) or a token: an ES256 JWT from a .p8 key, cached and renewed before Apple's hour
runs out. APNS_BASE_URL points the same client at the local stand-in.
"""
import os
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import Any

import httpx  # this module is imported only when there is a device to push to (jobs/outbox.py)

from chalicelib import secret_store
from chalicelib.config import settings
from chalicelib.wallet import apple

TOKEN_TTL = 50 * 60  # Apple refuses tokens older than an hour and renewing more often than every 20 min
EXPIRATION_SECONDS = 24 * 3600  # APNs keeps trying an offline device this long; later changes push anew


@dataclass(frozen=True)
class PushResult:
    status: int
    reason: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status == HTTPStatus.OK

    @property
    def gone(self) -> bool:
        """The device no longer wants this pass's updates: remove its registration."""
        return self.status == HTTPStatus.GONE

    @property
    def retry(self) -> bool:
        return (self.status in (HTTPStatus.TOO_MANY_REQUESTS, 0)
                or self.status >= HTTPStatus.INTERNAL_SERVER_ERROR)  # 0: no answer


class ApnsClient:
    def __init__(self, base_url: str, topic: str, *, cert: tuple[str, str] | None = None,  # noqa: PLR0913
                 token_key: Any = None, key_id: str | None = None, team_id: str | None = None,
                 verify: str | None = None, timeout: float = 5.0) -> None:
        tls = ssl.create_default_context(cafile=verify) if verify else ssl.create_default_context()
        if cert:
            tls.load_cert_chain(*cert)  # the pass certificate as the TLS client certificate
        self.topic = topic
        self._token_key, self._key_id, self._team_id = token_key, key_id, team_id
        self._token: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=base_url, http2=True, verify=tls, timeout=timeout)

    def _bearer(self) -> str:
        # lazy: only token authentication signs JWTs; PyJWT costs about 67 ms of import on top of httpx
        import jwt  # noqa: PLC0415

        with self._lock:
            if self._token is None or time.time() - self._token[0] > TOKEN_TTL:
                issued = time.time()
                signed = jwt.encode({"iss": self._team_id, "iat": int(issued)}, self._token_key, algorithm="ES256",
                                    headers={"kid": self._key_id})
                self._token = (issued, signed)
            return self._token[1]

    def push(self, device_token: str) -> PushResult:
        # A Wallet update is a background push (required on watchOS), so priority 5, with an expiry:
        # an empty payload that only asks the device to fetch the pass, so a repeat is harmless.
        headers = {"apns-topic": self.topic, "apns-push-type": "background", "apns-priority": "5",
                   "apns-expiration": str(int(time.time()) + EXPIRATION_SECONDS)}
        if self._token_key is not None:
            headers["authorization"] = f"bearer {self._bearer()}"
        try:
            response = self._http.post(f"/3/device/{device_token}", headers=headers, content=b"{}")
        except httpx.HTTPError as error:
            return PushResult(0, type(error).__name__)
        reason = None
        if response.status_code != HTTPStatus.OK:
            try:
                reason = response.json().get("reason")
            except ValueError:
                reason = response.text[:100] or None
        return PushResult(response.status_code, reason)

    def close(self) -> None:
        self._http.close()


def _secret_files() -> tuple[str, str]:
    """The pass certificate and key as files (httpx takes paths), written once per container."""
    cert_pem, key_pem, _ = apple.pem_material()
    folder = tempfile.mkdtemp(prefix="apns-")
    paths = (os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem"))
    for path, data in zip(paths, (cert_pem, key_pem), strict=True):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as handle:
            handle.write(data)
    return paths


@lru_cache(maxsize=1)
def client() -> ApnsClient:
    s = settings()
    verify = s.apns_ca_file
    if s.apns_auth == "token":
        # lazy: only token authentication reads a key (cryptography, about 60 ms of import)
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

        if s.apns_secret:
            key_pem = secret_store.read_json(s.apns_secret)["p8"].encode()
        else:
            if not s.apns_key_file:
                raise RuntimeError("APNS_AUTH=token needs APNS_KEY_FILE (local) or APNS_SECRET (AWS).")
            with open(s.apns_key_file, "rb") as handle:
                key_pem = handle.read()
        key = serialization.load_pem_private_key(key_pem, password=None)
        return ApnsClient(s.apns_base_url, s.pass_type_id, token_key=key, key_id=s.apns_key_id, team_id=s.team_id,
                          verify=verify)
    return ApnsClient(s.apns_base_url, s.pass_type_id, cert=_secret_files(), verify=verify)
