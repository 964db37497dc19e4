"""Ending a registration: what the person still holds leaves the rounds, and what they owe
keeps them from deregistering."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests import factories as f
from tests.lottery.test_rounds import make_round, stay
from tests.reservations.helpers import book_slot, hall, registrant, resort
from tests.staff.test_console import login as staff_login
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog
from yoyaku.lottery import services as lottery_services
from yoyaku.lottery.models import LotteryApplication
from yoyaku.payments import selectors as payment_selectors
from yoyaku.payments import services as payment_services
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import booking

DAY = dt.date(2026, 6, 16)  # two weeks after "now"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def applied(minato):
    """A registrant with an open application in a round of the resort."""
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type])
    person = registrant(minato)
    application = lottery_services.lottery_apply(
        lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
    )
    return lottery, person, application


@pytest.fixture
def staff(minato):
    """A logged-in clerk in a browser of their own."""
    browser = Client()
    f.staff_user(minato)
    staff_login(browser, minato)
    return browser


def demand_page(staff, lottery) -> str:
    return staff.get(f"/staff/lottery/{lottery.pk}/").content.decode()


def test_deregistering_withdraws_the_open_application_and_the_demand_table_forgets_it(
    client, staff, applied
):
    lottery, person, application = applied
    assert "申込み 1件" in demand_page(staff, lottery)
    client.force_login(person.user)
    response = client.post("/minato/mypage/deregister/", {"confirm": "on"})
    assert "利用者登録を廃止しました" in response.content.decode()
    person.refresh_from_db()
    assert person.status == Registrant.Status.DEREGISTERED
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.WITHDRAWN
    page = demand_page(staff, lottery)
    assert "申込み 0件" in page
    assert "申込みはまだありません。" in page


def test_staff_deletion_withdraws_the_open_application(staff, applied):
    lottery, person, application = applied
    staff.post(
        f"/staff/registrations/{person.pk}/decide/",
        {"action": "delete", "reason": "unreachable", "note": "郵便物が返送された"},
    )
    person.refresh_from_db()
    assert person.status == Registrant.Status.DELETED
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.WITHDRAWN
    assert "申込みはまだありません。" in demand_page(staff, lottery)


def test_the_demand_table_leaves_out_applications_of_ended_registrations(staff, applied):
    """An application the drawing will skip (the registration expired) is no demand."""
    lottery, person, _application = applied
    Registrant.objects.filter(pk=person.pk).update(status=Registrant.Status.EXPIRED)
    page = demand_page(staff, lottery)
    assert "申込みはまだありません。" in page


def test_an_unpaid_cancellation_fee_keeps_the_person_registered_until_staff_record_it(
    client, ukiha, travel
):
    _facility, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    reservation = book_slot(person, whole, DAY, "am-pm")
    travel(dt.datetime(2026, 6, 15, 10))  # the day before: 100 %
    booking.reservation_cancel(reservation=reservation, by=person.user)
    client.force_login(person.user)
    page = client.get("/ukiha/mypage/deregister/").content.decode()
    assert "未払いの料金（4,600円）" in page
    response = client.post("/ukiha/mypage/deregister/", {"confirm": "on"})
    assert (
        "未払いの料金（4,600円）があるため、利用者登録を廃止できません。"
        in response.content.decode()
    )
    person.refresh_from_db()
    assert person.status == Registrant.Status.ACTIVE

    clerk = Client()
    staff_user = f.staff_user(ukiha)
    staff_login(clerk, ukiha)
    detail = f"/staff/reservations/{reservation.pk}/"
    assert "4,600円の入金を記録する" in clerk.get(detail).content.decode()
    payment = {"action": "counter_payment", "amount": "4600", "method": "counter"}
    response = clerk.post(detail + "act/", {**payment, "receipt_number": "R-0012"})
    assert response.status_code == 302
    page = clerk.get(detail).content.decode()
    assert "未払いの料金はありません。" in page
    assert "R-0012" in page
    assert "入金を記録する" not in page
    assert AuditLog.objects.filter(action="payment.counter", actor=staff_user).exists()
    again = clerk.post(detail + "act/", {**payment, "receipt_number": "R-0013"})
    assert again.status_code == 400
    assert "お支払いいただく金額（0円）を超えています。" in again.content.decode()

    response = client.post("/ukiha/mypage/deregister/", {"confirm": "on"})
    assert "利用者登録を廃止しました" in response.content.decode()
    person.refresh_from_db()
    assert person.status == Registrant.Status.DEREGISTERED


def test_a_cancellation_without_a_fee_is_owed_nothing(ukiha, travel):
    _facility, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    reservation = book_slot(person, whole, DAY, "am")
    booking.reservation_cancel(reservation=reservation, by=person.user)  # 15 days before
    assert payment_selectors.registrant_debt(registrant=person) == 0
    with pytest.raises(DomainError) as refused:
        payment_services.payment_record_counter(
            reservation=reservation,
            amount=100,
            method="counter",
            receipt_number="R-1",
            by=f.staff_user(ukiha),
        )
    assert refused.value.code == "payment_more_than_owed"
