"""The Stripe adapter against recorded Stripe answers: the library's HTTP transport is replaced,
so every request is checked as Stripe would receive it and nothing reaches the network."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe

from yoyaku.payments.providers.base import (
    Method,
    ProviderError,
    RemoteStatus,
    StartRequest,
)
from yoyaku.payments.providers.stripe_provider import StripeProvider

RECORDED = Path(__file__).parent / "recorded" / "stripe"
NOW = dt.datetime(2026, 6, 1, 10, 0)  # Japan time
SESSION = "cs_test_a1B2c3D4e5F6g7H8i9J0"
INTENT = "pi_3PqRsT2eZvKYlo2C0a1b2c3d"
SECRET = "whsec_test_5mK9pQ2rT7vX1zB4"


def recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


@dataclasses.dataclass
class SentRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]


class RecordedStripe(stripe.HTTPClient):
    """Answers each request with the next recorded response and keeps what was sent."""

    name = "recorded"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SentRequest] = []
        self._answers: list[tuple[str, str, int, str]] = []

    def answer(self, method: str, path: str, fixture: str, status: int = 200) -> None:
        body = (RECORDED / fixture).read_text(encoding="utf-8")
        self._answers.append((method, path, status, body))

    def fail_to_connect(self, method: str, path: str) -> None:
        self._answers.append((method, path, -1, ""))

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        self.sent.append(
            SentRequest(
                method=method,
                path=parts.path,
                query=parse_qs(parts.query),
                form=parse_qs(post_data or ""),
                headers=dict(headers or {}),
            )
        )
        assert self._answers, f"no recorded answer for {method} {parts.path}"
        want_method, want_path, status, body = self._answers.pop(0)
        assert (method, parts.path) == (want_method, want_path)
        if status == -1:
            raise stripe.APIConnectionError("connection refused (test)", should_retry=False)
        return body, status, {"Request-Id": "req_test", "Content-Type": "application/json"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError("streaming is never used")

    def close(self) -> None:
        pass


@pytest.fixture
def http(travel) -> RecordedStripe:
    travel(NOW)
    return RecordedStripe()


@pytest.fixture
def provider(http: RecordedStripe) -> StripeProvider:
    return StripeProvider(
        api_key="sk_test_51NotARealKey",
        webhook_secret=SECRET,
        http_client=http,
        max_network_retries=0,
    )


def start_request(method: Method = Method.CARD, **changes: Any) -> StartRequest:
    values: dict[str, Any] = {
        "key": "pay_01J0ZK8Q4V",
        "amount": 4400,
        "method": method,
        "description": "多目的ホール 使用料（2026年6月20日）",
        "return_url": "https://yoyaku.example.jp/ukiha/payments/42/returned",
        "cancel_url": "https://yoyaku.example.jp/ukiha/payments/42/cancelled",
        "expires_at_epoch": int(dt.datetime(2026, 6, 4, 23, 59, 59, tzinfo=dt.UTC).timestamp()),
        "metadata": {"payment_id": "42", "reservation_id": "317"},
    }
    values.update(changes)
    return StartRequest(**values)


def signed(body: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {"Stripe-Signature": f"t={timestamp},v1={mac.hexdigest()}"}


# --- start -------------------------------------------------------------------------------


def test_start__card__opens_a_checkout_session_for_the_fee_in_yen(provider, http):
    http.answer("post", "/v1/checkout/sessions", "session_open_card.json")

    started = provider.start(start_request())

    assert started.ref == SESSION
    assert started.redirect_url.startswith("https://checkout.stripe.com/")
    sent = http.sent[0]
    form = sent.form
    assert form["mode"] == ["payment"]
    assert form["payment_method_types[0]"] == ["card"]
    assert form["line_items[0][price_data][currency]"] == ["jpy"]
    assert form["line_items[0][price_data][unit_amount]"] == ["4400"]  # yen, zero-decimal
    assert form["line_items[0][quantity]"] == ["1"]
    assert form["line_items[0][price_data][product_data][name]"] == [
        "多目的ホール 使用料（2026年6月20日）"
    ]
    assert form["success_url"] == ["https://yoyaku.example.jp/ukiha/payments/42/returned"]
    assert form["cancel_url"] == ["https://yoyaku.example.jp/ukiha/payments/42/cancelled"]
    assert form["client_reference_id"] == ["pay_01J0ZK8Q4V"]
    assert form["metadata[payment_id]"] == ["42"]
    assert form["metadata[reservation_id]"] == ["317"]
    assert form["payment_intent_data[metadata][yoyaku_key]"] == ["pay_01J0ZK8Q4V"]
    assert "payment_method_options[konbini][expires_after_days]" not in form
    assert sent.headers["Idempotency-Key"] == "pay_01J0ZK8Q4V"
    assert sent.headers["Authorization"] == "Bearer sk_test_51NotARealKey"


def test_start__the_session_closes_at_the_deadline_but_within_stripes_24_hours(provider, http):
    http.answer("post", "/v1/checkout/sessions", "session_open_card.json")
    http.answer("post", "/v1/checkout/sessions", "session_open_card.json")
    now = int(dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC).timestamp())

    provider.start(start_request(expires_at_epoch=now + 3 * 3600))
    provider.start(start_request(key="pay_far", expires_at_epoch=now + 30 * 86400))

    assert http.sent[0].form["expires_at"] == [str(now + 3 * 3600)]
    assert int(http.sent[1].form["expires_at"][0]) <= now + 24 * 3600


def test_start__konbini__asks_for_instructions_valid_until_the_deadline_day(provider, http):
    http.answer("post", "/v1/checkout/sessions", "session_konbini_open.json")

    provider.start(start_request(Method.KONBINI))

    form = http.sent[0].form
    assert form["payment_method_types[0]"] == ["konbini"]
    # Today is 1 June (Japan); the deadline is 5 June 08:59 JST: four calendar days.
    assert form["payment_method_options[konbini][expires_after_days]"] == ["4"]


def test_start__the_same_key_twice_sends_the_same_idempotency_key(provider, http):
    http.answer("post", "/v1/checkout/sessions", "session_open_card.json")
    http.answer("post", "/v1/checkout/sessions", "session_open_card.json")

    first = provider.start(start_request())
    again = provider.start(start_request())

    assert first == again
    assert [r.headers["Idempotency-Key"] for r in http.sent] == ["pay_01J0ZK8Q4V"] * 2


def test_start__a_refused_request_is_a_provider_error_without_stripes_message(provider, http):
    http.answer("post", "/v1/checkout/sessions", "error_invalid_request.json", status=400)

    with pytest.raises(ProviderError) as caught:
        provider.start(start_request())

    message = str(caught.value)
    assert "InvalidRequestError" in message
    assert "parameter_invalid_integer" in message
    assert "44.5" not in message  # Stripe's own text is not repeated


def test_start__stripe_out_of_reach_is_a_provider_error(provider, http):
    http.fail_to_connect("post", "/v1/checkout/sessions")

    with pytest.raises(ProviderError, match="APIConnectionError"):
        provider.start(start_request())


def test_start__paypay_is_not_a_stripe_method(provider):
    with pytest.raises(ValueError):
        provider.start(start_request(Method.PAYPAY))


def test_start__a_fractional_amount_is_refused_before_any_request(provider, http):
    with pytest.raises(ValueError):
        provider.start(start_request(amount=44.5))
    assert http.sent == []


# --- fetch -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "status", "method"),
    [
        ("session_open_card.json", RemoteStatus.PENDING, Method.CARD),
        ("session_paid_card.json", RemoteStatus.SUCCEEDED, Method.CARD),
        ("session_expired_card.json", RemoteStatus.EXPIRED, Method.CARD),
        ("session_konbini_open.json", RemoteStatus.PENDING, Method.KONBINI),
        ("session_konbini_awaiting.json", RemoteStatus.PENDING, Method.KONBINI),
        ("session_konbini_lapsed.json", RemoteStatus.EXPIRED, Method.KONBINI),
        ("session_konbini_paid.json", RemoteStatus.SUCCEEDED, Method.KONBINI),
    ],
)
def test_fetch__maps_the_session_and_its_payment_intent(provider, http, fixture, status, method):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", fixture)

    payment = provider.fetch(SESSION)

    assert (payment.ref, payment.status, payment.method, payment.amount) == (
        SESSION,
        status,
        method,
        4400,
    )
    assert http.sent[0].query["expand[0]"] == ["payment_intent"]
    assert http.sent[0].query["expand[1]"] == ["payment_intent.latest_charge"]


def test_fetch__a_paid_card_says_when_it_was_paid(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_paid_card.json")

    payment = provider.fetch(SESSION)

    assert payment.paid_at_epoch == 1780275600 + 130
    assert payment.refunded == 0


def test_fetch__a_konbini_number_waiting_at_the_till_is_shown(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_konbini_awaiting.json")

    payment = provider.fetch(SESSION)

    assert payment.code == "44556677"
    assert payment.paid_at_epoch is None


def test_fetch__reports_the_yen_refunded_so_far(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_refunded_card.json")

    assert provider.fetch(SESSION).refunded == 2200


def test_fetch__an_unknown_session_is_a_provider_error(provider, http):
    http.answer("get", "/v1/checkout/sessions/cs_test_gone", "error_invalid_request.json", 404)

    with pytest.raises(ProviderError):
        provider.fetch("cs_test_gone")


def test_fetch__a_reference_that_is_no_session_is_refused_without_a_request(provider, http):
    with pytest.raises(ProviderError):
        provider.fetch("../v1/customers")
    assert http.sent == []


# --- refund ------------------------------------------------------------------------------


def test_refund__refunds_part_of_the_payment_intent_with_our_key(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_paid_card.json")
    http.answer("post", "/v1/refunds", "refund_succeeded.json")

    refund = provider.refund(ref=SESSION, amount=2200, key="ref_01J0ZM3T7X")

    assert refund.ref == "re_3PqRsT2eZvKYlo2C0r1e2f3u"
    assert refund.amount == 2200
    assert refund.succeeded
    sent = http.sent[1]
    assert sent.form["payment_intent"] == [INTENT]
    assert sent.form["amount"] == ["2200"]
    assert sent.headers["Idempotency-Key"] == "ref_01J0ZM3T7X"


def test_refund__a_konbini_refund_waiting_for_bank_details_has_not_succeeded(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_konbini_paid.json")
    http.answer("post", "/v1/refunds", "refund_pending_konbini.json")

    refund = provider.refund(ref=SESSION, amount=4400, key="ref_01J0ZM3T7Y")

    assert not refund.succeeded
    assert refund.amount == 4400


def test_refund__an_unpaid_session_has_nothing_to_refund(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_open_card.json")

    with pytest.raises(ProviderError):
        provider.refund(ref=SESSION, amount=4400, key="ref_x")
    assert len(http.sent) == 1


def test_refund__a_refused_refund_is_a_provider_error(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_paid_card.json")
    http.answer("post", "/v1/refunds", "error_invalid_request.json", status=400)

    with pytest.raises(ProviderError, match="refund"):
        provider.refund(ref=SESSION, amount=2200, key="ref_01J0ZM3T7X")


# --- cancel ------------------------------------------------------------------------------


def test_cancel__expires_an_open_session(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_open_card.json")
    http.answer("post", f"/v1/checkout/sessions/{SESSION}/expire", "session_expired_card.json")

    payment = provider.cancel(SESSION)

    assert payment.status == RemoteStatus.CANCELED
    assert [r.path for r in http.sent][-1] == f"/v1/checkout/sessions/{SESSION}/expire"


def test_cancel__a_session_paid_meanwhile_is_reported_paid(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_open_card.json")
    http.answer(
        "post", f"/v1/checkout/sessions/{SESSION}/expire", "error_session_not_open.json", 400
    )
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_paid_card.json")

    assert provider.cancel(SESSION).status == RemoteStatus.SUCCEEDED


def test_cancel__an_unpaid_konbini_number_is_voided(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_konbini_awaiting.json")
    http.answer(
        "post", f"/v1/payment_intents/{INTENT}/cancel", "payment_intent_konbini_canceled.json"
    )

    assert provider.cancel(SESSION).status == RemoteStatus.CANCELED


def test_cancel__leaves_a_paid_session_alone(provider, http):
    http.answer("get", f"/v1/checkout/sessions/{SESSION}", "session_paid_card.json")

    assert provider.cancel(SESSION).status == RemoteStatus.SUCCEEDED
    assert len(http.sent) == 1


# --- webhooks ----------------------------------------------------------------------------


def test_webhook__a_correctly_signed_completion_names_the_session(provider):
    body = (RECORDED / "event_session_completed.json").read_bytes()

    notice = provider.parse_webhook(body=body, headers=signed(body))

    assert notice.event_id == "evt_1PqRtU2eZvKYlo2CkL3m4N5o"
    assert notice.payment_ref == SESSION
    assert notice.kind == "checkout.session.completed"


def test_webhook__the_header_name_is_read_in_any_case(provider):
    body = (RECORDED / "event_session_completed.json").read_bytes()
    headers = {"stripe-signature": signed(body)["Stripe-Signature"]}

    assert provider.parse_webhook(body=body, headers=headers).payment_ref == SESSION


def test_webhook__a_tampered_body_is_refused(provider):
    body = (RECORDED / "event_session_completed.json").read_bytes()
    headers = signed(body)
    tampered = body.replace(b'"amount_total": 4400', b'"amount_total": 1')

    with pytest.raises(ProviderError, match="signature"):
        provider.parse_webhook(body=tampered, headers=headers)


def test_webhook__a_signature_made_with_another_secret_is_refused(provider):
    body = (RECORDED / "event_session_completed.json").read_bytes()

    with pytest.raises(ProviderError):
        provider.parse_webhook(body=body, headers=signed(body, secret="whsec_someone_else"))


def test_webhook__an_old_signature_is_refused_as_a_replay(provider):
    body = (RECORDED / "event_session_completed.json").read_bytes()

    with pytest.raises(ProviderError):
        provider.parse_webhook(body=body, headers=signed(body, at=int(time.time()) - 3600))


def test_webhook__a_missing_signature_is_refused(provider):
    body = (RECORDED / "event_session_completed.json").read_bytes()

    with pytest.raises(ProviderError):
        provider.parse_webhook(body=body, headers={})


def test_webhook__a_refund_names_the_session_of_its_payment_intent(provider, http):
    http.answer("get", "/v1/checkout/sessions", "session_list_by_intent.json")
    body = (RECORDED / "event_charge_refunded.json").read_bytes()

    notice = provider.parse_webhook(body=body, headers=signed(body))

    assert notice.payment_ref == SESSION
    assert notice.kind == "charge.refunded"
    assert http.sent[0].query["payment_intent"] == [INTENT]


def test_webhook__an_event_about_something_else_names_no_payment(provider, http):
    body = (RECORDED / "event_customer_created.json").read_bytes()

    notice = provider.parse_webhook(body=body, headers=signed(body))

    assert notice.payment_ref == ""
    assert notice.kind == "customer.created"
    assert http.sent == []


# --- reconciliation ----------------------------------------------------------------------


def test_list_payments__lists_the_sessions_created_since(provider, http):
    http.answer("get", "/v1/checkout/sessions", "session_list_two.json")
    since = 1780275600 - 86400

    payments = provider.list_payments(since_epoch=since)

    assert [(p.ref, p.status) for p in payments] == [
        ("cs_test_b9C8d7E6f5G4h3I2j1K0", RemoteStatus.PENDING),
        (SESSION, RemoteStatus.SUCCEEDED),
    ]
    query = http.sent[0].query
    assert query["created[gte]"] == [str(since)]
    assert query["expand[0]"] == ["data.payment_intent"]
