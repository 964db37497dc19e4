"""The booking path through the booking page: ms and SQL queries per win and per refusal.

``python -m bench booking`` (about 20 s on SQLite, 30 s on PostgreSQL; ``--wins`` and
``--refusals`` change the counts, 200 and 400 by default).

One municipality with a hall of 10 meeting rooms on the 3-block schedule (午前, 午後, 夜間 and
their combinations), a fee for every slot, two registrants logged in through Django's test
client (so the session, the user and every middleware run as in production). The first one
books ``--wins`` free slots one after the other (POST ``action=book``, each a 302); the second
one then tries ``--refusals`` of the same slots again (each a 409). In the same run, the same
client asks a bare view that does one INSERT behind the same middleware ``--wins`` times:
the ratios are against that baseline.

The database is a fresh SQLite file in a temporary directory, or with ``--database-url`` (or
``DATABASE_URL`` in the environment) that database, which must be empty: the bench migrates it
and leaves its data there. Queries are counted by an execute wrapper (Django's debug cursor is
off). The cache is the process's local memory unless ``REDIS_URL`` is set.

Last line: ``booking: win_ms=… refuse_ms=… win_queries=… refuse_queries=… bare_ms=…
win_ratio=… refuse_ratio=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOMS = 10
# A Tuesday two weeks after the frozen "now": inside every booking window.
NOW = dt.datetime(2026, 6, 1, 10, 0)
FIRST_DAY = dt.date(2026, 6, 9)


class QueryCount:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench booking", description=__doc__)
    parser.add_argument("--wins", type=int, default=200)
    parser.add_argument("--refusals", type=int, default=400)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="an empty database to use (default: $DATABASE_URL, else a temporary SQLite file)",
    )
    return parser.parse_args(list(argv))


def _configure(database_url: str | None, directory: Path) -> None:
    from django.conf import settings

    if settings.configured:
        raise SystemExit("booking sets Django up itself: run it once per process")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yoyaku.settings"
    os.environ["DEBUG"] = "1"
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ["YOYAKU_DATA_DIR"] = str(directory)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["SESSION_COOKIE_SECURE"] = "0"
    os.environ["CSRF_COOKIE_SECURE"] = "0"
    import django

    django.setup()
    # Every refusal is a 409, which Django logs as a warning: 400 lines of noise.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    # A fixed site: no file-based cache left from an earlier run, local memory unless Redis.
    if not os.environ.get("REDIS_URL"):
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.ROOT_URLCONF = "bench.booking_urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _site(wins: int):
    from django.core.management import call_command
    from django.db import connection

    from yoyaku.core.models import Municipality, User
    from yoyaku.facilities.models import Facility, FeeRule, Slot, SlotSchedule, Unit
    from yoyaku.registrants.models import Registrant
    from yoyaku.registrants.services import registration_apply, registration_approve

    if connection.introspection.table_names():
        raise SystemExit(
            f"booking: the database must be empty; {connection.settings_dict['NAME']} is not"
        )
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_bare (note varchar(10))")
    city = Municipality.objects.create(
        slug="bench",
        name="ベンチ市",
        system_name="ベンチ市公共施設予約システム",
        registration_mode=Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING,
        resident_label="市内在住の方",
        worker_label="市内在勤の方",
    )
    facility = Facility.objects.create(
        municipality=city,
        slug="hall",
        name="ベンチ会館",
        kind=Facility.Kind.HALL,
        max_active_reservations=wins + 10,
    )
    schedule = SlotSchedule.objects.create(municipality=city, name="3区分")
    slots = [
        Slot.objects.create(
            schedule=schedule,
            code=code,
            label=label,
            start=dt.time(start),
            end=dt.time(end),
            is_basic=basic,
        )
        for code, label, start, end, basic in [
            ("am", "午前", 9, 12, True),
            ("pm", "午後", 13, 17, True),
            ("night", "夜間", 18, 21, True),
            ("am-pm", "午前・午後", 9, 17, False),
            ("all-day", "全日", 9, 21, False),
        ]
    ]
    units = [
        Unit.objects.create(
            facility=facility,
            name=f"会議室{n}",
            booking_kind=Unit.BookingKind.SLOT,
            slot_schedule=schedule,
            capacity=30,
            order=n,
        )
        for n in range(1, ROOMS + 1)
    ]
    FeeRule.objects.bulk_create(
        FeeRule(
            unit=unit,
            effective_from=dt.date(2024, 4, 1),
            basis=FeeRule.Basis.PER_SLOT,
            slot=slot,
            rate_class=FeeRule.RateClass.RESIDENT,
            amount_yen=1000,
        )
        for unit in units
        for slot in slots
    )
    admin = User.objects.create_user(
        username=User.make_username(city, User.Kind.STAFF, "admin"),
        password="bench-pass-1",
        municipality=city,
        login_id="admin",
        kind=User.Kind.STAFF,
        staff_role=User.StaffRole.ADMIN,
        is_staff=True,
    )
    people = []
    for n in (1, 2):
        person = registration_apply(
            municipality=city,
            data={
                "kind": Registrant.Kind.INDIVIDUAL,
                "category": Registrant.Category.RESIDENT,
                "name_kana": f"ベンチ　タロウ{'アイ'[n - 1]}",
                "name": f"弁地　太郎{n}",
                "birth_date": dt.date(1980, 1, n),
                "phone": f"0943-00-000{n}",
                "email": f"bench{n}@example.jp",
                "postal_code": "839-1393",
                "prefecture": "福岡県",
                "city": "うきは市",
                "street": "吉井町1",
            },
        )
        people.append(registration_approve(registrant=person, by=admin))
    basics = [s for s in slots if s.is_basic]
    targets = []
    day = FIRST_DAY
    while len(targets) < wins:
        for unit in units:
            for slot in basics:
                targets.append((unit, day, slot))
        day += dt.timedelta(days=1)
    return city, people, targets[:wins]


def _timed(client, method: str, url: str, data: dict, expected: int, counter: QueryCount):
    before = counter.count
    started = time.perf_counter()
    response = getattr(client, method)(url, data)
    elapsed = time.perf_counter() - started
    if response.status_code != expected:
        raise SystemExit(
            f"booking: {method.upper()} {url} {data} answered {response.status_code}, "
            f"expected {expected}:\n{response.content.decode()[:2000]}"
        )
    return elapsed * 1000, counter.count - before


def _run(options: argparse.Namespace) -> None:
    import django
    from django.db import connection
    from django.test import Client

    from yoyaku.core import clock
    from yoyaku.reservations.models import Reservation

    with clock.travel(NOW):
        city, (winner, loser), targets = _site(options.wins)
        counter = QueryCount()
        clients = []
        for person in (winner, loser):
            client = Client()
            client.force_login(person.user)
            clients.append(client)

        def post(unit, day, slot):
            return (
                f"/{city.slug}/reserve/{unit.pk}/",
                {
                    "action": "book",
                    "date": day.isoformat(),
                    "slots": [str(slot.pk)],
                    "party_size": "10",
                },
            )

        with connection.execute_wrapper(counter):
            # Warm up: the first request of a process imports templates and fills caches.
            clients[0].post(f"/{city.slug}/bench-bare/")
            clients[0].get(f"/{city.slug}/reserve/{targets[0][0].pk}/?date={FIRST_DAY}")
            bare = [
                _timed(clients[0], "post", f"/{city.slug}/bench-bare/", {}, 200, counter)
                for _ in range(options.wins)
            ]
            page = [
                _timed(
                    clients[0],
                    "get",
                    f"/{city.slug}/reserve/{unit.pk}/",
                    {"date": day.isoformat()},
                    200,
                    counter,
                )
                for unit, day, _slot in targets[:50]
            ]
            wins = [_timed(clients[0], "post", *post(*t), 302, counter) for t in targets]
            refusals = [
                _timed(clients[1], "post", *post(*targets[i % len(targets)]), 409, counter)
                for i in range(options.refusals)
            ]
        assert Reservation.objects.count() == options.wins

    def median(rows, index):
        return statistics.median(row[index] for row in rows)

    bare_ms, bare_q = median(bare, 0), median(bare, 1)
    win_ms, win_q = median(wins, 0), median(wins, 1)
    refuse_ms, refuse_q = median(refusals, 0), median(refusals, 1)
    page_ms, page_q = median(page, 0), median(page, 1)
    vendor = connection.vendor
    print(
        f"booking page on {vendor}: {options.wins} wins, {options.refusals} refusals "
        f"(medians per request)\n"
        f"  bare one-INSERT view  {bare_ms:7.2f} ms  {bare_q:4.0f} queries\n"
        f"  booking page (GET)    {page_ms:7.2f} ms  {page_q:4.0f} queries\n"
        f"  win  (302)            {win_ms:7.2f} ms  {win_q:4.0f} queries  "
        f"{win_ms / bare_ms:5.1f} × bare\n"
        f"  refusal (409)         {refuse_ms:7.2f} ms  {refuse_q:4.0f} queries  "
        f"{refuse_ms / bare_ms:5.1f} × bare\n"
        f"  Python {platform.python_version()}, Django {django.get_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"booking: win_ms={win_ms:.1f} refuse_ms={refuse_ms:.1f} win_queries={win_q:.0f} "
        f"refuse_queries={refuse_q:.0f} bare_ms={bare_ms:.1f} "
        f"win_ratio={win_ms / bare_ms:.1f} refuse_ratio={refuse_ms / bare_ms:.1f} "
        f"page_ms={page_ms:.1f} page_queries={page_q:.0f} db={vendor}"
    )
    sys.stdout.flush()


def main(argv: Sequence[str] = ()) -> None:
    options = _options(argv)
    with tempfile.TemporaryDirectory(prefix="yoyaku-bench-") as directory:
        _configure(options.database_url, Path(directory))
        try:
            _run(options)
        finally:
            from django.db import connections

            connections.close_all()
