"""キャンセル待ち in Chromium: a citizen joins the waitlist of a taken slot, another citizen
cancels, the first sees the offer on my page, accepts it and ends with a reservation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.reservations.helpers import book_slot, hall, registrant

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, base, person, password):
    page.goto(f"{base}/ukiha/login/")
    page.get_by_label("利用者番号").fill(person.user_number)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マイページ")


def test_join_cancel_offer_accept(browser, live_server, travel, axe_check):
    from tests import factories as f

    travel(dt.datetime(2026, 6, 1, 10, 0))
    municipality = f.MunicipalityFactory(slug="ukiha", name="うきは市")
    _, whole, *_ = hall(municipality)
    owner = registrant(municipality, birth_date=dt.date(1979, 3, 3))
    waiter = registrant(municipality, birth_date=dt.date(1985, 4, 12))
    taken = book_slot(owner, whole, dt.date(2026, 6, 16), "am")
    base = live_server.url

    # The waiter finds 午前 taken and joins its waitlist from the booking page.
    citizen = browser.new_context(locale="ja-JP").new_page()
    log_in(citizen, base, waiter, "19850412")
    citizen.goto(f"{base}/ukiha/reserve/{whole.pk}/?date=2026-06-16")
    citizen.get_by_role("checkbox", name=re.compile("^午前（9:00～12:00）")).check()
    citizen.get_by_label(re.compile("利用予定人数")).fill("12")
    citizen.get_by_role("button", name="キャンセル待ちに登録").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("キャンセル待ち")
    expect(citizen.locator("main")).to_contain_text("キャンセル待ち中")
    axe_check(citizen)

    # The owner cancels in their own browser.
    other = browser.new_context(locale="ja-JP").new_page()
    log_in(other, base, owner, "19790303")
    other.goto(f"{base}/ukiha/reservations/{taken.pk}/")
    other.get_by_role("link", name="取消の手続きへ").click()
    other.get_by_label(re.compile("この予約を取り消します")).check()
    other.get_by_role("button", name="取り消す").click()
    expect(other.locator("main [role=status]")).to_contain_text("予約を取り消しました")

    # The waiter sees the offer on my page and accepts it.
    citizen.goto(f"{base}/ukiha/mypage/")
    citizen.get_by_role("link", name="キャンセル待ち").click()
    expect(citizen.locator("main")).to_contain_text("空きが出ました")
    axe_check(citizen)
    citizen.get_by_role("button", name="受ける").click()
    expect(citizen.locator("main [role=status]")).to_contain_text("キャンセル待ちの案内を受け")
    expect(citizen.locator("main")).to_contain_text("予約確定")
    expect(citizen.locator("main")).to_contain_text("午前")
