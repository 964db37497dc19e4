"""The booking path's cost in SQL queries: a refused attempt (the slot was just taken) and a
winning one, through the booking page and through the API, with the setup from the cache.

What the queries are, for a refused attempt on the page: the session, the user, the
municipality (middleware), the registrant (the log-in gate) and one look at the occupancy rows
the booking needs; then the short 409 page. A winning attempt adds the registrant's lock, the
rules' live reads (penalties, unpaid fees, lottery holds, the registrant's upcoming
reservations), the writes (reservation, its slots, its occupancy rows, the registrant's last
use, the audit row, the ledger), the e-mail and the session's flash message.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.api.test_me import api_for
from tests.reservations.helpers import book_slot, hall, registrant
from yoyaku.core import clock
from yoyaku.core.models import MaintenanceWindow
from yoyaku.facilities.models import Closure, FeeRule
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 16)
SETUP_TABLES = (
    "facilities_unit",
    "facilities_facility",
    "facilities_slot",
    "facilities_slotschedule",
    "facilities_purpose",
    "facilities_unit_purposes",
    "facilities_closure",
    "facilities_feerule",
    "core_maintenancewindow",
)


def _post(unit, code, day=DAY):
    return (
        f"/{unit.facility.municipality.slug}/reserve/{unit.pk}/",
        {
            "action": "book",
            "date": day.isoformat(),
            "slots": [str(f.slot(unit, code).pk)],
            "party_size": "10",
        },
    )


def _tables_read(queries) -> set[str]:
    """The setup tables read as such: a query whose main table is one of them, whatever follows
    it (a WHERE, an alias, a join to other setup tables), except one joined to a reservation
    (a reservation's own slots, for its e-mail), which reads that reservation, not the setup."""
    pattern = re.compile(r'FROM "(\w+)"(?! INNER JOIN "reservations_)')
    return {m for q in queries for m in pattern.findall(q["sql"]) if m in SETUP_TABLES}


@pytest.fixture
def arena(ukiha, client):
    _, whole, half_a, _ = hall(ukiha)
    person = registrant(ukiha)
    client.force_login(person.user)
    # A first booking fills the setup cache, as the first visitor of the morning does.
    client.post(*_post(whole, "night", DAY + dt.timedelta(days=1)))
    return whole, half_a, person


def test_a_refused_booking_costs_at_most_six_queries_and_a_short_page(client, arena, ukiha):
    whole, half_a, _ = arena
    book_slot(registrant(ukiha), half_a, DAY, "am")
    url, data = _post(whole, "am")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "この枠はすでに予約されています" in body
    assert f"/ukiha/availability/?date={DAY.isoformat()}" in body
    assert "料金を確認する" not in body  # not the whole booking form again
    assert len(queries) <= 6, "\n".join(q["sql"] for q in queries)
    assert not _tables_read(queries.captured_queries)


def test_a_winning_booking_costs_at_most_twenty_two_queries_and_reads_no_setup(client, arena):
    whole, _, _ = arena
    url, data = _post(whole, "am")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    assert response.status_code == 302
    assert Reservation.objects.filter(use_date=DAY).count() == 1
    assert len(queries) <= 22, "\n".join(q["sql"] for q in queries)
    assert not _tables_read(queries.captured_queries)


def test_the_booking_page_reads_at_most_thirteen_queries(client, arena):
    whole, _, _ = arena
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/ukiha/reserve/{whole.pk}/?date={DAY.isoformat()}")
    assert response.status_code == 200
    assert len(queries) <= 13, "\n".join(q["sql"] for q in queries)


def test_through_the_api_a_refusal_and_a_win_cost_few_queries_and_read_no_setup(arena, ukiha):
    whole, _, person = arena
    api = api_for(person)
    api.get("/me")  # the API's first request fills the cache of its maintenance windows
    body = {"unit_id": whole.pk, "use_date": DAY.isoformat(), "slots": ["am"], "party_size": 10}
    with CaptureQueriesContext(connection) as won:
        answer = api.post("/me/reservations", body)
    assert answer.status_code == 201, answer.content
    # The token, its registrant, the idempotency record, the booking, the answer read back.
    assert len(won) <= 23, "\n".join(q["sql"] for q in won)
    assert not _tables_read(won.captured_queries)
    other = api_for(registrant(ukiha))
    with CaptureQueriesContext(connection) as refused:
        again = other.post("/me/reservations", body)
    assert again.status_code == 409 and again.json()["code"] == "slot_taken"
    assert len(refused) <= 4, "\n".join(q["sql"] for q in refused)
    assert not _tables_read(refused.captured_queries)


# — the setup cache never serves a stale rule —


def test_a_new_fee_table_is_charged_by_the_very_next_booking(client, arena):
    whole, _, _ = arena
    FeeRule.objects.filter(unit=whole, slot=f.slot(whole, "am")).update(
        effective_until=dt.date(2026, 5, 31)
    )
    f.fee(whole, 3100, slot=f.slot(whole, "am"), effective_from=dt.date(2026, 6, 1))
    client.post(*_post(whole, "am"))
    assert Reservation.objects.get(use_date=DAY).fee_total == 3100


def test_a_closure_entered_by_staff_refuses_the_very_next_booking(client, arena):
    whole, _, _ = arena
    Closure.objects.create(facility=whole.facility, start_date=DAY, end_date=DAY, reason="施設点検")
    response = client.post(*_post(whole, "am"))
    assert response.status_code == 409
    assert "施設点検" in response.content.decode()
    assert not Reservation.objects.filter(use_date=DAY).exists()


def test_a_slot_added_to_the_schedule_is_bookable_at_once(client, arena):
    whole, _, _ = arena
    schedule = whole.slot_schedule
    early = schedule.slots.create(
        code="early", label="早朝", start=dt.time(7), end=dt.time(9), is_basic=True
    )
    f.fee(whole, 800, slot=early)
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {"action": "book", "date": DAY.isoformat(), "slots": [early.pk], "party_size": "5"},
    )
    assert response.status_code == 302
    assert Reservation.objects.get(use_date=DAY).fee_total == 800


def test_a_unit_closed_by_staff_is_not_found_by_the_next_booking(client, arena):
    whole, _, _ = arena
    whole.is_active = False
    whole.save()
    assert client.post(*_post(whole, "am")).status_code == 404


def test_a_maintenance_window_closes_booking_at_once(client, arena, ukiha):
    whole, _, _ = arena
    MaintenanceWindow.objects.create(
        municipality=ukiha,
        starts_at=clock.now() - dt.timedelta(minutes=1),
        ends_at=clock.now() + dt.timedelta(hours=1),
    )
    assert client.post(*_post(whole, "am")).status_code == 503
    assert not Reservation.objects.filter(use_date=DAY).exists()
