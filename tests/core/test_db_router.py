"""The read replica: a visitor's calendar reads from it; bookings and logged-in people never do.

The ``replica`` alias of the test settings is a test mirror: a second connection to the test
database, as a streaming replica is a second server with the same rows. The tests commit
(``transaction=True``) so that the second connection sees the rows they create.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.reservations.helpers import book_slot, hall, registrant
from yoyaku.core import cache
from yoyaku.core.db_router import replica_reads
from yoyaku.reservations import booking, rules
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

DAY = dt.date(2026, 6, 16)


@pytest.fixture
def router(settings):
    settings.DATABASE_ROUTERS = ["yoyaku.core.db_router.ReplicaRouter"]


class Reads:
    """The SQL each alias ran while the block was open."""

    def __enter__(self):
        self._captures = {
            alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")
        }
        for capture in self._captures.values():
            capture.__enter__()
        return self

    def __exit__(self, *exc):
        for capture in self._captures.values():
            capture.__exit__(*exc)

    def sql(self, alias: str) -> list[str]:
        return [query["sql"] for query in self._captures[alias].captured_queries]

    def touching(self, alias: str, table: str) -> list[str]:
        return [sql for sql in self.sql(alias) if f'"{table}"' in sql]


@pytest.fixture
def booked_hall(ukiha):
    facility, whole, *_ = hall(ukiha)
    book_slot(registrant(ukiha), whole, DAY, "am")
    return facility, whole


def test_a_visitors_calendar_reads_the_availability_from_the_replica(router, client, booked_hall):
    facility, _whole = booked_hall
    with Reads() as reads:
        response = client.get(f"/ukiha/facilities/{facility.slug}/calendar/?month=2026-06")
    assert response.status_code == 200
    assert reads.touching("replica", "reservations_occupancy")
    assert reads.touching("replica", "facilities_unit")
    assert not reads.touching("default", "reservations_occupancy")
    assert not reads.touching("default", "reservations_reservation")


@pytest.mark.parametrize(
    "url",
    [
        "/ukiha/availability/?date=2026-06-16",
        "/api/v1/opendata/ukiha/availability/2026-06.csv",
        "/api/v1/municipalities/ukiha/facilities/{facility}/units/{unit}/availability"
        "?start=2026-06-01&end=2026-06-30",
    ],
)
def test_a_visitors_day_view_availability_api_and_open_data_read_from_the_replica(
    router, client, booked_hall, url
):
    facility, whole = booked_hall
    with Reads() as reads:
        response = client.get(url.format(facility=facility.slug, unit=whole.pk))
    assert response.status_code == 200
    assert reads.touching("replica", "reservations_occupancy")
    assert not reads.touching("default", "reservations_occupancy")


def test_a_logged_in_registrant_sees_the_calendar_from_the_primary(router, client, ukiha):
    facility, _whole, *_ = hall(ukiha)
    client.force_login(registrant(ukiha).user)
    with Reads() as reads:
        response = client.get(f"/ukiha/facilities/{facility.slug}/calendar/?month=2026-06")
    assert response.status_code == 200
    assert reads.sql("replica") == []
    assert reads.touching("default", "reservations_occupancy")


def test_a_booking_through_the_page_never_reads_from_the_replica(router, client, ukiha):
    _facility, whole, *_ = hall(ukiha)
    client.force_login(registrant(ukiha).user)
    with Reads() as reads:
        response = client.post(
            f"/ukiha/reserve/{whole.pk}/",
            {
                "action": "book",
                "date": DAY.isoformat(),
                "slots": [f.slot(whole, "am").pk],
                "party_size": "12",
            },
        )
    assert response.status_code == 302
    assert Reservation.objects.count() == 1
    assert reads.sql("replica") == []


def test_a_booking_checks_on_the_primary_even_where_reads_may_go_to_the_replica(router, ukiha):
    _facility, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    request = rules.BookingRequest(
        registrant=person, unit=whole, use_date=DAY, slots=[f.slot(whole, "am")], party_size=10
    )
    with Reads() as reads, replica_reads():
        booking.reservation_book(request=request, by=person.user)
    assert Reservation.objects.count() == 1
    assert reads.sql("replica") == []


def test_a_value_read_from_the_replica_is_cached_only_briefly_so_replica_lag_never_sticks(
    router, booked_hall, monkeypatch
):
    """A replica behind a change could let the old state be stored under the version bumped
    after it: such a value lives REPLICA_BUILT_TIMEOUT seconds (0 here), one read from the
    primary until the next bump."""
    facility, whole = booked_hall
    monkeypatch.setattr(cache, "REPLICA_BUILT_TIMEOUT", 0)
    builds = []

    def count():
        builds.append(1)
        return Reservation.objects.filter(unit=whole).count()

    scope = [f"avail:{facility.pk}"]
    with Reads() as reads, replica_reads():
        assert cache.remember(scope, "count", count) == 1
        assert cache.remember(scope, "count", count) == 1
    assert len(builds) == 2
    assert reads.touching("replica", "reservations_reservation")
    assert cache.remember(scope, "count", count) == 1
    assert cache.remember(scope, "count", count) == 1
    assert len(builds) == 3


def test_without_the_router_every_read_stays_on_the_primary(client, booked_hall):
    facility, _whole = booked_hall
    with Reads() as reads:
        response = client.get(f"/ukiha/facilities/{facility.slug}/calendar/?month=2026-06")
    assert response.status_code == 200
    assert reads.sql("replica") == []


SHOW_DATABASES = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps({'aliases': sorted(settings.DATABASES), "
    "'replica': settings.DATABASES.get('replica', {}).get('HOST'), "
    "'routers': settings.DATABASE_ROUTERS}))"
)


@pytest.mark.parametrize("replica_url", ["", "postgres://reader@replica.example:5432/yoyaku"])
def test_the_replica_alias_exists_only_when_an_operator_names_a_replica(replica_url):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_REPLICA_URL"}
    }
    env.update(DJANGO_SETTINGS_MODULE="yoyaku.settings", DEBUG="1")
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    result = subprocess.run(
        [sys.executable, "-c", SHOW_DATABASES],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["routers"] == ["yoyaku.core.db_router.ReplicaRouter"]
    if replica_url:
        assert shown["aliases"] == ["default", "replica"]
        assert shown["replica"] == "replica.example"
    else:
        assert shown["aliases"] == ["default"]
