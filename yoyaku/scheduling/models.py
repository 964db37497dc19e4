from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    """One row per job and day: the unique key makes a daily job run once, however many
    schedulers are running (e.g. one per application server)."""

    job = models.CharField(max_length=100)
    due_date = models.DateField()
    enqueued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "due_date"], name="scheduled_run_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.due_date}"
