"""manage.py create_first_admin: a new municipality and its first administrator, from the shell."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests import factories as f
from yoyaku.core.models import AuditAction, AuditLog, Municipality, User

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("create_first_admin", *args, stdout=out)
    return out.getvalue()


def test_creates_the_municipality_and_an_admin_who_logs_in_with_the_printed_password():
    output = _run(
        "kurume", "soumu", "--email", "soumu@example.jp", "--municipality-name", "久留米市"
    )
    municipality = Municipality.objects.get(slug="kurume")
    assert municipality.name == "久留米市"
    admin = User.objects.get(municipality=municipality, login_id="soumu")
    assert admin.staff_role == User.StaffRole.ADMIN and admin.is_active and admin.is_staff
    assert admin.email == "soumu@example.jp"
    password = re.search(r"initial password \(shown only this once\): (\S+)", output).group(1)
    assert "TOTP" in output
    # The log-in form accepts it; the second step then sets up the authenticator app.
    response = Client().post(
        reverse("staff:login"),
        {"municipality": municipality.pk, "login_id": "soumu", "password": password},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:login_otp_setup")
    assert AuditLog.objects.filter(action=AuditAction.MUNICIPALITY_CREATE).count() == 1
    assert AuditLog.objects.get(action=AuditAction.STAFF_CREATE).target_id == str(admin.pk)


def test_an_existing_municipality_without_an_admin_gets_one():
    ukiha = f.MunicipalityFactory(slug="ukiha")
    f.staff_user(ukiha, role=User.StaffRole.CLERK, login_id="clerk")
    _run("ukiha", "kanri", "--email", "kanri@example.jp")
    assert User.objects.get(municipality=ukiha, login_id="kanri").staff_role == "admin"
    assert Municipality.objects.count() == 1


def test_refuses_when_the_municipality_already_has_an_active_admin():
    ukiha = f.MunicipalityFactory(slug="ukiha")
    f.staff_user(ukiha, login_id="admin")
    with pytest.raises(CommandError, match="municipality_has_admin"):
        _run("ukiha", "another", "--email", "a@example.jp")
    assert not User.objects.filter(login_id="another").exists()


def test_a_reserved_slug_or_a_bad_email_is_refused():
    with pytest.raises(CommandError, match="municipality_slug_invalid"):
        _run("staff", "admin", "--email", "a@example.jp")
    with pytest.raises(CommandError, match="staff_email_invalid"):
        _run("kurume", "admin", "--email", "not-an-address")
    assert not Municipality.objects.filter(slug="kurume").exists()
