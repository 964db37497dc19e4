"""What a registrant's page costs besides its own work: the registrant is loaded once per
request, and the initial-password banner still shows where it should."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reservations.helpers import hall, registrant

pytestmark = pytest.mark.django_db

BANNER = "パスワードが初期設定（生年月日）のままです。"


def _registrant_reads(queries) -> int:
    return sum(
        1
        for query in queries
        if 'FROM "registrants_registrant"' in query["sql"]
        and query["sql"].lstrip().upper().startswith("SELECT")
    )


def test_the_booking_page__reads_the_registrant_only_once(client, ukiha):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    client.force_login(person.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/ukiha/reserve/{whole.pk}/?date=2026-06-16")
    assert response.status_code == 200
    assert _registrant_reads(queries.captured_queries) == 1


def test_a_registrant_with_the_birth_date_password__is_asked_to_change_it_on_the_booking_page(
    client, ukiha
):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    assert person.password_is_initial  # the birth date, as a new registration has
    client.force_login(person.user)
    response = client.get(f"/ukiha/reserve/{whole.pk}/?date=2026-06-16")
    assert BANNER in response.content.decode()


def test_a_registrant_who_changed_the_password__is_not_asked_again(client, ukiha):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    person.password_is_initial = False
    person.save(update_fields=["password_is_initial"])
    client.force_login(person.user)
    for path in (f"/ukiha/reserve/{whole.pk}/?date=2026-06-16", "/ukiha/facilities/"):
        assert BANNER not in client.get(path).content.decode()


def test_a_page_without_the_log_in_check__still_shows_the_banner_to_a_registrant(client, ukiha):
    person = registrant(ukiha)
    assert person.password_is_initial  # the birth date, as a new registration has
    client.force_login(person.user)
    assert BANNER in client.get("/ukiha/facilities/").content.decode()
