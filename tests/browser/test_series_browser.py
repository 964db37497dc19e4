"""A registered group books a season (定期利用) in Chromium: the series form, the preview with
a date already taken, 空いている日をまとめて予約, and the bundle under my page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_booking_browser import log_in
from tests.reservations.helpers import book_slot, group, hall, registrant
from yoyaku.reservations.models import ReservationBundle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server, travel):
    from tests import factories as f

    travel(dt.datetime(2026, 6, 1, 10, 0))
    municipality = f.MunicipalityFactory(slug="ukiha", name="うきは市")
    _, whole, *_ = hall(municipality)
    club = group(municipality, name="うきは卓球クラブ")
    club.birth_date = dt.date(1985, 4, 12)
    club.save(update_fields=["birth_date"])
    club.user.set_password("19850412")
    club.user.save()
    book_slot(registrant(municipality), whole, dt.date(2026, 6, 16), "night")
    return live_server.url, whole, club


def test_a_group_books_the_free_tuesdays_of_a_season(page, world, axe_check):
    base, whole, club = world
    log_in(page, base, club)
    page.get_by_role("link", name=re.compile("予約のまとまり")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("予約のまとまり")
    page.get_by_role("link", name="定期利用を申し込む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("定期利用の申込み")

    page.get_by_label("室場").select_option(str(whole.pk))
    page.get_by_role("checkbox", name="火曜日").check()
    page.get_by_role("checkbox", name=re.compile("^夜間")).check()
    page.get_by_label("開始日").fill("2026-06-09")
    page.get_by_label("終了日").fill("2026-06-30")
    page.get_by_label(re.compile("利用予定人数")).fill("12")
    page.get_by_label(re.compile("名称")).fill("卓球クラブ 夜間練習")
    page.get_by_role("button", name="空き状況を確認する").click()

    table = page.locator("table.series-preview")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table.locator("tr", has_text="2026年6月16日")).to_contain_text("予約済み")
    expect(table.locator("tr", has_text="2026年6月23日")).to_contain_text("空き")
    expect(table.locator("tfoot")).to_contain_text("7,800円")
    axe_check(page)
    page.get_by_role("button", name="空いている日をまとめて予約").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("予約のまとまり B2026-")
    expect(page.locator("main")).to_contain_text("3件の予約を、まとめて受け付けました。")
    items = page.locator("table.bundle-items tbody tr")
    expect(items).to_have_count(3)
    expect(page.locator("main")).to_contain_text("7,800円")
    axe_check(page)

    page.get_by_role("link", name="予約のまとまりの一覧").click()
    expect(page.locator("main")).to_contain_text("卓球クラブ 夜間練習")
    assert ReservationBundle.objects.get().items.count() == 3
