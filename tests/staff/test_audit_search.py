"""The audit log search for municipality admins: filters, pages, the download and its own row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.registrants import builders
from tests.staff.test_console import login
from yoyaku.core.models import AuditAction, AuditLog, User
from yoyaku.core.services import audit_record
from yoyaku.reports import audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


@pytest.fixture
def clerk(ukiha):
    return f.staff_user(ukiha, role=User.StaffRole.FACILITY, login_id="clerk")


@pytest.fixture
def log(ukiha, admin, clerk, travel):
    """花子 registered and looked at by the clerk; someone else's reservation changed."""
    hanako = builders.active(ukiha, by=admin, name="浮羽　花子")
    other = builders.active(ukiha, by=admin)
    travel(dt.datetime(2026, 6, 3, 9, 0))
    audit_record(
        action=AuditAction.REGISTRANT_VIEW,
        actor=clerk,
        municipality=ukiha,
        target=hanako,
        ip_address="192.0.2.10",
    )
    audit_record(
        action=AuditAction.RESERVATION_CHANGE_PARTY,
        actor=other.user,
        municipality=ukiha,
        data={"changes": {"adults": "3"}, "previous_total": 6000, "fee_total": 9000},
        ip_address="198.51.100.7",
    )
    travel(dt.datetime(2026, 6, 5, 9, 0))
    return hanako, other


def search(client, **params):
    return client.get("/staff/audit/", params)


def test_admin_finds_who_looked_at_a_registrant_by_user_number(client, ukiha, clerk, log):
    hanako, _other = log
    login(client, ukiha)
    page = search(client, user_number=hanako.user_number).content.decode()
    results = page.split("<tbody>")[-1]
    assert "登録者の閲覧" in results and "clerk" in results and "192.0.2.10" in results
    assert "人数の変更" not in results  # someone else's


def test_filters_by_action_staff_period_target_and_address(ukiha, admin, clerk, log):
    hanako, _other = log

    def found(**filters):
        rows = audit.audit_search(municipality=ukiha, filters=audit.AuditFilters(**filters))
        return [row.action for row in rows]

    assert found(action="registrant.view") == ["registrant.view"]
    assert found(staff=clerk) == ["registrant.view"]
    assert set(found(date_from=dt.date(2026, 6, 3), date_to=dt.date(2026, 6, 3))) == {
        "registrant.view",
        "reservation.change_party",
    }
    assert found(date_from=dt.date(2026, 6, 4)) == []
    assert found(target_type="registrants.registrant", target_id=str(hanako.pk))[0] == (
        "registrant.view"
    )
    assert found(ip_address="198.51.100.7") == ["reservation.change_party"]
    # 花子's own rows: her application and approval (target) and the clerk's look.
    assert set(found(registrant=hanako)) >= {"registration.apply", "registrant.view"}


def test_before_and_after_values_are_shown_together(client, ukiha, log):
    login(client, ukiha)
    page = search(client, action="reservation.change_party").content.decode()
    assert "previous_total → fee_total" in page and "6000 → 9000" in page
    assert "adults=3" in page


def test_rows_of_another_municipality_are_never_shown(client, ukiha, minato, log):
    f.staff_user(minato, login_id="minato-admin")
    login(client, minato, login_id="minato-admin")
    page = search(client).content.decode()
    assert "192.0.2.10" not in page and "登録者の閲覧" not in page.split("<tbody>")[-1]


def test_facility_staff_may_not_search_the_audit_log(client, ukiha, clerk, log):
    login(client, ukiha, login_id="clerk")
    assert search(client).status_code == 403


def test_an_unknown_user_number_is_said_next_to_the_field(client, ukiha, log):
    login(client, ukiha)
    response = search(client, user_number="999999")
    assert response.status_code == 400
    assert "この利用者番号の登録者はいません。" in response.content.decode()


def test_the_search_is_paginated_and_itself_audited(client, ukiha, admin, log):
    for n in range(60):
        audit_record(
            action=AuditAction.NOTICE_PUBLISH, actor=admin, municipality=ukiha, data={"n": n}
        )
    login(client, ukiha)
    first = search(client, action="notice.publish").content.decode()
    assert "監査ログ（60件）" in first and "1／2ページ" in first
    second = search(client, action="notice.publish", page=2).content.decode()
    assert "2／2ページ" in second and second.split("<tbody>")[-1].count("お知らせの掲載") == 10
    assert AuditLog.objects.filter(action="audit.search").count() == 2


def test_the_page_runs_a_fixed_number_of_queries(client, ukiha, admin, log):
    login(client, ukiha)
    search(client)
    with CaptureQueriesContext(connection) as few:
        search(client, action="registrant.view")
    for _n in range(30):
        audit_record(action=AuditAction.NOTICE_PUBLISH, actor=admin, municipality=ukiha)
    with CaptureQueriesContext(connection) as many:
        search(client)
    assert len(few) == len(many)


def test_csv_download_has_the_rows_quotes_formulas_and_writes_its_own_row(
    client, ukiha, admin, log
):
    hanako, _other = log
    audit_record(action=AuditAction.NOTICE_PUBLISH, actor=admin, municipality=ukiha)
    login(client, ukiha)
    response = search(client, user_number=hanako.user_number, format="csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("日時,操作,操作コード,操作者,経路,接続元IPアドレス")
    assert "registrant.view" in text and "reservation.change_party" not in text
    exported = AuditLog.objects.get(action="audit.export")
    assert exported.actor == admin and exported.data["registrant"] == hanako.pk
    assert exported.data["rows"] == text.count("\r\n") - 1

    # A cell that starts like a formula (here a staff member's display name) is quoted.
    User.objects.filter(pk=admin.pk).update(display_name="")
    User.objects.filter(pk=admin.pk).update(login_id="=cmd")
    formula = search(client, action="notice.publish", format="csv").content.decode("utf-8-sig")
    assert ",'=cmd," in formula
    assert AuditLog.objects.filter(action="audit.export").count() == 2
