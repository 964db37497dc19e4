"""A registrant books a hall slot and a two-night stay, extends it, changes the party, cancels
and sees the cancellation fee — in Chromium, with axe-core on the booking pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.reservations.helpers import hall, registrant, resort
from yoyaku.core import clock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server, travel):
    from tests import factories as f

    travel(dt.datetime(2026, 6, 1, 10, 0))
    municipality = f.MunicipalityFactory(slug="ukiha", name="うきは市")
    _, whole, *_ = hall(municipality)
    _facility, room_type = resort(municipality)
    person = registrant(municipality, birth_date=dt.date(1985, 4, 12))
    return live_server.url, municipality, whole, room_type, person


def log_in(page, base, person):
    page.goto(f"{base}/ukiha/login/")
    page.get_by_label("利用者番号").fill(person.user_number)
    page.get_by_label("パスワード").fill("19850412")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マイページ")


def test_book_extend_change_and_cancel(page, world, axe_check):
    base, _municipality, whole, room_type, person = world
    assert clock.today() == dt.date(2026, 6, 1)
    log_in(page, base, person)

    # A hall slot, from the day view.
    page.goto(f"{base}/ukiha/availability/?date=2026-06-16")
    page.get_by_role("link", name=re.compile(rf"予約する.*{whole.name}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("予約の申込み")
    axe_check(page)
    page.get_by_role("checkbox", name=re.compile("^午前（9:00～12:00）")).check()
    page.get_by_label(re.compile("利用予定人数")).fill("20")
    page.get_by_role("button", name="料金を確認する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("予約内容の確認")
    expect(page.locator("table.fee-table tfoot")).to_contain_text("2,000円")
    axe_check(page)
    page.get_by_role("button", name="予約する").click()
    expect(page.locator("main")).to_contain_text("予約確定")

    # A two-night stay for two adults.
    page.goto(f"{base}/ukiha/reserve/{room_type.pk}/?date=2026-06-16")
    page.get_by_label("宿泊数").select_option("2")
    page.get_by_role("button", name="料金を確認する").click()
    expect(page.locator("table.fee-table tfoot")).to_contain_text("24,000円")
    page.get_by_role("button", name="予約する").click()
    expect(page.locator("main")).to_contain_text("2泊・1室")
    axe_check(page)

    # Extend to three nights: the new fee and the difference are shown first.
    page.get_by_label("宿泊数").select_option("3")
    page.get_by_role("button", name="変更後の料金を確認").first.click()
    expect(page.locator("main")).to_contain_text("36,000円")
    expect(page.locator("main")).to_contain_text("12,000円の追加")
    page.get_by_role("button", name="変更する").click()
    expect(page.locator("main")).to_contain_text("3泊・1室")

    # Add a child: party size change.
    page.get_by_label("子ども（4歳以上）").fill("1")
    page.get_by_role("button", name="変更後の料金を確認").nth(1).click()
    expect(page.locator("main")).to_contain_text("9,000円の追加")
    page.get_by_role("button", name="変更する").click()
    expect(page.locator("main")).to_contain_text("子ども1名")

    # Cancel the stay: the fee is shown before confirming (15 days ahead: free).
    page.get_by_role("link", name="取消の手続きへ").click()
    expect(page.locator("main")).to_contain_text("取消料：使用料の0%（0円）")
    axe_check(page)
    page.get_by_label(re.compile("この予約を取り消します")).check()
    page.get_by_role("button", name="取り消す").click()
    expect(page.locator("main [role=status]")).to_contain_text("予約を取り消しました。取消料：0円")
    expect(page.get_by_role("region", name="取消・不許可")).to_contain_text(room_type.facility.name)
    axe_check(page)


def test_a_hall_booking_waits_for_staff_who_approve_it(browser, live_server, travel, axe_check):
    """Ukiha art. 9.2: the citizen's booking is 審査中 until a clerk gives permission."""
    import pyotp

    from tests import factories as f
    from yoyaku.core.models import User

    travel(dt.datetime(2026, 6, 1, 10, 0))
    municipality = f.MunicipalityFactory(slug="ukiha", name="うきは市")
    _, whole, *_ = hall(municipality, requires_approval=True)
    person = registrant(municipality, birth_date=dt.date(1985, 4, 12))
    clerk = f.staff_user(municipality, login_id="bunka")

    citizen = browser.new_context(locale="ja-JP").new_page()
    log_in(citizen, live_server.url, person)
    citizen.goto(f"{live_server.url}/ukiha/reserve/{whole.pk}/?date=2026-06-16")
    citizen.get_by_role("checkbox", name=re.compile("^夜間")).check()
    citizen.get_by_label(re.compile("利用予定人数")).fill("8")
    citizen.get_by_role("button", name="料金を確認する").click()
    citizen.get_by_role("button", name="予約する").click()
    expect(citizen.locator("main")).to_contain_text("審査中")

    staff = browser.new_context(locale="ja-JP").new_page()
    staff.goto(f"{live_server.url}/staff/login/")
    staff.get_by_label(re.compile("職員ID")).fill("bunka")
    staff.get_by_label(re.compile("パスワード")).fill("staff-pass-1")
    staff.get_by_role("button", name="ログイン").click()
    secret = User.objects.get(pk=clerk.pk).totp_secret
    staff.get_by_label(re.compile("確認コード")).fill(pyotp.TOTP(secret).at(clock.now()))
    staff.get_by_role("button", name="ログイン").click()
    staff.goto(f"{live_server.url}/staff/reservations/queue/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("予約の審査（許可待ち）")
    axe_check(staff)
    staff.get_by_role("button", name="許可する").click()

    citizen.reload()
    expect(citizen.locator("main")).to_contain_text("予約確定")
    expect(citizen.get_by_role("link", name="使用許可書（PDF）")).to_be_visible()


def test_a_booking_sent_with_mistakes_puts_the_focus_on_the_error_summary(page, world, axe_check):
    base, _municipality, whole, _room_type, person = world
    log_in(page, base, person)
    page.goto(f"{base}/ukiha/reserve/{whole.pk}/?date=2026-06-16")
    page.get_by_label(re.compile("利用予定人数")).fill("0")
    page.get_by_role("button", name="料金を確認する").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("時間区分"))).to_have_attribute(
        "href", "#id_slots"
    )
    summary.get_by_role("link", name=re.compile("利用予定人数")).click()
    expect(page.get_by_label(re.compile("利用予定人数"))).to_be_focused()
    axe_check(page)
