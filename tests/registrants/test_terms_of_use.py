"""利用規約: shown and agreed at registration, agreed again at the log-in after a change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests import factories as f
from tests.registrants import builders
from tests.registrants.data import form_data
from tests.staff.test_console import login as staff_login
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog, User
from yoyaku.registrants import selectors, services
from yoyaku.registrants.models import AppendOnly, Registrant, TermsAgreement

pytestmark = pytest.mark.django_db

TERMS_V1 = "第1条 予約システムは空き状況の確認と予約のために使ってください。"
TERMS_V2 = (
    "第1条 予約システムは空き状況の確認と予約のために使ってください。\n第2条 IDの共用は禁止です。"
)


@pytest.fixture
def admin(minato):
    return f.staff_user(minato)


@pytest.fixture
def terms_v1(minato, admin):
    return services.terms_publish(municipality=minato, by=admin, body=TERMS_V1)


def fill_in_and_send(client, **overrides):
    response = client.post("/minato/register/form/", form_data(**overrides))
    assert response.status_code == 302, response.content.decode()
    return client.post("/minato/register/confirm/")


def log_in(client, registrant, password="19850412", next_url=""):
    data = {"user_number": registrant.user_number, "password": password}
    url = "/minato/login/" + (f"?next={next_url}" if next_url else "")
    if next_url:
        data["next"] = next_url
    return client.post(url, data)


# — registration —


def test_the_registration_form_shows_the_terms_and_a_required_check_box(client, terms_v1):
    body = client.get("/minato/register/form/").content.decode()
    assert "IDの共用" not in body
    assert "予約システムは空き状況の確認と予約のために使ってください。" in body
    assert 'class="terms-text"' in body  # a scrollable region
    assert 'href="/minato/terms/"' in body  # and a page of its own, no script needed
    assert "利用規約に同意します" in body
    assert 'name="agree_terms"' in body


def test_the_terms_page_shows_the_version_in_force_to_anyone(client, terms_v1):
    body = client.get("/minato/terms/").content.decode()
    assert "第1版" in body
    assert "予約システムは空き状況の確認と予約のために使ってください。" in body


def test_registration_without_ticking_the_box_is_refused_next_to_it_and_keeps_the_input(
    client, terms_v1
):
    response = client.post("/minato/register/form/", form_data())
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_agree_terms_error"' in body
    assert "利用規約をお読みのうえ、同意する場合はチェックを入れてください。" in body
    assert 'value="taro@example.jp"' in body  # what was typed stays
    assert 'value="芝公園1-5-25"' in body
    assert Registrant.objects.count() == 0


def test_registration_records_the_version_agreed_and_the_time(client, terms_v1, travel):
    travel(dt.datetime(2026, 6, 1, 10, 30))
    response = fill_in_and_send(client, agree_terms="on")
    assert response.status_code == 302
    registrant = Registrant.objects.get()
    agreement = TermsAgreement.objects.get(registrant=registrant)
    assert agreement.terms == terms_v1
    assert agreement.agreed_at == clock.now()
    assert agreement.via == "citizen"
    apply_row = AuditLog.objects.get(action="registration.apply")
    assert apply_row.data["terms_version"] == 1


def test_a_version_published_between_form_and_send_is_refused_at_send(client, admin, terms_v1):
    client.post("/minato/register/form/", form_data(agree_terms="on"))
    services.terms_publish(municipality=terms_v1.municipality, by=admin, body=TERMS_V2)
    response = client.post("/minato/register/confirm/")
    assert response.status_code == 400
    assert "利用規約が改定されました" in response.content.decode()
    assert Registrant.objects.count() == 0


def test_the_service_refuses_a_stale_or_missing_version(minato, admin, terms_v1):
    services.terms_publish(municipality=minato, by=admin, body=TERMS_V2)
    with pytest.raises(DomainError) as stale:
        builders.apply(minato, terms_version=1)
    assert stale.value.code == "terms_not_current"
    with pytest.raises(DomainError) as missing:
        builders.apply(minato, terms_version=None)
    assert missing.value.code == "terms_agreement_required"
    assert Registrant.objects.count() == 0
    assert builders.apply(minato, terms_version=2).terms_agreements.get().terms.version == 2


def test_without_published_terms_registration_asks_for_no_agreement(client, minato):
    body = client.get("/minato/register/form/").content.decode()
    assert 'name="agree_terms"' not in body
    assert fill_in_and_send(client).status_code == 302
    assert TermsAgreement.objects.count() == 0
    assert client.get("/minato/terms/").status_code == 404


def test_agreements_are_never_changed_or_deleted(minato, terms_v1):
    agreement = builders.apply(minato).terms_agreements.get()
    with pytest.raises(AppendOnly):
        agreement.save()
    with pytest.raises(AppendOnly):
        TermsAgreement.objects.all().delete()


# — the counter —


def test_counter_registration_records_the_agreement_on_paper(client, minato, admin, terms_v1):
    staff_login(client, minato)
    page = client.get("/staff/registrations/new/").content.decode()
    assert "申請書で利用規約への同意を確認した" in page
    data = dict(form_data(email="", email_confirm=""), channel="counter", kind="individual")
    refused = client.post("/staff/registrations/new/", data)
    assert refused.status_code == 200
    assert "申請書の同意欄を確認してから、チェックを入れてください。" in refused.content.decode()
    assert Registrant.objects.count() == 0
    response = client.post("/staff/registrations/new/", dict(data, agree_terms="on"))
    assert response.status_code == 302
    agreement = TermsAgreement.objects.get()
    assert agreement.terms.version == 1
    assert agreement.via == "staff"
    assert agreement.recorded_by == admin


# — a new version —


def test_after_a_new_version_a_registrant_agrees_at_the_next_log_in_before_anything_else(
    client, minato, admin, terms_v1, travel
):
    registrant = builders.apply(minato, birth_date=dt.date(1985, 4, 12))
    assert log_in(client, registrant)["Location"] == "/minato/mypage/"  # agreed to v1
    client.post("/minato/logout/")

    staff_login(client, minato)
    response = client.post(
        "/staff/terms/", {"body": TERMS_V2, "change_summary": "IDの共用の禁止を加えました。"}
    )
    assert response.status_code == 302
    client.post("/staff/logout/")

    response = log_in(client, registrant)
    assert response["Location"].startswith("/minato/terms/agree/")
    page = client.get(response["Location"]).content.decode()
    assert "第1版 → 第2版" in page
    assert "IDの共用の禁止を加えました。" in page  # what changed
    assert "第2条 IDの共用は禁止です。" in page  # the new text
    assert "同意する" in page and "ログアウト" in page

    # Every registrant page leads back to the agreement until they agree.
    mypage = client.get("/minato/mypage/")
    assert mypage.status_code == 302
    assert mypage["Location"].startswith("/minato/terms/agree/")
    assert client.get("/minato/reservations/")["Location"].startswith("/minato/terms/agree/")

    travel(dt.datetime(2026, 6, 1, 11, 0))
    agreed = client.post("/minato/terms/agree/", {"version": "2", "next": "/minato/mypage/"})
    assert agreed["Location"] == "/minato/mypage/"
    assert client.get("/minato/mypage/").status_code == 200
    latest = selectors.terms_agreement_latest(registrant)
    assert latest.terms.version == 2
    assert latest.agreed_at == clock.now()
    row = AuditLog.objects.get(action="terms.agree")
    assert row.data == {"version": 2}
    assert row.via == "citizen"


def test_a_registrant_who_does_not_agree_may_log_out(client, minato, admin, terms_v1):
    registrant = builders.apply(minato, birth_date=dt.date(1985, 4, 12))
    services.terms_publish(municipality=minato, by=admin, body=TERMS_V2)
    log_in(client, registrant)
    response = client.post("/minato/logout/")
    assert response.status_code == 302
    assert client.get("/minato/mypage/")["Location"].startswith("/minato/login/")
    assert selectors.terms_agreement_latest(registrant).terms.version == 1


def test_a_registrant_from_before_the_terms_agrees_at_the_next_log_in(client, minato, admin):
    registrant = builders.apply(minato, birth_date=dt.date(1985, 4, 12))  # no terms yet
    services.terms_publish(municipality=minato, by=admin, body=TERMS_V1)
    response = log_in(client, registrant, next_url="/minato/reservations/")
    assert response["Location"].startswith("/minato/terms/agree/")
    agreed = client.post("/minato/terms/agree/", {"version": "1", "next": "/minato/reservations/"})
    assert agreed["Location"] == "/minato/reservations/"  # back where they were going
    assert registrant.terms_agreements.get().terms.version == 1


def test_agreeing_to_an_old_version_is_refused_and_shows_the_newer_one(
    client, minato, admin, terms_v1
):
    registrant = builders.apply(minato, birth_date=dt.date(1985, 4, 12))
    services.terms_publish(municipality=minato, by=admin, body=TERMS_V2)
    log_in(client, registrant)
    response = client.post("/minato/terms/agree/", {"version": "1"})
    assert response.status_code == 400
    assert "第2条 IDの共用は禁止です。" in response.content.decode()
    assert selectors.terms_agreement_latest(registrant).terms.version == 1


# — the staff console —


def test_the_terms_page_of_the_console_is_for_municipality_admins_only(client, minato, terms_v1):
    f.staff_user(minato, role=User.StaffRole.FACILITY, login_id="hoyou")
    staff_login(client, minato, login_id="hoyou")
    assert client.get("/staff/terms/").status_code == 403
    response = client.post("/staff/terms/", {"body": TERMS_V2})
    assert response.status_code == 403
    assert selectors.terms_current(minato).version == 1


def test_publishing_a_version_is_audited_and_an_unchanged_text_is_refused(
    client, minato, admin, terms_v1
):
    staff_login(client, minato)
    page = client.get("/staff/terms/").content.decode()
    assert "第1版" in page and "予約システムは空き状況の確認" in page
    same = client.post("/staff/terms/", {"body": TERMS_V1})
    assert "本文が現在の版と同じです。" in same.content.decode()
    client.post("/staff/terms/", {"body": TERMS_V2})
    assert selectors.terms_current(minato).version == 2
    rows = AuditLog.objects.filter(action="terms.publish").order_by("at", "id")
    assert [r.data["version"] for r in rows] == [1, 2]
    assert rows.last().actor == admin
    assert rows.last().via == "staff"
    assert mail.outbox == []
