"""A visitor on a desktop and on a 360 px phone: font size, calendars, accessibility."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from yoyaku.core import clock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(live_server):
    call_command("load_demo", verbosity=0)
    return live_server.url


def test_top_font_size_calendar_next_month_and_axe(page, demo, axe_check):
    page.goto(f"{demo}/ukiha/")
    expect(page.get_by_role("heading", level=1)).to_have_text("うきは市公共施設予約システム")
    header_colour = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert header_colour == "rgb(13, 59, 102)", "the stylesheet did not load"
    axe_check(page)

    page.get_by_role("link", name="文字サイズ 大").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bfs-large\b"))
    page.get_by_role("link", name="施設一覧・月間カレンダー").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bfs-large\b"))  # remembered
    axe_check(page)

    page.get_by_role("link", name="うきは市吉井体育センターの空き状況カレンダー").click()
    this_month = clock.today().replace(day=1)
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    caption = page.locator("table.calendar caption")
    expect(caption).to_contain_text(f"{this_month.year}年{this_month.month}月")
    axe_check(page)

    page.get_by_role("link", name=re.compile("次の月")).click()
    expect(caption).to_contain_text(f"{next_month.year}年{next_month.month}月")
    assert f"month={next_month:%Y-%m}" in page.url
    axe_check(page)

    page.get_by_role("link", name="アリーナ半面A").click()
    expect(caption).to_contain_text("アリーナ半面A")


def test_day_view_and_facility_detail_pass_axe(page, demo, axe_check):
    page.goto(f"{demo}/minato/availability/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("空き状況")
    axe_check(page)
    page.goto(f"{demo}/minato/facilities/")
    page.get_by_role("link", name="大平台みなと荘", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("大平台みなと荘")
    axe_check(page)
    page.goto(f"{demo}/ukiha/login/")
    axe_check(page)


def test_english_switch_without_javascript(browser, demo):
    context = browser.new_context(java_script_enabled=False, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{demo}/ukiha/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Notices")).to_be_visible()
    page.get_by_role("link", name="Font size large").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bfs-large\b"))
    context.close()


def test_calendar_fits_a_360px_phone(phone, demo, axe_check):
    phone.goto(f"{demo}/ukiha/facilities/")
    phone.get_by_role("link", name="うきは市文化会館の空き状況カレンダー").click()
    expect(phone.locator("table.calendar")).to_be_visible()
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the phone"
    axe_check(phone)
