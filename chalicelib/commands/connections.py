"""Connecting a program to a shop's or till's webhooks: `PUT /admin/programs/{id}/integrations/{provider}`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.core import validation as v
from chalicelib.errors import NotFound

PROVIDERS = ("square", "shopify", "evotor", "tilda")
FORM_FIELDS = ("name", "phone", "email", "birthday")
SEND_LINK = ("auto", "sms", "email", "none")
_URL = r"https://[^\s]{4,490}"


@dataclass(frozen=True)
class Connect:
    """What an owner gives us for one provider. `signing_key`: Square's webhook signature key or Shopify's
    app secret (kept sealed; both are needed raw to compute their HMACs). `notification_url`: the URL as
    registered in Square's dashboard (Square signs it with the body). `fields`: a web form's field names
    (Tilda), our field -> theirs. `send_link`: how a member who joined by a form gets the card link."""

    provider: str
    signing_key: str | None = None
    notification_url: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    send_link: str = "auto"


def read_provider(name: str) -> str:
    if name not in PROVIDERS:
        raise NotFound("No such integration.", code="unknown_provider", field="provider")
    return name


def read_connect(provider: str, data: dict[str, Any]) -> Connect:
    provider = read_provider(provider)
    if provider == "square":
        v.reject_unknown(data, {"signature_key", "notification_url"})
        return Connect(provider, v.read_str(data, "signature_key", required=True, max_len=200, strip=False),
                       v.read_str(data, "notification_url", max_len=500, pattern=_URL))
    if provider == "shopify":
        v.reject_unknown(data, {"secret"})
        return Connect(provider, v.read_str(data, "secret", required=True, max_len=200, strip=False))
    if provider == "tilda":
        v.reject_unknown(data, {"fields", "send_link"})
        raw = v.read_object(data, "fields") or {}
        v.reject_unknown(raw, FORM_FIELDS, "fields")
        names = {name: v.read_str(raw, name, prefix="fields", required=True, max_len=100) for name in raw}
        return Connect(provider, fields=names, send_link=v.read_str(data, "send_link", default="auto",
                                                                    choices=SEND_LINK))
    v.reject_unknown(data, set())
    return Connect(provider)
