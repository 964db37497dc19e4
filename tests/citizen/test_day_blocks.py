"""The day view folds each facility to one line and keeps every facility's block in the cache:
a change to one facility shows at once in its block and leaves the other blocks as cached; the
clock (a day becoming past, a lottery hold ending) and the language are respected."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import book_slot, hall, registrant
from yoyaku.facilities.services.fees import closure_add
from yoyaku.reservations import booking

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 16)  # two weeks after "now" (2026-06-01 10:00)
BLOCK = "citizen/_facility_day.html"


def day_view(client, day=DAY, **params):
    response = client.get("/ukiha/availability/", {"date": day.isoformat(), **params})
    assert response.status_code == 200
    return response


def rendered_blocks(response) -> int:
    """How many facility blocks this request rendered (the others came from the cache)."""
    return sum(1 for template in response.templates if template.name == BLOCK)


def block(response, facility) -> str:
    """The HTML of one facility's block on the page."""
    body = response.content.decode()
    found = re.search(rf'<section [^>]*id="facility-{facility.pk}".*?</section>', body, re.S)
    assert found, f"no block for {facility}"
    return found.group(0)


@pytest.fixture
def halls(ukiha):
    """Three halls (an arena in halves each): the day view folds them."""
    return [hall(ukiha, name=f"会館{n}") for n in range(3)]


class TestFolding:
    def test_a_long_list_shows_each_facility_as_one_line_linking_to_its_units(self, client, halls):
        page = day_view(client, kind="hall")
        body = page.content.decode()
        assert body.count('class="panel facility-day facility-day--folded"') == 3
        assert "day-row" not in body, "no unit row is sent for a folded facility"
        first = halls[0][0]
        assert "予約できる室場 3／3" in block(page, first)
        link = f'href="?date={DAY.isoformat()}&amp;kind=hall&amp;facility={first.pk}#facility-{first.pk}"'
        assert link in block(page, first), "the link keeps the date and the filters"

    def test_the_linked_facility_shows_its_units_and_the_others_stay_folded(self, client, halls):
        first, second = halls[0][0], halls[1][0]
        page = day_view(client, facility=first.pk)
        assert "facility-day--open" in block(page, first)
        assert block(page, first).count('class="day-row"') == 3
        assert "facility-day--folded" in block(page, second)
        assert "予約する" in block(page, first)

    def test_two_facilities_or_fewer_are_shown_open(self, client, ukiha):
        facility, *_ = hall(ukiha)
        page = day_view(client)
        assert "facility-day--open" in block(page, facility)


class TestOneFacilityChanges:
    def test_a_warm_page_renders_no_block(self, client, halls):
        assert rendered_blocks(day_view(client)) == 3
        assert rendered_blocks(day_view(client)) == 0

    def test_a_booking_changes_that_facilitys_block_at_once_and_only_it_is_rendered(
        self, client, halls
    ):
        (first, whole, *_), (second, *_) = halls[0], halls[1]
        day_view(client, facility=first.pk)
        book_slot(registrant(first.municipality), whole, DAY, "all-day")
        page = day_view(client, facility=first.pk)
        assert rendered_blocks(page) == 1
        # The whole arena and both halves are taken for the day.
        assert "予約できる室場 0／3" in block(page, first)
        assert "予約する" not in block(page, first)
        assert "予約できる室場 3／3" in block(page, second)

    def test_bookings_on_two_facilities_one_after_the_other_show_each_in_its_own_block(
        self, client, halls
    ):
        (first, first_whole, *_), (second, second_whole, *_), (third, *_) = halls
        day_view(client)
        book_slot(registrant(first.municipality), first_whole, DAY, "all-day")
        day_view(client)
        book_slot(registrant(first.municipality), second_whole, DAY, "all-day")
        page = day_view(client)
        assert rendered_blocks(page) == 1
        assert "会館0" in block(page, first) and "予約できる室場 0／3" in block(page, first)
        assert "会館1" in block(page, second) and "予約できる室場 0／3" in block(page, second)
        assert "会館2" in block(page, third) and "予約できる室場 3／3" in block(page, third)

    def test_a_cancellation_frees_the_cached_block(self, client, halls):
        first, whole, *_ = halls[0]
        person = registrant(first.municipality)
        reservation = book_slot(person, whole, DAY, "all-day")
        assert "予約できる室場 0／3" in block(day_view(client), first)
        booking.reservation_cancel(reservation=reservation, by=person.user)
        page = day_view(client)
        assert rendered_blocks(page) == 1
        assert "予約できる室場 3／3" in block(page, first)

    def test_a_closure_shows_at_once_on_the_open_block(self, client, halls):
        first, *_ = halls[0]
        assert "臨時休館" not in block(day_view(client, facility=first.pk), first)
        closure_add(
            facility=first,
            by=f.staff_user(first.municipality),
            start_date=DAY,
            end_date=DAY,
            reason="臨時休館",
        )
        page = day_view(client, facility=first.pk)
        # A closure is also part of the booking rules' setup (setup:<municipality>), so every
        # block of the municipality is drawn again: rare, and never stale.
        assert rendered_blocks(page) == len(halls)
        assert block(page, first).count("臨時休館") == 3
        assert "予約できる室場 0／3" in block(page, first)

    def test_the_page_runs_the_same_few_queries_after_a_booking_whatever_the_size(
        self, client, halls
    ):
        day_view(client)
        first, whole, *_ = halls[0]
        book_slot(registrant(first.municipality), whole, DAY, "am")
        with CaptureQueriesContext(connection) as queries:
            day_view(client)
        # The municipality (maintenance windows come from the cache), then occupancy,
        # closures and lottery holds of the one changed facility.
        assert len(queries.captured_queries) == 4
        with CaptureQueriesContext(connection) as queries:
            day_view(client)
        assert len(queries.captured_queries) == 1


class TestTheClock:
    def test_a_day_that_becomes_past_is_shown_past_although_cached(self, client, halls, travel):
        first, *_ = halls[0]
        today = dt.date(2026, 6, 1)
        page = day_view(client, day=today, facility=first.pk)
        assert "過去の日付" not in block(page, first)
        assert "予約する" in block(page, first)
        travel(dt.datetime(2026, 6, 1, 23, 59))
        assert rendered_blocks(day_view(client, day=today, facility=first.pk)) == 0
        travel(dt.datetime(2026, 6, 2, 0, 0))
        page = day_view(client, day=today, facility=first.pk)
        assert rendered_blocks(page) == 3
        assert block(page, first).count("過去の日付") == 3
        assert "予約する" not in block(page, first)

    def test_a_lottery_hold_ends_on_the_cached_block_when_first_come_opens(
        self, client, halls, travel
    ):
        first, whole, *_ = halls[0]
        later = dt.date(2026, 7, 16)
        lottery = make_round(first.municipality, [whole], use_from=later, use_until=later)
        page = day_view(client, day=later, facility=first.pk)
        assert "抽選受付期間" in block(page, first)
        travel(lottery.first_come_opens_at - dt.timedelta(minutes=1))
        assert "抽選受付期間" in block(day_view(client, day=later, facility=first.pk), first)
        travel(lottery.first_come_opens_at)
        page = day_view(client, day=later, facility=first.pk)
        assert "抽選受付期間" not in block(page, first)
        assert "予約できる室場 3／3" in block(page, first)


class TestWhatABlockHolds:
    def test_english_and_japanese_blocks_are_not_mixed(self, client, halls):
        first, *_ = halls[0]
        japanese = block(day_view(client, facility=first.pk), first)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = block(day_view(client, facility=first.pk), first)
        assert "予約する" in japanese and "アリーナ全面" in japanese
        assert "予約する" not in english and "Arena (whole)" in english
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
        assert block(day_view(client, facility=first.pk), first) == japanese

    def test_a_logged_in_registrant_gets_the_same_blocks_as_anyone_without_a_token(
        self, client, halls
    ):
        first, *_ = halls[0]
        anyone = day_view(client, facility=first.pk)
        client.force_login(registrant(first.municipality).user)
        theirs = day_view(client, facility=first.pk)
        assert rendered_blocks(theirs) == 0
        assert block(theirs, first) == block(anyone, first)
        assert "csrfmiddlewaretoken" not in block(theirs, first)
        assert "nonce" not in block(theirs, first)
