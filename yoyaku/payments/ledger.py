"""The ledger: what a reservation should cost in its state, and the entries that say so.

Charges follow the reservation's state: a reservation to be paid or paid for (支払待ち,
予約確定, 利用済, 無断不使用) is charged its fee; a cancelled one only its cancellation fee;
one under review, not permitted or a win not yet confirmed, nothing. :func:`sync_charges`
writes the difference between that and the charges on record, so calling it after any change
is always right, and a second call writes nothing. Payments and refunds are entries too, so a
balance is a sum and never a stored number.
"""

from __future__ import annotations

from django.db.models import Sum

from yoyaku.core import clock
from yoyaku.core.models import AuditVia, User
from yoyaku.payments.models import LedgerEntry, Payment, Refund
from yoyaku.reservations.models import Reservation

R = Reservation.Status
K = LedgerEntry.Kind
CHARGED_STATES = frozenset({R.AWAITING_PAYMENT, R.CONFIRMED, R.USED, R.NO_SHOW})
# A reservation in one of these states may be paid (a cancelled one: its cancellation fee).
PAYABLE_STATES = CHARGED_STATES | {R.CANCELLED}


def via_of(by: User | None, via: str | None = None) -> str:
    if via:
        return via
    if by is None:
        return AuditVia.JOB
    return AuditVia.STAFF if by.is_staff else AuditVia.CITIZEN


def charge_target(reservation: Reservation) -> int:
    """What the reservation should have charged, in its present state."""
    if reservation.status in CHARGED_STATES:
        return reservation.fee_total
    if reservation.status == R.CANCELLED:
        return reservation.cancellation_fee
    return 0


def charged(reservation: Reservation) -> int:
    return _sum(LedgerEntry.objects.filter(reservation=reservation, kind__in=LedgerEntry.CHARGES))


def balance(reservation: Reservation) -> int:
    """Yen still owed by the registrant (negative: owed back to them)."""
    return _sum(LedgerEntry.objects.filter(reservation=reservation))


def _sum(entries) -> int:
    return entries.aggregate(total=Sum("amount"))["total"] or 0


def entry(
    reservation: Reservation,
    kind: str,
    amount: int,
    *,
    by: User | None,
    via: str | None = None,
    payment: Payment | None = None,
    refund: Refund | None = None,
    note: str = "",
) -> LedgerEntry:
    return LedgerEntry.objects.create(
        municipality_id=reservation.municipality_id,
        registrant_id=reservation.registrant_id,
        reservation=reservation,
        kind=kind,
        amount=amount,
        payment=payment,
        refund=refund,
        at=clock.now(),
        actor=by,
        via=via_of(by, via),
        note=note[:200],
    )


def sync_charges(
    reservation: Reservation, *, verb: str, by: User | None, via: str | None = None
) -> int:
    """Bring the charges on record to what the state says; returns the yen written (signed).

    Inside the caller's transaction, after the reservation row was locked and changed.
    """
    target = charge_target(reservation)
    current = charged(reservation)
    if target == current:
        return 0
    if reservation.status == R.CANCELLED:
        # The fee is taken back whole and the cancellation fee charged on its own line, as a
        # receipt or a statement shows them.
        previous_fee = current - _sum(
            LedgerEntry.objects.filter(reservation=reservation, kind=K.CANCELLATION_FEE)
        )
        if previous_fee:
            entry(reservation, K.CHARGE_CANCELLED, -previous_fee, by=by, via=via, note=verb)
        fee_on_record = current - previous_fee
        if target != fee_on_record:
            entry(reservation, K.CANCELLATION_FEE, target - fee_on_record, by=by, via=via)
        return target - current
    has_charge = LedgerEntry.objects.filter(reservation=reservation, kind=K.CHARGE).exists()
    kind = K.FEE_CHANGE if has_charge else K.CHARGE
    entry(reservation, kind, target - current, by=by, via=via, note=verb)
    return target - current


def mismatches(reservations) -> list[tuple[Reservation, int, int]]:
    """(reservation, charges on record, what its state says) for every reservation whose
    entries do not match its state; empty when the books are right."""
    found = []
    for reservation in reservations:
        on_record = charged(reservation)
        target = charge_target(reservation)
        if on_record != target:
            found.append((reservation, on_record, target))
    return found
