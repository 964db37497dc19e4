"""The staff console: log-in, notices and maintenance, least privilege, audit log."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from tests import factories as f
from yoyaku.core import clock
from yoyaku.core.models import AuditLog, MaintenanceWindow, Notice, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    return f.MunicipalityFactory(slug="ukiha")


def login(client, municipality, login_id="admin", password="staff-pass-1"):
    """Password, then the authenticator's current code; returns the last response."""
    response = client.post(
        "/staff/login/",
        {"municipality": municipality.pk, "login_id": login_id, "password": password},
    )
    if response.status_code != 302 or response["Location"] != "/staff/login/otp/":
        return response
    user = User.objects.get(municipality=municipality, kind=User.Kind.STAFF, login_id=login_id)
    code = pyotp.TOTP(user.totp_secret).at(clock.now())
    return client.post("/staff/login/otp/", {"code": code})


def test_staff_log_in_with_municipality_id_and_password(client, city):
    f.staff_user(city)
    response = login(client, city)
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="staff.login").count() == 1


def test_wrong_password_keeps_the_form_and_says_why(client, city):
    f.staff_user(city)
    response = login(client, city, password="wrong")
    assert response.status_code == 200
    body = response.content.decode()
    assert "職員IDまたはパスワードが正しくありません。" in body
    assert 'value="admin"' in body


def test_staff_of_another_municipality_cannot_log_in_here(client, city):
    other = f.MunicipalityFactory(slug="minato")
    f.staff_user(other)
    assert login(client, city).status_code == 200  # refused, form shown again


def test_console_needs_a_staff_log_in(client, city):
    response = client.get("/staff/notices/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_admin_publishes_a_notice_that_appears_on_the_top_page(client, city):
    admin = f.staff_user(city)
    login(client, city)
    response = client.post(
        "/staff/notices/new/",
        {
            "title": "体育センター点検のお知らせ",
            "body": "<p>6月10日は<strong>点検</strong>のため休館します。</p><script>x()</script>",
            "published_at": "2026-06-01T09:00",
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert "<script>" not in notice.body
    assert notice.created_by == admin
    assert AuditLog.objects.filter(action="notice.publish", actor=admin).exists()
    top = client.get("/ukiha/").content.decode()
    assert "体育センター点検のお知らせ" in top
    assert "<strong>点検</strong>" in top


def test_notice_form_errors_keep_what_was_typed(client, city):
    f.staff_user(city)
    login(client, city)
    response = client.post(
        "/staff/notices/new/",
        {"title": "件名だけ入力", "body": "本文", "published_at": "2026-13-01T09:00"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="件名だけ入力"' in body
    assert Notice.objects.count() == 0


def test_withdrawn_notice_leaves_the_top_page(client, city):
    f.staff_user(city)
    notice = f.notice(city, title="取り下げる告知")
    login(client, city)
    client.post(f"/staff/notices/{notice.pk}/withdraw/")
    assert "取り下げる告知" not in client.get("/ukiha/").content.decode()
    assert AuditLog.objects.filter(action="notice.withdraw").exists()


def test_facility_staff_may_not_write_notices(client, city):
    f.staff_user(city, role=User.StaffRole.FACILITY, login_id="bunka")
    login(client, city, login_id="bunka")
    assert client.get("/staff/notices/new/").status_code == 403


def test_staff_cannot_touch_another_municipalitys_notice(client, city):
    f.staff_user(city)
    other = f.notice(f.MunicipalityFactory(slug="minato"), title="港区の告知")
    login(client, city)
    assert client.get(f"/staff/notices/{other.pk}/").status_code == 404
    assert client.post(f"/staff/notices/{other.pk}/withdraw/").status_code == 404


def test_admin_schedules_maintenance_and_citizens_see_it(client, city, travel):
    f.staff_user(city)
    login(client, city)
    response = client.post(
        "/staff/maintenance/",
        {
            "starts_at": "2026-06-01T09:00",
            "ends_at": "2026-06-01T12:00",
            "scope": "writes",
            "message": "システム更新のため",
        },
    )
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.municipality == city
    citizen = client.get("/ukiha/availability/").content.decode()
    assert "システムメンテナンスのため" in citizen
    assert "システム更新のため" in citizen
    # Staff end it early from the console, which stays reachable.
    client.post(f"/staff/maintenance/{window.pk}/end/")
    window.refresh_from_db()
    assert window.ends_at == clock.now()


def test_maintenance_end_before_start_is_refused_next_to_the_form(client, city):
    f.staff_user(city)
    login(client, city)
    response = client.post(
        "/staff/maintenance/",
        {"starts_at": "2026-06-02T09:00", "ends_at": "2026-06-01T09:00", "scope": "full"},
    )
    assert response.status_code == 200
    assert "終了日時は開始日時より後にしてください。" in response.content.decode()
    assert MaintenanceWindow.objects.count() == 0


CONSOLE_PAGES = [
    "/staff/",
    "/staff/notices/",
    "/staff/maintenance/",
    "/staff/reservations/",
    "/staff/reservations/queue/",
    "/staff/registrations/",
    "/staff/changes/",
    "/staff/reductions/",
    "/staff/lottery/",
]


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_logged_in_staff_see_the_staff_menu_never_the_citizen_menu_or_log_in(client, city, path):
    f.staff_user(city)
    login(client, city)
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/ukiha/login/"' not in body
    assert "メインメニュー" not in body  # the citizen navigation's label
    assert 'href="/ukiha/mypage/"' not in body
    assert 'aria-label="職員メニュー"' in body
    assert 'action="/staff/logout/"' in body
    assert "ログイン</a>" not in body


def test_a_staff_member_without_the_right_sees_no_citizen_menu_either(client, city):
    f.staff_user(city, role=User.StaffRole.FACILITY, login_id="bunka")
    login(client, city, login_id="bunka")
    response = client.get("/staff/notices/new/")
    assert response.status_code == 403
    body = response.content.decode()
    assert 'href="/ukiha/login/"' not in body
    assert 'action="/staff/logout/"' in body
