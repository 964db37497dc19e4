"""Calling the sandbox in-process: a transport for the adapter that hands each request
straight to the WSGI application, with no socket (for tests and single-process demos)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def wsgi_environ(method: str, url: str, headers: Mapping[str, str], body: bytes) -> dict:
    parts = urlsplit(url)
    environ = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": parts.path or "/",
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or "sandbox.test",
        "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value
    return environ


def call_wsgi(
    app: WsgiApp, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    captured: dict[str, object] = {}

    def start_response(status: str, response_headers: list, exc_info=None) -> None:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = {k: v for k, v in response_headers}

    chunks = app(wsgi_environ(method, url, headers, body), start_response)
    try:
        content = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], content  # type: ignore[return-value]


def wsgi_transport(app: WsgiApp) -> Callable[..., tuple[int, dict[str, str], bytes]]:
    """A transport ``(method, url, headers, body) -> (status, headers, body)`` that calls
    ``app`` in-process."""

    def transport(
        method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        return call_wsgi(app, method, url, headers, body)

    return transport
