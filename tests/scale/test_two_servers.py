"""Past one machine: two app servers behind nginx share one database and one Redis.

Starts two gunicorn servers (DEBUG off, production settings) on two ports and Debian's nginx in
front of them (round robin), all against this test's PostgreSQL database and one Redis
database, and shows what a citizen would notice if a server kept state of its own:

- one session: logged in through server A, the same cookie opens my page on server B;
- one cache: the API's rate limit counts a client's requests on both servers together;
- no double booking: registrants racing for one slot through nginx (both servers answering)
  end with exactly one reservation; every other attempt is told the slot is taken (409).

Runs in the PostgreSQL pass (``DATABASE_URL=postgres://…``); skipped when nginx
(``apt-get install nginx-light``) or PostgreSQL is missing, except that in CI (``CI`` set) a
missing nginx or Redis fails the PostgreSQL pass. Redis: ``YOYAKU_TEST_REDIS_URL``
(default redis://127.0.0.1:6379/6, a database this test empties), or a redis-server of its own
when none answers there. About 15–25 s.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests import factories as f
from tests.reservations.helpers import hall, registrant
from yoyaku.core import clock
from yoyaku.core.models import Municipality
from yoyaku.reservations.models import Reservation

NGINX = os.environ.get("YOYAKU_NGINX", "/usr/sbin/nginx")
REDIS_URL = os.environ.get("YOYAKU_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")
REDIS_SERVER = shutil.which("redis-server")
ROOT = Path(__file__).resolve().parents[2]
PYTHON_BIN = Path(sys.executable).parent
GUNICORN = PYTHON_BIN / "gunicorn"
PORTS = range(8120, 8140)
RACERS = 24
PASSWORD = "race2026ok"
# What the test settings put into the environment: the servers run with production's values.
TEST_ONLY_VARIABLES = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "YOYAKU_ALLOW_INSECURE_KEY",
    "YOYAKU_DEMO",
    "TASKS_BACKEND",
    "DATABASE_REPLICA_URL",
}

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (the PostgreSQL pass runs it; set DATABASE_URL to run here)",
    ),
    pytest.mark.skipif(
        not os.path.exists(NGINX) and not os.environ.get("CI"),
        reason=f"nginx not found at {NGINX}: apt-get install nginx-light",
    ),
]


def _free_port(taken: set[int]) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    pytest.fail(f"no free port in {PORTS.start}–{PORTS.stop - 1}")


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


def _redis_url(tmp: Path, taken: set[int], children: list) -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return REDIS_URL
    except redis.RedisError:
        if REDIS_SERVER is None:
            message = f"no Redis at {REDIS_URL} and no redis-server: apt-get install redis-server"
            # CI installs both (.ci/run): there a missing one fails the run instead.
            (pytest.fail if os.environ.get("CI") else pytest.skip)(message)
    port = _free_port(taken)
    log = tmp / "redis.log"
    children.append(
        subprocess.Popen(
            [
                *(REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(tmp)),
            ],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        try:
            redis.Redis.from_url(url).ping()
            return url
        except redis.RedisError:
            time.sleep(0.1)
    pytest.fail(f"redis-server did not start:\n{log.read_text()}")


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'] or '', safe='')}{password}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"
    )


NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream yoyaku {{
        server 127.0.0.1:{a};
        server 127.0.0.1:{b};
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://yoyaku;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Which server answered: the test checks that both took part.
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass
class Stack:
    a: str
    b: str
    nginx: str


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory):
    """Two gunicorn servers and nginx for this module's tests (each test brings its own rows:
    the servers keep no state between requests); stopped at the end."""
    if not os.path.exists(NGINX):
        pytest.fail(f"nginx not found at {NGINX} (CI installs nginx-light: see .ci/run)")
    tmp_path = tmp_path_factory.mktemp("two-servers")
    taken: set[int] = set()
    children: list[subprocess.Popen] = []
    try:
        redis_url = _redis_url(tmp_path, taken, children)
        redis.Redis.from_url(redis_url).flushdb()
        env = {
            **{k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES},
            "DJANGO_SETTINGS_MODULE": "yoyaku.settings",
            "DEBUG": "0",
            "SECRET_KEY": "two-servers-test-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "YOYAKU_TRUSTED_PROXY_COUNT": "1",
            "YOYAKU_API_RATE": "5/min",
            "REDIS_URL": redis_url,
            "DATABASE_URL": _database_url(),
            "YOYAKU_DATA_DIR": str(tmp_path / "var"),
            "LOG_LEVEL": "WARNING",
        }
        collect = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert collect.returncode == 0, collect.stderr
        urls = []
        for name in ("a", "b"):
            port = _free_port(taken)
            log = tmp_path / f"gunicorn-{name}.log"
            process = subprocess.Popen(
                [
                    *(str(GUNICORN), "yoyaku.wsgi", "--bind", f"127.0.0.1:{port}"),
                    *("--workers", "2", "--threads", "4", "--timeout", "60", "--preload"),
                ],
                cwd=ROOT,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
            children.append(process)
            urls.append((f"http://127.0.0.1:{port}", process, log))
        port = _free_port(taken)
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp_path / sub).mkdir()
        conf = tmp_path / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                tmp=tmp_path,
                a=urls[0][0].rsplit(":", 1)[1],
                b=urls[1][0].rsplit(":", 1)[1],
                port=port,
            )
        )
        log = tmp_path / "nginx-error.log"
        nginx = subprocess.Popen(
            [NGINX, "-e", str(log), "-p", str(tmp_path), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=log.open("a"),
        )
        children.append(nginx)
        for url, process, server_log in urls:
            _wait_for(url + "/static/", process, server_log)
        _wait_for(f"http://127.0.0.1:{port}/static/", nginx, log)
        yield Stack(a=urls[0][0], b=urls[1][0], nginx=f"http://127.0.0.1:{port}")
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


@pytest.fixture
def open_hall():
    """A hall open around the clock (the servers run on the real clock, not a test's) and a day
    to book three weeks ahead."""
    today = clock.today()
    closure = today + dt.timedelta(days=60)
    municipality = f.MunicipalityFactory(
        slug="ukiha",
        registration_mode=Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING,
        service_open_minute=0,
        service_close_minute=24 * 60,
        year_end_start_month=closure.month,
        year_end_start_day=closure.day,
        year_end_end_month=closure.month,
        year_end_end_day=closure.day,
    )
    _, whole, *_ = hall(municipality, closed_at_year_end=False)
    return whole, today + dt.timedelta(days=21)


def _registrants(unit, count: int) -> list:
    """Registrants whose password the servers can check: they use the production hashers; a
    low iteration count keeps the log-ins quick."""
    people = [registrant(unit.facility.municipality) for _ in range(count)]
    encoded = PBKDF2PasswordHasher().encode(PASSWORD, "twoservers", iterations=1000)
    for person in people:
        person.user.password = encoded
        person.user.save(update_fields=["password"])
    return people


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _log_in(client: httpx.Client, person) -> httpx.Response:
    page = client.get("/ukiha/login/")
    token = CSRF.search(page.text).group(1)
    return client.post(
        "/ukiha/login/",
        data={
            "csrfmiddlewaretoken": token,
            "user_number": person.user_number,
            "password": PASSWORD,
        },
    )


def test_a_registrant_logged_in_through_one_server_is_logged_in_on_the_other(stack, open_hall):
    whole, _ = open_hall
    (person,) = _registrants(whole, 1)
    with httpx.Client(base_url=stack.a, timeout=30) as on_a:
        response = _log_in(on_a, person)
        assert response.status_code == 302, response.text[-2000:]
        cookies = on_a.cookies
    with httpx.Client(base_url=stack.b, cookies=cookies, timeout=30) as on_b:
        mypage = on_b.get("/ukiha/mypage/")
    assert mypage.status_code == 200
    assert person.user_number in mypage.text
    with httpx.Client(base_url=stack.b, timeout=30) as stranger:
        assert stranger.get("/ukiha/mypage/").status_code == 302


def test_the_api_rate_limit_counts_a_client_on_both_servers_together(stack):
    # Both servers see the client as 203.0.113.7 (the address the proxy in front would add).
    headers = {"X-Forwarded-For": "203.0.113.7"}
    statuses = []
    for base in (stack.a, stack.b, stack.a, stack.b, stack.a, stack.b):
        statuses.append(httpx.get(f"{base}/api/v1/municipalities", headers=headers).status_code)
    # 5 a minute in all: had each server counted alone, the sixth (B's third) would pass.
    assert statuses == [200, 200, 200, 200, 200, 429]
    other = httpx.get(
        f"{stack.a}/api/v1/municipalities", headers={"X-Forwarded-For": "203.0.113.8"}
    )
    assert other.status_code == 200


def test_registrants_racing_for_one_slot_through_both_servers_get_one_reservation(stack, open_hall):
    whole, day = open_hall
    people = _registrants(whole, RACERS)
    am = f.slot(whole, "am")
    url = f"/ukiha/reserve/{whole.pk}/?date={day.isoformat()}"
    clients = []
    for person in people:
        client = httpx.Client(base_url=stack.nginx, timeout=60)
        assert _log_in(client, person).status_code == 302
        # The log-in set a new CSRF cookie; its value is a valid form token too.
        clients.append((client, client.cookies["csrftoken"]))
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str]] = [(0, "")] * len(clients)

    def attempt(i: int) -> None:
        client, token = clients[i]
        barrier.wait()
        response = client.post(
            url,
            data={
                "csrfmiddlewaretoken": token,
                "action": "book",
                "date": day.isoformat(),
                "slots": str(am.pk),
                "party_size": "10",
            },
        )
        results[i] = (response.status_code, response.headers.get("X-Upstream", ""))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for client, _ in clients:
        client.close()

    statuses = Counter(status for status, _ in results)
    servers = Counter(upstream for _, upstream in results)
    assert statuses[302] == 1, statuses
    assert statuses[409] == RACERS - 1, statuses
    assert len(servers) == 2, servers
    assert Reservation.objects.filter(unit=whole, use_date=day).count() == 1
