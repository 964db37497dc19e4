"""Refunds: planned in the transaction that made money owed back, sent to the provider after
commit, and recorded in the ledger only when the provider confirms them.

A refund row is created with its idempotency key before anything is sent, so a refund retried
after a time-out (by the task, the periodic job or staff) reaches the provider with the same key
and can never be paid twice. Money taken at the counter is given back at the counter: such a
refund waits for staff to record it.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import F, Sum
from django.utils.module_loading import import_string

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.notifications.services import email_template_queue
from yoyaku.payments import ledger
from yoyaku.payments.models import LedgerEntry, Payment, Refund
from yoyaku.payments.providers import registry
from yoyaku.payments.providers.base import ProviderError
from yoyaku.registrants.services import mail_context
from yoyaku.reservations.models import Reservation

COUNTER_PROVIDERS = frozenset({"counter"})


def refundable(payment: Payment) -> int:
    """What of a payment may still be refunded: the amount less refunds not failed."""
    given = (
        payment.refunds.exclude(status=Refund.Status.FAILED).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return payment.amount - given


def in_flight(reservation: Reservation) -> int:
    return (
        Refund.objects.filter(
            payment__reservation=reservation, status=Refund.Status.REQUESTED
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def plan(reservation: Reservation, *, by: User | None, reason: str) -> list[Refund]:
    """Refund what the registrant overpaid on this reservation, from the payments that took
    it (newest first). Inside the transaction that locked the reservation; the refunds go out
    after commit."""
    owed_back = -ledger.balance(reservation) - in_flight(reservation)
    made: list[Refund] = []
    if owed_back <= 0:
        return made
    payments = Payment.objects.select_for_update().filter(
        reservation=reservation, status=Payment.Status.SUCCEEDED
    )
    for payment in payments.order_by("-succeeded_at", "-id"):
        take = min(refundable(payment), owed_back)
        if take <= 0:
            continue
        refund = Refund.objects.create(
            payment=payment,
            amount=take,
            key=f"rf_{uuid.uuid4().hex}",
            reason=reason[:200],
            created_at=clock.now(),
            created_by=by,
        )
        audit_record(
            action=AuditAction.REFUND_START,
            actor=by,
            municipality=reservation.municipality,
            target=refund,
            data={"amount": take, "reservation": reservation.pk, "reason": reason},
        )
        made.append(refund)
        owed_back -= take
        if owed_back <= 0:
            break
    for refund in made:
        if refund.payment.provider not in COUNTER_PROVIDERS:
            transaction.on_commit(lambda pk=refund.pk: _enqueue(pk))
    return made


def _enqueue(refund_pk: int) -> None:
    # By name, as the scheduler does: the task module calls into this one.
    import_string("yoyaku.payments.tasks.refund_send").enqueue(refund_pk)


def refund_send(*, refund: Refund) -> Refund:
    """Ask the provider for the refund (same key every time); record it when it is done.

    Raises ``ProviderError`` when the provider cannot be reached: the refund stays requested
    and the periodic job tries again with the same key.
    """
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.status != Refund.Status.REQUESTED:
        return refund
    payment = refund.payment
    if payment.provider in COUNTER_PROVIDERS:
        return refund
    Refund.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1)
    remote = registry.get(payment.provider).refund(
        ref=payment.ref, amount=refund.amount, key=refund.key
    )
    return _record(refund, ref=remote.ref, succeeded=remote.succeeded, by=None)


def refund_record_counter(*, refund: Refund, by: User) -> Refund:
    """Staff gave the money back at the counter (a payment taken at the counter)."""
    if refund.payment.provider not in COUNTER_PROVIDERS:
        raise DomainError("refund_not_counter")
    return _record(refund, ref="", succeeded=True, by=by)


@transaction.atomic
def _record(refund: Refund, *, ref: str, succeeded: bool, by: User | None) -> Refund:
    refund = (
        Refund.objects.select_for_update(of=("self",))
        .select_related(
            "payment__reservation__registrant__municipality", "payment__reservation__unit__facility"
        )
        .get(pk=refund.pk)
    )
    if refund.status != Refund.Status.REQUESTED:
        return refund  # recorded by a concurrent retry: once only
    reservation = refund.payment.reservation
    refund.status = Refund.Status.SUCCEEDED if succeeded else Refund.Status.FAILED
    refund.ref = ref
    refund.done_at = clock.now()
    refund.save(update_fields=["status", "ref", "done_at"])
    audit_record(
        action=AuditAction.REFUND_DONE if succeeded else AuditAction.REFUND_FAILED,
        actor=by,
        municipality=reservation.municipality,
        target=refund,
        data={"amount": refund.amount},
    )
    if succeeded:
        ledger.entry(reservation, LedgerEntry.Kind.REFUND, refund.amount, by=by, refund=refund)
        registrant = reservation.registrant
        if registrant.email:
            email_template_queue(
                to=[registrant.email],
                template="payment_refunded",
                context=mail_context(
                    registrant,
                    reservation_number=reservation.number,
                    facility_name=reservation.unit.facility.name,
                    unit_name=reservation.unit.name,
                    amount=f"{refund.amount:,}",
                    method=refund.payment.get_method_display(),
                    reservation_id=reservation.pk,
                ),
            )
    return refund


def refunds_retry(*, older_than_seconds: int = 60) -> int:
    """Send again every refund still requested (a provider that was down, a lost answer)."""
    cutoff = clock.now().timestamp() - older_than_seconds
    sent = 0
    for refund in Refund.objects.filter(status=Refund.Status.REQUESTED).exclude(
        payment__provider__in=COUNTER_PROVIDERS
    ):
        if refund.created_at.timestamp() > cutoff:
            continue
        try:
            refund_send(refund=refund)
            sent += 1
        except ProviderError:
            continue
    return sent
