"""Reads of facilities: catalogue, unit hierarchy, closed days, fee tables."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import jpholiday
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from yoyaku.core.models import Municipality
from yoyaku.facilities.models import Closure, Facility, FeeRule, Purpose, Slot, Unit


def facilities_list(
    *, municipality: Municipality, kind: str | None = None, purpose: Purpose | None = None
) -> QuerySet[Facility]:
    """Active facilities of one municipality, units and their slots prefetched."""
    units = Unit.objects.filter(is_active=True).select_related("slot_schedule", "parent")
    if purpose is not None:
        units = units.filter(purposes=purpose)
    qs = Facility.objects.filter(municipality=municipality, is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    if purpose is not None:
        qs = qs.filter(units__purposes=purpose, units__is_active=True).distinct()
    return qs.prefetch_related(
        Prefetch("units", queryset=units),
        Prefetch("units__slot_schedule__slots", queryset=Slot.objects.all()),
        "units__purposes",
    ).order_by("order", "id")


def facility_kinds(*, municipality: Municipality) -> list[tuple[str, str]]:
    """(value, label) of the kinds of this municipality's active facilities, in the usual order.

    The availability filter offers only these: a kind with no facility here finds nothing.
    """
    present = set(
        Facility.objects.filter(municipality=municipality, is_active=True).values_list(
            "kind", flat=True
        )
    )
    return [(value, label) for value, label in Facility.Kind.choices if value in present]


def facility_get(*, municipality: Municipality, slug: str) -> Facility | None:
    return (
        Facility.objects.filter(municipality=municipality, slug=slug, is_active=True)
        .select_related("municipality")
        .first()
    )


def units_of_facility(*, facility: Facility) -> list[Unit]:
    return list(
        facility.units.filter(is_active=True)
        .select_related("slot_schedule", "parent")
        .prefetch_related("slot_schedule__slots", "purposes")
        .order_by("order", "id")
    )


def purposes_of(*, municipality: Municipality) -> QuerySet[Purpose]:
    return Purpose.objects.filter(municipality=municipality)


@dataclass
class UnitFamily:
    """The unit hierarchy of some facilities, for reasoning about wholes and parts."""

    parent_of: dict[int, int | None]
    children_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, units: Iterable[Unit]) -> UnitFamily:
        family = cls(parent_of={})
        for unit in units:
            family.parent_of[unit.pk] = unit.parent_id
            if unit.parent_id:
                family.children_of[unit.parent_id].append(unit.pk)
        return family

    def ancestors(self, unit_id: int) -> list[int]:
        result: list[int] = []
        parent = self.parent_of.get(unit_id)
        while parent is not None and parent not in result:
            result.append(parent)
            parent = self.parent_of.get(parent)
        return result

    def descendants(self, unit_id: int) -> list[int]:
        result: list[int] = []
        stack = list(self.children_of.get(unit_id, []))
        while stack:
            child = stack.pop()
            result.append(child)
            stack.extend(self.children_of.get(child, []))
        return result

    def leaves(self, unit_id: int) -> list[int]:
        """The smallest units under ``unit_id`` (itself if it has no parts)."""
        below = [u for u in self.descendants(unit_id) if not self.children_of.get(u)]
        return below or [unit_id]

    def related(self, unit_id: int) -> set[int]:
        """Units whose use conflicts with ``unit_id``: itself, its wholes and its parts."""
        return {unit_id, *self.ancestors(unit_id), *self.descendants(unit_id)}


def unit_family(*, facilities: Iterable[Facility]) -> UnitFamily:
    ids = [f.pk for f in facilities]
    return UnitFamily.of(Unit.objects.filter(facility_id__in=ids).only("id", "parent_id"))


def holidays_between(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """Japanese public holidays (国民の祝日, 振替休日) in [start, end], with their names."""
    return dict(jpholiday.between(start, end))


def _is_weekday_workday(day: dt.date, holidays: dict[dt.date, str]) -> bool:
    return day.weekday() < 5 and day not in holidays


def _shifted_closing_day(facility: Facility, day: dt.date, holidays: dict[dt.date, str]) -> bool:
    """With the SHIFT policy, ``day`` is closed when it is the first workday after a closing
    day that fell on a holiday (月曜休館、祝日の場合は翌平日)."""
    if not _is_weekday_workday(day, holidays):
        return False
    previous = day - dt.timedelta(days=1)
    for _step in range(10):
        if _is_weekday_workday(previous, holidays):
            return False
        if previous.weekday() in facility.weekly_closed_days and previous in holidays:
            return True
        previous -= dt.timedelta(days=1)
    return False


def closed_reason(
    *,
    facility: Facility,
    day: dt.date,
    holidays: dict[dt.date, str],
    closures: Iterable[Closure] = (),
) -> str | None:
    """Why ``facility`` is closed on ``day``, or None when it is open.

    ``holidays`` must cover ``day`` and the ten days before it; ``closures`` are the dated
    closures that apply (already filtered to the facility, the unit and its family).
    """
    municipality = facility.municipality
    for closure in closures:
        if closure.start_date <= day <= closure.end_date:
            return closure.reason
    if not facility.in_season(day):
        return _("営業期間外（%(season)s）") % {"season": facility.season_label}
    if facility.closed_at_year_end and municipality.in_year_end_closure(day):
        return _("年末年始休館")
    is_holiday = day in holidays
    policy = facility.holiday_policy
    if is_holiday and policy == Facility.HolidayPolicy.CLOSED:
        return _("祝日休館")
    shifted_away = is_holiday and policy == Facility.HolidayPolicy.SHIFT
    if day.weekday() in facility.weekly_closed_days and not shifted_away:
        return _("休館日")
    if policy == Facility.HolidayPolicy.SHIFT and _shifted_closing_day(facility, day, holidays):
        return _("休館日（祝日の振替）")
    return None


def closures_between(
    *, facilities: Iterable[Facility], start: dt.date, end: dt.date
) -> dict[int, list[Closure]]:
    """Dated closures overlapping [start, end], grouped by facility id."""
    result: dict[int, list[Closure]] = defaultdict(list)
    ids = [f.pk for f in facilities]
    for closure in Closure.objects.filter(
        facility_id__in=ids, start_date__lte=end, end_date__gte=start
    ):
        result[closure.facility_id].append(closure)
    return result


def fee_rules_current(*, units: Iterable[Unit], on: dt.date) -> dict[int, list[FeeRule]]:
    """The fee lines in force on ``on`` for each unit (display; the fee engine is separate)."""
    result: dict[int, list[FeeRule]] = defaultdict(list)
    ids = [u.pk for u in units]
    rules = (
        FeeRule.objects.filter(unit_id__in=ids, effective_from__lte=on)
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=on))
        .select_related("slot")
    )
    for rule in rules:
        result[rule.unit_id].append(rule)
    return result


def unit_get(*, facility: Facility, unit_id: int) -> Unit | None:
    """An active unit of ``facility`` (a unit of another facility is not found)."""
    return facility.units.filter(pk=unit_id, is_active=True).select_related("facility").first()
