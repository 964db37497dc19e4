"""Availability (空き状況): what is free, for anyone, computed in a fixed number of queries."""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from yoyaku.core import clock
from yoyaku.core.models import Municipality
from yoyaku.facilities import selectors as facility_selectors
from yoyaku.facilities.models import Facility, Purpose, Slot, Unit
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import hooks
from yoyaku.reservations.capacity import atoms_of_slot, basic_slots
from yoyaku.reservations.models import Occupancy, Penalty, Reservation


class Mark(enum.Enum):
    FREE = "○"
    PARTLY = "△"
    FULL = "×"
    CLOSED = "－"
    LOTTERY = "抽"

    @property
    def css(self) -> str:
        return self.name.lower()


@dataclass
class SlotState:
    slot: Slot
    free: bool


@dataclass
class UnitDay:
    """The state of one unit on one date (for lodging: the night of that date)."""

    unit: Unit
    date: dt.date
    mark: Mark
    reason: str = ""
    holiday: str = ""
    slots: list[SlotState] = field(default_factory=list)
    free_rooms: int | None = None

    @property
    def is_bookable_view(self) -> bool:
        return self.mark in (Mark.FREE, Mark.PARTLY)


def _lodging_threshold(room_count: int) -> int:
    """At or below this many free rooms a night shows △ (残りわずか) instead of ○."""
    return max(1, room_count // 2)


def availability_grid(
    *, units: Sequence[Unit], start: dt.date, end: dt.date, at: dt.datetime | None = None
) -> dict[tuple[int, dt.date], UnitDay]:
    """The state of every given unit on every date of [start, end].

    ``units`` must come with ``facility__municipality`` and ``slot_schedule__slots`` loaded.
    Runs four queries whatever the size: the facilities' unit tree, dated closures,
    occupancy of the leaves, and lottery rounds.
    """
    at = at or clock.now()
    today = clock.local(at).date()
    facilities = {u.facility_id: u.facility for u in units}.values()
    family = facility_selectors.unit_family(facilities=facilities)
    closures = facility_selectors.closures_between(facilities=facilities, start=start, end=end)
    holidays = facility_selectors.holidays_between(start - dt.timedelta(days=10), end)

    leaves_of = {u.pk: family.leaves(u.pk) for u in units}
    all_leaves = {leaf for leaves in leaves_of.values() for leaf in leaves}
    # Uses index occupancy_date_unit.
    busy: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    for unit_id, date, atom in Occupancy.objects.filter(
        unit_id__in=all_leaves, date__gte=start, date__lte=end
    ).values_list("unit_id", "date", "atom"):
        busy[(unit_id, date)].add(atom)

    related = {u.pk: family.related(u.pk) for u in units}
    lottery = hooks.held_dates(
        unit_ids={r for rel in related.values() for r in rel}, start=start, end=end, at=at
    )

    grid: dict[tuple[int, dt.date], UnitDay] = {}
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    for unit in units:
        facility = unit.facility
        unit_closures = [
            c
            for c in closures.get(facility.pk, [])
            if c.unit_id is None or c.unit_id in related[unit.pk]
        ]
        basics = basic_slots(unit)
        all_slots = list(unit.slot_schedule.slots.all()) if unit.slot_schedule else []
        for day in days:
            state = UnitDay(unit=unit, date=day, mark=Mark.FREE, holiday=holidays.get(day, ""))
            grid[(unit.pk, day)] = state
            reason = facility_selectors.closed_reason(
                facility=facility, day=day, holidays=holidays, closures=unit_closures
            )
            if reason:
                state.mark, state.reason = Mark.CLOSED, reason
                continue
            if day < today:
                state.mark, state.reason = Mark.CLOSED, "past"
                continue
            if any((r, day) in lottery for r in related[unit.pk]):
                state.mark = Mark.LOTTERY
                continue
            if unit.is_lodging:
                taken = len(busy.get((unit.pk, day), ()))
                free = max(0, (unit.room_count or 0) - taken)
                state.free_rooms = free
                if free == 0:
                    state.mark = Mark.FULL
                elif free <= _lodging_threshold(unit.room_count or 0) and taken:
                    state.mark = Mark.PARTLY
                continue
            taken_atoms: set[int] = set()
            for leaf in leaves_of[unit.pk]:
                taken_atoms |= busy.get((leaf, day), set())
            state.slots = [
                SlotState(slot, not (set(atoms_of_slot(slot, basics)) & taken_atoms))
                for slot in all_slots
            ]
            free_basics = [b for b in basics if b.start_minute not in taken_atoms]
            if not free_basics:
                state.mark = Mark.FULL
            elif len(free_basics) < len(basics):
                state.mark = Mark.PARTLY
    return grid


def _units_queryset() -> Iterable[Unit]:
    return (
        Unit.objects.filter(is_active=True, facility__is_active=True)
        .select_related("facility__municipality", "slot_schedule", "parent")
        .prefetch_related(Prefetch("slot_schedule__slots", queryset=Slot.objects.all()))
    )


@dataclass
class MonthCalendar:
    unit: Unit
    year: int
    month: int
    weeks: list[list[UnitDay | None]]

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def previous_month(self) -> dt.date:
        return (self.first - dt.timedelta(days=1)).replace(day=1)

    @property
    def next_month(self) -> dt.date:
        return (self.first + dt.timedelta(days=32)).replace(day=1)


def unit_month(
    *, unit: Unit, year: int, month: int, at: dt.datetime | None = None
) -> MonthCalendar:
    """A month calendar for one unit, weeks starting on Sunday as Japanese calendars do."""
    unit = _units_queryset().get(pk=unit.pk)
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    grid = availability_grid(units=[unit], start=first, end=last, at=at)
    weeks: list[list[UnitDay | None]] = []
    for week in calendar.Calendar(firstweekday=6).monthdatescalendar(year, month):
        weeks.append([grid[(unit.pk, d)] if d.month == month else None for d in week])
    return MonthCalendar(unit=unit, year=year, month=month, weeks=weeks)


@dataclass
class FacilityDay:
    facility: Facility
    units: list[UnitDay]

    @property
    def bookable_count(self) -> int:
        """How many of its units can still be booked that day (shown on the folded facility)."""
        return sum(1 for state in self.units if state.is_bookable_view)


def municipality_day(
    *,
    municipality: Municipality,
    day: dt.date,
    kind: str | None = None,
    purpose: Purpose | None = None,
    at: dt.datetime | None = None,
) -> list[FacilityDay]:
    """Every unit of every facility of a municipality on one date, optionally filtered."""
    units_qs = _units_queryset().filter(facility__municipality=municipality)
    if kind:
        units_qs = units_qs.filter(facility__kind=kind)
    if purpose is not None:
        units_qs = units_qs.filter(purposes=purpose)
    units = list(units_qs.order_by("facility__order", "facility_id", "order", "id"))
    grid = availability_grid(units=units, start=day, end=day, at=at)
    by_facility: dict[int, FacilityDay] = {}
    for unit in units:
        entry = by_facility.setdefault(unit.facility_id, FacilityDay(unit.facility, []))
        entry.units.append(grid[(unit.pk, day)])
    return list(by_facility.values())


def registrant_obligations(*, registrant: Registrant) -> list[str]:
    """What of this app keeps a registrant from deregistering (Japanese, for the message)."""
    found = []
    if Reservation.objects.filter(
        registrant=registrant, status__in=Reservation.HOLDS_CAPACITY, use_date__gte=clock.today()
    ).exists():
        found.append(_("今後の予約"))
    return found


def registrant_reservations(*, registrant: Registrant, limit: int = 50) -> list[Reservation]:
    """A registrant's reservations, newest use first (the staff's registrant page)."""
    return list(
        Reservation.objects.filter(registrant=registrant)
        .select_related("unit__facility")
        .prefetch_related("slots")
        .order_by("-use_date", "-id")[:limit]
    )


def registrant_penalties(*, registrant: Registrant) -> list[Penalty]:
    return list(
        Penalty.objects.filter(registrant=registrant).select_related("reservation__unit__facility")
    )


def unit_days(
    *, unit: Unit, start: dt.date, end: dt.date, at: dt.datetime | None = None
) -> list[UnitDay]:
    """The state of one unit on each date of [start, end] (the calendars' grid, as a list)."""
    unit = _units_queryset().get(pk=unit.pk)
    grid = availability_grid(units=[unit], start=start, end=end, at=at)
    return [grid[(unit.pk, start + dt.timedelta(days=i))] for i in range((end - start).days + 1)]


def municipality_days(
    *, municipality: Municipality, start: dt.date, end: dt.date, at: dt.datetime | None = None
) -> list[UnitDay]:
    """Every active unit of a municipality on each date of [start, end], by date, then in the
    catalogue's order (the open-data file). Four queries, as the calendars."""
    units = list(
        _units_queryset()
        .filter(facility__municipality=municipality)
        .order_by("facility__order", "facility_id", "order", "id")
    )
    grid = availability_grid(units=units, start=start, end=end, at=at)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return [grid[(unit.pk, day)] for day in days for unit in units]
