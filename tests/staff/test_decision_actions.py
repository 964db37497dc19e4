"""Staff decisions name their action: a missing or unknown one is refused with a message, never
read as a rejection, and nothing changes. The public calendar parses its month and unit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories as f
from tests.registrants import builders
from tests.registrants.data import PDF
from tests.reservations.helpers import book_stay, hall, registrant, resort
from tests.staff.test_console import login as staff_login
from yoyaku.facilities.models import ReductionCategory
from yoyaku.registrants import services
from yoyaku.registrants.models import ChangeRequest, ReductionGrant, Registrant
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = "操作の指定が正しくありません"
NO_ACTIONS = [{}, {"action": ""}, {"action": "refuse"}, {"action": "approve\x00"}]


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


@pytest.fixture
def staff(client, ukiha, admin):
    staff_login(client, ukiha)
    return client


@pytest.mark.parametrize("data", NO_ACTIONS)
def test_a_change_request_without_an_action_is_neither_approved_nor_refused(
    staff, ukiha, admin, data
):
    person = builders.active(ukiha, admin)
    change = services.registrant_details_change(
        registrant=person, changes={"street": "浮羽町朝田５８２"}
    )
    response = staff.post(f"/staff/changes/{change.pk}/decide/", {**data, "reason": "x"})
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING


@pytest.mark.parametrize("data", NO_ACTIONS)
def test_a_reduction_request_without_an_action_stays_pending(staff, ukiha, data):
    category = ReductionCategory.objects.create(
        municipality=ukiha, name="障がい者減免", percent=100, requires_approval=True
    )
    proof = services.Proof(
        file=SimpleUploadedFile("j.pdf", PDF), content_type="application/pdf", name="j.pdf"
    )
    grant = services.reduction_request(registrant=registrant(ukiha), category=category, proof=proof)
    response = staff.post(
        "/staff/reductions/", {**data, "grant": grant.pk, "reason": "書類が不足しています"}
    )
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    grant.refresh_from_db()
    assert grant.status == ReductionGrant.Status.PENDING


@pytest.mark.parametrize("data", NO_ACTIONS)
def test_a_registration_without_an_action_stays_under_review(staff, ukiha, data):
    applicant = builders.apply(ukiha)
    status = applicant.status
    response = staff.post(
        f"/staff/registrations/{applicant.pk}/decide/", {**data, "message": "住所が不明です"}
    )
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    applicant.refresh_from_db()
    assert applicant.status == status != Registrant.Status.REJECTED


@pytest.mark.parametrize("data", NO_ACTIONS)
def test_a_reservation_act_without_an_action_changes_nothing(staff, ukiha, data):
    _, room = resort(ukiha)
    stay = book_stay(registrant(ukiha), room, dt.date(2026, 6, 16))
    status = stay.status
    response = staff.post(f"/staff/reservations/{stay.pk}/act/", {**data, "reason": "x"})
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    stay.refresh_from_db()
    assert stay.status == status != Reservation.Status.REJECTED


def test_a_registration_merge_into_a_non_numeric_id_is_refused(staff, ukiha):
    applicant = builders.apply(ukiha)
    response = staff.post(
        f"/staff/registrations/{applicant.pk}/decide/", {"action": "merge", "into": "²"}
    )
    assert response.status_code == 400
    applicant.refresh_from_db()
    assert applicant.status != Registrant.Status.MERGED


@pytest.mark.parametrize("month", ["²⁰²⁶-⁰⁷", "2026-13", "１２", "9" * 5000, "2026-07\x00"])
def test_the_facility_calendar_refuses_a_month_it_cannot_read(client, ukiha, month):
    facility, *_ = hall(ukiha)
    response = client.get(f"/ukiha/facilities/{facility.slug}/calendar/", {"month": month})
    assert response.status_code == 400
    assert "2026-12 の形式" in response.content.decode()


@pytest.mark.parametrize("unit", ["²", "١", "-1", str(2**31), "9" * 5000])
def test_the_facility_calendar_refuses_a_unit_it_cannot_read(client, ukiha, unit):
    facility, *_ = hall(ukiha)
    response = client.get(f"/ukiha/facilities/{facility.slug}/calendar/", {"unit": unit})
    assert response.status_code == 400


def test_the_facility_calendar_shows_the_chosen_unit_and_month(client, ukiha):
    facility, whole, *_ = hall(ukiha)
    response = client.get(
        f"/ukiha/facilities/{facility.slug}/calendar/", {"unit": whole.pk, "month": "2026-7"}
    )
    assert response.status_code == 200
    assert response.context["unit"] == whole
    assert response.context["calendar"].year == 2026
