"""Booking rules, checked in one place: before booking (to show people what applies) and
inside the booking transaction (to refuse). The database still has the last word on overlaps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from yoyaku.core import clock
from yoyaku.core.dates import japanese_date
from yoyaku.core.errors import DomainError
from yoyaku.core.selectors import service_status
from yoyaku.facilities import policies, setup_cache
from yoyaku.facilities.models import Facility, Purpose, ReductionCategory, Slot, Unit
from yoyaku.facilities.selectors import UnitFamily, closed_reason, holidays_between
from yoyaku.registrants import selectors as registrant_selectors
from yoyaku.registrants.models import ReductionGrant, Registrant
from yoyaku.reservations import capacity, hooks, limits
from yoyaku.reservations.capacity import atoms_of_slot
from yoyaku.reservations.models import Penalty, Reservation

REFUSAL_CODES = {
    "under_review": "registrant_under_review",
    "duplicate_suspected": "registrant_duplicate",
    "expired": "registrant_expired",
    "ended": "registrant_ended",
}


MAX_NIGHTS_EVER = 31
# A hall or court without a capacity set: the largest party one booking may name.
PARTY_SIZE_MAX = 999


@dataclass
class BookingRequest:
    registrant: Registrant
    unit: Unit
    use_date: dt.date
    nights: int = 1
    slots: Sequence[Slot] = ()
    rooms: int = 1
    adults: int = 0
    children: int = 0
    infants: int = 0
    party_size: int = 0
    purpose: Purpose | None = None
    commercial: bool = False
    reduction: ReductionCategory | None = None
    dates: list[dt.date] = field(init=False)

    def __post_init__(self) -> None:
        # Out-of-range nights are refused by check() (nights_limit); the dates stay one night
        # then, so that a typed 0 or 10**20 never builds a huge or overflowing list.
        valid = self.unit.is_lodging and 1 <= self.nights <= MAX_NIGHTS_EVER
        count = self.nights if valid else 1
        self.dates = [self.use_date + dt.timedelta(days=i) for i in range(count)]


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def booking_window(facility: Facility, use_date: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) on which ``use_date`` can be booked first-come."""
    opens = add_months(use_date, -facility.opens_months_before)
    closes = use_date - dt.timedelta(days=facility.closes_days_before)
    return opens, closes


def opens_at(facility: Facility, use_date: dt.date) -> dt.datetime:
    """The moment first-come booking of ``use_date`` starts: its opening day (see
    :func:`booking_window`) at the facility's opening hour (0:00 when none is set)."""
    opens, _closes = booking_window(facility, use_date)
    return clock.at(opens, dt.time(facility.opening_hour or 0))


def opening_label(facility: Facility, use_date: dt.date) -> str:
    """The opening day in words, with the hour when the facility sets one."""
    opens, _closes = booking_window(facility, use_date)
    if facility.opening_hour:
        return f"{japanese_date(opens)} {facility.opening_hour}:00"
    return japanese_date(opens)


def active_penalty(registrant: Registrant, today: dt.date) -> Penalty | None:
    return (
        Penalty.objects.filter(
            registrant=registrant,
            starts_on__lte=today,
            ends_on__gte=today,
            status=Penalty.Status.ACTIVE,
        )
        .order_by("-ends_on")
        .first()
    )


def registrant_problem(registrant: Registrant, *, today: dt.date) -> DomainError | None:
    refusal = registrant_selectors.booking_refusal(registrant)
    if refusal:
        return DomainError(REFUSAL_CODES[refusal])
    penalty = active_penalty(registrant, today)
    if penalty is not None:
        return DomainError("penalty_active", until=japanese_date(penalty.ends_on))
    return None


def check(
    request: BookingRequest,
    *,
    at: dt.datetime | None = None,
    exclude: Reservation | None = None,
    by_staff: bool = False,
    check_capacity: bool = True,
) -> list[DomainError]:
    """Every rule that refuses this booking, in the order a person should read them.

    ``exclude``: a reservation being changed (its own capacity and count do not count).
    ``by_staff``: a booking on behalf of the registrant (代理申請) may be made outside the
    system's service hours, but every other rule holds.
    """
    at = at or clock.now()
    today = clock.local(at).date()
    unit, facility, registrant = request.unit, request.unit.facility, request.registrant
    problems: list[DomainError] = []

    if (
        not by_staff
        and not service_status(municipality=facility.municipality, at=at).accepts_changes
    ):
        problems.append(DomainError("service_closed"))
    if unit.facility.municipality_id != registrant.municipality_id or not unit.is_active:
        return [DomainError("unit_not_bookable")]
    problem = registrant_problem(registrant, today=today)
    if problem:
        problems.append(problem)
    if not registrant.is_eligible(facility.allowed_categories):
        problems.append(DomainError("category_not_allowed"))
    if exclude is None:
        # Fees still owed for past reservations (the payments app's ledger) stop new bookings.
        problems.extend(hooks.booking_refusals(registrant=registrant))

    opens, closes = booking_window(facility, request.use_date)
    if request.use_date < today:
        problems.append(DomainError("date_past"))
    elif today < opens or (today == opens and at < opens_at(facility, request.use_date)):
        problems.append(
            DomainError("window_not_open", opens=opening_label(facility, request.use_date))
        )
    elif today > closes:
        problems.append(DomainError("window_closed", closes=japanese_date(closes)))

    if unit.is_lodging:
        if not 1 <= request.nights <= facility.max_nights:
            problems.append(DomainError("nights_limit", max=facility.max_nights))
        if not 1 <= request.rooms <= min(facility.max_rooms, unit.room_count or 0):
            problems.append(
                DomainError("rooms_limit", max=min(facility.max_rooms, unit.room_count or 0))
            )
    else:
        problems += _slot_problems(request, at)
    problems += head_count_problems(
        unit,
        rooms=request.rooms,
        adults=request.adults,
        children=request.children,
        infants=request.infants,
        party_size=request.party_size,
    ).values()

    # Purposes, the unit tree and the closures come from the setup cache (setup_cache.py).
    setup = setup_cache.setup_of(unit)
    purposes = setup.purposes
    if purposes and request.purpose not in purposes:
        problems.append(DomainError("purpose_not_allowed"))
    if request.reduction is not None:
        problems += _reduction_problems(request)

    # Closed days, seasons, lottery periods: every date (every night) of the booking.
    family = setup.family
    related = family.related(unit.pk)
    closures = [
        c
        for c in setup.closures_between(request.dates[0], request.dates[-1])
        if c.unit_id is None or c.unit_id in related
    ]
    holidays = holidays_between(request.dates[0] - dt.timedelta(days=10), request.dates[-1])
    held = hooks.held_dates(unit_ids=related, start=request.dates[0], end=request.dates[-1], at=at)
    for day in request.dates:
        reason = closed_reason(facility=facility, day=day, holidays=holidays, closures=closures)
        if reason:
            problems.append(DomainError("date_closed", date=japanese_date(day), reason=reason))
        elif any((r, day) in held for r in related):
            problems.append(DomainError("lottery_period", date=japanese_date(day)))

    # Counted from existing rows: a write calls limits.lock_registrant before this.
    problem = limits.active_reservations_problem(
        registrant=registrant, facility=facility, today=today, exclude=exclude
    )
    if problem:
        problems.append(problem)

    if check_capacity and not problems:
        problems += capacity_problems(request, family=family, exclude=exclude)
    return problems


def head_count_problems(
    unit: Unit, *, rooms: int, adults: int, children: int, infants: int, party_size: int
) -> dict[str, DomainError]:
    """The head counts of a booking against the unit, by the form field each belongs to.

    A stay: at least one adult, adults and children within the rooms' capacity and above
    their minimum, infants (not counted as persons) at most the rooms' capacity. A hall or
    court: a party of at least one, at most the unit's capacity (``PARTY_SIZE_MAX`` when the
    unit has none set).
    """
    problems: dict[str, DomainError] = {}
    if unit.is_lodging:
        room_capacity = max(rooms, 1) * (unit.persons_per_room or 0)
        persons = adults + children
        if adults < 1:
            problems["adults"] = DomainError("adult_required")
        elif children < 0:
            problems["children"] = DomainError("head_count_negative")
        elif persons > room_capacity:
            problems["adults"] = DomainError("too_many_persons", max=room_capacity)
        elif persons < rooms * (unit.min_persons_per_room or 1):
            problems["adults"] = DomainError(
                "too_few_persons", min=rooms * (unit.min_persons_per_room or 1)
            )
        infants_max = room_capacity or PARTY_SIZE_MAX
        if infants < 0:
            problems["infants"] = DomainError("head_count_negative")
        elif infants > infants_max:
            problems["infants"] = DomainError("infants_exceeded", max=infants_max)
    else:
        limit = unit.capacity or PARTY_SIZE_MAX
        if party_size < 1:
            problems["party_size"] = DomainError("party_size_required")
        elif party_size > limit:
            problems["party_size"] = DomainError("capacity_exceeded", max=f"{limit:,}")
    return problems


def _slot_problems(request: BookingRequest, at: dt.datetime) -> list[DomainError]:
    unit = request.unit
    if not request.slots:
        return [DomainError("slot_required")]
    problems = []
    schedule = setup_cache.setup_of(unit).slots
    schedule_ids = {s.pk for s in schedule}
    basics = [s for s in schedule if s.is_basic]
    seen: set[int] = set()
    local = clock.local(at)
    for slot in request.slots:
        if slot.pk not in schedule_ids:
            return [DomainError("slot_not_in_schedule")]
        atoms = set(atoms_of_slot(slot, basics))
        if atoms & seen:
            problems.append(DomainError("slots_overlap"))
        seen |= atoms
        if request.use_date == local.date() and slot.start <= local.time():
            problems.append(DomainError("slot_started", slot=slot.label))
    return problems


def _reduction_problems(request: BookingRequest) -> list[DomainError]:
    category = request.reduction
    if category.municipality_id != request.registrant.municipality_id:
        return [DomainError("reduction_not_granted")]
    if category.requires_approval:
        granted = ReductionGrant.objects.filter(
            registrant=request.registrant, category=category, status=ReductionGrant.Status.APPROVED
        ).first()
        if granted is None or (granted.valid_until and granted.valid_until < request.use_date):
            return [DomainError("reduction_not_granted")]
    if category.min_age:
        birth = request.registrant.birth_date
        day = request.use_date
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        if age < category.min_age:
            return [DomainError("reduction_not_granted")]
    if request.commercial:
        return [DomainError("reduction_not_for_commercial")]
    return []


def needed_atoms(
    request: BookingRequest, family: UnitFamily
) -> dict[tuple[int, dt.date], set[int]]:
    """Slot units: the (leaf, date) → atoms this booking takes."""
    return capacity.leaf_atoms(request, family)


def capacity_problems(
    request: BookingRequest, *, family: UnitFamily, exclude: Reservation | None = None
) -> list[DomainError]:
    """Friendly check that the capacity is free; the unique key is the guarantee."""
    return capacity.problems(request, family=family, exclude=exclude)


@dataclass(frozen=True)
class BookingTerms:
    """What a person is told before booking: the window, the facility's limits, the fees."""

    facility: Facility
    opens: dt.date
    closes: dt.date
    tiers: list[policies.CancellationTier]


def booking_terms(unit: Unit, use_date: dt.date) -> BookingTerms:
    opens, closes = booking_window(unit.facility, use_date)
    return BookingTerms(
        facility=unit.facility, opens=opens, closes=closes, tiers=unit.facility.tiers()
    )


def cancellation_percent(facility: Facility, use_date: dt.date, today: dt.date) -> int:
    """The cancellation fee tier that applies ``days_before`` the use date (0 when no tiers)."""
    return policies.cancellation_percent(facility.cancellation_tiers, (use_date - today).days)
