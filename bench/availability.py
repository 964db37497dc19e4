"""Availability at a million reservations: the month calendar and the day view.

Fills a database with one municipality of 100 facilities (90 halls of 10 rooms on the 3-block
schedule, 10 resorts of 10 room types × 10 rooms) and 1,000,000 reservations over three years
(18 months back, 18 forward), with their occupancy rows — what availability reads — plus some
dated closures and a lottery round. Rows are built in Python and written with PostgreSQL's
COPY (``bulk_create`` in big batches on SQLite). A marker row (the municipality ``avail-bench``)
lets a rerun reuse the filled database.

Then it requests, through Django's WSGI handler (the test Client: every middleware, DEBUG off):

- a bare empty page of the same municipality (the same middleware), the baseline;
- the month calendar of a hall's room (random rooms and months of the year ahead);
- the day view of all 100 facilities (random days of the week ahead);

N times each, and prints query counts and p95 latencies. *Warm*: the cache holds the catalogue
and each page's availability and facility blocks (what most requests see between two
bookings); the empty page, a month and a day are requested in turn, so that the load of a
shared machine weighs on all three alike. *One facility changed*: one random facility's
availability was bumped before each day view (as after one booking: that facility's block is
rendered again, the 99 others come from the cache). *Cold*: every facility's availability was
bumped just before each request (as after a booking everywhere); the catalogue stays cached.
The last line gives the warm ratios; the others are printed above.

Run (PostgreSQL, the target; the database is created when missing)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yk_avail_bench \\
    REDIS_URL=redis://127.0.0.1:6379/8 python -m bench availability

Without ``DATABASE_URL`` it uses a SQLite file in the temporary directory; without
``REDIS_URL``, the cache of this one process. Time: filling takes 2–4 minutes on PostgreSQL
(longer on SQLite), measuring about half a minute; a rerun reuses the data. ``--requests N``
(default 200). ``--explain`` prints EXPLAIN ANALYZE of the availability queries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

RESERVATIONS = 1_000_000
HALLS = 90
ROOMS_PER_HALL = 10
RESORTS = 10
ROOM_TYPES = 10
ROOMS_PER_TYPE = 10
DAYS_BACK = 548
DAYS_AHEAD = 548
SLUG = "avail-bench"
SEED = 20261206
BATCH = 50_000
SLOTS = (
    ("am", "午前", 9, 12, True),
    ("pm", "午後", 13, 17, True),
    ("night", "夜間", 18, 21, True),
    ("am-pm", "午前・午後", 9, 17, False),
    ("pm-night", "午後・夜間", 13, 21, False),
    ("all-day", "全日", 9, 21, False),
)
SLOT_WEIGHTS = (30, 30, 20, 8, 7, 5)


# — set-up —


def _configure() -> None:
    from django.conf import settings

    if settings.configured:
        raise SystemExit("availability sets Django up itself: run it once per process")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yoyaku.settings"
    os.environ["DEBUG"] = "0"
    os.environ["YOYAKU_ALLOW_INSECURE_KEY"] = "1"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["SESSION_COOKIE_SECURE"] = "0"
    os.environ["CSRF_COOKIE_SECURE"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    directory = Path(tempfile.gettempdir()) / "yoyaku-bench-availability"
    directory.mkdir(exist_ok=True)
    os.environ["YOYAKU_DATA_DIR"] = str(directory)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    if url.startswith("postgres"):
        _create_database(url)
    import django

    django.setup()
    settings.ROOT_URLCONF = "bench.availability_urls"


def _create_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def _is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


# — the data —


def _fill(today: dt.date) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from yoyaku.core.models import Municipality, User
    from yoyaku.facilities.models import Closure, Facility, Slot, SlotSchedule, Unit
    from yoyaku.registrants.models import Registrant

    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction.atomic():
        municipality = Municipality.objects.create(
            slug=SLUG,
            name="ベンチ市",
            system_name="ベンチ市公共施設予約システム",
            resident_label="ベンチ市内在住の方",
            worker_label="ベンチ市内在勤の方",
        )
        schedule = SlotSchedule.objects.create(municipality=municipality, name="3区分")
        slots = Slot.objects.bulk_create(
            [
                Slot(
                    schedule=schedule,
                    code=c,
                    label=lbl,
                    start=dt.time(s),
                    end=dt.time(e),
                    is_basic=basic,
                )
                for c, lbl, s, e, basic in SLOTS
            ]
        )
        halls = Facility.objects.bulk_create(
            [
                Facility(
                    municipality=municipality,
                    slug=f"hall-{n}",
                    name=f"ベンチ市民会館{n}",
                    kind=Facility.Kind.SPORTS,
                    order=n,
                )
                for n in range(HALLS)
            ]
        )
        resorts = Facility.objects.bulk_create(
            [
                Facility(
                    municipality=municipality,
                    slug=f"resort-{n}",
                    name=f"ベンチ保養所{n}",
                    kind=Facility.Kind.RESORT,
                    closed_at_year_end=False,
                    order=HALLS + n,
                )
                for n in range(RESORTS)
            ]
        )
        rooms = Unit.objects.bulk_create(
            [
                Unit(
                    facility=hall,
                    name=f"会議室{n}",
                    booking_kind=Unit.BookingKind.SLOT,
                    slot_schedule=schedule,
                    capacity=30,
                    order=n,
                )
                for hall in halls
                for n in range(1, ROOMS_PER_HALL + 1)
            ]
        )
        types = Unit.objects.bulk_create(
            [
                Unit(
                    facility=resort,
                    name=f"客室タイプ{n}",
                    booking_kind=Unit.BookingKind.LODGING,
                    room_count=ROOMS_PER_TYPE,
                    persons_per_room=4,
                    min_persons_per_room=1,
                    capacity=ROOMS_PER_TYPE * 4,
                    order=n,
                )
                for resort in resorts
                for n in range(1, ROOM_TYPES + 1)
            ]
        )
        Closure.objects.bulk_create(
            [
                Closure(
                    facility=hall,
                    start_date=today + dt.timedelta(days=rng.randrange(-300, 300)),
                    end_date=today + dt.timedelta(days=rng.randrange(300, 330)),
                    reason="施設点検",
                )
                for hall in halls[:20]
            ]
        )
        user = User.objects.create(
            username=User.make_username(municipality, User.Kind.REGISTRANT, "100001"),
            municipality=municipality,
            login_id="100001",
            kind=User.Kind.REGISTRANT,
            display_name="ベンチ 太郎",
            password=make_password(None),
        )
        registrant = Registrant.objects.create(
            municipality=municipality,
            user=user,
            user_number="100001",
            category=Registrant.Category.RESIDENT,
            status=Registrant.Status.ACTIVE,
            name_kana="ベンチ　タロウ",
            name="ベンチ 太郎",
            birth_date=dt.date(1980, 1, 1),
            phone="03-0000-0000",
            email="bench@example.com",
            postal_code="100-0001",
            prefecture="東京都",
            city="千代田区",
            street="千代田1-1",
            registered_at=_now(),
            approved_at=_now(),
            valid_until=today + dt.timedelta(days=700),
        )
        atoms = {
            s.code: [b.start_minute for b in slots if b.is_basic and s.start <= b.start < s.end]
            for s in slots
        }
        written = _write_reservations(
            rng, today, municipality.pk, registrant.pk, user.pk, rooms, types, slots, atoms
        )
    print(
        f"filled: {written:,} reservations in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


def _now() -> dt.datetime:
    from yoyaku.core import clock

    return clock.now()


def _write_reservations(
    rng, today, municipality_id, registrant_id, user_id, rooms, types, slots, atoms
):
    """One reservation per unit and day with the probability that makes a million in all."""
    from yoyaku.reservations.models import Occupancy, Reservation

    days = [today + dt.timedelta(days=d) for d in range(-DAYS_BACK, DAYS_AHEAD)]
    units = [*rooms, *types]
    chance = RESERVATIONS / (len(units) * len(days))
    created = _now()
    next_id = (Reservation.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    reservations: list[dict[str, Any]] = []
    occupancy: list[tuple[int, dt.date, int, int]] = []
    written = 0
    for day in days:
        for unit in units:
            if rng.random() >= chance or written + len(reservations) >= RESERVATIONS:
                continue
            pk = next_id
            next_id += 1
            if unit.is_lodging:
                count = rng.choice((1, 1, 2, 3))
                taken = [(unit.pk, day, n, pk) for n in range(1, count + 1)]
                row = {"nights": 1, "rooms": count, "adults": 2 * count, "party_size": 0}
            else:
                slot = rng.choices(slots, weights=SLOT_WEIGHTS)[0]
                taken = [(unit.pk, day, atom, pk) for atom in atoms[slot.code]]
                row = {"nights": 1, "rooms": 1, "adults": 0, "party_size": 10}
            cancelled = rng.random() < 0.05
            row.update(
                id=pk,
                unit_id=unit.pk,
                use_date=day,
                status=Reservation.Status.CANCELLED if cancelled else Reservation.Status.CONFIRMED,
            )
            reservations.append(row)
            if not cancelled:
                occupancy += taken
            if len(reservations) >= BATCH:
                _flush(reservations, occupancy, municipality_id, registrant_id, user_id, created)
                written += len(reservations)
                reservations, occupancy = [], []
    _flush(reservations, occupancy, municipality_id, registrant_id, user_id, created)
    written += len(reservations)
    _reset_sequences([Reservation, Occupancy])
    return written


def _flush(reservations, occupancy, municipality_id, registrant_id, user_id, created) -> None:
    from yoyaku.reservations.models import Occupancy, Reservation

    if not reservations:
        return
    defaults = {
        "municipality_id": municipality_id,
        "registrant_id": registrant_id,
        "created_by_id": user_id,
        "created_at": created,
    }
    fields = [f for f in Reservation._meta.concrete_fields]
    rows = []
    for reservation in reservations:
        values = {**defaults, **reservation}
        row = []
        for f in fields:
            if f.attname in values:
                value = values[f.attname]
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                value = f.get_default()
            row.append(value)
        rows.append(row)
    occupancy_rows = [(u, d, a, None, r) for u, d, a, r in occupancy]
    if _is_postgres():
        _copy(Reservation, [f.column for f in fields], rows)
        _copy(Occupancy, ["unit_id", "date", "atom", "block_id", "reservation_id"], occupancy_rows)
    else:
        Reservation.objects.bulk_create(
            [Reservation(**dict(zip([f.attname for f in fields], r, strict=True))) for r in rows],
            batch_size=5_000,
        )
        Occupancy.objects.bulk_create(
            [
                Occupancy(unit_id=u, date=d, atom=a, reservation_id=r)
                for u, d, a, _block, r in occupancy_rows
            ],
            batch_size=5_000,
        )


def _copy(model, columns: list[str], rows: list[Sequence[Any]]) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row])


def _reset_sequences(models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def _add_lottery(today: dt.date) -> None:
    from yoyaku.core import clock
    from yoyaku.core.models import Municipality
    from yoyaku.facilities.models import Unit
    from yoyaku.lottery.models import LotteryRound
    from yoyaku.lottery.services import round_create

    municipality = Municipality.objects.get(slug=SLUG)
    if LotteryRound.objects.filter(municipality=municipality).exists():
        return
    first = (today + dt.timedelta(days=100)).replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    units = list(Unit.objects.filter(facility__municipality=municipality, facility__kind="resort"))
    opens = clock.at(today + dt.timedelta(days=1), dt.time(8))
    round_create(
        municipality=municipality,
        by=None,
        units=units,
        name="ベンチ抽選",
        use_from=first,
        use_until=last,
        applications_open_at=opens,
        applications_close_at=opens + dt.timedelta(days=10),
        draw_at=opens + dt.timedelta(days=15),
        confirm_deadline=opens + dt.timedelta(days=20),
        first_come_opens_at=opens + dt.timedelta(days=25),
    )


# — measuring —


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any):
        self.count += 1
        return execute(sql, params, many, ctx)


def _timed(client, paths: Iterator[str], n: int, before: Callable[[], None] | None = None):
    return _interleaved(client, [(paths, before)], n)[0]


def _interleaved(
    client, streams: Sequence[tuple[Iterator[str], Callable[[], None] | None]], n: int
) -> list[tuple[list[float], list[int]]]:
    """``n`` requests of each stream, taken in turn (one of each, then again), so that the load
    of a shared machine weighs on every page alike: (times, query counts) per stream."""
    from django.db import connection

    results: list[tuple[list[float], list[int]]] = [([], []) for _ in streams]
    for _ in range(n):
        for (paths, before), (times, queries) in zip(streams, results, strict=True):
            path = next(paths)
            if before is not None:
                before()
            counter = _Counter()
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            times.append(elapsed)
            queries.append(counter.count)
    return results


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def _cycle(items: list[str]) -> Iterator[str]:
    while True:
        yield from items


def _explain(today: dt.date) -> None:
    from django.db import connection

    from yoyaku.facilities.models import Unit

    unit_ids = list(
        Unit.objects.filter(facility__slug="hall-3", facility__municipality__slug=SLUG).values_list(
            "pk", flat=True
        )
    )
    ids = ",".join(str(i) for i in unit_ids)
    first = today.replace(day=1)
    last = first + dt.timedelta(days=30)
    for sql in (
        f"SELECT unit_id, date, atom FROM reservations_occupancy WHERE unit_id IN ({ids}) "
        f"AND date >= '{first}' AND date <= '{last}'",
        f"SELECT * FROM facilities_closure WHERE facility_id IN (4, 5) AND start_date <= '{last}' "
        f"AND end_date >= '{first}'",
        f"SELECT u.unit_id, r.use_from FROM lottery_lotteryround r JOIN lottery_lotteryround_units u "
        f"ON u.lotteryround_id = r.id WHERE u.unit_id IN ({ids}) AND r.use_from <= '{last}' "
        f"AND r.use_until >= '{first}'",
    ):
        with connection.cursor() as cursor:
            prefix = "EXPLAIN ANALYZE " if _is_postgres() else "EXPLAIN QUERY PLAN "
            cursor.execute(prefix + sql)
            print("\n".join(str(row[-1]) for row in cursor.fetchall()), end="\n\n")


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench availability")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--explain", action="store_true")
    options = parser.parse_args(list(argv))
    _configure()

    from django.core.management import call_command
    from django.test import Client

    from yoyaku.core import cache, clock
    from yoyaku.core.models import Municipality
    from yoyaku.facilities.catalogue import avail_scope
    from yoyaku.facilities.models import Facility, Unit
    from yoyaku.reservations.models import Occupancy, Reservation

    call_command("migrate", verbosity=0, interactive=False)
    # DEBUG off serves hashed static names, as production does: they need the manifest.
    call_command("collectstatic", verbosity=0, interactive=False)
    today = clock.today()
    if not Municipality.objects.filter(slug=SLUG).exists():
        _fill(today)
    _add_lottery(today)
    municipality = Municipality.objects.get(slug=SLUG)
    print(
        f"data: {Reservation.objects.filter(municipality=municipality).count():,} reservations, "
        f"{Occupancy.objects.count():,} occupancy rows, "
        f"{Facility.objects.filter(municipality=municipality).count()} facilities, "
        f"{Unit.objects.filter(facility__municipality=municipality).count()} units "
        f"({'PostgreSQL' if _is_postgres() else 'SQLite'}; cache: "
        f"{'Redis' if os.environ.get('REDIS_URL') else 'local memory'})"
    )
    if options.explain:
        _explain(today)

    rng = random.Random(SEED)
    rooms = list(
        Unit.objects.filter(facility__municipality=municipality, facility__kind="sports")
        .select_related("facility")
        .order_by("id")
    )
    months = [(today.replace(day=1) + dt.timedelta(days=31 * i)).replace(day=1) for i in range(12)]
    month_paths = [
        f"/{SLUG}/facilities/{u.facility.slug}/calendar/?month={m:%Y-%m}&unit={u.pk}"
        for u, m in ((rng.choice(rooms), rng.choice(months)) for _ in range(20))
    ]
    day_paths = [f"/{SLUG}/availability/?date={today + dt.timedelta(days=d)}" for d in range(7)]
    empty_paths = [f"/{SLUG}/bench-empty/"]
    facilities = list(
        Facility.objects.filter(municipality=municipality).values_list("pk", flat=True)
    )

    def bump_all() -> None:
        cache.bump(*(avail_scope(pk) for pk in facilities))

    client = Client()
    n = options.requests
    for paths in (empty_paths, month_paths, day_paths):  # warm: every page once
        for path in paths:
            client.get(path)

    def bump_one() -> None:
        cache.bump(avail_scope(rng.choice(facilities)))

    # Warm: the empty page, a month and a day in turn, so a busy machine slows all three alike.
    (empty, _), (month_warm, month_q_warm), (day_warm, day_q_warm) = _interleaved(
        client,
        [(_cycle(empty_paths), None), (_cycle(month_paths), None), (_cycle(day_paths), None)],
        n,
    )
    # Before the cold runs, which leave every block outdated.
    day_one, day_q_one = _timed(client, _cycle(day_paths), max(20, n // 4), bump_one)
    month_cold, month_q_cold = _timed(client, _cycle(month_paths), n, bump_all)
    day_cold, day_q_cold = _timed(client, _cycle(day_paths), max(20, n // 4), bump_all)
    base = _p95(empty)
    print(f"empty page: p95 {base * 1000:.1f} ms ({n} requests)")
    for name, times, queries in (
        ("month calendar, warm", month_warm, month_q_warm),
        ("month calendar, cold", month_cold, month_q_cold),
        ("day view (100 facilities), warm", day_warm, day_q_warm),
        ("day view, one facility changed before each", day_one, day_q_one),
        ("day view (100 facilities), cold", day_cold, day_q_cold),
    ):
        print(
            f"{name}: p95 {_p95(times) * 1000:.1f} ms = {_p95(times) / base:.1f} × empty, "
            f"queries {min(queries)}–{max(queries)} ({len(times)} requests)"
        )
    print(
        f"availability: queries_month={max(month_q_warm)} queries_day={max(day_q_warm)} "
        f"p95_ratio_month={_p95(month_warm) / base:.2f} p95_ratio_day={_p95(day_warm) / base:.2f}"
    )
