"""Housekeeping of the platform's own tables."""

from __future__ import annotations

from django.core.management import call_command
from django_tasks import default_task_backend
from django_tasks_db.backend import DatabaseBackend

# Successful task results are kept two weeks (enough to see what ran); failed ones 90 days.
TASK_RESULTS_KEEP_DAYS = 14
FAILED_TASK_RESULTS_KEEP_DAYS = 90


def task_results_prune() -> bool:
    """Delete finished task results older than the periods above; False when the task
    backend keeps no results in the database (nothing to prune)."""
    if not isinstance(default_task_backend, DatabaseBackend):
        return False
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=TASK_RESULTS_KEEP_DAYS,
        failed_min_age_days=FAILED_TASK_RESULTS_KEEP_DAYS,
        verbosity=0,
    )
    return True
