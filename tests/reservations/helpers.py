"""Builders for booking tests: a hall with an arena, a resort, an active registrant."""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from tests.registrants import builders
from yoyaku.facilities.models import FeeRule
from yoyaku.reservations import booking, rules

TIERS = [
    {"days_before": 7, "percent": 0},
    {"days_before": 2, "percent": 50},
    {"days_before": 0, "percent": 100},
]


def hall(municipality, **facility_fields):
    facility = f.FacilityFactory(
        municipality=municipality, cancellation_tiers=TIERS, **facility_fields
    )
    whole, half_a, half_b = f.arena(facility)
    for unit in (whole, half_a, half_b):
        for code, amount in (
            ("am", 2000),
            ("pm", 2600),
            ("night", 2600),
            ("am-pm", 4600),
            ("pm-night", 5200),
            ("all-day", 7200),
        ):
            f.fee(unit, amount if unit is whole else amount // 2, slot=f.slot(unit, code))
    return facility, whole, half_a, half_b


def resort(municipality, rooms=3, **facility_fields):
    facility = f.FacilityFactory(
        municipality=municipality,
        kind="resort",
        closed_at_year_end=False,
        cancellation_tiers=TIERS,
        max_nights=3,
        **facility_fields,
    )
    room_type = f.lodging_unit(facility, rooms=rooms, persons=4)
    f.fee(room_type, 6000)
    f.fee(room_type, 3000, person_class=FeeRule.PersonClass.CHILD)
    return facility, room_type


def registrant(municipality, **overrides):
    return builders.active(
        municipality,
        f.staff_user(municipality, login_id=f"admin{builders._counter.__next__()}"),
        **overrides,
    )


def book_slot(person, unit, day: dt.date, *codes: str, party=10, **kw):
    request = rules.BookingRequest(
        registrant=person,
        unit=unit,
        use_date=day,
        slots=[f.slot(unit, c) for c in codes],
        party_size=party,
        **kw,
    )
    return booking.reservation_book(request=request, by=person.user)


def book_stay(person, unit, day: dt.date, nights=2, rooms=1, adults=2, children=0, **kw):
    request = rules.BookingRequest(
        registrant=person,
        unit=unit,
        use_date=day,
        nights=nights,
        rooms=rooms,
        adults=adults,
        children=children,
        **kw,
    )
    return booking.reservation_book(request=request, by=person.user)


def group(municipality, name="うきは卓球クラブ"):
    """An active registered group (団体登録), e.g. a club booking a season."""
    return builders.active(
        municipality,
        f.staff_user(municipality, login_id=f"g{builders._counter.__next__()}"),
        kind="group",
        group_name=name,
        group_name_kana="ウキハタッキュウクラブ",
        member_count=10,
    )
