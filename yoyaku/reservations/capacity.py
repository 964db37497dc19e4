"""Capacity: the only module that writes or deletes ``Occupancy`` rows.

A holder (a reservation or a staff block) takes capacity as rows ``(unit, date, atom)`` on the
*leaves* of the unit tree; the unique key on the three refuses any overlap, on PostgreSQL and
SQLite alike. The atom is a basic slot's start minute for halls and courts, or a room number
for lodging. Everything that needs to know which rows a booking stands on — slot maths, the
leaves of a whole, picking the lowest free rooms — is here, so that booking, staff blocks, the
lottery drawing and the availability pages cannot disagree.

Functions that write run inside the caller's transaction; a race that the friendly checks
missed surfaces as ``IntegrityError`` from the unique key, which callers turn into a message.
Each of them also bumps the cached availability of the facilities it touched (``avail:<id>``),
so booking, cancelling, changing, expiring, lottery wins and staff blocks cannot forget it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from yoyaku.core.dates import japanese_date
from yoyaku.core.errors import DomainError
from yoyaku.facilities.catalogue import availability_changed
from yoyaku.facilities.models import Slot, Unit
from yoyaku.facilities.selectors import UnitFamily
from yoyaku.reservations.models import Occupancy, Reservation, UnitBlock

# — slot maths —


def basic_slots(unit: Unit) -> list[Slot]:
    """The unit's basic slots (午前・午後・夜間 or the hours); combined blocks are not basic."""
    if unit.slot_schedule is None:
        return []
    return [s for s in unit.slot_schedule.slots.all() if s.is_basic]


def atoms_of_slot(slot: Slot, basics: Sequence[Slot]) -> list[int]:
    """The basic-slot atoms (start minutes) a slot covers: 全日 covers 午前, 午後 and 夜間."""
    return [
        b.start_minute
        for b in basics
        if b.start_minute >= slot.start_minute and b.end_minute <= slot.end_minute
    ]


def atoms_of_slots(slots: Iterable[Slot], basics: Sequence[Slot]) -> set[int]:
    atoms: set[int] = set()
    for slot in slots:
        atoms |= set(atoms_of_slot(slot, basics))
    return atoms


def family_of(units: Iterable[Unit]) -> UnitFamily:
    """The unit trees of the facilities the given units belong to (one query)."""
    facility_ids = {u.facility_id for u in units}
    return UnitFamily.of(Unit.objects.filter(facility_id__in=facility_ids).only("id", "parent_id"))


def dates_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every date of [start, end]."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def lowest_free_rooms(room_count: int, taken: set[int], wanted: int) -> list[int] | None:
    """The ``wanted`` lowest free room numbers of 1‥room_count, or None when too few are free."""
    free = [n for n in range(1, room_count + 1) if n not in taken]
    return free[:wanted] if len(free) >= wanted else None


@dataclass(frozen=True)
class Need:
    """What a holder takes: a lodging unit's rooms for some nights, or slots of one day.

    ``BookingRequest`` has the same attributes and is accepted wherever a Need is.
    """

    unit: Unit
    dates: Sequence[dt.date]
    rooms: int = 1
    slots: Sequence[Slot] = ()
    whole_days: bool = False  # slot units: every basic slot of each date (a staff block)


def _atoms(need: Need) -> set[int]:
    basics = basic_slots(need.unit)
    if getattr(need, "whole_days", False):
        return {b.start_minute for b in basics}
    return atoms_of_slots(need.slots, basics)


def leaf_atoms(need: Need, family: UnitFamily) -> dict[tuple[int, dt.date], set[int]]:
    """Slot units: the (leaf, date) → atoms this need stands on."""
    atoms = _atoms(need)
    return {(leaf, day): atoms for leaf in family.leaves(need.unit.pk) for day in need.dates}


def _taken_rooms(unit_ids: Iterable[int], dates: Iterable[dt.date]):
    taken: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    for unit_id, day, atom in Occupancy.objects.filter(
        unit_id__in=set(unit_ids), date__in=set(dates)
    ).values_list("unit_id", "date", "atom"):
        taken[(unit_id, day)].add(atom)
    return taken


def _rows(
    need: Need,
    *,
    family: UnitFamily,
    taken: dict[tuple[int, dt.date], set[int]],
    full_code: str,
    reservation: Reservation | None = None,
    block: UnitBlock | None = None,
) -> list[Occupancy]:
    holder = {"reservation": reservation, "block": block}
    if need.unit.is_lodging:
        rows = []
        for day in need.dates:
            used = taken[(need.unit.pk, day)]
            rooms = lowest_free_rooms(need.unit.room_count or 0, used, need.rooms)
            if rooms is None:
                raise DomainError(full_code, date=japanese_date(day))
            used.update(rooms)
            rows += [Occupancy(unit_id=need.unit.pk, date=day, atom=n, **holder) for n in rooms]
        return rows
    return [
        Occupancy(unit_id=leaf, date=day, atom=atom, **holder)
        for (leaf, day), atoms in leaf_atoms(need, family).items()
        for atom in sorted(atoms)
    ]


# — who hears of freed capacity —

# ``listener(unit, dates)``: capacity of ``unit`` on ``dates`` was given back, inside the
# caller's transaction (a listener that acts later uses ``transaction.on_commit``). The waitlist
# registers one in its AppConfig.ready; the reservations app never imports it.
FreedListener = Callable[[Unit, list[dt.date]], None]
_freed_listeners: list[FreedListener] = []


def register_freed_listener(listener: FreedListener) -> FreedListener:
    if listener not in _freed_listeners:
        _freed_listeners.append(listener)
    return listener


def _freed(unit: Unit, dates: Sequence[dt.date]) -> None:
    for listener in _freed_listeners:
        listener(unit, list(dates))


# — taking and giving back —


def take(
    need: Need,
    *,
    reservation: Reservation | None = None,
    block: UnitBlock | None = None,
    family: UnitFamily | None = None,
    full_code: str = "rooms_full",
) -> None:
    """Write the rows of one holder. Rooms: the lowest free numbers, else ``full_code``."""
    taken = _taken_rooms([need.unit.pk], need.dates) if need.unit.is_lodging else defaultdict(set)
    rows = _rows(
        need,
        family=family or family_of([need.unit]),
        taken=taken,
        full_code=full_code,
        reservation=reservation,
        block=block,
    )
    Occupancy.objects.bulk_create(rows)
    availability_changed([need.unit.facility_id])


def take_many(holders: Sequence[tuple[Reservation, Need]], *, batch_size: int = 1000) -> int:
    """Write the rows of many reservations at once (the lottery's winners), rooms picked
    across them so two winners never get the same room. Returns the number of rows."""
    if not holders:
        return 0
    family = family_of([need.unit for _, need in holders])
    lodging = [need for _, need in holders if need.unit.is_lodging]
    taken = (
        _taken_rooms({n.unit.pk for n in lodging}, {d for n in lodging for d in n.dates})
        if lodging
        else defaultdict(set)
    )
    rows: list[Occupancy] = []
    for reservation, need in holders:
        rows += _rows(
            need, family=family, taken=taken, full_code="rooms_full", reservation=reservation
        )
    Occupancy.objects.bulk_create(rows, batch_size=batch_size)
    availability_changed(need.unit.facility_id for _, need in holders)
    return len(rows)


def release(reservation: Reservation) -> None:
    """Give back everything the reservation holds (the freed-capacity listeners hear of it)."""
    Occupancy.objects.filter(reservation=reservation).delete()
    availability_changed([reservation.unit.facility_id])
    _freed(
        reservation.unit,
        dates_between(reservation.use_date, reservation.use_date)
        if not reservation.unit.is_lodging
        else dates_between(reservation.use_date, reservation.last_night),
    )


def hold(reservation: Reservation, block: UnitBlock) -> None:
    """Hand the reservation's rows to a staff block (a cancelled lottery win held until its
    release time): the capacity never becomes free in between."""
    Occupancy.objects.filter(reservation=reservation).update(reservation=None, block=block)
    availability_changed([reservation.unit.facility_id])


def block_remove(block: UnitBlock, *, notify: bool = True) -> None:
    """Delete a staff block and the capacity it held. ``notify=False``: the listeners do not
    hear of it (a waitlist hold handed on or given up by the waitlist itself: no loop)."""
    Occupancy.objects.filter(block=block).delete()
    unit, first, last = block.unit, block.start_date, block.end_date
    block.delete()
    availability_changed([unit.facility_id])
    if notify:
        _freed(unit, dates_between(first, last))


def blocks_release(blocks) -> int:
    """Delete the given blocks (a queryset) with their capacity; returns how many blocks."""
    rows = list(blocks.values_list("pk", "unit__facility_id"))
    ids = [pk for pk, _facility in rows]
    freed = list(UnitBlock.objects.filter(pk__in=ids).select_related("unit")) if ids else []
    Occupancy.objects.filter(block_id__in=ids).delete()
    _total, per_model = UnitBlock.objects.filter(pk__in=ids).delete()
    availability_changed(facility for _pk, facility in rows)
    for block in freed:
        _freed(block.unit, dates_between(block.start_date, block.end_date))
    return per_model.get(UnitBlock._meta.label, 0)


# — friendly checks (the unique key is the guarantee) —


def problems(
    need: Need, *, family: UnitFamily, exclude: Reservation | None = None
) -> list[DomainError]:
    """Whether the capacity is free, with a message; ``exclude``: a reservation being changed.

    One query on the occupancy rows the need stands on (its leaves, its dates): the booking
    path asks it first, before any lock or rule, so that a loser of the rush costs little.
    """
    taken = Occupancy.objects.filter(date__in=set(need.dates))
    if exclude is not None:
        taken = taken.exclude(reservation=exclude)
    if need.unit.is_lodging:
        per_night: dict[dt.date, int] = defaultdict(int)
        for day in taken.filter(unit_id=need.unit.pk).values_list("date", flat=True):
            per_night[day] += 1
        for day in need.dates:
            if (need.unit.room_count or 0) - per_night[day] < need.rooms:
                return [DomainError("rooms_full", date=japanese_date(day))]
        return []
    wanted = leaf_atoms(need, family)
    atoms = set().union(*wanted.values()) if wanted else set()
    # Uses the unique index (unit, date, atom).
    busy = set(
        taken.filter(unit_id__in={leaf for leaf, _day in wanted}, atom__in=atoms).values_list(
            "unit_id", "date", "atom"
        )
    )
    for (leaf, day), leaf_wanted in wanted.items():
        if any((leaf, day, atom) in busy for atom in leaf_wanted):
            return [DomainError("slot_taken")]
    return []
