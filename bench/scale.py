"""What one booking costs PostgreSQL, against what PostgreSQL can do on this machine.

``python -m bench scale`` (PostgreSQL only: ``--database-url URL`` or ``DATABASE_URL``; the
bench creates its own database ``<name>_bench_scale`` on that server, migrates it and drops it
at the end, ``--keep`` keeps it). About 1–2 minutes: ~20 s of migrations, 2 × ``--seconds``
of pgbench, then the bookings. The figures feed docs/scaling.md.

Measured in one run, on the same server:

- ``pgbench``: single-row INSERT transactions per second with ``--clients`` clients for
  ``--seconds`` seconds, once over kept connections and once with ``-C`` (a new connection per
  transaction: what ``DATABASE_CONN_MAX_AGE=0`` costs a request). Skipped without pgbench.
- bare: the same single-row INSERT, one transaction each, from this process through Django's
  connection, one after the other: the baseline of the booking rate.
- booking: ``--bookings`` bookings of free meeting-room slots through
  ``reservations.booking.reservation_book`` (every rule, the fee quote, the occupancy rows, the
  audit row, the e-mail task row in the database queue), one after the other, each by another
  registrant; then the same number with ``--clients`` threads. Queries per booking counted.
- sizes: growth of each table (``pg_total_relation_size``: rows, TOAST and indexes) over the
  sequential bookings, per booking.

Last line: ``scale: insert_per_s=… insert_reconnect_per_s=… bare_per_s=… booking_per_s=…
booking_threads_per_s=… booking_ratio=… queries_per_booking=… bytes_per_booking=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.lottery_db import _build_people, _build_site

MOMENT = dt.datetime(2026, 6, 1, 10, 0)
USE_FROM = dt.date(2026, 6, 15)
SEED = 20261206
SCRATCH = "bench_insert"
TPS = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)


def _options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench scale",
        description="PostgreSQL's INSERT ceiling here, and the rate and size of a booking.",
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--bookings", type=int, default=600, metavar="N")
    parser.add_argument("--clients", type=int, default=4, metavar="N")
    parser.add_argument("--seconds", type=int, default=10, metavar="S")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    options = parser.parse_args(list(argv))
    if not options.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("needs a PostgreSQL URL: --database-url postgres://… or DATABASE_URL")
    return options


def _bench_url(url: str) -> tuple[str, str, str]:
    """(the bench database's URL, its name, the maintenance database's URL)."""
    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "yoyaku") + "_bench_scale"
    return (
        urlunsplit(parts._replace(path=f"/{name}")),
        name,
        urlunsplit(parts._replace(path="/postgres")),
    )


def _recreate(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            admin.execute(f'CREATE DATABASE "{name}"')


def _pgbench(url: str, *, clients: int, seconds: int, reconnect: bool) -> float | None:
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(f"INSERT INTO {SCRATCH} (v) VALUES (1);\n")
        script.flush()
        command = [pgbench, "-n", "-f", script.name, "-c", str(clients)]
        command += ["-j", str(min(clients, os.cpu_count() or 1)), "-T", str(seconds)]
        if reconnect:
            command.append("-C")
        result = subprocess.run(
            [*command, url], capture_output=True, text=True, check=True, timeout=seconds * 4
        )
    found = TPS.search(result.stdout)
    return float(found.group(1)) if found else None


def _configure(url: str, directory: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "yoyaku.settings"
    os.environ["DEBUG"] = "1"  # only so the settings load without a SECRET_KEY
    os.environ["DATABASE_URL"] = url
    os.environ["YOYAKU_DATA_DIR"] = str(directory)
    os.environ.pop("DATABASE_REPLICA_URL", None)
    os.environ.pop("TASKS_BACKEND", None)  # the database queue, as in production
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _sizes() -> dict[str, tuple[int, int]]:
    """Each table's (rows, bytes with TOAST and indexes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        )
        sizes = dict(cursor.fetchall())
        result = {}
        for name, size in sizes.items():
            cursor.execute(f'SELECT count(*) FROM "{name}"')
            result[name] = (cursor.fetchone()[0], size)
        return result


class Counter:
    def __init__(self) -> None:
        self.queries = 0
        self._lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        with self._lock:
            self.queries += 1
        return execute(sql, params, many, context)


def _requests(site: Any, registrant_ids: list[int]) -> list[Any]:
    """One free basic slot of a meeting room per registrant, all different."""
    from yoyaku.facilities.models import Purpose
    from yoyaku.registrants.models import Registrant
    from yoyaku.reservations import rules

    rooms = site.hall[3:]
    meeting = Purpose.objects.get(municipality=site.municipality, name="会議・研修")
    people = Registrant.objects.in_bulk(registrant_ids)
    basics = [site.slots[code] for code in ("am", "pm", "night")]
    cells = [
        (room, USE_FROM + dt.timedelta(days=day), slot)
        for day in range(365)
        for room in rooms
        for slot in basics
    ]
    return [
        rules.BookingRequest(
            registrant=people[pk],
            unit=room,
            use_date=day,
            slots=[slot],
            party_size=10,
            purpose=meeting,
        )
        for pk, (room, day, slot) in zip(registrant_ids, cells, strict=False)
    ]


def _book_all(requests: list[Any], threads: int) -> float:
    from django.db import connections

    from yoyaku.reservations import booking

    def book(request: Any) -> None:
        try:
            booking.reservation_book(request=request, by=request.registrant.user)
        finally:
            if threads > 1:
                connections.close_all()

    started = time.perf_counter()
    if threads == 1:
        for request in requests:
            book(request)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(book, requests))
    return time.perf_counter() - started


def _bare(count: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _ in range(count):
            cursor.execute(f"INSERT INTO {SCRATCH} (v) VALUES (1)")
    return time.perf_counter() - started


def _run(options: argparse.Namespace, url: str) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from yoyaku.core import clock
    from yoyaku.facilities.models import Facility
    from yoyaku.reservations.models import Occupancy, Reservation

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {SCRATCH} (id bigserial PRIMARY KEY, v integer NOT NULL)")

    insert = _pgbench(url, clients=options.clients, seconds=options.seconds, reconnect=False)
    reconnect = _pgbench(url, clients=options.clients, seconds=options.seconds, reconnect=True)
    if insert is None or reconnect is None:
        print("pgbench not found: its figures are 0 below")
    print(f"pgbench single-row INSERT, {options.clients} clients: {insert or 0:.0f} tps over kept")
    print(f"  connections, {reconnect or 0:.0f} tps with a new connection per transaction (-C)")

    n = options.bookings
    with clock.travel(MOMENT), override_settings(DEBUG=False):
        site = _build_site(USE_FROM)
        Facility.objects.filter(municipality=site.municipality).update(max_active_reservations=1000)
        ids = _build_people(site, 2 * n, random.Random(SEED), clock.now())
        requests = _requests(site, ids)
        sequential, threaded = requests[:n], requests[n:]
        if len(threaded) < n:
            raise SystemExit(f"only {len(requests)} free slots for {2 * n} bookings")

        bare_seconds = _bare(n)
        before = _sizes()
        counter = Counter()
        with connection.execute_wrapper(counter):
            booking_seconds = _book_all(sequential, 1)
        after = _sizes()
        threaded_seconds = _book_all(threaded, options.clients)

    booked = Reservation.objects.count()
    occupancy = Occupancy.objects.count()
    if booked != 2 * n:
        raise SystemExit(f"expected {2 * n} reservations, found {booked}")
    # Tables that gained rows; a table only updated (the registrant's last use) grows by dead
    # row versions that VACUUM reclaims, and is left out.
    grown = {
        name: ((after[name][0] - rows) / n, (after[name][1] - size) / n)
        for name, (rows, size) in before.items()
        if name != SCRATCH and after[name][0] > rows
    }
    print(f"bookings: {n} one after the other in {booking_seconds:.1f} s; {n} on")
    print(f"  {options.clients} threads in {threaded_seconds:.1f} s; {occupancy / booked:.1f}")
    print(f"  occupancy rows per reservation; {counter.queries / n:.1f} queries per booking")
    print("per booking, by table: rows, bytes (rows, TOAST and indexes)")
    for name, (rows, size) in sorted(grown.items(), key=lambda item: -item[1][1]):
        print(f"  {name:45} {rows:5.1f} {size:8.0f}")
    bare_rate = n / bare_seconds
    booking_rate = n / booking_seconds
    print(
        "scale: "
        f"insert_per_s={insert or 0:.0f} insert_reconnect_per_s={reconnect or 0:.0f} "
        f"bare_per_s={bare_rate:.0f} booking_per_s={booking_rate:.1f} "
        f"booking_threads_per_s={n / threaded_seconds:.1f} "
        f"booking_ratio={booking_rate / bare_rate:.3f} "
        f"queries_per_booking={counter.queries / n:.1f} "
        f"bytes_per_booking={sum(size for _, size in grown.values()):.0f}"
    )


def main(argv: Sequence[str] = ()) -> None:
    options = _options(argv)
    url, name, admin_url = _bench_url(options.database_url)
    _recreate(admin_url, name)
    try:
        with tempfile.TemporaryDirectory(prefix="yoyaku-bench-") as directory:
            _configure(url, Path(directory))
            try:
                _run(options, url)
            finally:
                from django.db import connections

                connections.close_all()
    finally:
        if not options.keep:
            _recreate(admin_url, name, drop_only=True)
