"""The municipality's settings in the console (自治体の設定): an administrator changes the
policies and what a new applicant may do follows; refusals stand next to their field; only
administrators reach the pages; the permit and the card print the issuer, conditions, note and
seal set here; every change is audited with its values before and after."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests import factories as f
from tests.registrants import builders
from tests.reservations.helpers import book_slot
from tests.reservations.helpers import hall as arena_hall
from tests.reservations.test_permit import admin, hall, pdf_text, permitted, room  # noqa: F401
from tests.staff.test_console import login
from yoyaku.core import municipality_services as ms
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog, Municipality
from yoyaku.registrants.card import registration_card_pdf
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import Reservation
from yoyaku.reservations.permit import use_permit_pdf

pytestmark = pytest.mark.django_db

POLICIES = "/staff/municipality/"
DOCUMENTS = "/staff/municipality/documents/"
USE_DAY = dt.date(2026, 6, 10)  # a Wednesday; "today" is Monday 2026-06-01 (conftest)


def policy_post(municipality: Municipality, **overrides) -> dict:
    """The policies form as the page shows it, with ``overrides`` typed in."""
    data: dict = {}
    for name in ms.POLICY_FIELDS:
        value = getattr(municipality, name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif name in ("service_open_minute", "service_close_minute"):
            data[name] = f"{value // 60}:{value % 60:02d}"
        else:
            data[name] = value
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def png(size=(60, 60), colour=(200, 30, 30, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def permit_of(reservation) -> bytes:
    """The permit as printed now (the reservation read again, with its municipality)."""
    return use_permit_pdf(reservation=Reservation.objects.get(pk=reservation.pk))


def images_in(data: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


# — policies —


def test_admin_switches_to_book_before_review_and_an_applicant_may_then_book(client, ukiha):
    f.staff_user(ukiha)
    login(client, ukiha)
    _, whole, *_ = arena_hall(ukiha)
    applicant = builders.apply(ukiha)
    with pytest.raises(DomainError) as refused:
        book_slot(applicant, whole, USE_DAY, "am")
    assert "registrant_under_review" in {
        p.code for p in getattr(refused.value, "all", [refused.value])
    }

    page = client.get(POLICIES)
    assert "審査完了後に予約可" in page.content.decode()
    response = client.post(POLICIES, policy_post(ukiha, registration_mode="book_before_review"))
    assert response.status_code == 302

    applicant.refresh_from_db()
    reservation = book_slot(applicant, whole, USE_DAY, "am")
    assert reservation.pk
    row = AuditLog.objects.get(action="municipality.update")
    assert row.data["changes"] == {
        "registration_mode": ["review_before_booking", "book_before_review"]
    }


def test_admin_changes_names_labels_and_hours_and_the_citizen_pages_show_them(client, ukiha):
    f.staff_user(ukiha)
    login(client, ukiha)
    response = client.post(
        POLICIES,
        policy_post(
            ukiha,
            system_name="うきは市施設予約",
            resident_label="市内にお住まいの方",
            service_open_minute="９:００",
            service_close_minute="22:30",
            allows_groups=None,
            about_text="公民館や体育館を予約できます。",
        ),
    )
    assert response.status_code == 302
    ukiha.refresh_from_db()
    assert ukiha.system_name == "うきは市施設予約"
    assert (ukiha.service_open_minute, ukiha.service_close_minute) == (540, 1350)
    assert ukiha.allows_groups is False
    top = client.get("/ukiha/").content.decode()
    assert "うきは市施設予約" in top
    assert "公民館や体育館を予約できます。" in top


def test_minato_saved_unchanged_keeps_everything_and_the_audit_row_says_nothing_changed(
    client, minato
):
    f.staff_user(minato)
    login(client, minato)
    assert client.post(POLICIES, policy_post(minato)).status_code == 302
    assert AuditLog.objects.get(action="municipality.update").data == {"changes": {}}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"minimum_age": "200"},
            "minimum_age",
            "「登録できる年齢」は0～99の数字で入力してください。",
        ),
        ({"system_name": ""}, "system_name", "入力してください"),
        ({"year_end_end_day": "31", "year_end_end_month": "2"}, "year_end_end_day", "実在する月日"),
        ({"service_close_minute": "7:00"}, "service_close_minute", "終了を開始より後に"),
        ({"service_open_minute": "8時"}, "service_open_minute", "時:分で入力してください"),
        ({"example_phone": "電話"}, "example_phone", "半角数字とハイフン"),
        (
            {"allows_residents": None, "allows_workers": None, "allows_non_residents": None},
            "allows_residents",
            "いずれかの方が利用者登録できる",
        ),
        ({"name": "長" * 51}, "name", "「自治体名」は50文字以内"),
    ],
)
def test_a_bad_value_is_refused_next_to_its_field_and_nothing_changes(
    client, ukiha, overrides, field, message
):
    f.staff_user(ukiha)
    login(client, ukiha)
    response = client.post(POLICIES, policy_post(ukiha, **overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert not AuditLog.objects.filter(action="municipality.update").exists()
    before = ukiha.system_name
    ukiha.refresh_from_db()
    assert ukiha.system_name == before


def test_the_number_of_digits_of_user_numbers_is_fixed_once_someone_registered(ukiha):
    builders.apply(ukiha)
    admin_user = f.staff_user(ukiha)
    with pytest.raises(DomainError) as refused:
        ms.municipality_update(municipality=ukiha, by=admin_user, user_number_digits=8)
    assert refused.value.field == "user_number_digits"


@pytest.mark.parametrize("role", ["facility", "clerk", "viewer"])
def test_only_administrators_reach_the_municipality_settings(client, ukiha, role):
    f.staff_user(ukiha, role=role)
    login(client, ukiha)
    for url in (POLICIES, DOCUMENTS, DOCUMENTS + "seal/"):
        assert client.get(url).status_code == 403
        assert client.post(url, policy_post(ukiha)).status_code == 403
    assert POLICIES not in client.get("/staff/").content.decode()


# — the permit and the card —


def test_the_permit_prints_the_issuer_and_conditions_set_in_the_console(
    client,
    ukiha,
    permitted,  # noqa: F811
):
    login(client, ukiha)
    response = client.post(
        DOCUMENTS,
        {
            "permit_issuer": "うきは市長　浮羽　一郎",
            "permit_conditions": "利用後は原状に戻してください。\n\n火気は使用できません。",
            "card_note": "紛失したときは窓口へ届け出てください。",
        },
    )
    assert response.status_code == 302
    text = pdf_text(permit_of(permitted))
    assert "うきは市長　浮羽　一郎" in text
    assert "1．利用後は原状に戻してください。" in text
    assert "2．火気は使用できません。" in text
    assert "この許可書を利用当日に" not in text
    person = Registrant.objects.get(pk=permitted.registrant_id)
    card = pdf_text(registration_card_pdf(registrant=person))
    assert "紛失したときは窓口へ届け出てください。" in card
    assert "この登録証は大切に保管してください。" not in card
    row = AuditLog.objects.get(action="municipality.documents_update")
    assert row.data["changes"]["permit_issuer"] == ["", "うきは市長　浮羽　一郎"]


def test_saving_the_standard_wording_unchanged_keeps_the_standard(client, ukiha, admin):  # noqa: F811
    login(client, ukiha)
    initial = client.get(DOCUMENTS).context["form"].initial
    assert initial["permit_issuer"] == "うきは市教育委員会"
    assert client.post(DOCUMENTS, initial).status_code == 302
    ukiha.refresh_from_db()
    assert (ukiha.permit_issuer, ukiha.permit_conditions, ukiha.card_note) == ("", "", "")


def test_a_seal_is_drawn_on_the_permit_and_the_card_and_can_be_removed(
    client,
    ukiha,
    permitted,  # noqa: F811
):
    without = permit_of(permitted)
    assert images_in(without) == 0
    login(client, ukiha)
    seal = SimpleUploadedFile("seal.png", png(), content_type="image/png")
    form = client.get(DOCUMENTS).context["form"].initial
    response = client.post(DOCUMENTS, {**form, "seal": seal})
    assert response.status_code == 302
    ukiha.refresh_from_db()
    assert ukiha.seal_content_type == "image/png"
    assert images_in(permit_of(permitted)) == 1
    # On the card the one image is drawn twice (the letter's sender and the card itself).
    person = Registrant.objects.get(pk=permitted.registrant_id)
    assert images_in(registration_card_pdf(registrant=person)) == 1
    shown = client.get(DOCUMENTS + "seal/")
    assert shown["Content-Type"] == "image/png"
    assert AuditLog.objects.get(action="municipality.documents_update").data["changes"] == {
        "seal": [False, True]
    }

    response = client.post(DOCUMENTS, {**form, "remove_seal": "on"})
    assert response.status_code == 302
    ukiha.refresh_from_db()
    assert not ukiha.seal
    assert images_in(permit_of(permitted)) == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("seal.png", b"<html><script>alert(1)</script></html>", "PNG（.png）またはJPEG"),
        ("seal.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "壊れているか"),
        ("seal.pdf", b"%PDF-1.4\n%%EOF\n", "PNG（.png）またはJPEG"),
        ("seal.png", png(size=(1200, 1200), colour=None), "1MB以下"),
    ],
)
def test_a_seal_that_is_not_a_real_png_or_jpeg_is_refused(
    client,
    ukiha,
    admin,  # noqa: F811
    name,
    content,
    message,
):
    if len(content) <= ms.SEAL_MAX_BYTES and "1MB" in message:
        content = content + b"\x00" * (ms.SEAL_MAX_BYTES + 1 - len(content))
    login(client, ukiha)
    form = client.get(DOCUMENTS).context["form"].initial
    upload = SimpleUploadedFile(name, content)
    response = client.post(DOCUMENTS, {**form, "seal": upload})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["seal"])
    ukiha.refresh_from_db()
    assert not ukiha.seal
    assert not AuditLog.objects.filter(action="municipality.documents_update").exists()


def test_the_navigation_leads_an_administrator_to_the_settings_and_on_to_the_layouts(client, ukiha):
    f.staff_user(ukiha)
    login(client, ukiha)
    assert POLICIES in client.get("/staff/").content.decode()
    assert DOCUMENTS in client.get(POLICIES).content.decode()
