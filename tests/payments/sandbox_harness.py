"""A payment sandbox in-process, with a clock to move and a webhook receiver that records
what it is sent: the harness of the sandbox tests."""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from yoyaku.payments.providers.base import (
    Method,
    StartRequest,
)
from yoyaku.payments.providers.sandbox import SandboxProvider
from yoyaku.payments.sandbox import Config, make_app, wsgi_transport
from yoyaku.payments.sandbox.transport import call_wsgi

BASE = "http://sandbox.test"
SITE = "http://yoyaku.test"
WEBHOOK = f"{SITE}/payments/webhook/sandbox/"
SECRET = "test-webhook-secret"
START = 1_800_000_000
ROOT = pathlib.Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = float(START)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Receiver:
    """The webhook receiver: records each delivery, answers with the next status given."""

    answers: list[int] = field(default_factory=list)
    deliveries: list[tuple[bytes, dict]] = field(default_factory=list)

    def __call__(self, url: str, body: bytes, headers) -> int:
        assert url == WEBHOOK
        self.deliveries.append((body, dict(headers)))
        return self.answers.pop(0) if self.answers else 200

    @property
    def events(self) -> list[dict]:
        return [json.loads(body) for body, _ in self.deliveries]

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]


@dataclass
class Page:
    status: int
    headers: dict
    text: str


class Sandbox:
    def __init__(self, **config) -> None:
        self.clock = Clock()
        self.receiver = Receiver()
        self.app = make_app(
            Config(
                public_url=BASE,
                webhook_url=WEBHOOK,
                secret=SECRET,
                clock=self.clock,
                sender=self.receiver,
                seed=7,
                **config,
            )
        )
        self.provider = SandboxProvider(
            base_url=BASE,
            webhook_secret=SECRET,
            transport=wsgi_transport(self.app),
            clock=self.clock,
        )

    def start(self, method: Method = Method.CARD, *, key: str = "key-1", amount: int = 1200):
        return self.provider.start(
            StartRequest(
                key=key,
                amount=amount,
                method=method,
                description="多目的ホール 使用料（2027年1月9日）",
                return_url=f"{SITE}/ukiha/payments/return/",
                cancel_url=f"{SITE}/ukiha/payments/cancel/",
                expires_at_epoch=START + 3600,
                metadata={"payment": "17"},
            )
        )

    def browse(self, method: str, path: str, form: dict | None = None) -> Page:
        url = path if path.startswith("http") else BASE + path
        body = urlencode(form or {}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
        status, response_headers, content = call_wsgi(self.app, method, url, headers, body)
        return Page(status, response_headers, content.decode("utf-8"))

    def pay_by_card(self, ref: str, number: str = "4242 4242 4242 4242") -> Page:
        return self.browse(
            "POST", f"/pay/{ref}", {"card_number": number, "exp": "12/40", "cvc": "123"}
        )

    def switch(self, **values) -> None:
        status, _, _ = call_wsgi(
            self.app,
            "POST",
            f"{BASE}/_switches",
            {"Authorization": "Bearer sandbox-key", "Content-Type": "application/json"},
            json.dumps(values).encode(),
        )
        assert status == 200


def returned_to(page: Page, ref: str) -> bool:
    return page.status == 303 and page.headers["Location"] == (
        f"{SITE}/ukiha/payments/return/?payment={ref}"
    )
