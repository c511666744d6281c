"""What every site answers besides its routes: the icon browsers ask for, and unknown paths."""
import json

import pytest

from chalicelib import gateway_standin

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvd25lciJ9.c2lnbmF0dXJl"  # a Bearer token's shape


def test_the_favicon_is_a_long_cached_icon(client):
    response = client.http.get("/favicon.ico", headers={"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert "max-age=" in response.headers["Cache-Control"]
    icon = response.body
    assert icon.startswith(b"\x89PNG\r\n\x1a\n") and icon[16:24] == bytes([0, 0, 0, 32, 0, 0, 0, 32])  # 32x32
    assert len(icon) < 1024


def test_the_pages_point_at_the_favicon_and_allow_it(client, program):
    page = client.http.get("/join/coffee")
    assert '<link rel="icon" href="/favicon.ico">' in page.body.decode()
    assert "img-src data: 'self'" in page.headers["Content-Security-Policy"]


@pytest.fixture
def gateway(monkeypatch):
    """chalice's local gateway as `python -m chalicelib.gateway_standin` runs it (the test client uses it too)."""
    from chalice import local

    monkeypatch.setattr(local.LocalGateway, "_generate_lambda_event", local.LocalGateway._generate_lambda_event)
    monkeypatch.setattr(local.LocalGateway, "_answers_unknown_routes", False, raising=False)
    gateway_standin.answer_unknown_routes_with_404()


@pytest.mark.parametrize("method, path", [("GET", "/no/such/route"), ("POST", "/admin/nothing"),
                                          ("GET", "/join/coffee/extra/parts")])
def test_an_unknown_route_is_404_and_never_echoes_the_token(client, gateway, method, path):
    response = client.http.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert json.loads(response.body) == {"error": {"code": "not_found", "message": "No such route."}}
    assert TOKEN not in response.body.decode() and TOKEN not in json.dumps(dict(response.headers))


def test_aws_answers_unknown_routes_with_the_same_fixed_body():
    missing = gateway_standin.GATEWAY_RESPONSES["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == 404
    assert json.loads(missing["responseTemplates"]["application/json"]) == gateway_standin.UNKNOWN_ROUTE
    assert "$context" not in json.dumps(missing)  # nothing of the request is quoted back
