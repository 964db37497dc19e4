"""Calendar computations: closed days, holidays, year end, seasons, the unit hierarchy."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from yoyaku.core import clock
from yoyaku.facilities.models import Closure, Facility
from yoyaku.lottery.models import LotteryRound
from yoyaku.reservations import selectors as availability
from yoyaku.reservations.selectors import Mark
from yoyaku.reservations.services import unit_block_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 20, 10, 0)


@pytest.fixture(autouse=True)
def _now(travel):
    travel(NOW)


def state(unit, day):
    return availability.availability_grid(units=[unit], start=day, end=day)[(unit.pk, day)]


def test_open_day_without_bookings_is_free():
    unit = f.slot_unit(f.FacilityFactory())
    day = dt.date(2026, 5, 12)
    result = state(unit, day)
    assert result.mark is Mark.FREE
    assert [s.free for s in result.slots] == [True] * 6


def test_weekly_closing_day_is_closed():
    unit = f.slot_unit(f.FacilityFactory(weekly_closed_days=[0]))
    monday = dt.date(2026, 5, 11)
    assert state(unit, monday).mark is Mark.CLOSED
    assert state(unit, monday).reason == "休館日"
    assert state(unit, monday + dt.timedelta(days=1)).mark is Mark.FREE


def test_holiday_policy_closed__closes_on_public_holidays():
    unit = f.slot_unit(f.FacilityFactory(holiday_policy=Facility.HolidayPolicy.CLOSED))
    result = state(unit, dt.date(2026, 5, 5))
    assert result.mark is Mark.CLOSED
    assert result.holiday == "こどもの日"


def test_holiday_policy_open__stays_open_on_holidays_even_on_closing_day():
    unit = f.slot_unit(f.FacilityFactory(holiday_policy=Facility.HolidayPolicy.OPEN))
    assert state(unit, dt.date(2026, 5, 5)).mark is Mark.FREE


def test_holiday_policy_shift__monday_holiday_opens_and_next_workday_closes():
    # 2026-05-04 (Mon) みどりの日, 05-05 こどもの日, 05-06 振替休日 → closed on Thu 05-07.
    unit = f.slot_unit(
        f.FacilityFactory(weekly_closed_days=[0], holiday_policy=Facility.HolidayPolicy.SHIFT)
    )
    assert state(unit, dt.date(2026, 5, 4)).mark is Mark.FREE
    assert state(unit, dt.date(2026, 5, 5)).mark is Mark.FREE
    assert state(unit, dt.date(2026, 5, 6)).mark is Mark.FREE
    shifted = state(unit, dt.date(2026, 5, 7))
    assert shifted.mark is Mark.CLOSED
    assert shifted.reason == "休館日（祝日の振替）"
    assert state(unit, dt.date(2026, 5, 8)).mark is Mark.FREE
    # An ordinary Monday stays closed.
    assert state(unit, dt.date(2026, 5, 11)).mark is Mark.CLOSED


def test_year_end_closure_is_closed_only_for_facilities_that_close(travel):
    travel(dt.datetime(2026, 12, 1, 10, 0))
    municipality = f.MunicipalityFactory()
    hall = f.slot_unit(f.FacilityFactory(municipality=municipality, closed_at_year_end=True))
    hotel = f.lodging_unit(
        f.FacilityFactory(municipality=municipality, closed_at_year_end=False, kind="resort")
    )
    for day in (dt.date(2026, 12, 29), dt.date(2026, 12, 31), dt.date(2027, 1, 3)):
        assert state(hall, day).mark is Mark.CLOSED
        assert state(hall, day).reason == "年末年始休館"
        assert state(hotel, day).mark is Mark.FREE
    assert state(hall, dt.date(2026, 12, 28)).mark is Mark.FREE
    assert state(hall, dt.date(2027, 1, 4)).mark is Mark.FREE


def test_winter_facility_is_closed_out_of_season():
    winter = f.FacilityFactory(
        kind="resort",
        closed_at_year_end=False,
        season_start_month=11,
        season_start_day=1,
        season_end_month=3,
        season_end_day=31,
    )
    room = f.lodging_unit(winter)
    assert state(room, dt.date(2026, 7, 1)).mark is Mark.CLOSED
    assert "営業期間外" in state(room, dt.date(2026, 7, 1)).reason
    assert state(room, dt.date(2026, 11, 1)).mark is Mark.FREE
    assert state(room, dt.date(2027, 1, 15)).mark is Mark.FREE
    assert state(room, dt.date(2027, 4, 1)).mark is Mark.CLOSED


def test_dated_closure_of_a_part_closes_the_whole_but_not_the_sibling():
    facility = f.FacilityFactory()
    whole, half_a, half_b = f.arena(facility)
    Closure.objects.create(
        facility=facility,
        unit=half_a,
        start_date=dt.date(2026, 5, 12),
        end_date=dt.date(2026, 5, 13),
        reason="床面補修",
    )
    day = dt.date(2026, 5, 12)
    assert state(half_a, day).reason == "床面補修"
    assert state(whole, day).mark is Mark.CLOSED
    assert state(half_b, day).mark is Mark.FREE
    assert state(half_a, dt.date(2026, 5, 14)).mark is Mark.FREE


def test_past_dates_are_not_bookable():
    unit = f.slot_unit(f.FacilityFactory())
    assert state(unit, dt.date(2026, 4, 19)).mark is Mark.CLOSED
    assert state(unit, dt.date(2026, 4, 20)).mark is Mark.FREE


def test_blocking_the_whole_arena_fills_both_halves():
    facility = f.FacilityFactory()
    whole, half_a, half_b = f.arena(facility)
    day = dt.date(2026, 5, 12)
    unit_block_create(unit=whole, by=None, start_date=day, end_date=day, reason="市主催行事")
    assert state(whole, day).mark is Mark.FULL
    assert state(half_a, day).mark is Mark.FULL
    assert state(half_b, day).mark is Mark.FULL


def test_blocking_one_half_for_the_morning_leaves_the_whole_partly_free():
    facility = f.FacilityFactory()
    whole, half_a, half_b = f.arena(facility)
    day = dt.date(2026, 5, 12)
    unit_block_create(
        unit=half_a, by=None, start_date=day, end_date=day, slot=f.slot(half_a, "am"), reason="大会"
    )
    whole_state = state(whole, day)
    assert whole_state.mark is Mark.PARTLY
    free = {s.slot.code: s.free for s in whole_state.slots}
    assert free == {
        "am": False,
        "pm": True,
        "night": True,
        "am-pm": False,
        "pm-night": True,
        "all-day": False,
    }
    assert state(half_b, day).mark is Mark.FREE
    assert state(half_a, day).mark is Mark.PARTLY


def test_lodging_shows_free_rooms_and_full_when_all_rooms_taken():
    room_type = f.lodging_unit(f.FacilityFactory(kind="resort"), rooms=4)
    night = dt.date(2026, 5, 15)
    assert state(room_type, night).free_rooms == 4
    unit_block_create(
        unit=room_type, by=None, start_date=night, end_date=night, rooms=3, reason="団体"
    )
    partly = state(room_type, night)
    assert (partly.mark, partly.free_rooms) == (Mark.PARTLY, 1)
    unit_block_create(
        unit=room_type, by=None, start_date=night, end_date=night, rooms=1, reason="点検"
    )
    assert state(room_type, night).mark is Mark.FULL


def test_lottery_period_shows_lottery_until_first_come_opens(travel):
    facility = f.FacilityFactory(kind="resort", closed_at_year_end=False)
    room_type = f.lodging_unit(facility)
    lottery = LotteryRound.objects.create(
        municipality=facility.municipality,
        name="6月宿泊分",
        use_from=dt.date(2026, 6, 1),
        use_until=dt.date(2026, 6, 30),
        applications_open_at=clock.at(dt.date(2026, 4, 1), dt.time(8)),
        applications_close_at=clock.at(dt.date(2026, 4, 10), dt.time(23, 59)),
        draw_at=clock.at(dt.date(2026, 4, 25), dt.time(10)),
        first_come_opens_at=clock.at(dt.date(2026, 5, 1), dt.time(9)),
    )
    lottery.units.add(room_type)
    assert state(room_type, dt.date(2026, 6, 10)).mark is Mark.LOTTERY
    assert state(room_type, dt.date(2026, 7, 1)).mark is Mark.FREE
    travel(dt.datetime(2026, 5, 1, 9, 0))
    assert state(room_type, dt.date(2026, 6, 10)).mark is Mark.FREE


def test_month_calendar_starts_on_sunday_and_covers_the_month():
    unit = f.slot_unit(f.FacilityFactory())
    month = availability.unit_month(unit=unit, year=2026, month=5)
    days = [d for week in month.weeks for d in week if d]
    assert [d.date.day for d in days] == list(range(1, 32))
    assert month.weeks[0][5].date == dt.date(2026, 5, 1)  # Friday in the Sunday-first grid
    assert month.previous_month == dt.date(2026, 4, 1)
    assert month.next_month == dt.date(2026, 6, 1)


def test_day_view_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    municipality = f.MunicipalityFactory()
    for _ in range(6):
        facility = f.FacilityFactory(municipality=municipality)
        f.arena(facility)
        f.lodging_unit(f.FacilityFactory(municipality=municipality, kind="resort"))
    with django_assert_max_num_queries(9):
        result = availability.municipality_day(municipality=municipality, day=dt.date(2026, 5, 12))
    assert sum(len(entry.units) for entry in result) == 6 * 3 + 6
