"""A program's connections to shops and tills (Square, Shopify, Evotor, Tilda): connecting, listing,
disconnecting, and the keys the providers check webhooks with.

Square and Shopify sign with HMAC-SHA256 under a key they issue, so we need that key itself, not a hash:
it is sealed with AES-GCM under the platform's integrations key (`INTEGRATIONS_SECRET` in Secrets
Manager in AWS; a file under `.local/keys/` locally), bound to the program and provider (the associated
data), and opened only to check a signature. It is never logged and never answered. Evotor's token and a
Tilda form's hook secret are ours: issued once, shown once, and only their SHA-256 is kept."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Any, TypedDict

from chalicelib import log, secret_store
from chalicelib.commands.connections import Connect
from chalicelib.config import settings
from chalicelib.errors import NotFound, Unauthorized
from chalicelib.store import integrations as store
from chalicelib.store import programs as program_store
from chalicelib.store.integrations import ConnectionItem
from chalicelib.store.records import Program

KEY_BYTES = 32


class ConnectionView(TypedDict, total=False):
    provider: str
    program_id: str
    webhook_url: str
    created_at: str
    options: dict[str, Any]
    secret: str  # Evotor's token or the form hook's secret: in the answer to connecting, once


# --- the integrations key and sealing ---------------------------------------------------------------

@lru_cache(maxsize=1)
def _key() -> bytes:
    config = settings()
    if config.integrations_key:
        return _decoded(config.integrations_key)
    if config.integrations_secret:
        return _decoded(str(secret_store.read_json(config.integrations_secret)["key"]))
    path = config.integrations_key_file
    if not path:
        raise RuntimeError("no integrations key: set INTEGRATIONS_SECRET (or INTEGRATIONS_KEY)")
    if not os.path.exists(path):  # the local stack and the tests make their own
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "x", encoding="ascii") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode())
    with open(path, encoding="ascii") as handle:
        return _decoded(handle.read().strip())


def _decoded(text: str) -> bytes:
    key = base64.b64decode(text)
    if len(key) != KEY_BYTES:
        raise RuntimeError("the integrations key must be 32 bytes (base64)")
    return key


def reset_key() -> None:
    _key.cache_clear()


def _aead() -> Any:
    # lazy: cryptography, +12 ms on import app (as auth.py measured); only connecting and a shop's event seal or open
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(_key())


def seal(secret: str, program_id: str, provider: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _aead().encrypt(nonce, secret.encode(), f"{program_id}#{provider}".encode())
    return "v1." + base64.b64encode(nonce + sealed).decode()


def unseal(sealed: str, program_id: str, provider: str) -> bytes:
    raw = base64.b64decode(sealed.removeprefix("v1."))
    return bytes(_aead().decrypt(raw[:12], raw[12:], f"{program_id}#{provider}".encode()))


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- admin: connect, list, disconnect -----------------------------------------------------------------

def webhook_url(program: Program, provider: str, secret: str | None = None) -> str:
    base = settings().public_base_url
    if provider == "tilda":
        return f"{base}/integrations/tilda/{program.program_id}/{secret or '<secret>'}"
    return f"{base}/integrations/{provider}/events?program={program.program_id}"


def connect(program: Program, command: Connect, actor: str | None, now: datetime) -> ConnectionView:
    """Connect a provider to the program (again: the old key stops working at once)."""
    issued = None
    options: dict[str, Any] = {}
    sealed = hashed = None
    if command.provider in ("square", "shopify"):
        assert command.signing_key is not None  # the command requires it for these two
        sealed = seal(command.signing_key, program.program_id, command.provider)
        if command.provider == "square":
            options["notification_url"] = command.notification_url or webhook_url(program, "square")
    else:
        issued = secrets.token_urlsafe(24)
        hashed = secret_hash(issued)
        if command.provider == "tilda":
            options = {"fields": dict(command.fields), "send_link": command.send_link}
    item = store.put(program_id=program.program_id, merchant_id=program.merchant_id, provider=command.provider,
                     sealed_secret=sealed, secret_hash=hashed, options=options, created_by=actor, now=now)
    log.info("integration_connected", program_id=program.program_id, provider=command.provider)
    view = _view(program, item)
    if issued:
        view["secret"] = issued
        if command.provider == "tilda":
            view["webhook_url"] = webhook_url(program, "tilda", issued)
    return view


def _view(program: Program, item: ConnectionItem) -> ConnectionView:
    return {"provider": item.provider, "program_id": item.program_id,
            "webhook_url": item.options.get("notification_url") or webhook_url(program, item.provider),
            "created_at": item.created_at, "options": {k: v for k, v in item.options.items()
                                                       if k != "notification_url"}}


def list_for(program: Program) -> list[ConnectionView]:
    return [_view(program, item) for item in store.list_for_program(program.program_id)]


def disconnect(program: Program, provider: str) -> None:
    if not store.delete(program.program_id, provider):
        raise NotFound("This integration is not connected.", code="not_connected", field="provider")
    log.info("integration_disconnected", program_id=program.program_id, provider=provider)


# --- webhooks: whose is this? -------------------------------------------------------------------------

def _unknown() -> Unauthorized:
    return Unauthorized("This program has no such integration connected.", code="unknown_connection")


def connected(program_id: str | None, provider: str) -> tuple[Program, ConnectionItem]:
    """The program a webhook names (`?program=`) and its connection to the provider, or 401."""
    if not program_id or len(program_id) > 64:
        raise _unknown()
    item = store.get(program_id, provider)
    program = program_store.get(program_id) if item else None
    if item is None or program is None or program.status != "active":
        raise _unknown()
    return program, item


def signing_key(item: ConnectionItem) -> bytes:
    if not item.sealed_secret:
        raise _unknown()
    return unseal(item.sealed_secret, item.program_id, item.provider)


def check_issued(item: ConnectionItem, presented: str) -> None:
    """A secret we issued (Evotor's token, a form hook's), compared in constant time by its hash."""
    if not item.secret_hash or not hmac.compare_digest(secret_hash(presented), item.secret_hash):
        raise Unauthorized("Wrong token.", code="bad_token")
