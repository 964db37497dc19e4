"""The reservation lifecycle: one table, one helper, and pages that offer exactly its verbs."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.reservations import helpers as h
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog
from yoyaku.reservations import booking, states
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db
R = Reservation.Status
STAY = dt.date(2026, 7, 10)


def test_every_verb__names_its_sources_and_its_target():
    table = states.RESERVATION.table
    assert table["approve"] == (frozenset({R.AWAITING_APPROVAL}), R.CONFIRMED)
    assert table["confirm_win"] == (frozenset({R.AWAITING_CONFIRMATION}), R.CONFIRMED)
    assert table["cancel"][1] == R.CANCELLED
    assert set(table["cancel"][0]) == set(Reservation.HOLDS_CAPACITY)
    assert table["change"][1] is None  # a change keeps the state


def test_awaiting_payment__has_a_way_in_and_ways_out():
    """支払待ち: entered after approval or a lottery win where payment is required; left by
    the payment (予約確定), the deadline or a cancellation (取消)."""
    table = states.RESERVATION.table
    into = {verb for verb, (_, target) in table.items() if target == R.AWAITING_PAYMENT}
    assert into == {"approve_to_pay", "confirm_win_to_pay"}
    assert table["pay"] == (frozenset({R.AWAITING_PAYMENT}), R.CONFIRMED)
    assert table["expire_unpaid"] == (frozenset({R.AWAITING_PAYMENT}), R.CANCELLED)
    assert R.AWAITING_PAYMENT in table["cancel"][0]


def test_a_refused_verb__changes_nothing_and_writes_no_audit_row(minato):
    _facility, room_type = h.resort(minato)
    person = h.registrant(minato)
    stay = h.book_stay(person, room_type, STAY)
    rows = AuditLog.objects.count()
    with pytest.raises(DomainError) as caught:
        booking.reservation_approve(reservation=stay, by=person.user)
    assert caught.value.code == "reservation_wrong_state"
    stay.refresh_from_db()
    assert stay.status == R.CONFIRMED
    assert AuditLog.objects.count() == rows


def test_a_lottery_win_awaiting_confirmation__may_be_cancelled_but_not_changed(minato):
    _facility, room_type = h.resort(minato)
    stay = h.book_stay(h.registrant(minato), room_type, STAY)
    Reservation.objects.filter(pk=stay.pk).update(status=R.AWAITING_CONFIRMATION)
    stay.refresh_from_db()
    assert states.allows(stay, "cancel")
    assert not states.allows(stay, "change")
    with pytest.raises(DomainError):
        booking.reservation_change_nights(reservation=stay, nights=1, by=stay.registrant.user)


def test_the_detail_page__offers_the_change_exactly_when_the_service_accepts_it(client, minato):
    _facility, room_type = h.resort(minato)
    person = h.registrant(minato)
    stay = h.book_stay(person, room_type, STAY)
    Reservation.objects.filter(pk=stay.pk).update(status=R.AWAITING_CONFIRMATION)
    client.force_login(person.user)
    page = client.get(f"/minato/reservations/{stay.pk}/").content.decode()
    assert "宿泊数の変更" not in page
    assert "取消の手続きへ" in page


def test_after_the_day_of_use__neither_change_nor_cancel_is_offered(minato, travel):
    _facility, room_type = h.resort(minato)
    stay = h.book_stay(h.registrant(minato), room_type, STAY)
    travel(dt.datetime(2026, 7, 20, 10, 0))
    assert not states.allows(stay, "change")
    assert not states.allows(stay, "cancel")
    assert states.allows(stay, "mark_used")


def test_penalty__the_database_refuses_a_waived_stop_without_its_time(minato):
    from django.db import IntegrityError, transaction

    from yoyaku.reservations.models import Penalty

    _facility, room_type = h.resort(minato)
    stay = h.book_stay(h.registrant(minato), room_type, STAY)
    penalty = Penalty.objects.create(
        registrant=stay.registrant,
        reservation=stay,
        reason=Penalty.Reason.NO_SHOW,
        starts_on=STAY,
        ends_on=STAY + dt.timedelta(days=60),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Penalty.objects.filter(pk=penalty.pk).update(status=Penalty.Status.WAIVED)
