"""Reading money: balances, what a person must pay, histories and staff reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from yoyaku.core import clock
from yoyaku.facilities.models import Facility
from yoyaku.payments import ledger
from yoyaku.payments.models import LedgerEntry, Payment, Refund, WebhookEvent
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import Reservation

R = Reservation.Status


def reservation_balance(reservation: Reservation) -> int:
    return ledger.balance(reservation)


def registrant_debt(*, registrant: Registrant) -> int:
    """Yen owed on reservations that are over: what stops a deregistration or a new booking.

    Counted: cancellation fees, and fees of used (or not shown) reservations at facilities that
    take payment through the system. At a facility without online payment the fee is paid at
    the counter on the day, outside the system, unless staff record it; an unrecorded one is
    not held against the person.
    """
    rows = (
        LedgerEntry.objects.filter(registrant=registrant)
        .filter(
            Q(reservation__status=R.CANCELLED)
            | (
                Q(reservation__status__in=[R.USED, R.NO_SHOW])
                & ~Q(reservation__unit__facility__payment_mode=Facility.PaymentMode.OFF)
            )
        )
        .values("reservation")
        .annotate(total=Sum("amount"))
    )
    return sum(max(0, row["total"]) for row in rows)


@dataclass(frozen=True)
class Due:
    reservation: Reservation
    amount: int
    open_payment: Payment | None


def registrant_dues(*, registrant: Registrant) -> list[Due]:
    """Every reservation of this person with something to pay, earliest deadline first."""
    balances = (
        LedgerEntry.objects.filter(registrant=registrant)
        .values("reservation")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
    )
    owed = {row["reservation"]: row["total"] for row in balances}
    if not owed:
        return []
    reservations = Reservation.objects.filter(pk__in=owed).select_related("unit__facility")
    open_payments = {
        p.reservation_id: p
        for p in Payment.objects.filter(reservation__in=owed, status__in=Payment.OPEN)
    }
    dues = [Due(r, owed[r.pk], open_payments.get(r.pk)) for r in reservations]
    return sorted(
        dues,
        key=lambda d: (
            d.reservation.payment_due_at is None,
            d.reservation.payment_due_at or d.reservation.created_at,
        ),
    )


def registrant_payments(*, registrant: Registrant) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(registrant=registrant)
        .exclude(status=Payment.Status.CREATED, ref="")
        .select_related("reservation__unit__facility")
        .prefetch_related("refunds")
    )


def reservation_entries(reservation: Reservation) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(reservation=reservation).select_related("payment", "refund")


def open_payment(reservation: Reservation) -> Payment | None:
    return Payment.objects.filter(reservation=reservation, status__in=Payment.OPEN).first()


def payments_report(
    *,
    municipality_id: int,
    facility_ids: list[int] | None,
    start: dt.date,
    end: dt.date,
    method: str = "",
) -> QuerySet[Payment]:
    """Payments received between two dates (inclusive), for the staff report and CSV."""
    query = Payment.objects.filter(
        municipality_id=municipality_id,
        status=Payment.Status.SUCCEEDED,
        succeeded_at__date__gte=start,
        succeeded_at__date__lte=end,
    ).select_related("reservation__unit__facility", "registrant")
    if facility_ids is not None:
        query = query.filter(reservation__unit__facility_id__in=facility_ids)
    if method:
        query = query.filter(method=method)
    return query.order_by("succeeded_at", "id")


@dataclass(frozen=True)
class PaymentsSummary:
    """Totals of a payments report: per method, per facility, per day (yen)."""

    total: int
    count: int
    by_method: list[tuple[str, int]]  # (label, yen), in the order of Payment.Method
    by_facility: list[tuple[str, int]]  # (facility name, yen), by name
    by_day: list[tuple[dt.date, int]]  # (date, yen), by date


def payments_summary(payments: list[Payment]) -> PaymentsSummary:
    """Totals of the rows of :func:`payments_report` (already fetched for the page)."""
    methods: dict[str, int] = {}
    facilities: dict[str, int] = {}
    days: dict[dt.date, int] = {}
    for payment in payments:
        methods[payment.method] = methods.get(payment.method, 0) + payment.amount
        name = payment.reservation.unit.facility.name
        facilities[name] = facilities.get(name, 0) + payment.amount
        day = clock.local(payment.succeeded_at).date()
        days[day] = days.get(day, 0) + payment.amount
    return PaymentsSummary(
        total=sum(p.amount for p in payments),
        count=len(payments),
        by_method=[
            (label, methods[value]) for value, label in Payment.Method.choices if value in methods
        ],
        by_facility=sorted(facilities.items()),
        by_day=sorted(days.items()),
    )


def unpaid(
    *, municipality_id: int, facility_ids: list[int] | None
) -> list[tuple[Reservation, int]]:
    """Reservations with money owed: awaiting payment, or owing after use or cancellation."""
    balances = (
        LedgerEntry.objects.filter(municipality_id=municipality_id)
        .values("reservation")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
    )
    owed = {row["reservation"]: row["total"] for row in balances}
    query = Reservation.objects.filter(pk__in=owed).select_related("unit__facility", "registrant")
    if facility_ids is not None:
        query = query.filter(unit__facility_id__in=facility_ids)
    return [(r, owed[r.pk]) for r in query.order_by("payment_due_at", "use_date", "id")]


def refunds_list(*, municipality_id: int, facility_ids: list[int] | None) -> QuerySet[Refund]:
    query = Refund.objects.filter(payment__municipality_id=municipality_id).select_related(
        "payment__reservation__unit__facility", "payment__registrant"
    )
    if facility_ids is not None:
        query = query.filter(payment__reservation__unit__facility_id__in=facility_ids)
    return query


def late_or_unknown(
    *, municipality_id: int, facility_ids: list[int] | None = None
) -> QuerySet[Payment]:
    """Payments staff should look at: arrived late (refunded automatically)."""
    query = Payment.objects.filter(municipality_id=municipality_id, late=True).select_related(
        "reservation__unit__facility", "registrant"
    )
    if facility_ids is not None:
        query = query.filter(reservation__unit__facility_id__in=facility_ids)
    return query.prefetch_related("refunds")


def unknown_payment_events(*, limit: int = 100) -> QuerySet[WebhookEvent]:
    """Provider events about a payment this system does not know: no municipality can be told
    from them, so municipality admins look at them."""
    return WebhookEvent.objects.filter(outcome="unknown payment").order_by("-received_at")[:limit]


def books_mismatches(*, municipality_id: int | None = None) -> list:
    """Reservations whose charges on record do not match their state (should be empty)."""
    query = Reservation.objects.all()
    if municipality_id is not None:
        query = query.filter(municipality_id=municipality_id)
    touched = query.filter(
        Q(ledger_entries__isnull=False)
        | Q(status__in=ledger.CHARGED_STATES)
        | Q(status=R.CANCELLED, cancellation_fee__gt=0)
    ).distinct()
    return ledger.mismatches(touched)


@dataclass(frozen=True)
class ReservationMoney:
    """The money part of a reservation's page."""

    balance: int
    methods: list[tuple[str, str]]  # online methods offered now: (value, label)
    open_payment: Payment | None
    payments: list[Payment]

    @property
    def refund_due(self) -> int:
        return max(0, -self.balance)


def reservation_money(reservation: Reservation, *, online_methods: list[str]) -> ReservationMoney:
    balance = ledger.balance(reservation)
    payable = balance > 0 and reservation.status in ledger.PAYABLE_STATES
    return ReservationMoney(
        balance=balance,
        methods=[(m, Payment.Method(m).label) for m in online_methods] if payable else [],
        open_payment=open_payment(reservation),
        payments=list(
            reservation.payments.exclude(status=Payment.Status.CREATED, ref="")
            .prefetch_related("refunds")
            .order_by("-created_at")
        ),
    )


def provider_refs_since(since_epoch: int, provider: str = "paypay") -> list[str]:
    """Our references at a provider for payments started since an instant (PayPay keeps no
    list of its own that we could read)."""
    since = dt.datetime.fromtimestamp(since_epoch, tz=dt.UTC)
    return list(
        Payment.objects.filter(provider=provider, created_at__gte=since)
        .exclude(ref="")
        .values_list("ref", flat=True)
    )


def balances(reservation_ids: list[int]) -> dict[int, int]:
    """Each reservation's balance in yen (owed > 0, to refund < 0), in one query; a
    reservation without ledger entries is absent (its balance is 0)."""
    if not reservation_ids:
        return {}
    rows = (
        LedgerEntry.objects.filter(reservation_id__in=reservation_ids)
        .values("reservation")
        .annotate(total=Sum("amount"))
    )
    return {row["reservation"]: row["total"] for row in rows}


def unpaid_due_soon(
    *, municipality_id: int, facility_ids: list[int] | None, at: dt.datetime, days: int = 2
) -> list[tuple[Reservation, int]]:
    """Reservations awaiting payment whose deadline passes within ``days`` (the console's
    reminder to call the person). Two queries."""
    until = at + dt.timedelta(days=days)
    return [
        (reservation, amount)
        for reservation, amount in unpaid(
            municipality_id=municipality_id, facility_ids=facility_ids
        )
        if reservation.status == R.AWAITING_PAYMENT
        and reservation.payment_due_at is not None
        and reservation.payment_due_at <= until
    ]


def paid_net(reservation_ids: list[int]) -> dict[int, int]:
    """Yen each reservation's registrant has paid and not had back: what a cancellation free
    of charge refunds. One query."""
    if not reservation_ids:
        return {}
    rows = (
        LedgerEntry.objects.filter(reservation_id__in=reservation_ids)
        .exclude(kind__in=LedgerEntry.CHARGES)
        .values("reservation")
        .annotate(total=Sum("amount"))
    )
    return {row["reservation"]: max(0, -row["total"]) for row in rows}


def bundle_open_checkout_code(reservation_ids: Iterable[int]) -> str:
    """The convenience-store code of a bundle's checkout still open (まとめて支払う), or ""."""
    payment = (
        Payment.objects.filter(reservation_id__in=list(reservation_ids), status__in=Payment.OPEN)
        .exclude(group="")
        .exclude(code="")
        .first()
    )
    return payment.code if payment else ""
