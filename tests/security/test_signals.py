"""Staff signals: a spike of failed log-ins, and user numbers used from many addresses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests import factories as f
from tests.security.support import ATTACKER_IP, RIGHT_PASSWORD, log_in, registrant
from yoyaku.core import clock
from yoyaku.core.models import AuditLog, User
from yoyaku.security import selectors
from yoyaku.security.models import LoginAttempt

pytestmark = pytest.mark.django_db


def background_failures(city, per_hour: int, hours: int = 7 * 24) -> None:
    """Ordinary typos spread over the week before the last hour."""
    start = clock.now() - dt.timedelta(hours=1)
    LoginAttempt.objects.bulk_create(
        LoginAttempt(
            at=start - dt.timedelta(hours=h, minutes=1 + i),
            municipality=city,
            kind=User.Kind.REGISTRANT,
            login_id=f"{500000 + i}",
            ip_address=f"198.18.{h % 250}.{i + 1}",
            network=f"198.18.{h % 250}.{i + 1}",
            succeeded=False,
        )
        for h in range(hours)
        for i in range(per_hour)
    )


def failures_last_hour(city, count: int, ip: str = ATTACKER_IP) -> None:
    LoginAttempt.objects.bulk_create(
        LoginAttempt(
            at=clock.now() - dt.timedelta(seconds=i + 1),
            municipality=city,
            kind=User.Kind.REGISTRANT,
            login_id=f"{100000 + i % 30}",
            ip_address=ip,
            network=ip,
            succeeded=False,
        )
        for i in range(count)
    )


def test_spike__attack_in_the_last_hour__is_flagged_with_its_source_and_targets(city):
    victims = [registrant(city, f"{100000 + i}") for i in range(30)]
    attacker = Client()
    for victim in victims:
        for password in ("19700101", "12345678"):
            log_in(attacker, city, victim.login_id, password, ATTACKER_IP)
    for bot in range(5):
        for _ in range(3):
            log_in(Client(), city, "100000", "00000000", f"192.0.2.{bot + 1}")

    spike = selectors.attempt_spike(municipality=city, at=clock.now())

    assert spike.failures == 60 + 15
    assert spike.throttled == 50
    assert spike.is_spike
    assert spike.top_sources[0] == selectors.SourceRow(
        network=ATTACKER_IP, failures=60, login_ids=30
    )
    assert spike.top_targets[0] == selectors.TargetRow(
        kind=User.Kind.REGISTRANT, login_id="100000", failures=17, sources=6
    )
    assert (len(spike.top_sources), len(spike.top_targets)) == (6, 10)  # at most 10 each


def test_spike__a_quiet_hour__is_not_flagged(city):
    background_failures(city, per_hour=2)
    failures_last_hour(city, 50)
    spike = selectors.attempt_spike(municipality=city, at=clock.now())
    assert (spike.failures, spike.baseline_per_hour, spike.threshold) == (50, 2.0, 50)
    assert not spike.is_spike


def test_spike__busy_municipality__needs_five_times_its_usual_failures(city):
    background_failures(city, per_hour=20)
    failures_last_hour(city, 100)
    spike = selectors.attempt_spike(municipality=city, at=clock.now())
    assert (spike.baseline_per_hour, spike.threshold, spike.is_spike) == (20.0, 100, False)
    failures_last_hour(city, 1, ip="192.0.2.1")
    assert selectors.attempt_spike(municipality=city, at=clock.now()).is_spike


def test_spike__other_municipalities_attempts__do_not_count(city):
    other = f.MunicipalityFactory(slug="minato")
    failures_last_hour(other, 80)
    assert selectors.attempt_spike(municipality=city, at=clock.now()).failures == 0


def test_spike__runs_three_queries_whatever_the_volume(city, django_assert_num_queries):
    background_failures(city, per_hour=3)
    failures_last_hour(city, 200)
    with django_assert_num_queries(3):
        selectors.attempt_spike(municipality=city, at=clock.now())


def test_shared_id__one_user_number_from_five_addresses__is_a_signal(city, travel):
    registrant(city, "123456")
    registrant(city, "234567")
    for i in range(5):
        log_in(Client(), city, "123456", RIGHT_PASSWORD, f"198.51.100.{i + 1}")
        travel(clock.now() + dt.timedelta(hours=2))
    for i in range(3):  # the other one: home, work and phone
        log_in(Client(), city, "234567", RIGHT_PASSWORD, f"192.0.2.{i + 1}")

    signals = selectors.shared_id_signals(municipality=city, at=clock.now())

    assert [(s.login_id, s.addresses, s.devices, s.logins) for s in signals] == [
        ("123456", 5, 1, 5)
    ]


def test_shared_id__one_address_with_many_devices__is_a_signal(city):
    registrant(city, "123456")
    for i in range(4):
        log_in(Client(), city, "123456", RIGHT_PASSWORD, "198.51.100.1", user_agent=f"Device {i}")
    signals = selectors.shared_id_signals(municipality=city, at=clock.now())
    assert [(s.login_id, s.addresses, s.devices) for s in signals] == [("123456", 1, 4)]


def test_shared_id__log_ins_older_than_the_window_and_failures__do_not_count(city, travel):
    registrant(city, "123456")
    for i in range(3):
        log_in(Client(), city, "123456", RIGHT_PASSWORD, f"198.51.100.{i + 1}")
    log_in(Client(), city, "123456", "00000000", "198.51.100.9")  # a failure
    travel(clock.now() + dt.timedelta(hours=25))
    log_in(Client(), city, "123456", RIGHT_PASSWORD, "198.51.100.4")
    assert selectors.shared_id_signals(municipality=city, at=clock.now()) == []


def test_shared_id__runs_one_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.shared_id_signals(municipality=city, at=clock.now())


def test_security_page__shows_the_attack_and_the_shared_id__and_is_audited(city):
    admin = f.staff_user(city)
    failures_last_hour(city, 60)
    registrant(city, "654321")
    for i in range(5):
        log_in(Client(), city, "654321", RIGHT_PASSWORD, f"198.51.100.{i + 1}")
    staff = Client()
    staff.force_login(admin)

    response = staff.get("/staff/security/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "ログインの失敗が急増しています。" in body
    assert ATTACKER_IP in body
    assert "<caption>失敗の多い接続元（直近1時間）</caption>" in body
    assert '<th scope="row">100000</th>' in body
    assert '<th scope="row">654321</th>' in body
    audit = AuditLog.objects.get(action="security.view")
    assert (audit.actor, audit.municipality, audit.data) == (
        admin,
        city,
        {"spike": True, "shared_id_signals": 1},
    )


def test_security_page__quiet_day__says_so(city):
    staff = Client()
    staff.force_login(f.staff_user(city))
    body = staff.get("/staff/security/").content.decode()
    assert "ログインの失敗が急増しています。" not in body
    assert "直近1時間の失敗は0件です（警告の基準は50件）。" in body
    assert "該当する利用者番号はありません。" in body


def test_security_page__is_for_municipality_admins_only(city):
    facility_staff = Client()
    facility_staff.force_login(f.staff_user(city, role=User.StaffRole.FACILITY, login_id="bunka"))
    assert facility_staff.get("/staff/security/").status_code == 403
    assert Client().get("/staff/security/").status_code == 302
    assert not AuditLog.objects.filter(action="security.view").exists()
