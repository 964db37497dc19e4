"""Exactly once on PostgreSQL: the task at the window's end and every waiting page refreshed
at the same moment race to process one opening; it is processed once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from tests.reservations.helpers import hall, registrant
from tests.reservations.test_opening import OPENS, _request
from yoyaku.reservations import opening
from yoyaku.reservations.models import (
    FirstMinuteOpening,
    FirstMinuteTicket,
    PublicLogEntry,
    Reservation,
)
from yoyaku.reservations.tasks import first_minute_process

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency is tested on PostgreSQL (set DATABASE_URL to run here)",
    ),
]


def test_the_task_and_six_refreshing_pages_process_the_opening_once(travel, ukiha):
    _, whole, _, _ = hall(ukiha, opens_months_before=1, opening_hour=9, fair_window_seconds=60)
    people = [registrant(ukiha) for _ in range(6)]
    travel(OPENS + dt.timedelta(seconds=4))
    tickets = [opening.booking_submit(request=_request(p, whole), by=p.user) for p in people]
    the_opening = FirstMinuteOpening.objects.get()
    travel(OPENS + dt.timedelta(seconds=60))

    clients = []
    for person in people:
        client = Client()
        client.force_login(person.user)
        clients.append(client)
    barrier = threading.Barrier(len(people) + 1)
    pages: list[tuple[int, str]] = [(0, "")] * len(people)
    task_result: list[str] = []

    def refresh(i: int) -> None:
        try:
            barrier.wait()
            response = clients[i].get(f"/ukiha/reserve/queue/{tickets[i].pk}/")
            pages[i] = (response.status_code, response.content.decode())
        finally:
            connections.close_all()

    def task() -> None:
        try:
            barrier.wait()
            task_result.append(first_minute_process.call(the_opening.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh, args=(i,)) for i in range(len(people))]
    threads.append(threading.Thread(target=task))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert task_result == ["processed"]
    assert all(status == 200 for status, _ in pages), pages
    assert all('http-equiv="refresh"' not in body for _, body in pages)
    assert sum("予約の申込みを受け付けました" in body for _, body in pages) == 1
    assert Reservation.objects.count() == 1
    assert PublicLogEntry.objects.filter(kind="first_minute_order").count() == 6
    positions = sorted(FirstMinuteTicket.objects.values_list("position", flat=True))
    assert positions == [1, 2, 3, 4, 5, 6]
