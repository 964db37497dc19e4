"""Staff passkeys: added on the console's passkey page, used as the second log-in step instead
of the authenticator's code, removed by an administrator (audited) when a device is lost."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings

from tests import factories as f
from tests.security.webauthn_support import SoftAuthenticator
from yoyaku.core.models import AuditLog, User
from yoyaku.security.models import Passkey

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    return f.MunicipalityFactory(slug="ukiha", name="うきは市")


@pytest.fixture
def phone():
    return SoftAuthenticator(origin=settings.YOYAKU_PASSKEY_ORIGINS[0])


def post_json(client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def add_passkey(client, member: User, phone, name="職員用スマートフォン"):
    client.force_login(member)
    options = post_json(client, "/staff/passkeys/options/")
    credential = phone.create(options.content.decode())
    added = post_json(client, "/staff/passkeys/add/", {"name": name, "credential": credential})
    assert added.status_code == 200, added.content
    client.post("/staff/logout/")


def password_step(client, city, login_id="clerk"):
    return client.post(
        "/staff/login/",
        {"municipality": city.pk, "login_id": login_id, "password": "staff-pass-1"},
    )


def passkey_step(client, phone):
    options = post_json(client, "/staff/login/passkey/options/")
    assert options.status_code == 200
    return post_json(
        client, "/staff/login/passkey/", {"credential": phone.get(options.content.decode())}
    )


def logged_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def test_every_role_may_add_a_passkey_on_their_passkey_page(client, city, phone):
    viewer = f.staff_user(city, role=User.StaffRole.VIEWER, login_id="viewer")
    add_passkey(client, viewer, phone)
    client.force_login(viewer)
    page = client.get("/staff/passkeys/").content.decode()
    assert "職員用スマートフォン" in page
    assert AuditLog.objects.filter(action="passkey.add", actor=viewer, via="staff").exists()


def test_after_the_password__a_passkey_replaces_the_code(client, city, phone):
    clerk = f.staff_user(city, role=User.StaffRole.CLERK, login_id="clerk")
    add_passkey(client, clerk, phone)
    assert password_step(client, city)["Location"] == "/staff/login/otp/"
    page = client.get("/staff/login/otp/").content.decode()
    assert "パスキーで確認する" in page
    assert 'name="code"' in page  # the code still works too
    assert not logged_in(client)

    done = passkey_step(client, phone)
    assert done.json() == {"redirect": "/staff/"}
    assert logged_in(client)
    login = AuditLog.objects.get(action="staff.login")
    assert login.data == {"second_factor": "passkey"}
    assert AuditLog.objects.filter(action="passkey.login", actor=clerk).exists()


def test_without_the_password_step__the_passkey_alone_does_not_log_in(client, city, phone):
    clerk = f.staff_user(city, role=User.StaffRole.CLERK, login_id="clerk")
    add_passkey(client, clerk, phone)
    assert post_json(client, "/staff/login/passkey/options/").status_code == 403
    assert not logged_in(client)


def test_another_staff_members_passkey__is_not_a_second_factor(client, city, phone):
    f.staff_user(city, role=User.StaffRole.CLERK, login_id="clerk")
    other = f.staff_user(city, role=User.StaffRole.CLERK, login_id="other")
    add_passkey(client, other, phone)
    password_step(client, city, login_id="clerk")
    refused = passkey_step(client, phone)
    assert refused.status_code == 400
    assert not logged_in(client)


def test_a_member_with_a_passkey_and_no_app__is_offered_the_passkey_and_the_app_set_up(
    client, city, phone
):
    member = f.staff_user(city, role=User.StaffRole.CLERK, login_id="clerk", totp=False)
    add_passkey(client, member, phone)
    assert password_step(client, city)["Location"] == "/staff/login/otp/"
    page = client.get("/staff/login/otp/").content.decode()
    assert "パスキーで確認する" in page
    assert 'name="code"' not in page
    assert "/staff/login/otp/setup/" in page
    assert passkey_step(client, phone).status_code == 200
    assert logged_in(client)


def test_an_administrator_removes_a_members_passkeys__audited__and_the_code_is_asked_again(
    client, city, phone
):
    admin = f.staff_user(city, login_id="admin")
    clerk = f.staff_user(city, role=User.StaffRole.CLERK, login_id="clerk")
    add_passkey(client, clerk, phone)
    client.force_login(admin)
    detail = client.get(f"/staff/accounts/{clerk.pk}/").content.decode()
    assert "職員用スマートフォン" in detail
    response = client.post(
        f"/staff/accounts/{clerk.pk}/passkeys/", {"passkeys-reason": "スマートフォンの紛失"}
    )
    assert response.status_code == 302
    assert not Passkey.objects.exists()
    reset = AuditLog.objects.get(action="passkey.reset")
    assert (reset.actor, reset.target_id) == (admin, str(clerk.pk))
    assert reset.data["reason"] == "スマートフォンの紛失"
    client.post("/staff/logout/")
    password_step(client, city)
    assert "パスキーで確認する" not in client.get("/staff/login/otp/").content.decode()


def test_a_clerk_cannot_remove_anothers_passkeys(client, city, phone):
    clerk = f.staff_user(city, role=User.StaffRole.CLERK, login_id="clerk")
    other = f.staff_user(city, role=User.StaffRole.CLERK, login_id="other")
    add_passkey(client, other, phone)
    client.force_login(clerk)
    assert client.post(f"/staff/accounts/{other.pk}/passkeys/").status_code == 403
    passkey = Passkey.objects.get()
    assert client.post(f"/staff/passkeys/{passkey.pk}/delete/").status_code == 404
    assert Passkey.objects.exists()
