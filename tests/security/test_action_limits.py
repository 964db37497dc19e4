"""Limits on anonymous actions per client address (e.g. attaching files to a public form)."""

from __future__ import annotations

import datetime as dt

import pytest

from yoyaku.security.models import ActionAttempt
from yoyaku.security.services import action_attempts_purge, action_throttle

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def attempt(ip: str = "192.0.2.1"):
    return action_throttle(action="upload", ip=ip, limit=3, window=HOUR)


def test_the_limit_counts_per_address_and_frees_up_as_the_window_moves(travel):
    start = dt.datetime(2026, 6, 1, 10, 0)
    for minute in (0, 10, 20):
        travel(start + dt.timedelta(minutes=minute))
        assert attempt().allowed
    travel(start + dt.timedelta(minutes=30))
    refused = attempt()
    assert not refused.allowed
    assert refused.retry_after_minutes == 30  # when the 10:00 attempt leaves the window
    assert attempt("2001:db8::1").allowed  # another client is not affected
    assert not attempt("192.0.2.1").allowed  # retrying while refused does not extend the wait
    travel(start + dt.timedelta(minutes=60, seconds=1))
    assert attempt().allowed


def test_an_ipv6_client_counts_by_its_64(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    for n in range(3):
        assert attempt(f"2001:db8:1:2::{n + 1}").allowed
    assert not attempt("2001:db8:1:2::ff").allowed


def test_attempts_are_deleted_after_7_days(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    attempt()
    travel(dt.datetime(2026, 6, 8, 9, 0))
    assert action_attempts_purge() == 0
    travel(dt.datetime(2026, 6, 8, 11, 0))
    assert action_attempts_purge() == 1
    assert ActionAttempt.objects.count() == 0
