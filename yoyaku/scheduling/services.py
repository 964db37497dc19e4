"""A small scheduler for daily jobs: it only enqueues tasks; the task workers run them.

The task API (django-tasks) runs work but does not schedule it. ``run_scheduler`` calls
:func:`scheduler_tick` every half minute; a job whose time of day has passed and that has no
``ScheduledRun`` row for today gets one and its task is enqueued, once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from yoyaku.core import clock
from yoyaku.scheduling.models import ScheduledRun


@dataclass(frozen=True)
class DailyJob:
    name: str
    at: dt.time
    task: str  # dotted path of a django-tasks Task


DAILY_JOBS = (
    # Validity (renew / expire / warn 30 days ahead) and anonymisation, Ukiha arts. 5 and 8.
    DailyJob("registrants.daily", dt.time(3, 0), "yoyaku.registrants.tasks.registrants_daily"),
    # Log-in attempts (client addresses) are kept 90 days.
    DailyJob("security.daily", dt.time(3, 10), "yoyaku.security.tasks.security_daily"),
    # Reminders of reservations 3 days ahead, sent in the morning.
    DailyJob("reservations.daily", dt.time(9, 0), "yoyaku.reservations.tasks.reservations_daily"),
)


def scheduler_tick(*, now: dt.datetime | None = None, jobs=DAILY_JOBS) -> list[str]:
    """Enqueue the daily jobs that are due; returns the names enqueued by this call."""
    now = clock.local(now or clock.now())
    enqueued = []
    for job in jobs:
        if now.time() < job.at:
            continue
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(job=job.name, due_date=now.date(), enqueued_at=now)
                task = import_string(job.task)
                transaction.on_commit(task.enqueue)
        except IntegrityError:
            continue  # already enqueued today (by this or another scheduler)
        enqueued.append(job.name)
    return enqueued
