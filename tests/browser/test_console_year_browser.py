"""A year's work in the console, end to end in Chromium (issue 11).

An administrator sets up a meeting room from nothing on the setup pages (its slot schedule, the
facility with online payment required, the unit, the fee table) and a clerk's account for it;
a citizen, in a browser of their own, books the room and pays on the payment sandbox; the
clerk closes the facility for a week with the bulk closure (preview, confirm, the progress
page); the citizen's booking is cancelled free of charge, refunded through the sandbox and
mailed; the utilisation report counted the booked slot before and no longer counts it after,
as the README says (a cancelled reservation is not booked). axe-core checks each console page.
"""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from django.core import mail
from playwright.sync_api import expect

from tests import factories as f
from tests.browser.test_payment_browser import (
    log_in,
    money,
    pay_by_card,
    sandbox,  # noqa: F401 — the fixture (usefixtures below)
    wait_for,
)
from tests.reservations.helpers import registrant
from yoyaku.core import clock
from yoyaku.facilities.models import Unit
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)

USE_DAY = "2026-06-16"  # a Tuesday, two weeks after "now" (Monday 2026-06-01 10:00)
SLOTS = "am 午前 9:00 12:00\npm 午後 13:00 17:00\nnight 夜間 18:00 21:00"


def staff_log_in(page, base, login_id, password, secret, axe_check):
    page.goto(f"{base}/staff/login/")
    axe_check(page)
    page.get_by_label(re.compile("職員ID")).fill(login_id)
    page.get_by_label(re.compile("パスワード")).fill(password)
    page.get_by_role("button", name="ログイン").click()
    axe_check(page)
    page.get_by_label(re.compile("確認コード")).fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name=re.compile("ログイン")).click()
    expect(page.get_by_role("navigation", name="職員メニュー")).to_be_visible()


def first_log_in(page, base, login_id, password, axe_check):
    """A new staff member's first log-in: the authenticator app is set up from the key shown."""
    page.goto(f"{base}/staff/login/")
    page.get_by_label(re.compile("職員ID")).fill(login_id)
    page.get_by_label(re.compile("パスワード")).fill(password)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("認証アプリの設定")
    axe_check(page)
    secret = page.locator("code.totp-secret").inner_text().replace(" ", "")
    page.get_by_label(re.compile("確認コード")).fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="設定してログイン").click()
    expect(page.get_by_role("navigation", name="職員メニュー")).to_be_visible()


def show_report(page, report, table, facility_name, axe_check):
    """The June figures of ``report`` for the facility: the row of ``table`` naming it."""
    page.get_by_role("navigation", name="職員メニュー").get_by_role(
        "link", name="集計・統計"
    ).click()
    axe_check(page)
    page.get_by_role("link", name=report, exact=True).click()
    page.get_by_label(re.compile("期間（から）")).fill("2026-06-01")
    page.get_by_label(re.compile("期間（まで）")).fill("2026-06-30")
    page.get_by_role("combobox", name="施設").select_option(label=facility_name)
    page.get_by_role("button", name="表示する").click()
    row = page.get_by_role("table", name=table).get_by_role("row").nth(1)
    expect(row).to_contain_text(facility_name)
    expect(row).to_contain_text("2026-06")
    axe_check(page)
    return row.locator("td")


def show_utilisation(page, facility_name, axe_check):
    return show_report(page, "利用率", "室場別・月別の利用率", facility_name, axe_check)


def set_up_the_meeting_room(page, axe_check) -> str:
    """The administrator's part on the setup pages; returns the facility's name."""
    page.get_by_role("link", name="施設の設定").click()
    axe_check(page)

    page.get_by_role("link", name="時間区分").click()
    page.get_by_label(re.compile("時間区分の名前")).fill("会議室3区分")
    page.get_by_label(re.compile("^区分")).fill(SLOTS)
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("heading", level=2, name="会議室3区分")).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="施設の設定").first.click()
    page.get_by_role("link", name="施設を登録する").click()
    page.get_by_label(re.compile("URL用の名前")).fill("shimin-center")
    page.get_by_label(re.compile("^施設名")).first.fill("うきは市民センター")
    page.get_by_label(re.compile("取消料の段階")).fill("7 0\n2 50\n0 100")
    axe_check(page)
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("うきは市民センター")

    page.get_by_role("link", name="室場を登録する").click()
    page.get_by_label(re.compile("^室場名")).first.fill("第1会議室")
    page.get_by_label(re.compile("予約の方法")).select_option(label="時間区分")
    page.get_by_label(re.compile("^時間区分")).select_option(label="会議室3区分")
    page.get_by_label(re.compile("^定員")).fill("30")
    axe_check(page)
    page.get_by_role("button", name="保存する").click()

    # Straight on to the fee table: a price a slot for residents and workers, another for
    # everyone else, from today.
    expect(page.get_by_role("heading", level=1)).to_have_text("第1会議室の料金表")
    page.get_by_label(re.compile("適用開始日")).fill("2026-06-01")
    for label, amount in (("午前", 1200), ("午後", 1500), ("夜間", 1500)):
        # One price for all days (全日): the row's first price column.
        page.get_by_role("spinbutton", name=re.compile(f"^{label}（.*区域内.*全日")).fill(
            str(amount)
        )
        page.get_by_role("spinbutton", name=re.compile(f"^{label}（.*区域外.*全日")).fill(
            str(amount * 2)
        )
    axe_check(page)
    page.get_by_role("button", name="料金表を登録する").click()
    expect(page.locator("main")).to_contain_text("料金表を登録しました")

    # The payment settings: online payment required, by card among others.
    page.get_by_label("オンライン決済").select_option(label="オンライン決済で予約確定")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("main")).to_contain_text("施設の設定を保存しました")
    axe_check(page)
    return "うきは市民センター"


@pytest.mark.usefixtures("sandbox")
def test_a_room_set_up_in_the_console_is_booked_paid_closed_refunded_and_reported(
    browser,
    page,
    live_server,
    ukiha,
    travel,
    axe_check,
):
    base = live_server.url
    admin = f.staff_user(ukiha)
    person = registrant(ukiha, birth_date=dt.date(1985, 4, 12))

    # 1. The administrator: the meeting room, its fees and schedule, and a clerk for it.
    staff_log_in(page, base, "admin", "staff-pass-1", admin.totp_secret, axe_check)
    axe_check(page)
    facility_name = set_up_the_meeting_room(page, axe_check)

    page.get_by_role("link", name="職員アカウント").click()
    axe_check(page)
    page.get_by_role("link", name=re.compile("作成")).click()
    page.get_by_label(re.compile("職員ID")).fill("madoguchi")
    page.get_by_label(re.compile("表示名")).fill("窓口　一郎")
    page.get_by_role("radio", name=re.compile("窓口担当者")).check()
    page.get_by_role("checkbox", name=facility_name).check()
    axe_check(page)
    page.get_by_role("button", name="作成").click()
    clerk_password = page.locator(".one-time-password").inner_text().strip()
    axe_check(page)

    # 2. The citizen, in a browser of their own, books the 午前 and pays by card.
    citizen = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    try:
        cpage = citizen.new_page()
        cpage.set_default_timeout(15_000)
        log_in(cpage, base, person)
        room = Unit.objects.get(facility__name=facility_name, name="第1会議室")
        cpage.goto(f"{base}/ukiha/reserve/{room.pk}/?date={USE_DAY}")
        cpage.get_by_role("checkbox", name=re.compile("^午前（9:00～12:00）")).check()
        cpage.get_by_label(re.compile("利用予定人数")).fill("12")
        cpage.get_by_role("button", name="料金を確認する").click()
        cpage.get_by_role("button", name="予約する").click()
        expect(cpage.locator("main")).to_contain_text("支払待ち")
        expect(money(cpage)).to_contain_text("お支払いいただく金額：1,200円")
        cpage.get_by_role("button", name="支払う").click()
        pay_by_card(cpage, "4242 4242 4242 4242")
        expect(cpage.locator("main")).to_contain_text("予約確定")
        reservation_page = cpage.url
        reservation = Reservation.objects.get(registrant=person)

        # The administrator's utilisation report counts the booked slot.
        row = show_utilisation(page, facility_name, axe_check)  # 施設 | 室場 月 可能 済み 率
        expect(row.nth(3)).to_have_text("1")  # 予約済みコマ数

        # 3. The clerk closes the facility for a week.
        page.get_by_role("button", name="ログアウト").click()
        first_log_in(page, base, "madoguchi", clerk_password, axe_check)
        axe_check(page)
        page.get_by_role("link", name="一括休館").click()
        page.get_by_label(re.compile("^施設")).select_option(label=facility_name)
        page.get_by_label(re.compile("開始日")).fill("2026-06-15")
        page.get_by_label(re.compile("終了日")).fill("2026-06-21")
        page.get_by_label(re.compile("理由")).fill("空調設備の改修")
        axe_check(page)
        page.get_by_role("button", name="影響を確認する").click()
        preview = page.get_by_role("table", name="取り消す予約（取消料なし）")
        expect(preview).to_contain_text(reservation.number)
        expect(preview).to_contain_text("1,200円")
        axe_check(page)
        page.get_by_role("button", name="休館にして、予約を取り消す").click()

        # The progress page refreshes itself (a meta refresh) until the job is done. In tests
        # the task runs as the confirming request commits, so it is often done at once.
        expect(page.get_by_role("heading", level=1)).to_have_text("一括休館の状況")
        expect(page.get_by_role("status")).to_contain_text(
            "完了しました。予約1件を取り消し", timeout=30_000
        )
        expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
        axe_check(page)

        # The clerk sees the booking cancelled for the facility's reason, and refunded.
        page.goto(f"{base}/staff/reservations/{reservation.pk}/")
        expect(page.locator("main")).to_contain_text("取消（空調設備の改修）")
        wait_for(page, "返金", where="table:has(caption:text('会計記録'))")
        axe_check(page)

        # 4. The citizen's booking: cancelled, refunded through the sandbox, mailed.
        cpage.goto(reservation_page)
        expect(cpage.locator("main")).to_contain_text("取消")
        wait_for(cpage, "返金 1,200円（返金済み）", where="section[aria-labelledby=money-heading]")
        cancelled = [m for m in mail.outbox if "予約を取り消しました" in m.subject]
        assert [m.to for m in cancelled] == [[person.user.email]]
        assert "空調設備の改修" in cancelled[0].body
        assert "取消料：0円" in cancelled[0].body
        refunded = [m for m in mail.outbox if "返金しました" in m.subject]
        assert [m.to for m in refunded] == [[person.user.email]]
    finally:
        citizen.close()

    # 5. The report no longer counts it, and the closed week is not bookable. (Half an hour
    # later: a confirmation code is accepted once, and the clock stands still in tests.)
    page.get_by_role("button", name="ログアウト").click()
    travel(dt.datetime(2026, 6, 1, 10, 30))
    staff_log_in(page, base, "admin", "staff-pass-1", admin.totp_secret, axe_check)
    row = show_utilisation(page, facility_name, axe_check)
    expect(row.nth(2)).to_have_text(str((30 - 7) * 3))  # 予約可能コマ数: a week closed
    expect(row.nth(3)).to_have_text("0")  # 予約済みコマ数
    # The cancellation is the staff's; the money came in and went back the same month.
    row = show_report(
        page, "取消と無断不使用", "取消と無断不使用（利用月別）", facility_name, axe_check
    )
    expect(row.nth(1)).to_have_text("1")  # 予約数
    expect(row.nth(2)).to_have_text("0")  # 本人の取消
    expect(row.nth(3)).to_have_text("1")  # 職員の取消
    row = show_report(
        page, "使用料・返金・減免", "使用料・返金・減免（月別）", facility_name, axe_check
    )
    expect(row.nth(2)).to_have_text("1,200")  # 収入
    expect(row.nth(3)).to_have_text("1,200")  # 返金
    expect(row.nth(4)).to_have_text("0")  # 差引
