"""After the drawing: winners confirm, unconfirmed wins expire, a cancelled win's capacity is
held until the round's release time, and the 満室 notice for lodging nights the winners filled.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import Q

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, Notice, User
from yoyaku.facilities.models import Unit
from yoyaku.lottery.models import LotteryApplication, LotteryRound
from yoyaku.reservations import hooks, payable
from yoyaku.reservations import states as reservation_states
from yoyaku.reservations.booking import reservations_cancel_expired_win
from yoyaku.reservations.models import Occupancy, Reservation, UnitBlock
from yoyaku.reservations.services import held_blocks_release, unit_block_hold


def full_notices(lottery: LotteryRound) -> None:
    """「…宿泊の…は…の当選者で満室になりました。」 for lodging nights the winners filled."""
    taken: dict[tuple[int, dt.date], int] = defaultdict(int)
    first_nights: dict[tuple[int, dt.date], dt.date] = {}
    # Plain values, lodging only: a round has thousands of winners.
    winners = Reservation.objects.filter(
        lottery_choice__application__round=lottery,
        unit__booking_kind=Unit.BookingKind.LODGING,
    ).values_list("unit_id", "use_date", "nights", "rooms")
    for unit_id, use_date, nights, rooms in winners:
        for i in range(nights):
            night = use_date + dt.timedelta(days=i)
            taken[(unit_id, night)] += rooms
            first_nights.setdefault((unit_id, night), use_date)
    units = Unit.objects.select_related("facility").in_bulk({u for u, _ in taken})
    occupied = Counter(
        Occupancy.objects.filter(unit_id__in=units, date__in={n for _, n in taken}).values_list(
            "unit_id", "date"
        )
    )
    by_facility_night: dict[tuple[int, dt.date], list[Unit]] = defaultdict(list)
    for (unit_id, night), _rooms in taken.items():
        unit = units[unit_id]
        if occupied[(unit_id, night)] >= (unit.room_count or 0):
            by_facility_night[(unit.facility_id, night)].append(unit)
    room_types = Counter(
        Unit.objects.filter(
            facility_id__in={f for f, _ in by_facility_night},
            booking_kind=Unit.BookingKind.LODGING,
            is_active=True,
        ).values_list("facility_id", flat=True)
    )
    for (facility_id, night), full_units in sorted(
        by_facility_night.items(), key=lambda kv: kv[0][1]
    ):
        facility = full_units[0].facility
        if len(full_units) < room_types[facility_id]:
            continue  # some room type of the facility is still free
        first = min(first_nights[(u.pk, night)] for u in full_units)
        Notice.objects.create(
            municipality=lottery.municipality,
            title=f"{night:%Y年%-m月%-d日}宿泊の{facility.name}は満室になりました",
            body=(
                f"<p>{night:%Y年%-m月%-d日}宿泊の{facility.name}は{first:%Y年%-m月%-d日}からの"
                "当選者で満室になりました。抽選の申込みは現在できませんのでご了承ください。</p>"
            ),
            published_at=clock.now(),
            expires_at=clock.at(night + dt.timedelta(days=1)),
        )


@transaction.atomic
def lottery_confirm_win(*, reservation: Reservation, by: User) -> Reservation:
    """当選の確認: the winner takes the reservation before the deadline."""
    # Locks the reservation row only (PostgreSQL refuses FOR UPDATE across the nullable join to
    # the lottery choice); the round is only read.
    reservation = reservation_states.lock(reservation, "confirm_win")
    lottery = LotteryRound.objects.get(applications__choices__reservation=reservation)
    # A runner-up's win has its own deadline.
    own = (
        LotteryApplication.objects.filter(choices__reservation=reservation)
        .values_list("confirm_by", flat=True)
        .first()
    )
    deadline = own or lottery.confirm_deadline
    if deadline and clock.now() > deadline:
        raise DomainError("lottery_confirm_deadline_passed")
    # Where the facility takes payment first, the winner confirms by paying (支払待ち).
    now = clock.now()
    to_pay, due = payable.payable_from(reservation, now)
    reservation = reservation_states.RESERVATION.move(
        reservation,
        "confirm_win_to_pay" if to_pay else "confirm_win",
        audit={
            "action": AuditAction.RESERVATION_LOTTERY_CONFIRM,
            "actor": by,
            "municipality": reservation.municipality,
        },
        decided_at=now,
        payment_due_at=due,
    )
    hooks.money_changed(reservation, verb="confirm_win", by=by)
    return reservation


def hold_cancelled_win(reservation: Reservation) -> bool:
    """The reservations app's release handler: True when the capacity stays held."""
    return reservation.lottery_choice_id is not None and bool(hold_released_capacity(reservation))


def hold_released_capacity(
    reservation: Reservation, *, reason: str = "抽選の当選取消分（先着受付前）"
) -> UnitBlock | None:
    """A cancelled win's capacity stays held until the round's release time, then opens
    first-come (e.g. noon of the next day), so that nobody can snipe it at once."""
    choice = reservation.lottery_choice
    if choice is None:
        return None
    lottery = choice.application.round
    release_at = max(
        clock.now() + dt.timedelta(hours=lottery.cancelled_win_release_hours),
        lottery.first_come_opens_at,
    )
    if release_at <= clock.now():
        return None
    return unit_block_hold(reservation=reservation, release_at=release_at, reason=reason)


def lottery_expire_unconfirmed(*, now: dt.datetime | None = None) -> int:
    """Wins not confirmed by the deadline are cancelled (their capacity held until release)."""
    now = now or clock.now()
    application = "lottery_choice__application__"
    due = Reservation.objects.filter(
        Q(**{f"{application}confirm_by__isnull": True})
        & Q(**{f"{application}round__confirm_deadline__lt": now})
        | Q(**{f"{application}confirm_by__lt": now}),
        status=Reservation.Status.AWAITING_CONFIRMATION,
    )
    count = 0
    for reservation in due:
        try:
            reservations_cancel_expired_win(reservation=reservation)
        except DomainError:
            continue  # confirmed or cancelled meanwhile: nothing to expire
        count += 1
    return count


def release_held_blocks(*, now: dt.datetime | None = None) -> int:
    now = now or clock.now()
    return held_blocks_release(now=now)
