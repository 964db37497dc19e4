"""Booking: the rules, the unit hierarchy, states, changes, cancellation, penalties."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from tests import factories as f
from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog
from yoyaku.registrants import services as registrant_services
from yoyaku.reservations import booking
from yoyaku.reservations.models import Occupancy, Penalty, Reservation
from yoyaku.reservations.selectors import Mark, availability_grid

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 16)  # a Tuesday, two weeks after "now" (2026-06-01 10:00)


def codes(error_info) -> set[str]:
    return {p.code for p in getattr(error_info.value, "all", [error_info.value])}


def mark(unit, day):
    return availability_grid(units=[unit], start=day, end=day)[(unit.pk, day)].mark


class TestFirstCome:
    def test_booking_a_slot_confirms_it_stores_the_fee_and_mails(self, ukiha):
        _, whole, *_ = hall(ukiha)
        person = registrant(ukiha)
        mail.outbox.clear()
        reservation = book_slot(person, whole, DAY, "am")
        assert reservation.status == Reservation.Status.CONFIRMED
        assert reservation.fee_total == 2000
        assert reservation.fee_breakdown["total"] == 2000
        assert "予約の申込みを受け付けました" in mail.outbox[0].subject
        assert AuditLog.objects.filter(action="reservation.book").count() == 1
        person.refresh_from_db()
        assert person.last_used_at is not None  # a use renews the registration

    def test_the_same_slot_cannot_be_booked_twice(self, ukiha):
        _, whole, *_ = hall(ukiha)
        book_slot(registrant(ukiha), whole, DAY, "am")
        with pytest.raises(DomainError) as refused:
            book_slot(registrant(ukiha), whole, DAY, "am")
        assert refused.value.code == "slot_taken"
        assert refused.value.message == "この枠はすでに予約されています。別の日時をお選びください。"

    def test_the_whole_arena_blocks_both_halves_and_the_reverse(self, ukiha):
        _, whole, half_a, half_b = hall(ukiha)
        book_slot(registrant(ukiha), whole, DAY, "am")
        for half in (half_a, half_b):
            with pytest.raises(DomainError):
                book_slot(registrant(ukiha), half, DAY, "am")
        book_slot(registrant(ukiha), half_a, DAY, "pm")
        with pytest.raises(DomainError):
            book_slot(registrant(ukiha), whole, DAY, "pm")
        book_slot(registrant(ukiha), half_b, DAY, "pm")  # the other half is still free
        assert mark(whole, DAY) is Mark.PARTLY

    def test_a_combined_block_takes_every_slot_inside_it(self, ukiha):
        _, whole, *_ = hall(ukiha)
        book_slot(registrant(ukiha), whole, DAY, "am-pm")
        with pytest.raises(DomainError):
            book_slot(registrant(ukiha), whole, DAY, "pm")
        book_slot(registrant(ukiha), whole, DAY, "night")
        assert mark(whole, DAY) is Mark.FULL

    def test_the_database_refuses_an_overlap_even_past_the_rules(self, ukiha):
        _, whole, half_a, _ = hall(ukiha)
        reservation = book_slot(registrant(ukiha), whole, DAY, "am")
        with pytest.raises(IntegrityError), transaction.atomic():
            Occupancy.objects.create(unit=half_a, date=DAY, atom=540, reservation=reservation)

    def test_a_stay_takes_rooms_for_every_night_and_never_sells_more_than_exist(self, minato):
        _, room_type = resort(minato, rooms=3)
        book_stay(registrant(minato), room_type, DAY, nights=2, rooms=2)
        book_stay(registrant(minato), room_type, DAY + dt.timedelta(days=1), nights=1, rooms=1)
        with pytest.raises(DomainError) as refused:
            book_stay(registrant(minato), room_type, DAY, nights=2, rooms=1)
        assert refused.value.code == "rooms_full"
        assert (
            Occupancy.objects.filter(unit=room_type, date=DAY + dt.timedelta(days=1)).count() == 3
        )


class TestRules:
    @pytest.fixture
    def setup(self, ukiha):
        facility, whole, *_ = hall(ukiha, weekly_closed_days=[0], max_active_reservations=2)
        return facility, whole, registrant(ukiha)

    @pytest.mark.parametrize(
        ("day", "code"),
        [
            (dt.date(2026, 5, 30), "date_past"),
            (dt.date(2026, 6, 1), "window_closed"),  # closes one day before
            (dt.date(2026, 12, 10), "window_not_open"),  # opens 6 months before
            (dt.date(2026, 6, 15), "date_closed"),  # Monday closing day
        ],
    )
    def test_dates_outside_the_rules_are_refused_with_a_reason(self, setup, day, code):
        _, whole, person = setup
        with pytest.raises(DomainError) as refused:
            book_slot(person, whole, day, "am")
        assert code in codes(refused)

    def test_capacity_and_party_size(self, setup):
        _, whole, person = setup
        with pytest.raises(DomainError) as refused:
            book_slot(person, whole, DAY, "am", party=whole.capacity + 1)
        assert "capacity_exceeded" in codes(refused)

    def test_limit_of_active_reservations_per_registrant(self, setup):
        _, whole, person = setup
        book_slot(person, whole, DAY, "am")
        book_slot(person, whole, DAY, "pm")
        with pytest.raises(DomainError) as refused:
            book_slot(person, whole, DAY, "night")
        assert "too_many_reservations" in codes(refused)

    def test_who_may_book(self, ukiha):
        _facility, whole, *_ = hall(ukiha, allowed_categories=["resident"])
        worker = registrant(ukiha, category="worker", channel="counter")
        with pytest.raises(DomainError) as refused:
            book_slot(worker, whole, DAY, "am")
        assert "category_not_allowed" in codes(refused)

    def test_purpose_must_be_one_the_unit_allows(self, setup, ukiha):
        _, whole, person = setup
        whole.purposes.add(f.purpose(ukiha, "バドミントン"))
        with pytest.raises(DomainError) as refused:
            book_slot(person, whole, DAY, "am", purpose=f.purpose(ukiha, "会議"))
        assert "purpose_not_allowed" in codes(refused)

    def test_an_applicant_under_review_cannot_book_in_ukiha_but_can_in_minato(self, ukiha, minato):
        from tests.registrants import builders

        _, whole, *_ = hall(ukiha)
        with pytest.raises(DomainError) as refused:
            book_slot(builders.apply(ukiha), whole, DAY, "am")
        assert "registrant_under_review" in codes(refused)
        _, room_type = resort(minato)
        book_stay(builders.apply(minato), room_type, DAY)

    def test_service_hours_apply_to_online_bookings(self, setup, travel):
        _, whole, person = setup
        travel(dt.datetime(2026, 6, 2, 0, 30))
        with pytest.raises(DomainError) as refused:
            book_slot(person, whole, DAY, "am")
        assert "service_closed" in codes(refused)

    def test_lottery_dates_are_not_bookable_first_come(self, minato):
        from yoyaku.core import clock
        from yoyaku.lottery.models import LotteryRound

        _, room_type = resort(minato)
        lottery = LotteryRound.objects.create(
            municipality=minato,
            name="6月",
            use_from=DAY,
            use_until=DAY,
            applications_open_at=clock.at(dt.date(2026, 5, 1)),
            applications_close_at=clock.at(dt.date(2026, 5, 10)),
            draw_at=clock.at(dt.date(2026, 5, 25)),
            first_come_opens_at=clock.at(dt.date(2026, 6, 5)),
        )
        lottery.units.add(room_type)
        with pytest.raises(DomainError) as refused:
            book_stay(registrant(minato), room_type, DAY, nights=1)
        assert "lottery_period" in codes(refused)


class TestStates:
    def test_review_facilities_start_awaiting_approval_then_staff_approve(self, ukiha):
        _, whole, *_ = hall(ukiha, requires_approval=True)
        staff = f.staff_user(ukiha, login_id="clerk")
        reservation = book_slot(registrant(ukiha), whole, DAY, "am")
        assert reservation.status == Reservation.Status.AWAITING_APPROVAL
        assert mark(whole, DAY) is Mark.PARTLY  # held while under review
        booking.reservation_approve(reservation=reservation, by=staff)
        reservation.refresh_from_db()
        assert reservation.status == Reservation.Status.CONFIRMED
        assert "予約を許可しました" in mail.outbox[-1].subject

    def test_rejection_frees_the_slot(self, ukiha):
        _, whole, *_ = hall(ukiha, requires_approval=True)
        staff = f.staff_user(ukiha, login_id="clerk")
        reservation = book_slot(registrant(ukiha), whole, DAY, "am")
        booking.reservation_reject(reservation=reservation, by=staff, reason="設備点検と重なるため")
        assert mark(whole, DAY) is Mark.FREE
        assert "設備点検と重なるため" in mail.outbox[-1].body

    def test_a_transition_from_a_wrong_state_is_refused(self, ukiha):
        _, whole, *_ = hall(ukiha)
        staff = f.staff_user(ukiha, login_id="clerk")
        reservation = book_slot(registrant(ukiha), whole, DAY, "am")
        with pytest.raises(DomainError) as refused:
            booking.reservation_approve(reservation=reservation, by=staff)
        assert refused.value.code == "reservation_wrong_state"
        assert "予約確定" in refused.value.message


class TestChangesAndCancellation:
    def test_extend_a_stay_when_free_and_shorten_it(self, minato):
        _, room_type = resort(minato)
        person = registrant(minato)
        stay = book_stay(person, room_type, DAY, nights=2, adults=2)
        assert stay.fee_total == 2 * 2 * 6000
        stay, difference = booking.reservation_change_nights(
            reservation=stay, nights=3, by=person.user
        )
        assert difference == 2 * 6000
        assert Occupancy.objects.filter(reservation=stay).count() == 3
        stay, difference = booking.reservation_change_nights(
            reservation=stay, nights=1, by=person.user
        )
        assert difference == -2 * 2 * 6000
        assert stay.fee_breakdown["previous_total"] == 3 * 2 * 6000

    def test_extension_is_refused_when_the_extra_night_is_full(self, minato):
        _, room_type = resort(minato, rooms=1)
        person = registrant(minato)
        stay = book_stay(person, room_type, DAY, nights=1)
        book_stay(registrant(minato), room_type, DAY + dt.timedelta(days=1), nights=1)
        with pytest.raises(DomainError) as refused:
            booking.reservation_change_nights(reservation=stay, nights=2, by=person.user)
        assert "rooms_full" in codes(refused)
        stay.refresh_from_db()
        assert stay.nights == 1

    def test_change_party_size_recalculates(self, minato):
        _, room_type = resort(minato)
        person = registrant(minato)
        stay = book_stay(person, room_type, DAY, nights=1, adults=2)
        stay, difference = booking.reservation_change_party(
            reservation=stay, by=person.user, children=1
        )
        assert difference == 3000
        with pytest.raises(DomainError) as refused:
            booking.reservation_change_party(reservation=stay, by=person.user, adults=5)
        assert "too_many_persons" in codes(refused)

    @pytest.mark.parametrize(
        ("today", "percent", "penalty"),
        [
            (dt.datetime(2026, 6, 9, 10), 0, False),  # 7 days before: free
            (dt.datetime(2026, 6, 10, 10), 50, True),  # 6 days before
            (dt.datetime(2026, 6, 14, 10), 50, True),  # 2 days before
            (dt.datetime(2026, 6, 15, 10), 100, True),  # the day before
        ],
    )
    def test_cancellation_fee_tiers_and_the_30_day_stop(
        self, ukiha, travel, today, percent, penalty
    ):
        _, whole, *_ = hall(ukiha)
        person = registrant(ukiha)
        reservation = book_slot(person, whole, DAY, "am-pm")
        travel(today)
        terms = booking.cancellation_terms(reservation)
        assert (terms.percent, terms.fee) == (percent, 4600 * percent // 100)
        booking.reservation_cancel(reservation=reservation, by=person.user)
        reservation.refresh_from_db()
        assert reservation.status == Reservation.Status.CANCELLED
        assert reservation.cancellation_fee == 4600 * percent // 100
        assert mark(whole, DAY) is Mark.FREE
        assert Penalty.objects.filter(registrant=person).exists() is penalty
        if penalty:
            with pytest.raises(DomainError) as refused:
                book_slot(person, whole, DAY + dt.timedelta(days=2), "am")
            assert "penalty_active" in codes(refused)

    def test_staff_cancellation_needs_a_reason_and_costs_nothing(self, ukiha, travel):
        _, whole, *_ = hall(ukiha)
        staff = f.staff_user(ukiha, login_id="clerk")
        person = registrant(ukiha)
        reservation = book_slot(person, whole, DAY, "am")
        travel(dt.datetime(2026, 6, 15, 10))
        with pytest.raises(DomainError):
            booking.reservation_cancel(reservation=reservation, by=staff, by_staff=True)
        booking.reservation_cancel(
            reservation=reservation, by=staff, reason="台風接近のため", by_staff=True
        )
        reservation.refresh_from_db()
        assert reservation.cancellation_fee == 0
        assert not Penalty.objects.exists()

    def test_no_show_blocks_for_60_days_and_staff_can_waive(self, ukiha, travel):
        _, whole, *_ = hall(ukiha)
        staff = f.staff_user(ukiha, login_id="clerk")
        person = registrant(ukiha)
        reservation = book_slot(person, whole, DAY, "am")
        travel(dt.datetime(2026, 6, 16, 13))
        booking.reservation_mark_no_show(reservation=reservation, by=staff)
        penalty = Penalty.objects.get()
        assert penalty.ends_on == dt.date(2026, 8, 15)
        with pytest.raises(DomainError) as refused:
            book_slot(person, whole, dt.date(2026, 6, 30), "am")
        assert (
            refused.value.message
            == "直前の取消または無断不使用のため、2026年8月15日（土）まで新しい予約はできません。"
        )
        booking.penalty_waive(penalty=penalty, by=staff, reason="気象警報の発令")
        book_slot(person, whole, dt.date(2026, 6, 30), "am")

    def test_ending_a_registration_cancels_its_future_reservations(self, minato):
        _, room_type = resort(minato)
        staff = f.staff_user(minato, login_id="clerk")
        person = registrant(minato)
        stay = book_stay(person, room_type, DAY)
        registrant_services.registration_reject(
            registrant=person, by=staff, reason="在住を確認できません"
        )
        stay.refresh_from_db()
        assert stay.status == Reservation.Status.CANCELLED
        assert not Occupancy.objects.filter(reservation=stay).exists()
        entry = AuditLog.objects.get(action="registration.reject")
        assert entry.data["cancelled"] == 1

    def test_deregistration_is_refused_while_a_future_reservation_exists(self, minato):
        _, room_type = resort(minato)
        person = registrant(minato)
        book_stay(person, room_type, DAY)
        with pytest.raises(DomainError) as refused:
            registrant_services.registration_deregister(registrant=person)
        assert "今後の予約があるため" in refused.value.message

    def test_reminder_three_days_before_once(self, ukiha, travel):
        _, whole, *_ = hall(ukiha)
        book_slot(registrant(ukiha), whole, DAY, "am")
        travel(dt.datetime(2026, 6, 13, 9))
        assert booking.reservation_reminders() == 1
        assert "ご利用日が近づいています" in mail.outbox[-1].subject
        assert booking.reservation_reminders() == 0


def test_a_penalty_is_waived_once(ukiha, travel):
    _, whole, *_ = hall(ukiha)
    staff = f.staff_user(ukiha, login_id="clerk")
    person = registrant(ukiha)
    reservation = book_slot(person, whole, DAY, "am")
    travel(dt.datetime(2026, 6, 16, 13))
    booking.reservation_mark_no_show(reservation=reservation, by=staff)
    penalty = Penalty.objects.get()
    booking.penalty_waive(penalty=penalty, by=staff, reason="気象警報")
    with pytest.raises(DomainError) as refused:
        booking.penalty_waive(penalty=penalty, by=staff, reason="二重")
    assert refused.value.code == "penalty_already_waived"
    assert AuditLog.objects.filter(action="penalty.waive").count() == 1
