"""My page: password, reset by mail, details and e-mail changes, deregistration."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from tests import factories as f
from tests.registrants import builders
from tests.staff.test_console import login as staff_login
from yoyaku.core.models import AuditLog
from yoyaku.registrants.models import ChangeRequest, Registrant

pytestmark = pytest.mark.django_db(transaction=True)

BIRTH = dt.date(1985, 4, 12)


@pytest.fixture
def person(ukiha):
    admin = f.staff_user(ukiha)
    return builders.active(ukiha, admin, birth_date=BIRTH)


@pytest.fixture
def logged_in(client, person):
    response = client.post(
        "/ukiha/login/", {"user_number": person.user_number, "password": "19850412"}
    )
    assert response.status_code == 302
    return client


def change_password(client, current, new, confirm=None):
    return client.post(
        "/ukiha/mypage/password/",
        {"current": current, "new": new, "new_confirm": confirm or new},
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("abc123", "8～12桁の半角英数字"),
        ("abcdefghij123", "8～12桁の半角英数字"),
        ("abcd-1234", "8～12桁の半角英数字"),
        ("19850412", "生年月日と同じパスワードは設定できません。"),
    ],
)
def test_password_rules(logged_in, new, message):
    response = change_password(logged_in, "19850412", new)
    assert message in response.content.decode()


def test_wrong_current_password_is_said_next_to_the_field(logged_in):
    response = change_password(logged_in, "00000000", "minato2026")
    assert "現在のパスワードが正しくありません。" in response.content.decode()


def test_changing_the_password_removes_the_notice_and_the_birth_date_stops_working(
    logged_in, person, client
):
    assert "パスワードが初期設定" in logged_in.get("/ukiha/mypage/").content.decode()
    response = change_password(logged_in, "19850412", "ｍｉｎａｔｏ2026")  # full-width typed
    assert response.status_code == 302
    page = logged_in.get("/ukiha/mypage/").content.decode()
    assert "パスワードが初期設定" not in page
    assert "パスワードを変更しました。" in page
    client.post("/ukiha/logout/")
    assert (
        client.post(
            "/ukiha/login/", {"user_number": person.user_number, "password": "19850412"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/ukiha/login/", {"user_number": person.user_number, "password": "minato2026"}
        ).status_code
        == 302
    )


def test_password_reset_by_mailed_link(client, person):
    mail.outbox.clear()
    response = client.post(
        "/ukiha/password-reset/", {"user_number": person.user_number, "email": person.email}
    )
    assert "メールを送信しました" in response.content.decode()
    link = re.search(r"http://[^\s]+/password-reset/[^\s]+/", mail.outbox[0].body).group(0)
    path = link.split("127.0.0.1:8000", 1)[1]
    response = client.post(path, {"new": "reset2026ab", "new_confirm": "reset2026ab"})
    assert response.status_code == 302
    assert (
        client.post(
            "/ukiha/login/", {"user_number": person.user_number, "password": "reset2026ab"}
        ).status_code
        == 302
    )
    # The link works once.
    assert client.get(path).status_code == 400


def test_password_reset_does_not_tell_who_is_registered(client, person):
    mail.outbox.clear()
    response = client.post(
        "/ukiha/password-reset/", {"user_number": "999999", "email": "x@example.jp"}
    )
    assert "メールを送信しました" in response.content.decode()
    assert mail.outbox == []


def test_phone_change_applies_at_once(logged_in, person):
    data = _details(person, phone="090-1234-5678")
    response = logged_in.post("/ukiha/mypage/details/", data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "090-1234-5678"
    assert ChangeRequest.objects.count() == 0


def test_address_change_waits_for_staff_review(logged_in, client, person):
    data = _details(person, street="浮羽町朝田５８２")
    logged_in.post("/ukiha/mypage/details/", data)
    person.refresh_from_db()
    assert person.street != "浮羽町朝田５８２"
    change = ChangeRequest.objects.get()
    assert change.changes == {"street": "浮羽町朝田５８２"}
    assert "審査中です" in logged_in.get("/ukiha/mypage/").content.decode()
    # A second change waits for the first.
    response = logged_in.post("/ukiha/mypage/details/", _details(person, street="浮羽町１"))
    assert "審査中の変更届があります" in response.content.decode()
    # Staff approve it.
    logged_in.post("/ukiha/logout/")
    staff_login(client, person.municipality)
    old_street = person.street
    review = client.get("/staff/changes/").content.decode()
    # The clerk reads the form's label and the old value next to the new one, not "street".
    assert re.search(
        rf"<th scope=\"row\">町村番地</th><td>{re.escape(old_street)}</td><td><strong>浮羽町朝田５８２",
        review,
    )
    assert "street" not in review
    client.post(f"/staff/changes/{change.pk}/decide/", {"action": "approve"})
    person.refresh_from_db()
    assert person.street == "浮羽町朝田５８２"
    assert "登録内容の変更が完了しました" in mail.outbox[-1].subject


def test_becoming_a_worker_needs_workplace_and_proof(logged_in, person):
    response = logged_in.post("/ukiha/mypage/details/", _details(person, category="worker"))
    assert "在勤の方は入力してください。" in response.content.decode()


def test_email_change_is_confirmed_by_a_link_sent_to_the_new_address(logged_in, person):
    mail.outbox.clear()
    logged_in.post("/ukiha/mypage/details/", _details(person, email="new@example.jp"))
    person.refresh_from_db()
    assert person.email != "new@example.jp"
    assert mail.outbox[0].to == ["new@example.jp"]
    path = re.search(r"/ukiha/mypage/email/[^\s]+/", mail.outbox[0].body).group(0)
    assert logged_in.get(path).status_code == 302
    person.refresh_from_db()
    assert person.email == "new@example.jp"
    assert person.user.email == "new@example.jp"
    assert logged_in.get("/ukiha/mypage/email/forged-token/").status_code == 400


def test_a_refused_address_change_sends_no_link_for_the_new_email_either(logged_in, person):
    """The form is one change: when its review part is refused, the e-mail part is not done."""
    logged_in.post("/ukiha/mypage/details/", _details(person, street="浮羽町朝田５８２"))
    mail.outbox.clear()
    response = logged_in.post(
        "/ukiha/mypage/details/", _details(person, street="浮羽町１", email="new@example.jp")
    )
    assert "審査中の変更届があります" in response.content.decode()
    assert mail.outbox == []
    assert not AuditLog.objects.filter(action="registrant.email_change_request").exists()


def test_deregistration_at_the_registrants_request(logged_in, person):
    response = logged_in.post("/ukiha/mypage/deregister/", {})
    assert "確認のため、チェックを入れてください。" in response.content.decode()
    response = logged_in.post("/ukiha/mypage/deregister/", {"confirm": "on"})
    assert "利用者登録を廃止しました" in response.content.decode()
    person.refresh_from_db()
    assert person.status == Registrant.Status.DEREGISTERED
    assert person.deletion_reason == "deregistration"
    assert not person.user.is_active


def test_deregistration_is_refused_while_obligations_remain(logged_in, person, monkeypatch):
    from yoyaku.registrants import hooks

    monkeypatch.setattr(hooks, "open_obligations", lambda registrant: ["今後の予約"])
    response = logged_in.post("/ukiha/mypage/deregister/", {"confirm": "on"})
    assert "今後の予約があるため、利用者登録を廃止できません。" in response.content.decode()
    person.refresh_from_db()
    assert person.status == Registrant.Status.ACTIVE


def test_my_page_needs_a_log_in_of_this_municipality(client, person, minato):
    assert client.get("/ukiha/mypage/").status_code == 302
    client.force_login(person.user)
    assert client.get("/minato/mypage/").status_code == 302


def _details(person: Registrant, **changes) -> dict:
    data = {
        "phone": person.phone,
        "email": person.email,
        "category": person.category,
        "postal_code": person.postal_code,
        "prefecture": person.prefecture,
        "city": person.city,
        "street": person.street,
    }
    data.update(changes)
    return data
