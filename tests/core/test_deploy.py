"""Settings come from the environment; production settings pass Django's deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # The test settings put development values into the environment; start from a clean one.
    dropped = {
        "DEBUG",
        "DJANGO_SETTINGS_MODULE",
        "YOYAKU_ALLOW_INSECURE_KEY",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "ALLOWED_HOSTS",
        "TASKS_BACKEND",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_variables(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
            "ALLOWED_HOSTS": "yoyaku.example.jp",
            "SECURE_HSTS_PRELOAD": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "YOYAKU_DATA_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = run_manage("check", env={"YOYAKU_DATA_DIR": str(tmp_path), "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_database_is_the_one_ci_asked_for():
    """CI sets YOYAKU_EXPECT_DB=postgresql: fail, never skip, if the suite ran on another."""
    expected = os.environ.get("YOYAKU_EXPECT_DB")
    if expected:
        assert connection.vendor == expected
    else:
        assert connection.vendor in {"sqlite", "postgresql"}
