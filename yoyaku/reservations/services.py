"""Writes that take or release capacity, and money received at the counter. Every one is a
single transaction."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import Slot, Unit
from yoyaku.reservations import capacity
from yoyaku.reservations.models import Reservation, UnitBlock
from yoyaku.reservations.public_log import public_log_blocks_released


def unit_block_create(
    *,
    unit: Unit,
    by: User | None,
    start_date: dt.date,
    end_date: dt.date,
    reason: str,
    slot: Slot | None = None,
    rooms: int | None = None,
) -> UnitBlock:
    """Take a unit out of booking (repairs, municipal events) for whole days or one slot.

    Writes one occupancy row per leaf unit, date and atom (or per room and night), so the block
    conflicts with reservations exactly as another reservation would. Refused, with nothing
    written, when any of that capacity is already taken.
    """
    if end_date < start_date:
        raise DomainError("block_dates_order")
    if unit.is_lodging:
        total = unit.room_count or 0
        rooms = total if rooms is None else rooms
        if not 1 <= rooms <= total:
            raise DomainError("block_rooms_out_of_range")
    elif slot is not None and slot.schedule_id != unit.slot_schedule_id:
        raise DomainError("block_outside_schedule")
    try:
        with transaction.atomic():
            block = UnitBlock.objects.create(
                unit=unit,
                start_date=start_date,
                end_date=end_date,
                slot=slot,
                rooms=rooms if unit.is_lodging else None,
                reason=reason.strip(),
                created_by=by,
                created_at=clock.now(),
            )
            need = capacity.Need(
                unit=unit,
                dates=capacity.dates_between(start_date, end_date),
                rooms=rooms or 0,
                slots=[slot] if slot else (),
                whole_days=slot is None,
            )
            capacity.take(need, block=block, full_code="block_already_occupied")
            audit_record(
                action=AuditAction.UNIT_BLOCK,
                actor=by,
                municipality=unit.facility.municipality,
                target=block,
                data={"start": start_date.isoformat(), "end": end_date.isoformat()},
            )
    except IntegrityError as exc:
        # The unique key (unit, date, atom) refused an overlap that raced our check.
        raise DomainError("block_already_occupied") from exc
    return block


@transaction.atomic
def unit_block_remove(*, block: UnitBlock, by: User | None) -> None:
    """Give the blocked capacity back."""
    block = UnitBlock.objects.select_for_update().select_related("unit__facility").get(pk=block.pk)
    municipality = block.unit.facility.municipality
    audit_record(
        action=AuditAction.UNIT_UNBLOCK,
        actor=by,
        municipality=municipality,
        target=block,
        data={"start": block.start_date.isoformat(), "end": block.end_date.isoformat()},
    )
    capacity.block_remove(block)
    public_log_blocks_released([block], reason="利用停止の解除")


@transaction.atomic
def unit_block_hold(*, reservation: Reservation, release_at: dt.datetime, reason: str) -> UnitBlock:
    """Keep a cancelled reservation's capacity held by a block until ``release_at``, when the
    release job removes the block (a cancelled lottery win, held until first-come opens).

    The reservation's occupancy rows are handed to the block, so the capacity never becomes
    free in between. Runs inside the caller's transaction (the cancellation's); no audit row of
    its own: the cancellation records it.
    """
    block = UnitBlock.objects.create(
        unit=reservation.unit,
        start_date=reservation.use_date,
        end_date=reservation.last_night,
        reason=reason,
        created_at=clock.now(),
        release_at=release_at,
    )
    capacity.hold(reservation, block)
    return block


@transaction.atomic
def held_blocks_release(*, now: dt.datetime) -> int:
    """Free the capacity of the blocks whose release time has come (cancelled lottery wins
    held until first-come opens); each becomes a ``released`` row of the public log."""
    due = UnitBlock.objects.filter(release_at__isnull=False, release_at__lte=now)
    blocks = list(due.select_related("unit", "slot"))
    if not blocks:
        return 0
    public_log_blocks_released(blocks, reason="抽選の取消枠を先着受付へ")
    return capacity.blocks_release(UnitBlock.objects.filter(pk__in=[b.pk for b in blocks]))
