"""Validity (Ukiha art. 5), the daily job, and anonymisation after the retention period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from tests import factories as f
from tests.registrants import builders
from yoyaku.core import clock
from yoyaku.registrants import selectors, services
from yoyaku.registrants.models import Registrant
from yoyaku.scheduling.models import ScheduledRun
from yoyaku.scheduling.services import scheduler_tick

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def person(ukiha):
    admin = f.staff_user(ukiha)
    return builders.active(ukiha, admin, birth_date=dt.date(1985, 4, 12))


def test_valid_for_two_years_from_the_issue_of_the_user_number(person):
    assert person.registered_at.date() == dt.date(2026, 6, 1)
    assert person.valid_until == dt.date(2028, 6, 1)


def test_unused_registration_expires_the_day_after_its_validity(person, travel):
    travel(dt.datetime(2028, 6, 1, 4, 0))
    assert services.validity_daily() == {"renewed": 0, "expired": 0, "warned": 0}
    travel(dt.datetime(2028, 6, 2, 4, 0))
    assert services.validity_daily()["expired"] == 1
    person.refresh_from_db()
    assert person.status == Registrant.Status.EXPIRED
    assert "有効期限が切れました" in mail.outbox[-1].subject


def test_a_use_within_two_years_renews_for_another_two(person, travel):
    travel(dt.datetime(2027, 9, 1, 10, 0))
    services.registrant_record_use(registrant=person)
    travel(dt.datetime(2028, 6, 2, 4, 0))
    assert services.validity_daily()["renewed"] == 1
    person.refresh_from_db()
    assert person.status == Registrant.Status.ACTIVE
    assert person.valid_until == dt.date(2030, 6, 1)


def test_a_warning_goes_out_30_days_before_expiry_once(person, travel):
    travel(dt.datetime(2028, 5, 2, 4, 0))
    assert services.validity_daily()["warned"] == 1
    assert "有効期限が近づいています" in mail.outbox[-1].subject
    assert services.validity_daily()["warned"] == 0


def test_no_warning_for_a_registrant_who_will_be_renewed(person, travel):
    services.registrant_record_use(registrant=person)
    travel(dt.datetime(2028, 5, 2, 4, 0))
    assert services.validity_daily()["warned"] == 0


def test_expired_registrants_log_in_to_see_history_but_cannot_apply(client, person, travel):
    travel(dt.datetime(2028, 6, 2, 4, 0))
    services.validity_daily()
    travel(dt.datetime(2028, 6, 2, 10, 0))
    person.refresh_from_db()
    assert selectors.booking_refusal(person) == "expired"
    response = client.post(
        "/ukiha/login/", {"user_number": person.user_number, "password": "19850412"}
    )
    assert response.status_code == 302
    assert "有効期限が切れています" in client.get("/ukiha/mypage/").content.decode()


def test_personal_data_is_anonymised_after_retention_and_statistics_remain(
    person, settings, travel
):
    settings.YOYAKU_RETENTION_DAYS = 365
    services.registration_deregister(registrant=person)
    travel(dt.datetime(2027, 6, 1, 9, 0))
    assert services.anonymize_ended() == 0  # not yet a full year
    travel(dt.datetime(2027, 6, 3, 10, 0))
    assert services.anonymize_ended() == 1
    person.refresh_from_db()
    assert person.name == person.name_kana == "（匿名化済み）"
    assert person.phone == person.email == person.street == ""
    assert person.birth_date == dt.date(1985, 1, 1)  # the year stays for statistics
    assert person.postal_code == "839"
    assert (person.municipality_id, person.category, person.kind) == (
        person.municipality_id,
        "resident",
        "individual",
    )
    assert not person.user.has_usable_password()
    assert (
        Registrant.objects.filter(municipality=person.municipality, birth_date__year=1985).count()
        == 1
    )


def daily(names: list[str]) -> list[str]:
    return [name for name in names if name.endswith(".daily")]


def test_the_scheduler_enqueues_the_daily_job_once_a_day(person, travel):
    travel(dt.datetime(2028, 6, 2, 2, 59))
    assert daily(scheduler_tick()) == []
    travel(dt.datetime(2028, 6, 2, 3, 0))
    assert daily(scheduler_tick()) == ["registrants.daily"]  # runs at once with the test backend
    travel(dt.datetime(2028, 6, 2, 3, 10))
    assert daily(scheduler_tick()) == ["security.daily"]
    assert daily(scheduler_tick()) == []  # a second scheduler, or a second tick, adds nothing
    assert ScheduledRun.objects.filter(job__endswith=".daily").count() == 2
    person.refresh_from_db()
    assert person.status == Registrant.Status.EXPIRED


def test_run_scheduler_command_once(travel):
    travel(dt.datetime(2026, 6, 1, 3, 30))
    call_command("run_scheduler", "--once")
    assert ScheduledRun.objects.filter(job="registrants.daily", due_date=clock.today()).exists()
