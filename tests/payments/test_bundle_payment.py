"""まとめて支払う: one checkout for what the items of a bundle owe, through the sandbox provider
and its signed webhooks; each reservation keeps its own ledger."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from tests import factories as f
from tests.reservations.helpers import hall, registrant
from yoyaku.facilities.models import Facility
from yoyaku.payments import ledger, reconcile
from yoyaku.payments.models import LedgerEntry, Payment, Refund
from yoyaku.reservations import booking, bundles, rules
from yoyaku.reservations.models import Reservation, ReservationBundle

pytestmark = pytest.mark.django_db(transaction=True)

R = Reservation.Status
DAYS = [dt.date(2026, 6, 16), dt.date(2026, 6, 17), dt.date(2026, 6, 18)]


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


@pytest.fixture
def bundle(paid_hall, person) -> ReservationBundle:
    """Three mornings of the hall (2,000円 each), all awaiting payment."""
    requests = [
        rules.BookingRequest(
            registrant=person,
            unit=paid_hall,
            use_date=day,
            slots=[f.slot(paid_hall, "am")],
            party_size=10,
        )
        for day in DAYS
    ]
    made = bundles.bundle_book(
        registrant=person, requests=requests, kind=ReservationBundle.Kind.WHOLE, by=person.user
    )
    assert {item.status for item in made.items.all()} == {R.AWAITING_PAYMENT}
    return made


def pay_all(citizen, bundle, method="card"):
    return citizen.post(f"/ukiha/bundles/{bundle.pk}/pay/", {"method": method})


def sandbox_ref(response) -> str:
    match = re.match(r"http://sandbox\.test/pay/([\w-]+)", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def items(bundle) -> list[Reservation]:
    return list(bundle.items.order_by("use_date"))


def test_the_bundle_page_shows_the_total_and_a_form_that_needs_no_script(
    paid_hall, bundle, citizen
):
    page = citizen.get(f"/ukiha/bundles/{bundle.pk}/").content.decode()
    assert "支払待ちの予約3件の合計：6,000円" in page
    assert f'action="/ukiha/bundles/{bundle.pk}/pay/"' in page
    assert 'name="method"' in page and ">まとめて支払う<" in page
    assert "<script" not in page.split("bundle-pay-heading")[1].split("</section>")[0]


def test_one_checkout_pays_every_item__one_ledger_entry_each_and_one_mail(
    paying, bundle, person, citizen
):
    response = pay_all(citizen, bundle)
    assert response.status_code == 302
    ref = sandbox_ref(response)
    assert pay_all(citizen, bundle)["Location"] == response["Location"]  # a double click
    payments = list(Payment.objects.order_by("id"))
    assert len(payments) == 3
    assert {p.ref for p in payments} == {ref}
    assert len({p.group for p in payments}) == 1 and payments[0].group
    assert paying.provider.fetch(ref).amount == 6000  # one charge for the sum
    mail.outbox.clear()
    page = paying.pay_by_card(ref)
    assert page.status == 303
    back_to = urlsplit(page.headers["Location"])
    back = citizen.get(f"{back_to.path}?{back_to.query}", follow=True)
    assert back.redirect_chain[-1][0] == f"/ukiha/bundles/{bundle.pk}/"
    assert "お支払いを受け付けました" in back.content.decode()
    for item in items(bundle):
        assert item.status == R.CONFIRMED
        assert ledger.balance(item) == 0
        assert list(LedgerEntry.objects.filter(reservation=item).values_list("kind", "amount")) == [
            ("charge", 2000),
            ("payment", -2000),
        ]
    assert all(p.status == Payment.Status.SUCCEEDED for p in Payment.objects.all())
    received = [m for m in mail.outbox if "お支払いを受け付けました" in m.subject]
    assert len(received) == 1
    assert bundle.number in received[0].subject
    assert "合計 6,000円" in received[0].body
    receipt = citizen.get(f"/ukiha/payments/{payments[0].pk}/receipt.pdf")
    assert receipt.content.startswith(b"%PDF-")
    # The books agree with the provider: one charge of 6,000円 for the three shares.
    assert reconcile.reconcile(provider_name="sandbox", since=payments[0].created_at) == []


def test_a_webhook_delivered_twice_settles_the_bundle_once(paying, bundle, citizen):
    paying.app.config.switches.duplicate_webhooks = 1.0
    ref = sandbox_ref(pay_all(citizen, bundle))
    paying.pay_by_card(ref)
    paying.app.dispatcher.flush()
    # The browser coming back and a job re-reading each share change nothing more.
    from yoyaku.payments import services

    for payment in Payment.objects.all():
        services.payment_sync(payment=payment)
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 3
    assert sum(ledger.balance(item) for item in items(bundle)) == 0


def test_cancelling_one_item_afterwards_refunds_only_that_item(
    paying, bundle, person, citizen, travel
):
    ref = sandbox_ref(pay_all(citizen, bundle))
    paying.pay_by_card(ref)
    first, second, third = items(bundle)
    travel(dt.datetime(2026, 6, 14, 10))  # 3 days before the 17th: 50 %
    booking.reservation_cancel(reservation=second, by=person.user)
    refund = Refund.objects.get()
    assert refund.payment.reservation_id == second.pk
    assert refund.amount == 1000
    assert refund.status == Refund.Status.SUCCEEDED
    assert paying.provider.fetch(ref).refunded == 1000  # part of the shared charge
    assert ledger.balance(second) == 0
    for other in (first, third):
        other.refresh_from_db()
        assert other.status == R.CONFIRMED
        assert ledger.balance(other) == 0
    since = Payment.objects.order_by("id").first().created_at
    assert reconcile.reconcile(provider_name="sandbox", since=since) == []


def test_an_item_cancelled_between_checkout_and_payment_is_refunded_its_share(
    paying, bundle, person, citizen
):
    ref = sandbox_ref(pay_all(citizen, bundle))
    first, second, third = items(bundle)
    booking.reservation_cancel(reservation=third, by=person.user)  # 7+ days before: no fee
    paying.pay_by_card(ref)
    late = Payment.objects.get(reservation=third)
    assert late.status == Payment.Status.SUCCEEDED and late.late
    refund = Refund.objects.get()
    assert refund.payment == late and refund.amount == 2000
    assert ledger.balance(third) == 0
    for item in (first, second):
        item.refresh_from_db()
        assert item.status == R.CONFIRMED


def test_an_item_paid_on_its_own_page_is_not_paid_again(paying, bundle, citizen):
    first, *_rest = items(bundle)
    single = citizen.post(f"/ukiha/reservations/{first.pk}/pay/", {"method": "card"})
    paying.pay_by_card(sandbox_ref(single))
    ref = sandbox_ref(pay_all(citizen, bundle))
    assert paying.provider.fetch(ref).amount == 4000
    paying.pay_by_card(ref)
    for item in items(bundle):
        assert item.status == R.CONFIRMED and ledger.balance(item) == 0
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 3


def test_an_open_checkout_is_closed_when_an_item_is_paid_alone(paying, bundle, citizen):
    ref = sandbox_ref(pay_all(citizen, bundle))
    first, *_rest = items(bundle)
    single = citizen.post(f"/ukiha/reservations/{first.pk}/pay/", {"method": "card"})
    assert sandbox_ref(single) != ref
    assert set(Payment.objects.filter(ref=ref).values_list("status", flat=True)) == {
        Payment.Status.CANCELED
    }
    page = citizen.get(f"/ukiha/bundles/{bundle.pk}/").content.decode()
    assert "支払待ちの予約3件の合計：6,000円" in page


def test_nothing_owed_is_said_on_the_bundle_page(paying, bundle, citizen):
    paying.pay_by_card(sandbox_ref(pay_all(citizen, bundle)))
    response = pay_all(citizen, bundle)
    page = citizen.get(response["Location"]).content.decode()
    assert "お支払いいただく金額はありません" in page
    assert ">まとめて支払う<" not in page
