"""Reservations: book, approve, reject, change, cancel, mark used / no-show.

Every transition is one function, one transaction, one audit row; the allowed source states
are in ``TRANSITIONS``. Capacity is taken by ``Occupancy`` rows whose unique key (unit, date,
atom) refuses any overlap, on PostgreSQL and SQLite alike: the rules module only makes the
refusal friendly. E-mails leave after commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from yoyaku.core import clock
from yoyaku.core.db_router import primary_reads
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.facilities import setup_cache
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context, registrant_record_use
from yoyaku.reservations import capacity, entry_codes, fees, hooks, limits, payable, rules, states
from yoyaku.reservations.models import Penalty, PublicLogEntry, Reservation, ReservationBundle
from yoyaku.reservations.public_log import public_log_reservation

R = Reservation.Status


LATE_CANCELLATION_DAYS = 30
NO_SHOW_DAYS = 60


def _locked(reservation: Reservation, verb: str) -> Reservation:
    return states.lock(reservation, verb)


def _quote(
    request: rules.BookingRequest,
    *,
    exclude: Reservation | None = None,
    setup: setup_cache.UnitSetup | None = None,
) -> fees.FeeQuote:
    setup = setup or setup_cache.setup_of(request.unit)
    rate_class = fees.rate_class_for(request.registrant)
    available = limits.reduced_nights_available(
        registrant=request.registrant,
        category=request.reduction,
        use_date=request.use_date,
        nights=request.nights,
        exclude=exclude,
    )
    return fees.fee_quote(
        unit=request.unit,
        use_date=request.use_date,
        nights=request.nights,
        slots=list(request.slots),
        adults=request.adults,
        children=request.children,
        rate_class=rate_class,
        commercial=request.commercial,
        reduction=request.reduction,
        reduced_nights_available=available,
        rules=setup.fee_table(rate_class),
    )


def reservation_quote(request: rules.BookingRequest) -> fees.FeeQuote:
    """The fee a booking would cost, shown before the registrant confirms."""
    return _quote(request)


def _take_capacity(reservation: Reservation, request: rules.BookingRequest) -> None:
    """Write the occupancy rows; the unique key refuses a double booking."""
    capacity.take(
        request, reservation=reservation, family=setup_cache.setup_of(request.unit).family
    )


def _refuse(problems: list[DomainError]) -> None:
    if problems:
        error = problems[0]
        error.all = problems
        raise error


@primary_reads()
def reservation_book(
    *,
    request: rules.BookingRequest,
    by: User,
    channel: str = Reservation.Channel.ONLINE,
) -> Reservation:
    """予約の申込み: take the capacity first, check every rule once, store the fee as quoted.

    Facilities that review reservations (Ukiha art. 9.2) start in 審査中; the others are
    confirmed at once. Two people racing for the last slot: one gets it, the other
    ``DomainError("slot_taken")`` (``rooms_full`` for rooms).

    The order is the rush's: a look at the occupancy rows the booking needs (one query, no
    lock) refuses most losers before anything else is read; then, in one transaction, the
    registrant's lock, the rules (once), the reservation, its slots and occupancy rows (whose
    unique key is the guarantee), the fee from the cached fee table. A loser that raced past
    the first look meets the unique key: the capacity is looked at again and, gone, refused
    without running the rules again; only two stays that picked the same room number while
    rooms are left try again. Side effects: the booking e-mail, the registrant's last use.
    Every read is on the primary, also where a public page may read from a replica.
    """
    by_staff = channel != Reservation.Channel.ONLINE
    setup = setup_cache.setup_of(request.unit)
    _refuse(capacity.problems(request, family=setup.family))
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _book(request, by=by, channel=channel, by_staff=by_staff, setup=setup)
        except IntegrityError:
            # The unique key saw a competitor's row: the capacity is gone (refused here), or
            # two stays picked the same room number while rooms are left: pick again.
            _refuse(capacity.problems(request, family=setup.family))
    if request.unit.is_lodging:
        raise DomainError("rooms_full", date="")
    raise DomainError("slot_taken")


def _book(
    request: rules.BookingRequest,
    *,
    by: User,
    channel: str,
    by_staff: bool,
    setup: setup_cache.UnitSetup,
    bundle: ReservationBundle | None = None,
    notify: bool = True,
    waive: frozenset[str] = frozenset(),
) -> Reservation:
    """One attempt of :func:`reservation_book`, inside its transaction.

    ``bundle``, ``notify`` and ``waive`` are for ``reservations.bundles``: an item of a
    bundle, mailed with the bundle, and the rule codes the bundle judged itself."""
    unit = request.unit
    facility = unit.facility
    # First: the limits below count this registrant's rows (see limits.py).
    limits.lock_registrant(request.registrant.pk)
    # The capacity is not checked again here: the occupancy rows below are.
    problems = rules.check(request, by_staff=by_staff, check_capacity=False)
    _refuse([p for p in problems if p.code not in waive])
    quote = _quote(request, setup=setup)
    now = clock.now()
    status = payable.initial_status(facility, quote.total)
    use_date = request.use_date
    reservation = Reservation.objects.create(
        municipality=facility.municipality,
        registrant=request.registrant,
        unit=unit,
        use_date=use_date,
        nights=request.nights if unit.is_lodging else 1,
        rooms=request.rooms if unit.is_lodging else 1,
        adults=request.adults,
        children=request.children,
        infants=request.infants,
        party_size=request.party_size,
        purpose=request.purpose,
        commercial=request.commercial,
        reduction=request.reduction,
        status=status,
        channel=channel,
        fee_total=quote.total,
        fee_breakdown=quote.as_json(),
        payment_due_at=(
            payable.due_at(facility, use_date, now) if status == R.AWAITING_PAYMENT else None
        ),
        created_at=now,
        created_by=by,
        bundle=bundle,
    )
    if request.slots:
        # One INSERT for the slots (``slots.set`` would first read the empty set).
        through = Reservation.slots.through
        through.objects.bulk_create(
            through(reservation_id=reservation.pk, slot_id=slot.pk) for slot in request.slots
        )
    capacity.take(request, reservation=reservation, family=setup.family)
    registrant_record_use(registrant=request.registrant)
    audit_record(
        action=AuditAction.RESERVATION_BOOK,
        actor=by,
        municipality=facility.municipality,
        target=reservation,
        data={"channel": channel, "fee_total": quote.total, "status": status},
    )
    hooks.money_changed(reservation, verb="book", by=by)
    if notify:
        _notify(reservation, "reservation_booked")
    return reservation


def _notify(reservation: Reservation, template: str, **extra: Any) -> None:
    registrant = reservation.registrant
    if not registrant.email:
        return
    email_template_queue(
        to=[registrant.email],
        template=template,
        context=mail_context(registrant, **reservation_mail_context(reservation), **extra),
    )


def reservation_mail_context(reservation: Reservation) -> dict[str, Any]:
    unit = reservation.unit
    slots = ", ".join(f"{s.label}（{s.time_label}）" for s in reservation.slots.all())
    return {
        "reservation_number": reservation.number,
        "facility_name": unit.facility.name,
        "unit_name": unit.name,
        "use_date": f"{reservation.use_date:%Y-%m-%d}",
        "nights": reservation.nights if unit.is_lodging else None,
        "slots": slots,
        "fee_total": f"{reservation.fee_total:,}",
        "reservation_status": reservation.get_status_display(),
        "reservation_id": reservation.pk,
    }


@transaction.atomic
def reservation_approve(*, reservation: Reservation, by: User) -> Reservation:
    """予約の許可 (Ukiha art. 9.2). Where the facility takes payment online first, the approved
    reservation waits in 支払待ち until it is paid (art. 10.3)."""
    now = clock.now()
    to_pay, due = payable.payable_from(reservation, now)
    reservation = states.RESERVATION.transition(
        reservation,
        "approve_to_pay" if to_pay else "approve",
        audit={
            "action": AuditAction.RESERVATION_APPROVE,
            "actor": by,
            "municipality": reservation.municipality,
        },
        decided_at=now,
        decided_by=by,
        payment_due_at=due,
    )
    hooks.money_changed(reservation, verb="approve", by=by)
    _notify(reservation, "reservation_approved")
    return reservation


@transaction.atomic
def reservation_reject(*, reservation: Reservation, by: User, reason: str) -> Reservation:
    if not reason.strip():
        raise DomainError("reason_required")
    reservation = states.RESERVATION.transition(
        reservation,
        "reject",
        audit={
            "action": AuditAction.RESERVATION_REJECT,
            "actor": by,
            "municipality": reservation.municipality,
        },
        decided_at=clock.now(),
        decided_by=by,
        decision_reason=reason.strip(),
    )
    capacity.release(reservation)
    entry_codes.entry_code_sync(reservation)
    public_log_reservation(reservation, PublicLogEntry.Kind.REJECTED, capacity="freed")
    _notify(reservation, "reservation_rejected", reason=reason.strip())
    return reservation


# 予約直後の取消: a booking made by mistake is cancelled free of charge within the facility's
# undo minutes, unless its use starts within this time (then the slot could not be re-let).
UNDO_NOT_WITHIN = dt.timedelta(hours=24)
LODGING_STARTS_AT = dt.time(15, 0)  # a stay's use starts at check-in


@dataclass(frozen=True)
class CancelTerms:
    """What a cancellation by the registrant costs now, and why."""

    percent: int
    fee: int
    # Free of charge until this time (予約直後の取消), or None.
    undo_until: dt.datetime | None = None
    # Made within the undo minutes, but the use starts within 24 hours: the tiers apply.
    undo_too_close: bool = False


def use_starts_at(reservation: Reservation) -> dt.datetime:
    """When the use begins: the first slot's start, or check-in for a stay."""
    if reservation.unit.is_lodging:
        return clock.at(reservation.use_date, LODGING_STARTS_AT)
    minutes = min((slot.start_minute for slot in reservation.slots.all()), default=0)
    return clock.at(reservation.use_date) + dt.timedelta(minutes=minutes)


def undo_until(reservation: Reservation) -> dt.datetime | None:
    """The end of the free undo window of a booking (None: the facility has none, or the
    booking came from the lottery, which has its own confirmation step)."""
    minutes = reservation.unit.facility.undo_minutes
    if not minutes or reservation.channel == Reservation.Channel.LOTTERY:
        return None
    return reservation.created_at + dt.timedelta(minutes=minutes)


def cancellation_terms(reservation: Reservation, *, now: dt.datetime | None = None) -> CancelTerms:
    """The fee if the registrant cancelled now; shown before they confirm."""
    now = now or clock.now()
    until = undo_until(reservation)
    if until is not None and now <= until:
        if use_starts_at(reservation) - now > UNDO_NOT_WITHIN:
            return CancelTerms(percent=0, fee=0, undo_until=until)
        too_close = True
    else:
        too_close = False
    percent = rules.cancellation_percent(
        reservation.unit.facility, reservation.use_date, clock.local(now).date()
    )
    return CancelTerms(
        percent=percent, fee=reservation.fee_total * percent // 100, undo_too_close=too_close
    )


def _release(
    reservation: Reservation,
    *,
    by: User | None,
    reason: str,
    fee: int,
    audit: dict[str, Any] | None,
    verb: str = "cancel",
) -> None:
    """Mark cancelled and give the capacity back (inside the caller's transaction)."""
    states.RESERVATION.move(
        reservation,
        verb,
        audit=audit,
        cancelled_at=clock.now(),
        cancelled_by=by,
        cancel_reason=reason,
        cancellation_fee=fee,
    )
    held = hooks.release_capacity(reservation)
    public_log_reservation(
        reservation,
        PublicLogEntry.Kind.CANCELLED if verb == "cancel" else PublicLogEntry.Kind.EXPIRED,
        capacity="held" if held else "freed",
    )
    hooks.money_changed(reservation, verb=verb, by=by)


@transaction.atomic
def reservation_cancel(
    *,
    reservation: Reservation,
    by: User,
    reason: str = "",
    by_staff: bool = False,
    notify: bool = True,
) -> Reservation:
    """取消. By the registrant: the cancellation fee of the tier that applies today, and a
    30-day booking stop when a fee applies (a late cancellation). By staff (facility reasons,
    weather warnings): a reason is required, and neither fee nor penalty applies.
    """
    reservation = _locked(reservation, "cancel")
    today = clock.today()
    if by_staff and not reason.strip():
        raise DomainError("reason_required")
    terms = CancelTerms(percent=0, fee=0) if by_staff else cancellation_terms(reservation)
    percent, fee = terms.percent, terms.fee
    _release(
        reservation,
        by=by,
        reason=reason.strip(),
        fee=fee,
        audit={
            "action": AuditAction.RESERVATION_CANCEL,
            "actor": by,
            "municipality": reservation.municipality,
            "data": {
                "by_staff": by_staff,
                "percent": percent,
                "fee": fee,
                "undo": terms.undo_until is not None,
            },
        },
    )
    if percent > 0:
        Penalty.objects.create(
            registrant=reservation.registrant,
            reservation=reservation,
            reason=Penalty.Reason.LATE_CANCELLATION,
            starts_on=today,
            ends_on=today + dt.timedelta(days=LATE_CANCELLATION_DAYS),
        )
    if not notify:  # an item of a bundle cancelled as a whole: one mail for the bundle
        return reservation
    _notify(
        reservation,
        "reservation_cancelled",
        reason=reservation.cancel_reason,
        cancellation_fee=f"{fee:,}",
    )
    return reservation


def _request_of(reservation: Reservation, **changes: Any) -> rules.BookingRequest:
    values = {
        "registrant": reservation.registrant,
        "unit": reservation.unit,
        "use_date": reservation.use_date,
        "nights": reservation.nights,
        "slots": list(reservation.slots.all()),
        "rooms": reservation.rooms,
        "adults": reservation.adults,
        "children": reservation.children,
        "infants": reservation.infants,
        "party_size": reservation.party_size,
        "purpose": reservation.purpose,
        "commercial": reservation.commercial,
        "reduction": reservation.reduction,
    }
    values.update(changes)
    return rules.BookingRequest(**values)


def _change_problems(
    reservation: Reservation, request: rules.BookingRequest, changes: dict, *, by_staff: bool
) -> list[DomainError]:
    """A change is judged like a new booking of the result, except: the party of a booking may
    change after the booking window closed, and a lottery win's party may change while its
    dates are still held for the lottery (new nights, though, follow the normal rules)."""
    ignored = (
        set()
        if changes.keys() & {"nights", "use_date"}
        else {"window_closed", "window_not_open", "lottery_period"}
    )
    problems = rules.check(request, exclude=reservation, by_staff=by_staff)
    return [p for p in problems if p.code not in ignored]


def _change(
    reservation: Reservation, by: User, action: str, *, notify: bool = True, **changes: Any
) -> tuple[Reservation, int]:
    # First, before the reservation's own lock: the same order as a booking, and the limits
    # judged below count this registrant's rows (see limits.py).
    limits.lock_registrant(reservation.registrant_id)
    reservation = _locked(reservation, "change")
    if all(getattr(reservation, k) == v for k, v in changes.items()):
        raise DomainError("nothing_to_change")
    request = _request_of(reservation, **changes)
    # A change is judged like a new booking of the result, except that the reservation's own
    # capacity and its own place in the per-registrant limit do not count against it.
    problems = _change_problems(reservation, request, changes, by_staff=by.kind == User.Kind.STAFF)
    _refuse(problems)
    quote = _quote(request, exclude=reservation)
    previous = reservation.fee_total
    for field, value in changes.items():
        if field != "slots":  # many-to-many: set after the save
            setattr(reservation, field, value)
    reservation.fee_total = quote.total
    reservation.fee_breakdown = {**quote.as_json(), "previous_total": previous}
    reservation.save()
    if "slots" in changes:
        reservation.slots.set(changes["slots"])
    capacity.release(reservation)
    _take_capacity(reservation, request)
    hooks.money_changed(reservation, verb="change", by=by)
    audit_record(
        action=action,
        actor=by,
        municipality=reservation.municipality,
        target=reservation,
        data={
            "changes": {k: str(v) for k, v in changes.items()},
            "previous_total": previous,
            "fee_total": quote.total,
        },
    )
    if notify:
        _notify(
            reservation,
            "reservation_changed",
            previous_total=f"{previous:,}",
            difference=f"{quote.total - previous:+,}",
        )
    return reservation, quote.total - previous


def reservation_change_nights(
    *, reservation: Reservation, nights: int, by: User
) -> tuple[Reservation, int]:
    """宿泊数の変更: extend when the extra nights are free, or shorten. Returns the fee
    difference (positive: to pay; negative: to refund — the payment issue settles it)."""
    if not reservation.unit.is_lodging:
        raise DomainError("nothing_to_change")
    try:
        with transaction.atomic():
            return _change(reservation, by, AuditAction.RESERVATION_CHANGE_NIGHTS, nights=nights)
    except IntegrityError as exc:
        raise DomainError("rooms_full", date="") from exc


def reservation_change_party(
    *,
    reservation: Reservation,
    by: User,
    adults: int | None = None,
    children: int | None = None,
    infants: int | None = None,
    party_size: int | None = None,
) -> tuple[Reservation, int]:
    """人数の変更: the party of a stay, or the expected number of people of a hall."""
    changes = {
        k: v
        for k, v in {
            "adults": adults,
            "children": children,
            "infants": infants,
            "party_size": party_size,
        }.items()
        if v is not None
    }
    try:
        with transaction.atomic():
            return _change(reservation, by, AuditAction.RESERVATION_CHANGE_PARTY, **changes)
    except IntegrityError as exc:
        raise DomainError("slot_taken") from exc


@transaction.atomic
def reservation_mark_used(*, reservation: Reservation, by: User) -> Reservation:
    reservation = _locked(reservation, "mark_used")
    return states.RESERVATION.move(
        reservation,
        "mark_used",
        audit={
            "action": AuditAction.RESERVATION_USED,
            "actor": by,
            "municipality": reservation.municipality,
        },
    )


@transaction.atomic
def reservation_mark_no_show(*, reservation: Reservation, by: User) -> Reservation:
    """無断不使用: the capacity stays used; new bookings are blocked for 60 days."""
    reservation = _locked(reservation, "mark_no_show")
    states.RESERVATION.move(
        reservation,
        "mark_no_show",
        audit={
            "action": AuditAction.RESERVATION_NO_SHOW,
            "actor": by,
            "municipality": reservation.municipality,
        },
    )
    entry_codes.entry_code_sync(reservation)  # a no-show's code dies at once
    today = clock.today()
    Penalty.objects.create(
        registrant=reservation.registrant,
        reservation=reservation,
        reason=Penalty.Reason.NO_SHOW,
        starts_on=today,
        ends_on=today + dt.timedelta(days=NO_SHOW_DAYS),
    )
    return reservation


@transaction.atomic
def penalty_waive(*, penalty: Penalty, by: User, reason: str) -> Penalty:
    """Staff lift a booking stop, e.g. after a weather warning made the cancellation late."""
    if not reason.strip():
        raise DomainError("reason_required")
    penalty = states.PENALTY.lock(penalty, "waive")
    return states.PENALTY.move(
        penalty,
        "waive",
        audit={
            "action": AuditAction.PENALTY_WAIVE,
            "actor": by,
            "municipality": penalty.registrant.municipality,
            "data": {"reason": reason.strip()},
        },
        waived_at=clock.now(),
        waived_by=by,
        waive_reason=reason.strip(),
    )


def reservations_cancel_for_registrant(
    *, registrant: Registrant, by: User | None, reason: str
) -> int:
    """The registration ended (rejected, deleted): cancel every future reservation, no fee."""
    count = 0
    for reservation in Reservation.objects.filter(
        registrant=registrant, status__in=Reservation.HOLDS_CAPACITY, use_date__gte=clock.today()
    ):
        with transaction.atomic():
            locked = _locked(reservation, "cancel")
            _release(
                locked,
                by=by,
                reason=reason,
                fee=0,
                audit={
                    "action": AuditAction.RESERVATION_CANCEL,
                    "actor": by,
                    "municipality": locked.municipality,
                    "data": {"by_staff": True, "registration_ended": True},
                },
            )
        count += 1
    return count


def reservation_reminders(*, today: dt.date | None = None) -> int:
    """E-mail a reminder 3 days before the use date (once)."""
    today = today or clock.today()
    count = 0
    due = Reservation.objects.filter(
        status=R.CONFIRMED, use_date=today + dt.timedelta(days=3), reminded_at__isnull=True
    ).select_related("registrant__municipality", "unit__facility")
    for reservation in due:
        with transaction.atomic():
            Reservation.objects.filter(pk=reservation.pk).update(reminded_at=clock.now())
            code = entry_codes.entry_code_for(reservation)
            _notify(reservation, "reservation_reminder", **entry_codes.mail_context(code))
        count += 1
    return count


def reservation_change_preview(
    *, reservation: Reservation, **changes: Any
) -> tuple[list[DomainError], int]:
    """What a change would cost, before the registrant confirms: (problems, fee difference)."""
    request = _request_of(reservation, **changes)
    problems = _change_problems(reservation, request, changes, by_staff=False)
    if problems:
        return problems, 0
    try:
        return [], _quote(request, exclude=reservation).total - reservation.fee_total
    except DomainError as error:  # e.g. no fee table in force on the new dates
        return [error], 0


def _expire(reservation: Reservation, *, verb: str, reason: str, told: str, action) -> Reservation:
    """A deadline passed (a win not confirmed, a payment not made): cancelled by the system,
    free of charge, the capacity given back (or held, for a lottery win), the person told."""
    reservation = _locked(reservation, verb)
    _release(
        reservation,
        by=None,
        reason=reason,
        fee=0,
        verb=verb,
        audit={"action": action, "municipality": reservation.municipality},
    )
    _notify(reservation, "reservation_cancelled", reason=told, cancellation_fee="0")
    return reservation


@transaction.atomic
def reservations_cancel_expired_win(*, reservation: Reservation) -> Reservation:
    """A lottery win not confirmed by the round's deadline is cancelled, free of charge."""
    return _expire(
        reservation,
        verb="expire_win",
        reason="確認期限切れ",
        told="当選の確認期限が過ぎました",
        action=AuditAction.RESERVATION_LOTTERY_EXPIRE,
    )


@transaction.atomic
def reservation_expire_unpaid(*, reservation: Reservation) -> Reservation:
    """支払待ち past its deadline: cancelled free of charge, the capacity free at once."""
    return _expire(
        reservation,
        verb="expire_unpaid",
        reason="支払期限切れ",
        told="お支払いの期限が過ぎました",
        action=AuditAction.RESERVATION_PAYMENT_EXPIRE,
    )
