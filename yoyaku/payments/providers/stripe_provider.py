"""Stripe: card and konbini payments through a hosted Checkout Session.

One payment of ours is one Checkout Session at Stripe (mode ``payment``, one line, one method);
the session's id is the payment's ``ref``. The session creates a PaymentIntent when the person
confirms, and that PaymentIntent (with its latest Charge) tells what happened to the money.

How Stripe's states become ours (:func:`_status`):

* session ``open`` → ``pending`` (the page is open; a declined card can be tried again there);
* session ``complete`` and ``payment_status`` ``paid`` → ``succeeded``;
* session ``complete`` and ``unpaid`` is a konbini number issued and not paid yet: the
  PaymentIntent decides — ``requires_action`` / ``processing`` → ``pending``,
  ``succeeded`` → ``succeeded``, ``requires_payment_method`` → ``expired`` (konbini: the number
  passed its deadline) or ``failed`` (card), ``canceled`` → ``canceled``;
* session ``expired`` → ``expired``. Stripe does not say who expired a session, so a session
  that :meth:`StripeProvider.cancel` expired reads back as ``expired`` too; ``cancel`` itself
  answers ``canceled``.

Keys come from the constructor only; the Django side reads them from the environment
(``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``). Tests pass their own ``stripe.HTTPClient``,
so nothing here reaches the network in a test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import stripe

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

# Metadata key under which our own idempotency key travels with the session and its
# PaymentIntent, so that a payment can be recognised from either side.
KEY_METADATA = "yoyaku_key"

# The event types that are about a Checkout Session (data.object is the session).
SESSION_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    }
)
REFUND_EVENTS = frozenset({"charge.refunded", "refund.updated"})

# Stripe accepts a Checkout Session lifetime between 30 minutes and 24 hours.
SESSION_MIN_SECONDS = 30 * 60 + 60
SESSION_MAX_SECONDS = 24 * 60 * 60 - 60
KONBINI_MAX_DAYS = 60
# Konbini chains in the order their confirmation number is shown when there is one per chain.
KONBINI_STORES = ("familymart", "lawson", "ministop", "seicomart")

_EXPAND_ONE = ["payment_intent", "payment_intent.latest_charge"]
_EXPAND_LIST = ["data.payment_intent", "data.payment_intent.latest_charge"]


class StripeProvider:
    """The :class:`~yoyaku.payments.providers.base.Provider` for Stripe (card, konbini)."""

    name = "stripe"
    methods = frozenset({Method.CARD, Method.KONBINI})

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = 2,
    ) -> None:
        if not api_key:
            raise ProviderError("Stripe: no secret key configured")
        self._webhook_secret = webhook_secret
        self._client = stripe.StripeClient(
            api_key,
            http_client=http_client,
            max_network_retries=max_network_retries,
        )

    # --- moving money ---------------------------------------------------------------------

    def start(self, request: StartRequest) -> Started:
        """Create the Checkout Session; the browser goes to its hosted page."""
        if request.method not in self.methods:
            raise ValueError(f"Stripe does not take {request.method}")
        _check_amount(request.amount)
        now = int(clock.now().timestamp())
        metadata = {**request.metadata, KEY_METADATA: request.key}
        params: dict[str, Any] = {
            "mode": "payment",
            "payment_method_types": [str(request.method)],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        # JPY is a zero-decimal currency: the amount is in yen as it is.
                        "currency": "jpy",
                        "unit_amount": request.amount,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "success_url": request.return_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.key,
            "metadata": metadata,
            "payment_intent_data": {
                "description": request.description,
                "metadata": metadata,
            },
            "locale": "auto",  # Japanese or English, as the browser asks
            "expires_at": _session_expiry(now=now, deadline=request.expires_at_epoch),
        }
        if request.method == Method.KONBINI:
            params["payment_method_options"] = {
                "konbini": {
                    "expires_after_days": _konbini_days(now=now, deadline=request.expires_at_epoch)
                }
            }
        with _translated_errors("create a checkout session"):
            session = self._client.v1.checkout.sessions.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.key},
            )
        data = session.to_dict()
        return Started(ref=str(data["id"]), redirect_url=str(data.get("url") or ""))

    def fetch(self, ref: str) -> RemotePayment:
        """Read the session with its PaymentIntent and latest Charge in one request."""
        return _remote(self._session(ref))

    def refund(self, *, ref: str, amount: int, key: str) -> RemoteRefund:
        """Refund ``amount`` yen of the session's PaymentIntent.

        A konbini refund needs the person's bank account and stays ``pending`` at Stripe until
        it is paid out; it is reported as not (yet) succeeded."""
        _check_amount(amount)
        session = self._session(ref)
        intent_id = _intent_id(session)
        if not intent_id:
            raise ProviderError("Stripe: the payment has no PaymentIntent to refund")
        with _translated_errors("create a refund"):
            refund = self._client.v1.refunds.create(
                {
                    "payment_intent": intent_id,
                    "amount": amount,
                    "metadata": {KEY_METADATA: key},
                },
                {"idempotency_key": key},
            )
        data = refund.to_dict()
        return RemoteRefund(
            ref=str(data["id"]),
            amount=int(data["amount"]),
            succeeded=data.get("status") == "succeeded",
        )

    def cancel(self, ref: str) -> RemotePayment:
        """Expire an open session, or cancel an unpaid konbini PaymentIntent.

        Anything else (already paid, already expired) is left alone and read back as it is."""
        session = self._session(ref)
        remote = _remote(session)
        if session.get("status") == "open":
            with _translated_errors("expire a checkout session"):
                try:
                    self._client.v1.checkout.sessions.expire(ref)
                except stripe.InvalidRequestError:
                    # Completed between our read and the expiry: say what it became.
                    return self.fetch(ref)
            return dataclasses.replace(remote, status=RemoteStatus.CANCELED)
        intent = session.get("payment_intent")
        if (
            remote.status == RemoteStatus.PENDING
            and isinstance(intent, Mapping)
            and intent.get("status") == "requires_action"
        ):
            with _translated_errors("cancel a payment intent"):
                try:
                    self._client.v1.payment_intents.cancel(str(intent["id"]))
                except stripe.InvalidRequestError:
                    return self.fetch(ref)
            return dataclasses.replace(remote, status=RemoteStatus.CANCELED)
        return remote

    # --- what Stripe tells us -------------------------------------------------------------

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        """Verify ``Stripe-Signature`` (HMAC-SHA256 with the endpoint secret, timestamp within
        Stripe's tolerance) and say which session the event is about.

        Events that are not about a payment of ours give an empty ``payment_ref``: the caller
        records and ignores them. A refund event carries a Charge; its session is looked up by
        the Charge's PaymentIntent."""
        signature = _header(headers, "Stripe-Signature")
        if not self._webhook_secret:
            raise ProviderError("Stripe: no webhook secret configured")
        try:
            event = stripe.Webhook.construct_event(body, signature, self._webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise ProviderError("Stripe: webhook signature refused") from exc
        except ValueError as exc:
            raise ProviderError("Stripe: webhook body is not an event") from exc
        data = event.to_dict()
        kind = str(data.get("type", ""))
        obj = data.get("data", {}).get("object", {}) or {}
        payment_ref = ""
        if kind in SESSION_EVENTS and obj.get("object") == "checkout.session":
            payment_ref = str(obj.get("id", ""))
        elif kind in REFUND_EVENTS:
            payment_ref = self._session_of_intent(_id_of(obj.get("payment_intent")))
        return WebhookNotice(event_id=str(data.get("id", "")), payment_ref=payment_ref, kind=kind)

    def list_payments(self, *, since_epoch: int) -> list[RemotePayment]:
        """Every Checkout Session created since ``since_epoch``, newest first (all pages)."""
        with _translated_errors("list checkout sessions"):
            page = self._client.v1.checkout.sessions.list(
                {"created": {"gte": since_epoch}, "limit": 100, "expand": _EXPAND_LIST}
            )
            return [_remote(session.to_dict()) for session in page.auto_paging_iter()]

    # --- helpers --------------------------------------------------------------------------

    def _session(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("cs_"):
            raise ProviderError("Stripe: not a checkout session reference")
        with _translated_errors("read a checkout session"):
            session = self._client.v1.checkout.sessions.retrieve(ref, {"expand": _EXPAND_ONE})
        return session.to_dict()

    def _session_of_intent(self, intent_id: str) -> str:
        if not intent_id:
            return ""
        with _translated_errors("find the session of a payment intent"):
            page = self._client.v1.checkout.sessions.list({"payment_intent": intent_id, "limit": 1})
        sessions = page.to_dict().get("data", [])
        return str(sessions[0]["id"]) if sessions else ""


@contextmanager
def _translated_errors(action: str) -> Iterator[None]:
    """Any error of the library becomes a :class:`ProviderError` whose message names the
    action, the error class and Stripe's error code only: Stripe's own message may quote what
    the person typed, so it is not repeated."""
    try:
        yield
    except stripe.StripeError as exc:
        code = f", code {exc.code}" if exc.code else ""
        status = f", HTTP {exc.http_status}" if exc.http_status else ""
        raise ProviderError(
            f"Stripe: could not {action} ({type(exc).__name__}{code}{status})"
        ) from exc


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError("amounts are a positive integer number of yen")


def _session_expiry(*, now: int, deadline: int) -> int:
    """The session closes at the deadline, within the 30 minutes – 24 hours Stripe allows."""
    return max(now + SESSION_MIN_SECONDS, min(deadline, now + SESSION_MAX_SECONDS))


def _konbini_days(*, now: int, deadline: int) -> int:
    """Konbini instructions expire at 23:59:59 JST, ``n`` calendar days after confirmation;
    count the days from today (Japan) to the deadline's day, between 1 and 60."""
    today = dt.datetime.fromtimestamp(now, clock.JST).date()
    last_day = dt.datetime.fromtimestamp(deadline, clock.JST).date()
    return max(1, min(KONBINI_MAX_DAYS, (last_day - today).days))


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def _id_of(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("id", ""))
    return str(value or "")


def _intent_id(session: Mapping[str, Any]) -> str:
    return _id_of(session.get("payment_intent"))


def _method(session: Mapping[str, Any]) -> Method:
    types = session.get("payment_method_types") or []
    return Method.KONBINI if "konbini" in types else Method.CARD


def _status(session: Mapping[str, Any]) -> RemoteStatus:
    state = session.get("status")
    if state == "open":
        return RemoteStatus.PENDING
    if state == "expired":
        return RemoteStatus.EXPIRED
    if session.get("payment_status") in ("paid", "no_payment_required"):
        return RemoteStatus.SUCCEEDED
    intent = session.get("payment_intent")
    intent_status = intent.get("status") if isinstance(intent, Mapping) else None
    if intent_status == "succeeded":
        return RemoteStatus.SUCCEEDED
    if intent_status == "canceled":
        return RemoteStatus.CANCELED
    if intent_status == "requires_payment_method":
        return RemoteStatus.EXPIRED if _method(session) == Method.KONBINI else RemoteStatus.FAILED
    return RemoteStatus.PENDING


def _remote(session: Mapping[str, Any]) -> RemotePayment:
    intent = session.get("payment_intent")
    intent = intent if isinstance(intent, Mapping) else {}
    charge = intent.get("latest_charge")
    charge = charge if isinstance(charge, Mapping) else {}
    status = _status(session)
    paid_at = None
    if status == RemoteStatus.SUCCEEDED and charge.get("paid"):
        paid_at = int(charge["created"])
    return RemotePayment(
        ref=str(session["id"]),
        status=status,
        amount=int(session.get("amount_total") or 0),
        method=_method(session),
        paid_at_epoch=paid_at,
        refunded=int(charge.get("amount_refunded") or 0),
        code=_konbini_number(intent),
    )


def _konbini_number(intent: Mapping[str, Any]) -> str:
    action = intent.get("next_action") or {}
    stores = (action.get("konbini_display_details") or {}).get("stores") or {}
    for store in KONBINI_STORES:
        number = (stores.get(store) or {}).get("confirmation_number")
        if number:
            return str(number)
    return ""
