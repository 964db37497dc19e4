"""Series racing on PostgreSQL: ten groups post the same season at once. Exactly one bundle is
booked whole; every other group is told which date went, with nothing booked; no 500."""

from __future__ import annotations

import pytest
from django.db import connection

from tests import factories as f
from tests.reservations.helpers import group, hall
from tests.reservations.test_concurrency import race
from yoyaku.reservations.models import Occupancy, Reservation, ReservationBundle

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency is tested on PostgreSQL (CI runs it; set DATABASE_URL to run here)",
    ),
]

GROUPS = 10


def test_ten_groups_one_season_exactly_one_bundle_and_no_half_bundle(ukiha):
    _, whole, *_ = hall(ukiha)
    clubs = [group(ukiha, name=f"クラブ{i}") for i in range(GROUPS)]
    dates = ["2026-06-09", "2026-06-16", "2026-06-23", "2026-06-30"]
    data = {
        "unit": str(whole.pk),
        "weekdays": ["1"],
        "slots": [str(f.slot(whole, "night").pk)],
        "start": "2026-06-09",
        "end": "2026-06-30",
        "party_size": "12",
        "action": "book",
        "dates": dates,
    }
    results = race(ukiha, [(club, f"/{ukiha.slug}/series/new/", data) for club in clubs])
    statuses = sorted(status for status, _ in results)
    assert statuses.count(302) == 1, statuses
    assert statuses.count(409) == GROUPS - 1, statuses
    for status, body in results:
        if status == 409:
            assert "何も予約していません" in body
    assert ReservationBundle.objects.count() == 1
    assert Reservation.objects.count() == 4
    assert not Reservation.objects.filter(bundle__isnull=True).exists()
    # The whole arena stands on its two halves: 2 leaves × 4 dates, each row once.
    assert Occupancy.objects.count() == 8
