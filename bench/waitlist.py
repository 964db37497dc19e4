"""``python -m bench waitlist``: from a cancellation's commit to the waitlist offer's mail sent.

Starts the production commands as deployed — one task worker (``manage.py db_worker
--queue-name "*"``, its default polling interval) and the scheduler (``manage.py
run_scheduler``) — against one database (a temporary SQLite file, or ``--database-url``; an
empty database), builds a hall whose slots are all booked, each with one registrant on its
waitlist, then cancels the bookings one at a time. Measured for each: from the moment the
cancellation committed to the moment the worker finished sending the offer's mail (the
``send_email`` task's ``finished_at``). The baseline in the same run is the worker's round trip
of an empty task (enqueued → finished), i.e. what any background work costs here.

The last line: ``waitlist: n=… release_to_offer_p50_s=… release_to_offer_max_s=…
baseline_ms=…``. ``tests/waitlist/test_waitlist_worker.py`` runs :func:`measure` in the
PostgreSQL pass and asserts the 60 s bound.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BOUND_S = 60.0


@dataclass
class Result:
    release_to_offer_s: list[float]
    baseline_s: list[float]

    @property
    def line(self) -> str:
        values = self.release_to_offer_s
        return (
            f"waitlist: n={len(values)} "
            f"release_to_offer_p50_s={statistics.median(values):.2f} "
            f"release_to_offer_max_s={max(values):.2f} "
            f"baseline_ms={statistics.median(self.baseline_s) * 1000:.0f}"
        )


def child_environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of the worker and the scheduler: production settings, the database
    queue, this database."""
    drop = {"DJANGO_SETTINGS_MODULE", "TASKS_BACKEND", "DATABASE_REPLICA_URL"}
    return {
        **{k: v for k, v in os.environ.items() if k not in drop},
        "DJANGO_SETTINGS_MODULE": "yoyaku.settings",
        "DEBUG": "1",
        "TASKS_BACKEND": "django_tasks_db.backend.DatabaseBackend",
        "DATABASE_URL": database_url,
        "YOYAKU_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def start(env: dict[str, str], log_dir: Path) -> list[subprocess.Popen]:
    """The worker and the scheduler, as deployed (see deploy/systemd)."""
    commands = {
        "worker": [sys.executable, "manage.py", "db_worker", "--queue-name", "*"],
        "scheduler": [sys.executable, "manage.py", "run_scheduler"],
    }
    children = []
    for name, command in commands.items():
        log = (log_dir / f"{name}.log").open("w")
        children.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
    return children


def stop(children: Sequence[subprocess.Popen]) -> None:
    for child in children:
        child.terminate()
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


def site(n: int) -> list[tuple[Any, Any]]:
    """A hall whose first ``n`` slots are booked, each with a waiter; returns the bookings
    (reservation, its owner's user) to cancel."""
    from yoyaku.core import clock
    from yoyaku.core.models import Municipality, User
    from yoyaku.facilities.models import Facility, FeeRule, Slot, SlotSchedule, Unit
    from yoyaku.registrants.models import Registrant
    from yoyaku.registrants.services import registration_apply, registration_approve
    from yoyaku.reservations import booking, rules
    from yoyaku.waitlist import services

    city = Municipality.objects.create(
        slug="wait",
        name="待ち市",
        system_name="待ち市公共施設予約システム",
        registration_mode=Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING,
        resident_label="市内在住の方",
        worker_label="市内在勤の方",
        service_open_minute=0,
        service_close_minute=24 * 60,
    )
    facility = Facility.objects.create(
        municipality=city,
        slug="hall",
        name="待ち会館",
        kind=Facility.Kind.HALL,
        closed_at_year_end=False,
        max_active_reservations=n + 5,
        waitlist_max_per_person=n + 5,
    )
    schedule = SlotSchedule.objects.create(municipality=city, name="3区分")
    slots = [
        Slot.objects.create(
            schedule=schedule, code=code, label=label, start=dt.time(a), end=dt.time(b)
        )
        for code, label, a, b in [("am", "午前", 9, 12), ("pm", "午後", 13, 17)]
    ]
    unit = Unit.objects.create(
        facility=facility,
        name="会議室",
        booking_kind=Unit.BookingKind.SLOT,
        slot_schedule=schedule,
        capacity=30,
    )
    FeeRule.objects.bulk_create(
        FeeRule(
            unit=unit,
            effective_from=dt.date(2024, 4, 1),
            basis=FeeRule.Basis.PER_SLOT,
            slot=slot,
            rate_class=FeeRule.RateClass.RESIDENT,
            amount_yen=1000,
        )
        for slot in slots
    )
    admin = User.objects.create_user(
        username=User.make_username(city, User.Kind.STAFF, "admin"),
        password="wait-bench-1",
        municipality=city,
        login_id="admin",
        kind=User.Kind.STAFF,
        staff_role=User.StaffRole.ADMIN,
        is_staff=True,
    )
    people = []
    for k in (1, 2):
        person = registration_apply(
            municipality=city,
            data={
                "kind": Registrant.Kind.INDIVIDUAL,
                "category": Registrant.Category.RESIDENT,
                "name_kana": f"マチ　タロウ{'アイ'[k - 1]}",
                "name": f"待地　太郎{k}",
                "birth_date": dt.date(1980, 1, k),
                "phone": f"0943-00-100{k}",
                "email": f"wait{k}@example.jp",
                "postal_code": "839-1393",
                "prefecture": "福岡県",
                "city": "うきは市",
                "street": "吉井町1",
            },
        )
        people.append(registration_approve(registrant=person, by=admin))
    owner, waiter = people
    first = clock.today() + dt.timedelta(days=10)
    bookings = []
    for i in range(n):
        day, slot = first + dt.timedelta(days=i // len(slots)), slots[i % len(slots)]
        request = rules.BookingRequest(
            registrant=owner, unit=unit, use_date=day, slots=[slot], party_size=5
        )
        bookings.append((booking.reservation_book(request=request, by=owner.user), owner.user))
        services.waitlist_join(
            request=rules.BookingRequest(
                registrant=waiter, unit=unit, use_date=day, slots=[slot], party_size=5
            ),
            by=waiter.user,
        )
    return bookings


def _finished(task_id: str, timeout: float) -> dt.datetime:
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = DBTaskResult.objects.filter(pk=task_id, status="SUCCESSFUL").first()
        if row is not None:
            return row.finished_at
        time.sleep(0.05)
    raise TimeoutError(f"task {task_id} not finished within {timeout} s")


def _offer_mail_finished(seen: set, timeout: float) -> dt.datetime:
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for row in DBTaskResult.objects.filter(
            task_path__endswith="send_email", status="SUCCESSFUL"
        ).exclude(pk__in=seen):
            seen.add(row.pk)
            subject = row.args_kwargs.get("kwargs", {}).get("subject", "")
            if "キャンセル待ち" in subject:
                return row.finished_at
        time.sleep(0.05)
    raise TimeoutError(f"no offer mail within {timeout} s")


def measure(n: int = 6, *, timeout: float = BOUND_S * 2) -> Result:
    """Cancel the site's bookings one at a time; the worker and scheduler must be running.
    Django must be set up with the database queue (``TASKS_BACKEND``) on the same database."""
    from django_tasks_db.models import DBTaskResult

    from yoyaku.reservations import booking
    from yoyaku.waitlist.tasks import waitlist_ping

    bookings = site(n)
    baseline = []
    for _ in range(3):
        started = time.time()
        result = waitlist_ping.enqueue()
        baseline.append(_finished(str(result.id), timeout).timestamp() - started)
    seen = set(DBTaskResult.objects.values_list("pk", flat=True))
    times = []
    for reservation, user in bookings:
        booking.reservation_cancel(reservation=reservation, by=user)
        committed = time.time()
        times.append(_offer_mail_finished(seen, timeout).timestamp() - committed)
    return Result(release_to_offer_s=times, baseline_s=baseline)


def _configure(database_url: str, directory: Path) -> None:
    from django.conf import settings

    if settings.configured:
        raise SystemExit("waitlist sets Django up itself: run it once per process")
    os.environ.update(child_environment(database_url, directory))
    import django

    django.setup()


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench waitlist")
    parser.add_argument("--n", type=int, default=6, help="cancellations measured (default 6)")
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    options = parser.parse_args(list(argv))
    with tempfile.TemporaryDirectory(prefix="bench-waitlist-") as tmp:
        directory = Path(tmp)
        database_url = options.database_url or f"sqlite:///{directory / 'bench.sqlite3'}"
        _configure(database_url, directory)
        from django.core.management import call_command
        from django.db import connection, connections

        if connection.introspection.table_names():
            raise SystemExit("waitlist: the database must be empty")
        call_command("migrate", verbosity=0, interactive=False)
        connections.close_all()
        children = start(child_environment(database_url, directory), directory)
        try:
            result = measure(options.n)
        finally:
            stop(children)
        print(result.line)
