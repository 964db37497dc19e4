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
from tests.reservations.helpers import book_stay, hall, registrant, resort
from yoyaku.facilities.models import ReductionCategory
from yoyaku.reservations import opening
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


# — per-registrant limits: one registrant in many tabs at once —


def test_one_registrant_booking_ten_slots_at_once_gets_only_the_limit(ukiha):
    # Ten: the most booking requests one registrant may send in a minute
    # (opening.ATTEMPTS_PER_MINUTE); twice the facility's limit of active reservations.
    facility, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    url = f"/{ukiha.slug}/reserve/{whole.pk}/"
    posts = []
    for i in range(opening.ATTEMPTS_PER_MINUTE):
        day = DAY + dt.timedelta(days=i // 3)
        code = ("am", "pm", "night")[i % 3]
        data = {
            "action": "book",
            "date": day.isoformat(),
            "slots": [str(f.slot(whole, code).pk)],
            "party_size": "10",
        }
        posts.append((person, url, data))
    results = race(ukiha, posts)
    statuses = sorted(status for status, _ in results)
    limit = facility.max_active_reservations
    assert statuses.count(302) == limit, statuses
    assert statuses.count(409) == opening.ATTEMPTS_PER_MINUTE - limit, statuses
    refused = f"この施設で同時に持てる予約は{limit}件までです。"
    assert all(refused in body for status, body in results if status == 409)
    assert Reservation.objects.filter(registrant=person).count() == limit


def _reduced_resort(minato, *, limit):
    _, room_type = resort(minato, max_active_reservations=10)
    category = ReductionCategory.objects.create(
        municipality=minato,
        name="区民保養施設 利用助成",
        percent=50,
        requires_approval=False,
        annual_night_limit=limit,
    )
    return room_type, category


# 2 adults × 6,000 yen a night; the reduction halves a night.
NIGHT = 12000


def discounted_nights(person) -> int:
    reservations = Reservation.objects.filter(registrant=person)
    return sum(r.fee_breakdown["reduction_nights"] for r in reservations)


def test_six_reduced_stays_at_once_discount_only_the_yearly_allowance(minato):
    room_type, category = _reduced_resort(minato, limit=2)
    person = registrant(minato)
    url = f"/minato/reserve/{room_type.pk}/"
    posts = []
    for i in range(6):
        data = {
            "action": "book",
            "date": (DAY + dt.timedelta(days=2 * i)).isoformat(),
            "nights": "1",
            "rooms": "1",
            "adults": "2",
            "children": "0",
            "infants": "0",
            "reduction": str(category.pk),
        }
        posts.append((person, url, data))
    results = race(minato, posts)
    assert [s for s, _ in results] == [302] * 6, [s for s, _ in results]
    stays = Reservation.objects.filter(registrant=person)
    assert discounted_nights(person) == 2
    assert sorted(s.fee_total for s in stays) == [NIGHT // 2] * 2 + [NIGHT] * 4


def test_two_reduced_stays_lengthened_at_once_discount_only_the_yearly_allowance(minato):
    room_type, category = _reduced_resort(minato, limit=3)
    person = registrant(minato)
    stays = [
        book_stay(person, room_type, DAY + dt.timedelta(days=5 * i), nights=1, reduction=category)
        for i in range(2)
    ]
    assert discounted_nights(person) == 2  # one night of the allowance left
    posts = [
        (person, f"/minato/reservations/{stay.pk}/change/", {"action": "apply", "nights": "2"})
        for stay in stays
    ]
    results = race(minato, posts)
    assert [s for s, _ in results] == [302, 302], [s for s, _ in results]
    stays = Reservation.objects.filter(registrant=person)
    assert sorted(s.nights for s in stays) == [2, 2]
    # Four nights now, of which only the three of the allowance are discounted.
    assert discounted_nights(person) == 3
    assert sum(s.fee_total for s in stays) == 4 * NIGHT - 3 * NIGHT // 2
