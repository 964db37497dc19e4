"""The console's day: the home page's use and queues, and the day sheet (使用予定表) with
check-in and no-show marked from it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.reservations.helpers import book_slot, hall, registrant
from tests.staff.test_console import login
from yoyaku.core.models import AuditAction, AuditLog, User
from yoyaku.facilities.models import Facility
from yoyaku.reservations.models import Penalty, Reservation

pytestmark = pytest.mark.django_db

R = Reservation.Status
TODAY = dt.date(2026, 6, 1)  # conftest's "now": Monday 2026-06-01 10:00
TOMORROW = dt.date(2026, 6, 2)


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


@pytest.fixture
def gym(ukiha):
    facility, whole, *_ = hall(ukiha, name="吉井体育センター")
    return facility, whole


@pytest.fixture
def paid_gym(ukiha):
    facility, whole, *_ = hall(ukiha, name="浮羽体育館", payment_mode=Facility.PaymentMode.REQUIRED)
    return facility, whole


@pytest.fixture
def person(ukiha):
    return registrant(ukiha, name="浮羽　花子", phone="0943-75-1111")


def _book_today_and_tomorrow(person, unit):
    # Booked a week earlier (a booking for today would be refused by the booking window).
    return book_slot(person, unit, TODAY, "am"), book_slot(person, unit, TOMORROW, "pm")


def test_the_home_page__shows_today_and_tomorrow_per_facility_with_a_link_to_the_day_sheet(
    client, ukiha, admin, gym, person, travel
):
    facility, whole = gym
    travel(dt.datetime(2026, 5, 25, 10, 0))
    _book_today_and_tomorrow(person, whole)
    travel(dt.datetime(2026, 6, 1, 10, 0))
    login(client, ukiha)
    page = client.get("/staff/").content.decode()
    assert "今日と明日の利用" in page
    assert "吉井体育センター" in page
    assert f"/staff/day-sheet/{facility.pk}/?date=2026-06-01" in page
    assert "6月1日" in page and "1件" in page


def test_the_home_page__counts_approvals_and_payments_due_within_two_days(
    client, ukiha, admin, paid_gym, person, travel
):
    _facility, whole = paid_gym
    travel(dt.datetime(2026, 5, 25, 10, 0))
    soon = book_slot(person, whole, dt.date(2026, 6, 20), "am")  # due 7 days after booking
    travel(dt.datetime(2026, 5, 31, 10, 0))
    later = book_slot(person, whole, dt.date(2026, 7, 20), "am")  # due on 7 June
    assert soon.status == later.status == R.AWAITING_PAYMENT
    travel(dt.datetime(2026, 6, 1, 10, 0))
    login(client, ukiha)
    page = client.get("/staff/").content.decode()
    assert "2日以内に支払期限を迎える未払いの予約：1件" in page
    assert "/staff/reservations/?status=awaiting_payment" in page
    assert "許可待ちの予約：0件" in page
    assert "/staff/reservations/queue/" in page


def test_the_home_page__runs_a_fixed_number_of_queries(
    client, ukiha, admin, gym, person, travel, django_assert_max_num_queries
):
    _facility, whole = gym
    travel(dt.datetime(2026, 5, 25, 10, 0))
    _book_today_and_tomorrow(person, whole)
    travel(dt.datetime(2026, 6, 1, 10, 0))
    login(client, ukiha)
    client.get("/staff/")
    with django_assert_max_num_queries(30) as few:
        client.get("/staff/")
    others = [registrant(ukiha) for _ in range(3)]
    travel(dt.datetime(2026, 5, 26, 10, 0))
    for other, code in zip(others, ("pm", "night", "am"), strict=True):
        book_slot(other, whole, TOMORROW if code != "pm" else TODAY, code)
    travel(dt.datetime(2026, 6, 1, 10, 0))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/staff/")


def test_facility_staff__see_only_their_facilities_on_the_home_page_and_the_day_sheet(
    client, ukiha, admin, gym, paid_gym
):
    own, _ = gym
    other, _ = paid_gym
    clerk = f.staff_user(ukiha, role=User.StaffRole.FACILITY, login_id="bunka")
    clerk.facilities.add(own)
    login(client, ukiha, login_id="bunka")
    page = client.get("/staff/").content.decode()
    assert "吉井体育センター" in page and "浮羽体育館" not in page
    assert client.get(f"/staff/day-sheet/{own.pk}/").status_code == 200
    assert client.get(f"/staff/day-sheet/{other.pk}/").status_code == 404


def test_the_day_sheet__lists_who_uses_each_unit_and_is_audited(
    client, ukiha, admin, gym, person, travel
):
    facility, whole = gym
    travel(dt.datetime(2026, 5, 25, 10, 0))
    today, tomorrow = _book_today_and_tomorrow(person, whole)
    travel(dt.datetime(2026, 6, 1, 10, 0))
    login(client, ukiha)
    page = client.get(f"/staff/day-sheet/{facility.pk}/?date=2026-06-01").content.decode()
    assert today.number in page and tomorrow.number not in page
    assert "浮羽　花子" in page and "0943-75-1111" in page
    assert "午前" in page and "10人" in page
    assert 'style="' not in page
    row = AuditLog.objects.filter(action=AuditAction.RESERVATION_VIEW).latest("id")
    assert row.data["page"] == "day_sheet" and row.data["reservations"] == [today.pk]
    assert row.actor == admin


def test_checking_in_from_the_day_sheet__marks_the_reservation_used(
    client, ukiha, admin, gym, person, travel
):
    facility, whole = gym
    travel(dt.datetime(2026, 5, 25, 10, 0))
    today, _tomorrow = _book_today_and_tomorrow(person, whole)
    travel(dt.datetime(2026, 6, 1, 10, 0))
    login(client, ukiha)
    sheet = client.get(f"/staff/day-sheet/{facility.pk}/?date=2026-06-01").content.decode()
    assert 'value="used"' in sheet
    response = client.post(
        f"/staff/day-sheet/{facility.pk}/mark/",
        {"reservation": today.pk, "action": "used", "date": "2026-06-01"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/day-sheet/{facility.pk}/?date=2026-06-01"
    today.refresh_from_db()
    assert today.status == R.USED
    assert AuditLog.objects.filter(action=AuditAction.RESERVATION_USED, actor=admin).exists()
    page = client.get(response["Location"]).content.decode()
    assert "利用済として記録しました" in page


def test_a_no_show_from_the_day_sheet__is_recorded_with_its_booking_stop(
    client, ukiha, admin, gym, person, travel
):
    facility, whole = gym
    travel(dt.datetime(2026, 5, 25, 10, 0))
    today, _tomorrow = _book_today_and_tomorrow(person, whole)
    travel(dt.datetime(2026, 6, 1, 10, 0))
    login(client, ukiha)
    client.post(
        f"/staff/day-sheet/{facility.pk}/mark/", {"reservation": today.pk, "action": "no_show"}
    )
    today.refresh_from_db()
    assert today.status == R.NO_SHOW
    assert Penalty.objects.filter(reservation=today, reason=Penalty.Reason.NO_SHOW).exists()


def test_tomorrows_reservation__cannot_be_marked_used_today(
    client, ukiha, admin, gym, person, travel
):
    facility, whole = gym
    travel(dt.datetime(2026, 5, 25, 10, 0))
    _today, tomorrow = _book_today_and_tomorrow(person, whole)
    travel(dt.datetime(2026, 6, 1, 10, 0))
    login(client, ukiha)
    sheet = client.get(f"/staff/day-sheet/{facility.pk}/?date=2026-06-02").content.decode()
    assert 'value="used"' not in sheet
    response = client.post(
        f"/staff/day-sheet/{facility.pk}/mark/",
        {"reservation": tomorrow.pk, "action": "used"},
        follow=True,
    )
    tomorrow.refresh_from_db()
    assert tomorrow.status == R.CONFIRMED
    assert tomorrow.number in response.content.decode()


def test_a_reservation_of_another_facility__cannot_be_marked_from_this_sheet(
    client, ukiha, admin, gym, paid_gym, person, travel
):
    facility, _whole = gym
    _other, other_unit = paid_gym
    travel(dt.datetime(2026, 5, 25, 10, 0))
    elsewhere, _tomorrow = _book_today_and_tomorrow(person, other_unit)
    travel(dt.datetime(2026, 6, 1, 10, 0))
    login(client, ukiha)
    before = elsewhere.status
    response = client.post(
        f"/staff/day-sheet/{facility.pk}/mark/", {"reservation": elsewhere.pk, "action": "used"}
    )
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == before != R.USED
