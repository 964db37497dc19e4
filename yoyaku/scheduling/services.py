"""A small scheduler for daily jobs: it only enqueues tasks; the task workers run them.

The task API (django-tasks) runs work but does not schedule it. ``run_scheduler`` calls
:func:`scheduler_tick` every half minute; a job whose time of day has passed and that has no
``ScheduledRun`` row for today gets one and its task is enqueued, once. Repeating jobs work the
same way with one row per job, day and time slot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from yoyaku.core import clock
from yoyaku.lottery.services import lottery_draw_due, lottery_freeze_due
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
    # Sightings of devices and networks (keyed hashes, multiple-account signals): 180 days.
    DailyJob("integrity.daily", dt.time(3, 15), "yoyaku.integrity.tasks.integrity_daily"),
    # Reminders of reservations 3 days ahead, sent in the morning.
    DailyJob("reservations.daily", dt.time(9, 0), "yoyaku.reservations.tasks.reservations_daily"),
    # Finished background-task results: kept 14 days, failed ones 90 (the minute jobs alone
    # leave ~2,900 a day).
    DailyJob("core.daily", dt.time(3, 20), "yoyaku.core.tasks.core_daily"),
    # Rounds on a schedule (定期抽選): from the 1st, this month's round of each schedule.
    DailyJob(
        "lottery.schedules",
        dt.time(1, 0),
        "yoyaku.lottery.tasks.lottery_rounds_from_schedules",
    ),
)


@dataclass(frozen=True)
class RepeatingJob:
    name: str
    every: int  # minutes, a divisor of 60: runs at :00, :every, :2·every, … of each hour
    task: str  # dotted path of a django-tasks Task


REPEATING_JOBS = (
    # Proofs attached to online applications that were never sent are kept one hour; run
    # every quarter hour, so none stays much longer.
    RepeatingJob(
        "registrants.pending_uploads", 15, "yoyaku.registrants.tasks.registrants_pending_uploads"
    ),
    # Unpaid reservations past their deadline free their capacity within the minute; payments
    # no webhook settled are read again; refunds the provider did not confirm are resent.
    RepeatingJob("payments.minute", 1, "yoyaku.payments.tasks.payments_minute"),
    # The workers' heartbeat: the health endpoint reports a worker that has not run it for
    # three minutes (yoyaku/core/health.py).
    RepeatingJob("core.heartbeat", 1, "yoyaku.core.tasks.core_heartbeat"),
    # キャンセル待ち: offers past their deadline pass to the next waiter; freed capacity that
    # no task offered yet is offered (the task after each release is the fast path).
    RepeatingJob("waitlist.minute", 1, "yoyaku.waitlist.tasks.waitlist_minute"),
    # LINE pushes waiting after a 429, a LINE error or no answer (backoff 1, 2, 4 … minutes).
    RepeatingJob("notifications.line", 1, "yoyaku.notifications.tasks.line_minute"),
)


def scheduler_tick(
    *, now: dt.datetime | None = None, jobs=DAILY_JOBS, repeating=REPEATING_JOBS
) -> list[str]:
    """Enqueue the daily and repeating jobs that are due, and every lottery whose drawing
    time has come; returns the names enqueued by this call."""
    now = clock.local(now or clock.now())
    enqueued = _lottery_jobs(now)
    for rjob in repeating:
        slot = now.replace(minute=now.minute // rjob.every * rjob.every, second=0, microsecond=0)
        if _once(f"{rjob.name}.{slot:%H%M}", now.date(), now, rjob.task):
            enqueued.append(rjob.name)
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


def _once(job: str, day: dt.date, now: dt.datetime, task_path: str, *args) -> bool:
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(job=job, due_date=day, enqueued_at=now)
            task = import_string(task_path)
            transaction.on_commit(lambda: task.enqueue(*args))
    except IntegrityError:
        return False
    return True


def _lottery_jobs(now: dt.datetime) -> list[str]:
    """Lotteries freeze their applications at the close and draw by themselves at their
    drawing time once they can (each once: the ScheduledRun key); the
    expiry of unconfirmed wins and the release of held capacity run every quarter hour."""
    enqueued = []
    # At the close of a round's window its applications are frozen and their hash published.
    for round_id in lottery_freeze_due(now=now):
        name = f"lottery.freeze.{round_id}"
        if _once(name, dt.date(2000, 1, 1), now, "yoyaku.lottery.tasks.lottery_freeze", round_id):
            enqueued.append(name)
    for round_id in lottery_draw_due(now=now):
        name = f"lottery.draw.{round_id}"
        if _once(name, dt.date(2000, 1, 1), now, "yoyaku.lottery.tasks.lottery_draw", round_id):
            enqueued.append(name)
    quarter = now.replace(minute=now.minute // 15 * 15, second=0, microsecond=0)
    name = f"lottery.after.{quarter:%H%M}"
    if _once(name, now.date(), now, "yoyaku.lottery.tasks.lottery_after_drawing"):
        enqueued.append("lottery.after")
    return enqueued
