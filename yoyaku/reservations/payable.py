"""When a reservation must be paid online, by when, and the two transitions that settle it.

A facility's ``payment_mode`` (Ukiha art. 10.2) decides: ``required`` — a reservation with a
fee waits in 支払待ち until the payment is recorded, which confirms it (art. 10.3); ``optional``
and ``off`` — it is confirmed as before and may be paid online (optional) or at the counter.
The deadline is ``payment_due_days`` after the reservation became payable and at the latest
``payment_due_days_before_use`` days before the day of use (the end of that day); a booking
made later than that gets one hour, enough to pay by card.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.models import AuditAction, AuditVia, User
from yoyaku.facilities.models import Facility
from yoyaku.reservations import hooks, states
from yoyaku.reservations.models import Reservation

R = Reservation.Status
LATE_BOOKING_GRACE = dt.timedelta(hours=1)


def requires_payment(facility: Facility, fee_total: int) -> bool:
    return facility.payment_mode == Facility.PaymentMode.REQUIRED and fee_total > 0


def accepts_online_payment(facility: Facility) -> bool:
    return facility.payment_mode != Facility.PaymentMode.OFF


def due_at(facility: Facility, use_date: dt.date, now: dt.datetime) -> dt.datetime:
    by_days = now + dt.timedelta(days=facility.payment_due_days)
    last_day = use_date - dt.timedelta(days=facility.payment_due_days_before_use)
    by_use = clock.at(last_day + dt.timedelta(days=1))  # the end of that day
    due = min(by_days, by_use)
    return due if due > now else now + LATE_BOOKING_GRACE


def payable_from(reservation: Reservation, now: dt.datetime) -> tuple[bool, dt.datetime | None]:
    """When a reservation becomes permitted (approved, a win confirmed): whether it must first
    be paid, and by when."""
    facility = reservation.unit.facility
    if requires_payment(facility, reservation.fee_total):
        return True, due_at(facility, reservation.use_date, now)
    return False, None


def initial_status(facility: Facility, fee_total: int) -> str:
    """The state of a new booking: review first, payment first, or confirmed at once."""
    if facility.requires_approval:
        return R.AWAITING_APPROVAL
    if requires_payment(facility, fee_total):
        return R.AWAITING_PAYMENT
    return R.CONFIRMED


@transaction.atomic
def reservation_mark_paid(*, reservation: Reservation, by: User | None, via: str) -> Reservation:
    """支払待ち → 予約確定: the payment is recorded (called by the payments app, which checked
    the balance). The reservation then counts as permitted (Ukiha art. 10.3)."""
    reservation = states.lock(reservation, "pay")
    reservation = states.RESERVATION.move(
        reservation,
        "pay",
        audit={
            "action": AuditAction.RESERVATION_PAID,
            "actor": by,
            "municipality": reservation.municipality,
            "via": AuditVia(via),
        },
        decided_at=reservation.decided_at or clock.now(),
    )
    hooks.money_changed(reservation, verb="pay", by=by)
    return reservation
