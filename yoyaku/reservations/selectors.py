"""Availability (空き状況): what is free, for anyone, computed in a fixed number of queries."""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from yoyaku.core import cache, clock
from yoyaku.core.models import Municipality
from yoyaku.facilities import catalogue
from yoyaku.facilities import selectors as facility_selectors
from yoyaku.facilities.models import Closure, Facility, Purpose, Slot, Unit
from yoyaku.facilities.selectors import UnitFamily
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import hooks
from yoyaku.reservations.capacity import atoms_of_slot, basic_slots
from yoyaku.reservations.models import Occupancy, Penalty, PublicLogEntry, Reservation


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
    # Set once per slot and request by the grid, so a page of many units does not format
    # the same labels again for every cell.
    label: str = ""
    time: str = ""


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
    mark_label: str = ""  # what the mark means, for screen readers (in the request's language)

    @property
    def is_bookable_view(self) -> bool:
        return self.mark in (Mark.FREE, Mark.PARTLY)


def mark_labels() -> dict[Mark, str]:
    """What each mark means, translated once per page instead of once per cell."""
    return {
        Mark.FREE: _("空きあり"),
        Mark.PARTLY: _("一部空きあり"),
        Mark.FULL: _("空きなし"),
        Mark.LOTTERY: _("抽選受付期間"),
        Mark.CLOSED: _("受付対象外"),
    }


def _lodging_threshold(room_count: int) -> int:
    """At or below this many free rooms a night shows △ (残りわずか) instead of ○."""
    return max(1, room_count // 2)


@dataclass(frozen=True)
class FacilityUse:
    """What one facility's availability over some dates is built from, without "now" (which
    days are past, which lottery holds still hold): cached under ``avail:<facility id>``."""

    busy: dict[tuple[int, dt.date], frozenset[int]]
    closures: list[Closure]
    holds: list[hooks.HoldPeriod]


def _occupancy_build(
    unit_ids_of: dict[int, list[int]], start: dt.date, end: dt.date
) -> Callable[[list[int]], dict[int, FacilityUse]]:
    def build(facility_ids: list[int]) -> dict[int, FacilityUse]:
        facility_of = {u: f for f in facility_ids for u in unit_ids_of.get(f, ())}
        busy: dict[int, dict[tuple[int, dt.date], set[int]]] = {f: {} for f in facility_ids}
        # Uses index occupancy_no_overlap (unit, date, atom): a facility's units over a range.
        for unit_id, date, atom in Occupancy.objects.filter(
            unit_id__in=list(facility_of), date__gte=start, date__lte=end
        ).values_list("unit_id", "date", "atom"):
            busy[facility_of[unit_id]].setdefault((unit_id, date), set()).add(atom)
        closures: dict[int, list[Closure]] = {f: [] for f in facility_ids}
        for closure in Closure.objects.filter(
            facility_id__in=facility_ids, start_date__lte=end, end_date__gte=start
        ):
            closures[closure.facility_id].append(closure)
        holds: dict[int, list[hooks.HoldPeriod]] = {f: [] for f in facility_ids}
        for period in hooks.hold_periods(unit_ids=facility_of, start=start, end=end):
            holds[facility_of[period[0]]].append(period)
        return {
            f: FacilityUse(
                busy={key: frozenset(atoms) for key, atoms in busy[f].items()},
                closures=closures[f],
                holds=holds[f],
            )
            for f in facility_ids
        }

    return build


def facilities_occupancy(
    *, unit_ids_of: dict[int, list[int]], start: dt.date, end: dt.date
) -> dict[int, FacilityUse]:
    """Occupancy, dated closures and lottery holds of each facility over [start, end].

    ``unit_ids_of``: every unit of each facility (inactive ones too). From the cache when it
    has them; the missing facilities are read together, in three queries whatever their
    number. Every writer of these tables bumps ``avail:<facility id>``
    (``catalogue.availability_changed``).
    """
    return cache.remember_many(
        {f: [catalogue.avail_scope(f)] for f in unit_ids_of},
        lambda _facility: f"occupancy:{start.isoformat()}:{end.isoformat()}",
        _occupancy_build(unit_ids_of, start, end),
    )


def _family_of_facilities(facility_ids: Iterable[int]) -> tuple[UnitFamily, dict[int, list[int]]]:
    rows = Unit.objects.filter(facility_id__in=set(facility_ids)).values_list(
        "id", "parent_id", "facility_id"
    )
    unit_ids_of: dict[int, list[int]] = defaultdict(list)
    units = []
    for pk, parent_id, facility_id in rows:
        unit_ids_of[facility_id].append(pk)
        units.append(Unit(id=pk, parent_id=parent_id, facility_id=facility_id))
    return UnitFamily.of(units), dict(unit_ids_of)


def availability_grid(
    *,
    units: Sequence[Unit],
    start: dt.date,
    end: dt.date,
    at: dt.datetime | None = None,
    setup: catalogue.Catalogue | None = None,
) -> dict[tuple[int, dt.date], UnitDay]:
    """The state of every given unit on every date of [start, end].

    ``units`` must come with ``facility__municipality`` and ``slot_schedule__slots`` loaded.
    ``setup``: a catalogue holding them (else one query reads their unit trees). What is
    booked, closed or held comes from ``facilities_occupancy`` (cached; three queries when
    cold); what depends on the clock (past days, holds that ended) is decided here.
    """
    at = at or clock.now()
    family, occupancy = _family_and_occupancy(units, start, end, setup)
    return _grid(units=units, start=start, end=end, at=at, family=family, occupancy=occupancy)


def _family_and_occupancy(
    units: Sequence[Unit], start: dt.date, end: dt.date, setup: catalogue.Catalogue | None
) -> tuple[UnitFamily, dict[int, FacilityUse]]:
    facility_ids = {u.facility_id for u in units}
    if setup is not None:
        family = setup.family
        unit_ids_of = {f: setup.unit_ids_of.get(f, []) for f in facility_ids}
    else:
        family, unit_ids_of = _family_of_facilities(facility_ids)
    return family, facilities_occupancy(unit_ids_of=unit_ids_of, start=start, end=end)


def _grid(
    *,
    units: Sequence[Unit],
    start: dt.date,
    end: dt.date,
    at: dt.datetime,
    family: UnitFamily,
    occupancy: dict[int, FacilityUse],
) -> dict[tuple[int, dt.date], UnitDay]:
    today = clock.local(at).date()
    facility_ids = {u.facility_id for u in units}
    holidays = facility_selectors.holidays_between(start - dt.timedelta(days=10), end)
    lottery = hooks.held_at(
        (p for f in facility_ids for p in occupancy[f].holds), start=start, end=end, at=at
    )
    labels: dict[int, tuple[str, str]] = {}

    def slot_state(slot: Slot, free: bool) -> SlotState:
        if slot.pk not in labels:
            labels[slot.pk] = (slot.display_label, slot.time_label)
        label, time = labels[slot.pk]
        return SlotState(slot, free, label, time)

    # Units share a few schedules: their slots and the atoms each slot covers, worked out once
    # per schedule rather than once per unit.
    schedules: dict[int | None, tuple[list[Slot], list[Slot], dict[int, set[int]]]] = {}

    def schedule_of(unit: Unit) -> tuple[list[Slot], list[Slot], dict[int, set[int]]]:
        if unit.slot_schedule_id not in schedules:
            basics = basic_slots(unit)
            all_slots = list(unit.slot_schedule.slots.all()) if unit.slot_schedule else []
            atoms_of = {slot.pk: set(atoms_of_slot(slot, basics)) for slot in all_slots}
            schedules[unit.slot_schedule_id] = (basics, all_slots, atoms_of)
        return schedules[unit.slot_schedule_id]

    grid: dict[tuple[int, dt.date], UnitDay] = {}
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    for unit in units:
        facility = unit.facility
        facility_use = occupancy[facility.pk]
        busy = facility_use.busy
        related = family.related(unit.pk)
        leaves = family.leaves(unit.pk)
        unit_closures = [
            c for c in facility_use.closures if c.unit_id is None or c.unit_id in related
        ]
        basics, all_slots, atoms_of = schedule_of(unit)
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
            if any((r, day) in lottery for r in related):
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
            for leaf in leaves:
                taken_atoms |= busy.get((leaf, day), set())
            state.slots = [
                slot_state(slot, not (atoms_of[slot.pk] & taken_atoms)) for slot in all_slots
            ]
            free_basics = [b for b in basics if b.start_minute not in taken_atoms]
            if not free_basics:
                state.mark = Mark.FULL
            elif len(free_basics) < len(basics):
                state.mark = Mark.PARTLY
    meanings = mark_labels()
    for state in grid.values():
        state.mark_label = meanings[state.mark]
    return grid


def clock_window(
    *, use: FacilityUse, start: dt.date, end: dt.date, at: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The span of time around ``at`` over which the clock changes nothing in a facility's
    availability of [start, end] (given ``use``): (from, until), None where unbounded.

    What the clock decides (see ``_grid``) changes only at two kinds of instants: the midnight
    after a date, when that date becomes past, and the end of a lottery hold over those dates.
    A page cached with its window may be shown again at any instant inside it.
    """
    instants = [clock.at(day + dt.timedelta(days=1)) for day in _dates(start, end)]
    instants += [until for _unit, first, last, until in use.holds if first <= end and last >= start]
    before = [moment for moment in instants if moment <= at]
    after = [moment for moment in instants if moment > at]
    return (max(before) if before else None, min(after) if after else None)


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


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
    # When the clock would change this month's states (see ``clock_window``): None, unbounded.
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None

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
    *,
    unit: Unit,
    year: int,
    month: int,
    at: dt.datetime | None = None,
    setup: catalogue.Catalogue | None = None,
) -> MonthCalendar:
    """A month calendar for one unit, weeks starting on Sunday as Japanese calendars do.

    ``setup``: the facility's catalogue, which ``unit`` comes from (else it is read again)."""
    if setup is None:
        unit = _units_queryset().get(pk=unit.pk)
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    at = at or clock.now()
    family, occupancy = _family_and_occupancy([unit], first, last, setup)
    grid = _grid(units=[unit], start=first, end=last, at=at, family=family, occupancy=occupancy)
    weeks: list[list[UnitDay | None]] = []
    for week in calendar.Calendar(firstweekday=6).monthdatescalendar(year, month):
        weeks.append([grid[(unit.pk, d)] if d.month == month else None for d in week])
    since, until = clock_window(use=occupancy[unit.facility_id], start=first, end=last, at=at)
    return MonthCalendar(
        unit=unit, year=year, month=month, weeks=weeks, valid_from=since, valid_until=until
    )


@dataclass
class FacilityDay:
    facility: Facility
    units: list[UnitDay]
    # When the clock would change this facility's day (see ``clock_window``): None, unbounded.
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None

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
    facility_ids: Collection[int] | None = None,
    setup: catalogue.Catalogue | None = None,
) -> list[FacilityDay]:
    """Every unit of every facility of a municipality on one date, optionally filtered, each
    facility with the span of time its day holds for (``clock_window``).

    ``facility_ids``: only these facilities (those whose cached page is missing); ``setup``:
    a catalogue holding at least them (else the whole catalogue). The catalogue and the day's
    occupancy come from the cache: no query when both are warm, three when the occupancy is
    cold, whatever the number of facilities and units."""
    at = at or clock.now()
    setup = setup or catalogue.catalogue(municipality=municipality)
    units = setup.units(kind=kind, purpose_id=purpose.pk if purpose is not None else None)
    if facility_ids is not None:
        wanted = set(facility_ids)
        units = [unit for unit in units if unit.facility_id in wanted]
    family, occupancy = _family_and_occupancy(units, day, day, setup)
    grid = _grid(units=units, start=day, end=day, at=at, family=family, occupancy=occupancy)
    by_facility: dict[int, FacilityDay] = {}
    for unit in units:
        entry = by_facility.get(unit.facility_id)
        if entry is None:
            since, until = clock_window(use=occupancy[unit.facility_id], start=day, end=day, at=at)
            entry = FacilityDay(unit.facility, [], valid_from=since, valid_until=until)
            by_facility[unit.facility_id] = entry
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
    catalogue's order (the open-data file). The catalogue and occupancy come from the cache."""
    setup = catalogue.catalogue(municipality=municipality)
    units = setup.units()
    grid = availability_grid(units=units, start=start, end=end, at=at, setup=setup)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return [grid[(unit.pk, day)] for day in days for unit in units]


PUBLIC_LOG_PAGE_SIZE = 50


def public_log_page(*, facility: Facility, number: str | int | None) -> Page:
    """One page of a facility's public log, newest first (``number``: as typed in the URL;
    anything that is not a page number gives the first or last page)."""
    rows = PublicLogEntry.objects.filter(facility=facility).select_related("unit")
    return Paginator(rows, PUBLIC_LOG_PAGE_SIZE).get_page(number)
