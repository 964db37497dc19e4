"""Writes of facilities, the setup side: facilities and their settings, slot schedules and
units (see :mod:`yoyaku.facilities.services` for the conventions)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.facilities import policies, setup_cache
from yoyaku.facilities.models import (
    Facility,
    Purpose,
    Slot,
    SlotSchedule,
    Unit,
)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _in_range(value: int, *, low: int, high: int, field: str) -> None:
    if not low <= value <= high:
        raise DomainError("setup_number_out_of_range", field=field, min=low, max=high)


def _required(value: str, *, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("required", field=field)
    return value


# ---------------------------------------------------------------------------------------------
# Facilities
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacilitySettings:
    """Everything about a facility that staff set: description, closing days, season,
    booking rules, review, payment and cancellation (the fields of ``Facility``)."""

    name: str
    kind: str
    name_en: str = ""
    postal_code: str = ""
    address: str = ""
    phone: str = ""
    description: str = ""
    notes: str = ""
    weekly_closed_days: tuple[int, ...] = ()
    holiday_policy: str = Facility.HolidayPolicy.OPEN
    closed_at_year_end: bool = True
    season_start_month: int | None = None
    season_start_day: int | None = None
    season_end_month: int | None = None
    season_end_day: int | None = None
    opens_months_before: int = 6
    closes_days_before: int = 1
    opening_hour: int | None = None
    fair_window_seconds: int = 0
    max_nights: int = 2
    max_rooms: int = 3
    max_active_reservations: int = 5
    waitlist_enabled: bool = True
    waitlist_max_per_person: int = 3
    waitlist_closes_days_before: int = 1
    waitlist_accept_minutes: int = 120
    waitlist_near_days: int = 2
    waitlist_near_accept_minutes: int = 30
    allowed_categories: tuple[str, ...] = ()
    requires_approval: bool = False
    payment_mode: str = Facility.PaymentMode.OFF
    payment_methods: tuple[str, ...] = ()
    payment_due_days: int = 7
    payment_due_days_before_use: int = 3
    cancellation_tiers: tuple[dict[str, int], ...] = ()
    undo_minutes: int = 30
    entry_codes: bool = False
    commercial_multiplier_percent: int = 100
    order: int = 0
    is_active: bool = True

    def as_fields(self) -> dict[str, Any]:
        """The model's field values (lists where the model stores JSON lists)."""
        values = asdict(self)
        for name in (
            "weekly_closed_days",
            "allowed_categories",
            "payment_methods",
            "cancellation_tiers",
        ):
            values[name] = list(values[name])
        values["weekly_closed_days"].sort()
        return values


def _season_check(s: FacilitySettings) -> None:
    parts = (s.season_start_month, s.season_start_day, s.season_end_month, s.season_end_day)
    if all(p is None for p in parts):
        return
    if any(p is None for p in parts):
        raise DomainError("season_incomplete", field="season_start_month")
    for month, day, name in (
        (s.season_start_month, s.season_start_day, "season_start_month"),
        (s.season_end_month, s.season_end_day, "season_end_month"),
    ):
        try:
            dt.date(2024, month, day)  # a leap year: 2/29 is a real month/day
        except (TypeError, ValueError):
            raise DomainError("season_date_invalid", field=name) from None


def facility_settings_check(settings: FacilitySettings) -> None:
    """Refuse settings that the rules could not apply; ``DomainError(field=…)``."""
    s = settings
    _required(s.name, field="name")
    if s.kind not in Facility.Kind.values:
        raise DomainError("required", field="kind")
    if s.holiday_policy not in Facility.HolidayPolicy.values:
        raise DomainError("required", field="holiday_policy")
    if any(
        isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6
        for d in s.weekly_closed_days
    ):
        raise DomainError("closed_days_invalid", field="weekly_closed_days")
    _season_check(s)
    _in_range(s.opens_months_before, low=1, high=24, field="opens_months_before")
    _in_range(s.closes_days_before, low=0, high=365, field="closes_days_before")
    # The window must open before it closes, even in the shortest month.
    if s.opens_months_before * 28 <= s.closes_days_before:
        raise DomainError(
            "booking_window_invalid",
            field="closes_days_before",
            months=s.opens_months_before,
            days=s.closes_days_before,
        )
    if s.opening_hour is not None and not 0 <= s.opening_hour <= 23:
        raise DomainError("opening_hour_invalid", field="opening_hour")
    if not 0 <= s.fair_window_seconds <= 600:
        raise DomainError("fair_window_invalid", field="fair_window_seconds")
    _in_range(s.max_nights, low=1, high=30, field="max_nights")
    _in_range(s.max_rooms, low=1, high=99, field="max_rooms")
    _in_range(s.max_active_reservations, low=1, high=99, field="max_active_reservations")
    _in_range(s.waitlist_max_per_person, low=1, high=99, field="waitlist_max_per_person")
    _in_range(s.waitlist_closes_days_before, low=0, high=365, field="waitlist_closes_days_before")
    _in_range(s.waitlist_accept_minutes, low=5, high=7 * 24 * 60, field="waitlist_accept_minutes")
    _in_range(s.waitlist_near_days, low=0, high=365, field="waitlist_near_days")
    _in_range(
        s.waitlist_near_accept_minutes,
        low=5,
        high=7 * 24 * 60,
        field="waitlist_near_accept_minutes",
    )
    if not set(s.allowed_categories) <= {c for c, _ in policies.BOOKING_CATEGORIES}:
        raise DomainError("categories_invalid", field="allowed_categories")
    if s.payment_mode not in Facility.PaymentMode.values:
        raise DomainError("required", field="payment_mode")
    if not set(s.payment_methods) <= {m for m, _ in policies.ONLINE_PAYMENT_METHODS}:
        raise DomainError("payment_methods_invalid", field="payment_methods")
    _in_range(s.payment_due_days, low=1, high=60, field="payment_due_days")
    _in_range(s.payment_due_days_before_use, low=0, high=60, field="payment_due_days_before_use")
    try:
        policies.cancellation_tiers(list(s.cancellation_tiers))
    except ValidationError as error:
        raise DomainError(
            "cancellation_tiers_invalid", field="cancellation_tiers", reason=" ".join(error)
        ) from None
    _in_range(
        s.commercial_multiplier_percent, low=100, high=500, field="commercial_multiplier_percent"
    )
    _in_range(s.order, low=0, high=999, field="order")


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} of the fields that differ, for the audit row."""
    return {
        name: [getattr(obj, name), value]
        for name, value in values.items()
        if getattr(obj, name) != value
    }


@transaction.atomic
def facility_create(
    *,
    municipality: Municipality,
    by: User,
    slug: str,
    settings: FacilitySettings,
    ip_address: str | None = None,
) -> Facility:
    """A new facility of ``municipality``. ``slug`` names it in public URLs and never changes.
    Audited as ``facility.create``."""
    slug = (slug or "").strip()
    if not SLUG_RE.match(slug) or len(slug) > 50:
        raise DomainError("facility_slug_invalid", field="slug")
    facility_settings_check(settings)
    if Facility.objects.filter(municipality=municipality, slug=slug).exists():
        raise DomainError("facility_slug_taken", field="slug")
    facility = Facility.objects.create(municipality=municipality, slug=slug, **settings.as_fields())
    audit_record(
        action=AuditAction.FACILITY_CREATE,
        actor=by,
        municipality=municipality,
        target=facility,
        data={"slug": slug, "name": facility.name},
        ip_address=ip_address,
    )
    return facility


@transaction.atomic
def facility_update(
    *, facility: Facility, by: User, settings: FacilitySettings, ip_address: str | None = None
) -> Facility:
    """Change a facility's settings; the audit row (``facility.update``) holds each changed
    field before and after. Reservations already made keep their fee and terms."""
    facility_settings_check(settings)
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    values = settings.as_fields()
    changes = _changes(facility, values)
    for name, value in values.items():
        setattr(facility, name, value)
    facility.save(update_fields=list(values))
    audit_record(
        action=AuditAction.FACILITY_UPDATE,
        actor=by,
        municipality=facility.municipality,
        target=facility,
        data={"changes": changes},
        ip_address=ip_address,
    )
    return facility


# ---------------------------------------------------------------------------------------------
# Slot schedules (時間区分): basic blocks and combined blocks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotSpec:
    code: str
    label: str
    start: dt.time
    end: dt.time
    label_en: str = ""


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def slots_classify(slots: Sequence[SlotSpec]) -> list[tuple[SlotSpec, bool]]:
    """Each slot with whether it is basic. A slot that contains another one is a combined
    block (午前・午後, 全日); the rest are the basic blocks, which may not overlap, and a
    combined block must start where a basic block starts and end where one ends (its
    capacity is taken as the basic blocks inside it)."""
    if not slots:
        raise DomainError("slots_required", field="slots")
    codes = [s.code for s in slots]
    for code in codes:
        if not SLUG_RE.match(code) or len(code) > 30:
            raise DomainError("slots_format", field="slots", line=codes.index(code) + 1)
        if codes.count(code) > 1:
            raise DomainError("slot_code_duplicate", field="slots", code=code)
    for s in slots:
        if _minutes(s.start) >= _minutes(s.end):
            raise DomainError("slot_time_order", field="slots", label=s.label)

    def contains(a: SlotSpec, b: SlotSpec) -> bool:
        return a is not b and a.start <= b.start and b.end <= a.end

    result = [(s, not any(contains(s, other) for other in slots)) for s in slots]
    basics = sorted((s for s, basic in result if basic), key=lambda s: s.start)
    for first, second in itertools.pairwise(basics):
        if second.start < first.end:
            raise DomainError(
                "slot_basic_overlap", field="slots", first=first.label, second=second.label
            )
    starts = {b.start for b in basics}
    ends = {b.end for b in basics}
    for s, basic in result:
        if not basic and (s.start not in starts or s.end not in ends):
            raise DomainError("slot_combined_misaligned", field="slots", label=s.label)
    return result


@transaction.atomic
def slot_schedule_create(
    *,
    municipality: Municipality,
    by: User,
    name: str,
    slots: Sequence[SlotSpec],
    ip_address: str | None = None,
) -> SlotSchedule:
    """A new schedule of time blocks for time-slot units. Schedules are not edited once made:
    the basic blocks are what reservations occupy, so a different division is a new schedule."""
    name = _required(name, field="name")
    classified = slots_classify(slots)
    if SlotSchedule.objects.filter(municipality=municipality, name=name).exists():
        raise DomainError("slot_schedule_name_taken", field="name")
    schedule = SlotSchedule.objects.create(municipality=municipality, name=name)
    Slot.objects.bulk_create(
        Slot(
            schedule=schedule,
            code=s.code,
            label=s.label,
            label_en=s.label_en,
            start=s.start,
            end=s.end,
            is_basic=basic,
        )
        for s, basic in classified
    )
    setup_cache.bump(municipality.pk)  # bulk_create sends no signals
    audit_record(
        action=AuditAction.SLOT_SCHEDULE_CREATE,
        actor=by,
        municipality=municipality,
        target=schedule,
        data={
            "name": name,
            "slots": [
                [s.code, s.label, s.start.isoformat("minutes"), s.end.isoformat("minutes"), b]
                for s, b in classified
            ],
        },
        ip_address=ip_address,
    )
    return schedule


# ---------------------------------------------------------------------------------------------
# Units (室場): whole ⊃ parts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSettings:
    name: str
    booking_kind: str
    name_en: str = ""
    parent: Unit | None = None
    slot_schedule: SlotSchedule | None = None
    capacity: int | None = None
    area_m2: int | None = None
    room_count: int | None = None
    persons_per_room: int | None = None
    min_persons_per_room: int | None = None
    description: str = ""
    purposes: tuple[Purpose, ...] = field(default=())
    order: int = 0
    is_active: bool = True


def _unit_check(*, facility: Facility, unit: Unit | None, s: UnitSettings) -> None:
    _required(s.name, field="name")
    same_name = Unit.objects.filter(facility=facility, name=s.name.strip())
    if unit is not None:
        same_name = same_name.exclude(pk=unit.pk)
    if same_name.exists():
        raise DomainError("unit_name_taken", field="name")
    if s.booking_kind == Unit.BookingKind.SLOT:
        if s.slot_schedule is None or s.slot_schedule.municipality_id != facility.municipality_id:
            raise DomainError("unit_schedule_required", field="slot_schedule")
    elif s.booking_kind == Unit.BookingKind.LODGING:
        if not s.room_count or not s.persons_per_room:
            raise DomainError("unit_rooms_required", field="room_count")
        if s.parent is not None:
            raise DomainError("unit_parent_invalid", field="parent")
    else:
        raise DomainError("required", field="booking_kind")
    for name, value, high in (
        ("capacity", s.capacity, 100000),
        ("area_m2", s.area_m2, 1000000),
        ("room_count", s.room_count, 999),
        ("persons_per_room", s.persons_per_room, 99),
        ("min_persons_per_room", s.min_persons_per_room, s.persons_per_room or 99),
    ):
        if value is not None:
            _in_range(value, low=1, high=high, field=name)
    for purpose in s.purposes:
        if purpose.municipality_id != facility.municipality_id:
            raise DomainError("required", field="purposes")
    parent = s.parent
    if parent is None:
        return
    if (
        parent.facility_id != facility.pk
        or parent.booking_kind != Unit.BookingKind.SLOT
        or (unit is not None and parent.pk == unit.pk)
    ):
        raise DomainError("unit_parent_invalid", field="parent")
    if unit is not None:
        # Not one of its own parts, or the tree would have a loop.
        ancestor = parent
        while ancestor is not None:
            if ancestor.pk == unit.pk:
                raise DomainError("unit_parent_invalid", field="parent")
            ancestor = ancestor.parent
    # A part is booked on its whole's schedule, otherwise their atoms would not match.
    if parent.slot_schedule_id != (s.slot_schedule.pk if s.slot_schedule else None):
        raise DomainError("unit_parent_schedule", field="slot_schedule")


def _unit_values(s: UnitSettings) -> dict[str, Any]:
    lodging = s.booking_kind == Unit.BookingKind.LODGING
    return {
        "name": s.name.strip(),
        "name_en": s.name_en,
        "booking_kind": s.booking_kind,
        "parent": s.parent,
        "slot_schedule": None if lodging else s.slot_schedule,
        "capacity": (s.room_count or 0) * (s.persons_per_room or 0) if lodging else s.capacity,
        "area_m2": s.area_m2,
        "room_count": s.room_count if lodging else None,
        "persons_per_room": s.persons_per_room if lodging else None,
        "min_persons_per_room": s.min_persons_per_room if lodging else None,
        "description": s.description,
        "order": s.order,
        "is_active": s.is_active,
    }


def _plain(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def _unit_audit_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in values.items()}


@transaction.atomic
def unit_create(
    *, facility: Facility, by: User, settings: UnitSettings, ip_address: str | None = None
) -> Unit:
    """A new bookable unit of ``facility`` (a part when ``settings.parent`` is set). It has no
    fees until a fee table is published for it. Audited as ``unit.create``."""
    _unit_check(facility=facility, unit=None, s=settings)
    values = _unit_values(settings)
    unit = Unit.objects.create(facility=facility, **values)
    unit.purposes.set(settings.purposes)
    audit_record(
        action=AuditAction.UNIT_CREATE,
        actor=by,
        municipality=facility.municipality,
        target=unit,
        data={**_unit_audit_values(values), "purposes": [p.pk for p in settings.purposes]},
        ip_address=ip_address,
    )
    return unit


@transaction.atomic
def unit_update(
    *, unit: Unit, by: User, settings: UnitSettings, ip_address: str | None = None
) -> Unit:
    """Change a unit. Its booking kind and schedule are fixed once it has a fee table (the
    table prices the schedule's blocks); a different division is a new unit."""
    unit = Unit.objects.select_for_update(of=("self",)).select_related("facility").get(pk=unit.pk)
    _unit_check(facility=unit.facility, unit=unit, s=settings)
    values = _unit_values(settings)
    kind_changed = (
        values["booking_kind"] != unit.booking_kind
        or (values["slot_schedule"].pk if values["slot_schedule"] else None)
        != unit.slot_schedule_id
    )
    if kind_changed and unit.fee_rules.exists():
        raise DomainError("unit_kind_locked", field="booking_kind")
    changes = _changes(unit, values)
    for name, value in values.items():
        setattr(unit, name, value)
    unit.save(update_fields=list(values))
    unit.purposes.set(settings.purposes)
    audit_record(
        action=AuditAction.UNIT_UPDATE,
        actor=by,
        municipality=unit.facility.municipality,
        target=unit,
        data={"changes": {k: [_plain(v[0]), _plain(v[1])] for k, v in changes.items()}},
        ip_address=ip_address,
    )
    return unit
