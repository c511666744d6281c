"""The local API server as `make dev` should run it (`python -m chalicelib.gateway_standin local ...`): an
unknown route is our 404 and never echoes the caller's token, as the AWS template's GatewayResponse makes it."""
import json
import os
import subprocess
import sys
import time

import pytest
from chalice import local

import app
from chalicelib import gateway_standin
from tests.e2e.stack import ROOT, free_port, port_in_use, request

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvd25lciIsInJvbGUiOiJvd25lciJ9.c2lnbmF0dXJlLXNlY3JldA"


@pytest.fixture
def api(tmp_path):
    port = free_port()
    env = {**os.environ, "LOCAL_DIR": str(tmp_path), "STAGE": "local"}
    process = subprocess.Popen([sys.executable, "-m", "chalicelib.gateway_standin", "local", "--stage", "local",
                                "--no-autoreload", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not port_in_use(port):
        assert process.poll() is None and time.monotonic() < deadline, process.stdout.read().decode()
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    output = process.communicate(timeout=10)[0].decode(errors="replace")
    assert TOKEN not in output  # nor in the server's own log


@pytest.mark.parametrize("method, path", [("GET", "/no/such/route"), ("POST", "/admin/nothing"),
                                          ("GET", "/c/x/y/z")])
def test_an_unknown_route_is_our_404_without_the_token(api, method, path):
    status, headers, answer = request(method, f"{api}{path}", data=b"{}" if method == "POST" else None,
                                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 404
    assert json.loads(answer) == {"error": {"code": "not_found", "message": "No such route."}}
    assert TOKEN not in answer.decode() and TOKEN not in json.dumps(headers)


def test_the_favicon_answers(api):
    status, headers, icon = request("GET", f"{api}/favicon.ico")
    assert status == 200 and headers["Content-Type"] == "image/png" and icon.startswith(b"\x89PNG")


def test_the_local_gateways_request_log_names_routes_never_paths_or_queries():
    """The card link's key, a data link's token, a card number in a path and the console's search words
    never reach the local stack's request log: it names the route."""
    gateway_standin.log_routes_not_paths()
    lines = []

    class Handler:  # what log_request reads of chalice.local's handler
        command = "GET"
        local_gateway = type("Gateway", (), {"_app_object": app.app})()

        def log_message(self, form, *args):
            lines.append(form % args)

    for path in ("/c/c_abc/data.json?t=s3cr3t-token", "/pos/cards/864374962305",
                 "/admin/programs/p_1/cards?q=%2B79161234519", "/no/such/route?k=key"):
        handler = Handler()
        handler.path = path
        local.ChaliceRequestHandler.log_request(handler, 200)
    assert lines == ['"GET /c/{card_id}/data.json" 200', '"GET /pos/cards/{number}" 200',
                     '"GET /admin/programs/{program_id}/cards" 200', '"GET (no such route)" 200']
