"""Attachments: only real PDF, PNG and JPEG files, named for what they are, without markup;
staff get each stored file back with the type found when it was checked, and nothing else.

Every upload field is tried: the online application, the counter application, the 変更届,
the reply to a request for information and the 減免 application.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories as f
from tests.registrants import builders
from tests.registrants.data import GIF, JPEG, PDF, PNG, worker_data
from tests.staff.test_console import login as staff_login
from yoyaku.core.uploads import sniff_upload
from yoyaku.facilities.models import ReductionCategory
from yoyaku.registrants import services
from yoyaku.registrants.models import ChangeRequest, ReductionGrant, Registrant

pytestmark = pytest.mark.django_db(transaction=True)

TYPE_REFUSED = "添付できるのはPDF・JPEG・PNG形式のファイルです。"
NAME_REFUSED = "拡張子がファイルの内容と合いません"
MARKUP_REFUSED = "HTMLなどを含むファイルは添付できません。"

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
# A PDF that a browser would also run as a page, markup near its start or near its end.
PDF_SCRIPT_AT_START = PDF[:9] + b"%<script>alert(document.cookie)</script>\n" + PDF[9:]
PDF_HTML_AT_END = PDF + b"%" + b"x" * 8000 + b"\n<HTML><body onload=alert(1)>\n"


@dataclass
class Ctx:
    muni: object
    admin: object
    citizen: Client
    staff: Client


@pytest.fixture
def ctx(minato):
    admin = f.staff_user(minato)
    staff = Client()
    staff_login(staff, minato)
    return Ctx(muni=minato, admin=admin, citizen=Client(), staff=staff)


def _logged_in(ctx: Ctx, registrant: Registrant) -> None:
    ctx.citizen.force_login(registrant.user)


# — each upload field: post a file, then where staff find what was stored —


def upload_online(ctx: Ctx, upload):
    response = ctx.citizen.post(
        "/minato/register/form/", {**worker_data(), "employment_proof": upload}
    )
    if response.status_code == 302:
        response = ctx.citizen.post("/minato/register/confirm/")
    return response


def stored_online(ctx: Ctx) -> str | None:
    registrant = Registrant.objects.filter(employment_proof__gt="").first()
    return registrant and f"/staff/registrations/{registrant.pk}/proof/"


def upload_counter(ctx: Ctx, upload):
    data = worker_data(email="", email_confirm="", channel="counter", kind="individual")
    return ctx.staff.post("/staff/registrations/new/", {**data, "employment_proof": upload})


def upload_change(ctx: Ctx, upload):
    person = builders.active(ctx.muni, ctx.admin)
    _logged_in(ctx, person)
    data = {
        "phone": person.phone,
        "email": person.email,
        "category": person.category,
        "postal_code": person.postal_code,
        "prefecture": person.prefecture,
        "city": person.city,
        "street": person.street,
        "employment_proof": upload,
    }
    return ctx.citizen.post("/minato/mypage/details/", data)


def stored_change(ctx: Ctx) -> str | None:
    change = ChangeRequest.objects.filter(employment_proof__gt="").first()
    return change and f"/staff/registrations/{change.registrant_id}/proof/?change={change.pk}"


def upload_reply(ctx: Ctx, upload):
    person = builders.apply(ctx.muni)
    services.registration_request_info(
        registrant=person, by=ctx.admin, message="在勤証明書を添付してください。"
    )
    _logged_in(ctx, person)
    return ctx.citizen.post(
        "/minato/mypage/reply/", {"reply": "添付します。", "employment_proof": upload}
    )


def upload_reduction(ctx: Ctx, upload):
    category = ReductionCategory.objects.create(
        municipality=ctx.muni,
        name="障害者減免",
        percent=50,
        requires_approval=True,
        proof_description="障害者手帳",
    )
    person = builders.active(ctx.muni, ctx.admin)
    _logged_in(ctx, person)
    return ctx.citizen.post(
        "/minato/mypage/reductions/", {"category": category.pk, "employment_proof": upload}
    )


def stored_reduction(ctx: Ctx) -> str | None:
    grant = ReductionGrant.objects.filter(proof__gt="").first()
    return grant and f"/staff/reductions/{grant.pk}/proof/"


FIELDS = {
    "online": (upload_online, stored_online),
    "counter": (upload_counter, stored_online),
    "change": (upload_change, stored_change),
    "reply": (upload_reply, stored_online),
    "reduction": (upload_reduction, stored_reduction),
}


@pytest.fixture(params=sorted(FIELDS))
def field(request):
    return FIELDS[request.param]


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("proof.html", PDF, NAME_REFUSED),
        ("proof.pdf", PDF_SCRIPT_AT_START, MARKUP_REFUSED),
        ("proof.pdf", PDF_HTML_AT_END, MARKUP_REFUSED),
        ("proof.svg", SVG, TYPE_REFUSED),
        ("proof.png", SVG, TYPE_REFUSED),
        ("scan.pdf", PNG, NAME_REFUSED),
        ("scan.gif", GIF, TYPE_REFUSED),
    ],
    ids=["html-name", "script-start", "html-end", "svg", "svg-as-png", "png-as-pdf", "gif"],
)
def test_a_refused_file_is_said_next_to_the_field_and_nothing_is_stored(
    ctx, field, name, body, message
):
    upload, stored = field
    # The type the browser claims counts for nothing.
    response = upload(ctx, SimpleUploadedFile(name, body, content_type="application/pdf"))
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert stored(ctx) is None


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("在勤証明書.pdf", PDF, "application/pdf"),
        ("scan.PNG", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
    ],
    ids=["pdf", "png", "jpeg"],
)
def test_an_accepted_file_is_shown_to_staff_with_the_type_found(
    ctx, field, name, body, content_type
):
    upload, stored = field
    response = upload(ctx, SimpleUploadedFile(name, body, content_type="text/html"))
    assert response.status_code == 302
    served = ctx.staff.get(stored(ctx))
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    shown = "attachment;" if content_type == "application/pdf" else "inline;"
    assert served["Content-Disposition"].startswith(shown)
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert served["Cache-Control"] == "no-store"
    assert b"".join(served.streaming_content) == body


def _assert_downloaded_as_bytes(response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


@pytest.mark.parametrize("stored_type", ["text/html", "image/svg+xml", ""])
def test_a_legacy_proof_with_an_odd_or_no_type_is_downloaded_never_shown(ctx, stored_type):
    person = builders.apply(ctx.muni)
    person.employment_proof.save("proof.html", ContentFile(b"<script>alert(1)</script>"))
    person.employment_proof_type = stored_type
    person.save()
    _assert_downloaded_as_bytes(ctx.staff.get(f"/staff/registrations/{person.pk}/proof/"))
    change = ChangeRequest.objects.create(
        registrant=person, changes={}, created_at=person.registered_at
    )
    change.employment_proof.save("old.html", ContentFile(b"<html>"), save=True)
    _assert_downloaded_as_bytes(
        ctx.staff.get(f"/staff/registrations/{person.pk}/proof/?change={change.pk}")
    )
    grant = ReductionGrant.objects.create(
        registrant=person,
        category=ReductionCategory.objects.create(municipality=ctx.muni, name="減免", percent=50),
        requested_at=person.registered_at,
        proof_type=stored_type,
    )
    grant.proof.save("old.html", ContentFile(b"<html>"), save=True)
    _assert_downloaded_as_bytes(ctx.staff.get(f"/staff/reductions/{grant.pk}/proof/"))


def test_a_change_requests_proof_is_served_with_its_own_type_and_kept_on_approval(ctx):
    person = builders.active(ctx.muni, ctx.admin)
    person.employment_proof.save("old.png", ContentFile(PNG))
    person.employment_proof_type = "image/png"
    person.save()
    response = upload_change(ctx, SimpleUploadedFile("新しい証明書.pdf", PDF))
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert change.employment_proof_type == "application/pdf"
    url = f"/staff/registrations/{change.registrant_id}/proof/"
    assert ctx.staff.get(f"{url}?change={change.pk}")["Content-Type"] == "application/pdf"
    ctx.staff.post(f"/staff/changes/{change.pk}/decide/", {"action": "approve"})
    change.registrant.refresh_from_db()
    assert change.registrant.employment_proof_type == "application/pdf"
    served = ctx.staff.get(url)
    assert served["Content-Type"] == "application/pdf"
    assert b"".join(served.streaming_content) == PDF


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("empty.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),  # no page
        ("cut.pdf", PDF[: len(PDF) // 3]),
        ("cut.png", PNG[:40]),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("cut.jpg", JPEG[:30]),
        ("noext", PDF),
        ("proof.pdf.html", PDF),
    ],
)
def test_a_broken_or_misnamed_file_is_refused(name, body):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        sniff_upload(SimpleUploadedFile(name, body))


def test_the_type_is_found_from_the_content_and_the_file_is_left_at_its_start():
    upload = SimpleUploadedFile("写真.JPG", JPEG, content_type="application/pdf")
    assert sniff_upload(upload) == "image/jpeg"
    assert upload.read() == JPEG
