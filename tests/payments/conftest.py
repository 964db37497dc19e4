from __future__ import annotations

import pytest

from tests.payments.sandbox_harness import Sandbox


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def paying(settings, transactional_db):
    """The sandbox provider in-process, on the system clock, delivering its webhooks to this
    site through a test client: what `make run` does with a real port."""
    from urllib.parse import urlsplit

    from django.test import Client

    from yoyaku.core import clock
    from yoyaku.payments.providers import registry
    from yoyaku.payments.providers.sandbox import SandboxProvider
    from yoyaku.payments.sandbox import Config, make_app, wsgi_transport

    secret = settings.YOYAKU_PAYMENT_PROVIDERS["sandbox"]["options"]["webhook_secret"]
    receiver = Client()

    def deliver(url, body, headers):
        response = receiver.post(
            urlsplit(url).path, data=body, content_type="application/json", headers=dict(headers)
        )
        return response.status_code

    def now() -> float:
        return clock.now().timestamp()

    app = make_app(
        Config(
            public_url="http://sandbox.test",
            webhook_url=f"{settings.YOYAKU_SITE_URL}/payments/webhook/sandbox/",
            secret=secret,
            clock=now,
            sender=deliver,
            seed=7,
        )
    )
    provider = SandboxProvider(
        base_url="http://sandbox.test",
        webhook_secret=secret,
        transport=wsgi_transport(app),
        clock=now,
    )
    registry.install("sandbox", provider)
    harness = Sandbox.__new__(Sandbox)
    harness.app, harness.provider = app, provider
    yield harness
    registry.reset()
