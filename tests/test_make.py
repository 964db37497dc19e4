"""``make run``: the web server, the worker and the scheduler link mails to one address."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _run_commands(*args: str) -> list[str]:
    out = subprocess.run(
        ["make", "-n", "-B", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if "manage.py" in line and "migrate" not in line]


@pytest.mark.parametrize(
    ("args", "url"),
    [
        ((), "http://127.0.0.1:8000"),
        (("PORT=8123",), "http://127.0.0.1:8123"),
        (("YOYAKU_SITE_URL=https://yoyaku.example.jp",), "https://yoyaku.example.jp"),
    ],
)
def test_every_process_of_make_run_gets_the_same_site_url(args, url):
    commands = _run_commands(*args)
    names = {re.search(r"manage\.py (\w+)", c).group(1) for c in commands}
    assert {"load_demo", "db_worker", "run_scheduler", "runserver"} <= names
    for command in commands:
        assert f"YOYAKU_SITE_URL={url} " in command or f"--base-url {url}" in command, command


def _prod_commands(*args: str) -> list[str]:
    out = subprocess.run(
        ["make", "-n", "-B", "prod-local", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        line
        for line in out.splitlines()
        if ("manage.py" in line or "gunicorn" in line) and not line.startswith("echo ")
    ]


def test_make_prod_local_runs_every_process_with_debug_off_and_one_site_url():
    commands = _prod_commands("PORT=8123")
    names = {m.group(1) for c in commands for m in re.finditer(r"manage\.py (\w+)", c)}
    assert {"migrate", "load_demo", "collectstatic", "db_worker", "run_scheduler"} <= names
    assert any("gunicorn -c deploy/gunicorn.conf.py yoyaku.wsgi" in c for c in commands)
    for command in commands:
        assert "DEBUG=0 " in command and "DEBUG=1" not in command, command
        assert "YOYAKU_SITE_URL=http://127.0.0.1:8123 " in command, command
        assert 'SECRET_KEY="$(cat ' in command, command


def test_make_prod_local_says_which_tls_settings_it_switches_off_for_localhost():
    for command in _prod_commands():
        for variable in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
            assert f"{variable}=0" in command, command


def test_only_the_demo_loader_of_make_prod_local_installs_the_demo_app():
    commands = _prod_commands()
    assert [c for c in commands if "YOYAKU_DEMO=1" in c] == [
        c for c in commands if "load_demo" in c
    ]
