"""The PayPay adapter against recorded PayPay answers: a `requests` adapter mounted on the SDK's
session answers every request, so what PayPay would receive is checked and nothing reaches the
network."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

from yoyaku.payments.providers.base import (
    Method,
    ProviderError,
    RemoteStatus,
    StartRequest,
)
from yoyaku.payments.providers.paypay_provider import PayPayProvider

RECORDED = Path(__file__).parent / "recorded" / "paypay"
NOW = dt.datetime(2026, 6, 1, 10, 0)  # Japan time
NOW_EPOCH = 1780275600
KEY = "pay_01J0ZK8Q4V"
MERCHANT = "412345678901234567"


@dataclasses.dataclass
class SentRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    timeout: Any


class RecordedPayPay(BaseAdapter):
    """Answers each request with the next recorded response and keeps what was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SentRequest] = []
        self._answers: list[tuple[str, str, int, bytes | None]] = []

    def answer(self, method: str, path: str, fixture: str, status: int = 200) -> None:
        self._answers.append((method, path, status, (RECORDED / fixture).read_bytes()))

    def time_out(self, method: str, path: str) -> None:
        self._answers.append((method, path, 0, None))

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        body = json.loads(request.body) if request.body else None
        self.sent.append(
            SentRequest(request.method, parts.path, dict(request.headers), body, timeout)
        )
        assert parts.netloc == "apigw.sandbox.paypay.ne.jp"
        assert self._answers, f"no recorded answer for {request.method} {parts.path}"
        method, path, status, content = self._answers.pop(0)
        assert (request.method, parts.path) == (method, path)
        if content is None:
            raise requests.ReadTimeout("read timed out (test)", request=request)
        response = requests.Response()
        response.status_code = status
        response._content = content
        response.headers["Content-Type"] = "application/json;charset=UTF-8"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def http(travel) -> RecordedPayPay:
    travel(NOW)
    return RecordedPayPay()


def make_provider(http: RecordedPayPay, **options: Any) -> PayPayProvider:
    session = requests.Session()
    session.mount("https://", http)
    session.mount("http://", http)
    return PayPayProvider(
        api_key="a_testKey123",
        api_secret="dGVzdFNlY3JldEZvclRlc3RzT25seQ==",
        merchant_id=MERCHANT,
        session=session,
        **options,
    )


@pytest.fixture
def provider(http: RecordedPayPay) -> PayPayProvider:
    return make_provider(http)


def start_request(**changes: Any) -> StartRequest:
    values: dict[str, Any] = {
        "key": KEY,
        "amount": 4400,
        "method": Method.PAYPAY,
        "description": "多目的ホール 使用料（2026年6月20日）",
        "return_url": "https://yoyaku.example.jp/ukiha/payments/42/returned",
        "cancel_url": "https://yoyaku.example.jp/ukiha/payments/42/cancelled",
        "expires_at_epoch": NOW_EPOCH + 3 * 86400,
        "metadata": {"payment_id": "42", "reservation_id": "317"},
    }
    values.update(changes)
    return StartRequest(**values)


DETAILS = f"/v2/codes/payments/{KEY}"


# --- start -------------------------------------------------------------------------------


def test_start__creates_a_web_payment_code_for_the_fee_in_yen(provider, http):
    http.answer("POST", "/v2/codes", "code_created.json", status=201)

    started = provider.start(start_request())

    assert started.ref == KEY
    assert started.redirect_url.startswith("https://qr-stg.sandbox.paypay.ne.jp/")
    sent = http.sent[0]
    assert sent.body["merchantPaymentId"] == KEY  # our idempotency key
    assert sent.body["amount"] == {"amount": 4400, "currency": "JPY"}
    assert sent.body["codeType"] == "ORDER_QR"
    assert sent.body["redirectType"] == "WEB_LINK"
    assert sent.body["redirectUrl"] == "https://yoyaku.example.jp/ukiha/payments/42/returned"
    assert sent.body["isAuthorization"] is False
    assert sent.body["requestedAt"] == NOW_EPOCH  # from the system clock
    assert sent.body["metadata"] == {"payment_id": "42", "reservation_id": "317"}
    assert sent.headers["X-ASSUME-MERCHANT"] == MERCHANT
    assert sent.headers["Authorization"].startswith("hmac OPA-Auth:a_testKey123:")
    assert sent.timeout is not None


def test_start__the_same_key_again_is_refused_by_paypay_and_charges_nothing(provider, http):
    http.answer("POST", "/v2/codes", "code_duplicate.json", status=400)

    with pytest.raises(ProviderError, match="DUPLICATE_DYNAMIC_QR_REQUEST"):
        provider.start(start_request())


def test_start__wrong_credentials_are_a_provider_error(provider, http):
    http.answer("POST", "/v2/codes", "error_unauthorized.json", status=401)

    with pytest.raises(ProviderError, match="UNAUTHORIZED"):
        provider.start(start_request())


def test_start__a_time_out_is_a_provider_error(provider, http):
    http.time_out("POST", "/v2/codes")

    with pytest.raises(ProviderError, match="ReadTimeout"):
        provider.start(start_request())


def test_start__card_is_not_a_paypay_method(provider, http):
    with pytest.raises(ValueError):
        provider.start(start_request(method=Method.CARD))
    assert http.sent == []


def test_start__a_key_paypay_cannot_take_is_refused_before_any_request(provider, http):
    with pytest.raises(ProviderError):
        provider.start(start_request(key="pay/../../v2/refunds"))
    assert http.sent == []


# --- fetch -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "status"),
    [
        ("details_created.json", RemoteStatus.PENDING),
        ("details_completed.json", RemoteStatus.SUCCEEDED),
        ("details_refunded.json", RemoteStatus.SUCCEEDED),
        ("details_failed.json", RemoteStatus.FAILED),
        ("details_expired.json", RemoteStatus.EXPIRED),
        ("details_canceled.json", RemoteStatus.CANCELED),
    ],
)
def test_fetch__maps_paypays_payment_state(provider, http, fixture, status):
    http.answer("GET", DETAILS, fixture)

    payment = provider.fetch(KEY)

    assert (payment.ref, payment.status, payment.method, payment.amount) == (
        KEY,
        status,
        Method.PAYPAY,
        4400,
    )


def test_fetch__a_completed_payment_says_when_it_was_paid(provider, http):
    http.answer("GET", DETAILS, "details_completed.json")

    payment = provider.fetch(KEY)

    assert payment.paid_at_epoch == NOW_EPOCH + 95
    assert payment.refunded == 0


def test_fetch__an_unpaid_code_has_no_payment_time(provider, http):
    http.answer("GET", DETAILS, "details_created.json")

    assert provider.fetch(KEY).paid_at_epoch is None


def test_fetch__reports_the_yen_refunded_so_far(provider, http):
    http.answer("GET", DETAILS, "details_partly_refunded.json")
    http.answer("GET", DETAILS, "details_refunded.json")

    assert provider.fetch(KEY).refunded == 2200
    assert provider.fetch(KEY).refunded == 4400


def test_fetch__an_unknown_payment_is_a_provider_error(provider, http):
    http.answer("GET", DETAILS, "details_not_found.json", status=400)

    with pytest.raises(ProviderError, match="DYNAMIC_QR_PAYMENT_NOT_FOUND"):
        provider.fetch(KEY)


def test_fetch__paypay_down_for_maintenance_is_a_provider_error(provider, http):
    http.answer("GET", DETAILS, "error_maintenance.json", status=503)

    with pytest.raises(ProviderError, match="MAINTENANCE_MODE"):
        provider.fetch(KEY)


# --- refund ------------------------------------------------------------------------------


def test_refund__refunds_paypays_payment_with_our_key(provider, http):
    http.answer("GET", DETAILS, "details_completed.json")
    http.answer("POST", "/v2/refunds/", "refund_created.json")

    refund = provider.refund(ref=KEY, amount=2200, key="ref_01J0ZM3T7X")

    assert refund.ref == "ref_01J0ZM3T7X"
    assert refund.amount == 2200
    assert not refund.succeeded  # accepted, not finished yet
    body = http.sent[1].body
    assert body["merchantRefundId"] == "ref_01J0ZM3T7X"
    assert body["paymentId"] == "04123456789012345678"  # PayPay's id, read from the payment
    assert body["amount"] == {"amount": 2200, "currency": "JPY"}


def test_refund__a_retried_refund_answers_with_the_refund_already_made(provider, http):
    http.answer("GET", DETAILS, "details_completed.json")
    http.answer("POST", "/v2/refunds/", "refund_duplicate.json", status=400)
    http.answer("GET", "/v2/refunds/ref_01J0ZM3T7X", "refund_details_refunded.json")

    refund = provider.refund(ref=KEY, amount=2200, key="ref_01J0ZM3T7X")

    assert refund.succeeded
    assert refund.amount == 2200
    assert len([r for r in http.sent if r.method == "POST"]) == 1


def test_refund__an_unpaid_payment_has_nothing_to_refund(provider, http):
    http.answer("GET", DETAILS, "details_created.json")

    with pytest.raises(ProviderError):
        provider.refund(ref=KEY, amount=4400, key="ref_x")
    assert len(http.sent) == 1


def test_refund__a_refused_refund_is_a_provider_error(provider, http):
    http.answer("GET", DETAILS, "details_completed.json")
    http.answer("POST", "/v2/refunds/", "error_unauthorized.json", status=401)

    with pytest.raises(ProviderError, match="refund"):
        provider.refund(ref=KEY, amount=2200, key="ref_01J0ZM3T7X")


# --- cancel ------------------------------------------------------------------------------


def test_cancel__cancels_an_unpaid_payment_by_our_key(provider, http):
    http.answer("GET", DETAILS, "details_created.json")
    http.answer("DELETE", f"/v2/payments/{KEY}", "cancel_accepted.json", status=202)
    http.answer("GET", DETAILS, "details_canceled.json")

    assert provider.cancel(KEY).status == RemoteStatus.CANCELED
    assert [r.method for r in http.sent] == ["GET", "DELETE", "GET"]


def test_cancel__a_payment_paid_first_is_left_alone_and_reported_paid(provider, http):
    http.answer("GET", DETAILS, "details_completed.json")

    assert provider.cancel(KEY).status == RemoteStatus.SUCCEEDED
    assert [r.method for r in http.sent] == ["GET"]


def test_cancel__a_refused_cancel_is_a_provider_error(provider, http):
    http.answer("GET", DETAILS, "details_created.json")
    http.answer("DELETE", f"/v2/payments/{KEY}", "error_maintenance.json", status=503)

    with pytest.raises(ProviderError, match="cancel"):
        provider.cancel(KEY)


# --- webhooks ----------------------------------------------------------------------------


def test_webhook__a_transaction_notice_names_our_payment(provider, http):
    body = (RECORDED / "webhook_transaction_completed.json").read_bytes()

    notice = provider.parse_webhook(body=body, headers={})

    assert notice.payment_ref == KEY
    assert notice.event_id == "04123456789012345678:COMPLETED"
    assert notice.kind == "Transaction:COMPLETED"
    assert http.sent == []  # the services re-read the payment themselves


def test_webhook__the_shared_token_is_required_when_configured(http):
    provider = make_provider(http, webhook_token="hook-7f3c9a1e5b")
    body = (RECORDED / "webhook_transaction_completed.json").read_bytes()

    notice = provider.parse_webhook(body=body, headers={"x-webhook-token": "hook-7f3c9a1e5b"})
    assert notice.payment_ref == KEY
    with pytest.raises(ProviderError, match="token"):
        provider.parse_webhook(body=body, headers={"X-Webhook-Token": "guess"})
    with pytest.raises(ProviderError, match="token"):
        provider.parse_webhook(body=body, headers={})


def test_webhook__another_merchants_notice_is_refused(provider):
    event = json.loads((RECORDED / "webhook_transaction_completed.json").read_bytes())
    event["merchant_id"] = "499999999999999999"

    with pytest.raises(ProviderError, match="merchant"):
        provider.parse_webhook(body=json.dumps(event).encode(), headers={})


def test_webhook__an_order_id_that_cannot_be_ours_is_refused(provider):
    event = json.loads((RECORDED / "webhook_transaction_completed.json").read_bytes())
    event["merchant_order_id"] = "<script>alert(1)</script>"

    with pytest.raises(ProviderError):
        provider.parse_webhook(body=json.dumps(event).encode(), headers={})


def test_webhook__a_body_that_is_not_json_is_refused(provider):
    with pytest.raises(ProviderError):
        provider.parse_webhook(body=b"state=COMPLETED", headers={})


# --- reconciliation ----------------------------------------------------------------------


def test_list_payments__re_reads_each_of_our_payments_since_the_moment(http):
    asked: list[int] = []

    def known_refs(since: int) -> list[str]:
        asked.append(since)
        return [KEY]

    provider = make_provider(http, known_refs=known_refs)
    http.answer("GET", DETAILS, "details_completed.json")

    payments = provider.list_payments(since_epoch=NOW_EPOCH - 86400)

    assert asked == [NOW_EPOCH - 86400]
    assert [(p.ref, p.status) for p in payments] == [(KEY, RemoteStatus.SUCCEEDED)]


def test_list_payments__without_our_list_there_is_nothing_to_re_read(provider, http):
    assert provider.list_payments(since_epoch=NOW_EPOCH) == []
    assert http.sent == []
