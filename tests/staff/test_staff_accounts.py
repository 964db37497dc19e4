"""Staff accounts in the console: administrators create, change, stop and restart them; every
change is audited; the municipality never loses its last active administrator."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories as f
from yoyaku.core.models import AuditAction, AuditLog, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def ukiha():
    return f.MunicipalityFactory(slug="ukiha")


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha, login_id="admin")


@pytest.fixture
def console(admin):
    client = Client()
    client.force_login(admin)
    return client


def _audited(action: AuditAction, target: User) -> AuditLog:
    return AuditLog.objects.get(action=action, target_id=str(target.pk))


def test_an_admin_creates_a_clerk_for_one_facility_and_sees_the_password_once(
    ukiha, admin, console
):
    hall = f.FacilityFactory(municipality=ukiha)
    f.FacilityFactory(municipality=ukiha)
    response = console.post(
        reverse("staff:account_create"),
        {
            "login_id": "madoguchi",
            "display_name": "窓口 花子",
            "email": "madoguchi@example.jp",
            "role": "clerk",
            "facilities": [hall.pk],
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    clerk = User.objects.get(municipality=ukiha, login_id="madoguchi")
    password = re.search(r'one-time-password">([^<]+)<', response.content.decode()).group(1)
    assert clerk.check_password(password)
    assert clerk.staff_role == User.StaffRole.CLERK and clerk.is_staff
    assert list(clerk.facilities.all()) == [hall]
    assert not clerk.totp_confirmed_at  # set up at the first log-in
    row = _audited(AuditAction.STAFF_CREATE, clerk)
    assert row.actor == admin and password not in str(row.data)


def test_a_taken_staff_id_is_refused_next_to_the_field(ukiha, console):
    f.staff_user(ukiha, role=User.StaffRole.VIEWER, login_id="kenshu")
    response = console.post(
        reverse("staff:account_create"),
        {"login_id": "kenshu", "display_name": "研修", "role": "viewer"},
    )
    assert response.status_code == 200
    assert "この職員IDは既に使われています" in response.content.decode()
    assert 'id="id_login_id_error"' in response.content.decode()


def test_another_municipalitys_facility_cannot_be_assigned(ukiha, console):
    theirs = f.FacilityFactory()
    response = console.post(
        reverse("staff:account_create"),
        {"login_id": "x1", "display_name": "x", "role": "clerk", "facilities": [theirs.pk]},
    )
    assert response.status_code == 200
    assert not User.objects.filter(login_id="x1").exists()


def test_changing_a_role_and_facilities_is_audited_with_before_and_after(ukiha, admin, console):
    hall = f.FacilityFactory(municipality=ukiha)
    member = f.staff_user(ukiha, role=User.StaffRole.VIEWER, login_id="bunka")
    response = console.post(
        reverse("staff:account_detail", args=[member.pk]),
        {"display_name": "文化会館", "email": "", "role": "facility", "facilities": [hall.pk]},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.staff_role == User.StaffRole.FACILITY
    data = _audited(AuditAction.STAFF_CHANGE, member).data
    assert data["before"]["role"] == "viewer" and data["after"]["role"] == "facility"
    assert data["after"]["facilities"] == [hall.pk]


def test_the_last_active_admin_cannot_demote_or_stop_themselves(admin, console):
    response = console.post(
        reverse("staff:account_detail", args=[admin.pk]),
        {"display_name": "管理者", "email": "", "role": "clerk"},
    )
    assert "有効な自治体管理者がほかにいなくなる" in response.content.decode()
    console.post(reverse("staff:account_active", args=[admin.pk]), {"active": "0"})
    admin.refresh_from_db()
    assert admin.is_active and admin.staff_role == User.StaffRole.ADMIN


def test_with_a_second_admin_an_admin_may_step_down(ukiha, admin, console):
    f.staff_user(ukiha, login_id="admin2")
    console.post(
        reverse("staff:account_detail", args=[admin.pk]),
        {"display_name": "管理者", "email": "", "role": "clerk"},
    )
    admin.refresh_from_db()
    assert admin.staff_role == User.StaffRole.CLERK


def test_a_stopped_account_is_logged_out_and_can_be_restarted(ukiha, console):
    member = f.staff_user(ukiha, role=User.StaffRole.CLERK, login_id="clerk")
    their_browser = Client()
    their_browser.force_login(member)
    console.post(reverse("staff:account_active", args=[member.pk]), {"active": "0"})
    assert their_browser.get(reverse("staff:dashboard")).status_code == 302  # to the log-in
    _audited(AuditAction.STAFF_DEACTIVATE, member)
    console.post(reverse("staff:account_active", args=[member.pk]), {"active": "1"})
    member.refresh_from_db()
    assert member.is_active
    _audited(AuditAction.STAFF_REACTIVATE, member)


def test_resetting_the_authenticator_reuses_the_shell_commands_service(ukiha, admin, console):
    member = f.staff_user(ukiha, role=User.StaffRole.CLERK, login_id="clerk")
    console.post(reverse("staff:account_totp_reset", args=[member.pk]), {"reason": "紛失"})
    member.refresh_from_db()
    assert member.totp_secret == "" and member.totp_confirmed_at is None
    row = _audited(AuditAction.STAFF_TOTP_RESET, member)
    assert row.actor == admin and row.data == {"reason": "紛失"}


def test_a_new_password_is_issued_once_and_audited(ukiha, console):
    member = f.staff_user(ukiha, role=User.StaffRole.CLERK, login_id="clerk")
    response = console.post(reverse("staff:account_password", args=[member.pk]))
    password = re.search(r'one-time-password">([^<]+)<', response.content.decode()).group(1)
    member.refresh_from_db()
    assert member.check_password(password)
    _audited(AuditAction.STAFF_PASSWORD_ISSUE, member)


def test_the_list_shows_only_this_municipalitys_staff(ukiha, console):
    f.staff_user(ukiha, role=User.StaffRole.VIEWER, login_id="etsuran")
    f.staff_user(f.MunicipalityFactory(slug="minato"), login_id="minato-admin")
    page = console.get(reverse("staff:account_list")).content.decode()
    assert "etsuran" in page and "minato-admin" not in page


@pytest.mark.parametrize("role", ["facility", "clerk", "viewer"])
def test_only_admins_manage_staff_accounts(ukiha, role):
    member = f.staff_user(ukiha, role=role, login_id="someone")
    client = Client()
    client.force_login(member)
    assert client.get(reverse("staff:account_list")).status_code == 403
