"""A registrant applies to a lottery with three ranked choices; the clock draws; the winner
confirms; after first-come opens, the dates nobody won are bookable — in Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests import factories as f
from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import registrant, resort
from yoyaku.scheduling.services import scheduler_tick

pytestmark = pytest.mark.django_db(transaction=True)


def test_apply_draw_confirm_and_book_what_is_left(page, live_server, travel, minato, axe_check):
    travel(dt.datetime(2026, 6, 2, 10, 0))
    _, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type])
    person = registrant(minato, birth_date=dt.date(1985, 4, 12))
    base = live_server.url

    def log_in():
        page.goto(f"{base}/minato/login/")
        page.get_by_label("利用者番号").fill(person.user_number)
        page.get_by_label("パスワード").fill("19850412")
        page.get_by_role("button", name="ログイン", exact=True).click()

    log_in()
    page.goto(f"{base}/minato/lottery/")
    page.get_by_role("link", name=lottery.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lottery.name)
    axe_check(page)
    for rank, day in ((1, "2026-08-08"), (2, "2026-08-15"), (3, "2026-08-22")):
        group = page.get_by_role("group", name=re.compile(f"第{rank}希望"))
        group.get_by_label(re.compile("^室場")).select_option(
            label=f"{room_type.facility.name} {room_type.name}"
        )
        group.get_by_label(re.compile("^利用日")).fill(day)
        group.get_by_label(re.compile("^宿泊数")).fill("2")
    page.get_by_role("button", name="抽選に申し込む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("抽選申込み内容の確認・取消")
    expect(page.locator("main")).to_contain_text("2026年8月22日")
    axe_check(page)

    # The clock reaches the drawing time; two staff members have entered and confirmed the
    # public value; the scheduler draws by itself.
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_value_confirmed(lottery)
    assert f"lottery.draw.{lottery.pk}" in scheduler_tick()

    # Three weeks later the session has ended (14 idle days at most): log in again.
    log_in()
    page.goto(f"{base}/minato/lottery/results/")
    expect(page.locator("main")).to_contain_text("当選")
    axe_check(page)
    page.get_by_role("button", name="当選を確認して予約を確定する").click()
    expect(page.locator("main")).to_contain_text("予約確定")

    # First-come opens: a date of the round that nobody won is bookable.
    travel(dt.datetime(2026, 7, 1, 9, 0))
    page.goto(f"{base}/minato/reserve/{room_type.pk}/?date=2026-08-29")
    page.get_by_label("宿泊数").select_option("1")
    page.get_by_role("button", name="料金を確認する").click()
    page.get_by_role("button", name="予約する").click()
    expect(page.locator("main")).to_contain_text("予約確定")
