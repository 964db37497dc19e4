"""Writes that take or release capacity. Every one is a single transaction."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import User
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import Slot, Unit
from yoyaku.facilities.selectors import unit_family
from yoyaku.reservations.models import Occupancy, UnitBlock
from yoyaku.reservations.selectors import atoms_of_slot, basic_slots


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


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
            rows = []
            if unit.is_lodging:
                for day in _dates(start_date, end_date):
                    taken = set(
                        Occupancy.objects.filter(unit=unit, date=day).values_list("atom", flat=True)
                    )
                    free = [n for n in range(1, (unit.room_count or 0) + 1) if n not in taken]
                    if len(free) < (rooms or 0):
                        raise DomainError("block_already_occupied")
                    rows += [
                        Occupancy(unit=unit, date=day, atom=n, block=block) for n in free[:rooms]
                    ]
            else:
                basics = basic_slots(unit)
                atoms = atoms_of_slot(slot, basics) if slot else [b.start_minute for b in basics]
                leaves = unit_family(facilities=[unit.facility]).leaves(unit.pk)
                rows = [
                    Occupancy(unit_id=leaf, date=day, atom=atom, block=block)
                    for leaf in leaves
                    for day in _dates(start_date, end_date)
                    for atom in atoms
                ]
            Occupancy.objects.bulk_create(rows)
            audit_record(
                action="unit.block",
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
        action="unit.unblock",
        actor=by,
        municipality=municipality,
        target=block,
        data={"start": block.start_date.isoformat(), "end": block.end_date.isoformat()},
    )
    block.delete()
