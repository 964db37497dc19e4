"""The Kawasaki (2020) attack in miniature: wrong passwords throttle the sender, not the victim.

There, 445,000 wrong passwords against a 7-digit user-number system locked about 1,000
citizens out. Here one attacker address sprays 30 user numbers and a botnet of 20 addresses
hammers one victim; afterwards every victim still logs in from their own address.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.test import Client

from tests import factories as f
from tests.security.support import (
    ATTACKER_IP,
    RIGHT_PASSWORD,
    WRONG_PASSWORDS,
    log_in,
    registrant,
    wait,
)
from yoyaku.core import clock
from yoyaku.core.models import User
from yoyaku.security.models import LoginAttempt

pytestmark = pytest.mark.django_db

THROTTLED_MESSAGE = "ログインの試行回数が多すぎます。"


@pytest.fixture
def password_checks():
    """Every password Django checked (right or wrong): proves a throttled one is not checked."""
    checked: list[str] = []

    def on_failed(sender, credentials, request=None, **kwargs):
        checked.append(f"failed:{credentials.get('login_id')}")

    def on_logged_in(sender, request, user, **kwargs):
        checked.append(f"ok:{user.login_id}")

    user_login_failed.connect(on_failed, dispatch_uid="test-password-checks-failed")
    user_logged_in.connect(on_logged_in, dispatch_uid="test-password-checks-ok")
    yield checked
    user_login_failed.disconnect(dispatch_uid="test-password-checks-failed")
    user_logged_in.disconnect(dispatch_uid="test-password-checks-ok")


def test_attack__spraying_and_botnet__throttle_the_senders_and_every_victim_still_logs_in(
    city, password_checks
):
    victims = [registrant(city, f"{100000 + i}") for i in range(30)]
    attacker = Client()

    # One address sprays 30 user numbers with 3 wrong passwords each, without waiting.
    statuses = [
        log_in(attacker, city, v.login_id, password, ATTACKER_IP).status_code
        for v in victims
        for password in WRONG_PASSWORDS
    ]
    assert statuses[:10] == [200] * 10  # the address's free failures
    assert statuses[10:] == [429] * 80  # then refused without checking the password

    # A botnet of 20 addresses hammers one victim: each address gets 5 tries, then waits.
    target = victims[0]
    for bot in range(20):
        bot_client = Client()
        bot_statuses = [
            log_in(bot_client, city, target.login_id, "00000000", f"192.0.2.{bot + 1}").status_code
            for _ in range(6)
        ]
        assert bot_statuses == [200] * 5 + [429]

    # 10 + 100 passwords were checked; the 101 refused attempts never reached a password check.
    assert len(password_checks) == 110

    # Every victim logs in from their own address with the right password: nobody is locked out.
    for i, victim in enumerate(victims):
        response = log_in(Client(), city, victim.login_id, RIGHT_PASSWORD, f"198.51.100.{i + 1}")
        assert response.status_code == 302, victim.login_id
        assert response["Location"] == f"/{city.slug}/mypage/"

    # Every attempt is recorded, the refused ones too, with who it was for and from where.
    attempts = LoginAttempt.objects.filter(municipality=city)
    assert attempts.count() == 90 + 120 + 30
    assert attempts.filter(succeeded=False, throttled=False).count() == 10 + 100
    assert attempts.filter(throttled=True).count() == 80 + 20
    assert attempts.filter(ip_address=ATTACKER_IP).count() == 90
    assert set(attempts.filter(ip_address=ATTACKER_IP).values_list("login_id", flat=True)) == {
        v.login_id for v in victims
    }
    assert attempts.filter(succeeded=True).count() == 30
    assert all(a.user_id is not None for a in attempts.filter(succeeded=True))


def test_throttled_address__right_password__refused_with_429_and_the_password_is_not_checked(
    city, password_checks
):
    victim = registrant(city, "123456")
    attacker = Client()
    for i in range(10):
        log_in(attacker, city, f"{200000 + i}", "00000000", ATTACKER_IP)
    password_checks.clear()

    response = log_in(attacker, city, victim.login_id, RIGHT_PASSWORD, ATTACKER_IP)

    assert response.status_code == 429
    body = response.content.decode()
    assert "ログインの試行回数が多すぎます。1分後にもう一度お試しください。" in body
    assert 'value="123456"' in body  # the typed user number is kept
    assert response["Retry-After"] == "1"
    assert password_checks == []
    assert "_auth_user_id" not in attacker.session
    assert LoginAttempt.objects.filter(throttled=True, login_id="123456").count() == 1


def test_throttle__expires_after_the_delay__and_the_right_password_then_works(city, travel):
    registrant(city, "123456")
    client = Client()
    for _ in range(5):
        assert log_in(client, city, "123456", "00000000", "198.51.100.9").status_code == 200
    refused = log_in(client, city, "123456", RIGHT_PASSWORD, "198.51.100.9")
    assert refused.status_code == 429
    retry_after = int(refused["Retry-After"])

    wait(travel, retry_after - 1)
    assert log_in(client, city, "123456", RIGHT_PASSWORD, "198.51.100.9").status_code == 429

    wait(travel, 1)
    assert log_in(client, city, "123456", RIGHT_PASSWORD, "198.51.100.9").status_code == 302


def test_patient_attacker__waits_as_told__each_delay_doubles_up_to_one_hour(city, travel):
    """The attacker obeys Retry-After: 30 guesses take over 9 hours instead of seconds."""
    attacker = Client()
    started = clock.now()
    delays = []
    guesses = 0
    while guesses < 30:
        response = log_in(attacker, city, f"{300000 + guesses}", "00000000", ATTACKER_IP)
        if response.status_code == 429:
            delays.append(int(response["Retry-After"]))
            wait(travel, delays[-1])
            continue
        assert response.status_code == 200
        guesses += 1

    assert delays == [2**k for k in range(12)] + [3600] * 8
    assert (clock.now() - started).total_seconds() == sum(delays)
    assert sum(delays) > 9 * 3600  # (the site's service hours end at 24:00)


def test_owner__mistypes_from_home__gets_short_delays_only_after_five_tries(city):
    registrant(city, "123456")
    client = Client()
    statuses = [
        log_in(client, city, "123456", "00000000", "198.51.100.20").status_code for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    assert "利用者番号またはパスワードが正しくありません。" in (
        log_in(client, city, "654321", "00000000", "198.51.100.20").content.decode()
    )  # another number from the same address is still checked: only the pair waits


def test_success__restarts_the_count_for_that_user_number(city):
    registrant(city, "123456")
    client = Client()
    for _ in range(4):
        log_in(client, city, "123456", "00000000", "198.51.100.20")
    assert log_in(client, city, "123456", RIGHT_PASSWORD, "198.51.100.20").status_code == 302
    statuses = [
        log_in(client, city, "123456", "00000000", "198.51.100.20").status_code for _ in range(5)
    ]
    assert statuses == [200] * 5  # 4 + 5 = 9 failures: the address's allowance is 10


def test_staff_log_in__throttled_the_same_way__keeps_the_typed_id(city):
    f.staff_user(city)
    client = Client()

    def attempt(password):
        return client.post(
            "/staff/login/",
            {"municipality": city.pk, "login_id": "admin", "password": password},
            REMOTE_ADDR=ATTACKER_IP,
        )

    assert [attempt("wrong").status_code for _ in range(5)] == [200] * 5
    response = attempt("staff-pass-1")
    assert response.status_code == 429
    body = response.content.decode()
    assert "ログインの試行回数が多すぎます。1分後にもう一度お試しください。" in body
    assert 'value="admin"' in body
    assert LoginAttempt.objects.filter(kind=User.Kind.STAFF, login_id="admin").count() == 6


def test_staff_log_in__right_password__is_recorded_as_a_success(city):
    admin = f.staff_user(city)
    response = Client().post(
        "/staff/login/",
        {"municipality": city.pk, "login_id": "admin", "password": "staff-pass-1"},
        REMOTE_ADDR="198.51.100.30",
    )
    assert response.status_code == 302
    attempt = LoginAttempt.objects.get()
    assert (attempt.kind, attempt.login_id, attempt.user, attempt.succeeded) == (
        User.Kind.STAFF,
        "admin",
        admin,
        True,
    )


def test_attempt__is_on_record_while_its_password_is_checked__so_parallel_requests_count_it(
    city,
):
    """Requests sent in parallel cannot all pass the check while the password hashes run."""
    on_record_during_check = []

    def on_failed(sender, credentials, request=None, **kwargs):
        on_record_during_check.append(
            LoginAttempt.objects.filter(login_id=credentials["login_id"], succeeded=False).count()
        )

    user_login_failed.connect(on_failed, dispatch_uid="test-on-record")
    try:
        log_in(Client(), city, "123456", "00000000", ATTACKER_IP)
    finally:
        user_login_failed.disconnect(dispatch_uid="test-on-record")
    assert on_record_during_check == [1]
