"""A registrant's passkeys: added on my page, listed, deleted after asking once, and used on
the log-in page behind the same throttle as passwords; the password log-in keeps working."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.conf import settings

from tests.reservations.helpers import registrant
from tests.security.webauthn_support import SoftAuthenticator
from yoyaku.core.models import AuditLog
from yoyaku.security import services as security_services
from yoyaku.security.models import LoginAttempt, Passkey

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(travel):
    from tests import factories as f

    travel(dt.datetime(2026, 6, 1, 10, 0))
    return f.MunicipalityFactory(slug="ukiha")


@pytest.fixture
def phone():
    return SoftAuthenticator(origin=settings.YOYAKU_PASSKEY_ORIGINS[0])


def post_json(client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def add_on_my_page(client, phone, name="自分のスマートフォン"):
    options = post_json(client, "/ukiha/mypage/passkeys/options/")
    assert options.status_code == 200
    credential = phone.create(options.content.decode())
    return post_json(
        client, "/ukiha/mypage/passkeys/add/", {"name": name, "credential": credential}
    )


def passkey_log_in(client, phone, next_url: str = ""):
    options = post_json(client, "/ukiha/login/passkey/options/")
    assert options.status_code == 200
    credential = phone.get(options.content.decode())
    suffix = f"?next={next_url}" if next_url else ""
    return post_json(client, f"/ukiha/login/passkey/{suffix}", {"credential": credential})


def test_my_page__adds_lists_and_deletes_a_passkey_after_asking_once(client, city, phone):
    person = registrant(city)
    client.force_login(person.user)
    assert "パスキー" in client.get("/ukiha/mypage/").content.decode()

    added = add_on_my_page(client, phone)
    assert added.status_code == 200
    assert added.json() == {"redirect": "/ukiha/mypage/passkeys/"}
    page = client.get("/ukiha/mypage/passkeys/").content.decode()
    assert "パスキー「自分のスマートフォン」を登録しました。" in page
    assert '<th scope="row">自分のスマートフォン</th>' in page

    passkey = Passkey.objects.get()
    delete_url = f"/ukiha/mypage/passkeys/{passkey.pk}/delete/"
    asked = client.get(delete_url).content.decode()
    assert "パスキー「自分のスマートフォン」を削除します。よろしいですか。" in asked
    assert Passkey.objects.exists()  # asking deletes nothing
    done = client.post(delete_url, follow=True).content.decode()
    assert "パスキー「自分のスマートフォン」を削除しました。" in done
    assert not Passkey.objects.exists()
    assert AuditLog.objects.filter(action="passkey.remove", actor=person.user).exists()


def test_my_page__a_name_is_required_and_said_in_japanese(client, city, phone):
    client.force_login(registrant(city).user)
    refused = add_on_my_page(client, phone, name="")
    assert refused.status_code == 400
    assert refused.json()["field"] == "name"
    assert "入力" in refused.json()["error"]
    assert not Passkey.objects.exists()


def test_my_page__bad_json_is_a_polite_refusal(client, city):
    client.force_login(registrant(city).user)
    response = client.post("/ukiha/mypage/passkeys/add/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert not Passkey.objects.exists()


def test_someone_elses_passkey__cannot_be_deleted(client, city, phone):
    owner, other = registrant(city), registrant(city)
    client.force_login(owner.user)
    add_on_my_page(client, phone)
    client.force_login(other.user)
    passkey = Passkey.objects.get()
    assert client.post(f"/ukiha/mypage/passkeys/{passkey.pk}/delete/").status_code == 404
    assert Passkey.objects.exists()


def test_log_in_page__offers_the_passkey_only_with_javascript(client, city):
    page = client.get("/ukiha/login/").content.decode()
    assert 'data-passkey="login"' in page
    assert re.search(r'<div data-passkey="login"[^>]* hidden>', page)
    assert "<noscript><p>パスキーを使うには" in page
    assert "/static/yoyaku/passkeys.js" in page
    assert "<script>" not in page  # no inline script (CSP)


def test_log_in_with_a_passkey__no_user_number_and_the_same_session_as_a_password(
    client, city, phone
):
    person = registrant(city)
    client.force_login(person.user)
    add_on_my_page(client, phone)
    client.post("/ukiha/logout/")

    response = passkey_log_in(client, phone, next_url="/ukiha/mypage/reductions/")
    assert response.status_code == 200
    assert response.json() == {"redirect": "/ukiha/mypage/reductions/"}
    assert client.get("/ukiha/mypage/").status_code == 200
    attempt = LoginAttempt.objects.get()
    assert (attempt.login_id, attempt.succeeded, attempt.user) == (
        person.user.login_id,
        True,
        person.user,
    )
    assert AuditLog.objects.filter(action="passkey.login", actor=person.user).exists()


def test_the_same_answer_twice__does_not_log_in_again(client, city, phone):
    person = registrant(city)
    client.force_login(person.user)
    add_on_my_page(client, phone)
    client.post("/ukiha/logout/")
    options = post_json(client, "/ukiha/login/passkey/options/")
    credential = phone.get(options.content.decode())
    assert post_json(client, "/ukiha/login/passkey/", {"credential": credential}).status_code == 200
    client.post("/ukiha/logout/")
    again = post_json(client, "/ukiha/login/passkey/", {"credential": credential})
    assert again.status_code == 400
    assert "パスワードでログインしてください" in again.json()["error"]


def test_the_password_still_logs_in_when_a_passkey_exists(client, city, phone):
    person = registrant(city)
    client.force_login(person.user)
    add_on_my_page(client, phone)
    client.post("/ukiha/logout/")
    response = client.post(
        "/ukiha/login/",
        {"user_number": person.user_number, "password": person.birth_date.strftime("%Y%m%d")},
    )
    assert response.status_code == 302
    assert client.get("/ukiha/mypage/").status_code == 200


def test_passkey_log_ins__are_throttled_like_passwords(client, city, phone):
    unknown = SoftAuthenticator(origin=settings.YOYAKU_PASSKEY_ORIGINS[0])
    unknown.create(json.dumps({"rp": {"id": "127.0.0.1"}, "user": {"id": "AA"}, "challenge": "AA"}))
    for _ in range(security_services.PAIR_FREE_FAILURES):
        assert passkey_log_in(client, unknown).status_code == 400
    blocked = passkey_log_in(client, unknown)
    assert blocked.status_code == 429
    assert "分後にもう一度お試しください" in blocked.json()["error"]
    assert int(blocked["Retry-After"]) > 0
