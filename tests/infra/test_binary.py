"""Passes and images reach every real client as bytes, JSON and HTML stay text.

API Gateway (REST, Lambda proxy integration) follows a documented rule that Chalice's test client and
local server do not reproduce, so it is modelled here on the Lambda's real answers (a proxy event into
`app.app`, its response dictionary out):
- a request body whose Content-Type matches one of the API's binaryMediaTypes reaches the Lambda
  base64-encoded (`isBase64Encoded: true`);
- a response marked `isBase64Encoded` is decoded back into bytes only when the FIRST media type of the
  request's Accept header matches one of the binaryMediaTypes (a wildcard works in those entries, not
  in the Accept: `Accept: */*` does not match `image/png`); otherwise the client receives the base64
  text. AWS's advice for browsers is the entry `*/*`, which matches every request, one without an
  Accept header too.
The binary media types are read from the template."""
import base64
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import enroll
from tests.wallet.test_apple_pass import certs, wallet  # noqa: F401 (fixtures: a development signing chain)

ROOT = Path(__file__).resolve().parents[2]
ACCEPT = {
    "safari": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "chrome": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
              "application/signed-exchange;v=b3;q=0.7",
    "chrome <img>": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    "google image fetcher": "image/*",
    "curl": "*/*",
    "wallet (no Accept)": None,
}
API_CLIENT = "application/json"


def _matches(media_type: str, pattern: str) -> bool:
    kind, _, sub = media_type.strip().lower().partition("/")
    want_kind, _, want_sub = pattern.lower().partition("/")
    return want_kind in ("*", kind) and want_sub in ("*", sub)


def _first(accept: str | None) -> str | None:
    return accept.split(",")[0].split(";")[0].strip() if accept else None


def api_gateway(app, binary_types, method, resource, path, accept=None, body=None, content_type=None, **params):
    """One request through API Gateway's proxy integration: the bytes the client receives, the status
    and the Content-Type."""
    from chalice.local import LambdaContext

    url = urlsplit(path)
    query = dict(parse_qsl(url.query))
    headers = {"Host": "abc123.execute-api.eu-central-1.amazonaws.com"}
    if accept is not None:
        headers["Accept"] = accept
    if content_type is not None:
        headers["Content-Type"] = content_type
    encoded = body is not None and content_type is not None and any(_matches(content_type.split(";")[0], t)
                                                                     for t in binary_types)
    event = {
        "resource": resource, "path": url.path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
        "pathParameters": params or None, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": f"/api{url.path}", "stage": "api",
                           "requestId": "test-request", "domainName": headers["Host"]},
        "body": (base64.b64encode(body).decode() if encoded else body.decode()) if body is not None else None,
        "isBase64Encoded": bool(encoded),
    }
    answer = app(event, LambdaContext("loyalty-prod-api", 1024))
    response_headers = {k.lower(): v for k, v in answer["headers"].items()}
    first = _first(accept)
    accepted = "*/*" in binary_types or first is not None and any(_matches(first, t) for t in binary_types)
    if answer.get("isBase64Encoded") and accepted:
        delivered = base64.b64decode(answer["body"])
    else:
        delivered = answer["body"].encode() if isinstance(answer["body"], str) else answer["body"]
    return answer["statusCode"], response_headers.get("content-type"), delivered


@pytest.fixture(scope="module")
def binary_types():
    from infra import template

    resources = template.build("prod")["Resources"]
    return resources["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-binary-media-types"]


def test_the_packaged_api_declares_these_binary_types(sam, binary_types):
    body = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert body["x-amazon-apigateway-binary-media-types"] == binary_types == ["*/*"]
    # with "*/*" a MOCK integration (Chalice's CORS preflight) would answer 500 without contentHandling
    integrations = [operation["x-amazon-apigateway-integration"] for path in body["paths"].values()
                    for operation in path.values() if "x-amazon-apigateway-integration" in operation]
    assert integrations and {i["type"] for i in integrations} == {"aws_proxy"}


def test_a_pass_reaches_every_client_as_bytes(client, program, wallet, binary_types):  # noqa: F811
    import app

    card = enroll(client)
    path = urlsplit(card["apple_pass_url"])
    for name, accept in ACCEPT.items():
        if accept == "image/*":
            continue  # an image fetcher asks for images, not passes
        status, kind, delivered = api_gateway(app.app, binary_types, "GET", "/c/{card_id}/pass.pkpass",
                                              f"{path.path}?{path.query}", accept, card_id=card["card_id"])
        assert status == 200 and kind == "application/vnd.apple.pkpass", name
        with zipfile.ZipFile(io.BytesIO(delivered)) as archive:  # the signed archive, not base64 text
            assert json.loads(archive.read("pass.json"))["serialNumber"] == card["card_id"], name
            assert {"manifest.json", "signature"} <= set(archive.namelist()), name


def test_an_image_reaches_every_client_as_the_files_bytes(client, binary_types):
    import app

    logo = (ROOT / "passes" / "default" / "logo.png").read_bytes()
    for name, accept in ACCEPT.items():
        status, kind, delivered = api_gateway(app.app, binary_types, "GET", "/static/passes/{design}/{name}",
                                              "/static/passes/default/logo.png", accept,
                                              design="default", name="logo.png")
        assert (status, kind) == (200, "image/png"), (name, delivered[:200])
        assert delivered == logo, name


def test_json_and_html_answers_stay_text(client, program, binary_types):
    import app

    slug = program["slug"]
    form = json.dumps({"name": "Anna", "phone": "+79160000009", "consent": True}).encode()
    for accept in (API_CLIENT, ACCEPT["curl"], None):
        phone = f"+7916000{len(accept or ''):04d}"
        data = json.dumps({"name": "Anna", "phone": phone, "consent": True}).encode()
        status, kind, delivered = api_gateway(app.app, binary_types, "POST", "/join/{slug}", f"/join/{slug}", accept,
                                              body=data, content_type="application/json", slug=slug)
        assert status == 201 and kind.startswith("application/json"), delivered
        assert json.loads(delivered)["card_number"]  # the request body arrived base64 and was read
    status, kind, delivered = api_gateway(app.app, binary_types, "POST", "/join/{slug}", f"/join/{slug}",
                                          API_CLIENT, body=form, content_type="application/json", slug=slug)
    assert status == 201
    status, _, delivered = api_gateway(app.app, binary_types, "POST", "/join/{slug}", f"/join/{slug}",
                                       API_CLIENT, body=form, content_type="application/json", slug=slug)
    assert status == 409 and json.loads(delivered)["error"]["code"] == "already_enrolled"
    for name in ("safari", "chrome"):
        status, kind, delivered = api_gateway(app.app, binary_types, "GET", "/join/{slug}", f"/join/{slug}",
                                              ACCEPT[name], slug=slug)
        assert status == 200 and kind.startswith("text/html") and b"<form" in delivered, name


def test_the_model_tells_the_old_binary_types_apart(client, program, wallet):  # noqa: F811
    """Only the pass and PNG types (as before): Safari's first Accept type is text/html, so API
    Gateway hands it the base64 text. The rule above is what makes the difference."""
    import app

    card = enroll(client)
    path = urlsplit(card["apple_pass_url"])
    _, _, delivered = api_gateway(app.app, ["application/vnd.apple.pkpass", "image/png"], "GET",
                                  "/c/{card_id}/pass.pkpass", f"{path.path}?{path.query}", ACCEPT["safari"],
                                  card_id=card["card_id"])
    assert not delivered.startswith(b"PK") and base64.b64decode(delivered)[:2] == b"PK"
