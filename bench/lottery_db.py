"""Lottery drawing against the database: ``lottery.services.lottery_draw`` end to end.

``bench/lottery.py`` measures the pure algorithm. This one measures what the scheduler runs on
the drawing day, in one transaction: reading the applications and the free capacity
(``_build_input``), the drawing, every application's result, one reservation with its fee quote
and occupancy rows per winner, the 満室 notices and the published document.

The data are built directly with ``bulk_create`` (through the services it would take minutes),
from a fixed seed: one municipality; a resort of 10 room types × 10 rooms; a hall with an arena
(whole and two halves) and 20 meeting rooms on the 3-block schedule (午前, 午後, 夜間 and their
combinations); fee rules for every slot, rate class and person class used; N active registrants
with one application each and 3 choices per application, over a round of 60 use dates. 40 % of
the applications ask for 1–2 nights of one room, the others for hall slots; demand leans towards
weekends and the first units, so contention is strong and most applications lose.

By default the database is a fresh SQLite file in a temporary directory. ``--database-url``
uses the given URL (or, without a value, ``DATABASE_URL`` from the environment); that database
must be empty: the bench migrates it and leaves its data there.

Django's debug cursor is off while the drawing runs (``DEBUG=1`` only lets the settings load
without a ``SECRET_KEY``): on SQLite it runs an extra ``SELECT QUOTE(…)`` per statement to log
it, which production does not pay. Queries are counted and timed by an execute wrapper instead.
The steps are timed by wrapping the service's own functions; their code is unchanged.

Memory: the peak RSS of the drawing alone (Linux: the peak is reset just before it) and of the
whole process (``getrusage``). ``--tracemalloc`` adds tracemalloc's peak, from a first drawing
that is rolled back; it is off by default because tracemalloc slows this allocation-heavy code
about four times (some 3 minutes for 20,000 applications), and what that run leaves in the heap
raises the RSS figures of the timed drawing after it.

Results mails: the drawing's commit enqueues the results task in the database queue; then one
``manage.py db_worker --batch`` process runs it and the batch tasks it enqueues (500 mails each,
rendered and written by Django's file backend to the temporary directory) and the bench prints
mails per second (``--no-mails`` skips it).

The last line sums it up: ``lottery-db: n=… draw_s=… algorithm_ratio=… peak_rss_mb=… queries=…
queries_per_winner=… mails_per_s=…``; ``algorithm_ratio`` is the whole drawing's time over the
pure algorithm's (``algorithm.draw``) in the same run, a figure that a busy machine slows less.

Run (PostgreSQL, 100,000 applications; about 4 minutes on 2 cores: some 80 s building the data,
the drawing, 15 s verifying, then the mails)::

    createdb yk_draw_bench   # empty
    python -m bench lottery-db --applications 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/yk_draw_bench

Without options: 20,000 applications in a temporary SQLite file, about a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import io
import json
import os
import platform
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APPLICATIONS = 20_000
CHOICES = 3
ROOM_TYPES = 10
ROOMS_PER_TYPE = 10
MEETING_ROOMS = 20
USE_DAYS = 60
LODGING_SHARE = 0.4
DATA_SEED = 20260605
CHUNK = 5_000  # applications built per batch, to keep the model instances few

FEES_FROM = dt.date(2024, 4, 1)
# code, label, start hour, end hour, basic
SLOTS = (
    ("am", "午前", 9, 12, True),
    ("pm", "午後", 13, 17, True),
    ("night", "夜間", 18, 21, True),
    ("am-pm", "午前・午後", 9, 17, False),
    ("pm-night", "午後・夜間", 13, 21, False),
    ("all-day", "全日", 9, 21, False),
)
SLOT_WEIGHTS = (25, 25, 25, 10, 10, 5)
BASIC_FEES = {"am": 1000, "pm": 1300, "night": 1300}  # a meeting room, resident yen


# — set-up —


def _configure(database_url: str | None, directory: Path) -> None:
    from django.conf import settings

    if settings.configured:
        raise SystemExit("lottery-db sets Django up itself: run it once per process")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yoyaku.settings"
    os.environ["DEBUG"] = "1"
    # The database queue: the drawing's commit enqueues the results task, as in production.
    os.environ["TASKS_BACKEND"] = "django_tasks_db.backend.DatabaseBackend"
    os.environ["YOYAKU_DATA_DIR"] = str(directory)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _migrate(require_empty: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    if require_empty:
        tables = connection.introspection.table_names()
        if tables:
            raise SystemExit(
                f"lottery-db: the database given by --database-url must be empty; "
                f"{connection.settings_dict['NAME']} has {len(tables)} tables"
            )
    call_command("migrate", verbosity=0, interactive=False)


@dataclass
class Site:
    municipality: Any
    lodging: list[Any]
    hall: list[Any]  # arena whole, half A, half B, then the meeting rooms
    slots: dict[str, Any]
    days: list[dt.date]

    @property
    def units(self) -> list[Any]:
        return [*self.lodging, *self.hall]


def _build_site(use_from: dt.date) -> Site:
    from yoyaku.core.models import Municipality
    from yoyaku.facilities.models import Facility, FeeRule, Purpose, Slot, SlotSchedule, Unit

    municipality = Municipality.objects.create(
        slug="bench",
        name="ベンチ市",
        name_en="Bench City",
        system_name="ベンチ市公共施設予約システム",
        registration_mode=Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING,
        resident_label="ベンチ市内在住の方",
        worker_label="ベンチ市内在勤の方",
    )
    stay, meeting, sport = Purpose.objects.bulk_create(
        [
            Purpose(municipality=municipality, name="宿泊", order=1),
            Purpose(municipality=municipality, name="会議・研修", order=2),
            Purpose(municipality=municipality, name="バドミントン", order=3),
        ]
    )
    schedule = SlotSchedule.objects.create(municipality=municipality, name="3区分")
    slots = Slot.objects.bulk_create(
        [
            Slot(
                schedule=schedule,
                code=code,
                label=label,
                start=dt.time(start),
                end=dt.time(end),
                is_basic=basic,
            )
            for code, label, start, end, basic in SLOTS
        ]
    )
    by_code = {slot.code: slot for slot in slots}
    resort = Facility.objects.create(
        municipality=municipality,
        slug="resort",
        name="ベンチ保養所",
        kind=Facility.Kind.RESORT,
        closed_at_year_end=False,
        max_nights=3,
    )
    hall_facility = Facility.objects.create(
        municipality=municipality, slug="hall", name="ベンチ市民会館", kind=Facility.Kind.SPORTS
    )
    lodging = Unit.objects.bulk_create(
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
            for n in range(1, ROOM_TYPES + 1)
        ]
    )

    def slot_unit(name: str, order: int, capacity: int, parent: Any = None) -> Any:
        return Unit(
            facility=hall_facility,
            name=name,
            parent=parent,
            booking_kind=Unit.BookingKind.SLOT,
            slot_schedule=schedule,
            capacity=capacity,
            order=order,
        )

    whole = Unit.objects.bulk_create([slot_unit("アリーナ全面", 1, 200)])[0]
    halves = Unit.objects.bulk_create(
        [slot_unit("アリーナ半面A", 2, 100, whole), slot_unit("アリーナ半面B", 3, 100, whole)]
    )
    rooms = Unit.objects.bulk_create(
        [slot_unit(f"会議室{n}", 3 + n, 30) for n in range(1, MEETING_ROOMS + 1)]
    )
    hall = [whole, *halves, *rooms]
    Through = Unit.purposes.through
    Through.objects.bulk_create(
        [Through(unit_id=u.pk, purpose_id=stay.pk) for u in lodging]
        + [Through(unit_id=u.pk, purpose_id=sport.pk) for u in (whole, *halves)]
        + [Through(unit_id=u.pk, purpose_id=meeting.pk) for u in rooms]
    )

    R, P, D = FeeRule.RateClass, FeeRule.PersonClass, FeeRule.DayClass
    fee_rules = []
    for unit in lodging:
        for rate, person, day, amount in (
            (R.RESIDENT, P.ADULT, D.WEEKDAY, 6000),
            (R.RESIDENT, P.ADULT, D.WEEKEND_HOLIDAY, 7500),
            (R.RESIDENT, P.CHILD, D.WEEKDAY, 3000),
            (R.RESIDENT, P.CHILD, D.WEEKEND_HOLIDAY, 3750),
            (R.NON_RESIDENT, P.ADULT, D.WEEKDAY, 9000),
            (R.NON_RESIDENT, P.ADULT, D.WEEKEND_HOLIDAY, 11000),
            (R.NON_RESIDENT, P.CHILD, D.WEEKDAY, 4500),
            (R.NON_RESIDENT, P.CHILD, D.WEEKEND_HOLIDAY, 5500),
        ):
            fee_rules.append(
                FeeRule(
                    unit=unit,
                    effective_from=FEES_FROM,
                    basis=FeeRule.Basis.PER_PERSON_NIGHT,
                    rate_class=rate,
                    person_class=person,
                    day_class=day,
                    amount_yen=amount,
                )
            )
    basics = [by_code[code] for code in BASIC_FEES]
    for unit in hall:
        scale = 4 if unit is whole else 2 if unit in halves else 1
        for slot in slots:
            resident = scale * sum(
                BASIC_FEES[b.code]
                for b in basics
                if slot.start <= b.start and b.end <= slot.end  # a combined slot: its parts
            )
            for rate, amount in ((R.RESIDENT, resident), (R.NON_RESIDENT, resident * 3 // 2)):
                fee_rules.append(
                    FeeRule(
                        unit=unit,
                        effective_from=FEES_FROM,
                        basis=FeeRule.Basis.PER_SLOT,
                        slot=slot,
                        rate_class=rate,
                        amount_yen=amount,
                    )
                )
    FeeRule.objects.bulk_create(fee_rules)
    days = [use_from + dt.timedelta(days=i) for i in range(USE_DAYS)]
    return Site(municipality, lodging, hall, by_code, days)


def _build_people(site: Site, count: int, rng: random.Random, now: dt.datetime) -> list[int]:
    """``count`` active registrants (unusable passwords); their ids."""
    from django.contrib.auth.hashers import make_password

    from yoyaku.core.models import User
    from yoyaku.registrants.models import Registrant

    municipality = site.municipality
    numbers = rng.sample(range(100_000, 1_000_000), count)
    ids: list[int] = []
    registered = now - dt.timedelta(days=200)
    for start in range(0, count, CHUNK):
        batch = numbers[start : start + CHUNK]
        users = User.objects.bulk_create(
            [
                User(
                    username=User.make_username(municipality, User.Kind.REGISTRANT, str(n)),
                    municipality=municipality,
                    login_id=str(n),
                    kind=User.Kind.REGISTRANT,
                    display_name=f"抽選 太郎{n}",
                    email=f"r{n}@example.com",
                    password=make_password(None),
                )
                for n in batch
            ]
        )
        people = []
        for user, n in zip(users, batch, strict=True):
            category = rng.choices(
                (
                    Registrant.Category.RESIDENT,
                    Registrant.Category.WORKER,
                    Registrant.Category.OTHER,
                ),
                weights=(70, 20, 10),
            )[0]
            group = rng.random() < 0.03
            people.append(
                Registrant(
                    municipality=municipality,
                    user=user,
                    user_number=str(n),
                    kind=Registrant.Kind.GROUP if group else Registrant.Kind.INDIVIDUAL,
                    group_name=f"ベンチ同好会{n}" if group else "",
                    category=category,
                    status=Registrant.Status.ACTIVE,
                    name_kana="チュウセン　タロウ",
                    name=f"抽選 太郎{n}",
                    birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(18_000)),
                    phone=f"03-{n // 10_000:04d}-{n % 10_000:04d}",
                    email=user.email,
                    postal_code="100-0001",
                    prefecture="東京都",
                    city="千代田区",
                    street="千代田1-1",
                    registered_at=registered,
                    approved_at=registered,
                    valid_until=(now + dt.timedelta(days=700)).date(),
                    password_is_initial=False,
                )
            )
        ids += [r.pk for r in Registrant.objects.bulk_create(people)]
    return ids


def _create_round(site: Site, now: dt.datetime) -> Any:
    from yoyaku.lottery import services

    # Applications closed two days ago; the drawing was due an hour ago; first-come later.
    lottery = services.round_create(
        municipality=site.municipality,
        by=None,
        units=site.units,
        name=f"{site.days[0]:%Y年%-m月}からの{USE_DAYS}日間（ベンチ）",
        use_from=site.days[0],
        use_until=site.days[-1],
        applications_open_at=now - dt.timedelta(days=30),
        applications_close_at=now - dt.timedelta(days=2),
        draw_at=now - dt.timedelta(hours=1),
        confirm_deadline=now + dt.timedelta(days=7),
        first_come_opens_at=now + dt.timedelta(days=14),
    )
    # yoyaku-lottery-2 draws once its public value (due an hour after the close) is entered
    # by one staff member and confirmed by another.
    from yoyaku.core.models import User

    clerks = [
        User.objects.create_user(
            username=User.make_username(site.municipality, User.Kind.STAFF, f"bench-{n}"),
            password=None,
            municipality=site.municipality,
            login_id=f"bench-{n}",
            kind=User.Kind.STAFF,
            staff_role=User.StaffRole.ADMIN,
            is_staff=True,
        )
        for n in (1, 2)
    ]
    value = "cd" * 32
    services.round_public_value_enter(lottery=lottery, by=clerks[0], value=value)
    return services.round_public_value_confirm(lottery=lottery, by=clerks[1], value=value)


class _Demand:
    """Random choices, leaning towards weekends and the first units, like real demand."""

    def __init__(self, site: Site, rng: random.Random) -> None:
        self.site = site
        self.rng = rng
        # Friday and Saturday nights for stays, Saturday and Sunday for the hall: 3 times.
        self.night_weights = [3 if d.weekday() in (4, 5) else 1 for d in site.days]
        self.day_weights = [3 if d.weekday() >= 5 else 1 for d in site.days]
        self.slots = [site.slots[code] for code, *_ in SLOTS]

    def popular(self, count: int) -> int:
        return int(count * self.rng.random() ** 2)

    def stay(self) -> dict[str, Any]:
        rng = self.rng
        nights = rng.choice((1, 1, 2))
        last = len(self.site.days) - nights
        day = rng.choices(range(last + 1), weights=self.night_weights[: last + 1])[0]
        adults = rng.randint(1, 4)
        return {
            "unit": self.site.lodging[self.popular(len(self.site.lodging))],
            "use_date": self.site.days[day],
            "nights": nights,
            "rooms": 1,
            "adults": adults,
            "children": rng.choice((0, 0, 0, 1, 2)) if adults < 4 else 0,
            "slots": [],
        }

    def hall(self) -> dict[str, Any]:
        rng = self.rng
        slot = rng.choices(self.slots, weights=SLOT_WEIGHTS)[0]
        return {
            "unit": self.site.hall[self.popular(len(self.site.hall))],
            "use_date": rng.choices(self.site.days, weights=self.day_weights)[0],
            "party_size": rng.randint(5, 40),
            "slots": [slot],
        }


def _build_applications(
    site: Site, lottery: Any, registrants: list[int], rng: random.Random, now: dt.datetime
) -> None:
    from yoyaku.lottery.models import LotteryApplication, LotteryChoice

    demand = _Demand(site, rng)
    created = now - dt.timedelta(days=10)
    pseudonyms: set[str] = set()
    SlotLink = LotteryChoice.slots.through
    for start in range(0, len(registrants), CHUNK):
        batch = registrants[start : start + CHUNK]
        applications = []
        for registrant_id in batch:
            pseudonym = secrets.token_hex(8)
            while pseudonym in pseudonyms:
                pseudonym = secrets.token_hex(8)
            pseudonyms.add(pseudonym)
            applications.append(
                LotteryApplication(
                    round=lottery,
                    registrant_id=registrant_id,
                    pseudonym=pseudonym,
                    created_at=created,
                    updated_at=created,
                )
            )
        applications = LotteryApplication.objects.bulk_create(applications)
        choices = []
        wanted_slots = []
        for application in applications:
            choose = demand.stay if rng.random() < LODGING_SHARE else demand.hall
            for rank in range(1, CHOICES + 1):
                fields = choose()
                wanted_slots.append(fields.pop("slots"))
                choices.append(LotteryChoice(application=application, rank=rank, **fields))
        choices = LotteryChoice.objects.bulk_create(choices)
        SlotLink.objects.bulk_create(
            [
                SlotLink(lotterychoice_id=choice.pk, slot_id=slot.pk)
                for choice, slots in zip(choices, wanted_slots, strict=True)
                for slot in slots
            ]
        )


# — measuring —


_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def _shape(sql: str) -> str:
    """``SELECT facilities_feerule``: the statement's verb and first table."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    table = _TABLE.search(sql)
    return f"{verb} {table.group(1)}" if table and verb != "SAVEPOINT" else verb


@dataclass
class QueryLog:
    """An execute wrapper: every statement sent, counted and timed by its shape."""

    count: int = 0
    seconds: float = 0.0
    shapes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0.0]))

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, ctx)
        finally:
            elapsed = time.perf_counter() - started
            self.count += 1
            self.seconds += elapsed
            entry = self.shapes[_shape(sql)]
            entry[0] += 1
            entry[1] += elapsed


@dataclass
class Step:
    calls: int = 0
    seconds: float = 0.0
    queries: int = 0


class Steps:
    """Times named functions of the services by wrapping them in place, then puts them back."""

    def __init__(self, log: QueryLog) -> None:
        self.log = log
        self.steps: dict[str, Step] = defaultdict(Step)
        self.returned: dict[str, Any] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        own = vars(owner).get(attribute)  # None when inherited (a model method, a bound method)
        original = getattr(owner, attribute)
        step = self.steps[name]

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            queries = self.log.count
            started = time.perf_counter()
            try:
                result = original(*args, **kwargs)
                self.returned[name] = result
                return result
            finally:
                step.calls += 1
                step.seconds += time.perf_counter() - started
                step.queries += self.log.count - queries

        setattr(owner, attribute, timed)
        if own is not None:
            self._undo.append(lambda: setattr(owner, attribute, own))
        else:
            self._undo.append(lambda: delattr(owner, attribute))

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()


@contextmanager
def _instrumented(log: QueryLog) -> Iterator[Steps]:
    from django.db import DEFAULT_DB_ALIAS, connections

    from yoyaku.lottery import algorithm, publication
    from yoyaku.lottery.models import LotteryRound
    from yoyaku.lottery.services import drawing
    from yoyaku.reservations import booking, fees, wins

    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the proxy
    steps = Steps(log)
    steps.wrap(drawing, "_build_input", "input")
    steps.wrap(algorithm, "draw", "draw")
    steps.wrap(drawing, "_write_results", "write")
    steps.wrap(wins, "_won_reservation", "winner")
    steps.wrap(fees, "fee_quote", "fee_quote")
    steps.wrap(booking, "_take_capacity", "take_capacity")
    steps.wrap(publication, "published_document", "publish")
    steps.wrap(LotteryRound, "save", "save")
    steps.wrap(drawing, "full_notices", "notices")
    steps.wrap(connection, "commit", "commit")
    try:
        with connection.execute_wrapper(log):
            yield steps
    finally:
        steps.restore()


def _vmhwm_mb() -> float | None:
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) / 1024


def _vmrss_mb() -> float | None:
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) / 1024


def _reset_vmhwm() -> bool:
    """Linux: start the process's peak RSS afresh (``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def _maxrss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _traced_drawing(lottery: Any) -> float:
    """tracemalloc's peak (MB) over one whole drawing, then rolled back."""
    from django.db import transaction

    from yoyaku.lottery import services

    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        with transaction.atomic():
            services.lottery_draw(lottery=lottery)
            transaction.set_rollback(True)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# — the bench —


def _options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench lottery-db",
        description="Time lottery.services.lottery_draw on a database built for it.",
    )
    parser.add_argument("--applications", type=int, default=APPLICATIONS, metavar="N")
    parser.add_argument(
        "--database-url",
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help="an EMPTY database to use instead of a temporary SQLite file "
        "(without a value: $DATABASE_URL)",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="first run the drawing under tracemalloc and roll it back, for its peak (slow)",
    )
    parser.add_argument(
        "--no-mails",
        dest="mails",
        action="store_false",
        help="skip sending the results mails through the worker",
    )
    options = parser.parse_args(list(argv))
    if options.applications < 1:
        parser.error("--applications must be at least 1")
    if options.database_url == "":
        options.database_url = os.environ.get("DATABASE_URL") or parser.error(
            "--database-url without a value needs DATABASE_URL in the environment"
        )
    return options


def main(argv: Sequence[str] = ()) -> None:
    options = _options(argv)
    with tempfile.TemporaryDirectory(prefix="yoyaku-bench-") as directory:
        _configure(options.database_url, Path(directory))
        try:
            _run(options)
        finally:
            from django.db import connections

            connections.close_all()


def _run(options: argparse.Namespace) -> None:
    import django
    from django.core.management import CommandError, call_command
    from django.db import connection
    from django.test.utils import override_settings

    from yoyaku.core import clock
    from yoyaku.core.models import Notice
    from yoyaku.lottery import services
    from yoyaku.lottery.models import LotteryApplication, LotteryChoice, LotteryRound
    from yoyaku.reservations.models import Occupancy, Reservation

    started = time.perf_counter()
    _migrate(require_empty=options.database_url is not None)
    migrate_seconds = time.perf_counter() - started

    rng = random.Random(DATA_SEED)
    now = clock.now()
    first_of_next = (now.date().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    use_from = (first_of_next + dt.timedelta(days=32)).replace(day=1)  # two months ahead
    started = time.perf_counter()
    site = _build_site(use_from)
    registrants = _build_people(site, options.applications, rng, now)
    lottery = _create_round(site, now)
    _build_applications(site, lottery, registrants, rng, now)
    build_seconds = time.perf_counter() - started
    application_count = LotteryApplication.objects.filter(round=lottery).count()
    choice_count = LotteryChoice.objects.filter(application__round=lottery).count()

    with override_settings(DEBUG=False):
        started = time.perf_counter()
        traced_mb = _traced_drawing(lottery) if options.tracemalloc else None
        traced_seconds = time.perf_counter() - started
        gc.collect()
        rss_before = _vmrss_mb()
        log = QueryLog()
        rss_reset = _reset_vmhwm()
        with _instrumented(log) as steps:
            started = time.perf_counter()
            services.lottery_draw(lottery=lottery)
            total = time.perf_counter() - started
        drawing_rss = _vmhwm_mb() if rss_reset else None

    lottery = LotteryRound.objects.get(pk=lottery.pk)
    wins = dict(
        LotteryApplication.objects.filter(round=lottery, status=LotteryApplication.Status.WON)
        .values_list("won_rank")
        .annotate(n=django.db.models.Count("id"))
    )
    reservations = Reservation.objects.filter(lottery_choice__application__round=lottery)
    occupancy = Occupancy.objects.filter(reservation__in=reservations).count()
    notices = Notice.objects.filter(municipality=site.municipality).count()
    data = steps.returned.get("input")
    keys = len(data.capacity) if data is not None else 0
    published_mb = len(json.dumps(lottery.published, ensure_ascii=False).encode()) / 2**20

    out = io.StringIO()
    started = time.perf_counter()
    try:
        call_command("verify_lottery", lottery.pk, stdout=out)
        verified, verdict = True, out.getvalue().strip()
    except CommandError as error:
        verified, verdict = False, str(error)
    verify_seconds = time.perf_counter() - started

    s = steps.steps
    winners = s["winner"].calls
    top = ["input", "draw", "write", "publish", "save", "notices", "commit"]
    other = Step(
        seconds=total - sum(s[n].seconds for n in top),
        queries=log.count - sum(s[n].queries for n in top),
    )
    bulk = Step(
        seconds=s["write"].seconds - s["winner"].seconds,
        queries=s["write"].queries - s["winner"].queries,
    )
    per_winner_rest = Step(
        seconds=s["winner"].seconds - s["fee_quote"].seconds - s["take_capacity"].seconds,
        queries=s["winner"].queries - s["fee_quote"].queries - s["take_capacity"].queries,
    )
    rows: list[tuple[str, Step]] = [
        ("build input (_build_input)", s["input"]),
        ("algorithm.draw", s["draw"]),
        ("write results (_write_results)", s["write"]),
        ("  per-winner reservations", s["winner"]),
        ("    fees.fee_quote", s["fee_quote"]),
        ("    booking._take_capacity", s["take_capacity"]),
        ("    rest (create, slots, purpose, user)", per_winner_rest),
        ("  statuses (bulk_update)", bulk),
        ("published_document", s["publish"]),
        ("save round (published JSON)", s["save"]),
        ("full notices (full_notices)", s["notices"]),
        ("commit", s["commit"]),
        ("other (lock, audit, on_commit)", other),
        ("lottery_draw, whole transaction", Step(1, total, log.count)),
    ]

    database = connection.vendor
    if database == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}" + (
            " in a temporary file" if options.database_url is None else ""
        )
    won = sum(wins.values())
    print(
        f"lottery-db: {application_count:,} applications × {CHOICES} choices "
        f"({choice_count:,} choices) over {len(site.units)} units × {USE_DAYS} days "
        f"({keys:,} resource keys); {database}"
    )
    print(
        f"  Python {platform.python_version()}, Django {django.get_version()} on "
        f"{platform.machine()}, {os.cpu_count()} CPUs; migrated in {migrate_seconds:.1f} s, "
        f"data built in {build_seconds:.1f} s (not timed)"
    )
    print(
        f"  {won:,} won (choice 1: {wins.get(1, 0):,}, 2: {wins.get(2, 0):,}, "
        f"3: {wins.get(3, 0):,}), {application_count - won:,} lost; "
        f"{reservations.count():,} reservations with {occupancy:,} occupancy rows; "
        f"{notices:,} notices"
    )
    print(f"  verify_lottery: {verdict} ({verify_seconds:.1f} s)")
    width = max(len(label) for label, _ in rows)
    print(f"  {'step of lottery_draw':<{width}}  {'time':>9}  {'share':>5}  {'queries':>8}")
    for label, step in rows:
        share = f"{step.seconds / total:.0%}" if total else ""
        print(f"  {label:<{width}}  {step.seconds:>7.2f} s  {share:>5}  {step.queries:>8,}")
    if winners:
        print(
            f"  per winner: {s['winner'].queries / winners:.1f} queries, "
            f"{s['winner'].seconds / winners * 1000:.2f} ms "
            f"({winners:,} winners); time inside the database driver: {log.seconds:.2f} s "
            f"of {total:.2f} s"
        )
    memory = []
    if drawing_rss is not None:
        before = f" ({rss_before:.0f} MB before it)" if rss_before is not None else ""
        memory.append(f"peak RSS during the drawing {drawing_rss:.0f} MB{before}")
    rss = _maxrss_mb()
    if rss is not None:
        memory.append(f"process peak RSS {rss:.0f} MB (data building included)")
    if traced_mb is not None:
        memory.append(
            f"tracemalloc peak {traced_mb:.0f} MB (a first, rolled-back drawing: "
            f"{traced_seconds:.0f} s under tracemalloc)"
        )
    else:
        memory.append("tracemalloc not measured (--tracemalloc)")
    print("  " + "; ".join(memory))
    print(f"  published document {published_mb:.1f} MB of JSON")
    print("  statements by time (shape: count, seconds):")
    shapes = sorted(log.shapes.items(), key=lambda kv: -kv[1][1])
    for shape, (count, seconds) in shapes[:12]:
        print(f"    {shape:<{width - 2}}  {seconds:>7.2f} s  {int(count):>15,}")
    mails, mail_seconds = _send_results(options) if options.mails else (0, 0.0)
    mails_per_s = mails / mail_seconds if mail_seconds else 0.0
    if options.mails:
        print(
            f"  results mails through the worker (one db_worker process, file backend): "
            f"{mails:,} mails in {mail_seconds:.1f} s = {mails_per_s:.0f} mails/s"
        )
    algorithm_seconds = s["draw"].seconds
    print(
        f"lottery-db: n={application_count} draw_s={total:.2f} "
        f"algorithm_ratio={total / algorithm_seconds if algorithm_seconds else 0:.1f} "
        f"peak_rss_mb={drawing_rss or 0:.0f} queries={log.count} "
        f"queries_per_winner={log.count / winners if winners else 0:.3f} "
        f"mails_per_s={mails_per_s:.0f}"
    )
    if not verified:
        raise SystemExit(1)


def _send_results(options: argparse.Namespace) -> tuple[int, float]:
    """Run ``db_worker --batch`` in a child process until the queue is empty: the results task
    the drawing enqueued fans out into batch tasks, each sending its mails through one
    connection (Django's file backend, in the temporary directory). Returns (mails sent,
    seconds of the worker)."""
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    connections.close_all()
    environment = dict(os.environ, DJANGO_SETTINGS_MODULE="yoyaku.settings")
    started = time.perf_counter()
    worker = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
        ],
        env=environment,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if worker.returncode:
        print(worker.stderr[-4000:])
        raise SystemExit(f"lottery-db: the worker failed (exit {worker.returncode})")
    sent = sum(
        value or 0
        for value in DBTaskResult.objects.filter(
            task_path="yoyaku.lottery.tasks.lottery_send_results_batch"
        ).values_list("return_value", flat=True)
    )
    return sent, seconds


if __name__ == "__main__":
    main(sys.argv[1:])
