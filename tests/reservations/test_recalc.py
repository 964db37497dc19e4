"""再計算 (Ukiha art. 10.4): staff price a reservation again with the conditions as they
turned out; the difference is owed (and announced) or refunded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from tests import factories as f
from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from tests.staff.test_console import login
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, AuditLog, User
from yoyaku.facilities.models import ReductionCategory
from yoyaku.payments import ledger
from yoyaku.payments import services as payment_services
from yoyaku.reservations import booking, recalc
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 16)


@pytest.fixture
def clerk(ukiha):
    return f.staff_user(ukiha, login_id="kaikei")


@pytest.fixture
def gym(ukiha):
    facility, whole, *_ = hall(ukiha, name="吉井体育センター", commercial_multiplier_percent=200)
    return facility, whole


@pytest.fixture
def person(ukiha):
    return registrant(ukiha, email="hanako@example.jp")


@pytest.fixture
def half_off(ukiha):
    return ReductionCategory.objects.create(
        municipality=ukiha, name="公益団体", percent=50, requires_approval=False
    )


def paid_at_counter(reservation, by):
    payment_services.payment_record_counter(
        reservation=reservation,
        amount=ledger.balance(reservation),
        method="counter",
        receipt_number="R-1",
        by=by,
    )


def test_a_commercial_use_found_after_payment__owes_the_difference_and_mails_the_person(
    gym, person, clerk, django_capture_on_commit_callbacks
):
    reservation = book_slot(person, gym[1], DAY, "am")
    paid_at_counter(reservation, clerk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = recalc.reservation_recalculate(
            reservation=reservation, by=clerk, reason="入場料を徴収していた", commercial=True
        )
    assert (result.previous_total, result.new_total, result.difference) == (2000, 4000, 2000)
    reservation.refresh_from_db()
    assert reservation.commercial and reservation.fee_total == 4000
    assert reservation.fee_breakdown["previous_total"] == 2000
    assert ledger.balance(reservation) == 2000
    [message] = [m for m in mail.outbox if "お支払いのお願い" in m.subject]
    assert "再計算" in message.body and "2,000円" in message.body
    audit = AuditLog.objects.get(action=AuditAction.RESERVATION_RECALCULATE)
    assert audit.actor == clerk and audit.data["reason"] == "入場料を徴収していた"


def test_a_reduction_granted_after_the_fact__leaves_money_owed_back(gym, person, clerk, half_off):
    reservation = book_slot(person, gym[1], DAY, "am")
    paid_at_counter(reservation, clerk)
    recalc.reservation_recalculate(
        reservation=reservation, by=clerk, reason="公益団体と確認", reduction=half_off
    )
    # Paid at the counter: the refund waits for staff to hand the money back there.
    assert ledger.balance(reservation) == -1000
    refund = reservation.payments.get().refunds.get()
    assert refund.amount == 1000 and refund.reason == "再計算による減額"


def test_the_preview_changes_nothing(gym, person, clerk):
    reservation = book_slot(person, gym[1], DAY, "am")
    preview = recalc.reservation_recalculate_preview(
        reservation=reservation, by=clerk, commercial=True
    )
    assert preview.new_total == 4000
    reservation.refresh_from_db()
    assert reservation.fee_total == 2000 and not reservation.commercial
    assert not AuditLog.objects.filter(action=AuditAction.RESERVATION_RECALCULATE).exists()


def test_a_recalculation_needs_a_reason_conditions_within_bounds_and_a_change(
    gym, person, clerk, half_off
):
    reservation = book_slot(person, gym[1], DAY, "am")
    with pytest.raises(DomainError) as no_reason:
        recalc.reservation_recalculate(reservation=reservation, by=clerk, reason=" ", party_size=5)
    assert no_reason.value.code == "reason_required"
    with pytest.raises(DomainError) as nobody:
        recalc.reservation_recalculate(reservation=reservation, by=clerk, reason="x", party_size=0)
    assert nobody.value.code == "party_size_required" and nobody.value.field == "party_size"
    with pytest.raises(DomainError) as both:
        recalc.reservation_recalculate(
            reservation=reservation, by=clerk, reason="x", commercial=True, reduction=half_off
        )
    assert both.value.code == "reduction_not_for_commercial"
    with pytest.raises(DomainError) as same:
        recalc.reservation_recalculate(
            reservation=reservation, by=clerk, reason="x", party_size=reservation.party_size
        )
    assert same.value.code == "nothing_to_change"


def test_a_used_reservation_can_be_recalculated__a_cancelled_one_cannot(gym, person, clerk, travel):
    used = book_slot(person, gym[1], DAY, "am")
    cancelled = book_slot(person, gym[1], DAY, "pm")
    booking.reservation_cancel(reservation=cancelled, by=clerk, reason="誤り", by_staff=True)
    travel(dt.datetime(2026, 6, 16, 13))
    booking.reservation_mark_used(reservation=used, by=clerk)
    recalc.reservation_recalculate(
        reservation=used, by=clerk, reason="実際は営利目的", commercial=True
    )
    used.refresh_from_db()
    assert used.status == Reservation.Status.USED and used.fee_total == 4000
    with pytest.raises(DomainError) as refused:
        recalc.reservation_recalculate(reservation=cancelled, by=clerk, reason="x", commercial=True)
    assert refused.value.code == "reservation_wrong_state"


def test_staff_of_another_facility__cannot_recalculate(ukiha, gym, person):
    reservation = book_slot(person, gym[1], DAY, "am")
    elsewhere = f.FacilityFactory(municipality=ukiha)
    other = f.staff_user(ukiha, role=User.StaffRole.FACILITY, login_id="bunka")
    other.facilities.add(elsewhere)
    with pytest.raises(DomainError) as refused:
        recalc.reservation_recalculate(
            reservation=reservation, by=other, reason="x", commercial=True
        )
    assert refused.value.code == "recalculate_forbidden"
    client = Client()
    login(client, ukiha, login_id="bunka")
    response = client.post(
        f"/staff/reservations/{reservation.pk}/recalculate/",
        {
            "recalc-party_size": "10",
            "recalc-commercial": "on",
            "recalc-reason": "x",
            "action": "apply",
        },
    )
    assert response.status_code == 404
    reservation.refresh_from_db()
    assert reservation.fee_total == 2000


def test_the_console_shows_the_new_fee_first_then_applies_it(ukiha, gym, person, clerk):
    reservation = book_slot(person, gym[1], DAY, "am")
    client = Client()
    login(client, ukiha, login_id="kaikei")
    detail = client.get(f"/staff/reservations/{reservation.pk}/").content.decode()
    assert "使用料の再計算" in detail and "再計算する" in detail
    form = {
        "recalc-party_size": "10",
        "recalc-commercial": "on",
        "recalc-reason": "入場料を徴収していた",
    }
    preview = client.post(
        f"/staff/reservations/{reservation.pk}/recalculate/", {**form, "action": "preview"}
    )
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "2,000円" in body and "4,000円" in body and "追加のお支払い" in body
    assert "確定する" in body
    reservation.refresh_from_db()
    assert reservation.fee_total == 2000
    done = client.post(
        f"/staff/reservations/{reservation.pk}/recalculate/",
        {**form, "action": "apply"},
        follow=True,
    )
    assert "使用料を再計算しました（2,000円 → 4,000円）。" in done.content.decode()
    reservation.refresh_from_db()
    assert reservation.fee_total == 4000


def test_the_console_shows_a_missing_reason_next_to_its_field(ukiha, gym, person, clerk):
    reservation = book_slot(person, gym[1], DAY, "am")
    client = Client()
    login(client, ukiha, login_id="kaikei")
    response = client.post(
        f"/staff/reservations/{reservation.pk}/recalculate/",
        {"recalc-party_size": "0", "recalc-reason": "", "action": "preview"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_recalc-reason_error"' in body


def test_a_stay_recalculated_with_the_party_that_came__prices_each_person(ukiha, person, clerk):
    _facility, room_type = resort(ukiha)
    stay = book_stay(person, room_type, DAY, nights=2, adults=2)
    before = stay.fee_total
    result = recalc.reservation_recalculate(
        reservation=stay, by=clerk, reason="実際は大人3名・子ども1名", adults=3, children=1
    )
    assert result.previous_total == before
    assert result.difference == 2 * (6000 + 3000)  # one more adult and a child, two nights
    stay.refresh_from_db()
    assert (stay.adults, stay.children) == (3, 1)
    with pytest.raises(DomainError) as too_many:
        recalc.reservation_recalculate(reservation=stay, by=clerk, reason="x", adults=5)
    assert too_many.value.code == "too_many_persons" and too_many.value.field == "adults"
