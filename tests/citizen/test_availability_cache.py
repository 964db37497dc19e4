"""The calendars read availability from the versioned cache: a fixed, small number of queries
whatever the size, and every change that affects availability shows at once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from yoyaku.core import clock
from yoyaku.facilities.catalogue import facility_catalogue
from yoyaku.facilities.models import Closure
from yoyaku.facilities.services.fees import closure_add, closure_remove
from yoyaku.lottery import services as lottery_services
from yoyaku.reservations import booking, capacity
from yoyaku.reservations import selectors as availability
from yoyaku.reservations.models import UnitBlock
from yoyaku.reservations.selectors import Mark
from yoyaku.reservations.services import unit_block_create, unit_block_remove

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 16)  # a Tuesday, two weeks after "now" (2026-06-01 10:00)
MAX_QUERIES = 6


def month_mark(unit, day=DAY):
    """The mark of ``day`` in the unit's month calendar, read as the public page reads it."""
    facility = unit.facility
    setup = facility_catalogue(municipality=facility.municipality, slug=facility.slug)
    unit = next(u for u in setup.units_of[facility.pk] if u.pk == unit.pk)
    month = availability.unit_month(unit=unit, year=day.year, month=day.month, setup=setup)
    return next(s for week in month.weeks for s in week if s and s.date == day).mark


def calendar_page(client, unit, month="2026-06"):
    facility = unit.facility
    path = f"/{facility.municipality.slug}/facilities/{facility.slug}/calendar/"
    return client.get(path, {"month": month, "unit": unit.pk})


def day_cell(page, day=DAY) -> str:
    """The month calendar's cell of ``day``: the ``<td>`` holding its link or number."""
    body = page.content.decode()
    cells = re.findall(r'<td class="day mark-cell--[^"]*".*?</td>', body, flags=re.S)
    number = f'<span class="day__num">{day.day}<'
    return next(cell for cell in cells if number in cell)


def count_queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200, path
    return len(queries.captured_queries)


def city(municipality, facilities: int):
    """``facilities`` halls of five units each (an arena in halves, two rooms), with a booking,
    a closure, a staff block and a lottery round over the first hall."""
    units = []
    for n in range(facilities):
        facility = f.FacilityFactory(municipality=municipality, slug=f"hall-{n}")
        units += [*f.arena(facility), f.slot_unit(facility, "会議室1"), f.slot_unit(facility)]
    first = units[0].facility
    closure_add(
        facility=first,
        by=f.staff_user(municipality),
        start_date=DAY + dt.timedelta(days=2),
        end_date=DAY + dt.timedelta(days=3),
        reason="施設点検",
    )
    unit_block_create(unit=units[3], start_date=DAY, end_date=DAY, by=None, reason="設備点検")
    make_round(
        municipality,
        [units[4]],
        use_from=DAY,
        use_until=DAY + dt.timedelta(days=40),
    )
    return units


class TestQueries:
    @pytest.mark.parametrize("facilities", [1, 20])
    def test_the_day_view_runs_the_same_few_queries_for_one_hall_or_twenty(
        self, client, ukiha, facilities
    ):
        units = city(ukiha, facilities)
        assert len(units) == 5 * facilities
        client.get("/ukiha/availability/", {"date": "2026-06-15"})  # the catalogue is cached
        cold = count_queries(client, "/ukiha/availability/", {"date": DAY.isoformat()})
        warm = count_queries(client, "/ukiha/availability/", {"date": DAY.isoformat()})
        # The municipality (middleware; maintenance windows come from the cache), then
        # occupancy, closures and lottery holds of every facility at once; none of these when
        # warm.
        assert cold == 4
        assert warm == 1
        assert cold <= MAX_QUERIES

    @pytest.mark.parametrize("facilities", [1, 20])
    def test_the_month_calendar_runs_the_same_few_queries_for_one_hall_or_twenty(
        self, client, ukiha, facilities
    ):
        units = city(ukiha, facilities)
        calendar_page(client, units[0], month="2026-07")  # the facility's catalogue is cached
        cold = count_queries(client, "/ukiha/facilities/hall-0/calendar/", {"month": "2026-06"})
        warm = count_queries(client, "/ukiha/facilities/hall-0/calendar/", {"month": "2026-06"})
        assert cold == 4
        assert warm == 1

    def test_a_month_costs_no_more_queries_than_a_day(self, ukiha):
        city(ukiha, 3)
        setup = facility_catalogue(municipality=ukiha, slug="hall-0")
        units = setup.units_of[setup.facilities[0].pk]
        with CaptureQueriesContext(connection) as one_day:
            availability.availability_grid(units=units, start=DAY, end=DAY, setup=setup)
        end = DAY + dt.timedelta(days=30)
        with CaptureQueriesContext(connection) as a_month:
            availability.availability_grid(units=units, start=DAY, end=end, setup=setup)
        assert len(one_day.captured_queries) == len(a_month.captured_queries) == 3

    def test_a_cold_catalogue_adds_a_fixed_number_of_queries(self, client, ukiha):
        city(ukiha, 4)
        first = count_queries(client, "/ukiha/availability/", {"date": DAY.isoformat()})
        assert (
            first == 2 + 5 + 3
        )  # middleware (maintenance windows cold too), catalogue (once per setup change), occupancy

    def test_a_second_read_of_the_month_uses_the_cache(self, client, ukiha):
        units = city(ukiha, 2)
        first = count_queries(client, "/ukiha/facilities/hall-1/calendar/", {"month": "2026-06"})
        second = count_queries(client, "/ukiha/facilities/hall-1/calendar/", {"month": "2026-06"})
        assert second < first
        assert calendar_page(client, units[5]).status_code == 200


class TestChangesShowAtOnce:
    def test_a_booking_shows_at_once_on_the_cached_calendar_page(self, client, ukiha):
        _, whole, *_ = hall(ukiha)
        assert "mark--free" in day_cell(calendar_page(client, whole))
        book_slot(registrant(ukiha), whole, DAY, "all-day")
        assert "mark--full" in day_cell(calendar_page(client, whole))

    def test_a_booking_shows_at_once_on_the_cached_day_view(self, client, ukiha):
        _, whole, half_a, _ = hall(ukiha)
        page = client.get("/ukiha/availability/", {"date": DAY.isoformat()}).content.decode()
        assert page.count("slot--taken") == 0
        book_slot(registrant(ukiha), half_a, DAY, "am")
        page = client.get("/ukiha/availability/", {"date": DAY.isoformat()}).content.decode()
        # 午前 of the half, and 午前, 午前・午後 and 全日 of the whole and of the half.
        assert page.count("slot--taken") > 0
        assert month_mark(whole) is Mark.PARTLY

    def test_a_cancellation_frees_the_cached_day(self, ukiha):
        _, whole, *_ = hall(ukiha)
        person = registrant(ukiha)
        reservation = book_slot(person, whole, DAY, "all-day")
        assert month_mark(whole) is Mark.FULL
        booking.reservation_cancel(reservation=reservation, by=person.user)
        assert month_mark(whole) is Mark.FREE

    def test_a_change_of_nights_shows_at_once(self, ukiha):
        _, room_type = resort(ukiha, rooms=1)
        person = registrant(ukiha)
        reservation = book_stay(person, room_type, DAY, nights=1)
        assert month_mark(room_type, DAY + dt.timedelta(days=1)) is Mark.FREE
        booking.reservation_change_nights(reservation=reservation, nights=2, by=person.user)
        assert month_mark(room_type, DAY + dt.timedelta(days=1)) is Mark.FULL

    def test_a_closure_and_its_removal_show_at_once(self, ukiha):
        facility, whole, *_ = hall(ukiha)
        assert month_mark(whole) is Mark.FREE
        closure = closure_add(
            facility=facility,
            by=f.staff_user(ukiha),
            start_date=DAY,
            end_date=DAY,
            reason="臨時休館",
        )
        assert month_mark(whole) is Mark.CLOSED
        closure_remove(closure=closure, by=f.staff_user(ukiha, login_id="other"))
        assert month_mark(whole) is Mark.FREE

    def test_a_closure_written_outside_the_services_shows_at_once_too(self, ukiha):
        """Any save or delete of a closure (an operator's shell, a cascade) outdates the
        facility's cached availability, not only closure_add and closure_remove."""
        facility, whole, *_ = hall(ukiha)
        assert month_mark(whole) is Mark.FREE
        closure = Closure.objects.create(
            facility=facility, start_date=DAY, end_date=DAY, reason="臨時休館"
        )
        assert month_mark(whole) is Mark.CLOSED
        closure.delete()
        assert month_mark(whole) is Mark.FREE

    def test_a_staff_block_and_its_removal_show_at_once(self, ukiha):
        _, whole, *_ = hall(ukiha)
        assert month_mark(whole) is Mark.FREE
        block = unit_block_create(unit=whole, start_date=DAY, end_date=DAY, by=None, reason="点検")
        assert month_mark(whole) is Mark.FULL
        unit_block_remove(block=block, by=None)
        assert month_mark(whole) is Mark.FREE

    def test_a_new_lottery_round_shows_its_dates_as_lottery_at_once(self, ukiha):
        _, whole, *_ = hall(ukiha)
        assert month_mark(whole) is Mark.FREE
        make_round(ukiha, [whole], use_from=DAY, use_until=DAY)
        assert month_mark(whole) is Mark.LOTTERY

    def test_a_lottery_hold_ends_when_first_come_opens_although_cached(self, ukiha, travel):
        _, whole, *_ = hall(ukiha)
        later = dt.date(2026, 7, 16)
        lottery = make_round(ukiha, [whole], use_from=later, use_until=later)
        assert month_mark(whole, later) is Mark.LOTTERY
        travel(clock.local(lottery.first_come_opens_at).replace(tzinfo=None))
        assert month_mark(whole, later) is Mark.FREE

    def test_a_held_cancelled_win_stays_taken_and_its_release_frees_it(self, ukiha, travel):
        _, whole, *_ = hall(ukiha)
        person = registrant(ukiha)
        reservation = book_slot(person, whole, DAY, "all-day")
        block = UnitBlock.objects.create(
            unit=whole,
            start_date=DAY,
            end_date=DAY,
            reason="当選取消の保留",
            created_at=clock.now(),
            release_at=clock.now() + dt.timedelta(hours=1),
        )
        capacity.hold(reservation, block)
        assert month_mark(whole) is Mark.FULL
        travel(dt.datetime(2026, 6, 1, 12, 0))
        assert lottery_services.release_held_blocks() == 1
        assert month_mark(whole) is Mark.FREE
