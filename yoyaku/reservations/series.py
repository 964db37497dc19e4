"""定期利用 (series): a registered group's every-week use of one unit, booked, changed and
moved as one bundle (``reservations.bundles``).

The form's answer (:class:`SeriesSpec`) gives the dates; the preview marks each of them
(空き / 予約済み / 休館 / 受付期間外 / 抽選中) with the same rules a booking runs; the free ones are
booked as one bundle, all or nothing. Afterwards the group changes the whole series at once
(its time slots or party size, :func:`series_change`) or moves one date
(:func:`bundle_item_change_date`); cancelling is the bundle's (``bundles.bundle_cancel``).
Staff allocate series before the public opening with ``priority`` (優先予約).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from yoyaku.core import clock
from yoyaku.core.dates import japanese_date
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.facilities import setup_cache
from yoyaku.facilities.models import Purpose, Slot, Unit
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import booking, capacity, limits, rules, states
from yoyaku.reservations.bundles import (
    BundleRefused,
    Kind,
    _mail,
    active_items,
    bundle_book,
    item_label,
    reservation_label,
)
from yoyaku.reservations.models import Reservation, ReservationBundle

# A series spans at most a year and at most this many dates (every day of a season is 183).
SERIES_MAX_DAYS = 366
SERIES_MAX_DATES = 120
WEEKDAY_LABELS = ("月", "火", "水", "木", "金", "土", "日")


@dataclass
class SeriesSpec:
    """What a series asks for: a unit, weekdays (0 = Monday), slots, a period, the party."""

    registrant: Registrant
    unit: Unit
    weekdays: Sequence[int]
    slots: Sequence[Slot]
    start: dt.date
    end: dt.date
    party_size: int = 1
    purpose: Purpose | None = None

    def request(self, day: dt.date) -> rules.BookingRequest:
        return rules.BookingRequest(
            registrant=self.registrant,
            unit=self.unit,
            use_date=day,
            slots=list(self.slots),
            party_size=self.party_size,
            purpose=self.purpose,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit.pk,
            "weekdays": sorted(self.weekdays),
            "slots": [s.pk for s in self.slots],
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "party_size": self.party_size,
            "purpose": self.purpose.pk if self.purpose else None,
        }

    def describe(self) -> str:
        days = "・".join(WEEKDAY_LABELS[d] for d in sorted(self.weekdays))
        slots = "・".join(s.label for s in self.slots)
        return (
            f"{self.unit.name} 毎週{days}曜 {slots}"
            f"（{japanese_date(self.start)}～{japanese_date(self.end)}）"
        )


def series_dates(spec: SeriesSpec) -> list[dt.date]:
    """Every date of [start, end] on one of the weekdays; refused when the period is
    reversed, longer than a year, or gives no date or too many."""
    if spec.end < spec.start:
        raise DomainError("series_period_order")
    if (spec.end - spec.start).days >= SERIES_MAX_DAYS:
        raise DomainError("series_too_long", days=SERIES_MAX_DAYS)
    weekdays = set(spec.weekdays)
    days = [d for d in capacity.dates_between(spec.start, spec.end) if d.weekday() in weekdays]
    if not days:
        raise DomainError("series_no_dates")
    if len(days) > SERIES_MAX_DATES:
        raise DomainError("series_too_many_dates", max=SERIES_MAX_DATES)
    return days


class DayState:
    FREE = "free"
    TAKEN = "taken"
    CLOSED = "closed"
    OUTSIDE = "outside"
    LOTTERY = "lottery"
    REFUSED = "refused"


# Rule codes that concern one date of a series; any other refusal concerns the whole series.
_DAY_CODES = {
    "slot_taken": DayState.TAKEN,
    "rooms_full": DayState.TAKEN,
    "date_closed": DayState.CLOSED,
    "window_not_open": DayState.OUTSIDE,
    "window_closed": DayState.OUTSIDE,
    "date_past": DayState.OUTSIDE,
    "slot_started": DayState.OUTSIDE,
    "lottery_period": DayState.LOTTERY,
}
# What is refused for the whole series, not per date: said once, above the dates.
_COUNTED_ONCE = {"too_many_reservations"}


@dataclass
class SeriesDay:
    day: dt.date
    state: str
    problems: list[DomainError] = field(default_factory=list)
    fee: int = 0

    @property
    def free(self) -> bool:
        return self.state == DayState.FREE


@dataclass
class SeriesPreview:
    spec: SeriesSpec
    days: list[SeriesDay]
    problems: list[DomainError]  # refusals of the whole series (the registrant, the party …)

    @property
    def free_days(self) -> list[SeriesDay]:
        return [d for d in self.days if d.free]

    @property
    def total(self) -> int:
        return sum(d.fee for d in self.free_days)

    @property
    def bookable(self) -> bool:
        return not self.problems and bool(self.free_days)


def series_preview(
    spec: SeriesSpec, *, by_staff: bool = False, priority: bool = False
) -> SeriesPreview:
    """Every date of the series with 空き / 予約済み / 休館 / 受付期間外 / 抽選中 and the fee
    of each free one. ``priority``: staff allocation, the booking window's opening does not
    apply. Raises DomainError when the period itself is wrong (see :func:`series_dates`)."""
    if spec.registrant.kind != Registrant.Kind.GROUP:
        raise DomainError("series_groups_only")
    days: list[SeriesDay] = []
    general: dict[str, DomainError] = {}
    for day in series_dates(spec):
        request = spec.request(day)
        problems = [
            p
            for p in rules.check(request, by_staff=by_staff)
            if p.code not in _COUNTED_ONCE and not (priority and p.code == "window_not_open")
        ]
        mine = [p for p in problems if p.code in _DAY_CODES]
        for p in problems:
            if p.code not in _DAY_CODES:
                general.setdefault(p.message, p)
        if mine:
            days.append(SeriesDay(day, _DAY_CODES[mine[0].code], mine))
            continue
        # check() skips the capacity when anything else refused: look at it here.
        taken = capacity.problems(request, family=setup_cache.setup_of(spec.unit).family)
        if taken:
            days.append(SeriesDay(day, DayState.TAKEN, taken))
            continue
        try:
            fee = booking.reservation_quote(request).total
        except DomainError as error:  # no fee table in force that day
            days.append(SeriesDay(day, DayState.REFUSED, [error]))
            continue
        days.append(SeriesDay(day, DayState.FREE, fee=fee))
    problem = limits.active_reservations_problem(
        registrant=spec.registrant, facility=spec.unit.facility, today=clock.today()
    )
    if problem:
        general.setdefault(problem.message, problem)
    return SeriesPreview(spec=spec, days=days, problems=list(general.values()))


def series_book(
    *,
    spec: SeriesSpec,
    by: User,
    dates: Sequence[dt.date] | None = None,
    label: str = "",
    channel: str = Reservation.Channel.ONLINE,
    priority: bool = False,
) -> ReservationBundle:
    """空いている日をまとめて予約: book the free dates of the series as one bundle.

    ``dates``: the free dates the person saw on the preview. All or nothing: when one of them
    is no longer free (taken between preview and confirmation) nothing is booked and
    :class:`BundleRefused` names it; the page then shows a fresh preview to confirm again.
    """
    preview = series_preview(
        spec, by_staff=channel != Reservation.Channel.ONLINE, priority=priority
    )
    if preview.problems:
        first = preview.problems[0]
        first.all = preview.problems
        raise first
    free = {d.day for d in preview.free_days}
    wanted = sorted(set(dates)) if dates is not None else sorted(free)
    for day in wanted:
        if day not in free:
            state = next((d for d in preview.days if d.day == day), None)
            problems = state.problems if state and state.problems else [DomainError("slot_taken")]
            raise BundleRefused(
                index=wanted.index(day), item=item_label(spec.request(day)), problems=problems
            )
    if not wanted:
        raise DomainError("series_no_free_dates")
    return bundle_book(
        registrant=spec.registrant,
        requests=[spec.request(day) for day in wanted],
        kind=Kind.SERIES,
        by=by,
        label=label or spec.describe(),
        channel=channel,
        priority=priority,
        spec=spec.as_json(),
    )


# — changing a series —


@dataclass(frozen=True)
class SeriesChange:
    """One upcoming item of a series under a change of the whole series."""

    item: Reservation
    changes: dict[str, Any]
    problems: list[DomainError]
    difference: int


def _series_changes(
    item: Reservation, *, slots: Sequence[Slot] | None, party_size: int | None
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if slots is not None and {s.pk for s in item.slots.all()} != {s.pk for s in slots}:
        changes["slots"] = list(slots)
    if party_size is not None and party_size != item.party_size:
        changes["party_size"] = party_size
    return changes


def series_change_preview(
    *, bundle: ReservationBundle, slots: Sequence[Slot] | None, party_size: int | None
) -> list[SeriesChange]:
    """What changing every upcoming date of a series (its time slots, its party size) would
    do, date by date, before the group confirms: each date judged like a change of that one
    reservation (capacity without its own rows, closures, the unit's capacity, the fee)."""
    today = clock.today()
    rows = []
    for item in active_items(bundle):
        if item.unit.is_lodging or not states.allows(item, "change", today=today):
            continue
        changes = _series_changes(item, slots=slots, party_size=party_size)
        if not changes:
            continue
        problems, difference = booking.reservation_change_preview(reservation=item, **changes)
        rows.append(SeriesChange(item, changes, problems, difference))
    return rows


def series_change(
    *,
    bundle: ReservationBundle,
    slots: Sequence[Slot] | None,
    party_size: int | None,
    by: User,
) -> list[SeriesChange]:
    """Change every upcoming date of a series at once (e.g. 夜間 → 午後 from now on, or the
    party size): one transaction, all or nothing (a date that cannot take the change refuses
    the whole, naming it), each date's fee recalculated, one mail. Returns what changed."""
    if bundle.kind != ReservationBundle.Kind.SERIES:
        raise DomainError("nothing_to_change")
    try:
        with transaction.atomic():
            bundle = ReservationBundle.objects.select_for_update().get(pk=bundle.pk)
            planned = series_change_preview(bundle=bundle, slots=slots, party_size=party_size)
            if not planned:
                raise DomainError("nothing_to_change")
            done = []
            for index, row in enumerate(planned):
                try:
                    item, difference = booking._change(
                        row.item,
                        by,
                        AuditAction.RESERVATION_CHANGE_PARTY
                        if set(row.changes) == {"party_size"}
                        else AuditAction.RESERVATION_CHANGE_DATE,
                        notify=False,
                        **row.changes,
                    )
                except DomainError as error:
                    problems = getattr(error, "all", None) or [error]
                    raise BundleRefused(
                        index=index, item=reservation_label(row.item), problems=problems
                    ) from error
                done.append(SeriesChange(item, row.changes, [], difference))
            total = sum(row.difference for row in done)
            audit_record(
                action=AuditAction.BUNDLE_CHANGE,
                actor=by,
                municipality=bundle.municipality,
                target=bundle,
                data={
                    "items": [row.item.pk for row in done],
                    "slots": [s.pk for s in slots] if slots is not None else None,
                    "party_size": party_size,
                    "difference": total,
                },
            )
            _mail(bundle, [row.item for row in done], "bundle_changed", difference=f"{total:+,}")
            return done
    except IntegrityError as exc:
        raise DomainError("slot_taken") from exc


def bundle_item_change_date(
    *, reservation: Reservation, use_date: dt.date, by: User
) -> tuple[Reservation, int]:
    """Move one date of a series to another date (same unit and slots): judged like a new
    booking of that date (window, closures, capacity), the fee recalculated. Returns the fee
    difference. One mail (the change), like any change of a reservation."""
    if reservation.bundle_id is None or reservation.unit.is_lodging:
        raise DomainError("nothing_to_change")
    try:
        with transaction.atomic():
            return booking._change(
                reservation, by, AuditAction.RESERVATION_CHANGE_DATE, use_date=use_date
            )
    except IntegrityError as exc:
        raise DomainError("slot_taken") from exc


def bundle_item_change_preview(
    *, reservation: Reservation, use_date: dt.date
) -> tuple[list[DomainError], int]:
    """What moving one date would cost, before confirming: (problems, fee difference)."""
    return booking.reservation_change_preview(reservation=reservation, use_date=use_date)
