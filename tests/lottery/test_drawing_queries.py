"""A drawing reads what it needs once per round: its queries do not grow with the winners."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import registrant, resort
from yoyaku.lottery import services
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db


def drawing_queries(minato, travel, winners: int) -> int:
    """Draw a round where every applicant wins a night of their own (so that no two winners
    share a fee quote), and count the drawing's queries."""
    travel(dt.datetime(2026, 6, 2, 9, 0))
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type], name=f"{winners}人の抽選")
    for i in range(winners):
        person = registrant(minato)
        choice = services.ChoiceRequest(
            unit=room_type,
            use_date=dt.date(2026, 8, 1) + dt.timedelta(days=i),
            nights=1,
            rooms=1,
            adults=1 + i % 3,
            children=i % 2,
        )
        services.lottery_apply(lottery=lottery, registrant=person, choices=[choice], by=person.user)
    travel(dt.datetime(2026, 6, 25, 10, 0))
    lottery = f.lottery_value_confirmed(lottery)
    with CaptureQueriesContext(connection) as queries:
        services.lottery_draw(lottery=lottery)
    assert Reservation.objects.filter(lottery_choice__application__round=lottery).count() == (
        winners
    )
    return len(queries)


def test_the_drawing_reads_the_fee_table_once_whatever_the_number_of_winners(minato, travel):
    few = drawing_queries(minato, travel, winners=3)
    many = drawing_queries(minato, travel, winners=24)
    assert many == few
