"""The throttle's rules, through the services and the real database."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.security.support import ATTACKER_IP, wait
from yoyaku.core.models import User
from yoyaku.security import services
from yoyaku.security.models import LoginAttempt

pytestmark = pytest.mark.django_db


def fail(city, login_id, ip=ATTACKER_IP, kind=User.Kind.REGISTRANT, **kw):
    return services.login_attempt_record(
        municipality=city,
        kind=kind,
        login_id=login_id,
        ip=ip,
        user_agent="UA",
        user=None,
        succeeded=False,
        **kw,
    )


def check(city, login_id, ip=ATTACKER_IP, kind=User.Kind.REGISTRANT):
    return services.login_throttle_check(municipality=city, kind=kind, login_id=login_id, ip=ip)


def test_one_user_number__five_free_failures__then_delays_double_up_to_15_minutes(city):
    waits = []
    for _ in range(9):
        fail(city, "123456")
        waits.append(check(city, "123456").retry_after)
    # 2^(n-5) s for the pair; from the 10th failure the address's own delay is larger anyway.
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16]
    for _ in range(6):
        fail(city, "123456")
    assert check(city, "123456").retry_after == 15 * 60  # 2^10 s capped at 15 minutes


def test_one_address__ten_free_failures_over_all_accounts__then_delays_double_up_to_an_hour(
    city,
):
    waits = []
    for i in range(25):
        fail(city, f"{100000 + i}")  # a new number every time: only the address rule applies
        waits.append(check(city, "999999").retry_after)
    assert waits == [0] * 9 + [2**k for k in range(12)] + [3600] * 4


def test_address_rule__spans_municipalities_and_both_log_in_kinds(city):
    other = f.MunicipalityFactory(slug="minato")
    for i in range(5):
        fail(city, f"{100000 + i}")
    for i in range(4):
        fail(other, f"staff{i}", kind=User.Kind.STAFF)
    assert check(other, "999999").allowed
    fail(other, "888888")
    assert check(city, "999999").retry_after == 1


def test_pair_rule__is_per_municipality(city):
    other = f.MunicipalityFactory(slug="minato")
    for _ in range(5):
        fail(city, "123456")
    assert not check(city, "123456").allowed
    assert check(other, "123456").allowed


def test_another_address__is_never_slowed_down_by_failures_for_the_same_account(city):
    for bot in range(50):
        for _ in range(5):
            fail(city, "123456", ip=f"192.0.2.{bot + 1}")
    assert check(city, "123456", ip="198.51.100.1") == services.ThrottleDecision(allowed=True)


def test_refused_attempts__do_not_extend_the_delay(city, travel):
    for _ in range(5):
        fail(city, "123456")
    for _ in range(100):  # hammering while blocked
        fail(city, "123456", throttled=True)
    assert check(city, "123456").retry_after == 1
    wait(travel, 1)
    assert check(city, "123456").allowed


def test_failures_older_than_24_hours__no_longer_count(city, travel):
    for i in range(15):
        fail(city, f"{100000 + i}")
    assert not check(city, "999999").allowed
    wait(travel, 24 * 3600 + 1)
    assert check(city, "999999").allowed


def test_ipv6__one_slash_64_is_one_client(city):
    for i in range(10):
        fail(city, f"{100000 + i}", ip=f"2001:db8:1:2::{i + 1:x}")
    assert not check(city, "999999", ip="2001:db8:1:2:ffff::1").allowed
    assert check(city, "999999", ip="2001:db8:1:3::1").allowed
    assert LoginAttempt.objects.first().network == "2001:db8:1:2::/64"


def test_record__keeps_a_hash_of_the_user_agent_not_the_agent(city):
    attempt = services.login_attempt_record(
        municipality=city,
        kind=User.Kind.REGISTRANT,
        login_id=" 123456 ",
        ip="198.51.100.1",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
        user=None,
        succeeded=False,
    )
    attempt.refresh_from_db()
    assert attempt.login_id == "123456"
    assert len(attempt.user_agent_hash) == 64
    assert "iPhone" not in attempt.user_agent_hash
    assert attempt.at is not None and attempt.network == "198.51.100.1"


def test_check__runs_two_queries(city, django_assert_num_queries):
    fail(city, "123456")
    with django_assert_num_queries(2):
        check(city, "123456")


def test_retry_after_minutes__rounds_up_to_whole_minutes():
    assert services.ThrottleDecision(allowed=False, retry_after=1).retry_after_minutes == 1
    assert services.ThrottleDecision(allowed=False, retry_after=61).retry_after_minutes == 2
    assert services.ThrottleDecision(allowed=False, retry_after=3600).retry_after_minutes == 60
