"""Registrant search as people type it, and the registrant's page: reservations, money,
booking stops, history, and who viewed it and when (every view audited)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.reservations.helpers import book_slot, hall, registrant
from tests.staff.test_console import login
from yoyaku.core.models import AuditAction, AuditLog
from yoyaku.registrants.selectors import registrant_search
from yoyaku.reservations import booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha, login_id="admin")


@pytest.fixture
def hanako(ukiha):
    return registrant(
        ukiha,
        name="浮羽　花子",
        name_kana="ウキハ　ハナコ",
        phone="0943-75-1111",
        email="hanako@example.jp",
    )


@pytest.mark.parametrize(
    "typed",
    [
        "うきははなこ",  # hiragana, no space
        "ｳｷﾊ ﾊﾅｺ",  # half-width kana
        "浮羽 花子",  # half-width space
        "浮羽花子",
        "０９４３－７５－１１１１",  # full-width digits and dash
        "0943751111",
        "hanako@EXAMPLE.JP",  # the domain in capitals
    ],
)
def test_registrant_search__finds_the_person_however_the_query_is_typed(ukiha, hanako, typed):
    assert list(registrant_search(municipality=ukiha, query=typed)) == [hanako]


def test_registrant_search__by_user_number_and_not_by_a_part_of_it(ukiha, hanako):
    found = registrant_search(municipality=ukiha, query=hanako.user_number)
    assert list(found) == [hanako]
    assert hanako not in registrant_search(municipality=ukiha, query=hanako.user_number[:3])


def test_the_registrant_page__shows_reservations_history_and_who_viewed_it(
    client, ukiha, admin, hanako
):
    _facility, whole, *_ = hall(ukiha, name="吉井体育センター", undo_minutes=0)
    reservation = book_slot(hanako, whole, dt.date(2026, 6, 3), "am")
    booking.reservation_cancel(reservation=reservation, by=hanako.user)  # late: fee and a stop
    other = f.staff_user(ukiha, login_id="kikuchi")
    other_client = type(client)()
    login(other_client, ukiha, login_id="kikuchi")
    other_client.get(f"/staff/registrations/{hanako.pk}/")

    login(client, ukiha)
    page = client.get(f"/staff/registrations/{hanako.pk}/").content.decode()
    assert reservation.number in page and "取消" in page
    assert "予約の停止" in page and "直前の取消" in page
    assert "未納額" in page
    assert "このページを閲覧した職員" in page
    assert "kikuchi" in page and "admin" in page
    views = AuditLog.objects.filter(
        action=AuditAction.REGISTRANT_VIEW, target_id=str(hanako.pk)
    ).count()
    assert views == 2
    assert other.pk in AuditLog.objects.filter(action=AuditAction.REGISTRANT_VIEW).values_list(
        "actor", flat=True
    )


def test_searching_from_the_console__is_audited_and_lists_the_person(client, ukiha, admin, hanako):
    login(client, ukiha)
    page = client.get("/staff/registrations/", {"q": "ｳｷﾊ"}).content.decode()
    assert "浮羽　花子" in page
    assert AuditLog.objects.filter(action=AuditAction.REGISTRANT_SEARCH, actor=admin).exists()
