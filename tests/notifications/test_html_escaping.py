"""What people type reaches the HTML part of a mail as text: never as a link or markup."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests import factories as f
from tests.registrants import builders
from tests.registrants.data import form_data
from tests.staff.test_console import login as staff_login
from tests.staff.test_reservations_console import act, book, priced
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db(transaction=True)

LINK = '<a href="https://evil.example/">ログイン</a>'
LINK_ESCAPED = "&lt;a href=&quot;https://evil.example/&quot;&gt;ログイン&lt;/a&gt;"
SCRIPT = '"><script>alert(1)</script>'
SCRIPT_ESCAPED = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def html_of(message) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def assert_inert(html: str) -> None:
    assert '<a href="https://evil.example' not in html
    assert "<script" not in html
    assert 'href="https://evil.example' not in html


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


def test_the_registration_mail_carries_nothing_the_applicant_typed(client, ukiha):
    group = f"卓球クラブ{LINK}"
    data = form_data(
        group_name=group,
        group_name_kana="ｳｷﾊﾀｯｷｭｳｸﾗﾌﾞ",
        member_count="12",
        activity="卓球の練習",
        postal_code="839-1393",
        prefecture="福岡県",
        city="うきは市",
        street="吉井町新治316",
        email="someone-else@example.jp",
        email_confirm="someone-else@example.jp",
    )
    assert client.post("/ukiha/register/form/?kind=group", data).status_code == 302
    client.post("/ukiha/register/confirm/")
    registrant = Registrant.objects.get()
    assert registrant.group_name == group  # stored as typed
    [message] = mail.outbox
    html = html_of(message)
    for part in (message.body, html, message.subject):
        assert "卓球クラブ" not in part
        assert "evil.example" not in part
        assert "港　太郎" not in part and "港 太郎" not in part
    assert f"利用者番号：{registrant.user_number}" in message.body
    assert registrant.user_number in html
    # Our own log-in link is still a link.
    assert 'href="http://127.0.0.1:8000/ukiha/login/"' in html


def test_a_name_and_a_reason_are_escaped_in_the_html_part(client, ukiha, admin):
    registrant = builders.apply(ukiha, group_name=f"クラブ{SCRIPT}", kind=Registrant.Kind.GROUP)
    staff_login(client, ukiha)
    mail.outbox.clear()
    client.post(
        f"/staff/registrations/{registrant.pk}/decide/",
        {"action": "request_info", "message": f"詳しくはこちら {LINK} https://evil.example/x"},
    )
    [message] = mail.outbox
    html = html_of(message)
    assert_inert(html)
    assert LINK_ESCAPED in html
    assert SCRIPT_ESCAPED in html  # the group name in the greeting
    assert "https://evil.example/x" in html  # shown, not linked
    assert 'href="http://127.0.0.1:8000/ukiha/mypage/"' in html
    assert LINK in message.body  # the text part is plain text, shown as typed

    mail.outbox.clear()
    client.post(
        f"/staff/registrations/{registrant.pk}/decide/",
        {"action": "reject", "message": SCRIPT + LINK},
    )
    html = html_of(mail.outbox[-1])
    assert_inert(html)
    assert SCRIPT_ESCAPED in html and LINK_ESCAPED in html


def test_reservation_reasons_are_escaped_in_the_html_part(client, ukiha, admin, travel):
    hall = f.FacilityFactory(municipality=ukiha, name="文化会館", requires_approval=True)
    room = priced(f.slot_unit(hall, "大ホール"), 5000)
    registrant = builders.active(ukiha, by=admin, name="浮羽　花子")
    staff_login(client, ukiha)

    waiting = book(registrant, room, day=dt.date(2026, 6, 10))
    mail.outbox.clear()
    act(client, waiting, "reject", reason=f"{LINK}{SCRIPT}")
    html = html_of(mail.outbox[-1])
    assert_inert(html)
    assert LINK_ESCAPED in html and SCRIPT_ESCAPED in html

    other = book(registrant, room, day=dt.date(2026, 6, 11))
    act(client, other, "approve")
    mail.outbox.clear()
    act(client, other, "cancel", reason=f"休館 {LINK}")
    html = html_of(mail.outbox[-1])
    assert_inert(html)
    assert LINK_ESCAPED in html
