"""The staff console's money pages with an online provider (the sandbox in-process): a refund
the provider could not take is sent again from the console, and the reconciliation page lists
what the webhooks lost."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories as f
from tests.payments.test_payment_flow import DAY, pay_page, sandbox_ref
from tests.reservations.helpers import book_slot, hall, registrant
from tests.staff.test_console import login
from yoyaku.core.models import AuditAction, AuditLog
from yoyaku.facilities.models import Facility, ReductionCategory
from yoyaku.payments import ledger
from yoyaku.payments.models import Refund
from yoyaku.reservations import booking

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


@pytest.fixture
def console(ukiha):
    client = Client()
    client.clerk = f.staff_user(ukiha, login_id="kaikei")
    login(client, ukiha, login_id="kaikei")
    return client


def test_a_refund_the_provider_could_not_take__is_sent_again_from_the_console(
    paying, paid_hall, person, citizen, console
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    paying.app.config.switches.down = True
    booking.reservation_cancel(
        reservation=reservation, by=console.clerk, reason="雨漏り", by_staff=True
    )
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.REQUESTED
    body = console.get("/staff/payments/refunds/").content.decode()
    assert "再送する" in body and "窓口で返金した" not in body

    tried = refund.attempts
    still_down = console.post(f"/staff/payments/refunds/{refund.pk}/resend/", follow=True)
    assert "決済事業者に接続できませんでした" in still_down.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUESTED
    assert refund.attempts == tried + 1
    assert f"（送信{tried + 1}回）" in console.get("/staff/payments/refunds/").content.decode()

    paying.app.config.switches.down = False
    done = console.post(f"/staff/payments/refunds/{refund.pk}/resend/", follow=True)
    assert "返金が完了しました。" in done.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert ledger.balance(reservation) == 0


def test_the_reconciliation_page__lists_a_payment_whose_webhook_was_lost(
    paying, paid_hall, person, citizen, console
):
    reservation = book_slot(person, paid_hall, DAY, "am")
    ref = sandbox_ref(pay_page(citizen, reservation))
    assert "不一致 0件" in console.get("/staff/payments/reconcile/").content.decode()
    paying.app.config.switches.drop_webhooks = 1.0
    paying.pay_by_card(ref)
    body = console.get("/staff/payments/reconcile/", {"days": "7"}).content.decode()
    assert "不一致 1件" in body
    assert "決済事業者で支払済み・こちらでは未入金" in body
    assert ref in body and f'href="/staff/reservations/{reservation.pk}/"' in body
    assert AuditLog.objects.filter(action=AuditAction.PAYMENT_VIEW, data__page="reconcile").exists()


def test_the_reconciliation_page__says_when_the_provider_cannot_be_reached(paying, console):
    paying.app.config.switches.down = True
    page = console.get("/staff/payments/reconcile/")
    assert page.status_code == 200
    assert "決済事業者に接続できませんでした" in page.content.decode()


def test_a_fee_recalculated_down_after_an_online_payment__is_refunded_through_the_sandbox(
    ukiha, paying, paid_hall, person, citizen, console
):
    half_off = ReductionCategory.objects.create(
        municipality=ukiha, name="公益団体", percent=50, requires_approval=False
    )
    reservation = book_slot(person, paid_hall, DAY, "am")
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    done = console.post(
        f"/staff/reservations/{reservation.pk}/recalculate/",
        {
            "recalc-party_size": "10",
            "recalc-reduction": str(half_off.pk),
            "recalc-reason": "公益団体の利用と確認",
            "action": "apply",
        },
        follow=True,
    )
    assert "使用料を再計算しました（2,000円 → 1,000円）。" in done.content.decode()
    refund = Refund.objects.get()
    assert refund.amount == 1000 and refund.status == Refund.Status.SUCCEEDED
    assert ledger.balance(reservation) == 0
    remote = paying.provider.fetch(refund.payment.ref)
    assert remote.refunded == 1000
