"""What the clock does for money: deadlines, reminders, and the status a webhook never told.

Run every minute by the scheduler (``payments.minute``): a reservation awaiting payment past
its deadline is cancelled and its capacity freed at once; an open payment a webhook never
settled is read again from its provider; a refund the provider did not confirm is sent again
with its own key. Reminders go out 2 days before a deadline.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.notifications.services import email_template_queue
from yoyaku.payments import refunds, services
from yoyaku.payments.models import Payment
from yoyaku.payments.providers import registry
from yoyaku.payments.providers.base import ProviderError, RemoteStatus
from yoyaku.registrants.services import mail_context
from yoyaku.reservations.booking import reservation_expire_unpaid, reservation_mail_context
from yoyaku.reservations.models import Reservation

R = Reservation.Status
REMIND_BEFORE = dt.timedelta(days=2)
RESYNC_AFTER = dt.timedelta(minutes=5)


def payments_expire_due(*, now: dt.datetime | None = None) -> int:
    """Cancel reservations still unpaid at their deadline; the capacity is free at once.

    Open payments are closed at the provider first; money that arrived meanwhile confirms the
    reservation instead. A provider that cannot be reached does not keep the capacity: the
    reservation is cancelled, and a payment that arrives later is refunded automatically.
    """
    now = now or clock.now()
    cancelled = 0
    due = Reservation.objects.filter(status=R.AWAITING_PAYMENT, payment_due_at__lte=now)
    for reservation in due:
        for payment in Payment.objects.filter(reservation=reservation, status__in=Payment.OPEN):
            if not payment.ref:
                continue
            try:
                remote = registry.get(payment.provider).cancel(payment.ref)
            except ProviderError:
                continue
            services.apply_remote(payment, remote, via=None, by=None)
            if remote.status == RemoteStatus.SUCCEEDED:
                break
        reservation.refresh_from_db(fields=["status"])
        if reservation.status != R.AWAITING_PAYMENT:
            continue
        try:
            reservation_expire_unpaid(reservation=reservation)
        except DomainError:
            continue  # paid or cancelled a moment ago
        cancelled += 1
    return cancelled


def payments_remind(*, now: dt.datetime | None = None) -> int:
    """E-mail once, 2 days before the deadline, those who have not paid yet."""
    now = now or clock.now()
    sent = 0
    due = Reservation.objects.filter(
        status=R.AWAITING_PAYMENT,
        payment_due_at__lte=now + REMIND_BEFORE,
        payment_due_at__gt=now,
        payment_reminded_at__isnull=True,
    ).select_related("registrant__municipality", "unit__facility")
    for reservation in due:
        with transaction.atomic():
            claimed = Reservation.objects.filter(
                pk=reservation.pk, payment_reminded_at__isnull=True
            ).update(payment_reminded_at=now)
            if not claimed:
                continue
            registrant = reservation.registrant
            if registrant.email:
                email_template_queue(
                    to=[registrant.email],
                    template="payment_reminder",
                    context=mail_context(
                        registrant,
                        **reservation_mail_context(reservation),
                        due=f"{clock.local(reservation.payment_due_at):%Y年%-m月%-d日 %H:%M}",
                    ),
                )
            sent += 1
    return sent


def payments_resync(*, now: dt.datetime | None = None) -> int:
    """Read again the open payments that no webhook settled within a few minutes."""
    now = now or clock.now()
    read = 0
    stale = Payment.objects.filter(status__in=Payment.OPEN, updated_at__lte=now - RESYNC_AFTER)
    for payment in stale.exclude(ref="").exclude(provider="counter"):
        try:
            services.payment_sync(payment=payment)
        except ProviderError:
            continue
        read += 1
    return read


def payments_minute() -> dict[str, int]:
    return {
        "resynced": payments_resync(),
        "expired": payments_expire_due(),
        "reminded": payments_remind(),
        "refunds_sent": refunds.refunds_retry(),
    }
