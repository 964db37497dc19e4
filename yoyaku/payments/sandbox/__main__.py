"""``python -m yoyaku.payments.sandbox``: serve the sandbox over HTTP."""

from __future__ import annotations

import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .config import parse_args
from .server import make_app


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    app = make_app(config)  # config.background: the threads are running
    server = make_server(
        config.host,
        config.port,
        app,
        server_class=ThreadingWSGIServer,
        handler_class=WSGIRequestHandler,
    )
    target = config.webhook_url or "(no webhook URL: events are recorded only)"
    print(
        f"payment sandbox on http://{config.host}:{config.port} — webhooks to {target}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
