"""入室コード on PostgreSQL: stays confirmed at the same moment never share a code, even when the
random source offers each of them the same one first."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from tests import factories as f
from tests.reservations.helpers import registrant, resort
from tests.reservations.test_concurrency import race
from yoyaku.facilities.models import FeeRule
from yoyaku.reservations import entry_codes
from yoyaku.reservations.models import EntryCode, Reservation

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency is tested on PostgreSQL (CI runs it; set DATABASE_URL to run here)",
    ),
]

DAY = dt.date(2026, 6, 16)
CLIENTS = 6


def test_stays_booked_at_once_get_distinct_codes(minato, monkeypatch):
    facility, first = resort(minato, rooms=1, entry_codes=True)
    # One room type each: the race is for codes, not for rooms.
    room_types = [first]
    for _ in range(CLIENTS - 1):
        unit = f.lodging_unit(facility, rooms=1, persons=4)
        f.fee(unit, 6000)
        f.fee(unit, 3000, person_class=FeeRule.PersonClass.CHILD)
        room_types.append(unit)
    people = [registrant(minato) for _ in range(CLIENTS)]
    guard = threading.Lock()
    calls = iter(range(10_000))

    def draw(_n: int) -> int:
        # Every booking's first draw is the same code: without the facility's lock two of
        # them would both see it free and take it.
        with guard:
            n = next(calls)
        return 111111 if n % 2 == 0 else 200000 + n

    monkeypatch.setattr(entry_codes.secrets, "randbelow", draw)
    data = {
        "action": "book",
        "date": DAY.isoformat(),
        "nights": "1",
        "rooms": "1",
        "adults": "2",
        "children": "0",
        "infants": "0",
    }
    posts = [
        (person, f"/minato/reserve/{unit.pk}/", data)
        for person, unit in zip(people, room_types, strict=True)
    ]
    results = race(minato, posts)
    assert [s for s, _ in results] == [302] * CLIENTS, [s for s, _ in results]
    assert Reservation.objects.filter(status=Reservation.Status.CONFIRMED).count() == CLIENTS
    codes = list(EntryCode.objects.filter(revoked_at__isnull=True).values_list("code", flat=True))
    assert len(codes) == CLIENTS
    assert len(set(codes)) == CLIENTS
    assert "111111" in codes
