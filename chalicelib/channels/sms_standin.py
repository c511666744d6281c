"""A local stand-in for the SMS gateway (SMS.ru's `POST /sms/send`, see chalicelib.channels.sms), for
`make dev` and the tests: it checks the api_id, answers like the gateway, prints each message (so a
developer reads the code in .local/logs/sms.log) and keeps them (GET /standin/sent).

    python -m chalicelib.channels.sms_standin --port 8005 --api-id local-sms-api-id
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from chalicelib import http_standin


def make_handler(api_id: str, sent: list[dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            if self.path == "/standin/sent":
                return self._answer(200, {"sent": sent})
            self._answer(404, {"status": "ERROR", "status_code": 404, "status_text": "Not found"})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.split("?")[0] != "/sms/send":
                return self._answer(404, {"status": "ERROR", "status_code": 404, "status_text": "Not found"})
            form = {name: values[0] for name, values in parse_qs(raw.decode("utf-8", "replace")).items()}
            if form.get("api_id") != api_id:
                return self._answer(200, {"status": "ERROR", "status_code": 200, "status_text": "Wrong api_id"})
            to, text = form.get("to", ""), form.get("msg", "")
            if not to.isdigit() or not text:
                return self._answer(200, {"status": "OK", "status_code": 100, "sms": {
                    to: {"status": "ERROR", "status_code": 202, "status_text": "Wrong recipient or empty text"}}})
            sent.append({"to": to, "text": text, "from": form.get("from")})
            sms_id = f"standin-{len(sent)}"
            print(f"SMS stand-in: to +{to}: {text}", flush=True)
            self._answer(200, {"status": "OK", "status_code": 100, "balance": 0,
                               "sms": {to: {"status": "OK", "status_code": 100, "sms_id": sms_id}}})

    return Handler


def serve(port: int, api_id: str) -> tuple[ThreadingHTTPServer, list]:
    sent: list[dict[str, Any]] = []
    return http_standin.start(port, make_handler(api_id, sent)), sent


def main() -> None:
    parser = argparse.ArgumentParser(description="local SMS gateway stand-in")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-id", required=True)
    args = parser.parse_args()
    server, _ = serve(args.port, args.api_id)
    http_standin.run_until_interrupted(server)


if __name__ == "__main__":
    main()
