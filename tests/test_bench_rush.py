"""The rush benchmark measures what it says: its seeds let a registrant book at once, the form
it posts is the booking page's, a loser gets the 409 it counts as expected, and its check in
the database counts bookings and doubles. (The benchmark itself needs its own stack and runs
only when named: ``python -m bench rush``.)"""

from __future__ import annotations

import pytest

from bench import rush
from bench import stack as bench_stack

pytestmark = pytest.mark.django_db


def _log_in(client, site, index: int) -> None:
    response = client.post(
        f"/{site.slug}/login/",
        {"user_number": site.user_numbers[index], "password": bench_stack.PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()


def _book(client, site, target: int):
    unit_id, slot_id = site.targets[target]
    return client.post(
        f"/{site.slug}/reserve/{unit_id}/",
        {
            "slots": str(slot_id),
            "party_size": "10",
            "purpose": str(site.purpose_id),
            "date": f"{site.first_day:%Y-%m-%d}",
            "action": "book",
        },
    )


def test_the_first_attempt_on_a_slot_books_it_and_the_next_one_is_refused_with_409(client):
    site = bench_stack.seed(registrants=2, slots=4, days=1)
    _log_in(client, site, 0)
    assert _book(client, site, 0).status_code == 302
    client.logout()
    _log_in(client, site, 1)
    assert _book(client, site, 0).status_code == 409
    assert _book(client, site, 1).status_code == 302

    check = rush._verify(site, site.first_day)
    assert check["bookings"] == 2
    assert check["doubles"] == 0
    assert check["status_confirmed"] == 2


def test_every_slot_is_tried_equally_often_and_each_registrant_tries_four():
    site = bench_stack.seed(registrants=10, slots=8, days=1)
    plan = rush._plan(site, registrants=10, attempts=40)
    assert all(len(targets) == 4 for targets in plan)
    tried = [target for targets in plan for target in targets]
    assert sorted(tried.count(t) for t in range(8)) == [5] * 8
