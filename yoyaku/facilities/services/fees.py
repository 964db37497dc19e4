"""Writes of facilities, the money side of setup: fee tables with effective dates, dated
closures and 減免 categories (see :mod:`yoyaku.facilities.services` for the conventions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Q

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.facilities import setup_cache
from yoyaku.facilities.catalogue import availability_changed
from yoyaku.facilities.models import Closure, Facility, FeeRule, ReductionCategory, Slot, Unit
from yoyaku.facilities.services.setup import _changes, _in_range, _required

# ---------------------------------------------------------------------------------------------
# Fee tables (使用料) with effective dates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeLineSpec:
    """One price of a new table: per slot (time-slot units) or per person and night."""

    rate_class: str
    amount_yen: int
    slot: Slot | None = None
    person_class: str = FeeRule.PersonClass.ANY
    day_class: str = FeeRule.DayClass.ANY


def fee_table_required_keys(unit: Unit) -> list[tuple[int | None, str, str]]:
    """(slot id, rate class, person class) that a complete table of ``unit`` prices."""
    rates = [FeeRule.RateClass.RESIDENT, FeeRule.RateClass.NON_RESIDENT]
    if unit.is_lodging:
        persons = [FeeRule.PersonClass.ADULT, FeeRule.PersonClass.CHILD]
        return [(None, r, p) for r in rates for p in persons]
    assert unit.slot_schedule is not None
    return [
        (s.pk, r, FeeRule.PersonClass.ANY) for s in unit.slot_schedule.slots.all() for r in rates
    ]


def _days_missing(days: set[str]) -> str | None:
    """The day class still unpriced for one slot (or person) and rate class, if any.

    One price for all days, or a weekday and a weekend-holiday price (the fee engine reads
    the latter as 休前日 for lodging); with both, the engine prefers the exact day class.
    """
    if FeeRule.DayClass.ANY in days:
        return None
    if not days:
        return FeeRule.DayClass.ANY
    for day_class in (FeeRule.DayClass.WEEKDAY, FeeRule.DayClass.WEEKEND_HOLIDAY):
        if day_class not in days:
            return day_class
    return None


@transaction.atomic
def fee_table_publish(
    *,
    unit: Unit,
    by: User,
    effective_from: dt.date,
    lines: Iterable[FeeLineSpec],
    ip_address: str | None = None,
) -> list[FeeRule]:
    """A new fee table of ``unit`` in force from ``effective_from`` (today or later).

    The table before it ends the day before; its rows stay, so the history is kept and prices
    of earlier days of use do not change. Reservations store the breakdown they were priced
    with, so one made before this table keeps its fee; bookings made from now on for days of
    use from ``effective_from`` get the new one. Every slot (or adult and child) must be priced
    for both rate classes, either for all days or for weekdays and weekends-holidays (休前日
    for lodging) both; one price per day class. Audited as ``fee_table.publish``.
    """
    lines = list(lines)
    if effective_from < clock.today():
        raise DomainError("fee_table_past", field="effective_from")
    unit = (
        Unit.objects.select_for_update(of=("self",)).select_related("slot_schedule").get(pk=unit.pk)
    )
    later = (
        FeeRule.objects.filter(unit=unit, effective_from__gte=effective_from)
        .order_by("-effective_from")
        .first()
    )
    if later is not None:
        raise DomainError(
            "fee_table_later_exists", field="effective_from", date=later.effective_from.isoformat()
        )
    basis = FeeRule.Basis.PER_PERSON_NIGHT if unit.is_lodging else FeeRule.Basis.PER_SLOT
    slots = {s.pk: s for s in unit.slot_schedule.slots.all()} if unit.slot_schedule else {}
    given: dict[tuple[int | None, str, str], set[str]] = {}
    for line in lines:
        if line.slot is not None and line.slot.pk not in slots:
            raise DomainError("slot_not_in_schedule", field="lines")
        if line.day_class not in FeeRule.DayClass.values:
            raise DomainError("fee_table_day_class", field="lines")
        _in_range(line.amount_yen, low=0, high=10_000_000, field="lines")
        key = (line.slot.pk if line.slot else None, line.rate_class, line.person_class)
        days = given.setdefault(key, set())
        if line.day_class in days:
            raise DomainError("fee_table_duplicate", field="lines")
        days.add(line.day_class)
    for slot_id, rate, person in fee_table_required_keys(unit):
        missing = _days_missing(given.get((slot_id, rate, person), set()))
        if missing:
            what = slots[slot_id].label if slot_id else FeeRule.PersonClass(person).label
            what = f"{what} {FeeRule.RateClass(rate).label}"
            if missing != FeeRule.DayClass.ANY:
                what += f" {FeeRule.DayClass(missing).label}"
            raise DomainError("fee_table_incomplete", field="lines", what=what)
    # End the table in force before: open-ended rows, or rows running past the new date.
    FeeRule.objects.filter(unit=unit, effective_from__lt=effective_from).filter(
        Q(effective_until__isnull=True) | Q(effective_until__gte=effective_from)
    ).update(effective_until=effective_from - dt.timedelta(days=1))
    rules = FeeRule.objects.bulk_create(
        FeeRule(
            unit=unit,
            effective_from=effective_from,
            basis=basis,
            slot=line.slot,
            rate_class=line.rate_class,
            person_class=line.person_class,
            day_class=line.day_class,
            amount_yen=line.amount_yen,
        )
        for line in lines
    )
    # update() and bulk_create() send no signals: the booking path's cached fee table is
    # announced here.
    setup_cache.bump(unit.facility.municipality_id)
    audit_record(
        action=AuditAction.FEE_TABLE_PUBLISH,
        actor=by,
        municipality=unit.facility.municipality,
        target=unit,
        data={
            "effective_from": effective_from.isoformat(),
            "lines": [
                [
                    line.slot.code if line.slot else "",
                    line.rate_class,
                    line.person_class,
                    line.day_class,
                    line.amount_yen,
                ]
                for line in lines
            ],
        },
        ip_address=ip_address,
    )
    return rules


# ---------------------------------------------------------------------------------------------
# Dated closures (臨時休館)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def closure_add(
    *,
    facility: Facility,
    by: User,
    start_date: dt.date,
    end_date: dt.date,
    reason: str,
    unit: Unit | None = None,
    ip_address: str | None = None,
) -> Closure:
    """Close the facility (or one unit, with its whole and parts) on these days, inclusive.

    Availability shows the days closed and new bookings are refused; reservations already
    made on them are not touched here (cancelling them is the bulk closure's work)."""
    reason = _required(reason, field="reason")
    if end_date < start_date:
        raise DomainError("block_dates_order", field="end_date")
    if unit is not None and unit.facility_id != facility.pk:
        raise DomainError("unit_not_in_facility", field="unit")
    closure = Closure.objects.create(
        facility=facility, unit=unit, start_date=start_date, end_date=end_date, reason=reason
    )
    availability_changed([facility.pk])
    audit_record(
        action=AuditAction.CLOSURE_ADD,
        actor=by,
        municipality=facility.municipality,
        target=closure,
        data={
            "facility": facility.pk,
            "unit": unit.pk if unit else None,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat(),
            "reason": reason,
        },
        ip_address=ip_address,
    )
    return closure


@transaction.atomic
def closure_remove(*, closure: Closure, by: User, ip_address: str | None = None) -> None:
    """Open again the days of a dated closure; the audit row keeps what it was."""
    facility = closure.facility
    data = {
        "facility": facility.pk,
        "unit": closure.unit_id,
        "start_date": closure.start_date.isoformat(),
        "end_date": closure.end_date.isoformat(),
        "reason": closure.reason,
    }
    audit_record(
        action=AuditAction.CLOSURE_REMOVE,
        actor=by,
        municipality=facility.municipality,
        target=closure,
        data=data,
        ip_address=ip_address,
    )
    closure.delete()
    availability_changed([facility.pk])


# ---------------------------------------------------------------------------------------------
# 減免 categories
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReductionSettings:
    name: str
    percent: int
    name_en: str = ""
    requires_approval: bool = True
    proof_description: str = ""
    annual_night_limit: int | None = None
    min_age: int | None = None
    order: int = 0


def _reduction_check(
    *, municipality: Municipality, category: ReductionCategory | None, s: ReductionSettings
) -> None:
    _required(s.name, field="name")
    if not 1 <= s.percent <= 100:
        raise DomainError("reduction_percent_range", field="percent")
    same = ReductionCategory.objects.filter(municipality=municipality, name=s.name.strip())
    if category is not None:
        same = same.exclude(pk=category.pk)
    if same.exists():
        raise DomainError("reduction_name_taken", field="name")
    if s.annual_night_limit is not None:
        _in_range(s.annual_night_limit, low=1, high=365, field="annual_night_limit")
    if s.min_age is not None:
        _in_range(s.min_age, low=1, high=120, field="min_age")


@transaction.atomic
def reduction_category_create(
    *,
    municipality: Municipality,
    by: User,
    settings: ReductionSettings,
    ip_address: str | None = None,
) -> ReductionCategory:
    """A new 減免 category registrants may request (and staff grant)."""
    _reduction_check(municipality=municipality, category=None, s=settings)
    values = {**asdict(settings), "name": settings.name.strip()}
    category = ReductionCategory.objects.create(municipality=municipality, **values)
    audit_record(
        action=AuditAction.REDUCTION_CATEGORY_CREATE,
        actor=by,
        municipality=municipality,
        target=category,
        data=values,
        ip_address=ip_address,
    )
    return category


@transaction.atomic
def reduction_category_update(
    *,
    category: ReductionCategory,
    by: User,
    settings: ReductionSettings,
    ip_address: str | None = None,
) -> ReductionCategory:
    """Change a 減免 category; reservations already priced keep their reduction."""
    category = ReductionCategory.objects.select_for_update().get(pk=category.pk)
    _reduction_check(municipality=category.municipality, category=category, s=settings)
    values = {**asdict(settings), "name": settings.name.strip()}
    changes = _changes(category, values)
    for name, value in values.items():
        setattr(category, name, value)
    category.save(update_fields=list(values))
    audit_record(
        action=AuditAction.REDUCTION_CATEGORY_UPDATE,
        actor=by,
        municipality=category.municipality,
        target=category,
        data={"changes": changes},
        ip_address=ip_address,
    )
    return category
