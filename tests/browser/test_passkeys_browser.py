"""Passkeys in Chromium with its virtual authenticator (a platform authenticator that keeps
discoverable credentials and verifies the user): a registrant adds one on my page, logs out
and logs in with it; a staff member uses one as the second log-in step."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.reservations.helpers import registrant
from yoyaku.core import clock
from yoyaku.core.models import AuditLog
from yoyaku.security.models import Passkey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server, travel, settings):
    from tests import factories as f

    travel(dt.datetime(2026, 6, 1, 10, 0))
    # localhost is a secure context, so WebAuthn works over plain HTTP on the test server.
    settings.YOYAKU_PASSKEY_RP_ID = "localhost"
    settings.YOYAKU_PASSKEY_ORIGINS = [live_server.url]
    municipality = f.MunicipalityFactory(slug="ukiha", name="うきは市")
    return live_server.url, municipality


def virtual_authenticator(page):
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return session


def test_registrant_adds_a_passkey_logs_out_and_logs_in_with_it(page, world, axe_check):
    base, municipality = world
    person = registrant(municipality, birth_date=dt.date(1985, 4, 12))
    virtual_authenticator(page)

    page.goto(f"{base}/ukiha/login/")
    expect(page.get_by_role("button", name="パスキーでログイン")).to_be_visible()
    page.get_by_label("利用者番号").fill(person.user_number)
    page.get_by_label("パスワード").fill("19850412")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マイページ")

    page.get_by_role("link", name="パスキー", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスキー")
    axe_check(page)
    page.get_by_label(re.compile("パスキーの名前")).fill("自分のパソコン")
    page.get_by_role("button", name="パスキーを登録する").click()
    expect(page.get_by_text("パスキー「自分のパソコン」を登録しました。")).to_be_visible()
    expect(page.get_by_role("rowheader", name="自分のパソコン")).to_be_visible()

    page.get_by_role("button", name="ログアウト").click()
    page.goto(f"{base}/ukiha/login/")
    page.get_by_role("button", name="パスキーでログイン").click()  # no user number typed
    expect(page.get_by_role("heading", level=1)).to_have_text("マイページ")
    expect(page.get_by_text(person.user_number).first).to_be_visible()
    assert Passkey.objects.get().last_used_at is not None
    assert AuditLog.objects.filter(action="passkey.login", actor=person.user).exists()


def test_staff_member_uses_a_passkey_as_the_second_factor(page, world):
    from tests import factories as f

    base, municipality = world
    member = f.staff_user(municipality, login_id="clerk", role="clerk")
    virtual_authenticator(page)

    def password_step():
        page.goto(f"{base}/staff/login/")
        page.get_by_label(re.compile("職員ID")).fill("clerk")
        page.get_by_label(re.compile("パスワード")).fill("staff-pass-1")
        page.get_by_role("button", name="ログイン").click()

    password_step()
    page.get_by_label(re.compile("確認コード")).fill(pyotp.TOTP(member.totp_secret).at(clock.now()))
    page.get_by_role("button", name=re.compile("ログイン")).click()
    page.get_by_role("navigation", name="職員メニュー").get_by_role("link", name="パスキー").click()
    page.get_by_label(re.compile("パスキーの名前")).fill("職員用スマートフォン")
    page.get_by_role("button", name="パスキーを登録する").click()
    expect(page.get_by_role("rowheader", name="職員用スマートフォン")).to_be_visible()
    page.get_by_role("button", name="ログアウト").click()

    password_step()
    expect(page.get_by_role("heading", level=1)).to_have_text("確認コードの入力")
    page.get_by_role("button", name="パスキーで確認する").click()
    expect(page.get_by_role("navigation", name="職員メニュー")).to_be_visible()
    assert AuditLog.objects.filter(
        action="staff.login", actor=member, data__second_factor="passkey"
    ).exists()
