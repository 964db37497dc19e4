"""The payment sandbox's webhooks (signed, retried) and fault switches, and the sandbox as
a program of its own."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time

import pytest

from tests.payments.sandbox_harness import (
    BASE,
    ROOT,
    SECRET,
    SITE,
    START,
    WEBHOOK,
    Receiver,
    Sandbox,
)
from yoyaku.payments.providers.base import (
    Method,
    ProviderError,
    RemoteStatus,
    StartRequest,
)
from yoyaku.payments.providers.sandbox import SandboxProvider
from yoyaku.payments.sandbox import Config, make_app, wsgi_transport
from yoyaku.payments.sandbox.config import parse_args
from yoyaku.payments.sandbox.transport import call_wsgi

# -- webhook delivery and fault switches -----------------------------------------------


def test_a_webhook_the_receiver_refuses_is_retried_with_growing_waits(sandbox):
    sandbox.receiver.answers = [500, 503, 200]
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    assert len(sandbox.receiver.deliveries) == 1
    sandbox.clock.advance(0.5)
    sandbox.app.dispatcher.pump()
    assert len(sandbox.receiver.deliveries) == 1
    sandbox.clock.advance(0.5)  # 1 s after the first try
    sandbox.app.dispatcher.pump()
    assert len(sandbox.receiver.deliveries) == 2
    sandbox.clock.advance(1)
    sandbox.app.dispatcher.pump()
    assert len(sandbox.receiver.deliveries) == 2
    sandbox.clock.advance(1)  # 2 s after the second try
    sandbox.app.dispatcher.pump()
    assert len(sandbox.receiver.deliveries) == 3
    assert sandbox.app.dispatcher.pending() == 0
    ids = {event["id"] for event in sandbox.receiver.events}
    assert len(ids) == 1
    # Each try is signed afresh, so a late retry is not refused as too old.
    assert sandbox.receiver.deliveries[2][1]["X-Sandbox-Signature"].startswith(f"t={START + 3},")


def test_an_unreachable_receiver_is_tried_a_limited_number_of_times():
    sandbox = Sandbox(webhook_tries=3)

    def unreachable(url, body, headers):
        sandbox.receiver.deliveries.append((body, dict(headers)))
        raise ConnectionRefusedError

    sandbox.app.dispatcher._sender = unreachable
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    sandbox.app.dispatcher.flush()
    assert len(sandbox.receiver.deliveries) == 3
    assert [a.status for a in sandbox.app.dispatcher.attempts] == [None, None, None]


def test_the_duplicate_switch_sends_each_event_twice(sandbox):
    sandbox.switch(duplicate_webhooks=1.0)
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    first, second = sandbox.receiver.events
    assert first == second  # the same event, id included: the receiver must spot the copy
    assert first["type"] == "payment.succeeded"


def test_the_drop_switch_loses_events(sandbox):
    sandbox.switch(drop_webhooks=1.0)
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    sandbox.app.dispatcher.flush()
    assert sandbox.receiver.deliveries == []
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.SUCCEEDED


def test_the_out_of_order_switch_lets_a_later_event_arrive_first(sandbox):
    started = sandbox.start()
    sandbox.switch(out_of_order=1.0)
    sandbox.pay_by_card(started.ref)
    sandbox.switch(out_of_order=0.0)
    sandbox.provider.refund(ref=started.ref, amount=100, key="refund-1")
    sandbox.app.dispatcher.flush()
    assert sandbox.receiver.types() == ["refund.succeeded", "payment.succeeded"]


def test_the_delay_switch_holds_events_back(sandbox):
    sandbox.switch(webhook_delay_seconds=10)
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    assert sandbox.receiver.deliveries == []
    sandbox.clock.advance(10)
    sandbox.app.dispatcher.pump()
    assert sandbox.receiver.types() == ["payment.succeeded"]


def test_while_the_sandbox_is_down_every_call_raises_a_provider_error(sandbox):
    started = sandbox.start()
    sandbox.switch(down=True)
    with pytest.raises(ProviderError, match="503"):
        sandbox.provider.fetch(started.ref)
    with pytest.raises(ProviderError, match="503"):
        sandbox.start(key="another")
    sandbox.switch(down=False)
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.PENDING


def test_switches_refuse_unknown_names_and_impossible_values(sandbox):
    for bad in ({"explode": 1}, {"drop_webhooks": 2}, {"down": "yes"}):
        status, _, _ = call_wsgi(
            sandbox.app,
            "POST",
            f"{BASE}/_switches",
            {"Authorization": "Bearer sandbox-key"},
            json.dumps(bad).encode(),
        )
        assert status == 400
    assert sandbox.app.switches.as_dict()["drop_webhooks"] == 0.0


def test_the_api_refuses_a_wrong_key():
    sandbox = Sandbox()
    provider = SandboxProvider(
        base_url=BASE, webhook_secret=SECRET, api_key="wrong", transport=wsgi_transport(sandbox.app)
    )
    with pytest.raises(ProviderError, match="401"):
        provider.list_payments(since_epoch=0)


@pytest.mark.parametrize("failure", [ConnectionRefusedError, TimeoutError])
def test_an_unreachable_or_silent_sandbox_raises_a_provider_error(failure):
    def broken(method, url, headers, body):
        raise failure("no answer")

    provider = SandboxProvider(base_url=BASE, webhook_secret=SECRET, transport=broken)
    with pytest.raises(ProviderError, match="unreachable"):
        provider.fetch("pay_0")


def test_the_webhook_report_tells_what_was_tried_and_lost(sandbox):
    sandbox.receiver.answers = [500]
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    sandbox.app.dispatcher.flush()
    status, _, body = call_wsgi(
        sandbox.app, "GET", f"{BASE}/_webhooks", {"Authorization": "Bearer sandbox-key"}, b""
    )
    report = json.loads(body)
    assert status == 200
    assert [e["type"] for e in report["events"]] == ["payment.succeeded"]
    assert [(a["attempt"], a["status"]) for a in report["attempts"]] == [(1, 500), (2, 200)]
    assert call_wsgi(sandbox.app, "GET", f"{BASE}/_webhooks", {}, b"")[0] == 401


# -- the sandbox as its own program ----------------------------------------------------


def test_the_command_line_reads_the_environment():
    config = parse_args(
        ["--host", "0.0.0.0"],
        {
            "YOYAKU_SANDBOX_PORT": "9001",
            "YOYAKU_SANDBOX_WEBHOOK_URL": WEBHOOK,
            "YOYAKU_SANDBOX_SECRET": SECRET,
            "YOYAKU_SANDBOX_DATA": "sandbox.sqlite3",
            "YOYAKU_SANDBOX_SWITCHES": '{"duplicate_webhooks": 0.5}',
        },
    )
    assert (config.host, config.port, config.webhook_url, config.secret, config.data) == (
        "0.0.0.0",
        9001,
        WEBHOOK,
        SECRET,
        "sandbox.sqlite3",
    )
    assert config.switches.duplicate_webhooks == 0.5
    assert config.background


def test_the_sandbox_imports_nothing_of_yoyaku_but_itself_and_runs_without_django():
    package = ROOT / "yoyaku" / "payments" / "sandbox"
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith("yoyaku") or name.startswith(
                    "yoyaku.payments.sandbox"
                ), f"{module.name} imports {name}"
                assert name.split(".")[0] in sys.stdlib_module_names or name.startswith("yoyaku"), (
                    f"{module.name} imports {name}"
                )
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, yoyaku.payments.sandbox.__main__; print('django' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"


def test_in_the_background_a_refused_webhook_is_delivered_a_second_later():
    receiver = Receiver(answers=[503])
    app = make_app(Config(webhook_url=WEBHOOK, secret=SECRET, sender=receiver, background=True))
    try:
        provider = SandboxProvider(
            base_url=BASE, webhook_secret=SECRET, transport=wsgi_transport(app)
        )
        started = provider.start(
            StartRequest(
                key="k",
                amount=300,
                method=Method.PAYPAY,
                description="テスト",
                return_url=f"{SITE}/r/",
                cancel_url=f"{SITE}/c/",
                expires_at_epoch=int(time.time()) + 600,
            )
        )
        call_wsgi(app, "POST", f"{BASE}/pay/{started.ref}", {}, b"")
        deadline = time.monotonic() + 5
        while len(receiver.deliveries) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [a.status for a in app.dispatcher.attempts] == [503, 200]
        assert app.dispatcher.attempts[1].at - app.dispatcher.attempts[0].at >= 1
    finally:
        app.stop()
