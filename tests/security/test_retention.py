"""Log-in attempts hold client addresses: they are kept 90 days, then deleted."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from yoyaku.security.models import LoginAttempt
from yoyaku.security.services import login_attempt_record, login_attempts_purge

pytestmark = pytest.mark.django_db


def test_attempts_older_than_90_days_are_deleted(travel):
    travel(dt.datetime(2026, 1, 1, 10, 0))
    municipality = f.MunicipalityFactory()
    login_attempt_record(
        municipality=municipality,
        kind="registrant",
        login_id="123456",
        ip="192.0.2.1",
        user_agent="UA",
        user=None,
        succeeded=False,
    )
    travel(dt.datetime(2026, 3, 31, 10, 0))
    assert login_attempts_purge() == 0
    travel(dt.datetime(2026, 4, 2, 10, 0))
    assert login_attempts_purge() == 1
    assert LoginAttempt.objects.count() == 0
