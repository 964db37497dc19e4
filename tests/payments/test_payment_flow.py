"""Paying online confirms the reservation (Ukiha art. 10.3); money is a ledger; nothing is
charged twice and nothing is lost — through the sandbox provider and its signed webhooks."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from tests import factories as f
from tests.reservations.helpers import book_slot, hall, registrant
from yoyaku.core.errors import DomainError
from yoyaku.facilities.models import Facility
from yoyaku.payments import jobs, ledger, refunds
from yoyaku.payments.models import LedgerEntry, Payment, Refund, WebhookEvent
from yoyaku.reservations import booking
from yoyaku.reservations.models import Occupancy, Reservation

pytestmark = pytest.mark.django_db(transaction=True)

R = Reservation.Status
DAY = dt.date(2026, 6, 16)  # two weeks after "now" (2026-06-01 10:00)


@pytest.fixture
def paid_hall(ukiha):
    _facility, whole, *_ = hall(ukiha, payment_mode=Facility.PaymentMode.REQUIRED)
    return whole


@pytest.fixture
def person(ukiha):
    return registrant(ukiha)


@pytest.fixture
def citizen(person):
    client = Client()
    client.force_login(person.user)
    return client


def pay_page(citizen, reservation, method="card"):
    slug = reservation.municipality.slug
    return citizen.post(f"/{slug}/reservations/{reservation.pk}/pay/", {"method": method})


def sandbox_ref(response) -> str:
    match = re.match(r"http://sandbox\.test/pay/([\w-]+)", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def test_a_booking_at_a_facility_that_requires_payment__waits_for_it_with_a_deadline(
    paid_hall, person, citizen
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    assert reservation.status == R.AWAITING_PAYMENT
    # 7 days after booking, at the latest the end of the 3rd day before use.
    assert reservation.payment_due_at == dt.datetime(
        2026, 6, 8, 10, 0, tzinfo=reservation.payment_due_at.tzinfo
    )
    assert ledger.balance(reservation) == 2000
    page = citizen.get(f"/ukiha/reservations/{reservation.pk}/").content.decode()
    assert "お支払いいただく金額：2,000円" in page
    assert "お支払いが確認された時点で予約が確定します" in page
    assert ">支払う<" in page


def test_paying_by_card__confirms_the_reservation_and_gives_a_receipt(
    paying, paid_hall, person, citizen
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    response = pay_page(citizen, reservation)
    assert response.status_code == 302
    ref = sandbox_ref(response)
    page = paying.pay_by_card(ref)  # the person types the test card on the sandbox page
    assert page.status == 303
    back_to = urlsplit(page.headers["Location"])
    assert back_to.path == f"/ukiha/payments/{Payment.objects.get().pk}/return/"
    reservation.refresh_from_db()
    assert reservation.status == R.CONFIRMED  # the webhook, re-read from the provider
    back = citizen.get(f"{back_to.path}?{back_to.query}", follow=True)
    body = back.content.decode()
    assert "お支払いを受け付けました" in body
    assert "予約確定" in body
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SUCCEEDED
    assert ledger.balance(reservation) == 0
    receipt = citizen.get(f"/ukiha/payments/{payment.pk}/receipt.pdf")
    assert receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF-")
    assert any("お支払いを受け付けました" in m.subject for m in mail.outbox)


def test_double_click_two_tabs_and_the_back_button__make_one_payment(
    paying, paid_hall, person, citizen
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    first = pay_page(citizen, reservation)
    second = pay_page(citizen, reservation)
    other_tab = Client()
    other_tab.force_login(person.user)
    third = pay_page(other_tab, reservation)
    assert first["Location"] == second["Location"] == third["Location"]
    assert Payment.objects.count() == 1
    paying.pay_by_card(sandbox_ref(first))
    paying.pay_by_card(sandbox_ref(first))  # the back button, the form sent again
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1
    assert ledger.balance(reservation) == 0


def test_a_declined_card__leaves_the_reservation_awaiting_payment_with_a_clear_message(
    paying, paid_hall, person, citizen
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    ref = sandbox_ref(pay_page(citizen, reservation))
    page = paying.pay_by_card(ref, number="4000 0000 0000 0002")
    assert "カードが承認されませんでした" in page.text
    payment = Payment.objects.get()
    back = citizen.get(f"/ukiha/payments/{payment.pk}/return/", follow=True)
    assert "お支払いが完了しませんでした" in back.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == R.AWAITING_PAYMENT
    # A new try is a new payment; the first one stays failed.
    retry = pay_page(citizen, reservation)
    assert sandbox_ref(retry) != ref
    paying.pay_by_card(sandbox_ref(retry))
    reservation.refresh_from_db()
    assert reservation.status == R.CONFIRMED


def test_a_convenience_store_payment__completes_later(paying, paid_hall, person, citizen):
    reservation = book_slot(person, paid_hall, DAY, "am")
    response = pay_page(citizen, reservation, method="konbini")
    ref = sandbox_ref(response)
    paying.browse("GET", f"/pay/{ref}")
    payment = Payment.objects.get()
    citizen.get(f"/ukiha/payments/{payment.pk}/return/")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert payment.code
    page = citizen.get(f"/ukiha/reservations/{reservation.pk}/").content.decode()
    assert f"コンビニ払込番号：{payment.code}" in page
    paying.browse("POST", f"/konbini/{ref}/pay", {})  # paid at the store, days later
    reservation.refresh_from_db()
    assert reservation.status == R.CONFIRMED


def test_unpaid_at_the_deadline__the_reservation_is_cancelled_and_the_slot_is_free(
    paying, paid_hall, person, citizen, travel
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    travel(dt.datetime(2026, 6, 8, 10, 1))
    assert jobs.payments_expire_due() == 1
    reservation.refresh_from_db()
    assert reservation.status == R.CANCELLED
    assert not Occupancy.objects.filter(reservation=reservation).exists()
    assert ledger.balance(reservation) == 0  # no fee for an unpaid, expired booking


def test_a_store_payment_learnt_after_the_cancellation__is_refunded_automatically(
    paying, paid_hall, person, citizen, travel
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    ref = sandbox_ref(pay_page(citizen, reservation, method="konbini"))
    paying.browse("GET", f"/pay/{ref}")
    # Paid at the store a minute before the deadline, but the notice is lost …
    travel(dt.datetime(2026, 6, 8, 9, 59))
    paying.app.config.switches.drop_webhooks = 1.0
    paying.browse("POST", f"/konbini/{ref}/pay", {})
    # … and at the deadline the provider cannot be reached: the capacity is freed anyway.
    travel(dt.datetime(2026, 6, 8, 10, 1))
    paying.app.config.switches.down = True
    assert jobs.payments_expire_due() == 1
    reservation.refresh_from_db()
    assert reservation.status == R.CANCELLED
    assert not Occupancy.objects.filter(reservation=reservation).exists()
    # The provider is back: the job that re-reads open payments finds the money.
    paying.app.config.switches.down = False
    travel(dt.datetime(2026, 6, 8, 10, 10))
    assert jobs.payments_resync() == 1
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SUCCEEDED and payment.late
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED and refund.amount == 2000
    assert ledger.balance(reservation) == 0
    assert Payment.objects.filter(late=True).count() == 1  # listed for staff


def test_cancelling_a_paid_booking__refunds_what_was_paid_less_the_fee_the_same_minute(
    paying, paid_hall, person, citizen, travel
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    travel(dt.datetime(2026, 6, 13, 10))  # 3 days before: 50 %
    booking.reservation_cancel(reservation=reservation, by=person.user)
    refund = Refund.objects.get()
    assert refund.amount == 1000
    assert refund.status == Refund.Status.SUCCEEDED
    kinds = list(LedgerEntry.objects.filter(reservation=reservation).values_list("kind", "amount"))
    assert kinds == [
        ("charge", 2000),
        ("payment", -2000),
        ("charge_cancelled", -2000),
        ("cancellation_fee", 1000),
        ("refund", 1000),
    ]
    assert ledger.balance(reservation) == 0
    assert any("返金しました" in m.subject for m in mail.outbox)


def test_duplicate_and_out_of_order_webhooks__change_nothing_twice(
    paying, paid_hall, person, citizen
):
    paying.app.config.switches.duplicate_webhooks = 1.0
    reservation = book_slot(person, paid_hall, DAY, "am")
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    paying.app.dispatcher.flush()
    assert WebhookEvent.objects.count() >= 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1
    reservation.refresh_from_db()
    assert reservation.status == R.CONFIRMED


def test_a_webhook_with_a_bad_signature__is_refused_and_changes_nothing(client, paying):
    response = client.post(
        "/payments/webhook/sandbox/",
        data=b'{"id": "evt_1", "type": "payment.succeeded", "payment": "x"}',
        content_type="application/json",
        headers={"X-Sandbox-Signature": "t=1,v1=00"},
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_booking_that_is_reviewed_first__waits_for_payment_after_approval(paying, ukiha):
    _facility, whole, *_ = hall(
        ukiha, payment_mode=Facility.PaymentMode.REQUIRED, requires_approval=True
    )
    person = registrant(ukiha)
    reservation = book_slot(person, whole, DAY, "am")
    assert reservation.status == R.AWAITING_APPROVAL
    assert ledger.balance(reservation) == 0  # nothing is owed before the permission
    booking.reservation_approve(reservation=reservation, by=f.staff_user(ukiha, login_id="c"))
    reservation.refresh_from_db()
    assert reservation.status == R.AWAITING_PAYMENT
    assert reservation.payment_due_at is not None
    assert ledger.balance(reservation) == 2000


def test_an_unpaid_cancellation_fee__stops_new_bookings_until_paid(
    paying, ukiha, person, citizen, travel
):
    _facility, whole, *_ = hall(ukiha, payment_mode=Facility.PaymentMode.OPTIONAL)
    reservation = book_slot(person, whole, DAY, "am")
    assert reservation.status == R.CONFIRMED  # optional: confirmed at once, payable online
    travel(dt.datetime(2026, 6, 15, 10))  # the day before: 100 %
    booking.reservation_cancel(reservation=reservation, by=person.user)
    with pytest.raises(DomainError) as refused:
        book_slot(person, whole, dt.date(2026, 6, 30), "pm")
    assert "unpaid_balance" in [problem.code for problem in refused.value.all]
    assert any("お支払いいただいていない料金（2,000円）" in p.message for p in refused.value.all)
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    assert ledger.balance(reservation) == 0


def test_choosing_another_method__closes_the_open_payment_first(paying, paid_hall, person, citizen):
    reservation = book_slot(person, paid_hall, DAY, "am")
    card = sandbox_ref(pay_page(citizen, reservation, method="card"))
    konbini = sandbox_ref(pay_page(citizen, reservation, method="konbini"))
    assert card != konbini
    statuses = dict(Payment.objects.values_list("method", "status"))
    assert statuses == {"card": Payment.Status.CANCELED, "konbini": Payment.Status.PENDING}


def test_choosing_another_method_after_the_card_was_paid__records_the_payment_instead(
    paying, paid_hall, person, citizen
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    card = sandbox_ref(pay_page(citizen, reservation, method="card"))
    paying.app.config.switches.drop_webhooks = 1.0  # the notice never comes
    paying.pay_by_card(card)
    response = pay_page(citizen, reservation, method="konbini")
    assert response.status_code == 302
    page = citizen.get(response["Location"]).content.decode()
    assert "お支払いはすでに受け付けています" in page
    reservation.refresh_from_db()
    assert reservation.status == R.CONFIRMED
    assert Payment.objects.filter(status=Payment.Status.SUCCEEDED).count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1


def test_a_webhook_for_a_provider_without_keys_or_unknown__is_not_found(client):
    assert (
        client.post(
            "/payments/webhook/stripe/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/payments/webhook/nobody/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_trying_again_right_after_a_declined_card__starts_a_new_payment(
    paying, paid_hall, person, citizen
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    first = sandbox_ref(pay_page(citizen, reservation))
    paying.app.config.switches.drop_webhooks = 1.0  # the decline has not reached us yet
    paying.pay_by_card(first, number="4000 0000 0000 0002")
    again = sandbox_ref(pay_page(citizen, reservation))
    assert again != first
    assert Payment.objects.get(ref=first).status == Payment.Status.FAILED


def test_a_refund_whose_answer_was_lost__is_sent_again_by_the_job_and_made_once(
    paying, paid_hall, person, citizen, travel
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    paying.app.config.switches.timeout_after_commit = 1.0  # refunded, but the answer is lost
    booking.reservation_cancel(reservation=reservation, by=person.user)  # 15 days: free
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.REQUESTED
    paying.app.config.switches.timeout_after_commit = 0.0
    travel(dt.datetime(2026, 6, 1, 10, 5))
    assert refunds.refunds_retry() == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.attempts == 2
    remote = paying.provider.fetch(Payment.objects.get().ref)
    assert remote.refunded == 2000  # once at the provider, whatever the tries
    assert ledger.balance(reservation) == 0
