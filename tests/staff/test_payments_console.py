"""The staff console's money pages: payments received (with totals and a CSV), unpaid
reservations, refunds (recorded at the counter or sent again), reconciliation with the
provider — each scoped to the facilities the staff member may see, and each view audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.reservations.helpers import book_slot, hall, registrant
from tests.staff.test_console import login
from yoyaku.core.models import AuditAction, AuditLog, User
from yoyaku.facilities.models import Facility
from yoyaku.payments import ledger
from yoyaku.payments import services as payment_services
from yoyaku.payments.models import Payment, Refund
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import booking
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db

R = Reservation.Status
DAY = dt.date(2026, 6, 16)  # two weeks after "now" (2026-06-01 10:00)


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


@pytest.fixture
def halls(ukiha):
    """Two facilities: うきは市文化会館 (the facility staff's own) and 吉井体育センター."""
    bunka, bunka_whole, *_ = hall(ukiha, name="うきは市文化会館", slug="bunka")
    yoshii, yoshii_whole, *_ = hall(ukiha, name="吉井体育センター", slug="yoshii")
    return bunka, bunka_whole, yoshii, yoshii_whole


@pytest.fixture
def person(ukiha):
    return registrant(ukiha)


def facility_staff(municipality, *facilities, login_id="bunka") -> User:
    user = f.staff_user(municipality, role=User.StaffRole.FACILITY, login_id=login_id)
    user.facilities.add(*facilities)
    return user


def paid_at_counter(reservation, by, method="counter", receipt="R-001"):
    return payment_services.payment_record_counter(
        reservation=reservation,
        amount=ledger.balance(reservation),
        method=method,
        receipt_number=receipt,
        by=by,
    )


@pytest.fixture
def two_payments(halls, person, admin):
    _bunka, bunka_whole, _yoshii, yoshii_whole = halls
    here = book_slot(person, bunka_whole, DAY, "am")
    there = book_slot(person, yoshii_whole, DAY, "pm")
    paid_at_counter(here, admin)
    paid_at_counter(there, admin, method="transfer", receipt="T-9")
    return here, there


def staff_client(municipality, login_id="admin") -> Client:
    client = Client()
    login(client, municipality, login_id=login_id)
    return client


# — payments received —


def test_payments_received__this_month_with_totals_per_method_facility_and_day(
    ukiha, admin, two_payments
):
    here, there = two_payments
    page = staff_client(ukiha).get("/staff/payments/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'value="2026-06-01"' in body  # from the first of this month
    assert "2件・合計 4,600円" in body
    assert "窓口払い" in body and "銀行振込" in body
    assert "うきは市文化会館" in body and "吉井体育センター" in body
    assert f'href="/staff/reservations/{here.pk}/"' in body
    assert f'href="/staff/reservations/{there.pk}/"' in body
    audit = AuditLog.objects.filter(action=AuditAction.PAYMENT_VIEW).get()
    assert audit.actor == admin and audit.data["page"] == "report"


def test_payments_received__filtered_by_method(ukiha, admin, two_payments):
    here, there = two_payments
    body = (
        staff_client(ukiha)
        .get(
            "/staff/payments/",
            {"date_from": "2026-06-01", "date_to": "2026-06-30", "method": "transfer"},
        )
        .content.decode()
    )
    assert there.number in body and here.number not in body
    assert "1件・合計 2,600円" in body


def test_facility_staff__see_only_their_facilities_payments_in_the_page_and_the_csv(
    ukiha, admin, halls, two_payments
):
    here, there = two_payments
    facility_staff(ukiha, halls[0])
    client = staff_client(ukiha, login_id="bunka")
    body = client.get("/staff/payments/").content.decode()
    assert here.number in body and there.number not in body
    assert "吉井体育センター" not in body  # not even as a choice of the filter
    refused = client.get(
        "/staff/payments/",
        {"date_from": "2026-06-01", "date_to": "2026-06-30", "facility": halls[2].pk},
    )
    assert refused.status_code == 400
    rows = list(
        csv.reader(
            io.StringIO(client.get("/staff/payments/payments.csv").content.decode("utf-8-sig"))
        )
    )
    assert [row[3] for row in rows[1:]] == [here.number]


def test_the_csv__opens_in_excel_with_japanese_and_runs_no_formula(ukiha, admin, halls):
    person = registrant(ukiha)
    Registrant.objects.filter(pk=person.pk).update(name='=HYPERLINK("http://evil","x")')
    reservation = book_slot(person, halls[1], DAY, "am")
    paid_at_counter(reservation, admin, receipt="-12")
    response = staff_client(ukiha).get(
        "/staff/payments/payments.csv", {"date_from": "2026-06-01", "date_to": "2026-06-30"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "入金日時"
    row = rows[1]
    assert row[1] == "うきは市文化会館"
    assert row[6] == '\'=HYPERLINK("http://evil","x")'
    assert row[9] == "'-12"
    assert row[10] == "2000"
    assert AuditLog.objects.filter(action=AuditAction.PAYMENT_VIEW, data__page="csv").exists()


# — unpaid —


def test_unpaid__lists_what_is_awaited_with_its_deadline_and_what_is_owed_after_cancellation(
    ukiha, admin, travel
):
    _facility, paid_whole, *_ = hall(
        ukiha, name="うきは市文化会館", payment_mode=Facility.PaymentMode.REQUIRED
    )
    _gym, gym_whole, *_ = hall(ukiha, name="吉井体育センター")  # paid on the day, at the counter
    person = registrant(ukiha)
    waiting = book_slot(person, paid_whole, DAY, "am")
    cancelled = book_slot(person, gym_whole, dt.date(2026, 6, 4), "pm")
    travel(dt.datetime(2026, 6, 2, 10))  # two days before: the cancellation costs 50 %
    booking.reservation_cancel(reservation=cancelled, by=person.user)
    body = staff_client(ukiha).get("/staff/payments/unpaid/").content.decode()
    assert waiting.number in body and "2,000円" in body
    assert "2026年6月8日" in body  # its payment deadline
    assert f'href="/staff/reservations/{waiting.pk}/"' in body
    assert cancelled.number in body and "取消後の未払い" in body and "1,300円" in body
    assert AuditLog.objects.filter(action=AuditAction.PAYMENT_VIEW, data__page="unpaid").exists()


# — refunds —


def test_a_refund_of_money_taken_at_the_counter__is_recorded_when_staff_hand_it_back(
    ukiha, admin, halls, person
):
    reservation = book_slot(person, halls[1], DAY, "am")
    paid_at_counter(reservation, admin)
    booking.reservation_cancel(reservation=reservation, by=admin, reason="雨漏り", by_staff=True)
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.REQUESTED
    client = staff_client(ukiha)
    body = client.get("/staff/payments/refunds/").content.decode()
    assert "窓口で返金した" in body and "再送する" not in body
    response = client.post(f"/staff/payments/refunds/{refund.pk}/counter/", follow=True)
    assert "窓口での返金を記録しました。" in response.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert ledger.balance(reservation) == 0


def test_facility_staff__cannot_act_on_a_refund_of_another_facility(ukiha, admin, halls, person):
    reservation = book_slot(person, halls[3], DAY, "am")
    paid_at_counter(reservation, admin)
    booking.reservation_cancel(reservation=reservation, by=admin, reason="雨漏り", by_staff=True)
    refund = Refund.objects.get()
    facility_staff(ukiha, halls[0])
    client = staff_client(ukiha, login_id="bunka")
    assert reservation.number not in client.get("/staff/payments/refunds/").content.decode()
    assert client.post(f"/staff/payments/refunds/{refund.pk}/counter/").status_code == 404
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUESTED


def test_late_payments_are_listed_for_staff__unknown_events_for_admins_only(
    ukiha, admin, halls, person
):
    from yoyaku.core import clock
    from yoyaku.payments.models import WebhookEvent

    reservation = book_slot(person, halls[1], DAY, "am")
    payment = paid_at_counter(reservation, admin)
    Payment.objects.filter(pk=payment.pk).update(late=True)
    WebhookEvent.objects.create(
        provider="sandbox",
        event_id="evt_x",
        kind="payment.succeeded",
        payment_ref="pay_unknown_1",
        received_at=clock.now(),
        outcome="unknown payment",
    )
    body = staff_client(ukiha).get("/staff/payments/refunds/").content.decode()
    assert "期限後の入金" in body and reservation.number in body
    assert "pay_unknown_1" in body
    facility_staff(ukiha, halls[0])
    theirs = staff_client(ukiha, login_id="bunka").get("/staff/payments/refunds/")
    assert reservation.number in theirs.content.decode()
    assert "pay_unknown_1" not in theirs.content.decode()


# — permissions and navigation —


def test_the_payments_pages_are_in_the_staff_menu_and_closed_to_other_municipalities(
    ukiha, minato, admin, two_payments
):
    here, _there = two_payments
    facility_staff(ukiha, Facility.objects.get(slug="bunka"))
    menu = staff_client(ukiha, login_id="bunka").get("/staff/").content.decode()
    assert 'href="/staff/payments/"' in menu
    f.staff_user(minato, login_id="minato")
    other = staff_client(minato, login_id="minato")
    for url in ("/staff/payments/", "/staff/payments/unpaid/", "/staff/payments/refunds/"):
        assert here.number not in other.get(url).content.decode()
    anonymous = Client().get("/staff/payments/")
    assert anonymous.status_code == 302


def test_a_filter_alone__keeps_this_month_as_the_period(ukiha, admin, two_payments):
    here, there = two_payments
    page = staff_client(ukiha).get("/staff/payments/", {"method": "counter"})
    assert page.status_code == 200
    body = page.content.decode()
    assert here.number in body and there.number not in body


def test_the_report_reads_a_fixed_number_of_queries_whatever_the_rows(ukiha, admin, halls, person):
    client = staff_client(ukiha)
    for code in ("am", "pm"):
        paid_at_counter(book_slot(person, halls[1], DAY, code), admin)
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/payments/")
    paid_at_counter(book_slot(person, halls[3], DAY, "night"), admin)
    paid_at_counter(book_slot(person, halls[3], DAY, "am"), admin)
    with CaptureQueriesContext(connection) as more:
        client.get("/staff/payments/")
    assert len(more.captured_queries) == len(few.captured_queries)
