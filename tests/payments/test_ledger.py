"""The ledger: append-only, entries that follow every change of a reservation, and a check
that proves the books match the reservations."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tests import factories as f
from tests.lottery.test_rounds import make_round, stay
from tests.payments.test_payment_flow import pay_page, sandbox_ref
from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from yoyaku.core.models import AppendOnly
from yoyaku.facilities.models import Facility
from yoyaku.lottery import services as lottery_services
from yoyaku.payments import ledger, services
from yoyaku.payments.models import LedgerEntry, Payment, Refund
from yoyaku.reservations import booking
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)

R = Reservation.Status
DAY = dt.date(2026, 6, 16)


def test_entries_cannot_be_changed_or_deleted(ukiha):
    _facility, whole, *_ = hall(ukiha)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am")
    entry = LedgerEntry.objects.get(reservation=reservation)
    entry.amount = 1
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete_of_entries_from_any_client(ukiha):
    _facility, whole, *_ = hall(ukiha)
    book_slot(registrant(ukiha), whole, DAY, "am")
    for sql in ("UPDATE payments_ledgerentry SET amount = 1", "DELETE FROM payments_ledgerentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_a_confirmed_booking_is_charged_its_fee_and_a_second_sync_writes_nothing(ukiha):
    _facility, whole, *_ = hall(ukiha)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am-pm")
    assert ledger.balance(reservation) == 4600
    assert ledger.sync_charges(reservation, verb="again", by=None) == 0
    assert LedgerEntry.objects.count() == 1


def test_a_citizens_longer_stay_after_paying__asks_for_the_difference(paying, minato, travel):
    _facility, room_type = resort(minato, payment_mode=Facility.PaymentMode.OPTIONAL)
    person = registrant(minato)
    reservation = book_stay(person, room_type, dt.date(2026, 7, 10), nights=1)
    citizen = Client()
    citizen.force_login(person.user)
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    assert ledger.balance(reservation) == 0
    reservation, difference = booking.reservation_change_nights(
        reservation=reservation, nights=2, by=person.user
    )
    assert difference > 0
    assert ledger.balance(reservation) == difference  # an additional charge, payable online
    entry = LedgerEntry.objects.filter(reservation=reservation).last()
    assert entry.kind == LedgerEntry.Kind.FEE_CHANGE and entry.amount == difference
    # … and a shorter stay again refunds the difference through the card.
    booking.reservation_change_nights(reservation=reservation, nights=1, by=person.user)
    assert ledger.balance(reservation) == -difference + difference  # nothing owed
    assert not Refund.objects.exists()  # the difference was never paid: nothing to refund


def test_a_citizens_shorter_stay_after_paying__is_refunded(paying, minato):
    _facility, room_type = resort(minato, payment_mode=Facility.PaymentMode.OPTIONAL)
    person = registrant(minato)
    reservation = book_stay(person, room_type, dt.date(2026, 7, 10), nights=2)
    citizen = Client()
    citizen.force_login(person.user)
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    reservation, difference = booking.reservation_change_nights(
        reservation=reservation, nights=1, by=person.user
    )
    refund = Refund.objects.get()
    assert refund.amount == -difference
    assert refund.status == Refund.Status.SUCCEEDED
    assert ledger.balance(reservation) == 0


def test_a_lottery_winner_confirms_by_paying_where_payment_is_required(minato, travel):
    _facility, room_type = resort(
        minato, rooms=2, opens_months_before=2, payment_mode=Facility.PaymentMode.REQUIRED
    )
    lottery = make_round(minato, [room_type])
    person = registrant(minato)
    lottery_services.lottery_apply(
        lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
    )
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery, by=None)
    won = Reservation.objects.get(registrant=person)
    assert ledger.balance(won) == 0  # a win is not charged before it is confirmed
    lottery_services.lottery_confirm_win(reservation=won, by=person.user)
    won.refresh_from_db()
    assert won.status == R.AWAITING_PAYMENT
    assert ledger.balance(won) == won.fee_total


def test_payments_check__passes_on_right_books_and_names_a_wrong_one(ukiha):
    _facility, whole, *_ = hall(ukiha)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am")
    out = io.StringIO()
    call_command("payments_check", stdout=out)
    assert "payments_check: mismatches=0" in out.getvalue()
    # A fee changed behind the services' back: the check finds it.
    Reservation.objects.filter(pk=reservation.pk).update(fee_total=9999)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("payments_check", stdout=out)
    assert f"reservation {reservation.number}" in out.getvalue()


def test_counter_payment_on_a_booking_paid_at_the_counter(ukiha):
    _facility, whole, *_ = hall(ukiha)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am")
    payment = services.payment_record_counter(
        reservation=reservation,
        amount=2000,
        method=Payment.Method.COUNTER,
        receipt_number="No.17",
        by=f.staff_user(ukiha, login_id="clerk"),
    )
    assert payment.status == Payment.Status.SUCCEEDED
    assert ledger.balance(reservation) == 0
