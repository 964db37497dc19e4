"""Utilisation (利用率): booked ÷ bookable, per facility, unit and month, and per time block.

Bookable is counted in the atoms capacity is made of (``reservations.capacity``): for halls
and courts the basic slots (午前・午後・夜間) of each open day, for lodging the rooms of each
open night. A day is closed by the same rule as the availability pages
(``facilities.selectors.closed_reason``: weekly closing days, holidays by the facility's
policy, dated closures of the facility or of the unit's family, seasons, the year end); atoms
held by a staff block (利用停止) are not bookable either. Booked are the atoms that
reservations hold on an open day (a used or no-show reservation keeps its atoms; a cancelled
or refused one has given them back). A whole with parts (アリーナ全面 ⊃ 半面A, 半面B) is
counted on its parts, as capacity is, so booking one half fills half of the arena.

Past days count like future ones: a report looks back. Runs five queries whatever the period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from yoyaku.facilities import selectors as facility_selectors
from yoyaku.facilities.models import Facility, Slot, Unit
from yoyaku.reservations.capacity import basic_slots, dates_between
from yoyaku.reservations.models import Occupancy


@dataclass
class Ratio:
    bookable: int = 0
    booked: int = 0

    def add(self, bookable: int, booked: int) -> None:
        self.bookable += bookable
        self.booked += booked

    @property
    def percent(self) -> float | None:
        """Percentage to one decimal (half up); None when nothing was bookable."""
        if not self.bookable:
            return None
        tenths = (self.booked * 1000 * 2 + self.bookable) // (self.bookable * 2)
        return tenths / 10


@dataclass
class UnitMonth(Ratio):
    facility: Facility | None = None
    unit: Unit | None = None
    month: dt.date | None = None


@dataclass
class FacilityMonth(Ratio):
    facility: Facility | None = None
    month: dt.date | None = None


@dataclass
class TimeBlock(Ratio):
    label: str = ""
    time_label: str = ""
    start_minute: int = 0


@dataclass
class UtilisationReport:
    start: dt.date
    end: dt.date
    units: list[UnitMonth]
    facilities: list[FacilityMonth]
    blocks: list[TimeBlock]
    unit_totals: list[UnitMonth]
    total: Ratio


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _units(facilities: QuerySet[Facility]) -> list[Unit]:
    return list(
        Unit.objects.filter(facility__in=facilities)
        .select_related("facility__municipality", "slot_schedule")
        .prefetch_related(Prefetch("slot_schedule__slots", queryset=Slot.objects.all()))
        .order_by("facility__order", "facility_id", "order", "id")
    )


def utilisation(
    *, facilities: QuerySet[Facility], start: dt.date, end: dt.date
) -> UtilisationReport:
    """The utilisation of the active units of ``facilities`` over [start, end]."""
    every_unit = _units(facilities)  # 2 queries (units, slots); inactive ones keep the tree whole
    by_id = {u.pk: u for u in every_unit}
    family = facility_selectors.UnitFamily.of(every_unit)
    active = [u for u in every_unit if u.is_active and u.facility.is_active]
    facility_objects = list({u.facility_id: u.facility for u in active}.values())
    closures = facility_selectors.closures_between(  # 1 query
        facilities=facility_objects, start=start, end=end
    )
    holidays = facility_selectors.holidays_between(start - dt.timedelta(days=10), end)

    active_ids = {u.pk for u in active}
    roots = [u for u in active if u.parent_id not in active_ids]
    leaves_of = {root.pk: family.leaves(root.pk) for root in roots}
    all_leaves = {leaf for leaves in leaves_of.values() for leaf in leaves}
    booked: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    blocked: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    # Uses index occupancy_date_unit. 1 query.
    for unit_id, date, atom, block_id in Occupancy.objects.filter(
        unit_id__in=all_leaves, date__gte=start, date__lte=end
    ).values_list("unit_id", "date", "atom", "block_id"):
        (blocked if block_id else booked)[(unit_id, date)].add(atom)

    days = dates_between(start, end)
    unit_months: dict[tuple[int, dt.date], UnitMonth] = {}
    blocks: dict[tuple[str, str], TimeBlock] = {}
    for root in roots:
        facility = root.facility
        for leaf_id in leaves_of[root.pk]:
            leaf = by_id[leaf_id]
            if not leaf.is_active:
                continue
            related = family.related(leaf_id)
            leaf_closures = [
                c
                for c in closures.get(facility.pk, [])
                if c.unit_id is None or c.unit_id in related
            ]
            basics = basic_slots(leaf)
            for day in days:
                if facility_selectors.closed_reason(
                    facility=facility, day=day, holidays=holidays, closures=leaf_closures
                ):
                    continue
                taken, held = booked.get((leaf_id, day), set()), blocked.get((leaf_id, day), set())
                entry = unit_months.setdefault(
                    (root.pk, month_of(day)),
                    UnitMonth(facility=facility, unit=root, month=month_of(day)),
                )
                if leaf.is_lodging:
                    rooms = set(range(1, (leaf.room_count or 0) + 1)) - held
                    entry.add(len(rooms), len(taken & rooms))
                    continue
                for basic in basics:
                    if basic.start_minute in held:
                        continue
                    is_booked = basic.start_minute in taken
                    entry.add(1, int(is_booked))
                    key = (basic.display_label, basic.time_label)
                    block = blocks.setdefault(
                        key,
                        TimeBlock(label=key[0], time_label=key[1], start_minute=basic.start_minute),
                    )
                    block.add(1, int(is_booked))
    return _report(start, end, roots, unit_months, blocks)


def _report(
    start: dt.date,
    end: dt.date,
    roots: Iterable[Unit],
    unit_months: dict[tuple[int, dt.date], UnitMonth],
    blocks: dict[tuple[str, str], TimeBlock],
) -> UtilisationReport:
    order = {root.pk: n for n, root in enumerate(roots)}
    units = sorted(unit_months.values(), key=lambda r: (order[r.unit.pk], r.month))
    facility_months: dict[tuple[int, dt.date], FacilityMonth] = {}
    unit_totals: dict[int, UnitMonth] = {}
    total = Ratio()
    for row in units:
        facility_months.setdefault(
            (row.facility.pk, row.month), FacilityMonth(facility=row.facility, month=row.month)
        ).add(row.bookable, row.booked)
        unit_totals.setdefault(row.unit.pk, UnitMonth(facility=row.facility, unit=row.unit)).add(
            row.bookable, row.booked
        )
        total.add(row.bookable, row.booked)
    facilities = sorted(
        facility_months.values(),
        key=lambda r: (r.facility.order, r.facility.pk, r.month),
    )
    return UtilisationReport(
        start=start,
        end=end,
        units=units,
        facilities=facilities,
        blocks=sorted(blocks.values(), key=lambda b: (b.start_minute, b.label)),
        unit_totals=list(unit_totals.values()),
        total=total,
    )
