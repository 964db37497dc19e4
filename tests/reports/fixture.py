"""A small, hand-countable June 2026 at うきは市吉井体育センター (closed on Mondays).

Today is Monday 2026-06-01 (conftest). June has 30 days, five of them Mondays (1, 8, 15, 22,
29) and no public holiday; the facility is also closed for an inspection on the 10th and
11th: 23 open days. Each slot unit has three basic slots (午前・午後・夜間).

会議室 (1,000 yen a slot): a block on the 12th's 午前 (68 bookable slots);
  R1 3rd 午前, R2 3rd 午後 (later a no-show), R3 4th 夜間 with a 50 % 減免 (500 yen off),
  R4 5th 午前 cancelled by the registrant (4 days before: 50 % fee, 500 yen),
  R5 6th 午前 paid 1,000 yen at the counter, then cancelled by staff and refunded.
アリーナ全面 (2,000 yen) ⊃ 半面A, 半面B (1,000 yen each): 138 bookable slots on the halves;
  R6 the whole on the 3rd 午前 (two halves), R7 半面A on the 4th 午後.
R1 is paid 1,000 yen at the counter. R1–R5 are 花子's, R6 and R7 another registrant's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tests import factories as f
from tests.registrants import builders
from yoyaku.core.models import Municipality, User
from yoyaku.facilities.models import Closure, Facility, ReductionCategory, Unit
from yoyaku.payments import refunds
from yoyaku.payments.models import Payment, Refund
from yoyaku.payments.services import payment_record_counter
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import booking, rules
from yoyaku.reservations.models import Reservation
from yoyaku.reservations.services import unit_block_create

JUNE_START = dt.date(2026, 6, 1)
JUNE_END = dt.date(2026, 6, 30)
TIERS = [
    {"days_before": 7, "percent": 0},
    {"days_before": 2, "percent": 50},
    {"days_before": 0, "percent": 100},
]


@dataclass
class June:
    admin: User
    gym: Facility
    room: Unit
    whole: Unit
    half_a: Unit
    half_b: Unit
    hanako: Registrant
    reservations: dict[str, Reservation]


def priced(unit: Unit, amount: int) -> Unit:
    for code in ("am", "pm", "night"):
        f.fee(unit, amount, slot=f.slot(unit, code))
    return unit


def book(registrant, unit, day, code, **kw) -> Reservation:
    request = rules.BookingRequest(
        registrant=registrant,
        unit=unit,
        use_date=day,
        slots=[f.slot(unit, code)],
        party_size=10,
        **kw,
    )
    return booking.reservation_book(request=request, by=registrant.user)


def counter_payment(reservation: Reservation, amount: int, admin: User) -> Payment:
    return payment_record_counter(
        reservation=reservation,
        amount=amount,
        method=Payment.Method.COUNTER,
        receipt_number=f"R-{reservation.pk}",
        by=admin,
    )


def build_june(ukiha: Municipality, travel) -> June:
    admin = f.staff_user(ukiha)
    gym = f.FacilityFactory(
        municipality=ukiha,
        name="うきは市吉井体育センター",
        weekly_closed_days=[0],
        cancellation_tiers=TIERS,
        undo_minutes=0,  # R4 is cancelled at once: the tiers, not the undo window
    )
    room = priced(f.slot_unit(gym, "会議室"), 1000)
    whole, half_a, half_b = f.arena(gym)
    priced(whole, 2000)
    priced(half_a, 1000)
    priced(half_b, 1000)
    Closure.objects.create(
        facility=gym, start_date=dt.date(2026, 6, 10), end_date=dt.date(2026, 6, 11), reason="点検"
    )
    unit_block_create(
        unit=room,
        by=admin,
        start_date=dt.date(2026, 6, 12),
        end_date=dt.date(2026, 6, 12),
        reason="修繕",
        slot=f.slot(room, "am"),
    )
    seniors = ReductionCategory.objects.create(
        municipality=ukiha, name="高齢者団体", percent=50, requires_approval=False
    )
    hanako = builders.active(ukiha, by=admin, name="浮羽　花子")
    taro = builders.active(ukiha, by=admin)  # the arena (five reservations a person at most)
    ukiha.allows_non_residents = True  # Ukiha lets anyone register (市外)
    ukiha.save(update_fields=["allows_non_residents"])
    builders.active(ukiha, by=admin, category=Registrant.Category.OTHER)
    r = {
        "R1": book(hanako, room, dt.date(2026, 6, 3), "am"),
        "R2": book(hanako, room, dt.date(2026, 6, 3), "pm"),
        "R3": book(hanako, room, dt.date(2026, 6, 4), "night", reduction=seniors),
        "R4": book(hanako, room, dt.date(2026, 6, 5), "am"),
        "R5": book(hanako, room, dt.date(2026, 6, 6), "am"),
        "R6": book(taro, whole, dt.date(2026, 6, 3), "am"),
        "R7": book(taro, half_a, dt.date(2026, 6, 4), "pm"),
    }
    counter_payment(r["R1"], 1000, admin)
    counter_payment(r["R5"], 1000, admin)
    booking.reservation_cancel(reservation=r["R4"], by=hanako.user)
    booking.reservation_cancel(reservation=r["R5"], by=admin, reason="設備故障", by_staff=True)
    for refund in Refund.objects.filter(payment__reservation=r["R5"], status="requested"):
        refunds.refund_record_counter(refund=refund, by=admin)
    travel(dt.datetime(2026, 6, 5, 9, 0))
    booking.reservation_mark_no_show(reservation=r["R2"], by=admin)
    for reservation in r.values():
        reservation.refresh_from_db()
    return June(admin, gym, room, whole, half_a, half_b, hanako, r)
