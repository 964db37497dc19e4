"""The files of deploy/: they parse with the tools that will read them, and list every variable."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.core.test_deploy import ROOT, run_manage

DEPLOY = ROOT / "deploy"


def test_the_environment_file_example_names_every_variable_the_settings_read():
    settings = (ROOT / "yoyaku" / "settings.py").read_text()
    read = set(re.findall(r'(?:os\.environ\.get|env_bool|env_list)\(\s*"([A-Z0-9_]+)"', settings))
    example = (DEPLOY / "yoyaku.env.example").read_text()
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    read |= set(re.findall(r'os\.environ\.get\("([A-Z0-9_]+)"', gunicorn))
    assert read, "no variables found"
    assert sorted(v for v in read if not re.search(rf"\b{v}\b", example)) == []


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_nginx_site_passes_nginx_t(tmp_path):
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=yoyaku.example.jp", "-keyout", "key.pem", "-out", "cert.pem"),
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "yoyaku.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/yoyaku.example.jp/fullchain.pem", "cert.pem")
    site = site.replace("/etc/letsencrypt/live/yoyaku.example.jp/privkey.pem", "key.pem")
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ {temp} include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        [
            *("nginx", "-t", "-p", f"{tmp_path}/", "-c", f"{tmp_path}/nginx.conf"),
            *("-e", f"{tmp_path}/error.log"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    # The units name /opt/yoyaku; here it is a directory whose programs exist.
    opt = tmp_path / "opt"
    for program in (".venv/bin/python", ".venv/bin/gunicorn", "deploy/backup.sh"):
        (opt / program).parent.mkdir(parents=True, exist_ok=True)
        (opt / program).write_text("#!/bin/sh\n")
        (opt / program).chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for unit in (DEPLOY / "systemd").iterdir():
        (units / unit.name).write_text(unit.read_text().replace("/opt/yoyaku", str(opt)))
    names = [
        "yoyaku-web.service",
        "yoyaku-worker@1.service",
        "yoyaku-scheduler.service",
        "yoyaku-backup.service",
        "yoyaku-backup.timer",
    ]
    (units / "yoyaku-worker@1.service").symlink_to(units / "yoyaku-worker@.service")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        cwd=units,
        capture_output=True,
        text=True,
    )
    problems = [line for line in result.stderr.splitlines() if "yoyaku" in line]
    assert result.returncode == 0 and problems == [], result.stderr


def test_the_gunicorn_config_sizes_workers_from_the_cores_and_obeys_the_environment():
    env = {"GUNICORN_WORKERS": "3", "GUNICORN_THREADS": "7"}
    script = (
        "import runpy, json; c = runpy.run_path('deploy/gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ('workers', 'threads', 'worker_class', "
        "'access_log_format')}))"
    )
    result = subprocess.run(
        ["python", "-c", script],
        cwd=ROOT,
        env={"PATH": str(Path(ROOT / ".venv" / "bin")) + ":/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"workers": 3' in result.stdout and '"threads": 7' in result.stdout
    assert '"worker_class": "gthread"' in result.stdout
    # The path without its query string (%(U)s), and no client address or user agent.
    assert "%(U)s" in result.stdout
    assert not {"%(r)s", "%(q)s", "%(h)s", "%(a)s", "%(f)s"} & set(
        re.findall(r"%\(\w+\)s", result.stdout)
    )


def _setting(name: str, env: dict[str, str], tmp_path) -> str:
    result = run_manage(
        "shell",
        "-c",
        f"from django.conf import settings; print(repr(settings.{name}))",
        env={"DEBUG": "1", "YOYAKU_DATA_DIR": str(tmp_path), **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_without_debug_database_connections_are_kept_five_minutes_and_checked(tmp_path):
    env = {"DEBUG": "0", "SECRET_KEY": "x" * 60, "DATABASE_CONN_MAX_AGE": ""}
    databases = _setting("DATABASES['default']", env, tmp_path)
    assert "'CONN_MAX_AGE': 300" in databases
    assert "'CONN_HEALTH_CHECKS': True" in databases


def test_database_conn_max_age_0_still_gives_one_connection_per_request(tmp_path):
    env = {"DEBUG": "0", "SECRET_KEY": "x" * 60, "DATABASE_CONN_MAX_AGE": "0"}
    assert "'CONN_MAX_AGE': 0" in _setting("DATABASES['default']", env, tmp_path)


def test_behind_pgbouncer_neither_named_cursors_nor_prepared_statements_are_used(tmp_path):
    env = {
        "DATABASE_URL": "postgres://yoyaku@127.0.0.1:6432/yoyaku",
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "1",
    }
    databases = _setting("DATABASES['default']", env, tmp_path)
    assert "'DISABLE_SERVER_SIDE_CURSORS': True" in databases
    assert "'prepare_threshold': None" in databases


def test_with_redis_sessions_are_read_through_the_cache_and_kept_in_the_database(tmp_path):
    assert "cached_db" in _setting(
        "SESSION_ENGINE", {"REDIS_URL": "redis://127.0.0.1:6379/5"}, tmp_path
    )
    assert _setting("SESSION_ENGINE", {"REDIS_URL": ""}, tmp_path) == (
        "'django.contrib.sessions.backends.db'"
    )
