"""What the intake tests share: connecting a provider through the admin API, signing like the providers."""
import base64
import hashlib
import hmac
import json

import pytest

from tests.conftest import bearer, body

SQUARE_KEY = "sq-signature-key-123"
SHOPIFY_SECRET = "shpss_app_secret_456"


def connect(client, merchant, program_id, provider, data=None):
    response = client.http.put(f"/admin/programs/{program_id}/integrations/{provider}", headers=bearer(merchant),
                               body=json.dumps(data or {}))
    assert response.status_code == 201, response.body
    return body(response)


def b64_hmac(key: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


@pytest.fixture
def texts(monkeypatch):
    """SMS the card-link sender would send: [(phone, text)]."""
    sent = []
    from chalicelib.channels import sms

    monkeypatch.setattr(sms, "send", lambda phone, text: sent.append((phone, text)) or "1")
    return sent
