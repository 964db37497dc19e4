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
