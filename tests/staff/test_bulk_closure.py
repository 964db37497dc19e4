"""一括休館: a clerk closes a facility for a period; every reservation in it is cancelled free
of charge and refunded through the payment ledger, lottery applications are withdrawn, each
person is mailed, and nothing new can be booked in the period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from tests import factories as f
from tests.lottery.test_rounds import make_round, stay
from tests.payments import conftest as payments_conftest
from tests.payments.test_payment_flow import pay_page, sandbox_ref
from tests.reservations.helpers import book_slot, hall, registrant, resort
from tests.staff.test_console import login
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, AuditLog, User
from yoyaku.facilities.models import Closure, Facility
from yoyaku.lottery import services as lottery_services
from yoyaku.lottery.models import LotteryApplication
from yoyaku.payments import ledger
from yoyaku.payments.models import Refund
from yoyaku.reservations.models import Penalty, Reservation
from yoyaku.scheduling import closures
from yoyaku.scheduling.models import BulkClosure

pytestmark = pytest.mark.django_db(transaction=True)

paying = payments_conftest.paying  # the sandbox provider, in-process

R = Reservation.Status
DAY = dt.date(2026, 6, 16)  # two weeks after "now" (2026-06-01 10:00)


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


@pytest.fixture
def paid_hall(ukiha):
    facility, whole, half_a, half_b = hall(
        ukiha, name="うきは市文化会館", payment_mode=Facility.PaymentMode.REQUIRED
    )
    return facility, whole, half_a, half_b


@pytest.fixture
def person(ukiha):
    return registrant(ukiha, name="浮羽　花子", email="hanako@example.jp")


def _paid_reservation(paying, person, unit, day=DAY):
    reservation = book_slot(person, unit, day, "am")
    citizen = Client()
    citizen.force_login(person.user)
    paying.pay_by_card(sandbox_ref(pay_page(citizen, reservation)))
    reservation.refresh_from_db()
    assert reservation.status == R.CONFIRMED and ledger.balance(reservation) == 0
    return reservation


def _form(facility, unit=None, start=DAY, end=DAY + dt.timedelta(days=6), reason="空調設備の改修"):
    return {
        "facility": facility.pk,
        "unit": unit.pk if unit else "",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "reason": reason,
    }


def test_closing_a_facility__cancels_the_paid_booking_refunds_it_mails_and_refuses_new_ones(
    paying, client, ukiha, admin, paid_hall, person
):
    facility, whole, half_a, _half_b = paid_hall
    reservation = _paid_reservation(paying, person, whole)
    login(client, ukiha)

    preview = client.post("/staff/closures/new/", {**_form(facility), "step": "preview"})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert reservation.number in page and "浮羽　花子" in page
    assert "2,000円" in page  # what the free cancellation gives back
    assert not Closure.objects.exists()  # a preview changes nothing
    assert AuditLog.objects.filter(
        action=AuditAction.RESERVATION_VIEW, data__page="closure_preview"
    ).exists()
    mail.outbox.clear()

    response = client.post("/staff/closures/new/", {**_form(facility), "step": "confirm"})
    job = BulkClosure.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/closures/{job.pk}/"
    assert job.status == BulkClosure.Status.DONE  # the test backend runs the task at once
    assert (job.total, job.done, job.cancelled) == (1, 1, 1)

    reservation.refresh_from_db()
    assert reservation.status == R.CANCELLED
    assert reservation.cancellation_fee == 0 and reservation.cancel_reason == "空調設備の改修"
    assert not Penalty.objects.filter(registrant=person).exists()
    refund = Refund.objects.get()
    assert refund.amount == 2000 and refund.status == Refund.Status.SUCCEEDED
    assert ledger.balance(reservation) == 0
    cancelled = [m for m in mail.outbox if "予約を取り消しました" in m.subject]
    assert cancelled and cancelled[0].to == ["hanako@example.jp"]
    assert "空調設備の改修" in cancelled[0].body

    with pytest.raises(DomainError) as refused:
        book_slot(person, half_a, DAY + dt.timedelta(days=2), "pm")
    assert refused.value.code == "date_closed"

    done = client.get(response["Location"]).content.decode()
    assert "完了しました" in done and 'http-equiv="refresh"' not in done
    assert AuditLog.objects.filter(action=AuditAction.CLOSURE_BULK_START, actor=admin).exists()
    assert AuditLog.objects.filter(action=AuditAction.CLOSURE_BULK_DONE).exists()


def test_closing_one_half_of_the_arena__leaves_the_other_half_booked(
    ukiha, admin, paid_hall, person
):
    facility, whole, half_a, half_b = paid_hall
    on_a = book_slot(person, half_a, DAY, "am")
    on_b = book_slot(person, half_b, DAY, "pm")
    job = closures.bulk_closure_start(
        facility=facility, unit=half_a, start_date=DAY, end_date=DAY, reason="床の修繕", by=admin
    )
    job.refresh_from_db()
    assert job.cancelled == 1
    on_a.refresh_from_db()
    on_b.refresh_from_db()
    assert on_a.status == R.CANCELLED and on_b.status == R.AWAITING_PAYMENT
    with pytest.raises(DomainError):
        book_slot(person, whole, DAY, "night")  # the whole includes the closed half


def test_running_the_task_twice__cancels_nothing_twice_and_adds_one_closure(
    ukiha, admin, paid_hall, person
):
    facility, whole, *_ = paid_hall
    book_slot(person, whole, DAY, "am")
    job = closures.bulk_closure_start(
        facility=facility, unit=None, start_date=DAY, end_date=DAY, reason="選挙の投票所", by=admin
    )
    again = closures.bulk_closure_run(job=job)
    # Even a job marked unfinished (a worker that died) only finishes the rest.
    BulkClosure.objects.filter(pk=job.pk).update(status=BulkClosure.Status.RUNNING)
    third = closures.bulk_closure_run(job=job)
    assert again.cancelled == third.cancelled == 1
    assert Closure.objects.count() == 1
    assert (
        AuditLog.objects.filter(
            action=AuditAction.RESERVATION_CANCEL, target_type="reservations.reservation"
        ).count()
        == 1
    )


def test_open_lottery_applications_in_the_period__are_withdrawn_and_the_person_mailed(
    minato, travel
):
    travel(dt.datetime(2026, 6, 2, 10, 0))
    admin = f.staff_user(minato)
    facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type])
    person = registrant(minato, email="taro@example.jp")
    application = lottery_services.lottery_apply(
        lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
    )
    preview = closures.closure_affected(
        facility=facility, unit=None, start_date=dt.date(2026, 8, 9), end_date=dt.date(2026, 8, 9)
    )
    assert preview.applications == [application]  # the second night of the stay is closed
    mail.outbox.clear()
    job = closures.bulk_closure_start(
        facility=facility,
        unit=None,
        start_date=dt.date(2026, 8, 9),
        end_date=dt.date(2026, 8, 9),
        reason="館内点検",
        by=admin,
    )
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.WITHDRAWN
    assert BulkClosure.objects.get(pk=job.pk).withdrawn == 1
    withdrawn = [m for m in mail.outbox if "抽選の申込みを取り下げました" in m.subject]
    assert withdrawn and withdrawn[0].to == ["taro@example.jp"] and "館内点検" in withdrawn[0].body


def test_a_closure_in_the_past_or_without_a_reason__is_refused_next_to_the_form(
    client, ukiha, admin, paid_hall
):
    facility, *_ = paid_hall
    login(client, ukiha)
    past = client.post(
        "/staff/closures/new/",
        {**_form(facility, start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 2)), "step": "confirm"},
    )
    assert past.status_code == 400
    assert "今日以降" in past.content.decode()
    no_reason = client.post(
        "/staff/closures/new/", {**_form(facility, reason=""), "step": "confirm"}
    )
    assert no_reason.status_code == 400
    assert not BulkClosure.objects.exists() and not Closure.objects.exists()


def test_facility_staff__cannot_close_or_see_the_closures_of_another_facility(
    client, ukiha, admin, paid_hall
):
    facility, *_ = paid_hall
    own, *_ = hall(ukiha, name="吉井体育センター")
    clerk = f.staff_user(ukiha, role=User.StaffRole.FACILITY, login_id="bunka")
    clerk.facilities.add(own)
    job = closures.bulk_closure_start(
        facility=facility, unit=None, start_date=DAY, end_date=DAY, reason="行事", by=admin
    )
    login(client, ukiha, login_id="bunka")
    refused = client.post("/staff/closures/new/", {**_form(facility), "step": "confirm"})
    assert refused.status_code == 400
    assert BulkClosure.objects.count() == 1
    assert client.get(f"/staff/closures/{job.pk}/").status_code == 404


def test_the_progress_page__refreshes_itself_while_the_job_runs(client, ukiha, admin, paid_hall):
    facility, *_ = paid_hall
    job = BulkClosure.objects.create(
        municipality=ukiha,
        facility=facility,
        start_date=DAY,
        end_date=DAY,
        reason="改修",
        status=BulkClosure.Status.RUNNING,
        total=4,
        done=1,
        created_by=admin,
        created_at=facility.municipality.users.first().date_joined,
    )
    login(client, ukiha)
    page = client.get(f"/staff/closures/{job.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "1 / 4件" in page and 'value="25"' in page
