"""Reservations for the winners of a lottery drawing, made in bulk.

The lottery sits above this app and never writes reservation tables itself: its drawing hands
the winners over as plain values (:class:`WonBooking`) and this service writes their
reservations (awaiting the winner's confirmation), the slot links, the fee quotes and the
occupancy. A round of 100,000 applications must not cost a query per winner, so everything
is read once per call and written with ``bulk_create``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from yoyaku.facilities.models import FeeRule, Slot, Unit
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import capacity, fees
from yoyaku.reservations.models import Reservation


@dataclass(frozen=True)
class WonBooking:
    """One winner's reservation as plain values (ids, dates and counts, no model instances)."""

    registrant_id: int
    unit_id: int
    use_date: dt.date
    lottery_choice_id: int
    nights: int = 1
    rooms: int = 1
    adults: int = 0
    children: int = 0
    infants: int = 0
    party_size: int = 0
    slot_ids: tuple[int, ...] = ()


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def reservations_create_won(
    *,
    municipality_id: int,
    won: Sequence[WonBooking],
    at: dt.datetime,
    batch_size: int = 500,
) -> list[Reservation]:
    """Write one reservation awaiting confirmation per winner, with its slots, fee quote and
    occupancy, in bulk; returns them (with their ids) in the order of ``won``.

    Precondition: the drawing allotted the capacity, so it is free. The capacity module gives
    rooms the lowest free numbers across all winners; the unique key on occupancy still refuses
    any overlap, so a wrong allotment fails loudly (``IntegrityError``) and, inside the
    caller's transaction, leaves nothing written. No audit row: the caller records the wins.
    """
    if not won:
        return []
    units = {
        u.pk: u
        for u in Unit.objects.filter(pk__in={w.unit_id for w in won})
        .select_related("slot_schedule", "facility")
        .prefetch_related("slot_schedule__slots", "purposes")
    }
    slots = {
        s.pk: s for u in units.values() if u.slot_schedule for s in u.slot_schedule.slots.all()
    }
    registrants: dict[int, Registrant] = {}
    for chunk in _chunks(sorted({w.registrant_id for w in won})):
        registrants.update(
            Registrant.objects.filter(pk__in=chunk)
            .only("pk", "user_id", "category", "kind")
            .in_bulk()
        )
    # The fee table is read once for every unit (not once per winner), and many winners book
    # the same thing: each distinct booking is quoted once.
    tables = fees.fee_tables(units.values())
    quotes: dict[tuple, fees.FeeQuote] = {}
    reservations = [
        _won_reservation(
            municipality_id,
            booking,
            units,
            slots,
            registrants[booking.registrant_id],
            at,
            quotes,
            tables,
        )
        for booking in won
    ]
    Reservation.objects.bulk_create(reservations, batch_size=batch_size)
    through = Reservation.slots.through
    through.objects.bulk_create(
        [
            through(reservation_id=reservation.pk, slot_id=slot_id)
            for reservation, booking in zip(reservations, won, strict=True)
            for slot_id in booking.slot_ids
        ],
        batch_size=1000,
    )
    capacity.take_many(
        [
            (
                reservation,
                capacity.Need(
                    unit=units[booking.unit_id],
                    dates=[
                        booking.use_date + dt.timedelta(days=i) for i in range(reservation.nights)
                    ],
                    rooms=booking.rooms,
                    slots=[slots[s] for s in booking.slot_ids],
                ),
            )
            for reservation, booking in zip(reservations, won, strict=True)
        ]
    )
    return reservations


def _won_reservation(
    municipality_id: int,
    booking: WonBooking,
    units: dict[int, Unit],
    slots: dict[int, Slot],
    registrant: Registrant,
    at: dt.datetime,
    quotes: dict[tuple, fees.FeeQuote],
    tables: dict[tuple[int, str], list[FeeRule]],
) -> Reservation:
    unit = units[booking.unit_id]
    rate_class = fees.rate_class_for(registrant)
    key = (
        unit.pk,
        booking.use_date,
        booking.nights,
        booking.slot_ids,
        booking.adults,
        booking.children,
        rate_class,
    )
    quote = quotes.get(key)
    if quote is None:
        quote = quotes[key] = fees.fee_quote(
            unit=unit,
            use_date=booking.use_date,
            nights=booking.nights,
            slots=[slots[s] for s in booking.slot_ids],
            adults=booking.adults,
            children=booking.children,
            rate_class=rate_class,
            rules=tables.get((unit.pk, rate_class), []),
        )
    purposes = list(unit.purposes.all())
    return Reservation(
        municipality_id=municipality_id,
        registrant_id=registrant.pk,
        unit_id=unit.pk,
        use_date=booking.use_date,
        nights=booking.nights if unit.is_lodging else 1,
        rooms=booking.rooms if unit.is_lodging else 1,
        adults=booking.adults,
        children=booking.children,
        infants=booking.infants,
        party_size=booking.party_size,
        purpose=purposes[0] if purposes else None,
        status=Reservation.Status.AWAITING_CONFIRMATION,
        channel=Reservation.Channel.LOTTERY,
        fee_total=quote.total,
        fee_breakdown=quote.as_json(),
        created_at=at,
        created_by_id=registrant.user_id,
        lottery_choice_id=booking.lottery_choice_id,
    )
