"""The lottery's per-registrant limit holds when one person sends many applications at once
(PostgreSQL: each application in its own thread and database connection)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from tests.lottery.test_rounds import STAY, make_round, stay
from tests.reservations.helpers import registrant, resort
from yoyaku.core.errors import DomainError
from yoyaku.lottery import services
from yoyaku.lottery.models import LotteryApplication

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency is tested on PostgreSQL (CI runs it; set DATABASE_URL to run here)",
    ),
]


def test_one_registrant_applying_ten_times_at_once_gets_only_the_rounds_limit(minato):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type], max_applications_per_registrant=2)
    person = registrant(minato)
    attempts = 10
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = [""] * attempts

    def run(i: int) -> None:
        try:
            barrier.wait()
            services.lottery_apply(
                lottery=lottery,
                registrant=person,
                choices=[stay(room_type, STAY + dt.timedelta(days=i), nights=1)],
                by=person.user,
            )
            outcomes[i] = "applied"
        except DomainError as refused:
            outcomes[i] = refused.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes.count("applied") == 2, outcomes
    assert outcomes.count("lottery_application_limit") == attempts - 2, outcomes
    assert LotteryApplication.objects.filter(registrant=person).count() == 2
