"""What the local HTTP stand-ins (SMS, Telegram, Google) share: serving on loopback in a daemon thread,
and running as a `make dev` child until interrupted. Dev-only: named `*_standin.py`, so the deployment
bundle leaves it out like the stand-ins themselves."""
import threading
from http.server import ThreadingHTTPServer


def start(port: int, handler) -> ThreadingHTTPServer:
    """Serve `handler` on 127.0.0.1:`port` in the background; the caller keeps the server to stop it."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_until_interrupted(server: ThreadingHTTPServer) -> None:
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()
