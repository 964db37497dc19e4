"""PayPay: web payment through a dynamic QR code (the PayPay page or app, then back to us).

One payment of ours is one code at PayPay whose ``merchantPaymentId`` is our idempotency key;
that key is also the payment's ``ref``, because it is the only identifier PayPay's payment
details and its webhooks both carry.

How PayPay's payment states become ours: ``CREATED`` (code issued, not paid) and
``AUTHORIZED`` / ``REAUTHORIZING`` → ``pending``; ``COMPLETED`` and ``REFUNDED`` →
``succeeded`` (with the yen refunded so far); ``FAILED`` → ``failed``; ``CANCELED`` →
``canceled``; ``EXPIRED`` → ``expired``.

What PayPay does differently from Stripe, and what this adapter does about it:

* **Idempotency.** Creating a second code with the same ``merchantPaymentId`` is refused
  (``DUPLICATE_DYNAMIC_QR_REQUEST``) rather than answered with the first code, and the code's
  page address cannot be read back later. A retried :meth:`PayPayProvider.start` therefore
  never charges twice but raises :class:`ProviderError`; the caller cancels that payment and
  starts a new one with a new key. A retried refund with the same ``merchantRefundId`` is
  answered with the refund that exists (read back by its id).
* **Webhooks are not signed.** :meth:`PayPayProvider.parse_webhook` checks what it can — an
  optional shared token that we put in the webhook address registered with PayPay (the view
  passes it on as the ``X-Webhook-Token`` header), our merchant id, the event's shape, and that
  ``merchant_order_id`` looks like one of our keys — and the services always re-read the
  payment with :meth:`PayPayProvider.fetch` before believing anything.
* **No list of payments.** PayPay has no endpoint listing a merchant's payments, so
  :meth:`PayPayProvider.list_payments` re-reads each payment *we* know of since the moment
  asked: the Django side passes ``known_refs`` (our references created since an instant).
* **Cancelling.** Deleting a code needs PayPay's ``codeId``, which only the creating response
  carries, so :meth:`PayPayProvider.cancel` uses PayPay's cancel of the payment by
  ``merchantPaymentId``, then reads the payment back and reports what it became. PayPay allows
  that cancel only until 00:14:59 the day after a payment; a paid payment is never cancelled
  here (``cancel`` checks first).
* **One refund per payment**, as PayPay allows for web payments.

Errors: the SDK does not raise on a refused request but returns PayPay's ``resultInfo``; every
answer whose code is not a success, and every transport error, becomes :class:`ProviderError`
with PayPay's result code only (never names, amounts or addresses).
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import paypayopa
import requests

from yoyaku.core import clock

from .base import (
    Method,
    ProviderError,
    RemotePayment,
    RemoteRefund,
    RemoteStatus,
    Started,
    StartRequest,
    WebhookNotice,
)

SUCCESS_CODES = frozenset({"SUCCESS", "REQUEST_ACCEPTED"})
STATUSES = {
    "CREATED": RemoteStatus.PENDING,
    "AUTHORIZED": RemoteStatus.PENDING,
    "REAUTHORIZING": RemoteStatus.PENDING,
    "COMPLETED": RemoteStatus.SUCCEEDED,
    "REFUNDED": RemoteStatus.SUCCEEDED,
    "FAILED": RemoteStatus.FAILED,
    "CANCELED": RemoteStatus.CANCELED,
    "EXPIRED": RemoteStatus.EXPIRED,
}
PAID = frozenset({"COMPLETED", "REFUNDED"})
# PayPay's merchantPaymentId: at most 64 characters; our keys use letters, digits, - and _.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
TOKEN_HEADER = "X-Webhook-Token"
DESCRIPTION_MAX = 255
# PayPay asks for a read time-out of at least 30 seconds on payment creation.
TIMEOUT = (5.0, 30.0)


class PayPayProvider:
    """The :class:`~yoyaku.payments.providers.base.Provider` for PayPay web payments."""

    name = "paypay"
    methods = frozenset({Method.PAYPAY})

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        merchant_id: str,
        webhook_token: str = "",
        production: bool = False,
        known_refs: Callable[[int], Iterable[str]] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if not (api_key and api_secret and merchant_id):
            raise ProviderError("PayPay: API key, secret and merchant id must be configured")
        self._merchant_id = merchant_id
        self._webhook_token = webhook_token
        self._known_refs = known_refs
        self._client = paypayopa.Client(
            session=session, auth=(api_key, api_secret), production_mode=production
        )
        self._client.set_assume_merchant(merchant_id)

    # --- moving money ---------------------------------------------------------------------

    def start(self, request: StartRequest) -> Started:
        """Create the code; the browser goes to PayPay's page (which opens the app if any)."""
        if request.method != Method.PAYPAY:
            raise ValueError(f"PayPay does not take {request.method}")
        _check_amount(request.amount)
        _check_key(request.key)
        body: dict[str, Any] = {
            "merchantPaymentId": request.key,
            "amount": {"amount": request.amount, "currency": "JPY"},
            "codeType": "ORDER_QR",
            "orderDescription": request.description[:DESCRIPTION_MAX],
            "isAuthorization": False,
            "redirectUrl": request.return_url,
            "redirectType": "WEB_LINK",
            "requestedAt": _now(),
            "metadata": dict(request.metadata),
        }
        answer = self._call("create a code", self._client.Code.create_qr_code, body)
        data = _data(answer)
        url = str(data.get("url") or data.get("deeplink") or "")
        if not url:
            raise ProviderError("PayPay: the code came back without a page address")
        return Started(ref=str(data.get("merchantPaymentId") or request.key), redirect_url=url)

    def fetch(self, ref: str) -> RemotePayment:
        return _remote(ref, self._details(ref))

    def refund(self, *, ref: str, amount: int, key: str) -> RemoteRefund:
        """Refund ``amount`` yen; ``key`` is PayPay's ``merchantRefundId``. A refund PayPay has
        accepted but not finished (``CREATED``) is reported as not (yet) succeeded."""
        _check_amount(amount)
        _check_key(key)
        details = self._details(ref)
        payment_id = str(details.get("paymentId") or "")
        if details.get("status") not in PAID or not payment_id:
            raise ProviderError("PayPay: the payment is not paid, there is nothing to refund")
        body = {
            "merchantRefundId": key,
            "paymentId": payment_id,
            "amount": {"amount": amount, "currency": "JPY"},
            "requestedAt": _now(),
        }
        with _translated_errors("refund a payment"):
            answer = self._client.Payment.refund_payment(body, timeout=TIMEOUT)
        if _result_code(answer).startswith("DUPLICATE"):
            # The same key was sent before (a retry after a time-out): answer with that refund.
            answer = self._call("read a refund", self._client.Payment.refund_details, key)
        data = _data(_checked("refund a payment", answer))
        return RemoteRefund(
            ref=str(data.get("merchantRefundId") or key),
            amount=_yen(data.get("amount")),
            succeeded=data.get("status") == "REFUNDED",
        )

    def cancel(self, ref: str) -> RemotePayment:
        """Cancel an unpaid payment; a payment that is already paid, failed, cancelled or
        expired is read back as it is."""
        details = self._details(ref)
        if details.get("status") not in ("CREATED", "AUTHORIZED"):
            return _remote(ref, details)
        self._call("cancel a payment", self._client.Payment.cancel_payment, ref)
        after = _remote(ref, self._details(ref))
        if after.status == RemoteStatus.PENDING:
            # Accepted by PayPay; the payment's own state follows a moment later.
            return RemotePayment(
                ref=after.ref,
                status=RemoteStatus.CANCELED,
                amount=after.amount,
                method=after.method,
            )
        return after

    # --- what PayPay tells us -------------------------------------------------------------

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        """Check what can be checked of an unsigned PayPay notification and name our payment.

        Refused (:class:`ProviderError`): a wrong or missing shared token (when one is
        configured), a body that is not a JSON object, another merchant's notification, or a
        ``merchant_order_id`` that cannot be one of our keys. Everything else is only a hint:
        the services re-read the payment with :meth:`fetch`."""
        if self._webhook_token:
            given = _header(headers, TOKEN_HEADER)
            if not hmac.compare_digest(given.encode(), self._webhook_token.encode()):
                raise ProviderError("PayPay: webhook token refused")
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise ProviderError("PayPay: webhook body is not JSON") from exc
        if not isinstance(event, dict):
            raise ProviderError("PayPay: webhook body is not an object")
        merchant = str(event.get("merchant_id") or "")
        if merchant and merchant != self._merchant_id:
            raise ProviderError("PayPay: webhook for another merchant")
        kind = str(event.get("notification_type") or "")
        ref = str(event.get("merchant_order_id") or "")
        if not ref:
            # Not about a payment (PayPay also notifies of other things): nothing to re-read.
            return WebhookNotice(event_id=_event_id(event), payment_ref="", kind=kind)
        if not KEY_PATTERN.fullmatch(ref):
            raise ProviderError("PayPay: webhook names no payment of ours")
        state = str(event.get("state") or "")
        return WebhookNotice(
            event_id=_event_id(event), payment_ref=ref, kind=f"{kind}:{state}" if state else kind
        )

    def list_payments(self, *, since_epoch: int) -> list[RemotePayment]:
        """PayPay cannot list payments: re-read each of ours created since ``since_epoch``."""
        if self._known_refs is None:
            return []
        return [self.fetch(ref) for ref in self._known_refs(since_epoch)]

    # --- helpers --------------------------------------------------------------------------

    def _details(self, ref: str) -> dict[str, Any]:
        _check_key(ref)
        answer = self._call("read a payment", self._client.Code.get_payment_details, ref)
        return _data(answer)

    def _call(self, action: str, function: Callable[..., Any], argument: Any) -> dict[str, Any]:
        with _translated_errors(action):
            answer = function(argument, timeout=TIMEOUT)
        return _checked(action, answer)


@contextmanager
def _translated_errors(action: str) -> Iterator[None]:
    """Transport errors, answers that are not JSON and the SDK's own checks of a request
    (``ValueError``) become :class:`ProviderError`, without the request's content."""
    try:
        yield
    except requests.RequestException as exc:
        raise ProviderError(f"PayPay: could not {action} ({type(exc).__name__})") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError(f"PayPay: could not {action} (unreadable answer)") from exc


def _checked(action: str, answer: Any) -> dict[str, Any]:
    code = _result_code(answer)
    if code not in SUCCESS_CODES:
        raise ProviderError(f"PayPay: could not {action} ({code or 'no result code'})")
    return answer


def _result_code(answer: Any) -> str:
    if not isinstance(answer, dict):
        return ""
    info = answer.get("resultInfo")
    return str(info.get("code") or "") if isinstance(info, dict) else ""


def _data(answer: Mapping[str, Any]) -> dict[str, Any]:
    data = answer.get("data")
    if not isinstance(data, dict):
        raise ProviderError("PayPay: the answer carries no data")
    return data


def _remote(ref: str, data: Mapping[str, Any]) -> RemotePayment:
    state = str(data.get("status") or "")
    if state not in STATUSES:
        raise ProviderError(f"PayPay: unknown payment state {state[:32]!r}")
    accepted = data.get("acceptedAt")
    return RemotePayment(
        ref=str(data.get("merchantPaymentId") or ref),
        status=STATUSES[state],
        amount=_yen(data.get("amount")),
        method=Method.PAYPAY,
        paid_at_epoch=int(accepted) if state in PAID and accepted else None,
        refunded=_refunded(data),
    )


def _refunded(data: Mapping[str, Any]) -> int:
    refunds = data.get("refunds") or {}
    items = (refunds.get("data") or []) if isinstance(refunds, dict) else []
    return sum(_yen(item.get("amount")) for item in items if item.get("status") == "REFUNDED")


def _yen(amount: Any) -> int:
    if isinstance(amount, dict):
        if amount.get("currency", "JPY") != "JPY":
            raise ProviderError("PayPay: an amount in another currency than yen")
        amount = amount.get("amount")
    try:
        return int(amount or 0)
    except (TypeError, ValueError) as exc:
        raise ProviderError("PayPay: an amount that is not a number") from exc


def _event_id(event: Mapping[str, Any]) -> str:
    """PayPay's notifications carry no event id: a payment's order id and its new state name
    one transition, so a repeated notification is recognised as the same event."""
    order = str(event.get("order_id") or event.get("merchant_order_id") or "")
    state = str(event.get("state") or "")
    return f"{order}:{state}"


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError("amounts are a positive integer number of yen")


def _check_key(key: str) -> None:
    if not KEY_PATTERN.fullmatch(key):
        raise ProviderError("PayPay: not a payment reference of ours")


def _now() -> int:
    return int(clock.now().timestamp())
