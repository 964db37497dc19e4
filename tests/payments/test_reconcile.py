"""Reconciliation: the ledger against the provider's own records finds what webhooks lost
and what was changed at the provider behind the system's back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.payments.test_payment_flow import DAY, pay_page, sandbox_ref
from tests.reservations.helpers import book_slot, hall, registrant
from yoyaku.core import clock
from yoyaku.facilities.models import Facility
from yoyaku.payments import jobs
from yoyaku.payments.models import Payment
from yoyaku.payments.providers.base import Method, StartRequest
from yoyaku.payments.reconcile import MismatchKind, reconcile
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)


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


def since():
    return clock.now() - dt.timedelta(days=30)


def test_books_that_agree_with_the_provider__have_no_mismatch(paying, paid_hall, person, citizen):
    reservation = book_slot(person, paid_hall, DAY, "am")
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    assert reconcile(provider_name="sandbox", since=since()) == []


def test_a_payment_whose_webhook_was_lost__is_found_paid_there_but_not_here(
    paying, paid_hall, person, citizen
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    ref = sandbox_ref(pay_page(citizen, reservation))
    paying.app.config.switches.drop_webhooks = 1.0
    paying.pay_by_card(ref)
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.AWAITING_PAYMENT  # nobody told us
    [mismatch] = reconcile(provider_name="sandbox", since=since())
    assert mismatch.kind == MismatchKind.NOT_SUCCEEDED_HERE
    assert mismatch.payment == Payment.objects.get() and mismatch.theirs == 2000
    # The periodic re-sync reads it from the provider a few minutes later: the books agree.
    jobs.payments_resync(now=clock.now() + dt.timedelta(minutes=30))
    assert reconcile(provider_name="sandbox", since=since()) == []


def test_a_payment_taken_at_the_provider_that_the_system_never_started__is_unknown_here(
    paying, paid_hall, person, citizen
):
    started = paying.provider.start(
        StartRequest(
            key="made-elsewhere",
            amount=3000,
            method=Method.CARD,
            description="誰かが直接作った支払い",
            return_url="http://testserver/",
            cancel_url="http://testserver/",
            expires_at_epoch=int(clock.now().timestamp()) + 3600,
        )
    )
    paying.app.config.switches.drop_webhooks = 1.0
    paying.pay_by_card(started.ref)
    [mismatch] = reconcile(provider_name="sandbox", since=since())
    assert mismatch.kind == MismatchKind.UNKNOWN_HERE
    assert mismatch.payment is None and mismatch.ref == started.ref and mismatch.theirs == 3000


def test_a_refund_made_at_the_provider_only__shows_refunded_amounts_that_differ(
    paying, paid_hall, person, citizen
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    ref = sandbox_ref(pay_page(citizen, reservation))
    paying.pay_by_card(ref)
    paying.app.config.switches.drop_webhooks = 1.0
    paying.provider.refund(ref=ref, amount=500, key="by-hand")
    [mismatch] = reconcile(provider_name="sandbox", since=since())
    assert mismatch.kind == MismatchKind.REFUNDED
    assert (mismatch.ours, mismatch.theirs) == (0, 500)


def test_a_payment_succeeded_here_but_not_paid_at_the_provider__is_found(
    paying, paid_hall, person, citizen
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    pay_page(citizen, reservation)  # started, never paid
    Payment.objects.update(status=Payment.Status.SUCCEEDED, succeeded_at=clock.now())
    [mismatch] = reconcile(provider_name="sandbox", since=since())
    assert mismatch.kind == MismatchKind.NOT_PAID_THERE
    assert (mismatch.ours, mismatch.theirs) == (2000, 0)
