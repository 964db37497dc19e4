"""予約直後の取消: free of charge within the facility's undo minutes, not close to the use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from yoyaku.core.models import AuditLog
from yoyaku.reservations import booking
from yoyaku.reservations.models import Penalty, Reservation

pytestmark = pytest.mark.django_db(transaction=True)

# "Now" is 2026-06-01 10:00. Tomorrow's morning slot is 23 hours away; the tiers of the
# hall charge 100 % from the day before and 50 % from 2 days before.
TOMORROW = dt.date(2026, 6, 2)
IN_TWO_DAYS = dt.date(2026, 6, 3)


def test_a_mistaken_booking_is_cancelled_free_within_30_minutes(client, ukiha, travel):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    reservation = book_slot(person, whole, IN_TWO_DAYS, "am")
    travel(dt.datetime(2026, 6, 1, 10, 29))
    client.force_login(person.user)
    page = client.get(f"/ukiha/reservations/{reservation.pk}/cancel/").content.decode()
    assert "予約の直後のため、6月1日 10:30までに取り消すと取消料はかかりません" in page
    assert "取消料：使用料の0%" in page
    mail.outbox.clear()
    client.post(f"/ukiha/reservations/{reservation.pk}/cancel/", {"confirm": "yes"})
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CANCELLED
    assert reservation.cancellation_fee == 0
    assert not Penalty.objects.exists()  # no 30-day stop either
    audit = AuditLog.objects.get(action="reservation.cancel")
    assert audit.data["undo"] is True and audit.data["fee"] == 0
    assert mail.outbox


def test_after_the_window_the_tiers_apply(ukiha, travel):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    reservation = book_slot(person, whole, IN_TWO_DAYS, "am")
    travel(dt.datetime(2026, 6, 1, 10, 31))
    terms = booking.cancellation_terms(reservation)
    assert (terms.percent, terms.fee, terms.undo_until) == (50, 1000, None)
    booking.reservation_cancel(reservation=reservation, by=person.user)
    reservation.refresh_from_db()
    assert reservation.cancellation_fee == 1000
    assert Penalty.objects.filter(registrant=person).exists()


def test_not_when_the_use_starts_within_24_hours_and_the_page_says_why(client, ukiha):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    reservation = book_slot(person, whole, TOMORROW, "am")  # 9:00 tomorrow: 23 hours away
    terms = booking.cancellation_terms(reservation)
    assert terms.undo_too_close and terms.undo_until is None and terms.percent == 100
    client.force_login(person.user)
    page = client.get(f"/ukiha/reservations/{reservation.pk}/").content.decode()
    assert "利用開始まで24時間を切っている予約のため、予約直後の無料の取消はできません" in page


def test_a_stay_counts_from_check_in_and_a_facility_may_turn_it_off(ukiha):
    facility, room_type = resort(ukiha)
    person = registrant(ukiha)
    stay = book_stay(person, room_type, TOMORROW)  # check-in 15:00 tomorrow: 29 hours away
    assert booking.cancellation_terms(stay).undo_until is not None
    facility.undo_minutes = 0
    facility.save()
    stay.refresh_from_db()
    assert booking.cancellation_terms(stay).undo_until is None


def test_staff_set_the_minutes_in_the_facility_form(client, ukiha):
    from tests import factories as f
    from tests.staff.test_console import login
    from tests.staff.test_setup_console import facility_post
    from yoyaku.facilities.models import Facility

    f.staff_user(ukiha)
    login(client, ukiha)
    assert "予約直後の無料取消（分）" in client.get("/staff/setup/facilities/new/").content.decode()
    response = client.post("/staff/setup/facilities/new/", facility_post(undo_minutes="15"))
    assert response.status_code == 302
    assert Facility.objects.get(slug="chuo-kominkan").undo_minutes == 15
    client.post("/staff/setup/facilities/new/", facility_post(slug="other", undo_minutes="-1"))
    assert not Facility.objects.filter(slug="other").exists()
