"""Taking money: start an online payment, learn what happened to it, record counter payments.

The order that keeps money safe:

1. :func:`payment_start` commits a ``Payment`` row with its idempotency key *before* calling the
   provider, and a reservation has at most one open payment (a partial unique key). A double
   click, a second tab or the back button finds the open payment and returns its page; a
   crash between our commit and the provider's answer is repaired by calling again, since the
   provider sees the same key.
2. Nothing changes on a browser's word or a webhook's: :func:`payment_sync` re-reads the
   payment from the provider and applies what it says, under a row lock, once
   (:func:`apply_remote` does nothing for a status already recorded).
3. The ledger entry of a payment, the reservation's confirmation (支払待ち → 予約確定) and any
   refund it makes necessary are one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, AuditVia, User
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import Facility
from yoyaku.notifications.services import email_template_queue
from yoyaku.payments import ledger, refunds
from yoyaku.payments.models import LedgerEntry, Payment, WebhookEvent
from yoyaku.payments.providers import registry
from yoyaku.payments.providers.base import (
    Method,
    ProviderError,
    RemotePayment,
    RemoteStatus,
    StartRequest,
)
from yoyaku.registrants.services import mail_context
from yoyaku.reservations import payable
from yoyaku.reservations.models import Reservation

R = Reservation.Status
P = Payment.Status
PAYABLE_STATES = ledger.PAYABLE_STATES
DEFAULT_PAYMENT_DAYS = 3  # how long a payment page or number lasts without a deadline


def online_methods(facility: Facility) -> list[str]:
    """The online methods this facility accepts (none when online payment is off)."""
    if not payable.accepts_online_payment(facility):
        return []
    chosen = facility.payment_methods or [m.value for m in Method]
    return [m for m in (Method.CARD, Method.KONBINI, Method.PAYPAY) if m in chosen]


def _description(reservation: Reservation) -> str:
    return f"{reservation.unit.facility.name} {reservation.unit.name} 使用料（予約番号 {reservation.number}）"


def _site(path: str) -> str:
    return f"{settings.YOYAKU_SITE_URL}{path}"


def payment_start(
    *, reservation: Reservation, method: str, by: User, _retry: bool = False
) -> Payment:
    """支払う: the open payment of this reservation, or a new one for its balance.

    Refused (``DomainError``) when the facility takes no online payment or not this method,
    when nothing is owed, or when the reservation is not to be paid. Calls the provider
    outside the database transaction; a ``ProviderError`` is said to the person as
    「ただいま決済サービスに接続できません」 and the same payment is resumed next time.
    """
    provider_name = registry.default_name()
    # An open payment may already be settled at the provider (a card declined a moment ago,
    # before its notice arrived): learn that first, so a retry starts afresh instead of
    # sending the person back to a finished page.
    for open_payment in Payment.objects.filter(
        reservation_id=reservation.pk, status__in=Payment.OPEN
    ).exclude(ref=""):
        try:
            synced = payment_sync(payment=open_payment)
        except ProviderError:
            continue
        if synced.status == P.SUCCEEDED:
            raise DomainError("payment_already_received")
    with transaction.atomic():
        reservation = (
            Reservation.objects.select_for_update(of=("self",))
            .select_related("unit__facility", "registrant", "municipality")
            .get(pk=reservation.pk)
        )
        if method not in online_methods(reservation.unit.facility):
            raise DomainError("payment_method_unavailable")
        if reservation.status not in PAYABLE_STATES:
            raise DomainError("payment_not_due")
        owed = ledger.balance(reservation)
        if owed <= 0:
            raise DomainError("payment_nothing_owed")
        payment = Payment.objects.filter(reservation=reservation, status__in=Payment.OPEN).first()
        stale = (
            payment if payment and (payment.method != method or payment.amount != owed) else None
        )
        if payment is None:
            now = clock.now()
            expires = reservation.payment_due_at or now + dt.timedelta(days=DEFAULT_PAYMENT_DAYS)
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        municipality_id=reservation.municipality_id,
                        registrant_id=reservation.registrant_id,
                        reservation=reservation,
                        provider=provider_name,
                        method=method,
                        amount=owed,
                        key=f"pay_{uuid.uuid4().hex}",
                        created_at=now,
                        created_by=by,
                        updated_at=now,
                        expires_at=expires,
                    )
            except IntegrityError as exc:  # another tab opened one a moment ago
                raise DomainError("payment_in_progress") from exc
            audit_record(
                action=AuditAction.PAYMENT_START,
                actor=by,
                municipality=reservation.municipality,
                target=payment,
                data={"amount": owed, "method": method, "provider": provider_name},
            )
    if stale is not None:
        # Another method or amount was chosen: close the open payment first (outside the
        # transaction: the provider is called), then start afresh, once.
        _close_open(stale, by=by)
        if _retry:
            raise DomainError("payment_in_progress")
        return payment_start(reservation=reservation, method=method, by=by, _retry=True)
    if payment.redirect_url or payment.code:
        return payment
    return _send_start(payment, reservation)


def _send_start(payment: Payment, reservation: Reservation) -> Payment:
    provider = registry.get(payment.provider)
    back = reverse(
        "citizen:payment_return",
        kwargs={"municipality": reservation.municipality.slug, "payment_id": payment.pk},
    )
    detail = reverse(
        "citizen:reservation_detail",
        kwargs={"municipality": reservation.municipality.slug, "reservation_id": reservation.pk},
    )
    try:
        started = provider.start(
            StartRequest(
                key=payment.key,
                amount=payment.amount,
                method=Method(payment.method),
                description=_description(reservation),
                return_url=_site(back),
                cancel_url=_site(detail),
                expires_at_epoch=int(payment.expires_at.timestamp()),
                metadata={"payment": str(payment.pk), "reservation": str(reservation.pk)},
            )
        )
    except ProviderError as exc:
        raise DomainError("payment_provider_down") from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        payment.ref = started.ref
        payment.redirect_url = started.redirect_url
        payment.code = started.code
        if payment.status == P.CREATED and started.code:
            payment.status = P.PENDING
        payment.updated_at = clock.now()
        payment.save(update_fields=["ref", "redirect_url", "code", "status", "updated_at"])
    return payment


def _close_open(payment: Payment, *, by: User | None) -> None:
    """Another method or amount was chosen: the open payment is cancelled at the provider
    first; if the money arrived meanwhile, it is recorded instead."""
    remote = None
    if payment.ref:
        try:
            remote = registry.get(payment.provider).cancel(payment.ref)
        except ProviderError as exc:
            raise DomainError("payment_provider_down") from exc
    if remote is not None and remote.status == RemoteStatus.SUCCEEDED:
        apply_remote(payment, remote, via=None, by=by)
        raise DomainError("payment_already_received")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status in Payment.OPEN:
            _set_status(payment, P.CANCELED, by=by)


def _set_status(payment: Payment, status: str, *, by: User | None, via: str | None = None) -> None:
    payment.status = status
    payment.updated_at = clock.now()
    payment.save(update_fields=["status", "updated_at"])
    audit_record(
        action=AuditAction.PAYMENT_FAILED if status == P.FAILED else AuditAction.PAYMENT_CLOSED,
        actor=by,
        municipality=payment.municipality,
        target=payment,
        data={"status": status},
        via=AuditVia(ledger.via_of(by, via)),
    )


def payment_sync(*, payment: Payment, via: str | None = None) -> Payment:
    """Read the payment from its provider and apply what it says (idempotent)."""
    if not payment.ref or payment.provider == "counter":
        return payment
    remote = registry.get(payment.provider).fetch(payment.ref)
    return apply_remote(payment, remote, via=via, by=None)


@transaction.atomic
def apply_remote(
    payment: Payment, remote: RemotePayment, *, via: str | None, by: User | None
) -> Payment:
    """Record the provider's view of a payment, once. A success writes the ledger entry,
    confirms a reservation awaiting payment, or — for a reservation no longer to be paid —
    is refunded at once and flagged for staff."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == P.SUCCEEDED:
        return payment
    if remote.status == RemoteStatus.SUCCEEDED:
        return _record_success(payment, amount=remote.amount, via=via, by=by)
    if remote.status == RemoteStatus.PENDING:
        if remote.code and payment.code != remote.code:
            payment.code = remote.code
        if payment.status == P.CREATED:
            payment.status = P.PENDING
        payment.updated_at = clock.now()
        payment.save(update_fields=["code", "status", "updated_at"])
        return payment
    closing = {
        RemoteStatus.FAILED: P.FAILED,
        RemoteStatus.EXPIRED: P.EXPIRED,
        RemoteStatus.CANCELED: P.CANCELED,
    }[remote.status]
    if payment.status != closing:
        _set_status(payment, closing, by=by, via=via)
    return payment


def _record_success(payment: Payment, *, amount: int, via: str | None, by: User | None) -> Payment:
    reservation = (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("registrant__municipality", "unit__facility")
        .get(pk=payment.reservation_id)
    )
    now = clock.now()
    payment.status = P.SUCCEEDED
    payment.succeeded_at = now
    payment.updated_at = now
    if amount != payment.amount:
        # The provider's amount is what moved; our request is kept in the audit row.
        payment.amount = amount
    late = reservation.status not in PAYABLE_STATES or ledger.balance(reservation) <= 0
    payment.late = late
    payment.save(update_fields=["status", "succeeded_at", "updated_at", "amount", "late"])
    ledger.entry(
        reservation, LedgerEntry.Kind.PAYMENT, -payment.amount, by=by, via=via, payment=payment
    )
    audit_record(
        action=AuditAction.PAYMENT_LATE if late else AuditAction.PAYMENT_RECEIVED,
        actor=by,
        municipality=reservation.municipality,
        target=payment,
        data={"amount": payment.amount, "reservation": reservation.pk, "method": payment.method},
        via=AuditVia(ledger.via_of(by, via)),
    )
    if reservation.status == R.AWAITING_PAYMENT and ledger.balance(reservation) <= 0:
        payable.reservation_mark_paid(reservation=reservation, by=by, via=ledger.via_of(by, via))
    if ledger.balance(reservation) < 0:
        refunds.plan(
            reservation,
            by=by,
            reason="期限後・取消後の入金" if late else "過払い",
        )
    _mail_received(payment, reservation)
    return payment


def _mail_received(payment: Payment, reservation: Reservation) -> None:
    registrant = reservation.registrant
    if not registrant.email:
        return
    email_template_queue(
        to=[registrant.email],
        template="payment_received",
        context=mail_context(
            registrant,
            reservation_number=reservation.number,
            facility_name=reservation.unit.facility.name,
            unit_name=reservation.unit.name,
            amount=f"{payment.amount:,}",
            method=payment.get_method_display(),
            late=payment.late,
            reservation_status=reservation.get_status_display(),
            reservation_id=reservation.pk,
            payment_id=payment.pk,
        ),
    )


def payment_record_counter(
    *, reservation: Reservation, amount: int, method: str, receipt_number: str, by: User
) -> Payment:
    """窓口払い / 銀行振込: staff record money received, with the receipt number."""
    if method not in (Payment.Method.COUNTER, Payment.Method.TRANSFER):
        raise DomainError("payment_method_unavailable")
    if not 0 < amount <= 10_000_000:
        raise DomainError("payment_amount_invalid")
    receipt_number = receipt_number.strip()
    if not receipt_number:
        raise DomainError("receipt_number_required")
    with transaction.atomic():
        locked = Reservation.objects.select_for_update(of=("self",)).get(pk=reservation.pk)
        if locked.status not in PAYABLE_STATES:
            raise DomainError("payment_not_due")
        if amount > ledger.balance(locked):
            raise DomainError("payment_more_than_owed", owed=f"{max(0, ledger.balance(locked)):,}")
        now = clock.now()
        payment = Payment.objects.create(
            municipality_id=locked.municipality_id,
            registrant_id=locked.registrant_id,
            reservation=locked,
            provider="counter",
            method=method,
            amount=amount,
            key=f"ctr_{uuid.uuid4().hex}",
            receipt_number=receipt_number[:40],
            status=P.PENDING,
            created_at=now,
            created_by=by,
            updated_at=now,
        )
        audit_record(
            action=AuditAction.PAYMENT_COUNTER,
            actor=by,
            municipality=locked.municipality,
            target=payment,
            data={"amount": amount, "method": method, "receipt_number": receipt_number},
        )
        return _record_success(payment, amount=amount, via=AuditVia.STAFF, by=by)


class WebhookRejected(Exception):
    """The notification's signature (or shape) did not check out: nothing was recorded."""


def webhook_receive(*, provider_name: str, body: bytes, headers) -> str:
    """A provider's notification: verified, recorded once, then the payment is re-read.

    Returns the outcome for the record. A signature that fails raises ``ProviderError`` (the
    view answers 400). A payment we do not know is recorded for staff, never dropped.
    """
    provider = registry.get(provider_name)
    try:
        notice = provider.parse_webhook(body=body, headers=headers)
    except ProviderError as exc:
        raise WebhookRejected(str(exc)) from exc
    if not notice.payment_ref:
        return "ignored"  # an event about nothing of ours (another kind of object)
    now = clock.now()
    event, created = WebhookEvent.objects.get_or_create(
        provider=provider_name,
        event_id=notice.event_id,
        defaults={"kind": notice.kind, "payment_ref": notice.payment_ref, "received_at": now},
    )
    if not created and event.processed_at is not None:
        return "duplicate"
    payment = Payment.objects.filter(provider=provider_name, ref=notice.payment_ref).first()
    if payment is None:
        outcome = "unknown payment"
        audit_record(
            action=AuditAction.PAYMENT_UNKNOWN,
            target=event,
            data={"provider": provider_name, "ref": notice.payment_ref, "kind": notice.kind},
            via=AuditVia.WEBHOOK,
        )
    else:
        before = payment.status
        payment = payment_sync(payment=payment, via=AuditVia.WEBHOOK)
        outcome = "applied" if payment.status != before else "no change"
    WebhookEvent.objects.filter(pk=event.pk).update(processed_at=clock.now(), outcome=outcome)
    return outcome
