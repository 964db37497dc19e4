"""キャンセル待ち: joining, the draw, offers that hold the capacity, accept / decline / expire."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests import factories as f
from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog
from yoyaku.reservations import booking, public_log, rules
from yoyaku.reservations.models import Penalty, PublicLogEntry, Reservation, UnitBlock
from yoyaku.waitlist import services
from yoyaku.waitlist.models import Offer, Wait

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 16)
K = PublicLogEntry.Kind


def join_slot(person, unit, day=DAY, *codes, party=10):
    request = rules.BookingRequest(
        registrant=person,
        unit=unit,
        use_date=day,
        slots=[f.slot(unit, c) for c in codes or ("am",)],
        party_size=party,
    )
    return services.waitlist_join(request=request, by=person.user)


def kinds(facility):
    return list(
        PublicLogEntry.objects.filter(facility=facility)
        .order_by("at", "id")
        .values_list("kind", flat=True)
    )


def test_a_cancellation_offers_the_slot_to_a_waiter_and_holds_it(ukiha):
    facility, whole, *_ = hall(ukiha)
    owner, waiter, other = registrant(ukiha), registrant(ukiha), registrant(ukiha)
    taken = book_slot(owner, whole, DAY, "am")
    wait = join_slot(waiter, whole, DAY, "am")
    mail.outbox.clear()
    booking.reservation_cancel(reservation=taken, by=owner.user)
    offer = Offer.objects.get()
    assert offer.wait == wait and offer.status == "open"
    assert Wait.objects.get(pk=wait.pk).status == "offered"
    assert [m.to for m in mail.outbox if "キャンセル待ち" in m.subject] == [[waiter.email]]
    # The capacity is held: nobody books it first-come.
    with pytest.raises(DomainError) as refused:
        book_slot(other, whole, DAY, "am")
    assert refused.value.code == "slot_taken"
    assert kinds(facility) == [K.CANCELLED, K.WAITLIST_OFFER]


def test_accepting_makes_a_normal_reservation_and_logs_it(ukiha):
    facility, whole, *_ = hall(ukiha)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    taken = book_slot(owner, whole, DAY, "am")
    join_slot(waiter, whole, DAY, "am")
    booking.reservation_cancel(reservation=taken, by=owner.user)
    offer = Offer.objects.get()
    reservation = services.waitlist_accept(offer=offer, by=waiter.user)
    assert reservation.registrant == waiter and reservation.status == Reservation.Status.CONFIRMED
    assert [s.code for s in reservation.slots.all()] == ["am"]
    assert reservation.fee_total == taken.fee_total  # what a first-come booking pays
    assert not UnitBlock.objects.exists()
    assert Offer.objects.get().status == "accepted"
    assert Wait.objects.get().status == "accepted"
    assert kinds(facility) == [K.CANCELLED, K.WAITLIST_OFFER, K.WAITLIST_ACCEPTED]
    assert AuditLog.objects.filter(action="waitlist.accept").count() == 1


def test_the_draw_is_reproducible_from_the_recorded_seed(ukiha):
    facility, whole, *_ = hall(ukiha)
    owner = registrant(ukiha)
    waiters = [registrant(ukiha) for _ in range(4)]
    taken = book_slot(owner, whole, DAY, "am")
    for person in waiters:
        join_slot(person, whole, DAY, "am")
    booking.reservation_cancel(reservation=taken, by=owner.user)
    row = PublicLogEntry.objects.get(kind=K.WAITLIST_OFFER)
    subjects = {public_log.pseudonym(p.pk, facility.pk) for p in waiters}
    assert sorted(row.detail["order"]) == sorted(subjects)
    assert services.draw_order(row.detail["seed"], subjects) == row.detail["order"]
    assert row.subject == row.detail["order"][0]
    offer = Offer.objects.get()
    assert public_log.pseudonym(offer.wait.registrant_id, facility.pk) == row.subject


def test_a_declined_offer_passes_to_the_next_and_then_back_to_first_come(ukiha):
    facility, whole, *_ = hall(ukiha)
    owner, one, two, latecomer = (registrant(ukiha) for _ in range(4))
    taken = book_slot(owner, whole, DAY, "am")
    join_slot(one, whole, DAY, "am")
    join_slot(two, whole, DAY, "am")
    booking.reservation_cancel(reservation=taken, by=owner.user)
    first = Offer.objects.get()
    services.waitlist_decline(offer=first, by=first.wait.registrant.user)
    second = Offer.objects.get(status="open")
    assert second.wait != first.wait and second.block_id == first.block_id
    services.waitlist_decline(offer=second, by=second.wait.registrant.user)
    # Nobody left: the hold is gone and the slot is first-come again.
    assert not UnitBlock.objects.exists()
    assert Offer.objects.filter(status="open").count() == 0
    assert book_slot(latecomer, whole, DAY, "am").registrant == latecomer
    assert kinds(facility) == [
        K.CANCELLED,
        K.WAITLIST_OFFER,
        K.WAITLIST_PASSED,
        K.WAITLIST_OFFER,
        K.WAITLIST_PASSED,
        K.RELEASED,
    ]


def test_an_expired_offer_passes_to_the_next_waiter(ukiha):
    _facility, room_type = resort(ukiha, rooms=1)
    owner, one, two = (registrant(ukiha) for _ in range(3))
    stay = book_stay(owner, room_type, DAY, nights=2)
    for person in (one, two):
        services.waitlist_join(
            request=rules.BookingRequest(
                registrant=person, unit=room_type, use_date=DAY, nights=2, adults=2
            ),
            by=person.user,
        )
    booking.reservation_cancel(reservation=stay, by=owner.user)
    first = Offer.objects.get()
    assert first.deadline - first.offered_at == dt.timedelta(minutes=120)
    assert services.waitlist_expire_due(now=first.deadline) == 1
    assert Offer.objects.get(pk=first.pk).status == "expired"
    second = Offer.objects.get(status="open")
    assert second.wait.registrant != first.wait.registrant
    with pytest.raises(DomainError):
        services.waitlist_accept(offer=first, by=first.wait.registrant.user)
    reservation = services.waitlist_accept(offer=second, by=second.wait.registrant.user)
    assert (reservation.use_date, reservation.nights) == (DAY, 2)


def test_a_short_accept_window_close_to_the_date(ukiha):
    _facility, whole, *_ = hall(ukiha)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    near = clock.today() + dt.timedelta(days=2)
    taken = book_slot(owner, whole, near, "am")
    join_slot(waiter, whole, near, "am")
    booking.reservation_cancel(reservation=taken, by=owner.user)
    offer = Offer.objects.get()
    assert offer.deadline - offer.offered_at == dt.timedelta(minutes=30)


def test_joining_needs_a_full_slot_and_follows_the_limits(ukiha):
    _facility, whole, *_ = hall(ukiha, waitlist_max_per_person=2)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    with pytest.raises(DomainError) as free:
        join_slot(waiter, whole, DAY, "am")
    assert free.value.code == "waitlist_not_full"
    for day in (DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)):
        book_slot(owner, whole, day, "am")
    join_slot(waiter, whole, DAY, "am")
    with pytest.raises(DomainError) as twice:
        join_slot(waiter, whole, DAY, "am")
    assert twice.value.code == "waitlist_duplicate"
    join_slot(waiter, whole, DAY + dt.timedelta(days=1), "am")
    with pytest.raises(DomainError) as limit:
        join_slot(waiter, whole, DAY + dt.timedelta(days=2), "am")
    assert limit.value.code == "waitlist_limit"


def test_no_waits_too_close_to_the_date(ukiha):
    _facility, whole, *_ = hall(ukiha, waitlist_closes_days_before=3)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    near = clock.today() + dt.timedelta(days=2)
    book_slot(owner, whole, near, "am")
    with pytest.raises(DomainError) as closed:
        join_slot(waiter, whole, near, "am")
    assert closed.value.code == "waitlist_closed"


def test_a_penalised_registrant_cannot_join(ukiha):
    _facility, whole, *_ = hall(ukiha)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    earlier = book_slot(waiter, whole, DAY + dt.timedelta(days=5), "pm")
    book_slot(owner, whole, DAY, "am")
    Penalty.objects.create(
        registrant=waiter,
        reservation=earlier,
        reason=Penalty.Reason.LATE_CANCELLATION,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=30),
    )
    with pytest.raises(DomainError) as refused:
        join_slot(waiter, whole, DAY, "am")
    assert refused.value.code == "penalty_active"
    assert not Wait.objects.exists()


def test_a_waiter_penalised_after_joining_is_passed_over(ukiha):
    _facility, whole, *_ = hall(ukiha)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    taken = book_slot(owner, whole, DAY, "am")
    earlier = book_slot(waiter, whole, DAY + dt.timedelta(days=5), "pm")
    join_slot(waiter, whole, DAY, "am")
    Penalty.objects.create(
        registrant=waiter,
        reservation=earlier,
        reason=Penalty.Reason.NO_SHOW,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=60),
    )
    booking.reservation_cancel(reservation=taken, by=owner.user)
    assert not Offer.objects.exists()
    assert not UnitBlock.objects.exists()


def test_a_withdrawn_wait_gets_no_offer(ukiha):
    _facility, whole, *_ = hall(ukiha)
    owner, waiter = registrant(ukiha), registrant(ukiha)
    taken = book_slot(owner, whole, DAY, "am")
    wait = join_slot(waiter, whole, DAY, "am")
    services.waitlist_withdraw(wait=wait, by=waiter.user)
    booking.reservation_cancel(reservation=taken, by=owner.user)
    assert Wait.objects.get().status == "withdrawn"
    assert not Offer.objects.exists()


def test_a_lifted_staff_block_is_offered_by_the_minute_job_too(ukiha):
    from yoyaku.reservations.services import unit_block_create, unit_block_remove
    from yoyaku.waitlist.tasks import waitlist_minute

    _facility, whole, *_ = hall(ukiha)
    staff = f.staff_user(ukiha, login_id="clerk")
    waiter = registrant(ukiha)
    block = unit_block_create(unit=whole, by=staff, start_date=DAY, end_date=DAY, reason="補修")
    join_slot(waiter, whole, DAY, "am")
    unit_block_remove(block=block, by=staff)
    assert Offer.objects.get().wait.registrant == waiter
    assert waitlist_minute.call() == {"expired": 0, "offered": 0}
