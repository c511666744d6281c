"""A local stand-in for APNs, for `make dev` and the tests: HTTP/2 over TLS (hypercorn), the real
request shape (`POST /3/device/{token}` with `apns-topic`), Apple's answers, and a log of every push.

Device tokens choose the answer, so every path can be exercised: a token starting with `gone` gets
410 Unregistered, `busy` 429 TooManyRequests, `broken` 500; anything else 200.

    python -m chalicelib.wallet.apns_standin --port 8002 --cert server.pem --key server.key --log pushes.jsonl
"""
import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

# hypercorn is a development dependency (requirements-dev.txt): stand-ins stay out of the deployed bundle
from hypercorn.asyncio import serve
from hypercorn.config import Config

ANSWERS = {"gone": (410, "Unregistered"), "busy": (429, "TooManyRequests"), "broken": (500, "InternalServerError")}


# A stand-in answers every case of the service it imitates in one place (hence C901 below).
def make_app(log_path: str | None) -> Callable[..., Awaitable[None]]:  # noqa: C901
    async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],  # noqa: C901
                  send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        path = scope["path"]
        status, reason = 200, None
        if scope["method"] != "POST" or not path.startswith("/3/device/"):
            status, reason = 404, "BadPath"
        elif not headers.get("apns-topic"):
            status, reason = 400, "MissingTopic"
        elif headers.get("apns-push-type") not in ("alert", "background"):
            status, reason = 400, "InvalidPushType"  # required on watchOS; Wallet updates are background
        elif headers.get("apns-push-type") == "background" and headers.get("apns-priority", "10") != "5":
            status, reason = 400, "BadPriority"  # a background push must have priority 5
        elif not headers.get("apns-expiration", "").isdigit():
            status, reason = 400, "BadExpirationDate"
        else:
            token = path.rsplit("/", 1)[-1]
            for prefix, answer in ANSWERS.items():
                if token.startswith(prefix):
                    status, reason = answer
        record = {"at": time.time(), "http_version": scope.get("http_version"), "path": path,
                  "topic": headers.get("apns-topic"), "bearer": headers.get("authorization", "").startswith("bearer "),
                  "payload": body.decode(errors="replace"), "status": status,
                  **{name: headers.get(name) for name in ("apns-push-type", "apns-priority", "apns-expiration")}}
        if log_path:
            with open(log_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
        print(f"APNs stand-in: {record['http_version']} {path} topic={record['topic']} -> {status}", flush=True)
        payload = json.dumps({"reason": reason}).encode() if reason else b""
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"apns-id", b"00000000-0000-0000-0000-0")]})
        await send({"type": "http.response.body", "body": payload})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="local APNs stand-in (HTTP/2 over TLS)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--log")
    args = parser.parse_args()
    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"]
    config.certfile, config.keyfile = args.cert, args.key
    config.alpn_protocols = ["h2", "http/1.1"]
    config.accesslog = None
    config.errorlog = None
    asyncio.run(serve(make_app(args.log), config))


if __name__ == "__main__":
    main()
