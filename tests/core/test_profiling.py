"""The benchmarks' request profiles (YOYAKU_PROFILE_DIR): one profile per booking request,
with the statements it ran and never the values sent with them."""

from __future__ import annotations

import pstats

import pytest

from tests.reservations.helpers import hall, registrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def profiled(settings, tmp_path):
    settings.YOYAKU_PROFILE_DIR = str(tmp_path)
    settings.MIDDLEWARE = ["yoyaku.core.profiling.ProfileMiddleware", *settings.MIDDLEWARE]
    return tmp_path


def test_a_booking_page__leaves_its_profile_named_after_status_and_query_count(
    profiled, client, ukiha
):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    client.force_login(person.user)
    assert client.get(f"/ukiha/reserve/{whole.pk}/?date=2026-06-16").status_code == 200

    (profile,) = profiled.glob("GET-200-*q-*.prof")
    statements = profile.with_suffix(".sql").read_text().splitlines()
    assert profile.name.split("-")[2] == f"{len(statements)}q"
    assert any('"registrants_registrant"' in sql for sql in statements)
    assert person.user_number not in profile.with_suffix(".sql").read_text()
    assert pstats.Stats(str(profile)).total_calls > 0


def test_other_pages__are_not_profiled(profiled, client, ukiha):
    assert client.get("/ukiha/facilities/").status_code == 200
    assert list(profiled.iterdir()) == []
