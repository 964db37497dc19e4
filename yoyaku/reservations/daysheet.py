"""Reads for the counter's day: who uses which unit on a day (the day sheet clerks print), the
use of today and tomorrow per facility (the console's home page), and the reservations waiting
for staff. Each runs a fixed number of queries whatever the number of reservations.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from yoyaku.facilities.models import Facility, Unit
from yoyaku.reservations import states
from yoyaku.reservations.models import Reservation

R = Reservation.Status

# On the sheet: what holds the unit that day, and what was already marked at the counter.
ON_THE_SHEET = (*Reservation.HOLDS_CAPACITY, R.USED, R.NO_SHOW)
# A stay is looked up from at most this many nights before the day (the longest stay allowed
# is far shorter), so the query stays on the (municipality, status, use_date) index.
LONGEST_STAY = 31


def _on_days(facility_ids: Iterable[int], first: dt.date, last: dt.date) -> QuerySet[Reservation]:
    # Uses index reservation_queue (municipality, status, use_date) through the status filter.
    return (
        Reservation.objects.filter(
            unit__facility_id__in=list(facility_ids),
            status__in=ON_THE_SHEET,
            use_date__lte=last,
            use_date__gte=first - dt.timedelta(days=LONGEST_STAY),
        )
        .select_related("unit__facility", "registrant")
        .prefetch_related("slots")
        .order_by("use_date", "id")
    )


def _covers(reservation: Reservation, day: dt.date) -> bool:
    if reservation.unit.is_lodging:
        return reservation.use_date <= day <= reservation.last_night
    return reservation.use_date == day


@dataclass
class FacilityUse:
    facility: Facility
    by_day: dict[dt.date, list[Reservation]] = field(default_factory=dict)


def use_by_facility(*, facilities: Iterable[Facility], days: list[dt.date]) -> list[FacilityUse]:
    """Each facility's reservations on each of ``days`` (today and tomorrow on the home page).
    Two queries: the reservations with their units and registrants, and their slots."""
    facilities = list(facilities)
    rows = {f.pk: FacilityUse(f, {day: [] for day in days}) for f in facilities}
    if not facilities or not days:
        return list(rows.values())
    for reservation in _on_days(rows, min(days), max(days)):
        for day in days:
            if _covers(reservation, day):
                rows[reservation.unit.facility_id].by_day[day].append(reservation)
    return list(rows.values())


@dataclass
class SheetLine:
    reservation: Reservation
    can_mark_used: bool
    can_mark_no_show: bool
    balance: int = 0  # filled in by the page from the payments ledger


@dataclass
class SheetUnit:
    unit: Unit
    lines: list[SheetLine]


@dataclass
class DaySheet:
    facility: Facility
    day: dt.date
    units: list[SheetUnit]

    @property
    def reservations(self) -> list[Reservation]:
        return [line.reservation for unit in self.units for line in unit.lines]


def day_sheet(*, facility: Facility, day: dt.date, today: dt.date) -> DaySheet:
    """使用予定表: every unit of ``facility`` (wholes before their parts) and who uses it on
    ``day``: the slots or rooms, the person, the party, the status and the allowed marks.
    Three queries: the units, the reservations with their registrants, their slots."""
    units = list(
        Unit.objects.filter(facility=facility, is_active=True).order_by("order", "parent_id", "id")
    )
    lines: dict[int, list[SheetLine]] = defaultdict(list)
    for reservation in _on_days([facility.pk], day, day):
        if not _covers(reservation, day):
            continue
        lines[reservation.unit_id].append(
            SheetLine(
                reservation,
                can_mark_used=states.allows(reservation, "mark_used", today=today),
                can_mark_no_show=states.allows(reservation, "mark_no_show", today=today),
            )
        )
    return DaySheet(facility, day, [SheetUnit(unit, lines.get(unit.pk, [])) for unit in units])


def approvals_waiting(*, facilities: Iterable[Facility]) -> int:
    """Applications waiting for 予約の許可 at these facilities."""
    return Reservation.objects.filter(
        unit__facility__in=list(facilities), status=R.AWAITING_APPROVAL
    ).count()
