"""減免: requested with a proof, approved by staff, applied at booking, limited per year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories as f
from tests.registrants.data import PDF
from tests.reservations.helpers import book_stay, hall, registrant, resort
from yoyaku.core.errors import DomainError
from yoyaku.facilities.models import ReductionCategory
from yoyaku.registrants import services
from yoyaku.registrants.models import ReductionGrant

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 16)


@pytest.fixture
def senior(minato):
    return ReductionCategory.objects.create(
        municipality=minato,
        name="区民保養施設 利用助成",
        percent=50,
        requires_approval=True,
        proof_description="住民票",
        annual_night_limit=2,
    )


def test_an_unapproved_reduction_cannot_be_used(minato, senior):
    _, room_type = resort(minato)
    person = registrant(minato)
    with pytest.raises(DomainError) as refused:
        book_stay(person, room_type, DAY, reduction=senior)
    assert refused.value.code == "reduction_not_granted"


def test_request_needs_the_proof_then_staff_approve_and_it_applies(minato, senior):
    _, room_type = resort(minato)
    person = registrant(minato)
    staff = f.staff_user(minato, login_id="clerk")
    with pytest.raises(DomainError) as refused:
        services.reduction_request(registrant=person, category=senior)
    assert refused.value.code == "reduction_proof_required"
    proof = services.Proof(
        file=SimpleUploadedFile("j.pdf", PDF), content_type="application/pdf", name="j.pdf"
    )
    grant = services.reduction_request(registrant=person, category=senior, proof=proof)
    assert grant.status == ReductionGrant.Status.PENDING
    with pytest.raises(DomainError):
        services.reduction_decide(grant=grant, by=staff, approve=False, reason="")
    services.reduction_decide(grant=grant, by=staff, approve=True)
    stay = book_stay(person, room_type, DAY, nights=3, adults=2, reduction=senior)
    # 2 adults × 6,000 × 3 nights = 36,000; the limit of 2 nights a year gives 50 % on 24,000.
    assert stay.fee_total == 36000 - 12000
    kinds = [line["kind"] for line in stay.fee_breakdown["lines"]]
    assert kinds.count("reduction") == 1
    # The allowance is used up for this fiscal year; a next stay pays in full.
    second = book_stay(
        person, room_type, DAY + dt.timedelta(days=10), nights=1, adults=1, reduction=senior
    )
    assert second.fee_total == 6000


def test_reduction_and_commercial_use_do_not_mix(ukiha):
    _, whole, *_ = hall(ukiha)
    category = ReductionCategory.objects.create(
        municipality=ukiha, name="公益団体", percent=50, requires_approval=False
    )
    person = registrant(ukiha)
    from tests.reservations.helpers import book_slot

    with pytest.raises(DomainError) as refused:
        book_slot(person, whole, DAY, "am", commercial=True, reduction=category)
    assert refused.value.code == "reduction_not_for_commercial"
    reservation = book_slot(person, whole, DAY, "am", reduction=category)
    assert reservation.fee_total == 1000


def test_a_category_that_needs_no_approval_is_granted_at_once(ukiha):
    category = ReductionCategory.objects.create(
        municipality=ukiha, name="市主催行事", percent=100, requires_approval=False
    )
    grant = services.reduction_request(registrant=registrant(ukiha), category=category)
    assert grant.status == ReductionGrant.Status.APPROVED
