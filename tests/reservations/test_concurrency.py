"""The 8:00 rush on PostgreSQL: 50 clients with their own connections race for one slot.

Each client is a real HTTP request through the booking page (Django's test client in its own
thread and database connection). Exactly one wins; every other one is told the slot is taken,
and nobody gets a 500.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from tests import factories as f
from tests.reservations.helpers import hall, registrant, resort
from yoyaku.reservations.models import Occupancy, Reservation

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency is tested on PostgreSQL (CI runs it; set DATABASE_URL to run here)",
    ),
]

DAY = dt.date(2026, 6, 16)
CLIENTS = 50


def race(municipality, posts: list[tuple[object, str, dict]]) -> list[tuple[int, str]]:
    """Log every client in, then release them at once; returns (status, body) per client."""
    clients = []
    for person, url, data in posts:
        client = Client()
        client.force_login(person.user)
        clients.append((client, url, data))
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str]] = [(0, "")] * len(clients)

    def run(i: int) -> None:
        client, url, data = clients[i]
        try:
            barrier.wait()
            response = client.post(url, data)
            results[i] = (response.status_code, response.content.decode())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def slot_post(municipality, unit, code, **extra):
    return (
        f"/{municipality.slug}/reserve/{unit.pk}/",
        {
            "action": "book",
            "date": DAY.isoformat(),
            "slots": [str(f.slot(unit, code).pk)],
            "party_size": "10",
            **extra,
        },
    )


def test_fifty_clients_one_slot_exactly_one_reservation(ukiha):
    _, whole, *_ = hall(ukiha)
    people = [registrant(ukiha) for _ in range(CLIENTS)]
    url, data = slot_post(ukiha, whole, "am")
    results = race(ukiha, [(p, url, data) for p in people])
    statuses = sorted(status for status, _ in results)
    assert statuses.count(302) == 1, statuses
    assert statuses.count(409) == CLIENTS - 1, statuses
    assert all(
        "この枠はすでに予約されています" in body for status, body in results if status == 409
    )
    assert Reservation.objects.count() == 1
    assert Occupancy.objects.count() == 2  # the whole arena: one row per half


def test_whole_arena_against_its_half_exactly_one_wins(ukiha):
    _, whole, half_a, _ = hall(ukiha)
    people = [registrant(ukiha) for _ in range(CLIENTS)]
    posts = []
    for i, person in enumerate(people):
        url, data = slot_post(ukiha, whole if i % 2 else half_a, "pm")
        posts.append((person, url, data))
    results = race(ukiha, posts)
    assert [s for s, _ in results].count(302) == 1
    assert all(s in (302, 409) for s, _ in results)
    assert Reservation.objects.count() == 1


def test_a_room_type_with_three_rooms_is_never_sold_four_times(minato):
    _, room_type = resort(minato, rooms=3)
    people = [registrant(minato) for _ in range(CLIENTS)]
    url = f"/minato/reserve/{room_type.pk}/"
    data = {
        "action": "book",
        "date": DAY.isoformat(),
        "nights": "2",
        "rooms": "1",
        "adults": "2",
        "children": "0",
        "infants": "0",
    }
    results = race(minato, [(p, url, data) for p in people])
    assert [s for s, _ in results].count(302) == 3
    assert all(s in (302, 409) for s, _ in results), sorted({s for s, _ in results})
    for night in (DAY, DAY + dt.timedelta(days=1)):
        assert Occupancy.objects.filter(unit=room_type, date=night).count() == 3
    assert Reservation.objects.count() == 3
