"""Two review policies, the staff review queue, duplicates, deletion — with their e-mails."""

from __future__ import annotations

import pytest
from django.core import mail

from tests import factories as f
from tests.registrants import builders
from tests.staff.test_console import login as staff_login
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog, User
from yoyaku.registrants import selectors, services
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


def test_minato_applicants_may_book_at_once(minato):
    registrant = builders.apply(minato)
    assert selectors.booking_refusal(registrant) is None


def test_ukiha_applicants_wait_for_review(ukiha, admin):
    registrant = builders.apply(ukiha)
    assert selectors.booking_refusal(registrant) == "under_review"
    services.registration_approve(registrant=registrant, by=admin)
    registrant.refresh_from_db()
    assert selectors.booking_refusal(registrant) is None


def test_applicant_under_review_sees_the_status_after_log_in(client, ukiha):
    registrant = builders.apply(ukiha, birth_date=__import__("datetime").date(1990, 1, 9))
    client.post("/ukiha/login/", {"user_number": registrant.user_number, "password": "19900109"})
    page = client.get("/ukiha/mypage/").content.decode()
    assert "審査中" in page
    assert "審査が完了するまで、予約・抽選の申込みはできません。" in page


def test_approval_mails_the_person_and_is_audited(ukiha, admin):
    registrant = builders.apply(ukiha)
    mail.outbox.clear()
    services.registration_approve(registrant=registrant, by=admin)
    assert "利用者登録が完了しました" in mail.outbox[0].subject
    assert AuditLog.objects.filter(action="registration.approve", actor=admin).exists()


def test_rejection_needs_a_reason_ends_the_registration_and_mails_why(ukiha, admin):
    registrant = builders.apply(ukiha)
    with pytest.raises(DomainError) as refused:
        services.registration_reject(registrant=registrant, by=admin, reason=" ")
    assert refused.value.code == "reason_required"
    mail.outbox.clear()
    services.registration_reject(
        registrant=registrant, by=admin, reason="在住を確認できませんでした"
    )
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.REJECTED
    assert not registrant.user.is_active
    assert "在住を確認できませんでした" in mail.outbox[0].body
    assert "予約・抽選の申込み）もすべて取消し" in mail.outbox[0].body


def test_minato_rejection_after_booking_has_started_is_allowed(minato):
    admin = f.staff_user(minato)
    registrant = builders.apply(minato)
    services.registration_approve(registrant=registrant, by=admin)
    services.registration_reject(registrant=registrant, by=admin, reason="在勤証明書が無効")
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.REJECTED


def test_request_for_information_and_the_applicants_reply(client, ukiha, admin):
    registrant = builders.apply(ukiha)
    services.registration_request_info(
        registrant=registrant, by=admin, message="住所が確認できる書類を添付してください。"
    )
    assert "確認のお願い" in mail.outbox[-1].subject
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.INFO_REQUESTED
    client.force_login(registrant.user)
    page = client.get("/ukiha/mypage/").content.decode()
    assert "住所が確認できる書類を添付してください。" in page
    response = client.post("/ukiha/mypage/reply/", {"reply": "転居したばかりです。"})
    assert response.status_code == 302
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.APPLIED
    assert registrant.applicant_reply == "転居したばかりです。"


def test_a_transition_from_a_wrong_state_is_refused_with_a_clear_message(ukiha, admin):
    registrant = builders.active(ukiha, admin)
    with pytest.raises(DomainError) as refused:
        services.registration_approve(registrant=registrant, by=admin)
    assert refused.value.code == "registrant_wrong_state"
    assert "登録済" in refused.value.message


class TestDuplicates:
    def test_same_kana_and_birth_date_is_flagged_and_cannot_book(self, ukiha, admin):
        import datetime as dt

        first = builders.active(
            ukiha, admin, name_kana="ヨシイ　ハナコ", birth_date=dt.date(1970, 5, 5)
        )
        second = builders.apply(
            ukiha, name_kana="ﾖｼｲ ﾊﾅｺ", birth_date=dt.date(1970, 5, 5), phone="090-1111-2222"
        )
        assert second.duplicate_suspected
        assert list(second.possible_duplicates.all()) == [first]
        assert selectors.booking_refusal(second) == "duplicate_suspected"
        with pytest.raises(DomainError) as refused:
            services.registration_approve(registrant=second, by=admin)
        assert refused.value.code == "registration_duplicate_unresolved"

    @pytest.mark.parametrize("same", ["phone", "email"])
    def test_same_phone_or_email_is_flagged(self, ukiha, admin, same):
        first = builders.apply(ukiha)
        second = builders.apply(ukiha, **{same: getattr(first, same)})
        assert second.duplicate_suspected

    def test_a_different_person_is_cleared_and_approved(self, ukiha, admin):
        first = builders.apply(ukiha)
        second = builders.apply(ukiha, phone=first.phone)  # a family sharing a phone
        services.registration_clear_duplicate(registrant=second, by=admin)
        services.registration_approve(registrant=second, by=admin)
        second.refresh_from_db()
        assert second.status == Registrant.Status.ACTIVE

    def test_merge_closes_the_new_application_and_updates_the_existing_one(self, ukiha, admin):
        first = builders.active(ukiha, admin)
        second = builders.apply(ukiha, email=first.email, phone="090-9999-0000")
        services.registration_merge(registrant=second, into=first, by=admin)
        first.refresh_from_db()
        second.refresh_from_db()
        assert second.status == Registrant.Status.MERGED
        assert second.merged_into == first
        assert first.phone == "090-9999-0000"
        assert f"利用者番号 {first.user_number} でログインしてください" in mail.outbox[-1].body


class TestStaffConsole:
    def test_review_queue_lists_applications_and_viewing_one_is_audited(self, client, ukiha, admin):
        registrant = builders.apply(ukiha)
        staff_login(client, ukiha)
        page = client.get("/staff/registrations/").content.decode()
        assert registrant.user_number in page
        detail = client.get(f"/staff/registrations/{registrant.pk}/").content.decode()
        assert registrant.name in detail
        assert AuditLog.objects.filter(action="registrant.view", actor=admin).count() == 1

    def test_staff_approve_and_print_the_card(self, client, ukiha, admin):
        registrant = builders.apply(ukiha)
        staff_login(client, ukiha)
        client.post(f"/staff/registrations/{registrant.pk}/decide/", {"action": "approve"})
        registrant.refresh_from_db()
        assert registrant.status == Registrant.Status.ACTIVE
        card = client.get(f"/staff/registrations/{registrant.pk}/card/")
        assert card["Content-Type"] == "application/pdf"
        assert card.content.startswith(b"%PDF")
        assert AuditLog.objects.filter(action="registrant.card_print").exists()

    def test_reject_without_a_reason_shows_the_message(self, client, ukiha, admin):
        registrant = builders.apply(ukiha)
        staff_login(client, ukiha)
        response = client.post(
            f"/staff/registrations/{registrant.pk}/decide/", {"action": "reject", "message": ""}
        )
        assert response.status_code == 400
        assert "理由を入力してください。" in response.content.decode()

    def test_proof_is_streamed_only_to_admins_and_audited(self, client, ukiha, admin):
        from django.core.files.base import ContentFile

        registrant = builders.apply(ukiha)
        registrant.employment_proof.save("p.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
        registrant.employment_proof_type = "application/pdf"
        registrant.save()
        f.staff_user(ukiha, role=User.StaffRole.FACILITY, login_id="bunka")
        staff_login(client, ukiha, login_id="bunka")
        assert client.get(f"/staff/registrations/{registrant.pk}/proof/").status_code == 403
        client.logout()
        staff_login(client, ukiha)
        response = client.get(f"/staff/registrations/{registrant.pk}/proof/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert AuditLog.objects.filter(action="registrant.proof_view", actor=admin).exists()

    def test_staff_of_another_municipality_cannot_see_the_registrant(self, client, ukiha, minato):
        registrant = builders.apply(ukiha)
        f.staff_user(minato)
        staff_login(client, minato)
        assert client.get(f"/staff/registrations/{registrant.pk}/").status_code == 404

    def test_counter_registration_uses_the_same_checks_and_needs_no_email(
        self, client, ukiha, admin
    ):
        staff_login(client, ukiha)
        from tests.registrants.data import form_data

        data = form_data(
            email="",
            email_confirm="",
            phone="0943-75-1234",
            postal_code="839-1393",
            prefecture="福岡県",
            city="うきは市",
            street="吉井町1",
        )
        data.update(channel="post", kind="individual")
        response = client.post("/staff/registrations/new/", data)
        assert response.status_code == 302
        registrant = Registrant.objects.get()
        assert registrant.channel == Registrant.Channel.POST
        assert registrant.email == ""
        assert mail.outbox == []  # the number goes out by post with the card
        bad = dict(data, name_kana="港 太郎")
        response = client.post("/staff/registrations/new/", bad)
        assert "全角カタカナで、氏と名の間に全角スペース" in response.content.decode()

    def test_deletion_needs_one_of_the_seven_reasons(self, client, ukiha, admin):
        registrant = builders.active(ukiha, admin)
        staff_login(client, ukiha)
        response = client.post(
            f"/staff/registrations/{registrant.pk}/decide/", {"action": "delete", "reason": ""}
        )
        assert response.status_code == 400
        client.post(
            f"/staff/registrations/{registrant.pk}/decide/",
            {"action": "delete", "reason": "unreachable", "note": "郵便物が返送された"},
        )
        registrant.refresh_from_db()
        assert registrant.status == Registrant.Status.DELETED
        assert registrant.deletion_reason == "unreachable"
        assert not registrant.user.is_active
        entry = AuditLog.objects.get(action="registration.delete")
        assert entry.data["reason"] == "unreachable"
        assert len(Registrant.DeletionReason.choices) == 7
