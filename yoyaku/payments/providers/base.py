"""The one interface every payment provider implements.

A provider moves money; this system keeps the books (the ledger) and decides what a payment
means for a reservation. The services talk to providers only through this interface, so the
sandbox, Stripe and PayPay are interchangeable and tests replace a provider's HTTP transport,
never our services.

Rules every adapter follows:

* Every call that moves money carries an idempotency key: the same key twice gives the same
  result at the provider, never a second charge or refund (a retry after a time-out is safe).
* A webhook is a hint, never the truth: :meth:`Provider.parse_webhook` checks its signature and
  returns which payment it is about; the services then re-read the payment with
  :meth:`Provider.fetch` before changing anything.
* Amounts are integer yen.
* Errors of the provider (down, time-out, refused request) raise :class:`ProviderError`; a
  declined card is not an error but a remote status ``failed``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Method(enum.StrEnum):
    CARD = "card"  # クレジットカード
    KONBINI = "konbini"  # コンビニ払い
    PAYPAY = "paypay"  # PayPay


class RemoteStatus(enum.StrEnum):
    PENDING = "pending"  # started, not paid yet (a card page open, a konbini number issued)
    SUCCEEDED = "succeeded"  # the money is taken
    FAILED = "failed"  # declined; the person may try again
    EXPIRED = "expired"  # the provider gave up (a konbini number past its deadline)
    CANCELED = "canceled"  # we cancelled it before it was paid


class ProviderError(Exception):
    """The provider could not be reached or refused the request; nothing is known to have
    happened. Retrying with the same idempotency key is safe."""


@dataclass(frozen=True)
class StartRequest:
    key: str  # idempotency key: our payment's own key
    amount: int
    method: Method
    description: str  # 但し書き, e.g. 「多目的ホール 使用料（2027年1月9日）」
    return_url: str  # where the person's browser comes back to
    cancel_url: str
    expires_at_epoch: int  # the latest moment the payment may be completed (konbini deadline)
    metadata: Mapping[str, str] = field(default_factory=dict)  # our payment id, reservation id


@dataclass(frozen=True)
class Started:
    ref: str  # the provider's id of the payment
    redirect_url: str = ""  # a hosted page to send the browser to
    code: str = ""  # a payment number to show (konbini), when there is no page


@dataclass(frozen=True)
class RemotePayment:
    ref: str
    status: RemoteStatus
    amount: int
    method: Method
    paid_at_epoch: int | None = None
    refunded: int = 0  # yen refunded so far
    code: str = ""  # konbini payment number, if any


@dataclass(frozen=True)
class RemoteRefund:
    ref: str
    amount: int
    succeeded: bool


@dataclass(frozen=True)
class WebhookNotice:
    event_id: str  # unique per event at the provider: duplicates are recognised by it
    payment_ref: str  # which payment it is about (re-read it with fetch)
    kind: str  # the provider's event type, for the record


class Provider(Protocol):
    name: str  # "sandbox", "stripe", "paypay"
    methods: frozenset[Method]

    def start(self, request: StartRequest) -> Started: ...

    def fetch(self, ref: str) -> RemotePayment: ...

    def refund(self, *, ref: str, amount: int, key: str) -> RemoteRefund: ...

    def cancel(self, ref: str) -> RemotePayment:
        """Cancel an unpaid payment (a deadline passed); returns its status afterwards, which
        may be ``succeeded`` if the money arrived first."""
        ...

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        """Verify the signature (raise :class:`ProviderError` when it fails) and say what the
        event is about."""
        ...

    def list_payments(self, *, since_epoch: int) -> list[RemotePayment]:
        """The provider's own records, for reconciliation with the ledger."""
        ...
