from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class BulkClosure(models.Model):
    """一括休館: a facility (or one unit) closed for a period, its reservations cancelled free of
    charge and its lottery applications withdrawn by a task. The row is the task's progress,
    shown to staff while it runs."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("処理中")
        DONE = "done", _("完了")

    municipality = models.ForeignKey(
        "core.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="bulk_closures"
    )
    unit = models.ForeignKey(
        "facilities.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    closure = models.OneToOneField(
        "facilities.Closure", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("一括休館")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__lte=models.F("end_date")),
                name="bulk_closure_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.start_date}–{self.end_date} {self.reason}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE or not self.total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.done * 100 // self.total)
