"""A local stand-in for the Telegram Bot API (sendMessage, sendPhoto), for `make dev` and the tests:
it checks the bot token in the path, answers like Telegram, and keeps what was sent (GET /standin/sent).
`PUT /standin/slow {"seconds", "count"}` makes the next sends late: taken, but answered after a delay.

    python -m chalicelib.channels.telegram_standin --port 8004 --token 1:local-bot-token
"""
import argparse
import contextlib
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalicelib import http_standin


# A stand-in answers every case of the service it imitates in one place (hence C901).
def make_handler(token: str, sent: list[dict[str, Any]]) -> type[BaseHTTPRequestHandler]:  # noqa: C901
    slow: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the caller stopped waiting
                self.wfile.write(raw)

        def do_PUT(self) -> None:
            if self.path == "/standin/slow":  # the next `count` sends are taken, then answered after `seconds`
                spec = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                slow.extend([float(spec.get("seconds", 10))] * int(spec.get("count", 1)))
                return self._answer(200, {"ok": True})
            self._answer(404, {"ok": False, "description": "Not Found"})

        def do_GET(self) -> None:
            if self.path == "/standin/sent":
                return self._answer(200, {"sent": sent})
            self._answer(404, {"ok": False, "description": "Not Found"})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = self.path.strip("/").split("/")
            if len(parts) != 2 or parts[0] != f"bot{token}":
                return self._answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            method = parts[1]
            if method == "sendMessage":
                data = json.loads(raw or b"{}")
                record = {"method": method, "chat_id": data.get("chat_id"), "text": data.get("text"),
                          "reply_markup": data.get("reply_markup")}
            elif method == "sendPhoto":
                kind = self.headers.get("Content-Type", "")
                record = {"method": method, "multipart": kind.startswith("multipart/form-data"),
                          "png": b"\x89PNG" in raw, "bytes": len(raw)}
            else:
                return self._answer(404, {"ok": False, "description": "Not Found: method not found"})
            sent.append(record)
            print(f"Telegram stand-in: {method} {record.get('chat_id', '')}", flush=True)
            if slow:  # Telegram has it, but the answer is late (the sender's read timeout fires)
                time.sleep(slow.pop(0))
            self._answer(200, {"ok": True, "result": {"message_id": len(sent)}})

    return Handler


def serve(port: int, token: str) -> tuple[ThreadingHTTPServer, list]:
    sent: list[dict[str, Any]] = []
    return http_standin.start(port, make_handler(token, sent)), sent


def main() -> None:
    parser = argparse.ArgumentParser(description="local Telegram Bot API stand-in")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    server, _ = serve(args.port, args.token)
    http_standin.run_until_interrupted(server)


if __name__ == "__main__":
    main()
