"""Tasks: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task

from yoyaku.core import health, housekeeping


@task()
def core_heartbeat() -> None:
    """Enqueued every minute by the scheduler: a worker that runs it is taking tasks."""
    health.heartbeat_record(name=health.WORKER)


@task()
def core_daily() -> None:
    """Enqueued at night: finished task results are pruned (see housekeeping)."""
    housekeeping.task_results_prune()
