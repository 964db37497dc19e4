"""Health of the running site: the database, the shared cache and the background processes.

The scheduler (``manage.py run_scheduler``) records a beat at every tick and enqueues the
``core.heartbeat`` task every minute through Django's task API; the task workers
(``manage.py db_worker``) record a beat when they run it. A beat older than :data:`STALE`
means the process stopped (a stopped scheduler also stops the workers' beats: nobody enqueues
them). :func:`health_report` reads all of this with one SQL query and one cache round trip
each way, and says nothing about any person.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import DatabaseError

from yoyaku.core import clock
from yoyaku.core.models import Heartbeat

logger = logging.getLogger(__name__)

SCHEDULER = "scheduler"
WORKER = "worker"
# The scheduler ticks every 30 s and the heartbeat task is enqueued every minute: three
# minutes without a beat is a stopped process, not a busy one.
STALE = dt.timedelta(minutes=3)
PROBE_KEY = "health:probe"


@dataclass(frozen=True)
class Check:
    ok: bool
    # Seconds since the last beat (background processes only; None: never seen).
    age_seconds: int | None = None

    def as_json(self) -> dict:
        data: dict = {"ok": self.ok}
        if self.age_seconds is not None:
            data["age_seconds"] = self.age_seconds
        return data


@dataclass(frozen=True)
class HealthReport:
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values())

    def as_json(self) -> dict:
        return {
            "status": "ok" if self.ok else "fail",
            "checks": {name: check.as_json() for name, check in self.checks.items()},
        }


def heartbeat_record(*, name: str) -> None:
    """Record that the process called ``name`` is alive now (one upsert statement)."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, beat_at=clock.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["beat_at"],
    )


def _beat_check(beats: dict[str, dt.datetime] | None, name: str, now: dt.datetime) -> Check:
    if beats is None:  # the database did not answer: nothing is known
        return Check(ok=False)
    beat_at = beats.get(name)
    if beat_at is None:
        return Check(ok=False)
    age = now - beat_at
    return Check(ok=age <= STALE, age_seconds=max(0, int(age.total_seconds())))


def _cache_check() -> Check:
    token = secrets.token_hex(8)
    try:
        cache.set(PROBE_KEY, token, timeout=60)
        return Check(ok=cache.get(PROBE_KEY) == token)
    except Exception as error:  # any backend's error: Redis refused, timed out, full disk
        logger.warning("health: cache failed: %s", type(error).__name__)
        return Check(ok=False)


def health_report() -> HealthReport:
    """The state of the database, the cache, the scheduler and the task workers.

    One SQL query (the heartbeats: it is also the database check) and one cache set and get.
    """
    now = clock.now()
    try:
        beats: dict[str, dt.datetime] | None = dict(
            Heartbeat.objects.values_list("name", "beat_at")
        )
        database = Check(ok=True)
    except DatabaseError as error:
        logger.warning("health: database failed: %s", type(error).__name__)
        beats = None
        database = Check(ok=False)
    return HealthReport(
        checks={
            "database": database,
            "cache": _cache_check(),
            SCHEDULER: _beat_check(beats, SCHEDULER, now),
            WORKER: _beat_check(beats, WORKER, now),
        }
    )
