"""With the real worker and scheduler (``manage.py db_worker`` and ``run_scheduler`` as
deployed): from a cancellation's commit to the offer mail sent takes at most 60 s.

Runs in the PostgreSQL pass (``DATABASE_URL=postgres://…``): the child processes share the
test database, which SQLite's in-memory test database cannot. About 20 s.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.db import connection, connections

from bench import waitlist as bench

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (the PostgreSQL pass runs it; set DATABASE_URL to run here)",
    ),
]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'] or '', safe='')}{password}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"
    )


def test_a_cancellation_reaches_the_waiter_within_a_minute(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    env = bench.child_environment(
        _database_url(), tmp_path, SECRET_KEY="waitlist-worker-test-" + "x" * 40
    )
    env.pop("YOYAKU_ALLOW_INSECURE_KEY", None)
    connections.close_all()
    children = bench.start(env, tmp_path)
    try:
        result = bench.measure(3, timeout=bench.BOUND_S)
    finally:
        bench.stop(children)
    print(result.line)
    assert len(result.release_to_offer_s) == 3
    assert max(result.release_to_offer_s) <= bench.BOUND_S
