"""A change of name (e.g. after marriage) through 変更届: with a proof, after staff review."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories as f
from tests.registrants import builders
from tests.registrants.data import GIF, PDF
from tests.staff.test_console import login as staff_login
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog
from yoyaku.registrants import services
from yoyaku.registrants.models import ChangeRequest, Registrant

pytestmark = pytest.mark.django_db(transaction=True)

NEW_NAME = {"name_kana": "ミノウ　ハナコ", "name": "耳納　花子"}


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha, role="admin")


@pytest.fixture
def person(ukiha, admin):
    return builders.active(ukiha, admin, name_kana="ウキハ　ハナコ", name="浮羽　花子")


@pytest.fixture
def citizen(client, person):
    client.force_login(person.user)
    return client


@pytest.fixture
def clerk(ukiha, admin):
    staff = Client()
    staff_login(staff, ukiha)
    return staff


def _form(person: Registrant, **changes) -> dict:
    data = {
        "name_kana": person.name_kana,
        "name": person.name,
        "phone": person.phone,
        "email": person.email,
        "category": person.category,
        "postal_code": person.postal_code,
        "prefecture": person.prefecture,
        "city": person.city,
        "street": person.street,
    }
    data.update(changes)
    return data


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("koseki.pdf", PDF, content_type="application/pdf")


def test_the_change_form__offers_the_name_and_its_proof(citizen, person):
    page = citizen.get("/ukiha/mypage/details/").content.decode()
    assert 'value="浮羽　花子"' in page
    assert 'name="name_proof"' in page
    assert "氏名の変更を確認できる書類" in page


def test_a_new_name_with_a_proof__waits_for_review_and_nothing_changes_yet(citizen, person):
    response = citizen.post(
        "/ukiha/mypage/details/", {**_form(person, **NEW_NAME), "name_proof": _pdf()}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.name == "浮羽　花子"
    change = ChangeRequest.objects.get(registrant=person)
    assert change.status == ChangeRequest.Status.PENDING
    assert change.changes == NEW_NAME
    assert change.name_proof and change.name_proof_type == "application/pdf"
    assert not change.employment_proof  # never taken for a proof of employment
    row = AuditLog.objects.get(action="registrant.change", target_id=str(person.pk))
    assert row.data["review"] == ["name", "name_kana"]


def test_a_new_name_without_a_proof__is_refused_next_to_the_proof_field(citizen, person):
    response = citizen.post("/ukiha/mypage/details/", _form(person, **NEW_NAME))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<p class="error-text" id="id_name_proof_error">'
        "氏名を変更するときは、新しい氏名が分かる書類（戸籍抄本など）を添付してください。"
    ) in page
    assert not ChangeRequest.objects.exists()
    person.refresh_from_db()
    assert person.name == "浮羽　花子"


def test_a_name_proof_that_is_not_a_pdf_or_an_image__is_refused_by_its_content(citizen, person):
    fake = SimpleUploadedFile("koseki.pdf", GIF, content_type="application/pdf")
    response = citizen.post(
        "/ukiha/mypage/details/", {**_form(person, **NEW_NAME), "name_proof": fake}
    )
    assert response.status_code == 200
    assert 'id="id_name_proof_error"' in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_the_service_refuses_a_new_name_without_a_proof(person):
    with pytest.raises(DomainError) as caught:
        services.registrant_details_change(registrant=person, changes=NEW_NAME)
    assert caught.value.field == "name_proof"
    assert not ChangeRequest.objects.exists()


def test_staff_see_old_and_new_name_with_the_proof__and_approval_renames(citizen, clerk, person):
    citizen.post("/ukiha/mypage/details/", {**_form(person, **NEW_NAME), "name_proof": _pdf()})
    change = ChangeRequest.objects.get()
    page = clerk.get("/staff/changes/").content.decode()
    assert "氏名漢字" in page and "浮羽　花子" in page and "耳納　花子" in page
    assert "氏名カタカナ" in page and "ミノウ　ハナコ" in page
    link = f"/staff/registrations/{person.pk}/proof/?change={change.pk}&amp;file=name"
    assert link in page
    proof = clerk.get(link.replace("&amp;", "&"))
    assert proof.status_code == 200
    assert proof["Content-Type"] == "application/pdf"
    assert b"".join(proof.streaming_content) == PDF
    assert AuditLog.objects.filter(action="registrant.proof_view").count() == 1

    response = clerk.post(f"/staff/changes/{change.pk}/decide/", {"action": "approve"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name_kana, person.name) == ("ミノウ　ハナコ", "耳納　花子")
    assert person.user.display_name == "耳納　花子"
    assert not person.employment_proof  # the name's proof is not a proof of employment
    row = AuditLog.objects.get(action="registrant.change_approve")
    assert row.data["fields"] == ["name", "name_kana"]


def test_a_refused_name_change__keeps_the_registered_name(clerk, person):
    proof = services.Proof(file=ContentFile(PDF), content_type="application/pdf", name="a.pdf")
    change = services.registrant_details_change(
        registrant=person, changes=NEW_NAME, name_proof=proof
    )
    clerk.post(
        f"/staff/changes/{change.pk}/decide/", {"action": "reject", "reason": "書類が不鮮明です"}
    )
    person.refresh_from_db()
    assert person.name == "浮羽　花子"
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.REJECTED
