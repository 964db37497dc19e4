"""The public day view on a 360 px phone: every facility is one line linking to its units, an
opened one shows its units as cards with the names written out, and axe-core finds nothing to
report. Everything works without JavaScript (plain links)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(live_server):
    call_command("load_demo", verbosity=0)
    return live_server.url


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_ukihas_day_view_on_a_phone_folds_facilities_and_writes_unit_names_out(
    phone, demo, axe_check
):
    phone.goto(f"{demo}/ukiha/availability/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("空き状況")
    facilities = phone.locator("section.facility-day--folded")
    assert facilities.count() >= 8, "the Ukiha demo has many facilities"
    assert phone.locator("tr.day-row").count() == 0, "no unit is sent for a folded facility"
    assert _height(phone) < 4000, f"the folded day view is {_height(phone)}px tall"
    assert _overflow(phone) <= 0
    axe_check(phone)
    facilities_count = facilities.count()

    # Open one facility: its units are cards, each name on a line of its own, not a letter a line.
    phone.get_by_role("link", name="うきは市文化会館", exact=True).click()
    hall = phone.locator("section.facility-day--open")
    expect(hall).to_have_count(1)
    expect(hall.locator("h2")).to_have_text("うきは市文化会館")
    assert phone.locator("section.facility-day--folded").count() == facilities_count - 1
    names = hall.locator("th.day-row__unit")
    assert names.count() >= 3
    font = phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    for box in (names.nth(i).bounding_box() for i in range(names.count())):
        assert box["width"] >= 8 * font, f"a unit name cell is only {box['width']}px wide"
        assert box["height"] < 3 * font, "a unit name wraps over several lines"
    book = hall.get_by_role("link", name=re.compile("^予約する")).first
    assert book.bounding_box()["width"] >= 200, "予約する stays one readable button"
    assert _overflow(phone) <= 0
    axe_check(phone)


def test_a_day_linked_from_a_calendar_opens_that_facility(phone, demo):
    phone.goto(f"{demo}/ukiha/facilities/")
    phone.get_by_role("link", name="うきは市文化会館の空き状況カレンダー").click()
    phone.locator("a.day__link").first.click()
    expect(phone.locator("section.facility-day--open")).to_have_count(1)
    expect(phone.locator("section.facility-day--open h2")).to_have_text("うきは市文化会館")


def test_the_day_view_opens_a_facility_without_javascript(browser, demo):
    context = browser.new_context(java_script_enabled=False, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{demo}/ukiha/availability/?kind=hall")
    page.get_by_role("link", name="うきは市文化会館", exact=True).click()
    expect(page.locator("section.facility-day--open h2")).to_have_text("うきは市文化会館")
    assert "kind=hall" in page.url, "the filter stays in the query string"
    page.get_by_role("link", name="次の日 →").click()
    expect(page.locator("section.facility-day--open h2")).to_have_text("うきは市文化会館")
    context.close()
