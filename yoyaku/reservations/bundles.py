"""予約のまとまり: whole-facility and series bookings (全館・定期利用) in one step.

A bundle is several ordinary reservations booked in ONE transaction: several units at once
(全館, every room of a floor, a hall with its green room) or one unit on several dates and
slots (定期利用: every Tuesday 夜間 from April to September). Each item keeps everything a
reservation has — its occupancy rows (whose unique key still makes double booking impossible),
its fee as quoted, its ledger, its state — and the bundle adds:

* all or nothing: any item refused by a rule or by the capacity rolls the whole bundle back,
  and the refusal names the item (:class:`BundleRefused`);
* one e-mail for the bundle instead of one per item, one permit listing every item
  (``reservations.bundle_permit``), one page under my page;
* the per-person limit counts a bundle as ONE reservation (``limits.py``): a season is one
  request, not 26;
* cancelling the whole bundle in one confirmation and one mail, each item charged by the
  facility's tiers (free of charge when staff cancel, with a reason);
* 優先予約: staff allocate seasonal series to registered groups before the public booking
  window opens (``priority``), audited.

Series are for registered groups (団体登録); staff allocate them too. Reads for the pages
(previews, a registrant's bundles) are here as well, next to the rules they show.
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
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context
from yoyaku.reservations import booking, capacity, fees, limits, rules, states
from yoyaku.reservations.models import Reservation, ReservationBundle

Kind = ReservationBundle.Kind

# A series spans at most a year and at most this many dates (every day of a season is 183).
SERIES_MAX_DAYS = 366
SERIES_MAX_DATES = 120
WEEKDAY_LABELS = ("月", "火", "水", "木", "金", "土", "日")


class BundleRefused(DomainError):
    """One item of a bundle was refused: nothing was booked. ``index`` is the item's place,
    ``item`` its label, ``problems`` every refusal of that item."""

    def __init__(self, *, index: int, item: str, problems: Sequence[DomainError]) -> None:
        first = problems[0]
        super().__init__("bundle_item_refused", item=item, reason=first.message)
        self.index = index
        self.item_label = item
        self.problems = list(problems)
        self.all = [self]


def item_label(request: rules.BookingRequest) -> str:
    """「2027年4月6日（火） 体育館 夜間」: how an item is named on pages and in mails."""
    slots = "・".join(s.label for s in request.slots)
    return " ".join(
        part for part in (japanese_date(request.use_date), request.unit.name, slots) if part
    )


def reservation_label(reservation: Reservation) -> str:
    return item_label(booking._request_of(reservation))


# — the fee of a bundle —


@dataclass(frozen=True)
class BundleQuote:
    """One fee breakdown for the bundle: each item's quote, and the total."""

    items: list[tuple[rules.BookingRequest, fees.FeeQuote]]
    total: int


def bundle_quote(requests: Sequence[rules.BookingRequest]) -> BundleQuote:
    items = [(request, booking.reservation_quote(request)) for request in requests]
    return BundleQuote(items=items, total=sum(quote.total for _r, quote in items))


# — booking —


def _overlap(requests: Sequence[rules.BookingRequest]) -> int | None:
    """The index of the first item that stands on capacity an earlier item takes (a whole
    and its part on the same slot, the same date twice), else None."""
    family = capacity.family_of([r.unit for r in requests])
    seen: set[tuple[int, dt.date, int]] = set()
    for index, request in enumerate(requests):
        if request.unit.is_lodging:
            continue
        rows = {
            (leaf, day, atom)
            for (leaf, day), atoms in capacity.leaf_atoms(request, family).items()
            for atom in atoms
        }
        if rows & seen:
            return index
        seen |= rows
    return None


def _capacity_refusal(requests: Sequence[rules.BookingRequest]) -> BundleRefused | None:
    """The first item whose capacity is gone (one query per item), named."""
    family = capacity.family_of([r.unit for r in requests])
    for index, request in enumerate(requests):
        problems = capacity.problems(request, family=family)
        if problems:
            return BundleRefused(index=index, item=item_label(request), problems=problems)
    index = _overlap(requests)
    if index is not None:
        return BundleRefused(
            index=index,
            item=item_label(requests[index]),
            problems=[DomainError("bundle_items_overlap")],
        )
    return None


def bundle_book(
    *,
    registrant: Registrant,
    requests: Sequence[rules.BookingRequest],
    kind: str,
    by: User,
    label: str = "",
    channel: str = Reservation.Channel.ONLINE,
    priority: bool = False,
    spec: dict | None = None,
) -> ReservationBundle:
    """Book every request as one bundle, in one transaction: all or nothing.

    Preconditions: every request is for ``registrant``. Each item is judged by the same rules
    as a single booking (``rules.check``), except: the per-person limit counts the bundle once
    (judged on its first item at each facility), and ``priority`` (staff allocation before
    the public opening) lets items be booked before their booking window opens. Any refusal
    raises :class:`BundleRefused` naming the item; nothing is written then. The occupancy
    unique key still refuses any double booking (also between two items of the bundle).
    Side effects: one e-mail listing every item, one audit row for the bundle (and the usual
    one per item).
    """
    requests = list(requests)
    if not requests:
        raise DomainError("bundle_empty")
    if any(r.registrant.pk != registrant.pk for r in requests):
        raise DomainError("unit_not_bookable")
    # First a look at the capacity, without locks: most refusals end here, cheaply.
    refusal = _capacity_refusal(requests)
    if refusal is not None:
        raise refusal
    by_staff = channel != Reservation.Channel.ONLINE
    try:
        with transaction.atomic():
            bundle = ReservationBundle.objects.create(
                municipality=registrant.municipality,
                registrant=registrant,
                kind=kind,
                label=label.strip()[:100],
                priority=priority,
                spec=spec or {},
                created_at=clock.now(),
                created_by=by,
            )
            counted: set[int] = set()  # facilities where the limit was judged for the bundle
            items = []
            for index, request in enumerate(requests):
                waive = {"window_not_open"} if priority else set()
                facility_id = request.unit.facility_id
                if facility_id in counted:
                    waive.add("too_many_reservations")
                counted.add(facility_id)
                try:
                    items.append(
                        booking._book(
                            request,
                            by=by,
                            channel=channel,
                            by_staff=by_staff,
                            setup=setup_cache.setup_of(request.unit),
                            bundle=bundle,
                            notify=False,
                            waive=frozenset(waive),
                        )
                    )
                except DomainError as error:
                    problems = getattr(error, "all", None) or [error]
                    raise BundleRefused(
                        index=index, item=item_label(request), problems=problems
                    ) from error
            total = sum(item.fee_total for item in items)
            audit_record(
                action=AuditAction.BUNDLE_BOOK,
                actor=by,
                municipality=registrant.municipality,
                target=bundle,
                data={
                    "kind": kind,
                    "channel": channel,
                    "priority": priority,
                    "items": [item.pk for item in items],
                    "fee_total": total,
                },
            )
            _mail(bundle, items, "bundle_booked", fee_total=f"{total:,}")
            return bundle
    except IntegrityError as exc:
        # A competitor's row (or two items of the bundle) met the unique key: all rolled back.
        refusal = _capacity_refusal(requests)
        if refusal is not None:
            raise refusal from exc
        raise DomainError("slot_taken") from exc


def _mail(
    bundle: ReservationBundle,
    items: Sequence[Reservation],
    template: str,
    *,
    cancelled: bool = False,
    **extra: Any,
) -> None:
    """One mail for the bundle, one line per item (its fee, or its cancellation fee)."""
    registrant = bundle.registrant
    if not registrant.email:
        return
    lines = []
    for item in items:
        amount = f"取消料 {item.cancellation_fee:,}円" if cancelled else f"{item.fee_total:,}円"
        lines.append(f"・{reservation_label(item)}（予約番号 {item.number}）{amount}")
    email_template_queue(
        to=[registrant.email],
        template=template,
        context=mail_context(
            registrant,
            bundle_number=bundle.number,
            bundle_label=bundle.label,
            bundle_id=bundle.pk,
            bundle_kind=bundle.get_kind_display(),
            item_lines="\n".join(lines),
            item_count=len(items),
            **extra,
        ),
    )


# — series (定期利用) —


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


# — cancelling and changing —


def active_items(bundle: ReservationBundle) -> list[Reservation]:
    """The items still to come that can be cancelled (予約確定・審査中・支払待ち …), as the
    cancellation service judges them (state and date)."""
    today = clock.today()
    items = (
        bundle.items.filter(status__in=Reservation.HOLDS_CAPACITY, use_date__gte=today)
        .select_related("unit__facility", "registrant__municipality")
        .prefetch_related("slots")
    )
    return [item for item in items if states.allows(item, "cancel", today=today)]


@dataclass(frozen=True)
class BundleCancelTerms:
    items: list[tuple[Reservation, booking.CancelTerms]]
    total: int


def bundle_cancel_terms(bundle: ReservationBundle, *, by_staff: bool = False) -> BundleCancelTerms:
    """What cancelling the whole bundle now costs: each item by the facility's tiers."""
    items = []
    for item in active_items(bundle):
        terms = (
            booking.CancelTerms(percent=0, fee=0) if by_staff else booking.cancellation_terms(item)
        )
        items.append((item, terms))
    return BundleCancelTerms(items=items, total=sum(t.fee for _i, t in items))


def bundle_cancel(
    *, bundle: ReservationBundle, by: User, reason: str = "", by_staff: bool = False
) -> BundleCancelTerms:
    """Cancel every upcoming item of the bundle in one transaction, with one mail.

    By the registrant: each item's fee by the facility's tiers (and the booking stop of a late
    cancellation, as for one reservation). By staff: a reason is required, free of charge.
    Returns what was charged. Refused (``bundle_nothing_to_cancel``) when nothing is left.
    """
    if by_staff and not reason.strip():
        raise DomainError("reason_required")
    with transaction.atomic():
        bundle = ReservationBundle.objects.select_for_update().get(pk=bundle.pk)
        terms = bundle_cancel_terms(bundle, by_staff=by_staff)
        if not terms.items:
            raise DomainError("bundle_nothing_to_cancel")
        charged = []
        for item, _terms in terms.items:
            item = booking.reservation_cancel(
                reservation=item, by=by, reason=reason, by_staff=by_staff, notify=False
            )
            charged.append((item, booking.CancelTerms(percent=0, fee=item.cancellation_fee)))
        total = sum(item.cancellation_fee for item, _t in charged)
        audit_record(
            action=AuditAction.BUNDLE_CANCEL,
            actor=by,
            municipality=bundle.municipality,
            target=bundle,
            data={
                "by_staff": by_staff,
                "items": [item.pk for item, _t in charged],
                "fee": total,
                "reason": reason.strip(),
            },
        )
        _mail(
            bundle,
            [item for item, _t in charged],
            "bundle_cancelled",
            cancelled=True,
            cancellation_fee=f"{total:,}",
            reason=reason.strip(),
        )
    return BundleCancelTerms(items=charged, total=total)


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


# — reads for the pages —


def bundles_of(registrant: Registrant) -> list[ReservationBundle]:
    """The registrant's bundles, newest first, with their items (two queries)."""
    return list(
        ReservationBundle.objects.filter(registrant=registrant).prefetch_related("items__unit")
    )


def bundle_items(bundle: ReservationBundle) -> list[Reservation]:
    return list(
        bundle.items.select_related("unit__facility")
        .prefetch_related("slots")
        .order_by("use_date", "unit__order", "id")
    )


@dataclass(frozen=True)
class BundleSummary:
    items: list[Reservation]
    total: int  # the fees of the items that hold capacity or were used
    cancellation_fees: int
    active: int


def bundle_summary(bundle: ReservationBundle) -> BundleSummary:
    items = bundle_items(bundle)
    live = [i for i in items if i.status in (*Reservation.HOLDS_CAPACITY, Reservation.Status.USED)]
    return BundleSummary(
        items=items,
        total=sum(i.fee_total for i in live),
        cancellation_fees=sum(i.cancellation_fee for i in items),
        active=sum(1 for i in items if i.holds_capacity and i.use_date >= clock.today()),
    )


# — several units at once (全館・複数室場) —


@dataclass
class WholeItem:
    request: rules.BookingRequest
    problems: list[DomainError]
    fee: int = 0

    @property
    def label(self) -> str:
        return item_label(self.request)


@dataclass
class WholePreview:
    items: list[WholeItem]

    @property
    def total(self) -> int:
        return sum(i.fee for i in self.items)

    @property
    def bookable(self) -> bool:
        return bool(self.items) and not any(i.problems for i in self.items)


def whole_requests(
    *,
    registrant: Registrant,
    units: Sequence[Unit],
    use_date: dt.date,
    slot_codes: Sequence[str],
    party_size: int,
    purpose: Purpose | None = None,
) -> list[rules.BookingRequest]:
    """One request per unit for the same date and slots (by code: 午前, 夜間 … of each unit's
    own schedule); a unit without one of the slots is refused with ``slot_not_in_schedule``."""
    requests = []
    for unit in units:
        schedule = list(unit.slot_schedule.slots.all()) if unit.slot_schedule else []
        slots = [s for s in schedule if s.code in set(slot_codes)]
        if len(slots) != len(set(slot_codes)):
            raise BundleRefused(
                index=len(requests),
                item=f"{japanese_date(use_date)} {unit.name}",
                problems=[DomainError("slot_not_in_schedule")],
            )
        requests.append(
            rules.BookingRequest(
                registrant=registrant,
                unit=unit,
                use_date=use_date,
                slots=slots,
                party_size=party_size,
                purpose=purpose,
            )
        )
    return requests


def whole_preview(requests: Sequence[rules.BookingRequest]) -> WholePreview:
    """Each item with what refuses it (the rules, the capacity, another item on the same
    capacity) or its fee: shown before 予約する; the limit counts the bundle once."""
    items = []
    counted: set[int] = set()
    for request in requests:
        skip = {"too_many_reservations"} if request.unit.facility_id in counted else set()
        counted.add(request.unit.facility_id)
        problems = [p for p in rules.check(request) if p.code not in skip]
        fee = 0
        if not problems:
            try:
                fee = booking.reservation_quote(request).total
            except DomainError as error:
                problems = [error]
        items.append(WholeItem(request=request, problems=problems, fee=fee))
    index = _overlap(requests)
    if index is not None:
        items[index].problems.append(DomainError("bundle_items_overlap"))
    return WholePreview(items=items)
