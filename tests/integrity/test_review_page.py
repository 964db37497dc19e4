"""The staff review page: clusters side by side, every view and action audited, each action
does what it says, and only whoever reviews registrations may open or act."""

from __future__ import annotations

import pytest
from django.core import mail

from tests import factories as f
from tests.integrity.helpers import active, applicant
from tests.staff.test_console import login
from yoyaku.core.models import AuditAction, AuditLog, User
from yoyaku.integrity.models import SignalDecision
from yoyaku.integrity.selectors import signal_clusters
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db

URL = "/staff/registrations/signals/"
ACT = "/staff/registrations/signals/act/"


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


@pytest.fixture
def pair(ukiha, admin):
    """Two registrations with one e-mail address: the same person twice, most likely."""
    first = active(ukiha, admin, email="twice@example.jp", phone="0943-11-1111")
    second = active(ukiha, admin, email="twice@example.jp", phone="0943-22-2222")
    return first, second


@pytest.fixture
def staff(client, ukiha, admin):
    login(client, ukiha)
    return client


def fingerprint(ukiha) -> str:
    (cluster,) = signal_clusters(municipality=ukiha)
    return cluster.fingerprint


def test_the_page_shows_the_cluster_side_by_side_masked_and_audits_the_view(staff, pair):
    first, second = pair
    page = staff.get(URL).content.decode()
    assert "同じメールアドレス" in page
    assert first.user_number in page and second.user_number in page
    assert "twice@example.jp" in page  # what matched, in full
    assert first.phone not in page and second.phone not in page  # the rest masked
    view = AuditLog.objects.get(action=AuditAction.SIGNAL_VIEW)
    assert set(view.data["registrants"]) == {first.pk, second.pk}


def test_the_registrations_menu_and_the_dashboard_link_to_the_page(staff, pair):
    assert f'href="{URL}"' in staff.get("/staff/").content.decode()
    assert f'href="{URL}"' in staff.get("/staff/registrations/").content.decode()


def test_dismiss__with_a_reason_the_cluster_leaves_the_page_and_is_audited(staff, ukiha, pair):
    response = staff.post(
        ACT, {"action": "dismiss", "fingerprint": fingerprint(ukiha), "reason": "夫婦で共用"}
    )
    assert response.status_code == 302
    assert "同じメールアドレス" not in staff.get(URL).content.decode()
    decision = SignalDecision.objects.get()
    assert decision.outcome == "dismissed" and decision.reason == "夫婦で共用"
    assert AuditLog.objects.filter(action=AuditAction.SIGNAL_DISMISS).count() == 1


def test_an_action_without_a_reason_is_refused_next_to_the_field(staff, ukiha, pair):
    response = staff.post(ACT, {"action": "dismiss", "fingerprint": fingerprint(ukiha)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "理由を入力してください。" in page and 'aria-invalid="true"' in page
    assert not SignalDecision.objects.exists()
    assert not AuditLog.objects.filter(action=AuditAction.SIGNAL_DISMISS).exists()


def test_warn__mails_each_member_citing_article_11_and_is_recorded(
    staff, ukiha, pair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            ACT, {"action": "warn", "fingerprint": fingerprint(ukiha), "reason": "同一人物の疑い"}
        )
    assert response.status_code == 302
    warnings = [m for m in mail.outbox if "利用者IDの使い方" in m.subject]
    assert len(warnings) == 2
    assert "第11条第5項" in warnings[0].body and "第11条第4項" in warnings[0].body
    row = AuditLog.objects.get(action=AuditAction.SIGNAL_WARN)
    assert row.data["reason"] == "同一人物の疑い" and len(row.data["mailed"]) == 2
    page = staff.get(URL).content.decode()
    assert "警告" in page and "同一人物の疑い" in page  # still shown, with the warning


def test_merge__the_other_registration_ends_merged_into_the_one_kept(staff, ukiha, pair):
    first, second = pair
    response = staff.post(
        ACT,
        {
            "action": "merge",
            "fingerprint": fingerprint(ukiha),
            "keep": first.pk,
            "reason": "本人に確認済み",
        },
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Registrant.Status.MERGED and second.merged_into == first
    assert AuditLog.objects.filter(action=AuditAction.SIGNAL_MERGE).count() == 1
    assert AuditLog.objects.filter(action=AuditAction.REGISTRATION_MERGE).count() == 1
    assert signal_clusters(municipality=ukiha) == []


def test_merge_without_choosing_the_one_to_keep_is_refused(staff, ukiha, pair):
    response = staff.post(
        ACT, {"action": "merge", "fingerprint": fingerprint(ukiha), "reason": "確認済み"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "この疑いに含まれる登録者を選んでください。" in page
    assert "確認済み" in page  # what was typed is kept
    assert Registrant.objects.filter(status=Registrant.Status.MERGED).count() == 0


def test_delete__the_chosen_registration_is_deleted_for_duplicate_registration(staff, ukiha, pair):
    first, second = pair
    response = staff.post(
        ACT,
        {
            "action": "delete",
            "fingerprint": fingerprint(ukiha),
            "targets": [second.pk],
            "ground": "duplicate",
            "reason": "二重登録を本人が認めた",
        },
    )
    assert response.status_code == 302
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == Registrant.Status.DELETED
    assert second.deletion_reason == Registrant.DeletionReason.VIOLATION
    assert (
        "第11条第5項" in second.deletion_note and "二重登録を本人が認めた" in second.deletion_note
    )
    assert first.status == Registrant.Status.ACTIVE
    row = AuditLog.objects.get(action=AuditAction.SIGNAL_DELETE)
    assert row.data["deleted"] == [second.pk] and row.data["ground"] == "duplicate"
    assert AuditLog.objects.filter(action=AuditAction.REGISTRATION_DELETE).count() == 1


def test_improper_use_deletes_for_article_8_item_3(staff, ukiha, pair):
    _first, second = pair
    staff.post(
        ACT,
        {
            "action": "delete",
            "fingerprint": fingerprint(ukiha),
            "targets": [second.pk],
            "ground": "improper",
            "reason": "架空の登録",
        },
    )
    second.refresh_from_db()
    assert second.deletion_reason == Registrant.DeletionReason.FRAUD


def test_acting_on_evidence_that_changed_since_the_page_was_read_is_refused(staff, ukiha, pair):
    old = fingerprint(ukiha)
    applicant(ukiha, email="twice@example.jp")  # a third registration joins the cluster
    response = staff.post(ACT, {"action": "dismiss", "fingerprint": old, "reason": "家族"})
    assert response.status_code == 400
    assert "すでに対応済みか内容が変わりました" in response.content.decode()
    assert not SignalDecision.objects.exists()


@pytest.mark.parametrize("role", [User.StaffRole.FACILITY])
def test_staff_who_do_not_review_registrations_get_403(client, ukiha, pair, role):
    f.staff_user(ukiha, role=role, login_id="manager")
    login(client, ukiha, login_id="manager")
    assert client.get(URL).status_code == 403
    response = client.post(
        ACT, {"action": "dismiss", "fingerprint": fingerprint(ukiha), "reason": "x"}
    )
    assert response.status_code == 403
    assert not SignalDecision.objects.exists()
    assert not AuditLog.objects.filter(action=AuditAction.SIGNAL_VIEW).exists()


def test_a_viewer_may_look_but_not_act_and_a_clerk_may_do_both(client, ukiha, pair):
    f.staff_user(ukiha, role=User.StaffRole.VIEWER, login_id="viewer")
    login(client, ukiha, login_id="viewer")
    page = client.get(URL)
    assert page.status_code == 200 and "問題なし（今後表示しない）" not in page.content.decode()
    payload = {"action": "dismiss", "fingerprint": fingerprint(ukiha), "reason": "x"}
    assert client.post(ACT, payload).status_code == 403
    clerk = type(client)()
    f.staff_user(ukiha, role=User.StaffRole.CLERK, login_id="clerk")
    login(clerk, ukiha, login_id="clerk")
    assert clerk.post(ACT, payload).status_code == 302


def test_another_municipalitys_staff_see_none_of_it(client, ukiha, minato, pair):
    f.staff_user(minato, login_id="admin")
    login(client, minato)
    page = client.get(URL).content.decode()
    assert pair[0].user_number not in page
    response = client.post(
        ACT, {"action": "dismiss", "fingerprint": fingerprint(ukiha), "reason": "x"}
    )
    assert response.status_code == 400
    assert not SignalDecision.objects.exists()
