"""Webhook signatures: ``X-Sandbox-Signature: t=<epoch>,v1=<hex>``.

``v1`` is the HMAC-SHA256, keyed with the shared secret, of ``"<t>.<body>"``. The timestamp
is inside the signed text, so an old delivery cannot be replayed with a fresh ``t``; the
receiver refuses signatures older (or newer) than a tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Sandbox-Signature"


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for ``body`` sent at ``timestamp`` (epoch seconds)."""
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str,
    tolerance_seconds: int = 300,
    *,
    now: float | None = None,
) -> bool:
    """True when ``header`` is a valid signature of ``body`` made with ``secret`` within
    ``tolerance_seconds`` of ``now`` (the current time unless given). Never raises."""
    if not secret or not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = _digest(secret, body, timestamp)
    # Several v1 values are allowed (a secret being rotated); any match will do.
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
