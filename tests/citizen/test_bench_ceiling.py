"""The rush benchmark's ceiling view: routed only on a stack started for the benchmark, behind
the same log-in check as the booking page, and doing one INSERT."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.urls import clear_url_caches

import yoyaku.urls
from bench.rush import create_ceiling_table
from tests.reservations.helpers import registrant
from yoyaku.citizen.bench_views import CEILING_TABLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def ceiling_routed(settings):
    settings.YOYAKU_BENCH_CEILING = True
    importlib.reload(yoyaku.urls)
    clear_url_caches()
    create_ceiling_table()
    yield
    settings.YOYAKU_BENCH_CEILING = False
    importlib.reload(yoyaku.urls)
    clear_url_caches()


def _rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT registrant_id FROM {CEILING_TABLE}")
        return cursor.fetchall()


def test_the_ceiling__inserts_one_row_for_the_logged_in_registrant(ceiling_routed, client, ukiha):
    person = registrant(ukiha)
    client.force_login(person.user)
    response = client.post("/ukiha/bench/ceiling/")
    assert response.status_code == 201
    assert _rows() == [(person.pk,)]


def test_the_ceiling__sends_a_visitor_without_a_session_to_the_log_in(
    ceiling_routed, client, ukiha
):
    response = client.post("/ukiha/bench/ceiling/")
    assert response.status_code == 302
    assert response["Location"].startswith("/ukiha/login/")
    assert _rows() == []


def test_without_the_benchmark_setting__there_is_no_ceiling_page(client, ukiha):
    person = registrant(ukiha)
    client.force_login(person.user)
    assert client.post("/ukiha/bench/ceiling/").status_code == 404
