"""入室コード: a code per confirmed reservation, valid around the use, pushed to the lock after
commit, replaced on a change and dead on a cancellation."""

from __future__ import annotations

import datetime as dt
import io
import re
from contextlib import redirect_stdout

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from tests import factories as f
from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from tests.reservations.test_permit import pdf_text
from tests.staff.test_console import login
from yoyaku.core import clock
from yoyaku.core.models import AuditAction, AuditLog
from yoyaku.facilities.models import Facility
from yoyaku.payments import services as payment_services
from yoyaku.reservations import booking, entry_codes, locks
from yoyaku.reservations.models import EntryCode, FakeLockCode, Reservation
from yoyaku.reservations.permit import use_permit_pdf

# On commit callbacks must really run: the lock hears of codes only after commit.
pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 10)  # "now" is 2026-06-01 10:00
R = Reservation.Status


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.at(day, dt.time(hour, minute))


def opens(facility: Facility, code: str, moment: dt.datetime) -> bool:
    return locks.adapter().check(facility, code, moment)


def live(reservation: Reservation) -> EntryCode | None:
    return EntryCode.objects.filter(reservation=reservation, revoked_at__isnull=True).first()


def test_a_confirmed_booking_gets_a_random_six_digit_code_for_its_slots(ukiha):
    facility, whole, *_ = hall(ukiha, entry_codes=True)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am", "pm")  # 9:00–12:00, 13:00–17:00
    assert reservation.status == R.CONFIRMED
    code = live(reservation)
    assert re.fullmatch(r"\d{6}", code.code)
    assert code.code not in reservation.number.replace("-", "")
    assert (code.valid_from, code.valid_until) == (at(DAY, 8, 45), at(DAY, 17))
    assert opens(facility, code.code, at(DAY, 8, 45))
    assert not opens(facility, code.code, at(DAY, 8, 44))
    assert opens(facility, code.code, at(DAY, 17))
    assert not opens(facility, code.code, at(DAY, 17, 1))
    assert not opens(facility, "000000" if code.code != "000000" else "111111", at(DAY, 10))


def test_a_stay_opens_from_1445_on_check_in_day_to_1000_after_the_last_night(minato):
    facility, room_type = resort(minato, entry_codes=True)
    reservation = book_stay(registrant(minato), room_type, DAY, nights=2)
    code = live(reservation).code
    assert not opens(facility, code, at(DAY, 14, 44))
    assert opens(facility, code, at(DAY, 14, 45))
    assert opens(facility, code, at(DAY + dt.timedelta(days=1), 3))  # the night in between
    assert opens(facility, code, at(DAY + dt.timedelta(days=2), 10))
    assert not opens(facility, code, at(DAY + dt.timedelta(days=2), 10, 1))


def test_a_facility_without_smart_locks_issues_no_code(ukiha):
    _, whole, *_ = hall(ukiha)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am")
    assert reservation.status == R.CONFIRMED
    assert not EntryCode.objects.exists()


def test_no_code_under_review_and_one_on_approval(ukiha):
    _, whole, *_ = hall(ukiha, entry_codes=True, requires_approval=True)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am")
    assert reservation.status == R.AWAITING_APPROVAL
    assert live(reservation) is None
    booking.reservation_approve(reservation=reservation, by=f.staff_user(ukiha))
    assert live(reservation) is not None


def test_a_rejected_application_never_gets_one(ukiha):
    _, whole, *_ = hall(ukiha, entry_codes=True, requires_approval=True)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am")
    booking.reservation_reject(reservation=reservation, by=f.staff_user(ukiha), reason="重複")
    assert not EntryCode.objects.exists()


def test_no_code_while_awaiting_payment_and_one_once_paid(client, ukiha):
    facility, whole, *_ = hall(ukiha, entry_codes=True, payment_mode=Facility.PaymentMode.REQUIRED)
    person = registrant(ukiha)
    reservation = book_slot(person, whole, DAY, "am")
    assert reservation.status == R.AWAITING_PAYMENT
    assert live(reservation) is None
    client.force_login(person.user)
    page = client.get(f"/ukiha/reservations/{reservation.pk}/").content.decode()
    assert "入室コード" not in page  # an unpaid booking must not open the door

    payment_services.payment_record_counter(
        reservation=reservation,
        amount=reservation.fee_total,
        method="counter",
        receipt_number="R-1",
        by=f.staff_user(ukiha),
    )
    reservation.refresh_from_db()
    assert reservation.status == R.CONFIRMED
    code = live(reservation)
    page = client.get(f"/ukiha/reservations/{reservation.pk}/").content.decode()
    assert code.code in page
    assert opens(facility, code.code, at(DAY, 9))


def test_the_code_is_on_my_page_the_permit_and_the_reminder(client, ukiha, travel):
    _, whole, *_ = hall(ukiha, entry_codes=True)
    person = registrant(ukiha)
    reservation = book_slot(person, whole, DAY, "am")
    code = live(reservation)

    client.force_login(person.user)
    page = client.get(f"/ukiha/reservations/{reservation.pk}/").content.decode()
    assert "入室コード" in page and code.code in page
    assert "8:45から" in page

    permit = pdf_text(use_permit_pdf(reservation=reservation))
    assert f"入室コード\n{code.code}（2026年6月10日（水） 8:45から" in permit

    travel(dt.datetime(2026, 6, 7, 9))
    mail.outbox.clear()
    assert booking.reservation_reminders() == 1
    body = mail.outbox[-1].body
    assert f"入室コード：{code.code}" in body
    assert "2026-06-10 08:45 から 2026-06-10 12:00 まで" in body


def test_staff_see_the_code_on_the_audited_detail_page(client, ukiha):
    _, whole, *_ = hall(ukiha, entry_codes=True)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am")
    f.staff_user(ukiha)
    login(client, ukiha)
    page = client.get(f"/staff/reservations/{reservation.pk}/").content.decode()
    assert live(reservation).code in page
    assert AuditLog.objects.filter(
        action=AuditAction.RESERVATION_VIEW, target_id=str(reservation.pk)
    ).exists()


def test_a_change_of_nights_replaces_the_code_and_a_change_of_party_keeps_it(minato):
    facility, room_type = resort(minato, entry_codes=True)
    person = registrant(minato)
    reservation = book_stay(person, room_type, DAY, nights=1)
    first = live(reservation)

    reservation, _ = booking.reservation_change_party(
        reservation=reservation, adults=3, by=person.user
    )
    assert live(reservation).pk == first.pk

    booking.reservation_change_nights(reservation=reservation, nights=2, by=person.user)
    second = live(reservation)
    assert second.pk != first.pk
    assert second.valid_until == at(DAY + dt.timedelta(days=2), 10)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert not opens(facility, first.code, at(DAY, 16)) or first.code == second.code
    assert opens(facility, second.code, at(DAY + dt.timedelta(days=2), 9))


def test_a_cancellation_kills_the_code_at_the_door_and_on_the_page(client, ukiha):
    facility, whole, *_ = hall(ukiha, entry_codes=True)
    person = registrant(ukiha)
    reservation = book_slot(person, whole, DAY, "am")
    code = live(reservation)
    booking.reservation_cancel(reservation=reservation, by=person.user)
    assert live(reservation) is None
    assert not opens(facility, code.code, at(DAY, 10))
    client.force_login(person.user)
    page = client.get(f"/ukiha/reservations/{reservation.pk}/").content.decode()
    assert code.code not in page


def test_a_no_show_kills_the_code(ukiha, travel):
    facility, whole, *_ = hall(ukiha, entry_codes=True)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am", "pm")
    code = live(reservation).code
    travel(dt.datetime(2026, 6, 10, 12, 30))
    booking.reservation_mark_no_show(reservation=reservation, by=f.staff_user(ukiha))
    assert live(reservation) is None
    assert not opens(facility, code, at(DAY, 13))


def test_two_reservations_never_share_a_live_code_in_one_facility(minato, monkeypatch):
    _, room_type = resort(minato, entry_codes=True)
    alice, bob, carol = registrant(minato), registrant(minato), registrant(minato)
    # The random source draws the same number again: an overlapping stay must not take it.
    draws = iter([123456, 123456, 123456, 654321, 123456])
    monkeypatch.setattr(entry_codes.secrets, "randbelow", lambda _n: next(draws))
    first = book_stay(alice, room_type, DAY, nights=2)
    second = book_stay(bob, room_type, DAY + dt.timedelta(days=1), nights=1)
    assert live(first).code == "123456"
    assert live(second).code == "654321"
    # Once the first is cancelled, its code may serve another stay.
    booking.reservation_cancel(reservation=first, by=alice.user)
    third = book_stay(carol, room_type, DAY, nights=1)
    assert live(third).code == "123456"


def test_the_lock_hears_of_a_code_only_after_commit(ukiha):
    facility, whole, *_ = hall(ukiha, entry_codes=True)
    person = registrant(ukiha)
    with transaction.atomic():
        reservation = book_slot(person, whole, DAY, "am")
        code = live(reservation)
        assert not FakeLockCode.objects.exists()
    assert opens(facility, code.code, at(DAY, 9))

    # A booking rolled back never reaches a door.
    with pytest.raises(RuntimeError), transaction.atomic():
        book_slot(registrant(ukiha), whole, DAY, "night")
        raise RuntimeError
    assert FakeLockCode.objects.count() == 1
    assert EntryCode.objects.count() == 1


def test_a_facility_that_turns_codes_on_gives_them_to_confirmed_reservations(ukiha):
    facility, whole, *_ = hall(ukiha)
    reservation = book_slot(registrant(ukiha), whole, DAY, "am")
    Facility.objects.filter(pk=facility.pk).update(entry_codes=True)
    assert entry_codes.entry_codes_catch_up() == 1
    assert live(reservation) is not None
    Facility.objects.filter(pk=facility.pk).update(entry_codes=False)
    assert entry_codes.entry_codes_catch_up() == 1
    assert live(reservation) is None


def test_lock_check_command_tries_a_code_at_the_door(ukiha):
    facility, whole, *_ = hall(ukiha, entry_codes=True)
    code = live(book_slot(registrant(ukiha), whole, DAY, "am")).code
    out = io.StringIO()
    with redirect_stdout(out):
        call_command("lock_check", facility.slug, code, at="2026-06-10 08:45", stdout=out)
    assert "open" in out.getvalue()
    with pytest.raises(SystemExit):
        call_command("lock_check", facility.slug, code, at="2026-06-10 08:44", stdout=out)


def test_staff_turn_codes_on_in_the_facility_form(client, ukiha):
    from tests.staff.test_setup_console import facility_post

    f.staff_user(ukiha)
    login(client, ukiha)
    client.post("/staff/setup/facilities/new/", facility_post(entry_codes="on"))
    assert Facility.objects.get(slug="chuo-kominkan").entry_codes is True
    client.post("/staff/setup/facilities/new/", facility_post(slug="other"))
    assert Facility.objects.get(slug="other").entry_codes is False


def test_a_stay_marked_used_at_check_in_keeps_its_code_until_check_out(minato, travel):
    facility, room_type = resort(minato, entry_codes=True)
    reservation = book_stay(registrant(minato), room_type, DAY, nights=2)
    code = live(reservation).code
    travel(dt.datetime(2026, 6, 10, 15, 30))
    staff = f.staff_user(minato)
    booking.reservation_mark_used(reservation=reservation, by=staff)
    entry_codes.entry_code_sync(Reservation.objects.get(pk=reservation.pk))
    assert opens(facility, code, at(DAY + dt.timedelta(days=2), 9))


def test_a_lottery_win_gets_its_code_when_the_winner_confirms(minato, travel):
    from tests.lottery.test_rounds import make_round, stay
    from yoyaku.lottery import services as lottery_services

    facility, room_type = resort(minato, rooms=2, opens_months_before=2, entry_codes=True)
    lottery = make_round(minato, [room_type])
    person = registrant(minato)
    lottery_services.lottery_apply(
        lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
    )
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery, by=None)
    won = Reservation.objects.get(registrant=person)
    assert won.status == R.AWAITING_CONFIRMATION
    assert live(won) is None
    lottery_services.lottery_confirm_win(reservation=won, by=person.user)
    code = live(won)
    assert opens(facility, code.code, at(won.use_date, 15))
