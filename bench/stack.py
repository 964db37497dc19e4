"""A production-like stack and its clients, shared by the HTTP benchmarks (rush, login).

Unless ``--url`` names a running site, :class:`Stack` starts its own: gunicorn (gthread;
``deploy/gunicorn.conf.py`` with ``-c`` when the project has one) with ``DEBUG`` off, on a
PostgreSQL database of its own (dropped and created afresh: its name must contain ``bench``),
migrated and with its static files collected, persistent database connections, Redis for the
cache (its own database number, emptied first), a trusted proxy in front
(``YOYAKU_TRUSTED_PROXY_COUNT=1``: each client sends its own address in ``X-Forwarded-For``,
which is what the site sees behind nginx) and the rush benchmark's ceiling view routed
(``YOYAKU_BENCH_CEILING=1``). The processes are stopped when the benchmark ends, also on
Ctrl-C.

The benchmark itself runs Django in its own process against the same database, to seed it in
bulk and to check the outcome in SQL afterwards. With ``--url``, ``--database-url`` must name
that site's database; every run seeds a municipality of its own there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.cookiejar
import io
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/yoyaku_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
PASSWORD = "bench1234"
SLOTS_PER_DAY = 4  # 9–11, 11–13, 13–15, 15–17: none overlaps another
FIRST_USE_DAY = 20  # days ahead: inside the booking window, away from any deadline


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    stack = parser.add_argument_group("stack")
    stack.add_argument("--url", help="a running site (default: start one)")
    stack.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database of the stack (default: $BENCH_DATABASE_URL or %(default)s); "
        "dropped and created afresh unless --url is given",
    )
    stack.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help="Redis for the cache, its own database number (default: $BENCH_REDIS_URL or "
        "%(default)s); emptied first unless --url is given",
    )
    stack.add_argument("--port", type=int, default=8190)
    cores = os.cpu_count() or 1
    stack.add_argument(
        "--workers",
        type=int,
        help=f"gunicorn workers (default: the config's, else 2 × cores + 1 = {2 * cores + 1})",
    )
    stack.add_argument(
        "--threads", type=int, help="threads per worker (default: the config's, else 4)"
    )
    stack.add_argument(
        "--conn-max-age", type=int, default=600, help="DATABASE_CONN_MAX_AGE (default 600)"
    )
    stack.add_argument(
        "--connections",
        type=int,
        default=4,
        help="connections each browser opens at most (default 4)",
    )
    stack.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds a client waits for an answer before counting an error (default 600)",
    )
    stack.add_argument("--profile", action="store_true", help="cProfile the booking requests")


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


class Stack:
    """The site under test: started here (a context manager) or given by ``--url``."""

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.own = not options.url
        self.base_url = (options.url or f"http://127.0.0.1:{options.port}").rstrip("/")
        self.directory = Path(tempfile.mkdtemp(prefix="yoyaku-bench-"))
        self.profile_dir = self.directory / "profiles" if options.profile else None
        self.process: subprocess.Popen | None = None
        self.env = self._environment()
        self.workers_threads = "?"

    def _environment(self) -> dict[str, str]:
        options = self.options
        env = {
            "DJANGO_SETTINGS_MODULE": "yoyaku.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": options.database_url,
            "DATABASE_CONN_MAX_AGE": str(options.conn_max_age),
            "REDIS_URL": options.redis_url,
            "YOYAKU_DATA_DIR": str(self.directory),
            "YOYAKU_TRUSTED_PROXY_COUNT": "1",
            "YOYAKU_BENCH_CEILING": "1",
            "YOYAKU_SITE_URL": self.base_url,
            "LOG_LEVEL": "WARNING",
        }
        if self.profile_dir is not None:
            env["YOYAKU_PROFILE_DIR"] = str(self.profile_dir)
        return env

    # — life cycle —

    def __enter__(self) -> Stack:
        os.environ.update(self.env)
        if self.own:
            self._create_database()
            self._empty_redis()
        _setup_django()
        if self.own:
            self._manage("migrate", "--noinput")
            self._manage("collectstatic", "--noinput")
            self._start_gunicorn()
        # This process seeds and checks between the bursts, from the clients' event loop but
        # never while a burst runs.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not getattr(self.options, "keep", False):
            shutil.rmtree(self.directory, ignore_errors=True)

    def _create_database(self) -> None:
        import psycopg

        name = _database_name(self.options.database_url)
        if "bench" not in name:
            raise SystemExit(
                f"the stack's database is dropped and created afresh: its name must contain "
                f"'bench' (given: {name!r})"
            )
        maintenance = _with_database(self.options.database_url, "postgres")
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')

    def _empty_redis(self) -> None:
        import redis

        redis.Redis.from_url(self.options.redis_url).flushdb()

    def _manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def _start_gunicorn(self) -> None:
        options = self.options
        cores = os.cpu_count() or 1
        command = [str(Path(sys.executable).parent / "gunicorn"), "yoyaku.wsgi"]
        if GUNICORN_CONF.exists():
            command += ["-c", str(GUNICORN_CONF)]
            workers, threads = options.workers, options.threads
        else:
            workers, threads = options.workers or 2 * cores + 1, options.threads or 4
            command += ["--worker-class", "gthread"]
        if workers:
            command += ["--workers", str(workers)]
        if threads:
            command += ["--threads", str(threads)]
        command += [
            "--bind",
            f"127.0.0.1:{options.port}",
            "--error-logfile",
            str(self.directory / "gunicorn.log"),
            "--log-level",
            "warning",
        ]
        self.workers_threads = f"{workers or 'conf'}×{threads or 'conf'}"
        # A session of its own: the whole process group is stopped at the end.
        # The site's own log (e.g. each 409 as a warning) goes to a file, not to the report.
        with open(self.directory / "site.log", "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **self.env},
                start_new_session=True,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                # Any answer will do: a health check may say 503 for want of a task worker
                # or scheduler, which this stack does not start (nothing here queues tasks
                # that the benchmarks wait for).
                httpx.get(self.base_url + "/healthz", timeout=2)
                return
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        tails = []
        for name in ("gunicorn.log", "site.log"):
            log = self.directory / name
            if log.exists():
                text = log.read_text(errors="replace").splitlines()
                tails += [line for line in text if "Conflict: " not in line][-lines:]
        return "\n".join(tails)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def describe(self) -> str:
        if not self.own:
            return f"site {self.base_url}"
        return (
            f"gunicorn gthread {self.workers_threads} on {os.cpu_count()} cores, DEBUG off, "
            f"PostgreSQL {_database_name(self.options.database_url)} "
            f"(CONN_MAX_AGE={self.options.conn_max_age}), Redis cache, "
            f"config {'deploy/gunicorn.conf.py' if GUNICORN_CONF.exists() else 'none'}"
        )


@contextlib.contextmanager
def stopped_on_signals() -> Iterator[None]:
    """SIGTERM ends the benchmark like Ctrl-C does, so the context managers clean up."""

    def _raise(signum: int, frame: Any) -> None:
        # As Ctrl-C: asyncio.run then cancels the clients' tasks and the stack is stopped.
        signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _setup_django() -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        django.setup()


# — seeds —


@dataclass
class Site:
    slug: str
    facility_id: int
    purpose_id: int
    # (unit id, slot id) for each of SLOTS_PER_DAY × units; the same on every day.
    targets: list[tuple[int, int]]
    first_day: dt.date
    user_numbers: list[str]


def seed(*, registrants: int, slots: int, days: int, requires_approval: bool = False) -> Site:
    """A municipality open all day, one facility of meeting rooms that confirms a booking at
    once (or after review with ``requires_approval``; never online payment), ``slots`` free
    (unit, time slot) pairs on each of ``days`` days, and ``registrants`` active registrants
    who may book, all with the password ``PASSWORD``. Bulk inserts: a few seconds."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from yoyaku.core import clock
    from yoyaku.core.models import Municipality, User
    from yoyaku.facilities.models import Facility, FeeRule, Purpose, Slot, SlotSchedule, Unit
    from yoyaku.registrants.models import Registrant

    now = clock.now()
    today = clock.today()
    first_day = today + dt.timedelta(days=FIRST_USE_DAY)
    # The year-end closure on a day the run never touches.
    off = first_day + dt.timedelta(days=days + 30)
    slug = f"bench{now:%m%d%H%M%S}"
    with transaction.atomic():
        municipality = Municipality.objects.create(
            slug=slug,
            name="ベンチ市",
            name_en="Bench City",
            system_name="ベンチ市公共施設予約システム",
            registration_mode=Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING,
            resident_label="ベンチ市内在住の方",
            worker_label="ベンチ市内在勤の方",
            service_open_minute=0,
            service_close_minute=24 * 60,
            year_end_start_month=off.month,
            year_end_start_day=off.day,
            year_end_end_month=off.month,
            year_end_end_day=off.day,
        )
        purpose = Purpose.objects.create(municipality=municipality, name="会議・研修")
        schedule = SlotSchedule.objects.create(municipality=municipality, name="2時間区分")
        times = Slot.objects.bulk_create(
            [
                Slot(
                    schedule=schedule,
                    code=f"s{n}",
                    label=f"{9 + 2 * n}時から",
                    start=dt.time(9 + 2 * n),
                    end=dt.time(11 + 2 * n),
                    is_basic=True,
                )
                for n in range(SLOTS_PER_DAY)
            ]
        )
        facility = Facility.objects.create(
            municipality=municipality,
            slug="hall",
            name="ベンチ市民会館",
            kind=Facility.Kind.HALL,
            closed_at_year_end=False,
            holiday_policy=Facility.HolidayPolicy.OPEN,
            requires_approval=requires_approval,
            payment_mode=Facility.PaymentMode.OFF,
            max_active_reservations=1000,
            # The rush measures first-come booking: no fair first minute (its tickets would
            # be served after the window, not by arrival).
            fair_window_seconds=0,
        )
        unit_count = -(-slots // SLOTS_PER_DAY)
        units = Unit.objects.bulk_create(
            [
                Unit(
                    facility=facility,
                    name=f"会議室{n}",
                    booking_kind=Unit.BookingKind.SLOT,
                    slot_schedule=schedule,
                    capacity=30,
                    order=n,
                )
                for n in range(1, unit_count + 1)
            ]
        )
        Through = Unit.purposes.through
        Through.objects.bulk_create([Through(unit_id=u.pk, purpose_id=purpose.pk) for u in units])
        FeeRule.objects.bulk_create(
            [
                FeeRule(
                    unit=unit,
                    effective_from=today - dt.timedelta(days=365),
                    basis=FeeRule.Basis.PER_SLOT,
                    slot=slot,
                    rate_class=rate,
                    amount_yen=amount,
                )
                for unit in units
                for slot in times
                for rate, amount in (
                    (FeeRule.RateClass.RESIDENT, 1000),
                    (FeeRule.RateClass.NON_RESIDENT, 1500),
                )
            ]
        )
        targets = [(unit.pk, slot.pk) for unit in units for slot in times][:slots]
        # One hash for everyone (the hasher's cost is paid at log-in, not here).
        password = make_password(PASSWORD)
        numbers = [str(100_000 + n) for n in range(registrants)]
        users = User.objects.bulk_create(
            [
                User(
                    username=User.make_username(municipality, User.Kind.REGISTRANT, number),
                    municipality=municipality,
                    login_id=number,
                    kind=User.Kind.REGISTRANT,
                    display_name=f"予約 太郎{number}",
                    email=f"r{number}@example.com",
                    password=password,
                )
                for number in numbers
            ]
        )
        registered = now - dt.timedelta(days=200)
        Registrant.objects.bulk_create(
            [
                Registrant(
                    municipality=municipality,
                    user=user,
                    user_number=number,
                    kind=Registrant.Kind.INDIVIDUAL,
                    category=Registrant.Category.RESIDENT,
                    status=Registrant.Status.ACTIVE,
                    name_kana="ヨヤク　タロウ",
                    name=f"予約 太郎{number}",
                    birth_date=dt.date(1980, 1, 1),
                    phone=f"03-1234-{int(number) % 10_000:04d}",
                    email=user.email,
                    postal_code="100-0001",
                    prefecture="東京都",
                    city="千代田区",
                    street="千代田1-1",
                    registered_at=registered,
                    approved_at=registered,
                    valid_until=today + dt.timedelta(days=700),
                    password_is_initial=False,
                )
                for user, number in zip(users, numbers, strict=True)
            ]
        )
    return Site(slug, facility.pk, purpose.pk, targets, first_day, numbers)


def client_address(index: int) -> str:
    """A distinct client address per registrant, from 198.18.0.0/15 (RFC 2544: benchmarking)."""
    return f"198.18.{index // 250}.{index % 250 + 1}"


# — clients —


@dataclass
class Browser:
    """One person's browser: its own connections (at most ``connections``, as a browser opens
    a few per site), its cookies and the CSRF token of the page it shows. One client per
    browser also keeps each connection pool small: one pool shared by 2,000 waiting requests
    spends the client's time scanning its queue, not sending."""

    address: str
    client: httpx.AsyncClient
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def headers(self, base_url: str) -> dict[str, str]:
        return {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Origin": base_url,
            "Referer": base_url + "/",
            "X-Forwarded-For": self.address,
            "User-Agent": "Mozilla/5.0 (bench)",
        }

    async def send(
        self, method: str, url: str, base_url: str, data: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.request(method, url, headers=self.headers(base_url), data=data)

    def take(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if "text/html" in response.headers.get("content-type", ""):
            token = _form_token(response.text)
            if token:
                self.csrf = token


def _form_token(html: str) -> str | None:
    marker = 'name="csrfmiddlewaretoken" value="'
    start = html.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return html[start : html.index('"', start)]


class _NoCookies(http.cookiejar.CookieJar):
    """The cookies travel in each request's own header, from the browser's own dict."""

    def __init__(self) -> None:
        super().__init__(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


@contextlib.asynccontextmanager
async def browsers(
    count: int, connections: int, timeout: float = 600.0
) -> AsyncIterator[list[Browser]]:
    """``count`` browsers, each from an address of its own (:func:`client_address`)."""
    tls = ssl.create_default_context()  # made once: the site is plain HTTP anyway
    async with contextlib.AsyncExitStack() as stack:
        opened = []
        for index in range(count):
            client = httpx.AsyncClient(
                # No connection kept between requests: the site closes idle ones after a
                # couple of seconds, and a request sent on one it is closing just then fails
                # for the client's sake, not the site's. People waiting for 8:00 have no
                # open connection either.
                limits=httpx.Limits(max_connections=connections, max_keepalive_connections=0),
                timeout=httpx.Timeout(timeout),
                cookies=httpx.Cookies(_NoCookies()),
                follow_redirects=False,
                verify=tls,
            )
            await stack.enter_async_context(client)
            opened.append(Browser(client_address(index), client))
        yield opened


async def open_login_page(base_url: str, slug: str, browser: Browser) -> None:
    response = await browser.send("GET", f"{base_url}/{slug}/login/", base_url)
    response.raise_for_status()
    browser.take(response)


def login_request(
    base_url: str, slug: str, browser: Browser, user_number: str
) -> tuple[Browser, str, str, dict[str, str]]:
    return (
        browser,
        "POST",
        f"{base_url}/{slug}/login/",
        {
            "csrfmiddlewaretoken": browser.csrf,
            "next": "",
            "user_number": user_number,
            "password": PASSWORD,
        },
    )


async def run_limited(coroutines: Sequence[Any], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(coroutine: Any) -> Any:
        async with semaphore:
            return await coroutine

    return await asyncio.gather(*(one(c) for c in coroutines))


# — a burst of requests started together —


@dataclass
class Burst:
    name: str
    statuses: Counter
    latencies: list[float]  # seconds, of the answered requests
    failures: Counter  # connection errors by kind
    wall: float  # from the start signal to the last answer
    responses: list[httpx.Response | None]

    @property
    def count(self) -> int:
        return len(self.responses)

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall else 0.0

    def percentile(self, p: float) -> float:
        values = sorted(self.latencies)
        if not values:
            return float("nan")
        rank = max(0, min(len(values) - 1, -(-len(values) * p // 100) - 1))
        return values[int(rank)]

    @property
    def transport_errors(self) -> int:
        return sum(self.failures.values())

    def errors(self, expected: set[int]) -> int:
        return self.transport_errors + sum(
            n for status, n in self.statuses.items() if status not in expected
        )

    def summary(self) -> str:
        statuses = " ".join(f"{s}×{n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.name}: {self.count} requests in {self.wall:.2f} s = {self.rate:.1f} req/s, "
            f"p50 {self.percentile(50) * 1000:.0f} ms, p99 {self.percentile(99) * 1000:.0f} ms; "
            f"{statuses}" + (f"; connection errors {dict(self.failures)}" if self.failures else "")
        )


async def burst(
    name: str, base_url: str, requests: Sequence[tuple[Browser, str, str, dict[str, str]]]
) -> Burst:
    """Send every request at once: each task waits at the start line until all are ready."""
    ready = asyncio.Barrier(len(requests) + 1)
    latencies: list[float] = []
    statuses: Counter = Counter()
    responses: list[httpx.Response | None] = [None] * len(requests)
    failures: Counter = Counter()
    last_end = 0.0

    async def one(index: int, browser: Browser, method: str, url: str, data: dict) -> None:
        nonlocal last_end
        await ready.wait()
        started = time.perf_counter()
        try:
            response = await browser.send(method, url, base_url, data)
        except httpx.HTTPError as error:
            failures[type(error).__name__] += 1
            last_end = max(last_end, time.perf_counter())
            return
        ended = time.perf_counter()
        last_end = max(last_end, ended)
        latencies.append(ended - started)
        statuses[response.status_code] += 1
        responses[index] = response

    tasks = [asyncio.create_task(one(i, *request)) for i, request in enumerate(requests)]
    await ready.wait()
    start = time.perf_counter()
    await asyncio.gather(*tasks)
    return Burst(name, statuses, latencies, failures, last_end - start, responses)


_TABLE = re.compile(r'^(SELECT|INSERT|UPDATE|DELETE)\b(?:.*?\b(?:FROM|INTO)\s+|\s+)"(\w+)"')


def profile_summary(directory: Path | None, top: int = 25) -> str:
    """Sum the per-request profiles: query counts per outcome, then the top costs."""
    import pstats
    import statistics

    if directory is None or not directory.exists():
        return ""
    files = sorted(directory.glob("POST-*.prof"))
    if not files:
        return "profile: no booking POST was profiled"
    queries: dict[str, list[int]] = {}
    for path in files:
        _method, status, count, _rest = path.name.split("-", 3)
        queries.setdefault(status, []).append(int(count.rstrip("q")))
    lines = [
        "queries per booking POST: "
        + ", ".join(
            f"{status}: median {statistics.median(v):.0f} (min {min(v)}, max {max(v)}, n={len(v)})"
            for status, v in sorted(queries.items())
        )
    ]
    for status, counts in sorted(queries.items()):
        # The request of median query count of each outcome: its statements by table.
        middle = sorted(
            (p for p in files if p.name.split("-")[1] == status),
            key=lambda p: int(p.name.split("-")[2].rstrip("q")),
        )[len(counts) // 2]
        statements = middle.with_suffix(".sql").read_text().splitlines()
        tables = Counter(
            f"{m.group(1)} {m.group(2)}" if (m := _TABLE.search(sql)) else sql[:40]
            for sql in statements
        )
        lines.append(
            f"  a {status} with {len(statements)} statements: "
            + ", ".join(f"{name} ×{n}" for name, n in tables.most_common())
        )
    stats = pstats.Stats(str(files[0]))
    for path in files[1:]:
        stats.add(str(path))
    stats.files = []  # not the list of every profile file
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    lines.append(out.getvalue())
    return "\n".join(lines)
