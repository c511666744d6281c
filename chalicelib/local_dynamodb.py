"""The local DynamoDB endpoint: moto's server, one request at a time.

Real DynamoDB applies every request atomically: a TransactWriteItems either happens whole or not at
all, and no other request sees half of it. moto's own server handles requests on many threads and its
transactions check and write item by item (rolling back by restoring a copy of the table), so two
concurrent transactions can interleave: both pass the condition that should have stopped one, or one's
roll-back wipes what the other wrote. Our idempotency and no-overdraw guarantees rest on that
atomicity, so the local stack serialises requests, which is what the real service promises. Connections
are still accepted on many threads; only the work inside moto is one at a time.

Run as `python -m chalicelib.local_dynamodb --port 8001`."""
import argparse
import threading


def serialised(app):
    """A WSGI app that lets one request at a time into `app` (its response is built whole inside)."""
    lock = threading.Lock()

    def guarded(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    return guarded


def main(argv: list[str] | None = None) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, serialised(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
