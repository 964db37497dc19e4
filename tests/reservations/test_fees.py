"""The fee engine (使用料): the fee table in, an itemised, integer-yen quote out."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests import factories as f
from yoyaku.core import clock
from yoyaku.core.dates import japanese_date
from yoyaku.core.errors import DomainError
from yoyaku.core.models import Municipality, User
from yoyaku.facilities.models import Facility, FeeRule, ReductionCategory, Unit
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.fees import (
    FeeLine,
    FeeQuote,
    day_class_for_night,
    day_class_for_slot_day,
    fee_quote,
    fiscal_year_of,
    rate_class_for,
    reduced_nights_left,
    reduced_nights_used,
)
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db

RESIDENT = FeeRule.RateClass.RESIDENT
NON_RESIDENT = FeeRule.RateClass.NON_RESIDENT
WEEKDAY = FeeRule.DayClass.WEEKDAY
WEEKEND = FeeRule.DayClass.WEEKEND_HOLIDAY
ADULT = FeeRule.PersonClass.ADULT
CHILD = FeeRule.PersonClass.CHILD
Status = Reservation.Status

WEDNESDAY = dt.date(2026, 11, 4)
THURSDAY = dt.date(2026, 12, 3)
FRIDAY = dt.date(2026, 12, 4)
SATURDAY = dt.date(2026, 12, 5)
SUNDAY = dt.date(2026, 12, 6)
BEFORE_CULTURE_DAY = dt.date(2026, 11, 2)  # a Monday
CULTURE_DAY = dt.date(2026, 11, 3)  # 文化の日, a Tuesday


# — builders —


@pytest.fixture
def hall(ukiha: Municipality) -> Facility:
    return f.FacilityFactory(municipality=ukiha, commercial_multiplier_percent=150)


@pytest.fixture
def room(hall: Facility) -> Unit:
    return f.slot_unit(hall)


@pytest.fixture
def resort(ukiha: Municipality) -> Facility:
    return f.FacilityFactory(municipality=ukiha, kind=Facility.Kind.RESORT)


@pytest.fixture
def washitsu(resort: Facility) -> Unit:
    return f.lodging_unit(resort)


@pytest.fixture
def seniors(ukiha: Municipality) -> ReductionCategory:
    return ReductionCategory.objects.create(
        municipality=ukiha, name="65歳以上", percent=50, annual_night_limit=2
    )


def lodging_fees(unit: Unit, **prices: int) -> None:
    """``adult=…, child=…`` (every night) or ``adult_weekday=…, adult_weekend=…`` …"""
    for key, amount in prices.items():
        person, _sep, day = key.partition("_")
        day_class = {"": FeeRule.DayClass.ANY, "weekday": WEEKDAY, "weekend": WEEKEND}[day]
        f.fee(unit, amount, person_class=person, day_class=day_class)


def registrant(
    municipality: Municipality,
    user_number: str = "100001",
    *,
    category: str = Registrant.Category.RESIDENT,
    kind: str = Registrant.Kind.INDIVIDUAL,
) -> Registrant:
    user = User.objects.create_user(
        username=User.make_username(municipality, User.Kind.REGISTRANT, user_number),
        password="19800514",
        municipality=municipality,
        login_id=user_number,
        kind=User.Kind.REGISTRANT,
    )
    return Registrant.objects.create(
        municipality=municipality,
        user=user,
        user_number=user_number,
        kind=kind,
        category=category,
        status=Registrant.Status.ACTIVE,
        name_kana="ウキハ　ハナコ",
        name="浮羽　花子",
        group_name="うきは卓球クラブ" if kind == Registrant.Kind.GROUP else "",
        birth_date=dt.date(1958, 5, 14),
        phone="0943-00-0000",
        postal_code="8390000",
        prefecture="福岡県",
        city="うきは市",
        street="吉井町1-1",
        registered_at=clock.now(),
    )


def reservation(
    person: Registrant,
    unit: Unit,
    use_date: dt.date,
    nights: int = 1,
    *,
    status: str = Status.CONFIRMED,
    reduction: ReductionCategory | None = None,
) -> Reservation:
    return Reservation.objects.create(
        municipality=person.municipality,
        registrant=person,
        unit=unit,
        use_date=use_date,
        nights=nights,
        status=status,
        reduction=reduction,
        created_at=clock.now(),
        created_by=person.user,
        fee_total=0,
    )


def quote_slots(unit: Unit, *codes: str, day: dt.date = WEDNESDAY, **kw) -> FeeQuote:
    kw.setdefault("rate_class", RESIDENT)
    return fee_quote(unit=unit, use_date=day, slots=[f.slot(unit, c) for c in codes], **kw)


def lines_of(quote: FeeQuote) -> list[tuple[str, str, int, int, int]]:
    return [(x.kind, x.description, x.unit_price, x.quantity, x.amount) for x in quote.lines]


# — classification —


@pytest.mark.parametrize(
    ("kind", "category", "expected"),
    [
        (Registrant.Kind.INDIVIDUAL, Registrant.Category.RESIDENT, RESIDENT),
        (Registrant.Kind.INDIVIDUAL, Registrant.Category.WORKER, RESIDENT),
        (Registrant.Kind.INDIVIDUAL, Registrant.Category.OTHER, NON_RESIDENT),
        (Registrant.Kind.GROUP, Registrant.Category.RESIDENT, RESIDENT),
        (Registrant.Kind.GROUP, Registrant.Category.OTHER, RESIDENT),
    ],
)
def test_rate_class__residents_workers_and_groups_pay_the_resident_rate(
    ukiha, kind, category, expected
):
    person = registrant(ukiha, category=category, kind=kind)
    assert rate_class_for(person) == expected


HOLIDAYS = {CULTURE_DAY: "文化の日"}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (WEDNESDAY, WEEKDAY),
        (FRIDAY, WEEKDAY),
        (SATURDAY, WEEKEND),
        (SUNDAY, WEEKEND),
        (CULTURE_DAY, WEEKEND),
        (BEFORE_CULTURE_DAY, WEEKDAY),
    ],
)
def test_day_class_of_a_slot_day__weekends_and_holidays_are_days_off(day, expected):
    assert day_class_for_slot_day(day, HOLIDAYS) == expected


@pytest.mark.parametrize(
    ("night", "expected"),
    [
        (THURSDAY, WEEKDAY),
        (FRIDAY, WEEKEND),  # 休前日: Saturday follows
        (SATURDAY, WEEKEND),  # Sunday follows
        (SUNDAY, WEEKDAY),
        (BEFORE_CULTURE_DAY, WEEKEND),  # 休前日: 文化の日 follows
        (CULTURE_DAY, WEEKDAY),  # the holiday's own night is followed by a Wednesday
    ],
)
def test_day_class_of_a_night__is_that_of_the_day_after(night, expected):
    assert day_class_for_night(night, HOLIDAYS) == expected


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [
        (dt.date(2026, 3, 31), 2025),
        (dt.date(2026, 4, 1), 2026),
        (dt.date(2026, 12, 31), 2026),
        (dt.date(2027, 1, 1), 2026),
        (dt.date(2027, 3, 31), 2026),
        (dt.date(2027, 4, 1), 2027),
    ],
)
def test_fiscal_year__runs_from_april_to_march(day, fiscal_year):
    assert fiscal_year_of(day) == fiscal_year


# — time-slot units —


@pytest.mark.parametrize(
    ("rate_class", "amount", "description"),
    [
        (RESIDENT, 1000, "午前（9:00～12:00）区域内"),
        (NON_RESIDENT, 2000, "午前（9:00～12:00）区域外"),
    ],
)
def test_slot_fee__residents_and_non_residents_pay_their_own_rate(
    room, rate_class, amount, description
):
    f.fee(room, 1000, rate_class=RESIDENT)
    f.fee(room, 2000, rate_class=NON_RESIDENT)

    quote = quote_slots(room, "am", rate_class=rate_class)

    assert lines_of(quote) == [("base", description, amount, 1, amount)]
    assert quote.total == amount


@pytest.mark.parametrize(
    ("codes", "expected_lines", "total"),
    [
        (["all-day"], [("全日（9:00～21:00）区域内", 2500)], 2500),
        (
            ["pm", "am"],
            [("午前（9:00～12:00）区域内", 1000), ("午後（13:00～17:00）区域内", 1200)],
            2200,
        ),
        (
            ["am", "pm-night"],
            [("午前（9:00～12:00）区域内", 1000), ("午後・夜間（13:00～21:00）区域内", 2000)],
            3000,
        ),
    ],
)
def test_slot_fee__each_slot_combined_or_basic_is_priced_by_its_own_rule(
    room, codes, expected_lines, total
):
    for code, amount in [("am", 1000), ("pm", 1200), ("pm-night", 2000), ("all-day", 2500)]:
        f.fee(room, amount, slot=f.slot(room, code))

    quote = quote_slots(room, *codes)

    assert [(x.description, x.amount) for x in quote.lines] == expected_lines
    assert quote.total == total


@pytest.mark.parametrize(
    ("day", "amount"),
    [
        (WEDNESDAY, 1000),
        (BEFORE_CULTURE_DAY, 1000),
        (SATURDAY, 1300),
        (SUNDAY, 1300),
        (CULTURE_DAY, 1300),  # a Tuesday, but 文化の日
    ],
)
def test_slot_fee__weekends_and_public_holidays_take_the_weekend_rate(room, day, amount):
    f.fee(room, 1000, day_class=WEEKDAY)
    f.fee(room, 1300, day_class=WEEKEND)

    assert quote_slots(room, "am", day=day).total == amount


@pytest.mark.parametrize(("day", "amount"), [(WEDNESDAY, 1000), (CULTURE_DAY, 1400)])
def test_slot_fee__a_rule_for_the_exact_day_class_beats_an_every_day_rule(room, day, amount):
    f.fee(room, 1000)  # day_class ANY
    f.fee(room, 1400, day_class=WEEKEND)

    assert quote_slots(room, "am", day=day).total == amount


def test_slot_fee__a_newer_every_day_table_replaces_an_older_open_ended_one(room):
    f.fee(room, 1300, day_class=WEEKEND)  # from 2024-04-01, never closed
    f.fee(room, 1500, effective_from=dt.date(2026, 10, 1))

    assert quote_slots(room, "am", day=dt.date(2026, 9, 26)).total == 1300
    assert quote_slots(room, "am", day=SATURDAY).total == 1500


def test_fee_table_change__applies_by_use_date_and_never_alters_a_stored_quote(room):
    old_rule = f.fee(room, 1000)
    person = registrant(room.facility.municipality)
    booked = reservation(person, room, dt.date(2026, 9, 30))
    before = quote_slots(room, "am", day=booked.use_date)
    booked.fee_total = before.total
    booked.fee_breakdown = before.as_json()
    booked.save(update_fields=["fee_total", "fee_breakdown"])

    # The municipality revises the table from October.
    old_rule.effective_until = dt.date(2026, 9, 30)
    old_rule.save(update_fields=["effective_until"])
    f.fee(room, 1200, effective_from=dt.date(2026, 10, 1))

    assert quote_slots(room, "am", day=dt.date(2026, 10, 1)).total == 1200
    assert quote_slots(room, "am", day=dt.date(2026, 9, 30)).total == 1000
    assert quote_slots(room, "am", day=dt.date(2026, 10, 1), on=dt.date(2026, 9, 30)).total == 1000
    booked.refresh_from_db()
    assert booked.fee_breakdown == before.as_json()
    assert FeeQuote.from_json(booked.fee_breakdown) == before
    assert booked.fee_breakdown["total"] == 1000


def test_quote__as_json_is_json_safe_and_states_the_rounding_rule(room):
    f.fee(room, 333)

    data = json.loads(json.dumps(quote_slots(room, "am", commercial=True).as_json()))

    assert data == {
        "lines": [
            {
                "kind": "base",
                "description": "午前（9:00～12:00）区域内",
                "unit_price": 333,
                "quantity": 1,
                "amount": 333,
            },
            {
                "kind": "commercial",
                "description": "営利目的の割増 150%",
                "unit_price": 166,
                "quantity": 1,
                "amount": 166,
            },
        ],
        "total": 499,
        "reduction_nights": 0,
        "rounding": "floor_per_line",
        "tax": "included",
    }


def test_quote__of_a_slot_unit_reads_the_fee_table_in_one_query(room, django_assert_num_queries):
    for code in ("am", "pm", "night"):
        f.fee(room, 1000, slot=f.slot(room, code))
    slots = list(room.slot_schedule.slots.filter(is_basic=True))

    with django_assert_num_queries(1):
        quote = fee_quote(unit=room, use_date=WEDNESDAY, slots=slots, rate_class=RESIDENT)

    assert quote.total == 3000


# — lodging units —


@pytest.mark.parametrize(
    ("night", "adult", "child", "suffix"),
    [
        (THURSDAY, 5000, 2500, "平日"),
        (FRIDAY, 6500, 3200, "休前日"),
        (SATURDAY, 6500, 3200, "休前日"),
        (SUNDAY, 5000, 2500, "平日"),
        (BEFORE_CULTURE_DAY, 6500, 3200, "休前日"),
        (CULTURE_DAY, 5000, 2500, "平日"),
    ],
)
def test_lodging_fee__per_person_per_night_with_the_rate_before_a_day_off(
    washitsu, night, adult, child, suffix
):
    lodging_fees(
        washitsu, adult_weekday=5000, adult_weekend=6500, child_weekday=2500, child_weekend=3200
    )

    quote = fee_quote(unit=washitsu, use_date=night, adults=2, children=1, rate_class=RESIDENT)

    date = f"{japanese_date(night)}泊"
    assert lines_of(quote) == [
        ("base", f"{date} 大人 区域内 {suffix}", adult, 2, 2 * adult),
        ("base", f"{date} 子ども 区域内 {suffix}", child, 1, child),
    ]
    assert quote.total == 2 * adult + child


def test_lodging_fee__a_stay_prices_every_night_by_its_own_day(washitsu):
    lodging_fees(washitsu, adult_weekday=5000, adult_weekend=6500, child=2500)

    quote = fee_quote(
        unit=washitsu, use_date=THURSDAY, nights=3, adults=2, children=1, rate_class=RESIDENT
    )

    assert [(x.description, x.amount) for x in quote.lines] == [
        ("2026年12月3日（木）泊 大人 区域内 平日", 10000),
        ("2026年12月3日（木）泊 子ども 区域内", 2500),
        ("2026年12月4日（金）泊 大人 区域内 休前日", 13000),
        ("2026年12月4日（金）泊 子ども 区域内", 2500),
        ("2026年12月5日（土）泊 大人 区域内 休前日", 13000),
        ("2026年12月5日（土）泊 子ども 区域内", 2500),
    ]
    assert quote.total == 43500


def test_lodging_fee__a_party_of_adults_needs_no_child_price(washitsu):
    lodging_fees(washitsu, adult=5000)

    quote = fee_quote(unit=washitsu, use_date=THURSDAY, adults=3, rate_class=RESIDENT)

    assert lines_of(quote) == [("base", "2026年12月3日（木）泊 大人 区域内", 5000, 3, 15000)]


# — commercial use —


@pytest.mark.parametrize(
    ("multiplier", "prices", "surcharge"),
    [
        (150, [333], 166),  # 166.5 → 166
        (150, [1001], 500),  # 500.5 → 500
        (150, [333, 333], 333),  # from the base total (666), not line by line (166 + 166)
        (200, [1000], 1000),
        (133, [1000], 330),
    ],
)
def test_commercial_use__adds_the_surcharge_rounded_down_to_the_yen(
    room, multiplier, prices, surcharge
):
    room.facility.commercial_multiplier_percent = multiplier
    room.facility.save(update_fields=["commercial_multiplier_percent"])
    codes = ["am", "pm"][: len(prices)]
    for code, amount in zip(codes, prices, strict=True):
        f.fee(room, amount, slot=f.slot(room, code))

    quote = quote_slots(room, *codes, commercial=True)

    assert quote.lines[-1] == FeeLine(
        "commercial", f"営利目的の割増 {multiplier}%", surcharge, 1, surcharge
    )
    assert quote.total == sum(prices) + surcharge


def test_commercial_use__without_a_multiplier_costs_the_same(room):
    room.facility.commercial_multiplier_percent = 100
    room.facility.save(update_fields=["commercial_multiplier_percent"])
    f.fee(room, 1000)

    quote = quote_slots(room, "am", commercial=True)

    assert [x.kind for x in quote.lines] == ["base"]
    assert quote.total == 1000


def test_commercial_use__cannot_have_a_reduction(room, seniors):
    f.fee(room, 1000)

    with pytest.raises(DomainError) as refused:
        quote_slots(room, "am", commercial=True, reduction=seniors)

    assert refused.value.code == "reduction_not_for_commercial"
    assert refused.value.message == "営利目的の利用には減免を適用できません。"


# — reductions (減免) —


@pytest.mark.parametrize(
    ("percent", "prices", "discount"),
    [
        (50, [333], 166),  # 166.5 → 166: the registrant pays the odd yen
        (50, [333, 1001], 667),
        (30, [1001], 300),  # 300.3 → 300
        (100, [333, 1001], 1334),
    ],
)
def test_reduction__discounts_the_whole_booking_rounded_down_to_the_yen(
    room, ukiha, percent, prices, discount
):
    category = ReductionCategory.objects.create(
        municipality=ukiha, name="障害者手帳", percent=percent
    )
    codes = ["am", "pm"][: len(prices)]
    for code, amount in zip(codes, prices, strict=True):
        f.fee(room, amount, slot=f.slot(room, code))

    quote = quote_slots(room, *codes, reduction=category)

    assert quote.lines[-1] == FeeLine(
        "reduction", f"減免（障害者手帳 {percent}%）", -discount, 1, -discount
    )
    assert quote.total == sum(prices) - discount
    assert quote.reduction_nights == 0


def test_reduction__a_full_exemption_makes_a_stay_free(washitsu, ukiha):
    exemption = ReductionCategory.objects.create(municipality=ukiha, name="公用", percent=100)
    lodging_fees(washitsu, adult=5333, child=2667)

    quote = fee_quote(
        unit=washitsu,
        use_date=THURSDAY,
        nights=2,
        adults=2,
        children=1,
        rate_class=RESIDENT,
        reduction=exemption,
    )

    assert quote.lines[-1].amount == -26666
    assert quote.total == 0
    assert quote.reduction_nights == 2


@pytest.mark.parametrize(
    ("available", "nights_discounted", "discount", "description"),
    [
        (2, 2, 5000, "減免（65歳以上 50%・2泊分）"),
        (1, 1, 2500, "減免（65歳以上 50%・1泊分）"),
        (0, 0, 0, None),
        (5, 3, 7500, "減免（65歳以上 50%）"),
    ],
)
def test_reduction__with_a_night_limit_discounts_only_the_first_nights_left(
    washitsu, seniors, available, nights_discounted, discount, description
):
    lodging_fees(washitsu, adult=5000)

    quote = fee_quote(
        unit=washitsu,
        use_date=dt.date(2026, 12, 1),
        nights=3,
        adults=1,
        rate_class=RESIDENT,
        reduction=seniors,
        reduced_nights_available=available,
    )

    reductions = [x for x in quote.lines if x.kind == "reduction"]
    assert [(x.description, x.amount) for x in reductions] == (
        [(description, -discount)] if description else []
    )
    assert quote.reduction_nights == nights_discounted
    assert quote.total == 15000 - discount


def test_reduction__with_a_night_limit_counts_what_the_fiscal_year_already_used(washitsu, seniors):
    lodging_fees(washitsu, adult=5001)
    person = registrant(washitsu.facility.municipality)
    reservation(person, washitsu, dt.date(2026, 8, 10), reduction=seniors)
    left = seniors.annual_night_limit - reduced_nights_used(
        registrant=person, category=seniors, fiscal_year=2026
    )

    quote = fee_quote(
        unit=washitsu,
        use_date=dt.date(2026, 12, 1),
        nights=3,
        adults=1,
        rate_class=RESIDENT,
        reduction=seniors,
        reduced_nights_available=left,
    )

    assert left == 1
    assert quote.reduction_nights == 1
    assert quote.lines[-1].amount == -2500  # 5001 × 50% = 2500.5 → 2500
    assert quote.total == 3 * 5001 - 2500


@pytest.mark.parametrize(
    ("used_before_april", "left", "discounted_nights"),
    [
        (0, {2026: 2, 2027: 2}, [dt.date(2027, 3, 30), dt.date(2027, 3, 31), dt.date(2027, 4, 1)]),
        (1, {2026: 1, 2027: 2}, [dt.date(2027, 3, 30), dt.date(2027, 4, 1)]),
        (2, {2026: 0, 2027: 2}, [dt.date(2027, 4, 1)]),
    ],
)
def test_reduction__a_stay_over_april_first_uses_each_fiscal_years_own_allowance(
    washitsu, seniors, used_before_april, left, discounted_nights
):
    lodging_fees(washitsu, adult=4000)
    person = registrant(washitsu.facility.municipality)
    if used_before_april:
        reservation(person, washitsu, dt.date(2027, 2, 10), used_before_april, reduction=seniors)
    check_in = dt.date(2027, 3, 30)

    available = reduced_nights_left(
        registrant=person, category=seniors, use_date=check_in, nights=3
    )
    quote = fee_quote(
        unit=washitsu,
        use_date=check_in,
        nights=3,
        adults=1,
        rate_class=RESIDENT,
        reduction=seniors,
        reduced_nights_available=available,
    )

    assert available == left
    assert quote.reduction_nights == len(discounted_nights)
    assert quote.lines[-1].amount == -2000 * len(discounted_nights)


def test_reduction__with_a_night_limit_needs_the_nights_left(washitsu, seniors):
    lodging_fees(washitsu, adult=4000)

    with pytest.raises(ValueError, match="reduced_nights_available"):
        fee_quote(
            unit=washitsu, use_date=THURSDAY, adults=1, rate_class=RESIDENT, reduction=seniors
        )


def test_reduced_nights_left__is_none_for_a_category_without_a_limit(washitsu, ukiha):
    unlimited = ReductionCategory.objects.create(municipality=ukiha, name="公用", percent=100)
    person = registrant(ukiha)

    assert (
        reduced_nights_left(registrant=person, category=unlimited, use_date=THURSDAY, nights=2)
        is None
    )


@pytest.mark.parametrize(
    ("status", "counted"),
    [
        (Status.AWAITING_APPROVAL, True),
        (Status.AWAITING_PAYMENT, True),
        (Status.CONFIRMED, True),
        (Status.USED, True),
        (Status.CANCELLED, False),
        (Status.REJECTED, False),
        (Status.NO_SHOW, False),
    ],
)
def test_reduced_nights_used__counts_reservations_that_hold_capacity_or_were_used(
    washitsu, seniors, status, counted
):
    person = registrant(washitsu.facility.municipality)
    reservation(person, washitsu, dt.date(2026, 8, 10), 2, status=status, reduction=seniors)

    used = reduced_nights_used(registrant=person, category=seniors, fiscal_year=2026)

    assert used == (2 if counted else 0)


def test_reduced_nights_used__counts_only_that_registrant_category_and_fiscal_year(
    washitsu, seniors, room, ukiha
):
    person = registrant(ukiha)
    someone_else = registrant(ukiha, "100002")
    other_category = ReductionCategory.objects.create(
        municipality=ukiha, name="障害者手帳", percent=100, annual_night_limit=4
    )
    reservation(person, washitsu, dt.date(2026, 4, 1), reduction=seniors)  # 1: first day of FY
    reservation(person, washitsu, dt.date(2027, 3, 31), 2, reduction=seniors)  # 1 of 2 nights
    reservation(person, washitsu, dt.date(2026, 3, 30), 3, reduction=seniors)  # 1 of 3 nights
    reservation(person, washitsu, dt.date(2026, 3, 31), reduction=seniors)  # last FY
    reservation(person, washitsu, dt.date(2027, 4, 1), reduction=seniors)  # next FY
    reservation(person, washitsu, dt.date(2026, 6, 1), reduction=other_category)
    reservation(person, washitsu, dt.date(2026, 6, 1))  # no reduction
    reservation(person, room, dt.date(2026, 6, 1), reduction=seniors)  # not a night
    reservation(someone_else, washitsu, dt.date(2026, 6, 1), reduction=seniors)
    being_changed = reservation(person, washitsu, dt.date(2026, 10, 1), 2, reduction=seniors)

    def used(**kw) -> int:
        return reduced_nights_used(registrant=person, category=seniors, fiscal_year=2026, **kw)

    assert used() == 5
    assert used(exclude_reservation_id=being_changed.pk) == 3
    assert reduced_nights_used(registrant=person, category=seniors, fiscal_year=2027) == 2


# — missing prices —


@pytest.mark.parametrize(
    ("case", "kw"),
    [
        ("no non-resident price", {"rate_class": NON_RESIDENT}),
        ("no price for that slot", {"codes": ["pm"]}),
        ("before the table starts", {"day": dt.date(2024, 3, 31)}),
        ("after the table ends", {"day": dt.date(2027, 4, 1)}),
        ("only a weekday price, on a holiday", {"day": CULTURE_DAY}),
    ],
)
def test_missing_fee__refuses_to_quote_with_fee_not_set(room, case, kw):
    f.fee(room, 1000, day_class=WEEKDAY, effective_until=dt.date(2027, 3, 31))
    codes = kw.pop("codes", ["am"])

    with pytest.raises(DomainError) as refused:
        quote_slots(room, *codes, **kw)

    assert refused.value.code == "fee_not_set"
    assert refused.value.message == (
        "この利用区分の使用料が設定されていません。施設にお問い合わせください。"
    )


def test_missing_fee__a_child_without_a_child_price_is_refused(washitsu):
    lodging_fees(washitsu, adult=5000)

    with pytest.raises(DomainError) as refused:
        fee_quote(unit=washitsu, use_date=THURSDAY, adults=1, children=1, rate_class=RESIDENT)

    assert refused.value.code == "fee_not_set"
