"""キャンセル待ち pages: join from the booking page and the 409 page, my page's offers, the
staff page per unit and date (audited), a paid facility's offer ending in 支払待ち."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.reservations.helpers import book_slot, hall, registrant
from tests.staff.test_console import login
from yoyaku.core.models import AuditLog
from yoyaku.facilities.models import Facility
from yoyaku.reservations import booking
from yoyaku.reservations.models import Reservation
from yoyaku.waitlist.models import Offer, Wait

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 16)


def test_a_citizen_joins_from_the_booking_page_and_accepts_the_offer(client, ukiha):
    _facility, whole, *_ = hall(ukiha)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    taken = book_slot(owner, whole, DAY, "am")
    client.force_login(waiter.user)
    page = client.get(f"/ukiha/reserve/{whole.pk}/?date={DAY}").content.decode()
    assert "キャンセル待ちに登録" in page and "キャンセル待ちできます" in page
    am = f.slot(whole, "am")
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {"date": DAY.isoformat(), "slots": [am.pk], "party_size": 8, "action": "waitlist"},
    )
    assert response.status_code == 302 and response["Location"] == "/ukiha/mypage/waitlist/"
    page = client.get("/ukiha/mypage/waitlist/").content.decode()
    assert "キャンセル待ち中" in page and "取り下げる" in page
    booking.reservation_cancel(reservation=taken, by=owner.user)
    page = client.get("/ukiha/mypage/waitlist/").content.decode()
    assert "受ける" in page and "辞退する" in page
    offer = Offer.objects.get()
    response = client.post(f"/ukiha/mypage/waitlist/offers/{offer.pk}/", {"answer": "accept"})
    reservation = Reservation.objects.get(registrant=waiter)
    assert response["Location"] == f"/ukiha/reservations/{reservation.pk}/"
    assert reservation.party_size == 8


def test_the_taken_page_offers_the_waitlist_with_the_same_choices(client, ukiha):
    _facility, whole, *_ = hall(ukiha)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    book_slot(owner, whole, DAY, "am")
    client.force_login(waiter.user)
    am = f.slot(whole, "am")
    data = {"date": DAY.isoformat(), "slots": [am.pk], "party_size": 5}
    response = client.post(f"/ukiha/reserve/{whole.pk}/", {**data, "action": "book"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "キャンセル待ちに登録" in page and f'name="slots" value="{am.pk}"' in page
    response = client.post(f"/ukiha/reserve/{whole.pk}/", {**data, "action": "waitlist"})
    assert response.status_code == 302
    wait = Wait.objects.get()
    assert (wait.registrant, wait.party_size, list(wait.slots.all())) == (waiter, 5, [am])


def test_a_refused_join_shows_the_reason_on_the_form(client, ukiha):
    _facility, whole, *_ = hall(ukiha)
    waiter = registrant(ukiha)
    client.force_login(waiter.user)
    am = f.slot(whole, "am")
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {"date": DAY.isoformat(), "slots": [am.pk], "party_size": 5, "action": "waitlist"},
    )
    assert response.status_code == 409
    assert "空きがあります" in response.content.decode()
    assert not Wait.objects.exists()


def test_accepting_at_a_paying_facility_waits_for_payment(client, ukiha):
    _facility, whole, *_ = hall(ukiha, payment_mode=Facility.PaymentMode.REQUIRED)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    taken = book_slot(owner, whole, DAY, "am")
    client.force_login(waiter.user)
    client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {
            "date": DAY.isoformat(),
            "slots": [f.slot(whole, "am").pk],
            "party_size": 3,
            "action": "waitlist",
        },
    )
    booking.reservation_cancel(reservation=taken, by=owner.user)
    offer = Offer.objects.get()
    client.post(f"/ukiha/mypage/waitlist/offers/{offer.pk}/", {"answer": "accept"})
    reservation = Reservation.objects.get(registrant=waiter)
    assert reservation.status == Reservation.Status.AWAITING_PAYMENT
    assert reservation.payment_due_at is not None


def test_the_staff_page_lists_waiters_and_offers_and_is_audited(client, ukiha):
    facility, whole, *_ = hall(ukiha)
    f.staff_user(ukiha)
    owner, waiter = registrant(ukiha), registrant(ukiha, name="待ち　太郎")
    taken = book_slot(owner, whole, DAY, "am")
    client.force_login(waiter.user)
    client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {
            "date": DAY.isoformat(),
            "slots": [f.slot(whole, "am").pk],
            "party_size": 3,
            "action": "waitlist",
        },
    )
    booking.reservation_cancel(reservation=taken, by=owner.user)
    client.logout()
    login(client, ukiha)
    sheet = client.get(f"/staff/day-sheet/{facility.pk}/?date={DAY}").content.decode()
    assert f"/staff/waitlist/{whole.pk}/{DAY}/" in sheet
    page = client.get(f"/staff/waitlist/{whole.pk}/{DAY}/").content.decode()
    assert "待ち　太郎" in page and "回答待ち" in page
    assert AuditLog.objects.filter(action="waitlist.view").count() == 1
    assert client.get(f"/staff/waitlist/{whole.pk}/not-a-date/").status_code == 400


def test_the_day_view_offers_the_waitlist_for_a_full_unit(client, ukiha):
    _facility, whole, *_ = hall(ukiha)
    owner = registrant(ukiha)
    book_slot(owner, whole, DAY, "all-day")
    page = client.get(f"/ukiha/availability/?date={DAY}").content.decode()
    assert f'/ukiha/reserve/{whole.pk}/?date={DAY}">キャンセル待ち' in page
