"""The local stand-in for our API Gateway: `chalice local`, answering unknown routes as AWS does for us.
(A development tool like the other stand-ins: `*_standin.py` stays out of the Lambda bundle.)

In AWS the template's GatewayResponse for MISSING_AUTHENTICATION_TOKEN (what API Gateway answers for a
path or method no route has) is a 404 in the contract's error shape with a fixed body. Chalice's local
gateway instead mimics API Gateway's default: a 403 whose message quotes the caller's whole
Authorization header, Bearer token and all, back at them (and into any log or proxy on the way).
This wrapper makes the local gateway answer like ours. Run it with `chalice local`'s own arguments:

    python -m chalicelib.gateway_standin local --stage local --port 8000
"""
import json
import sys
from typing import Any

from chalice import local
from chalice.cli import main as chalice_main

UNKNOWN_ROUTE = {"error": {"code": "not_found", "message": "No such route."}}
# The same answer in AWS: the REST API definition's gateway responses (infra/template.py puts this under the
# RestAPI's DefinitionBody, so every deployment of the stage carries it). A fixed body: API Gateway's
# default template quotes `$context.error.messageString`, which holds the Authorization header.
GATEWAY_RESPONSES = {"MISSING_AUTHENTICATION_TOKEN": {
    "statusCode": 404,
    "responseParameters": {"gatewayresponse.header.Content-Type": "'application/json'",
                           "gatewayresponse.header.Cache-Control": "'no-store'"},
    "responseTemplates": {"application/json": json.dumps(UNKNOWN_ROUTE)}}}


class UnknownRoute(local.LocalGatewayException):
    CODE = 404


def _unknown_route() -> UnknownRoute:
    return UnknownRoute({"Content-Type": "application/json", "Cache-Control": "no-store"},
                        json.dumps(UNKNOWN_ROUTE).encode())


def answer_unknown_routes_with_404() -> None:
    """Patch chalice.local's gateway (idempotent): a request that matches no route is our 404."""
    gateway: Any = local.LocalGateway
    if getattr(gateway, "_answers_unknown_routes", False):
        return
    generate = gateway._generate_lambda_event

    def generate_or_404(self: Any, method: str, path: str, headers: dict[str, str], body: bytes | None) -> Any:
        try:
            return generate(self, method, path, headers, body)
        except ValueError:  # chalice's route matcher: no route has this path
            raise _unknown_route() from None

    gateway._generate_lambda_event = generate_or_404
    gateway._answers_unknown_routes = True


def log_routes_not_paths() -> None:
    """Patch chalice.local's request log (idempotent): it names the route, `GET /c/{card_id}/data.json 200`,
    never the path and query the caller sent. Those carry capabilities (a card link's `k`, a data link's
    `t`, an unsubscribe token), card numbers and Apple device ids in paths, and the console's customer
    search words (a name, a phone): nothing our own logs may hold. API Gateway in AWS logs no requests
    unless access logging is turned on (infra/template.py does not)."""
    handler: Any = local.ChaliceRequestHandler
    if getattr(handler, "_logs_routes", False):
        return

    def log_request(self: Any, code: Any = "-", size: Any = "-") -> None:
        path = (getattr(self, "path", "") or "").split("?", 1)[0]
        try:
            route = local.RouteMatcher(list(self.local_gateway._app_object.routes)).match_route(path).route
        except Exception:  # noqa: BLE001 - no route has this path (answered 404): say so, not what it was
            route = "(no such route)"
        self.log_message('"%s %s" %s', getattr(self, "command", "-"), route, getattr(code, "value", code))

    handler.log_request = log_request
    handler._logs_routes = True


def main() -> int:
    answer_unknown_routes_with_404()
    log_routes_not_paths()
    sys.argv = ["chalice", *sys.argv[1:]]
    return int(chalice_main() or 0)


if __name__ == "__main__":
    raise SystemExit(main())
