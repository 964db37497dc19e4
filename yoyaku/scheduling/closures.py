"""一括休館 (bulk closure): close a facility or one unit for a period — repairs, elections,
events — with every reservation in it cancelled free of charge and every open lottery
application for it withdrawn.

The preview (:func:`closure_affected`) lists who is affected and what each will get back; the
start (:func:`bulk_closure_start`) records the job and queues its task after commit; the run
(:func:`bulk_closure_run`) first adds the dated closure, so nothing new can be booked in the
period, then cancels and withdraws one by one, each in its own transaction, counting progress
on the job. A second run finds nothing left to do: the run is idempotent.

It sits above the domain apps because it drives them all: the reservations' cancellation
(whose money handler refunds through the payment ledger and whose mail tells the person), the
lottery's withdrawal, and the payments' figures for the preview.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils.module_loading import import_string

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.facilities.catalogue import availability_changed
from yoyaku.facilities.models import Closure, Facility, Unit
from yoyaku.facilities.selectors import UnitFamily
from yoyaku.lottery import services as lottery_services
from yoyaku.lottery.models import LotteryApplication
from yoyaku.payments import selectors as money
from yoyaku.reservations import booking
from yoyaku.reservations.models import Reservation
from yoyaku.scheduling.models import BulkClosure

RUN_TASK = "yoyaku.scheduling.tasks.bulk_closure_run"
MAX_DAYS = 366
# Stays are looked up from this many nights before the period (longer than any stay allowed).
LONGEST_STAY = 31


@dataclass(frozen=True)
class AffectedReservation:
    reservation: Reservation
    refund: int  # yen paid and not yet refunded: what the free cancellation gives back


@dataclass(frozen=True)
class Affected:
    reservations: list[AffectedReservation]
    applications: list[LotteryApplication]

    @property
    def total(self) -> int:
        return len(self.reservations) + len(self.applications)

    @property
    def refund_total(self) -> int:
        return sum(a.refund for a in self.reservations)


def _unit_ids(facility: Facility, unit: Unit | None) -> set[int]:
    """The units a closure takes: the whole facility, or the unit with its wholes and parts
    (closing 半面A closes アリーナ全面 too, as the booking rules do)."""
    units = Unit.objects.filter(facility=facility).only("id", "parent_id")
    if unit is None:
        return {u.pk for u in units}
    return set(UnitFamily.of(units).related(unit.pk))


def _reservations(unit_ids: set[int], start: dt.date, end: dt.date) -> list[Reservation]:
    candidates = (
        Reservation.objects.filter(
            unit_id__in=unit_ids,
            status__in=Reservation.HOLDS_CAPACITY,
            use_date__lte=end,
            use_date__gte=start - dt.timedelta(days=LONGEST_STAY),
        )
        .select_related("unit__facility", "registrant")
        .prefetch_related("slots")
        .order_by("use_date", "id")
    )
    return [r for r in candidates if r.last_night >= start]


def _applications(unit_ids: set[int], start: dt.date, end: dt.date) -> list[LotteryApplication]:
    return list(
        LotteryApplication.objects.filter(
            status=LotteryApplication.Status.SUBMITTED,
            choices__unit_id__in=unit_ids,
            choices__use_date__lte=end,
            choices__use_date__gte=start - dt.timedelta(days=LONGEST_STAY),
        )
        .distinct()
        .select_related("round", "registrant")
        .order_by("created_at", "id")
    )


def closure_affected(
    *, facility: Facility, unit: Unit | None, start_date: dt.date, end_date: dt.date
) -> Affected:
    """Every reservation holding capacity in the period and every lottery application not yet
    drawn with a choice in it, with the yen each reservation's free cancellation refunds.
    Five queries whatever the number."""
    unit_ids = _unit_ids(facility, unit)
    reservations = _reservations(unit_ids, start_date, end_date)
    paid = money.paid_net([r.pk for r in reservations])
    return Affected(
        reservations=[AffectedReservation(r, paid.get(r.pk, 0)) for r in reservations],
        applications=_applications(unit_ids, start_date, end_date),
    )


def closure_problems(
    *, facility: Facility, unit: Unit | None, start_date: dt.date, end_date: dt.date
) -> list[DomainError]:
    problems = []
    if end_date < start_date:
        problems.append(DomainError("block_dates_order"))
    elif (end_date - start_date).days >= MAX_DAYS:
        problems.append(DomainError("closure_too_long"))
    if start_date < clock.today():
        problems.append(DomainError("closure_in_the_past"))
    if unit is not None and unit.facility_id != facility.pk:
        problems.append(DomainError("closure_unit_elsewhere"))
    return problems


@transaction.atomic
def bulk_closure_start(
    *,
    facility: Facility,
    unit: Unit | None,
    start_date: dt.date,
    end_date: dt.date,
    reason: str,
    by: User,
) -> BulkClosure:
    """Record the closure job and queue its task after commit. Refused (nothing written) for a
    period in the past, in the wrong order or longer than a year, or without a reason."""
    reason = reason.strip()
    problems = closure_problems(
        facility=facility, unit=unit, start_date=start_date, end_date=end_date
    )
    if not reason:
        problems.append(DomainError("reason_required"))
    if problems:
        raise problems[0]
    affected = closure_affected(
        facility=facility, unit=unit, start_date=start_date, end_date=end_date
    )
    job = BulkClosure.objects.create(
        municipality=facility.municipality,
        facility=facility,
        unit=unit,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
        total=affected.total,
        created_by=by,
        created_at=clock.now(),
    )
    audit_record(
        action=AuditAction.CLOSURE_BULK_START,
        actor=by,
        municipality=facility.municipality,
        target=job,
        data={
            "facility": facility.pk,
            "unit": unit.pk if unit else None,
            "start": start_date.isoformat(),
            "end": end_date.isoformat(),
            "reason": reason,
            "reservations": [a.reservation.pk for a in affected.reservations],
            "applications": [a.pk for a in affected.applications],
        },
    )
    # By its dotted path, as the scheduler does: the task module imports this one.
    transaction.on_commit(lambda: import_string(RUN_TASK).enqueue(job.pk))
    return job


def _progress(job: BulkClosure, **counts: int) -> None:
    BulkClosure.objects.filter(pk=job.pk).update(
        done=F("done") + 1, **{name: F(name) + value for name, value in counts.items()}
    )


def bulk_closure_run(*, job: BulkClosure) -> BulkClosure:
    """Close, then cancel and withdraw one by one. Safe to run twice or after a crash: the
    closure is added once, and what is already cancelled or withdrawn is not found again."""
    with transaction.atomic():
        job = (
            BulkClosure.objects.select_for_update(of=("self",))
            .select_related("facility", "unit")
            .get(pk=job.pk)
        )
        if job.status == BulkClosure.Status.DONE:
            return job
        if job.closure_id is None:
            # First, so that nothing new can be booked in the period while the task runs.
            job.closure = Closure.objects.create(
                facility=job.facility,
                unit=job.unit,
                start_date=job.start_date,
                end_date=job.end_date,
                reason=job.reason,
            )
            availability_changed([job.facility_id])
        affected = closure_affected(
            facility=job.facility, unit=job.unit, start_date=job.start_date, end_date=job.end_date
        )
        job.status = BulkClosure.Status.RUNNING
        job.total = job.done + affected.total
        job.save(update_fields=["closure", "status", "total"])
    by = job.created_by
    for item in affected.reservations:
        try:
            # Free of charge and without a booking stop; the ledger refunds what was paid and
            # the cancellation mail gives the reason.
            booking.reservation_cancel(
                reservation=item.reservation, by=by, reason=job.reason, by_staff=True
            )
        except DomainError:
            _progress(job)  # changed meanwhile (cancelled by the person, used): nothing to do
        else:
            _progress(job, cancelled=1)
    for application in affected.applications:
        withdrawn = lottery_services.lottery_withdraw_for_closure(
            application=application, by=by, reason=job.reason
        )
        _progress(job, withdrawn=1 if withdrawn else 0)
    with transaction.atomic():
        job = BulkClosure.objects.select_for_update().get(pk=job.pk)
        job.status = BulkClosure.Status.DONE
        job.finished_at = clock.now()
        job.save(update_fields=["status", "finished_at"])
        audit_record(
            action=AuditAction.CLOSURE_BULK_DONE,
            actor=None,
            municipality=job.municipality,
            target=job,
            data={"cancelled": job.cancelled, "withdrawn": job.withdrawn},
        )
    return job
