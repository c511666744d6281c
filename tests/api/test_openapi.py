"""The OpenAPI description cannot drift from the code: every route Chalice registers is described with
the same methods and nothing else is, and the document is valid OpenAPI 3.1, served at /openapi.json
without a token."""
import json

from openapi_spec_validator import validate

from app import app
from chalicelib.api import openapi

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _described() -> dict:
    return {path: {method.upper() for method in item if method in _METHODS}
            for path, item in openapi.document()["paths"].items()}


def _drift(routes: dict) -> tuple[list, list]:
    """(registered but not described, described but not registered), as 'METHOD /path'."""
    described = _described()
    registered = {path: set(methods) for path, methods in routes.items()}
    missing = sorted(f"{method} {path}" for path, methods in registered.items()
                     for method in methods - described.get(path, set()))
    stale = sorted(f"{method} {path}" for path, methods in described.items()
                   for method in methods - registered.get(path, set()))
    return missing, stale


def test_every_registered_route_is_described_with_its_methods():
    missing, stale = _drift(app.routes)
    assert not missing, f"routes not described (add them to chalicelib/api/openapi_document.py): {missing}"
    assert not stale, f"described in chalicelib/api/openapi_document.py but not registered on the app: {stale}"


def test_a_new_route_or_method_is_named():
    routes = {path: set(methods) for path, methods in app.routes.items()}
    routes["/admin/outbox/parked"] = {"GET"}
    routes["/pos/quote"] = routes["/pos/quote"] | {"PUT"}
    del routes["/telegram/webhook"]
    assert _drift(routes) == (["GET /admin/outbox/parked", "PUT /pos/quote"], ["POST /telegram/webhook"])


def test_the_document_is_valid_openapi_3_1():
    document = openapi.document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_operation_describes_its_errors_in_the_contracts_shape():
    for path, item in openapi.document()["paths"].items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for status, answer in operation["responses"].items():
                if status.startswith("4") and "application/json" in answer.get("content", {}):
                    schema = answer["content"]["application/json"]["schema"]
                    if "moysklad" in operation["tags"] and status not in ("413", "415"):  # MoySklad's protocol
                        assert schema["required"] == ["errors"], (method, path, status)
                    else:
                        assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
                if status in ("429", "503"):
                    assert "Retry-After" in answer["headers"], (method, path)
                if status == "429":
                    assert answer["headers"]["Retry-After"]["required"], (method, path)


def test_served_publicly_and_cached(client):
    first = client.http.get("/openapi.json")
    assert first.status_code == 200
    assert first.headers["Content-Type"].startswith("application/json")
    assert json.loads(first.body) == json.loads(json.dumps(openapi.document()))
    assert openapi.document_text() is openapi.document_text()  # built once per process
