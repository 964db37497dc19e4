"""The adapter for the payment sandbox (:mod:`yoyaku.payments.sandbox`), over its JSON API.

The HTTP transport is injectable: the default sends requests with urllib and a time-out;
tests pass :func:`yoyaku.payments.sandbox.wsgi_transport` to call the sandbox in-process.
The adapter takes plain values (base URL, API key, webhook secret); the Django side reads
them from the settings and builds it.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Protocol
from urllib.parse import quote

from yoyaku.payments.providers.base import (
    Method,
    ProviderError,
    RemotePayment,
    RemoteRefund,
    RemoteStatus,
    Started,
    StartRequest,
    WebhookNotice,
)
from yoyaku.payments.sandbox.signing import HEADER, verify_signature


class Transport(Protocol):
    """Sends one HTTP request: ``(method, url, headers, body) -> (status, headers, body)``.
    A response with any status is returned; a connection failure or a time-out raises
    ``OSError`` (``TimeoutError`` and ``urllib.error.URLError`` are ones)."""

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], bytes]: ...


class UrllibTransport:
    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], bytes]:
        request = urllib.request.Request(
            url, data=body if method != "GET" else None, headers=dict(headers), method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers or {}), exc.read()
        except http.client.HTTPException as exc:  # a connection cut in the middle of an answer
            raise ConnectionError(str(exc)) from exc


class SandboxProvider:
    name = "sandbox"
    methods = frozenset(Method)

    def __init__(
        self,
        *,
        base_url: str,
        webhook_secret: str,
        api_key: str = "sandbox-key",
        transport: Transport | None = None,
        timeout: float = 10.0,
        tolerance_seconds: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.transport: Transport = transport or UrllibTransport(timeout)
        self.tolerance_seconds = tolerance_seconds
        self.clock = clock

    # -- HTTP --------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: object = None, *, key: str = "") -> dict:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        body = b""
        if payload is not None:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        try:
            status, _headers, content = self.transport(
                method, f"{self.base_url}{path}", headers, body
            )
        except OSError as exc:  # refused, unreachable, timed out
            raise ProviderError(f"sandbox unreachable: {method} {path}: {exc}") from exc
        try:
            data = json.loads(content.decode("utf-8")) if content else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = {}
        if not 200 <= status < 300:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise ProviderError(
                f"sandbox answered {status} to {method} {path}:"
                f" {error.get('code', '')} {error.get('message', '')}".rstrip()
            )
        if not isinstance(data, dict):
            raise ProviderError(f"sandbox answered {status} with no JSON object to {method} {path}")
        return data

    @staticmethod
    def _payment(data: Mapping) -> RemotePayment:
        try:
            return RemotePayment(
                ref=data["id"],
                status=RemoteStatus(data["status"]),
                amount=int(data["amount"]),
                method=Method(data["method"]),
                paid_at_epoch=data.get("paid_at"),
                refunded=int(data.get("refunded", 0)),
                code=data.get("code", "") or "",
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ProviderError(f"sandbox sent a payment this adapter cannot read: {exc}") from exc

    @staticmethod
    def _path(ref: str) -> str:
        return f"/v1/payments/{quote(ref, safe='')}"

    # -- the Provider interface ----------------------------------------------------------

    def start(self, request: StartRequest) -> Started:
        data = self._call(
            "POST",
            "/v1/payments",
            {
                "amount": request.amount,
                "currency": "JPY",
                "method": str(request.method),
                "description": request.description,
                "return_url": request.return_url,
                "cancel_url": request.cancel_url,
                "expires_at": request.expires_at_epoch,
                "metadata": dict(request.metadata),
            },
            key=request.key,
        )
        payment = self._payment(data)
        return Started(ref=payment.ref, redirect_url=data.get("url", ""), code=payment.code)

    def fetch(self, ref: str) -> RemotePayment:
        return self._payment(self._call("GET", self._path(ref)))

    def refund(self, *, ref: str, amount: int, key: str) -> RemoteRefund:
        data = self._call("POST", f"{self._path(ref)}/refunds", {"amount": amount}, key=key)
        try:
            return RemoteRefund(
                ref=data["id"], amount=int(data["amount"]), succeeded=data["status"] == "succeeded"
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ProviderError(f"sandbox sent a refund this adapter cannot read: {exc}") from exc

    def cancel(self, ref: str) -> RemotePayment:
        return self._payment(self._call("POST", f"{self._path(ref)}/cancel", {}))

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        wanted = HEADER.lower()
        signature = next((v for k, v in headers.items() if k.lower() == wanted), "")
        if not verify_signature(
            self.webhook_secret,
            body,
            signature,
            self.tolerance_seconds,
            now=self.clock(),
        ):
            raise ProviderError("webhook signature missing, wrong or too old")
        try:
            event = json.loads(body.decode("utf-8"))
            return WebhookNotice(
                event_id=str(event["id"]),
                payment_ref=str(event["payment"]),
                kind=str(event["type"]),
            )
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ProviderError(f"webhook body not understood: {exc}") from exc

    def list_payments(self, *, since_epoch: int) -> list[RemotePayment]:
        data = self._call("GET", f"/v1/payments?since={int(since_epoch)}")
        return [self._payment(item) for item in data.get("data", [])]
