"""The payment sandbox, driven through its adapter with the in-process transport: what a
person paying sees on the hosted pages, what our services get back, and the webhooks."""

from __future__ import annotations

import ast
import json
import pathlib
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest

from yoyaku.payments.providers.base import (
    Method,
    ProviderError,
    RemoteStatus,
    StartRequest,
)
from yoyaku.payments.providers.sandbox import SandboxProvider
from yoyaku.payments.sandbox import Config, make_app, sign, verify_signature, wsgi_transport
from yoyaku.payments.sandbox.config import parse_args
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


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


def returned_to(page: Page, ref: str) -> bool:
    return page.status == 303 and page.headers["Location"] == (
        f"{SITE}/ukiha/payments/return/?payment={ref}"
    )


# -- card ------------------------------------------------------------------------------


def test_a_card_paid_on_the_hosted_page_succeeds_and_a_signed_webhook_says_so(sandbox):
    started = sandbox.start()
    assert started.redirect_url == f"{BASE}/pay/{started.ref}"
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.PENDING

    form = sandbox.browse("GET", started.redirect_url)
    for text in ("カード番号", "有効期限", "セキュリティコード", "支払う", "1,200円"):
        assert text in form.text
    assert '<label for="card_number">' in form.text
    assert "<script" not in form.text and "style=" not in form.text

    assert returned_to(sandbox.pay_by_card(started.ref), started.ref)
    paid = sandbox.provider.fetch(started.ref)
    assert (paid.status, paid.amount, paid.paid_at_epoch) == (RemoteStatus.SUCCEEDED, 1200, START)

    [(body, headers)] = sandbox.receiver.deliveries
    notice = sandbox.provider.parse_webhook(body=body, headers=headers)
    assert (notice.payment_ref, notice.kind) == (started.ref, "payment.succeeded")
    assert notice.event_id.startswith("evt_")


def test_the_pay_button_pressed_twice_pays_once(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    assert returned_to(sandbox.pay_by_card(started.ref), started.ref)
    assert sandbox.receiver.types() == ["payment.succeeded"]


def test_a_card_form_with_mistakes_says_what_is_wrong_next_to_each_field(sandbox):
    started = sandbox.start()
    page = sandbox.browse(
        "POST", f"/pay/{started.ref}", {"card_number": "1234", "exp": "13/30", "cvc": ""}
    )
    assert page.status == 400
    assert "カード番号は16桁の数字で入力してください。" in page.text
    assert "有効期限は「月/年」の形" in page.text
    assert "セキュリティコードを入力してください。" in page.text
    assert 'aria-describedby="card_number-hint card_number-error" aria-invalid="true"' in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.PENDING


def test_full_width_digits_are_accepted_on_the_card_form(sandbox):
    started = sandbox.start()
    page = sandbox.browse(
        "POST",
        f"/pay/{started.ref}",
        {"card_number": "４２４２４２４２４２４２４２４２", "exp": "１２／４０", "cvc": "１２３"},
    )
    assert returned_to(page, started.ref)


def test_a_declined_card_fails_and_offers_the_way_back_to_the_site(sandbox):
    started = sandbox.start()
    page = sandbox.pay_by_card(started.ref, "4000 0000 0000 0002")
    assert "カードが承認されませんでした" in page.text
    assert f'href="{SITE}/ukiha/payments/return/?payment={started.ref}"' in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.FAILED
    assert sandbox.receiver.types() == ["payment.failed"]


def test_a_card_asking_for_authentication_pays_after_the_extra_step(sandbox):
    started = sandbox.start()
    page = sandbox.pay_by_card(started.ref, "4000000000003220")
    assert (page.status, page.headers["Location"]) == (303, f"/pay/{started.ref}/3ds")
    step = sandbox.browse("GET", f"/pay/{started.ref}/3ds")
    for text in ("本人認証", "認証する", "キャンセル"):
        assert text in step.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.PENDING

    assert returned_to(
        sandbox.browse("POST", f"/pay/{started.ref}/3ds", {"decision": "approve"}), started.ref
    )
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.SUCCEEDED


def test_cancelling_the_authentication_step_declines_the_card(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref, "4000000000003220")
    page = sandbox.browse("POST", f"/pay/{started.ref}/3ds", {"decision": "cancel"})
    assert "カードが承認されませんでした" in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.FAILED


def test_paypay_shows_a_code_and_pays_with_its_button(sandbox):
    started = sandbox.start(Method.PAYPAY)
    page = sandbox.browse("GET", f"/pay/{started.ref}")
    assert "<svg" in page.text and "支払う" in page.text
    assert returned_to(sandbox.browse("POST", f"/pay/{started.ref}", {"pay": "1"}), started.ref)
    assert sandbox.provider.fetch(started.ref).method == Method.PAYPAY
    assert sandbox.receiver.types() == ["payment.succeeded"]


# -- idempotency -----------------------------------------------------------------------


def test_starting_twice_with_the_same_key_gives_one_payment(sandbox):
    first = sandbox.start(key="pay-17")
    again = sandbox.start(key="pay-17")
    assert again.ref == first.ref
    assert len(sandbox.provider.list_payments(since_epoch=0)) == 1


def test_the_same_key_with_a_different_amount_is_refused(sandbox):
    sandbox.start(key="pay-17")
    with pytest.raises(ProviderError, match="409"):
        sandbox.start(key="pay-17", amount=9999)


def test_a_payment_created_but_answered_with_a_time_out_is_found_again_by_its_key(sandbox):
    sandbox.switch(timeout_after_commit=1.0)
    with pytest.raises(ProviderError, match="504"):
        sandbox.start(key="pay-17")
    again = sandbox.start(key="pay-17")
    assert [p.ref for p in sandbox.provider.list_payments(since_epoch=0)] == [again.ref]


def test_a_refund_retried_after_a_time_out_is_made_once(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    sandbox.switch(timeout_after_commit=1.0)
    with pytest.raises(ProviderError, match="504"):
        sandbox.provider.refund(ref=started.ref, amount=500, key="refund-1")
    refund = sandbox.provider.refund(ref=started.ref, amount=500, key="refund-1")
    assert (refund.amount, refund.succeeded) == (500, True)
    assert sandbox.provider.fetch(started.ref).refunded == 500
    assert sandbox.receiver.types() == ["payment.succeeded", "refund.succeeded"]


# -- refunds and cancellation ----------------------------------------------------------


def test_a_refund_of_more_than_what_remains_is_refused(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    sandbox.provider.refund(ref=started.ref, amount=1000, key="refund-1")
    with pytest.raises(ProviderError, match="400"):
        sandbox.provider.refund(ref=started.ref, amount=201, key="refund-2")
    assert sandbox.provider.refund(ref=started.ref, amount=200, key="refund-3").succeeded
    assert sandbox.provider.fetch(started.ref).refunded == 1200


def test_an_unpaid_payment_cannot_be_refunded(sandbox):
    started = sandbox.start()
    with pytest.raises(ProviderError, match="400"):
        sandbox.provider.refund(ref=started.ref, amount=100, key="refund-1")


def test_cancelling_an_unpaid_payment_closes_its_page_but_a_paid_one_stays_paid(sandbox):
    unpaid = sandbox.start(key="a")
    assert sandbox.provider.cancel(unpaid.ref).status == RemoteStatus.CANCELED
    assert "お支払いは取り消されました" in sandbox.browse("GET", f"/pay/{unpaid.ref}").text
    paid = sandbox.start(key="b")
    sandbox.pay_by_card(paid.ref)
    assert sandbox.provider.cancel(paid.ref).status == RemoteStatus.SUCCEEDED
    assert sandbox.receiver.types() == ["payment.canceled", "payment.succeeded"]


# -- konbini and expiry ----------------------------------------------------------------


def test_a_konbini_payment_stays_pending_until_paid_at_the_counter(sandbox):
    started = sandbox.start(Method.KONBINI)
    assert re.fullmatch(r"\d{12}", started.code)
    page = sandbox.browse("GET", started.redirect_url)
    grouped = " ".join(started.code[i : i + 4] for i in range(0, 12, 4))
    assert "払込番号" in page.text and grouped in page.text
    assert "2027年1月15日 18:00" in page.text  # the deadline, Japan time
    assert f"{SITE}/ukiha/payments/return/?payment={started.ref}" in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.PENDING

    counter = sandbox.browse("GET", f"/konbini/{started.ref}/pay")
    assert "支払う" in counter.text
    receipt = sandbox.browse("POST", f"/konbini/{started.ref}/pay")
    assert "お支払いを受け付けました" in receipt.text
    paid = sandbox.provider.fetch(started.ref)
    assert (paid.status, paid.code) == (RemoteStatus.SUCCEEDED, started.code)
    assert sandbox.receiver.types() == ["payment.succeeded"]


def test_a_konbini_payment_past_its_deadline_expires_and_cannot_be_paid(sandbox):
    started = sandbox.start(Method.KONBINI)
    sandbox.clock.advance(3601)
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.EXPIRED
    assert sandbox.receiver.types() == ["payment.expired"]
    page = sandbox.browse("POST", f"/konbini/{started.ref}/pay")
    assert "お支払い期限を過ぎたため" in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.EXPIRED


def test_the_background_tick_expires_a_payment_nobody_looks_at(sandbox):
    sandbox.start(Method.KONBINI)
    sandbox.clock.advance(3601)
    sandbox.app.tick()
    sandbox.app.dispatcher.pump()
    assert sandbox.receiver.types() == ["payment.expired"]


def test_reconciliation_lists_the_payments_changed_since_a_moment(sandbox):
    old = sandbox.start(key="a")
    sandbox.clock.advance(100)
    new = sandbox.start(key="b")
    assert [p.ref for p in sandbox.provider.list_payments(since_epoch=START + 50)] == [new.ref]
    sandbox.pay_by_card(old.ref)
    changed = sandbox.provider.list_payments(since_epoch=START + 50)
    assert {p.ref: p.status for p in changed} == {
        old.ref: RemoteStatus.SUCCEEDED,
        new.ref: RemoteStatus.PENDING,
    }


# -- signatures ------------------------------------------------------------------------


def test_a_webhook_with_a_tampered_body_a_wrong_secret_or_an_old_time_is_refused(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    [(body, headers)] = sandbox.receiver.deliveries
    tampered = body.replace(b"payment.succeeded", b"payment.canceled")
    with pytest.raises(ProviderError):
        sandbox.provider.parse_webhook(body=tampered, headers=headers)
    forged = {"X-Sandbox-Signature": sign("another-secret", body, START)}
    with pytest.raises(ProviderError):
        sandbox.provider.parse_webhook(body=body, headers=forged)
    sandbox.clock.advance(301)
    with pytest.raises(ProviderError):
        sandbox.provider.parse_webhook(body=body, headers=headers)
    with pytest.raises(ProviderError):
        sandbox.provider.parse_webhook(body=body, headers={})


def test_the_signature_header_is_found_whatever_its_case(sandbox):
    body = b'{"id":"evt_1","type":"payment.succeeded","payment":"pay_1","created":1}'
    headers = {"x-sandbox-signature": sign(SECRET, body, START)}
    assert sandbox.provider.parse_webhook(body=body, headers=headers).event_id == "evt_1"


def test_verify_signature_accepts_only_the_right_secret_body_and_time():
    body = b'{"id":"evt_1"}'
    header = sign(SECRET, body, START)
    assert verify_signature(SECRET, body, header, now=START + 299)
    assert not verify_signature(SECRET, body + b" ", header, now=START)
    assert not verify_signature("wrong", body, header, now=START)
    assert not verify_signature(SECRET, body, header, now=START + 301)
    assert not verify_signature(SECRET, body, header, tolerance_seconds=10, now=START + 11)
    assert not verify_signature(
        SECRET, body, header.replace(f"t={START}", f"t={START + 5}"), now=START
    )
    assert not verify_signature(SECRET, body, "garbage", now=START)
    assert not verify_signature("", body, header, now=START)


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


def test_every_hosted_page_is_japanese_and_fits_the_content_security_policy(sandbox):
    card = sandbox.start(key="card")
    pages = [sandbox.browse("GET", f"/pay/{card.ref}")]
    pages.append(sandbox.browse("POST", f"/pay/{card.ref}", {"card_number": ""}))
    sandbox.pay_by_card(card.ref, "4000000000003220")
    pages.append(sandbox.browse("GET", f"/pay/{card.ref}/3ds"))
    pages.append(sandbox.browse("POST", f"/pay/{card.ref}/3ds", {"decision": "cancel"}))
    pages.append(sandbox.browse("GET", f"/pay/{card.ref}"))
    konbini = sandbox.start(Method.KONBINI, key="konbini")
    pages.append(sandbox.browse("GET", f"/pay/{konbini.ref}"))
    pages.append(sandbox.browse("GET", f"/konbini/{konbini.ref}/pay"))
    pages.append(sandbox.browse("POST", f"/konbini/{konbini.ref}/pay"))
    pages.append(sandbox.browse("GET", f"/pay/{sandbox.start(Method.PAYPAY, key='pp').ref}"))
    pages.append(sandbox.browse("GET", "/pay/pay_000000000000000000000000"))
    assert pages[-1].status == 404
    for page in pages:
        assert '<html lang="ja">' in page.text
        assert 'name="viewport"' in page.text
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert not re.search(r"<script|style=|\son[a-z]+=", page.text)


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
