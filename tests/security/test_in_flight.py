"""Log-ins whose password is still being checked: not failures, but bounded in number.

Each test sends the next request from inside the password check of the one before, so the
attempts really are on record, pending, while the later ones are throttle-checked.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from tests.security.support import ATTACKER_IP, RIGHT_PASSWORD, registrant, wait
from yoyaku.security import services
from yoyaku.security.models import LoginAttempt

pytestmark = pytest.mark.django_db

SCHOOL_IP = "198.51.100.7"


def log_in(city, login_id: str, password: str, ip: str) -> int:
    """One log-in through the service the log-in pages use: 200 in, 401 wrong, 429 refused."""
    request = RequestFactory().post(f"/{city.slug}/login/", REMOTE_ADDR=ip)
    outcome = services.login_authenticate(
        request=request, municipality=city, kind="registrant", login_id=login_id, password=password
    )
    if outcome.throttled:
        return 429
    return 200 if outcome.user is not None else 401


class NestedChecks:
    """Wraps the password check: before checking, the next request is sent (``nest``)."""

    def __init__(self, monkeypatch, nest):
        self.checked: list[str] = []
        self.pending_seen: list[int] = []
        self.nest = nest
        real = services.authenticate

        def check(request, **credentials):
            self.checked.append(credentials["login_id"])
            self.pending_seen.append(LoginAttempt.objects.filter(pending=True).count())
            self.nest(len(self.checked))
            return real(request, **credentials)

        monkeypatch.setattr(services, "authenticate", check)


def test_thirty_people_logging_in_at_once_from_one_address_all_get_in(city, monkeypatch):
    people = [registrant(city, f"{200000 + i}") for i in range(30)]
    statuses: dict[str, int] = {}

    def nest(n):
        if n < len(people):
            person = people[n]
            statuses[person.login_id] = log_in(city, person.login_id, RIGHT_PASSWORD, SCHOOL_IP)

    checks = NestedChecks(monkeypatch, nest)
    first = people[0]
    statuses[first.login_id] = log_in(city, first.login_id, RIGHT_PASSWORD, SCHOOL_IP)

    assert checks.pending_seen[-1] == 30  # the last one was checked with 29 others in flight
    assert statuses == {p.login_id: 200 for p in people}
    assert LoginAttempt.objects.filter(succeeded=True, pending=False).count() == 30
    assert not LoginAttempt.objects.filter(pending=True).exists()


def test_a_flood_of_parallel_wrong_passwords_checks_only_a_bounded_few(city, monkeypatch, travel):
    registrant(city, "300000")
    refused: list[int] = []

    def nest(n):
        if n < 100:
            response = log_in(city, f"{300000 + n}", "00000000", ATTACKER_IP)
            if response == 429:
                # The cap on checks in flight is reached: the rest of the burst is refused.
                for _ in range(200):
                    status = log_in(city, "300000", "00000000", ATTACKER_IP)
                    refused.append(status)

    checks = NestedChecks(monkeypatch, nest)
    log_in(city, "300000", "00000000", ATTACKER_IP)

    assert len(checks.checked) == services.ADDRESS_MAX_IN_FLIGHT
    assert refused == [429] * 200
    # All of them failed: now the address is delayed, one check per delay at most.
    checks.nest = lambda n: None
    statuses = [log_in(city, "300001", "00000000", ATTACKER_IP)]
    assert statuses == [429]
    wait(travel, 3600)
    statuses = [log_in(city, "300001", "x", ATTACKER_IP) for _ in range(20)]
    assert statuses[1:] == [429] * 19
    assert len(checks.checked) == services.ADDRESS_MAX_IN_FLIGHT + 1


def test_an_attempt_left_pending_by_a_dead_request_counts_as_a_failure(city, travel):
    for _ in range(services.ADDRESS_FREE_FAILURES + 10):
        services.login_attempt_record(
            municipality=city,
            kind="registrant",
            login_id="400000",
            ip=ATTACKER_IP,
            user_agent="",
            user=None,
            succeeded=False,
            pending=True,
        )
    check = {"municipality": city, "kind": "registrant", "login_id": "400001", "ip": ATTACKER_IP}
    assert services.login_throttle_check(**check).allowed  # still in flight: 20 < 30
    wait(travel, 61)
    assert not services.login_throttle_check(**check).allowed
