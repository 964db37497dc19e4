"""The month calendar's table is kept in the cache: a booking shows at once, a day that becomes
past is shown past, languages are not mixed, and nothing personal is kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import book_slot, hall, registrant

pytestmark = pytest.mark.django_db

TABLE = "citizen/_month_table.html"


def month_page(client, facility, unit, month="2026-06"):
    response = client.get(
        f"/ukiha/facilities/{facility.slug}/calendar/", {"month": month, "unit": unit.pk}
    )
    assert response.status_code == 200
    return response


def rendered(response) -> bool:
    """Whether this request rendered the table (rather than taking it from the cache)."""
    return any(template.name == TABLE for template in response.templates)


def cell(response, day: int) -> str:
    """The HTML of one day's cell of the table."""
    body = response.content.decode()
    start = body.index(f'<span class="day__num">{day}<')
    return body[body.rindex("<td", 0, start) : body.index("</td>", start)]


@pytest.fixture
def arena(ukiha):
    facility, whole, *_ = hall(ukiha)
    return facility, whole


def test_the_second_visitor_gets_the_table_from_the_cache(client, arena):
    facility, whole = arena
    assert rendered(month_page(client, facility, whole))
    assert not rendered(month_page(client, facility, whole))


def test_a_booking_shows_at_once_on_the_cached_table(client, arena):
    facility, whole = arena
    assert "mark-cell--free" in cell(month_page(client, facility, whole), 16)
    book_slot(registrant(facility.municipality), whole, dt.date(2026, 6, 16), "all-day")
    page = month_page(client, facility, whole)
    assert rendered(page)
    assert "mark-cell--full" in cell(page, 16)


def test_a_day_that_becomes_past_is_shown_past_although_cached(client, arena, travel):
    facility, whole = arena
    assert "day__link" in cell(month_page(client, facility, whole), 1)
    travel(dt.datetime(2026, 6, 1, 23, 59))
    assert not rendered(month_page(client, facility, whole))
    travel(dt.datetime(2026, 6, 2, 0, 0))
    page = month_page(client, facility, whole)
    assert rendered(page)
    assert "day__link" not in cell(page, 1)
    assert "day__link" in cell(page, 2)


def test_a_lottery_hold_ends_on_the_cached_table_when_first_come_opens(client, arena, travel):
    facility, whole = arena
    later = dt.date(2026, 7, 16)
    lottery = make_round(facility.municipality, [whole], use_from=later, use_until=later)
    assert "抽選受付期間" in cell(month_page(client, facility, whole, "2026-07"), 16)
    travel(lottery.first_come_opens_at)
    assert "抽選受付期間" not in cell(month_page(client, facility, whole, "2026-07"), 16)


def test_english_and_japanese_tables_are_not_mixed(client, arena):
    facility, whole = arena
    japanese = month_page(client, facility, whole).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = month_page(client, facility, whole).content.decode()
    assert "の空き状況</caption>" in japanese
    assert "の空き状況</caption>" not in english


def test_a_table_cached_for_a_logged_in_registrant_holds_nothing_of_theirs(client, arena):
    """The logged-in registrant fills the cache first; the next visitor is served that table."""
    facility, whole = arena
    person = registrant(facility.municipality)
    client.force_login(person.user)
    assert rendered(month_page(client, facility, whole))
    client.logout()
    page = month_page(client, facility, whole)
    assert not rendered(page)
    body = page.content.decode()
    table = body[body.index('<div class="table-wrap">') : body.index("</table>")]
    assert person.name not in body and person.user_number not in table
    assert "csrfmiddlewaretoken" not in table
